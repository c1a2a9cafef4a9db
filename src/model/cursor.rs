//! Where a scope's occurrences of a name begin in the name's run, found
//! from where the last answer for that name ended. Rules go through the
//! targets, the servers or the locations in scope order and ask each for
//! its own `fastcgi_param` or `add_header` lines: the next answer is then
//! a few entries on, and stepping there is cheaper than searching the run.
//! The directives the next scopes will give are asked for ahead, as each
//! of them is otherwise a trip to memory, one after the other.
//!
//! The last position is kept per thread and per name (a few names), so
//! that [`Model::own`] stays one method whatever order a rule asks in: a
//! position left by another rule, another model or another order only
//! costs the search it would have made anyway, never a wrong answer.

use super::{Model, scope_start};
use crate::nginx::ast::Directive;
use std::cell::Cell;

/// How many names keep a last position per thread.
const NAMES: usize = 8;

/// How far a next answer is stepped to before it is searched for instead.
const STEP: usize = 32;

/// At most this many entries are asked for ahead of each answer.
const WINDOW: usize = 32;

thread_local! {
    /// Per name (by name id modulo [`NAMES`]): the run the position is in
    /// (its address) and where the last answer ended.
    static LAST: Cell<[(usize, usize); NAMES]> = const { Cell::new([(0, 0); NAMES]) };
}

/// The entries of `scope` in `run`, the run of name id `id`.
pub(super) fn answer<'a>(
    model: &Model<'_>,
    id: usize,
    run: &'a [(u32, u32)],
    scope: u32,
) -> &'a [(u32, u32)] {
    let tag = run.as_ptr() as usize;
    let slot = id % NAMES;
    let mut last = LAST.with(Cell::get);
    let (seen, pos) = last[slot];
    let stepped = (seen == tag && pos <= run.len())
        .then(|| step(run, pos, scope))
        .flatten();
    let start = stepped.unwrap_or_else(|| scope_start(run, scope));
    let end = start + run[start..].iter().take_while(|e| e.0 == scope).count();
    last[slot] = (tag, end);
    LAST.with(|l| l.set(last));
    if stepped.is_some() {
        ask_ahead(model, run, end, (end - start).max(1));
    }
    &run[start..end]
}

/// Where `scope`'s entries begin, stepping on from `pos` (where the last
/// answer ended), when that is at most [`STEP`] entries on.
fn step(run: &[(u32, u32)], pos: usize, scope: u32) -> Option<usize> {
    if pos > 0 && run.get(pos - 1).is_none_or(|e| e.0 >= scope) {
        return None;
    }
    let n = run[pos..]
        .iter()
        .take(STEP)
        .take_while(|e| e.0 < scope)
        .count();
    (n < STEP).then_some(pos + n)
}

/// Ask for the directives about three answers ahead, and for the words of
/// those one answer ahead (their directives were asked for before).
fn ask_ahead(model: &Model<'_>, run: &[(u32, u32)], end: usize, n: usize) {
    use crate::prefetch::{prefetch, prefetch_slice};
    let window = |from: usize| {
        let from = from.min(run.len());
        let to = (from + n.min(WINDOW)).min(run.len());
        run[from..to]
            .iter()
            .filter_map(|&(_, slot)| model.slot(slot))
    };
    for d in window(end + 3 * n) {
        prefetch(d, std::mem::size_of::<Directive>());
    }
    for d in window(end + n) {
        prefetch_slice(&d.args, 1);
    }
}
