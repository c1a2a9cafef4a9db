//! keepalive-timeout-order, backend half: an upstream with `keepalive`
//! keeps idle connections open longer than the backend does, so nginx
//! sometimes sends a request on a connection the backend is closing — an
//! intermittent 502 "upstream prematurely closed connection".

use rustc_hash::FxHashSet as HashSet;

use crate::finding::Finding;
use crate::providers::fmt_ms;
use crate::rules::limits::msec;
use crate::rules::{Check, ids};

/// ngx_http_upstream_keepalive_module: `keepalive_timeout` defaults to 60s.
const DEFAULT_UPSTREAM_KEEPALIVE_MS: u64 = 60_000;

pub(super) fn check(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let mut seen = HashSet::default();
    for u in &cx.model.upstreams {
        let Some(scope) = cx.model.scopes.get(u.scope) else {
            continue;
        };
        let Some(keepalive) = cx
            .model
            .children(scope)
            .iter()
            .rev()
            .find(|d| d.name() == "keepalive")
        else {
            continue;
        };
        let kt = cx
            .model
            .children(scope)
            .iter()
            .rev()
            .find(|d| d.name() == "keepalive_timeout")
            .copied();
        let Some(nginx_ms) = msec(kt, DEFAULT_UPSTREAM_KEEPALIVE_MS) else {
            continue;
        };
        for (_, ep) in &u.servers {
            let Some(ep) = ep else { continue };
            for li in cx.resolver().serving(ep) {
                let l = &cx.resolver().listeners[li];
                let Some(limit) = l.backend.as_ref().and_then(|b| b.keepalive.as_ref()) else {
                    continue;
                };
                if limit.ms > nginx_ms {
                    continue;
                }
                let at = kt.map_or(keepalive.span, |d| d.span);
                // One finding per upstream and backend setting (an Apache `Listen`
                // and its `<VirtualHost>` are the same server).
                if !seen.insert((at, l.kind, limit.ms, limit.span)) {
                    continue;
                }
                let nginx = match kt {
                    Some(_) => format!("keepalive_timeout {}", fmt_ms(nginx_ms)),
                    None => format!("keepalive_timeout {} (default)", fmt_ms(nginx_ms)),
                };
                let shorter = limit.ms.saturating_sub(1000).max(1000);
                let mut f = Finding::warning(
                    ids::KEEPALIVE_TIMEOUT_ORDER,
                    at,
                    format!(
                        "upstream `{}` reuses idle connections for up to {nginx}, but {} {} closes them after {}: a request sent as the backend closes fails with 502 \"upstream prematurely closed connection\"",
                        u.name,
                        l.kind.label(),
                        l.name,
                        limit.describe()
                    ),
                )
                .with_help(format!(
                    "set `keepalive_timeout {};` in upstream {} (below the backend's), or raise {} {} above {}",
                    fmt_ms(shorter),
                    u.name,
                    l.kind.label(),
                    limit.setting,
                    fmt_ms(nginx_ms)
                ));
                if let Some(s) = limit.span.or(l.span) {
                    f = f.with_related(
                        s,
                        format!("{} {}: {}", l.kind.label(), l.name, limit.describe()),
                    );
                }
                out.push(f);
            }
        }
    }
}
