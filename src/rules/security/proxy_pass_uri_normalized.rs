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

use crate::analysis::{LocKind, location_match, proxy_pass_uri};
use crate::finding::Finding;
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
