//! Walking the include-expanded trees of a run with each directive's
//! context: the one traversal rules build on.

use crate::load::Loaded;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::include::{Files, WALK_BUDGET};
use crate::nginx::parser::is_data_block;

/// One visited directive.
pub struct Visit<'t, 'p> {
    pub directive: &'t Directive,
    /// The block it stands in (`Ctx::Data` inside `map`, `types`, …).
    pub ctx: Ctx,
    /// Enclosing block directives, outermost first.
    pub parents: &'p [&'t Directive],
    /// Index of the unit (tree) this visit belongs to.
    pub unit: usize,
}

/// Visit every directive of every unit, depth first, in file order.
pub fn walk_all<'t>(loaded: &'t Loaded, f: &mut dyn FnMut(&Visit<'t, '_>)) {
    for (ui, unit) in loaded.units.iter().enumerate() {
        let Some(pf) = loaded.files.get(unit.file) else {
            continue;
        };
        let mut parents: Vec<&Directive> = Vec::new();
        let mut budget = WALK_BUDGET;
        walk_list(
            &loaded.files,
            &pf.directives,
            unit.context,
            ui,
            &mut parents,
            f,
            &mut budget,
        );
    }
}

fn walk_list<'t>(
    files: &'t Files,
    list: &'t [Directive],
    ctx: Ctx,
    unit: usize,
    parents: &mut Vec<&'t Directive>,
    f: &mut dyn FnMut(&Visit<'t, '_>),
    budget: &mut usize,
) {
    for d in list {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        f(&Visit {
            directive: d,
            ctx,
            parents,
            unit,
        });
        for id in &d.included {
            if let Some(pf) = files.get(*id) {
                walk_list(files, &pf.directives, ctx, unit, parents, f, budget);
            }
        }
        if let Some(b) = &d.block
            && !b.lua
        {
            let inner = if ctx == Ctx::Data || is_data_block(d.name()) {
                Ctx::Data
            } else {
                ctx.enter(d.name())
            };
            parents.push(d);
            walk_list(files, &b.children, inner, unit, parents, f, budget);
            parents.pop();
        }
    }
}
