//! upstream-keepalive-http10: an upstream `keepalive` pool that proxy_pass
//! never reuses, because nginx before 1.29.7 speaks HTTP/1.0 with
//! `Connection: close` to backends unless told otherwise.

use crate::finding::Finding;
use crate::model::{TargetAddr, TargetKind};
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct UpstreamKeepaliveHttp10;

/// nginx 1.29.7 (commit 6bb27a631) made HTTP/1.1 and an empty Connection
/// header the defaults for proxied requests.
const HTTP11_DEFAULT: Version = Version(1, 29, 7);

impl Rule for UpstreamKeepaliveHttp10 {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::UPSTREAM_KEEPALIVE_HTTP10]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if cx.settings.nginx_version >= HTTP11_DEFAULT {
            return;
        }
        let m = cx.model;
        for t in &m.targets {
            if t.kind != TargetKind::Proxy {
                continue;
            }
            let TargetAddr::Upstream(i) = t.addr else {
                continue;
            };
            let Some(u) = m.upstreams.get(i) else {
                continue;
            };
            let Some(keepalive) = m
                .scope_children(u.scope)
                .iter()
                .find(|d| d.name() == "keepalive")
            else {
                continue;
            };
            let http11 = m
                .effective_one(t.scope, "proxy_http_version")
                .and_then(|d| d.arg(0))
                == Some("1.1");
            // Connection: close is the default; any other value (empty, or
            // a variable such as $connection_upgrade) lets keep-alive work.
            let connection_ok = m.effective(t.scope, "proxy_set_header").any(|d| {
                d.arg(0)
                    .is_some_and(|h| h.eq_ignore_ascii_case("Connection"))
                    && d.arg(1).is_some_and(|v| !v.eq_ignore_ascii_case("close"))
            });
            if http11 && connection_ok {
                continue;
            }
            let missing = match (http11, connection_ok) {
                (false, false) => "proxy_http_version 1.1 and proxy_set_header Connection \"\"",
                (false, true) => "proxy_http_version 1.1",
                _ => "proxy_set_header Connection \"\"",
            };
            out.push(
                Finding::warning(
                    ids::UPSTREAM_KEEPALIVE_HTTP10,
                    t.directive.span,
                    format!(
                        "proxy_pass to upstream {} (keepalive) without {missing}: the idle connections are never reused",
                        u.name
                    ),
                )
                .with_related(keepalive.span, "keep-alive pool declared here")
                .with_help(format!(
                    "add `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` here (or in the server block, remembering that any proxy_set_header in a location replaces the inherited ones): before nginx {HTTP11_DEFAULT} proxied requests are HTTP/1.0 with `Connection: close`, so every request opens a new connection to the backend"
                )),
            );
        }
    }
}
