//! Software prefetch: a hint to start loading memory that a walk will
//! read a few steps later, so that the loads overlap instead of queueing.
//! Knows nothing of the trees; the model's walks use it
//! (`model::ahead`).

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
