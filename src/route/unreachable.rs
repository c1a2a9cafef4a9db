//! Locations no URI can select, where the search order of
//! `ngx_http_core_find_location` makes that certain (see [`super::location`]):
//!
//! - a regex after an earlier regex of the same level that matches every
//!   URI it matches: the same pattern (the earlier one `~*` or the same
//!   case), or an earlier `LITERAL$` whose literal ends every match of the
//!   later one (`\.php$` before `^/admin/.*\.php$`);
//! - a prefix location (not `^~`, without nested locations) with a regex of
//!   the same level that matches every URI starting with the prefix
//!   (`~ ^/api` beside `location /api/`): the regex is tried after the
//!   prefix is found and wins.
//!
//! Anything less certain (regexes that merely overlap, lookarounds,
//! alternations) is left alone.

use crate::analysis::LocKind;
use crate::analysis::regex::{Assert, ByteSet, Node, NodeId, Regex};
use crate::model::ScopeId;

use super::location::Loc;

/// A location no request selects, and the one that takes its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    pub scope: ScopeId,
    pub by: ScopeId,
    pub why: &'static str,
}

/// Every unreachable location of a server's tree.
pub fn find(tree: &[Loc]) -> Vec<Unreachable> {
    let mut out = Vec::new();
    level(tree, &mut out);
    out
}

fn level(locs: &[Loc], out: &mut Vec<Unreachable>) {
    let regexes: Vec<(&Loc, bool, Regex)> = locs
        .iter()
        .filter_map(|l| match l.kind {
            LocKind::Regex { icase } => Some((l, icase, Regex::parse(&l.name, icase))),
            _ => None,
        })
        .filter(|(_, _, re)| re.ok())
        .collect();
    for (i, (later, icase, re)) in regexes.iter().enumerate() {
        let by = regexes[..i].iter().find_map(|(earlier, e_icase, e_re)| {
            let same = earlier.name == later.name && (*e_icase || !icase);
            if same {
                return Some((earlier.scope, "the same regex comes earlier"));
            }
            ends_with_suffix_of(e_re, &earlier.name, re).then_some((
                earlier.scope,
                "an earlier regex matches every URI it matches",
            ))
        });
        if let Some((by, why)) = by {
            out.push(Unreachable {
                scope: later.scope,
                by,
                why,
            });
        }
    }
    for p in locs
        .iter()
        .filter(|l| l.kind == LocKind::Prefix && l.children.is_empty())
    {
        if let Some((r, _, _)) = regexes
            .iter()
            .find(|(r, _, re)| covers_prefix(re, &r.name, p.name.as_bytes()))
        {
            out.push(Unreachable {
                scope: p.scope,
                by: r.scope,
                why: "a regex of the same level matches every URI that starts with it",
            });
        }
    }
    for l in locs {
        level(&l.children, out);
    }
}

/// The byte set of a node that matches exactly one byte.
fn set(re: &Regex, id: NodeId) -> Option<ByteSet> {
    match re.node(id) {
        Node::Set { set, .. } => Some(*set),
        _ => None,
    }
}

/// `earlier` is `L$` (single-byte items, then `$`) and `later` ends with
/// single-byte items each within L's, then `$`.
fn ends_with_suffix_of(earlier: &Regex, pattern: &str, later: &Regex) -> bool {
    let e = earlier.seq(earlier.root);
    let Some((&last, lits)) = e.split_last() else {
        return false;
    };
    if !matches!(earlier.node(last), Node::Assert(Assert::End))
        || earlier.text(pattern, last) != "$"
    {
        return false;
    }
    let Some(esets) = lits
        .iter()
        .map(|&id| set(earlier, id))
        .collect::<Option<Vec<_>>>()
    else {
        return false;
    };
    if esets.is_empty() {
        return false;
    }
    let l = later.seq(later.root);
    let Some((&llast, lrest)) = l.split_last() else {
        return false;
    };
    if !matches!(later.node(llast), Node::Assert(Assert::End)) || lrest.len() < esets.len() {
        return false;
    }
    let tail = &lrest[lrest.len() - esets.len()..];
    tail.iter()
        .zip(&esets)
        .all(|(&id, es)| set(later, id).is_some_and(|ls| !ls.is_empty() && ls.union(*es) == *es))
}

/// `re` matches every string that starts with `prefix`: single-byte items
/// that `prefix` satisfies (anchored at 0 with `^`, else at some offset
/// within it), then only items that may match nothing and assert nothing.
fn covers_prefix(re: &Regex, pattern: &str, prefix: &[u8]) -> bool {
    let seq = re.seq(re.root);
    let (anchored, seq) = match seq.split_first() {
        Some((&f, rest)) if matches!(re.node(f), Node::Assert(Assert::Start)) => (true, rest),
        _ => (false, &seq[..]),
    };
    let n = seq.iter().take_while(|&&id| set(re, id).is_some()).count();
    if n == 0 {
        return false;
    }
    let rest = &seq[n..];
    let quiet = |id: NodeId| {
        let t = re.text(pattern, id);
        re.nullable(id) && !t.contains(['$', '\\', '(', '^']) || t == "(.*)" || t == "(.*)?"
    };
    if !rest.iter().all(|&id| quiet(id)) {
        return false;
    }
    let sets: Vec<ByteSet> = seq[..n].iter().filter_map(|&id| set(re, id)).collect();
    let fits = |at: usize| {
        sets.iter()
            .enumerate()
            .all(|(j, s)| prefix.get(at + j).is_some_and(|b| s.contains(*b)))
    };
    if anchored {
        fits(0)
    } else {
        (0..prefix.len()).any(fits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(scope: ScopeId, kind: LocKind, name: &str) -> Loc {
        Loc {
            scope,
            kind,
            name: name.into(),
            children: Vec::new(),
            auto_redirect: false,
            re: None,
        }
    }

    const RE: LocKind = LocKind::Regex { icase: false };
    const REI: LocKind = LocKind::Regex { icase: true };

    #[test]
    fn shadowed_regexes() {
        let t = [
            loc(1, RE, r"\.php$"),
            loc(2, RE, r"^/admin/.*\.php$"),
            loc(3, RE, r"\.(php|phtml)$"),
            loc(4, REI, r"\.php$"),
            loc(5, RE, r"\.php$"),
            loc(6, RE, r"^/x\.php/"),
        ];
        let u: Vec<(ScopeId, ScopeId)> = find(&t).iter().map(|u| (u.scope, u.by)).collect();
        // `~* \.php$` also matches .PHP, which `~ \.php$` does not.
        assert_eq!(u, vec![(2, 1), (5, 1)]);
    }

    #[test]
    fn prefixes_taken_by_a_regex() {
        let t = [
            loc(1, LocKind::Prefix, "/api/"),
            loc(2, LocKind::PrefixNoRegex, "/static/"),
            loc(3, LocKind::Prefix, "/img/"),
            loc(4, LocKind::Prefix, "/other/"),
            loc(5, RE, "^/api"),
            loc(6, RE, "^/static/"),
            loc(7, REI, "/IMG/(.*)"),
            loc(8, RE, r"^/other/.+\.js$"),
        ];
        let u: Vec<(ScopeId, ScopeId)> = find(&t).iter().map(|u| (u.scope, u.by)).collect();
        assert_eq!(u, vec![(1, 5), (3, 7)]);
    }
}
