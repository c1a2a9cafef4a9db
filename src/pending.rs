//! A value another thread is still computing: reading it waits for it.

use std::sync::OnceLock;

/// A reference to a value that may not be ready yet. Dereferencing it
/// blocks until it is set, so code written against `&T` (rules reading
/// `cx.resolver.listeners`) runs unchanged while `T` is built beside it.
pub struct Pending<'a, T>(&'a OnceLock<T>);

impl<'a, T> Pending<'a, T> {
    /// Wait on `cell` (the producer must set it, also when it fails:
    /// otherwise readers wait forever).
    pub fn new(cell: &'a OnceLock<T>) -> Self {
        Pending(cell)
    }
}

impl<T> std::ops::Deref for Pending<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.wait()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_wait_for_the_value() {
        let cell = OnceLock::new();
        let pending = Pending::new(&cell);
        std::thread::scope(|s| {
            let reader = s.spawn(|| *pending + 1);
            std::thread::sleep(std::time::Duration::from_millis(20));
            let _ = cell.set(41);
            assert_eq!(reader.join().ok(), Some(42));
        });
    }
}
