//! `duplicate-upstream`: an `upstream` name defined twice (nginx compares
//! the names case-insensitively): `duplicate upstream "backend"`.

use crate::finding::Finding;
use crate::rules::schema::upstream_undefined::{UpstreamKind, upstream_block};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;
use rustc_hash::FxHashMap;

pub struct DuplicateUpstream;

impl Rule for DuplicateUpstream {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DUPLICATE_UPSTREAM]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        // The first definition of each (unit, kind, name), names compared
        // case-insensitively (a map: a pass over every earlier definition
        // for each is quadratic).
        let mut defs: FxHashMap<(usize, UpstreamKind, std::borrow::Cow<'_, str>), Span> =
            FxHashMap::default();
        cx.model.visits.walk_named(&["upstream"], &mut |v| {
            let Some((kind, name)) = upstream_block(v) else {
                return;
            };
            let d = v.directive;
            let key = (v.unit, kind, crate::text::ascii_lowercase(name));
            if let Some(&first) = defs.get(&key) {
                out.push(
                    Finding::error(
                        ids::DUPLICATE_UPSTREAM,
                        d.span,
                        format!("duplicate upstream \"{name}\""),
                    )
                    .with_help(
                        "upstream names are unique (case-insensitively): rename or merge one",
                    )
                    .with_related(first, "first defined here"),
                );
            } else {
                defs.insert(key, d.span);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn case_insensitive_per_subsystem() {
        let f = lint(
            ids::DUPLICATE_UPSTREAM,
            "events {}\nhttp { upstream app { server 127.0.0.1:1; } upstream APP { server 127.0.0.1:2; } upstream other { server 127.0.0.1:3; } }\n\
             stream { upstream app { server 127.0.0.1:1; } }\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "duplicate upstream \"APP\"");
    }
}
