//! Candidate request paths for a location, built from its pattern: the
//! exact name, the prefix and a few paths under it, and for a regex the
//! shortest strings its parsed AST spells (literals, a legal path byte of
//! each class, minimum repetitions, each alternative, anchors as nothing).
//! These are only candidates: [`super::reach`] keeps one only when the
//! location search itself sends it to the location.

use crate::analysis::LocKind;
use crate::analysis::regex::{ByteSet, GroupKind, Node, NodeId, Regex};

/// At most this many strings per node (alternatives times repetitions).
const VARIANTS: usize = 8;
/// A repetition whose minimum is larger than this spells no candidate.
const MAX_MIN_REPEAT: u32 = 256;
/// Nor does a string longer than this (nested repetitions multiply:
/// `((a{200}){200}){200}`).
const MAX_LEN: usize = 2048;

/// Bytes a request path may carry as they are (RFC 3986 `pchar` and `/`),
/// in the order an example prefers them: `x` first, so `(.+)\.php$`
/// reads `/x.php`.
const PATH_BYTES: &[u8] =
    b"xabcdefghijklmnopqrstuvwyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~/!$&'()*+,;=:@";

fn legal(b: u8) -> bool {
    PATH_BYTES.contains(&b)
}

/// A byte of `set` for an example: the literal as written when it is a
/// legal path byte, else the first legal byte of the class.
fn pick(set: &ByteSet, lit: Option<u8>) -> Option<u8> {
    lit.filter(|&b| legal(b) && set.contains(b))
        .or_else(|| PATH_BYTES.iter().copied().find(|&b| set.contains(b)))
}

/// Short strings a regex matches when it starts matching at the start of
/// the string, or None when the AST holds something we do not spell
/// (back-references, recursion) or a class without a legal path byte.
pub fn regex_strings(re: &Regex) -> Option<Vec<Vec<u8>>> {
    if !re.ok() {
        return None;
    }
    strings(re, re.root)
}

fn strings(re: &Regex, id: NodeId) -> Option<Vec<Vec<u8>>> {
    Some(match re.node(id) {
        Node::Empty | Node::Assert(_) => vec![Vec::new()],
        Node::Set { set, lit, .. } => vec![vec![pick(set, *lit)?]],
        // A lookaround consumes nothing: the search decides whether it holds.
        Node::Group {
            kind: GroupKind::Look,
            ..
        } => vec![Vec::new()],
        Node::Group { child, .. } => strings(re, *child)?,
        Node::Concat(items) => {
            let mut acc = vec![Vec::new()];
            for &c in items {
                let tails = strings(re, c)?;
                acc = acc
                    .iter()
                    .flat_map(|a| {
                        tails.iter().map(move |t| {
                            let mut s = a.clone();
                            s.extend_from_slice(t);
                            s
                        })
                    })
                    .filter(|s| s.len() <= MAX_LEN)
                    .take(VARIANTS)
                    .collect();
                if acc.is_empty() {
                    return None;
                }
            }
            acc
        }
        Node::Alt(alts) => {
            // An alternative we cannot spell does not stop the others.
            let v: Vec<Vec<u8>> = alts
                .iter()
                .filter_map(|&a| strings(re, a))
                .flatten()
                .take(VARIANTS)
                .collect();
            if v.is_empty() {
                return None;
            }
            v
        }
        Node::Repeat {
            child, min, max, ..
        } => repeat(re, *child, *min, *max)?,
        Node::Opaque => return None,
    })
}

/// The child's strings repeated the minimum number of times, then once
/// more when the maximum allows (`(www\.)?` spells "" and "www.", `.+`
/// "x" and "xx"). A class repeated from 0 (`.*`, `[^/]*`) spells one
/// byte first: `/assets/x.eot` reads better than `/assets/.eot`.
fn repeat(re: &Regex, child: NodeId, min: u32, max: Option<u32>) -> Option<Vec<Vec<u8>>> {
    if min > MAX_MIN_REPEAT {
        return None;
    }
    let kids = strings(re, child);
    let Some(kids) = kids else {
        // `(?:\1)*` can still match nothing.
        return (min == 0).then(|| vec![Vec::new()]);
    };
    let kids: Vec<Vec<u8>> = kids
        .into_iter()
        .filter(|k| k.len() * (min as usize + 1) <= MAX_LEN)
        .collect();
    if kids.is_empty() {
        return (min == 0).then(|| vec![Vec::new()]);
    }
    let mut out: Vec<Vec<u8>> = kids
        .iter()
        .map(|k| k.repeat(min as usize))
        .take(VARIANTS)
        .collect();
    if max.is_none_or(|m| m > min) {
        let once_more = kids
            .iter()
            .take(VARIANTS / 2)
            .map(|k| k.repeat(min as usize + 1));
        let class = matches!(re.node(child), Node::Set { set, .. } if set.count() > 1);
        if min == 0 && class {
            out = once_more.chain(out).collect();
        } else {
            out.extend(once_more);
        }
    }
    out.dedup();
    Some(out)
}

/// Candidate paths for a location of `kind` named `name`, inside the
/// locations whose own candidates are `outer` (innermost first; paths a
/// nested location's requests also start with).
pub fn candidates(kind: LocKind, name: &str, outer: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    match kind {
        LocKind::Named => {}
        LocKind::Exact => out.push(name.as_bytes().to_vec()),
        LocKind::Prefix | LocKind::PrefixNoRegex => {
            let n = name.as_bytes();
            out.push(n.to_vec());
            for tail in [&b"x"[..], b"x/", b"/x", b"a", b"index.html"] {
                out.push([n, tail].concat());
            }
        }
        LocKind::Regex { icase } => {
            let Some(spelled) = regex_strings(&Regex::parse(name, icase)) else {
                return out;
            };
            let mut bases: Vec<&[u8]> = outer.iter().map(|o| o.as_slice()).collect();
            bases.push(b"/");
            for s in &spelled {
                regex_paths(s, &bases, &mut out);
            }
            // A match ending in a dot segment (`/\.` spells `/.`, which
            // nginx resolves away), or anchored where its first class
            // also takes the leading `/` (`^.+\.php$`).
            for s in &spelled {
                out.push([s.as_slice(), b"x"].concat());
                if let Some(rest) = s.get(1..) {
                    out.push([b"/", rest].concat());
                }
            }
            // `~*` after a `~` of the same letters: only the other case
            // reaches it.
            if icase {
                let upper: Vec<Vec<u8>> = out.iter().map(|c| c.to_ascii_uppercase()).collect();
                out.extend(upper);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

/// A string a regex matches, as a path: itself when it starts with `/`,
/// else after each base (with an `x` between when the string starts with
/// punctuation, so `\.php$` reads `/x.php` rather than `/.php`).
fn regex_paths(s: &[u8], bases: &[&[u8]], out: &mut Vec<Vec<u8>>) {
    if let Some(rest) = s.strip_prefix(b"/") {
        // Nested: the enclosing location's path, then this one.
        for base in bases {
            match base.strip_suffix(b"/") {
                Some(b) => out.push([b, b"/", rest].concat()),
                None => out.push([*base, s].concat()),
            }
        }
        return;
    }
    let alnum_first = s.first().is_some_and(|b| b.is_ascii_alphanumeric());
    for base in bases {
        let plain = [*base, s].concat();
        let with_x = [*base, b"x", s].concat();
        if alnum_first {
            out.extend([plain, with_x]);
        } else {
            out.extend([with_x, plain]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelled(p: &str) -> Vec<String> {
        regex_strings(&Regex::parse(p, false))
            .unwrap_or_default()
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    fn cands(kind: LocKind, name: &str, outer: &[&str]) -> Vec<String> {
        let outer: Vec<Vec<u8>> = outer.iter().map(|o| o.as_bytes().to_vec()).collect();
        candidates(kind, name, &outer)
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    const RE: LocKind = LocKind::Regex { icase: false };

    #[test]
    fn literals_classes_and_anchors() {
        assert_eq!(spelled(r"\.php$"), [".php"]);
        assert_eq!(spelled(r"^/api/v[0-9]+/"), ["/api/v0/", "/api/v00/"]);
        // `[^/]` has no `/`: the first preferred byte it has.
        assert_eq!(spelled(r"^/u/[^/]+$")[0], "/u/x");
        assert_eq!(spelled(r"^/(?:a|bb)/"), ["/a/", "/bb/"]);
        assert_eq!(spelled(r"/x{3}"), ["/xxx"]);
        // `?` is no path byte: the class's other member.
        assert_eq!(spelled(r"[?z]"), ["z"]);
    }

    #[test]
    fn repetitions_spell_the_minimum_then_one() {
        assert_eq!(spelled(r"^/a.*$"), ["/ax", "/a"]);
        assert_eq!(spelled(r"^/(www\.)?a"), ["/a", "/www.a"]);
        assert_eq!(spelled(r"^/(.+)\.php$"), ["/x.php", "/xx.php"]);
        assert_eq!(spelled(r"^/a{2,3}"), ["/aa", "/aaa"]);
        assert_eq!(spelled(r"b{0}"), [""]);
    }

    #[test]
    fn what_cannot_be_spelled() {
        assert!(spelled(r"(a)\1").is_empty());
        assert!(spelled(r"[?#]").is_empty());
        assert!(spelled(r"(").is_empty());
        // Nested repetitions would spell 8 MB.
        assert!(spelled(r"((a{200}){200}){200}").is_empty());
        assert_eq!(spelled(r"^/((a{200}){200}){0,200}$"), ["/"]);
        // One alternative is enough.
        assert_eq!(spelled(r"(a)\1|b"), ["b"]);
        // A lookahead spells nothing; the search decides.
        assert_eq!(spelled(r"^/(?!admin)x"), ["/x"]);
    }

    #[test]
    fn candidate_paths() {
        assert_eq!(cands(LocKind::Exact, "/ping", &[]), ["/ping"]);
        assert_eq!(
            cands(LocKind::Prefix, "/api/", &[])[..3],
            ["/api/", "/api/x", "/api/x/"]
        );
        assert_eq!(cands(RE, r"\.php$", &[])[..2], ["/x.php", "/.php"]);
        // `/.` is a dot segment nginx removes: `/.x` is the path.
        assert!(cands(RE, r"/\.", &[]).contains(&"/.x".to_string()));
        // `.+` takes the leading `/` too.
        assert!(cands(RE, r"^.+\.php$", &[]).contains(&"/x.php".to_string()));
        // `~*`: the other case as well.
        let icase = cands(LocKind::Regex { icase: true }, r"\.php$", &[]);
        assert!(icase.contains(&"/X.PHP".to_string()));
        assert_eq!(cands(RE, r"^/static/", &[])[0], "/static/");
        assert_eq!(cands(RE, r"(.+)\.js$", &[])[..2], ["/x.js", "/xx.js"]);
        // Nested in `location /admin/`: its paths come first.
        assert_eq!(
            cands(RE, r"\.php$", &["/admin/"])[..2],
            ["/admin/x.php", "/admin/.php"]
        );
        assert!(cands(LocKind::Named, "@fallback", &[]).is_empty());
        assert!(cands(RE, r"(a)\1", &[]).is_empty());
    }
}
