//! proxy-pass-uri-normalized: `proxy_pass` with a URI part (`http://app/`,
//! `http://app/api/`) in a prefix or exact location. nginx then builds the
//! upstream path from its decoded, normalised URI (the `proxy_pass` docs:
//! "the part of a normalized request URI matching the location is replaced
//! by a URI specified in the directive"): ngx_http_proxy_create_request
//! re-escapes `r->uri` with NGX_ESCAPE_URI, which leaves `/` alone, so an
//! encoded `%2F` reaches the backend as `/` and `%2E%2E` segments are
//! already resolved. Without a URI part the client's bytes are passed as
//! sent.
//!
//! In a regex or named location, `if` or `limit_except` nginx refuses the
//! URI part; `directive-value` reports that as an error, so those are left
//! to it. With variables the URI is passed as evaluated, not replaced.
//!
//! The raw-path idiom gone wrong (gixy's `rewrite ^ $request_uri` case):
//! a location that rewrites to `$request_uri`, still percent-encoded, and
//! stops with `break`, then passes with a `proxy_pass` without variables:
//! nginx escapes the URI once more, and ignores any URI part (the URI was
//! changed by `rewrite ... break`). Checked with nginx 1.22.1:
//! `rewrite ^ $request_uri; rewrite ^/a(/.*) $1 break; proxy_pass
//! http://b;` sends `/a/a%2Fb/..%2Fc` as `/a%252Fb/..%252Fc` and
//! `/a/sp%20ace?q=1` as `/sp%2520ace%3Fq=1?q=1`; `proxy_pass http://b$uri;`
//! sends `/a%2Fb/..%2Fc` and `/sp%20ace?q=1`.

use crate::analysis::{LocKind, location_match, proxy_pass_uri};
use crate::finding::Finding;
use crate::model::Model;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct ProxyPassUriNormalized;

impl Rule for ProxyPassUriNormalized {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_PASS_URI_NORMALIZED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (scope, d) in m.named(&["proxy_pass"]) {
            let s = &m.scopes[scope];
            if s.ctx != Ctx::Location {
                continue;
            }
            if let Some(rw) = reencodes(m, scope, d) {
                out.push(double_encoded(d, rw));
                continue;
            }
            let Some((kind, prefix, _)) = s.directive.and_then(location_match) else {
                continue;
            };
            if !matches!(
                kind,
                LocKind::Prefix | LocKind::PrefixNoRegex | LocKind::Exact
            ) {
                continue;
            }
            let Some(uri) = d.arg(0).and_then(proxy_pass_uri) else {
                continue;
            };
            out.push(finding(d, prefix, uri));
        }
    }
}

/// The `rewrite` to `$request_uri` whose result this `proxy_pass`, without
/// variables, escapes again: the location's own rewrites from it on end in
/// `break` (with `last` or no flag the search starts over elsewhere).
fn reencodes<'t>(m: &Model<'t>, loc: usize, pass: &Directive) -> Option<&'t Directive> {
    if pass.arg(0)?.contains('$') {
        return None;
    }
    let rewrites: Vec<&Directive> = m.own(loc, "rewrite").collect();
    let raw = rewrites.iter().position(|r| {
        r.arg(1).is_some_and(|to| {
            to.contains("$request_uri")
                && !to.starts_with("http://")
                && !to.starts_with("https://")
                && !to.starts_with("$scheme")
        }) && !matches!(r.arg(2), Some("redirect" | "permanent"))
    })?;
    let ends = rewrites[raw..]
        .iter()
        .map(|r| r.arg(2))
        .find(|f| f.is_some())
        .flatten();
    (ends == Some("break")).then_some(rewrites[raw])
}

fn double_encoded(d: &Directive, rewrite: &Directive) -> Finding {
    Finding::info(
        ids::PROXY_PASS_URI_NORMALIZED,
        d.span,
        "this location rewrites to `$request_uri`, still percent-encoded, and this proxy_pass has no variable: nginx escapes the URI again, so `%2F` reaches the backend as `%252F` and `?` as `%3F` (any URI part is ignored after `rewrite ... break`)",
    )
    .with_help(
        "pass the rewritten URI as it is with a variable: `proxy_pass http://app$uri;` (a proxy_pass with variables sends the URI unescaped)",
    )
    .with_related(rewrite.span, "the URI is set to the raw request URI here")
}

fn finding(d: &Directive, prefix: &str, uri: &str) -> Finding {
    Finding::info(
        ids::PROXY_PASS_URI_NORMALIZED,
        d.span,
        format!(
            "proxy_pass with a URI part (`{uri}`): nginx replaces `{prefix}` in the decoded, normalised URI, so `%2F` reaches the backend as `/` and `..` segments are already resolved"
        ),
    )
    .with_help(
        "fine for most backends; if the backend needs the path as the client sent it (encoded slashes in identifiers, signed URLs), drop the URI part (`proxy_pass http://app;`) and strip the prefix in the backend, or pass `$request_uri`",
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn messages(location: &str) -> Vec<String> {
        let conf = format!("events {{}}\nhttp {{ server {{ listen 80; {location} }} }}\n");
        lint(ids::PROXY_PASS_URI_NORMALIZED, &conf)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn the_raw_uri_idiom_without_a_variable_is_double_encoded() {
        let bad = messages(
            "location /a/ { rewrite ^ $request_uri; rewrite ^/a(/.*) $1 break; \
             proxy_pass http://b/x/; }",
        );
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].contains("%252F"), "{bad:?}");
        // Fixed with $uri; handed on with `last`; a redirect.
        let fixed = "location /a/ { rewrite ^ $request_uri; rewrite ^/a(/.*) $1 break; \
                     proxy_pass http://b$uri; }";
        assert!(messages(fixed).is_empty());
        let last = "location /a/ { rewrite ^ $request_uri; rewrite ^/a(/.*) $1 last; \
                    proxy_pass http://b; }";
        assert!(messages(last).is_empty());
        let redirect =
            "location /a/ { rewrite ^ https://h$request_uri break; proxy_pass http://b; }";
        assert!(messages(redirect).is_empty());
    }
}
