//! timeout-zero: a `*_timeout` of 0 where 0 is a real timer, so the wait
//! ends at once.

use crate::finding::Finding;
use crate::nginx::values::parse_time;
use crate::rules::util::all_directives;
use crate::rules::{Check, Rule, ids};

pub struct TimeoutZero;

/// `*_timeout` directives where 0 means "off" or is otherwise harmless,
/// each checked in nginx's source or docs:
/// - `keepalive_timeout 0` disables client keep-alive
///   (ngx_http_core_module.c: `if (clcf->keepalive_timeout == 0)`); in an
///   `upstream` block it closes idle cached connections at once, which only
///   disables the pool; `keepalive_min_timeout` defaults to 0;
/// - `*_next_upstream_timeout 0` turns the limit off (ngx_http_upstream.c:
///   `timeout && ngx_current_msec - u->peer.start_time >= timeout`);
/// - `*_cache_lock_timeout 0` passes the request on without waiting for the
///   lock (ngx_http_file_cache.c: `if (c->lock_timeout == 0)`);
/// - `lingering_timeout 0` only shortens lingering close;
/// - `ssl_session_timeout 0` only expires cached sessions at once;
/// - obsolete or third-party ones (`http2_*`, `spdy_*`, `lua_*`, `js_*`,
///   `redis2_*`) are not judged.
fn zero_is_fine(name: &str) -> bool {
    matches!(
        name,
        "keepalive_timeout" | "keepalive_min_timeout" | "lingering_timeout" | "ssl_session_timeout"
    ) || name.ends_with("_next_upstream_timeout")
        || name.ends_with("_cache_lock_timeout")
        || ["http2_", "spdy_", "lua_", "js_", "redis2_"]
            .iter()
            .any(|p| name.starts_with(p))
}

impl Rule for TimeoutZero {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TIMEOUT_ZERO]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, _, d) in all_directives(cx.model) {
            let name = d.name();
            if !name.ends_with("_timeout") || zero_is_fine(name) {
                continue;
            }
            let Some(v) = d.arg(0) else { continue };
            if parse_time(v, false) != Some(0) {
                continue;
            }
            out.push(
                Finding::error(
                    ids::TIMEOUT_ZERO,
                    d.span,
                    format!("{name} {v}: the timer fires at once, every wait it covers fails"),
                )
                .with_help(format!(
                    "remove it to get the default, or set a real limit such as `{name} 60s;`: nginx does not read 0 as \"no timeout\" here, so requests fail immediately (504, 408 or a closed connection)"
                )),
            );
        }
    }
}
