//! One directive name's occurrences read scope after scope, in scope order
//! (a rule going through the targets or the servers, asking each for its
//! own `fastcgi_param` or `add_header` lines). The cursor moves along the
//! name's run instead of searching it each time, and asks for the
//! directives the next scopes will give before they are read: at 10,000
//! vhosts each of them is a trip to memory, one after the other.

use super::{Model, ScopeId, scope_start};
use crate::nginx::ast::Directive;

pub struct OwnCursor<'a, 't> {
    model: &'a Model<'t>,
    name: &'a str,
    /// The name's run in the index; None for a name outside the directive
    /// table (then each scope is read by [`Model::own`]).
    run: Option<&'a [(u32, u32)]>,
    /// Where the last answer ended in `run`.
    pos: usize,
}

/// At most this many entries are asked for ahead of each answer.
const WINDOW: usize = 32;

impl<'a, 't> OwnCursor<'a, 't> {
    pub(super) fn new(model: &'a Model<'t>, name: &'a str) -> Self {
        OwnCursor {
            model,
            name,
            run: model.occurrences(name),
            pos: 0,
        }
    }

    /// `name`'s occurrences in `scope` itself, in order, as
    /// [`Model::own`] gives them. Fastest when scopes come in increasing
    /// order; any other order gives the same answers.
    pub fn own(&mut self, scope: ScopeId) -> impl Iterator<Item = &'t Directive> + 'a {
        let model = self.model;
        let name = self.name;
        let (indexed, scan): (&'a [(u32, u32)], &'a [&'t Directive]) = match self.run {
            Some(run) => {
                let key = scope as u32;
                let start = if self.pos == 0 || run.get(self.pos - 1).is_some_and(|e| e.0 < key) {
                    // At or after the last answer: step along the run.
                    self.pos + run[self.pos..].iter().take_while(|e| e.0 < key).count()
                } else {
                    scope_start(run, key)
                };
                let end = start + run[start..].iter().take_while(|e| e.0 == key).count();
                self.pos = end;
                self.ask_ahead(run, end, (end - start).max(1));
                (&run[start..end], &[])
            }
            None => (&[], model.scope_children(scope)),
        };
        indexed
            .iter()
            .filter_map(move |&(_, slot)| model.slot(slot))
            .chain(scan.iter().copied().filter(move |d| d.name() == name))
    }

    /// The occurrences in effect at `scope`, as [`Model::effective_iter`]
    /// gives them: its own (from the cursor), else those of the nearest
    /// enclosing block that has any.
    pub fn effective(&mut self, scope: ScopeId) -> impl Iterator<Item = &'t Directive> + 'a {
        let (model, name) = (self.model, self.name);
        let mut own = self.own(scope).peekable();
        // Only without any of its own: the parent's chain, not `scope`
        // searched again.
        let parent = match own.peek() {
            Some(_) => None,
            None => model.scopes.get(scope).and_then(|s| s.parent),
        };
        own.chain(
            parent
                .into_iter()
                .flat_map(move |p| model.effective_iter(p, name)),
        )
    }

    /// Ask for the directives about three answers ahead, and for the words
    /// of those one answer ahead (their directives were asked for before).
    fn ask_ahead(&self, run: &[(u32, u32)], end: usize, n: usize) {
        use crate::prefetch::{prefetch, prefetch_slice};
        let window = |from: usize| {
            let from = from.min(run.len());
            let to = (from + n.min(WINDOW)).min(run.len());
            run[from..to]
                .iter()
                .filter_map(|&(_, slot)| self.model.slot(slot))
        };
        for d in window(end + 3 * n) {
            prefetch(d, std::mem::size_of::<Directive>());
        }
        for d in window(end + n) {
            prefetch_slice(&d.args, 1);
        }
    }
}
