//! `unanchored-regex`: a location regex that is meant to match a file
//! extension but has no `$` (`\.php` also matches `/x.php.jpg` and
//! `/x.phpinfo/`), when the location hands requests to a backend; or an
//! alternation anchored in one branch only (`^/admin|/login`).

use crate::analysis::{LocKind, RegexCache, location_match};
use crate::finding::Finding;
use crate::model::Model;
use crate::rules::{Check, Rule, ids};

pub struct UnanchoredRegex;

const PASSES: &[&str] = &[
    "fastcgi_pass",
    "proxy_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
];

impl Rule for UnanchoredRegex {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::UNANCHORED_REGEX]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let mut cache = RegexCache::default();
        // The location blocks only (their directives and, for a few, their
        // own children from the name index), not every block's
        // directives. Findings are sorted
        // after the run, so the list's order (inner locations first) does
        // not show.
        for (sid, d) in m.location_blocks() {
            let Some((LocKind::Regex { icase }, p, w)) = location_match(d) else {
                continue;
            };
            let re = cache.get(p, icase);
            if !re.ok() {
                continue;
            }
            // Whether the location only refuses is asked last (three
            // lookups in the name index), of the regexes that would be
            // reported: most are anchored.
            let mixed = re.mixed_anchoring();
            if !mixed && (re.anchored_start() || re.anchored_end() || !ends_with_extension(p)) {
                continue;
            }
            if denies(m, sid) {
                continue;
            }
            if mixed {
                out.push(
                    Finding::warning(
                        ids::UNANCHORED_REGEX,
                        w.span,
                        format!("`{p}`: `^` anchors only the first alternative; the others match anywhere in the URI"),
                    )
                    .with_help("anchor every alternative, or group them: `^/(?:a|b)`"),
                );
                continue;
            }
            if !passes(m, sid) {
                continue;
            }
            out.push(
                Finding::warning(
                    ids::UNANCHORED_REGEX,
                    w.span,
                    format!("`{p}` has no `$`: it also matches `/upload/x{}.jpg`, so such files reach the backend", extension_text(p)),
                )
                .with_help(format!("anchor the end: `location ~ {p}$`")),
            );
        }
    }
}

/// Does the pattern end in `\.ext` or `\.(a|b)`?
fn ends_with_extension(p: &str) -> bool {
    let Some(i) = p.rfind("\\.") else {
        return false;
    };
    let tail = &p[i + 2..];
    !tail.is_empty()
        && tail
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'(' | b')' | b'|' | b'?' | b':'))
        && tail.bytes().any(|b| b.is_ascii_alphabetic())
}

fn extension_text(p: &str) -> String {
    let i = p.rfind("\\.").unwrap_or(0);
    let tail: String = p[i + 2..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    if tail.is_empty() {
        ".php".to_string()
    } else {
        format!(".{tail}")
    }
}

/// Does the location (or a block inside it) hand requests to a backend?
fn passes(m: &Model<'_>, sid: usize) -> bool {
    let own = |s: usize| PASSES.iter().any(|n| m.has(s, n));
    // Scopes are numbered in walk order (a block, then the blocks inside
    // it): the blocks inside `sid` follow it, up to the first scope whose
    // parent comes before it.
    own(sid)
        || m.scopes
            .iter()
            .enumerate()
            .skip(sid + 1)
            .take_while(|(_, s)| s.parent.is_some_and(|p| p >= sid))
            .any(|(i, s)| s.parent == Some(sid) && own(i))
}

/// A location that only refuses: matching more is harmless.
fn denies(m: &Model<'_>, sid: usize) -> bool {
    m.own(sid, "deny").any(|d| d.arg(0) == Some("all"))
        || m.own(sid, "return").any(|d| {
            d.arg(0)
                .is_some_and(|c| c.starts_with('4') || c == "444" || c.starts_with('5'))
        })
        || m.has(sid, "internal")
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    /// A pass in a block directly inside the location counts; one in a
    /// sibling location or two blocks down does not; a location that
    /// refuses (`return 403`, `internal`, `deny all` under a half-anchored
    /// regex) is left alone.
    #[test]
    fn passes_and_denies() {
        let f = lint(
            ids::UNANCHORED_REGEX,
            "events {}\nhttp {\n    server_tokens off;\n    server {\n        listen 80;\n        location ~ \\.php {\n            if ($arg_x) { fastcgi_pass 127.0.0.1:9000; }\n        }\n        location ~ \\.jpg { expires 1d; }\n        location /api/ { proxy_pass http://127.0.0.1:8080; }\n        location ~ \\.cgi {\n            location /a/ { if ($arg_x) { proxy_pass http://127.0.0.1:8080; } }\n        }\n        location ~ \\.bak { return 403; proxy_pass http://127.0.0.1:8080; }\n        location ~ \\.inc { internal; proxy_pass http://127.0.0.1:8080; }\n        location ~ \\.py { proxy_pass http://127.0.0.1:8080; }\n        location ~ ^/adm|/login { deny all; }\n    }\n}\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].starts_with("`\\.php` has no `$`"), "{m:?}");
        assert!(m[1].starts_with("`\\.py` has no `$`"), "{m:?}");
    }
}
