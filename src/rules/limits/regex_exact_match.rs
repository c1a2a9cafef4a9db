//! regex-exact-match: `location ~ ^/path$` whose pattern is plain text
//! between the anchors matches one URI, which `location = /path` says
//! without a regex run on every request that reaches the regex list.
//!
//! nginx's order (ngx_http_core_find_location, and the `location` docs):
//! exact matches are tested first and end the search; regexes are run in
//! order only after the prefix search, one PCRE match per regex per
//! request. Left alone, where the rewrite would not be the same
//! configuration: a location nested in another (an exact location must lie
//! inside its parent's prefix), one holding locations of its own (nginx:
//! "location ... cannot be inside the exact location"), and a `~*` pattern
//! with letters (`=` compares case-sensitively).

use crate::analysis::{LocKind, anchored_literal, location_match};
use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::nginx::lexer::Word;
use crate::rules::{Check, Rule, ids};

pub struct RegexExactMatch;

impl Rule for RegexExactMatch {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::REGEX_EXACT_MATCH]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (sid, d) in m.location_blocks() {
            let Some((LocKind::Regex { icase }, p, w)) = location_match(d) else {
                continue;
            };
            let Some(lit) = anchored_literal(p) else {
                continue;
            };
            if !lit.starts_with('/') || (icase && lit.bytes().any(|b| b.is_ascii_alphabetic())) {
                continue;
            }
            let scope = &m.scopes[sid];
            let nested = scope
                .parent
                .is_some_and(|p| m.scopes[p].ctx == Ctx::Location);
            let has_inner = m.children(scope).iter().any(|c| c.name() == "location");
            if nested || has_inner {
                continue;
            }
            out.push(finding(w, p, &lit));
        }
    }
}

fn finding(w: &Word, p: &str, lit: &str) -> Finding {
    Finding::info(
        ids::REGEX_EXACT_MATCH,
        w.span,
        format!("`{p}` matches only `{lit}`: an exact location says the same without a regex"),
    )
    .with_help(format!(
        "use `location = {lit}`: nginx tests exact locations first and stops there, where a regex location costs a PCRE match on every request that reaches the regex list; an exact location also wins over the other regexes, so check none of those earlier in the server should handle `{lit}`"
    ))
}
