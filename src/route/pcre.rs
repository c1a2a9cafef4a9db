//! Matching a subject against a pattern parsed by the project's PCRE parser
//! ([`crate::analysis::regex`]), the way `pcre2_match` does for nginx's
//! locations and server names: an unanchored search, leftmost start,
//! backtracking in PCRE's order (greedy first, alternatives left to right),
//! with the capture groups nginx hands to `$1` … `$9`.
//!
//! What the parser keeps opaque (back-references, recursion, verbs other
//! than a leading option, unusual assertions) makes the answer unknown, as
//! does a search longer than a step budget: the caller then lists both
//! outcomes instead of guessing.

use crate::analysis::regex::{Assert, GroupKind, Node, NodeId, Regex};

/// At most this many node visits per search (PCRE2's own default match
/// limit is 10,000,000; a location regex that needs more than this on a
/// request line is pathological, and unknown is the honest answer).
const STEP_LIMIT: u64 = 2_000_000;
/// Nested calls (one per repeated item): bounds the stack on long subjects.
const DEPTH_LIMIT: u32 = 3_000;

/// A capture: byte range in the subject.
pub type Span = Option<(usize, usize)>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// Group 0 (the whole match) then each capture group.
    Match(Vec<Span>),
    NoMatch,
    /// Why the matcher cannot tell.
    Unknown(&'static str),
}

/// Search `subject` for `re` (parsed from `pattern`).
pub fn search(re: &Regex, pattern: &str, subject: &[u8]) -> Found {
    if !re.ok() {
        return Found::Unknown("the regex does not compile");
    }
    let mut m = Matcher {
        re,
        pat: pattern.as_bytes(),
        s: subject,
        steps: 0,
        depth: 0,
        unknown: None,
        caps: vec![None; re.groups.len() + 1],
    };
    for start in 0..=subject.len() {
        m.caps.iter_mut().for_each(|c| *c = None);
        let mut end = None;
        let hit = m.node(re.root, start, &mut |_, e| {
            end = Some(e);
            true
        });
        if let Some(why) = m.unknown {
            return Found::Unknown(why);
        }
        if hit && let Some(e) = end {
            let mut caps = m.caps.clone();
            caps[0] = Some((start, e));
            return Found::Match(caps);
        }
        // `^`/`\A` only match at 0: no later start can.
        if re.anchored_start() && !multiline(pattern) {
            break;
        }
    }
    Found::NoMatch
}

/// `(?m` anywhere: `^` and `$` then match at line breaks, which we do not
/// model, so the anchored short cut is not taken.
fn multiline(pattern: &str) -> bool {
    pattern.contains("(?m") || pattern.contains("(?im") || pattern.contains("(?sm")
}

type Cont<'k, 'a> = dyn FnMut(&mut Matcher<'a>, usize) -> bool + 'k;

struct Matcher<'a> {
    re: &'a Regex,
    pat: &'a [u8],
    s: &'a [u8],
    steps: u64,
    depth: u32,
    unknown: Option<&'static str>,
    caps: Vec<Span>,
}

impl<'a> Matcher<'a> {
    fn give_up(&mut self, why: &'static str) -> bool {
        self.unknown.get_or_insert(why);
        false
    }

    /// The pattern text of a node (for what the parser folds together).
    fn text(&self, id: NodeId) -> &'a [u8] {
        let (a, b) = self.re.spans.get(id as usize).copied().unwrap_or((0, 0));
        self.pat.get(a as usize..b as usize).unwrap_or(&[])
    }

    fn node(&mut self, id: NodeId, pos: usize, k: &mut Cont<'_, 'a>) -> bool {
        if self.unknown.is_some() {
            return false;
        }
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return self.give_up("the regex needs too many steps on this subject");
        }
        if self.depth > DEPTH_LIMIT {
            return self.give_up("the subject is too long for the regex");
        }
        self.depth += 1;
        let r = self.node_inner(id, pos, k);
        self.depth -= 1;
        r
    }

    fn node_inner(&mut self, id: NodeId, pos: usize, k: &mut Cont<'_, 'a>) -> bool {
        let re = self.re;
        match re.node(id) {
            Node::Empty => k(self, pos),
            Node::Set { set, .. } => match self.s.get(pos) {
                Some(&b) if set.contains(b) => k(self, pos + 1),
                _ => false,
            },
            Node::Assert(a) => match self.assert(*a, id, pos) {
                Some(true) => k(self, pos),
                Some(false) => false,
                None => self.give_up("the regex uses an assertion we do not model"),
            },
            Node::Group { kind, child } => self.group(*kind, *child, id, pos, k),
            Node::Concat(v) => self.seq(v, 0, pos, k),
            Node::Alt(v) => {
                for &b in v {
                    if self.node(b, pos, k) {
                        return true;
                    }
                }
                false
            }
            Node::Repeat {
                child,
                min,
                max,
                possessive,
            } => {
                let q = Rep {
                    child: *child,
                    min: *min,
                    max: *max,
                    lazy: self.lazy(id, *child),
                };
                if *possessive {
                    let mut end = None;
                    let mut first = |_: &mut Matcher<'a>, e| {
                        end = Some(e);
                        true
                    };
                    if !self.repeat(q, 0, pos, &mut first) {
                        return false;
                    }
                    end.is_some_and(|e| k(self, e))
                } else {
                    self.repeat(q, 0, pos, k)
                }
            }
            Node::Opaque => {
                self.give_up("the regex uses a back-reference or recursion we do not model")
            }
        }
    }

    /// `*?`, `+?`, `??`, `{n,m}?`: the quantifier's own text ends in `?`.
    fn lazy(&self, id: NodeId, child: NodeId) -> bool {
        let end_child = self.re.spans.get(child as usize).map_or(0, |s| s.1);
        let (_, end) = self.re.spans.get(id as usize).copied().unwrap_or((0, 0));
        let q = self
            .pat
            .get(end_child as usize..end as usize)
            .unwrap_or(&[]);
        q.len() > 1 && q.ends_with(b"?")
    }

    fn assert(&self, a: Assert, id: NodeId, pos: usize) -> Option<bool> {
        let n = self.s.len();
        let text = self.text(id);
        Some(match a {
            Assert::Start => pos == 0,
            Assert::End if text == b"\\z" => pos == n,
            // `$` and `\Z`: at the end or before a final line feed.
            Assert::End => pos == n || (pos + 1 == n && self.s[pos] == b'\n'),
            Assert::Other => {
                let word = |i: usize| {
                    self.s
                        .get(i)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                };
                let boundary = (pos > 0 && word(pos - 1)) != word(pos);
                match text {
                    b"\\b" => boundary,
                    b"\\B" => !boundary,
                    // One search from offset 0: `\G` holds at 0 only; `\K`
                    // moves the reported start, not whether it matches.
                    b"\\G" => pos == 0,
                    b"\\K" => true,
                    t if t.starts_with(b"(*UTF") || t.starts_with(b"(*UCP") => true,
                    _ => return None,
                }
            }
        })
    }

    fn group(
        &mut self,
        kind: GroupKind,
        child: NodeId,
        id: NodeId,
        pos: usize,
        k: &mut Cont<'_, 'a>,
    ) -> bool {
        match kind {
            GroupKind::NonCapture => self.node(child, pos, k),
            GroupKind::Capture(n) => {
                let n = n as usize;
                self.node(child, pos, &mut |m: &mut Matcher<'a>, e| {
                    let old = m.caps.get(n).copied().flatten();
                    if let Some(c) = m.caps.get_mut(n) {
                        *c = Some((pos, e));
                    }
                    if k(m, e) {
                        return true;
                    }
                    if let Some(c) = m.caps.get_mut(n) {
                        *c = old;
                    }
                    false
                })
            }
            GroupKind::Atomic => {
                let mut end = None;
                let hit = self.node(child, pos, &mut |_, e| {
                    end = Some(e);
                    true
                });
                hit && end.is_some_and(|e| k(self, e))
            }
            GroupKind::Look => self.look(child, id, pos, k),
        }
    }

    fn look(&mut self, child: NodeId, id: NodeId, pos: usize, k: &mut Cont<'_, 'a>) -> bool {
        let text = self.text(id);
        let (behind, negative) = if text.starts_with(b"(?=") {
            (false, false)
        } else if text.starts_with(b"(?!") {
            (false, true)
        } else if text.starts_with(b"(?<=") {
            (true, false)
        } else if text.starts_with(b"(?<!") {
            (true, true)
        } else {
            return self.give_up("the regex uses an assertion we do not model");
        };
        let saved = self.caps.clone();
        let hit = if behind {
            (0..=pos).any(|start| self.node(child, start, &mut |_, e| e == pos))
        } else {
            self.node(child, pos, &mut |_, _| true)
        };
        if negative {
            self.caps = saved;
        }
        hit != negative && k(self, pos)
    }

    fn seq(&mut self, v: &[NodeId], i: usize, pos: usize, k: &mut Cont<'_, 'a>) -> bool {
        match v.get(i) {
            None => k(self, pos),
            Some(&c) => self.node(c, pos, &mut |m: &mut Matcher<'a>, e| m.seq(v, i + 1, e, k)),
        }
    }

    fn repeat(&mut self, q: Rep, count: u32, pos: usize, k: &mut Cont<'_, 'a>) -> bool {
        let more = q.max.is_none_or(|m| count < m);
        let enough = count >= q.min;
        let again = |m: &mut Matcher<'a>, k: &mut Cont<'_, 'a>| {
            more && m.node(q.child, pos, &mut |m: &mut Matcher<'a>, e| {
                // An empty iteration once the minimum is met ends the loop
                // (PCRE stops a repeat that matched the empty string).
                if e == pos && enough {
                    return false;
                }
                m.repeat(q, count.saturating_add(1), e, k)
            })
        };
        // Lazy: stop first, then one more; greedy: one more first.
        if q.lazy {
            if enough && k(self, pos) {
                return true;
            }
            again(self, k)
        } else if again(self, k) {
            true
        } else {
            enough && k(self, pos)
        }
    }
}

#[derive(Clone, Copy)]
struct Rep {
    child: NodeId,
    min: u32,
    max: Option<u32>,
    lazy: bool,
}

/// `$1` … `$9` and `$name` of a match, as text.
pub fn capture<'s>(caps: &[Span], subject: &'s [u8], n: usize) -> &'s [u8] {
    match caps.get(n).copied().flatten() {
        Some((a, b)) => subject.get(a..b).unwrap_or(&[]),
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(p: &str, icase: bool, s: &str) -> Found {
        search(&Regex::parse(p, icase), p, s.as_bytes())
    }

    fn hit(p: &str, s: &str) -> bool {
        matches!(find(p, false, s), Found::Match(_))
    }

    #[test]
    fn anchors_classes_and_alternatives() {
        assert!(hit(r"\.php$", "/index.php"));
        assert!(!hit(r"\.php$", "/index.php/x"));
        assert!(hit(r"\.php$", "/index.php\n"));
        assert!(!hit(r"\.php\z", "/index.php\n"));
        assert!(hit(r"^/(api|v[0-9]+)/", "/v12/x"));
        assert!(!hit(r"^/(api|v[0-9]+)/", "/x/v12/x"));
        assert!(hit(r"/[^/]+\.(jpe?g|png)$", "/a/b.jpeg"));
        assert!(!hit(r"^/a{2,3}$", "/aaaa"));
        assert!(hit(r"^/a{2,3}$", "/aaa"));
        assert!(matches!(find(r"\.PNG$", true, "/X.png"), Found::Match(_)));
        assert!(!hit(r"\.PNG$", "/X.png"));
    }

    #[test]
    fn captures_follow_pcre_order() {
        let s = "/shop/item/42";
        let Found::Match(c) = find(r"^/(\w+)/(.*)/(\d+)$", false, s) else {
            panic!("no match")
        };
        assert_eq!(capture(&c, s.as_bytes(), 1), b"shop");
        assert_eq!(capture(&c, s.as_bytes(), 2), b"item");
        assert_eq!(capture(&c, s.as_bytes(), 3), b"42");
        let Found::Match(c) = find(r"^/(.*?)/", false, "/a/b/c") else {
            panic!("no match")
        };
        assert_eq!(capture(&c, b"/a/b/c", 1), b"a");
        let Found::Match(c) = find(r"(?<host>[^.]+)\.example\.com$", false, "www.example.com")
        else {
            panic!("no match")
        };
        assert_eq!(capture(&c, b"www.example.com", 1), b"www");
    }

    #[test]
    fn lookaround_boundaries_and_atomic() {
        assert!(hit(r"^/(?!admin)", "/shop"));
        assert!(!hit(r"^/(?!admin)", "/admin"));
        assert!(hit(r"(?<=/api)/v1", "/api/v1"));
        assert!(!hit(r"(?<!/api)/v1", "/api/v1"));
        assert!(hit(r"\bfoo\b", "/foo/"));
        assert!(!hit(r"\bfoo\b", "/food"));
        assert!(!hit(r"^(?>a*)a", "aaa"));
        assert!(!hit(r"^a*+a", "aaa"));
        assert!(hit(r"^(a|)*$", "aa"));
    }

    #[test]
    fn opaque_is_unknown() {
        assert!(matches!(find(r"(a)\1", false, "aa"), Found::Unknown(_)));
        assert!(matches!(find(r"(", false, "aa"), Found::Unknown(_)));
    }
}
