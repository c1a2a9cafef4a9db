//! Items grouped by a small integer key in one array (a counting sort):
//! exact size, no Vec per key growing by doubling. The model's name index
//! is one.

#[derive(Debug)]
pub struct Grouped<T> {
    /// Where each key's items begin in `items` (and end, at the next key's
    /// beginning); `keys + 1` entries.
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy + Default> Grouped<T> {
    /// Group the `(key, item)` pairs `pairs()` yields (called twice: once
    /// to count, once to place; it must yield the same pairs both times).
    /// Within a key, items keep their order; keys at or past `keys` are
    /// dropped.
    pub fn build<I: Iterator<Item = (usize, T)>>(keys: usize, pairs: impl Fn() -> I) -> Self {
        let mut start = vec![0u32; keys + 1];
        for (k, _) in pairs() {
            if k < keys {
                start[k + 1] += 1;
            }
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let total = start[keys] as usize;
        let mut items = vec![T::default(); total];
        // `start[k]` is used as key k's cursor: after the fill it holds
        // where key k ends, i.e. where key k + 1 begins, so shifting the
        // array by one restores the beginnings without a second array.
        for (k, item) in pairs() {
            if k < keys
                && let Some(slot) = items.get_mut(start[k] as usize)
            {
                *slot = item;
                start[k] += 1;
            }
        }
        start.copy_within(0..keys, 1);
        start[0] = 0;
        Grouped { start, items }
    }

    /// The items of `key`, in input order (empty for an unknown key).
    pub fn get(&self, key: usize) -> &[T] {
        match (self.start.get(key), self.start.get(key + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

impl<T> Default for Grouped<T> {
    fn default() -> Self {
        Grouped {
            start: Vec::new(),
            items: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_input_order_and_drops_out_of_range_keys() {
        let pairs = [(2, 'a'), (0, 'b'), (2, 'c'), (9, 'x'), (0, 'd')];
        let g = Grouped::build(3, || pairs.iter().copied());
        assert_eq!(g.get(0), ['b', 'd']);
        assert_eq!(g.get(1), [] as [char; 0]);
        assert_eq!(g.get(2), ['a', 'c']);
        assert_eq!(g.get(3), [] as [char; 0]);
        assert_eq!(Grouped::<char>::default().get(0), [] as [char; 0]);
    }
}
