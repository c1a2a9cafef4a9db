//! A list that keeps up to two values inline and moves to the heap beyond.
//!
//! Also what the resolver answers (the listeners serving an address: at
//! most one or two, asked for several times per vhost).
//!
//! For per-server lists (listens, names) read by rule after rule: a vector
//! of its own per server puts each list in its own allocation, and going
//! through every server's lists in a large tree costs a cache miss per
//! server and rule. Inline, they are read with the server. (The smallvec
//! crate would do, but its inline storage makes the model invariant in
//! its lifetime; this enum stays covariant and needs no unsafe code.)

use std::ops::Deref;

#[derive(Clone, Debug, Default)]
pub enum Few<T> {
    #[default]
    Zero,
    One(T),
    Two([T; 2]),
    Many(Vec<T>),
}

impl<T> Few<T> {
    pub fn push(&mut self, value: T) {
        *self = match std::mem::take(self) {
            Few::Zero => Few::One(value),
            Few::One(a) => Few::Two([a, value]),
            Few::Two([a, b]) => {
                // Room for a few more: a server with three listens often
                // has four.
                let mut v = Vec::with_capacity(4);
                v.extend([a, b, value]);
                Few::Many(v)
            }
            Few::Many(mut v) => {
                v.push(value);
                Few::Many(v)
            }
        };
    }

    /// Drop the heap list's growth slack (once the list is complete).
    pub fn shrink_to_fit(&mut self) {
        if let Few::Many(v) = self {
            v.shrink_to_fit();
        }
    }
}

impl<T> Deref for Few<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Few::Zero => &[],
            Few::One(a) => std::slice::from_ref(a),
            Few::Two(pair) => pair,
            Few::Many(v) => v,
        }
    }
}

impl<T> Extend<T> for Few<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.push(v);
        }
    }
}

impl<'a, T> IntoIterator for &'a Few<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A [`Few`]'s values, by value.
pub enum IntoIter<T> {
    Inline(std::iter::Flatten<std::array::IntoIter<Option<T>, 2>>),
    Heap(std::vec::IntoIter<T>),
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match self {
            IntoIter::Inline(it) => it.next(),
            IntoIter::Heap(it) => it.next(),
        }
    }
}

impl<T> IntoIterator for Few<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        let inline = |a, b| IntoIter::Inline([a, b].into_iter().flatten());
        match self {
            Few::Zero => inline(None, None),
            Few::One(a) => inline(Some(a), None),
            Few::Two([a, b]) => inline(Some(a), Some(b)),
            Few::Many(v) => IntoIter::Heap(v.into_iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Few;

    /// Every length reads back in order, across the inline and heap forms.
    #[test]
    fn keeps_order_at_every_length() {
        for n in 0..7u32 {
            let mut f = Few::default();
            f.extend(0..n);
            f.shrink_to_fit();
            assert_eq!(&*f, (0..n).collect::<Vec<_>>().as_slice(), "length {n}");
            assert_eq!(matches!(f, Few::Many(_)), n > 2, "length {n}");
            assert_eq!(
                f.into_iter().collect::<Vec<_>>(),
                (0..n).collect::<Vec<_>>()
            );
        }
    }
}
