//! Small text helpers shared by rules and the CLI.

/// Levenshtein distance, for "did you mean" hints. Allocation: one row.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// `s` in ASCII lowercase, copied only when it has capitals (most names in
/// configurations have none): for names nginx compares without case.
pub fn ascii_lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s.to_ascii_lowercase().into()
    } else {
        s.into()
    }
}

/// Words indexed by themselves and by each of their one-character
/// deletions, so that those within one edit (a Levenshtein distance of at
/// most one) of a query are found by a few lookups instead of a distance
/// to every word: "did you mean" for many missing names among many
/// defined ones is quadratic as a scan per name.
///
/// Keys are polynomial hashes of the strings (computed for every deletion
/// of a word in one pass); a shared key is only a hint, each candidate is
/// checked with [`edit_distance`].
#[derive(Debug, Default)]
pub struct OneEdit {
    /// (key, word index), sorted by key.
    keys: Vec<(u64, u32)>,
    /// Where each key's entries begin in `keys`.
    first: rustc_hash::FxHashMap<u64, u32>,
}

const HASH_BASE: u64 = 0x100_0000_01b3;

/// The hash of `word` and of each string `word` gives with one character
/// removed (in no particular order).
fn one_edit_keys(word: &str, out: &mut Vec<u64>) {
    let b = word.as_bytes();
    // prefix[k] = hash of b[..k]; pow[k] = HASH_BASE^k.
    let mut prefix = Vec::with_capacity(b.len() + 1);
    let mut pow = Vec::with_capacity(b.len() + 1);
    let (mut h, mut p) = (0u64, 1u64);
    prefix.push(0);
    pow.push(1);
    for &c in b {
        h = h.wrapping_mul(HASH_BASE).wrapping_add(u64::from(c) + 1);
        p = p.wrapping_mul(HASH_BASE);
        prefix.push(h);
        pow.push(p);
    }
    out.push(h);
    let n = b.len();
    let hash_of = |from: usize| -> u64 {
        // Hash of b[from..]: all minus the prefix shifted past it.
        h.wrapping_sub(prefix[from].wrapping_mul(pow[n - from]))
    };
    for (start, ch) in word.char_indices() {
        let end = start + ch.len_utf8();
        out.push(
            prefix[start]
                .wrapping_mul(pow[n - end])
                .wrapping_add(hash_of(end)),
        );
    }
}

impl OneEdit {
    pub fn new<'w>(words: impl Iterator<Item = &'w str>) -> OneEdit {
        let mut keys = Vec::new();
        let mut scratch = Vec::new();
        for (i, w) in words.enumerate() {
            scratch.clear();
            one_edit_keys(w, &mut scratch);
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            keys.extend(scratch.iter().map(|&k| (k, i)));
        }
        keys.sort_unstable();
        keys.dedup();
        let mut first = rustc_hash::FxHashMap::default();
        for (at, &(k, _)) in keys.iter().enumerate() {
            first
                .entry(k)
                .or_insert(u32::try_from(at).unwrap_or(u32::MAX));
        }
        OneEdit { keys, first }
    }

    /// The indexes of the words that may be within one edit of `query`
    /// (a superset: check each with [`edit_distance`]), ascending, each once.
    pub fn candidates(&self, query: &str) -> Vec<usize> {
        let mut qk = Vec::new();
        one_edit_keys(query, &mut qk);
        let mut out = Vec::new();
        for k in qk {
            let Some(&at) = self.first.get(&k) else {
                continue;
            };
            out.extend(
                self.keys[at as usize..]
                    .iter()
                    .take_while(|(kk, _)| *kk == k)
                    .map(|&(_, i)| i as usize),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn distance() {
        assert_eq!(super::edit_distance("proxy_passs", "proxy_pass"), 1);
        assert_eq!(super::edit_distance("", "abc"), 3);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn ascii_lowercase_copies_only_names_with_capitals() {
        use std::borrow::Cow;
        assert!(matches!(
            super::ascii_lowercase("backend_1"),
            Cow::Borrowed("backend_1")
        ));
        assert_eq!(super::ascii_lowercase("Back-END"), "back-end");
        assert_eq!(super::ascii_lowercase("Café"), "café");
    }

    /// Every word within one edit of a query is among its candidates, on
    /// words that differ by a substitution, an insertion, a deletion, in
    /// any position, with multi-byte characters.
    #[test]
    fn one_edit_finds_every_word_within_one_edit() {
        let words = [
            "app_0",
            "app_1",
            "app_10",
            "app_100",
            "/run/php/pool7.sock",
            "/run/php/pool17.sock",
            "/run/php/poo7.sock",
            "café",
            "cafe",
            "",
            "a",
            "ab",
            "ba",
            "xyz",
        ];
        let index = super::OneEdit::new(words.iter().copied());
        let queries = [
            "app_1",
            "app_2",
            "app_1001",
            "app_",
            "/run/php/pool8.sock",
            "/run/php/pool7.soc",
            "cafe",
            "caf",
            "cafés",
            "b",
            "",
            "ab",
            "zyx",
            "app_11",
        ];
        for q in queries {
            let got = index.candidates(q);
            for (i, w) in words.iter().enumerate() {
                if super::edit_distance(q, w) <= 1 {
                    assert!(got.contains(&i), "{q:?} misses {w:?}");
                }
            }
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{q:?}: {got:?}");
        }
    }
}
