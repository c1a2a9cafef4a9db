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
    /// Ask for what the next occurrences of a run will read, in three
    /// steps so that no step waits on memory: the slot far ahead, the
    /// directive nearer (its slot has arrived), its arguments nearest
    /// (the directive has arrived), what rules read next. The slots and
    /// the directives are scattered trips to memory per occurrence.
    fn prefetch_ahead(&self, run: &[(u32, u32)]) {
        use crate::prefetch::prefetch;
        let slots = &self.model.slots;
        if let Some(slot) = run.get(8).and_then(|&(_, i)| slots.get(i as usize)) {
            prefetch(slot, 8);
        }
        if let Some(d) = run.get(4).and_then(|&(_, i)| slots.get(i as usize)) {
            prefetch(*d, std::mem::size_of::<Directive>());
        }
        if let Some(d) = run.get(2).and_then(|&(_, i)| slots.get(i as usize)) {
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
            if let Some(d) = self.model.slot(at) {
                return Some((s as usize, d));
            }
        }
    }
}
