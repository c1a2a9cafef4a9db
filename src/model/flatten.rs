//! The directives of a block as nginx reads them: an `include` directive
//! stands for the directives of the files it brought in, recursively. This
//! is the one flattening the views of the trees are built on: the walk
//! ([`super::walk::Visits`], which keeps each include directive before
//! what it brought in) and the scopes ([`super::Model`], which drop it);
//! both spend one budget per unit by the same rule, so that a tree whose
//! includes multiply is cut instead of walked for hours.

use crate::nginx::ast::Directive;
use crate::nginx::include::Files;

/// What the flattening gives for an `include` directive (one with no
/// block: those are the ones that bring files in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Includes {
    /// The include directive, then the directives of its files.
    Keep,
    /// Only the directives of its files.
    Drop,
}

/// Give `f` the directives of `list` in nginx's order, includes expanded
/// where they stand. `f` gets each directive as `list[i]` of the list it
/// stands in (for asking ahead in that list) and the budget left, with
/// which it may go into the directive's block. Blocks are not entered here.
///
/// The budget rule: every directive read, given or dropped, costs one; at
/// zero the flattening stops. A run gives each unit
/// [`crate::loaded::Loaded::walk_budget`].
pub fn flatten<'t, F>(
    files: &'t Files,
    list: &'t [Directive],
    includes: Includes,
    budget: &mut usize,
    f: &mut F,
) where
    F: FnMut(&'t [Directive], usize, &mut usize),
{
    crate::prefetch::prefetch_slice(list, 32);
    for (i, d) in list.iter().enumerate() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let included = files.included(d);
        // Only an include directive with no block has files (the parser
        // gives the others no include site).
        if includes == Includes::Keep || !(d.is_include() && d.block.is_none()) {
            f(list, i, budget);
        }
        for (j, id) in included.iter().enumerate() {
            super::ahead::file_ahead(files, included, j);
            if let Some(pf) = files.get(*id) {
                flatten(files, &pf.directives, includes, budget, f);
            }
        }
    }
}

/// Visit every directive reachable from `list`, depth first, going into
/// every block: `f` gets the directive and its enclosing block directives
/// (outermost first; include directives are transparent, their files'
/// directives are their siblings). Include directives are kept. For
/// reading a whole expanded tree outside a run (the include tests, the
/// property tests, the include fuzz target), under the run's budget rule.
pub fn walk<'t, F>(files: &'t Files, list: &'t [Directive], f: &mut F)
where
    F: FnMut(&'t Directive, &[&'t Directive]),
{
    fn go<'t, F>(
        files: &'t Files,
        list: &'t [Directive],
        parents: &mut Vec<&'t Directive>,
        budget: &mut usize,
        f: &mut F,
    ) where
        F: FnMut(&'t Directive, &[&'t Directive]),
    {
        flatten(files, list, Includes::Keep, budget, &mut |l, i, budget| {
            let d = &l[i];
            f(d, parents);
            if let Some(b) = &d.block {
                parents.push(d);
                go(files, &b.children, parents, budget, f);
                parents.pop();
            }
        });
    }
    let mut budget = crate::nginx::include::walk_budget(files);
    go(files, list, &mut Vec::new(), &mut budget, f);
}
