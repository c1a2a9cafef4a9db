//! The occurrences of several directive names in scope order, merged from
//! the model's per-name index while they are iterated. Collecting and
//! sorting them instead cost 12 MB and a sort of 500,000 pairs at 10,000
//! vhosts for a rule asking for the common names (`fastcgi_param`, `set`,
//! `add_header`, …).

use super::{Model, ScopeId};
use crate::nginx::ast::Directive;

pub struct Named<'a, 't> {
    model: &'a Model<'t>,
    /// One sorted run of (scope, index in the scope) per name still to give.
    runs: Vec<&'a [(u32, u32)]>,
    /// A name outside the directive table has no run of its own: the answer
    /// was picked out of id 0's run (every unknown name) and collected.
    scanned: std::vec::IntoIter<(ScopeId, &'t Directive)>,
}

impl<'a, 't> Named<'a, 't> {
    pub(super) fn merged(model: &'a Model<'t>, mut runs: Vec<&'a [(u32, u32)]>) -> Self {
        runs.retain(|r| !r.is_empty());
        Named {
            model,
            runs,
            scanned: Vec::new().into_iter(),
        }
    }

    pub(super) fn scanned(model: &'a Model<'t>, found: Vec<(ScopeId, &'t Directive)>) -> Self {
        Named {
            model,
            runs: Vec::new(),
            scanned: found.into_iter(),
        }
    }

    /// The run whose head comes first (few runs: one per name asked for).
    fn first_run(&self) -> Option<usize> {
        let mut best: Option<(usize, (u32, u32))> = None;
        for (i, r) in self.runs.iter().enumerate() {
            if let Some(&head) = r.first()
                && best.is_none_or(|(_, b)| head < b)
            {
                best = Some((i, head));
            }
        }
        best.map(|(i, _)| i)
    }
}

impl<'t> Named<'_, 't> {
    /// Ask for what the next occurrences of a run will read, in four
    /// steps so that no step waits on memory: the scope far ahead, its
    /// child slot nearer (the scope has arrived), the directive nearest
    /// (the slot has arrived). The scopes, their children arrays and the
    /// directives are three trips to scattered memory per occurrence.
    fn prefetch_ahead(&self, run: &[(u32, u32)]) {
        use crate::prefetch::prefetch;
        let scopes = &self.model.scopes;
        if let Some(&(s, _)) = run.get(12)
            && let Some(scope) = scopes.get(s as usize)
        {
            prefetch(scope, std::mem::size_of::<super::Scope<'_>>());
        }
        if let Some(&(s, at)) = run.get(8)
            && let Some(slot) = scopes
                .get(s as usize)
                .and_then(|sc| sc.children.get(at as usize))
        {
            prefetch(slot, 8);
        }
        if let Some(&(s, at)) = run.get(4)
            && let Some(d) = scopes
                .get(s as usize)
                .and_then(|sc| sc.children.get(at as usize))
        {
            prefetch(*d, std::mem::size_of::<Directive>());
        }
        // Nearer still, that directive has arrived: ask for its arguments,
        // what rules read next (a fourth trip, to the words).
        if let Some(&(s, at)) = run.get(2)
            && let Some(d) = scopes
                .get(s as usize)
                .and_then(|sc| sc.children.get(at as usize))
        {
            crate::prefetch::prefetch_slice(&d.args, 2);
        }
    }
}

impl<'t> Iterator for Named<'_, 't> {
    type Item = (ScopeId, &'t Directive);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(found) = self.scanned.next() {
            return Some(found);
        }
        loop {
            let i = self.first_run()?;
            let run = self.runs[i];
            self.prefetch_ahead(run);
            let (s, at) = run[0];
            if run.len() == 1 {
                self.runs.swap_remove(i);
            } else {
                self.runs[i] = &run[1..];
            }
            let d = self
                .model
                .scopes
                .get(s as usize)
                .and_then(|scope| scope.children.get(at as usize));
            if let Some(d) = d {
                return Some((s as usize, *d));
            }
        }
    }
}
