//! `unanchored-regex`: a location regex that is meant to match a file
//! extension but has no `$` (`\.php` also matches `/x.php.jpg` and
//! `/x.phpinfo/`), when the location hands requests to a backend; or an
//! alternation anchored in one branch only (`^/admin|/login`).

use crate::finding::Finding;
use crate::model::Model;
use crate::rules::security::{LocKind, RegexCache, location_match};
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
        for (sid, s) in m.scopes.iter().enumerate() {
            let Some((LocKind::Regex { icase }, p, w)) = s.directive.and_then(location_match)
            else {
                continue;
            };
            if denies(m, sid) {
                continue;
            }
            let re = cache.get(p, icase);
            if !re.ok() {
                continue;
            }
            if re.mixed_anchoring() {
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
            if re.anchored_start() || re.anchored_end() || !ends_with_extension(p) {
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
    m.scopes[sid]
        .children
        .iter()
        .any(|d| PASSES.contains(&d.name()))
        || m.scopes
            .iter()
            .any(|s| s.parent == Some(sid) && s.children.iter().any(|d| PASSES.contains(&d.name())))
}

/// A location that only refuses: matching more is harmless.
fn denies(m: &Model<'_>, sid: usize) -> bool {
    m.scopes[sid].children.iter().any(|d| {
        (d.name() == "deny" && d.arg(0) == Some("all"))
            || (d.name() == "return"
                && d.arg(0)
                    .is_some_and(|c| c.starts_with('4') || c == "444" || c.starts_with('5')))
            || d.name() == "internal"
    })
}
