//! `alias-traversal`: `location /i { alias /data/images/; }` maps
//! `/i../secret` to `/data/images/../secret`: one directory up. The same
//! happens when a regex capture that can begin with `..` follows a path
//! component without its `/`.

use crate::analysis::regex::Regex;
use crate::analysis::taint::{Seg, segments};
use crate::analysis::{LocKind, location_match};
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct AliasTraversal;

impl Rule for AliasTraversal {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ALIAS_TRAVERSAL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // The aliases from the name index, each judged against the location
        // it stands in, not by reading every directive of every location
        // for `alias`.
        for (sid, d) in m.named(&["alias"]) {
            let Some(loc) = m
                .scopes
                .get(sid)
                .and_then(|s| s.directive)
                .and_then(location_match)
            else {
                continue;
            };
            let Some(path) = d.arg(0) else { continue };
            match loc {
                (LocKind::Prefix | LocKind::PrefixNoRegex, prefix, _)
                    if !prefix.ends_with('/') && path.ends_with('/') =>
                {
                    out.push(
                            Finding::warning(
                                ids::ALIAS_TRAVERSAL,
                                d.span,
                                format!("location `{prefix}` has no trailing slash but its alias `{path}` has: `{prefix}../x` reads `{path}../x`, outside the directory"),
                            )
                            .with_related(loc.2.span, "the location")
                            .with_help(format!("end the location with a slash: `location {prefix}/`")),
                        );
                }
                (LocKind::Regex { icase }, pattern, _) => {
                    let re = Regex::parse(pattern, icase);
                    if !re.ok() {
                        continue;
                    }
                    let mut prev_lit_slash = true;
                    for seg in segments(path) {
                        let group = match seg {
                            Seg::Lit(l) => {
                                prev_lit_slash = l.ends_with('/');
                                continue;
                            }
                            Seg::Cap(n) => re.group(n),
                            Seg::Var(v) => re.named(v),
                        };
                        let Some(g) = group else {
                            prev_lit_slash = false;
                            continue;
                        };
                        let dot = re.first(g.node).contains(b'.');
                        let slash_before = re.preceding_literal(g.node) == Some(b'/');
                        if dot && !slash_before && prev_lit_slash {
                            out.push(
                                Finding::warning(
                                    ids::ALIAS_TRAVERSAL,
                                    d.span,
                                    format!("the capture in `alias {path}` can start with `..` (the location regex does not put a `/` before it): a request can climb out of the directory"),
                                )
                                .with_related(loc.2.span, "the location regex")
                                .with_help("put the `/` inside the regex before the capture (`^/site/(.*)$`) or exclude dots at its start"),
                            );
                            break;
                        }
                        prev_lit_slash = false;
                    }
                }
                _ => {}
            }
        }
    }
}
