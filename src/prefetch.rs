//! Software prefetch for walks over tables of pointers into the trees.
//!
//! A rule walking every directive of 10,000 vhosts waits on memory for
//! each one: the walk table is read in order, but the directives it points
//! to are scattered over 75 MB of tree. Asking for a directive a few
//! entries ahead lets those loads overlap instead of queueing one by one.

use crate::nginx::ast::Directive;
use crate::nginx::include::Files;

/// Start loading the cache lines of `*p` (the first `bytes` of it).
/// A hint only: it never faults and changes no result.
#[inline(always)]
pub fn prefetch<T>(p: &T, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let base = (p as *const T).cast::<i8>();
        // Every line from the first byte to the last (an 88-byte struct can
        // straddle three).
        let first = base as usize & !63;
        let last = (base as usize).wrapping_add(bytes.max(1) - 1) & !63;
        let mut line = first;
        while line <= last {
            // SAFETY: prefetching is a hint that never faults, whatever the
            // address.
            let at = base.wrapping_byte_offset(line.wrapping_sub(base as usize) as isize);
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at) };
            line += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes);
}

/// Start loading a slice: its first `max_lines` cache lines (a short list
/// of directives whole). The loads overlap, where reading the list in
/// order would wait for each line in turn.
#[inline(always)]
pub fn prefetch_slice<T>(items: &[T], max_lines: usize) {
    let bytes = std::mem::size_of_val(items).min(max_lines * 64);
    if let Some(first) = items.first() {
        prefetch(first, bytes);
    }
}

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
        prefetch(b, std::mem::size_of::<crate::nginx::ast::Block>());
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

#[cfg(test)]
mod tests {
    /// A hint on any value, of any size (none, one line, several,
    /// straddling), runs without overflow or fault in a debug build.
    #[test]
    fn any_value_any_size() {
        let small = 1u8;
        let big = [0u64; 40];
        super::prefetch(&small, 0);
        super::prefetch(&small, 1);
        super::prefetch(&big, std::mem::size_of_val(&big));
        super::prefetch(&big[3], 88);
        super::prefetch_slice::<u64>(&[], 32);
        super::prefetch_slice(&big, 0);
        super::prefetch_slice(&big, 2);
        super::prefetch_slice(&big[39..], 32);
    }
}
