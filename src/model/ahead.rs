//! Prefetch hints that know the tree's shape, for the model's walks over
//! include-flattened blocks: ask for the next blocks and files before
//! going into them. Hints only: they never change a result.

use crate::nginx::ast::{Block, Directive};
use crate::nginx::include::Files;
use crate::prefetch::{prefetch, prefetch_slice};

/// Before going into the block of `children[i]` (if it has one), ask for
/// what the next blocks will need, a step apart so that each step finds
/// the one before arrived: the block of the child after next, the children
/// of the next child's block. Otherwise each block costs two trips to
/// memory one after the other (its `Block`, then its children), and at
/// 10,000 vhosts there are 80,000 blocks.
pub fn blocks_ahead<D: std::borrow::Borrow<Directive>>(children: &[D], i: usize) {
    if let Some(b) = children
        .get(i + 2)
        .and_then(|d| d.borrow().block.as_deref())
    {
        prefetch(b, std::mem::size_of::<Block>());
    }
    if let Some(b) = children
        .get(i + 1)
        .and_then(|d| d.borrow().block.as_deref())
    {
        prefetch_slice(&b.children, 32);
    }
}

/// Before going into included file `included[j]`, ask for the directives
/// of the next one (a glob of 10,000 site files is 10,000 lists in as many
/// places).
pub fn file_ahead(files: &Files, included: &[crate::source::FileId], j: usize) {
    if let Some(pf) = included.get(j + 1).and_then(|id| files.get(*id)) {
        prefetch_slice(&pf.directives, 4);
    }
}
