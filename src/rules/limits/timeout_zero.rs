//! timeout-zero: a `*_timeout` of 0 where 0 is a real timer, so the wait
//! ends at once.

use crate::finding::Finding;
use std::sync::LazyLock;

use crate::nginx::schema::{self, NameId};
use crate::nginx::values::parse_time;
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

/// The ids of the table's `*_timeout` names this rule judges, and id 0
/// (names outside the table, such as a third-party module's
/// `foo_timeout`, told apart by name in the loop). Asking the name index
/// for these instead of reading every directive's name, which is mostly
/// cache misses on directives that are not timeouts.
static JUDGED: LazyLock<Vec<NameId>> = LazyLock::new(|| {
    let mut ids: Vec<NameId> = schema::all()
        .iter()
        .filter(|s| s.name.ends_with("_timeout") && !zero_is_fine(s.name))
        .map(|s| schema::name_id(s.name))
        .chain([NameId(0)])
        .collect();
    // Names repeat across modules (http and stream `proxy_timeout`).
    ids.sort_unstable_by_key(|id| id.0);
    ids.dedup();
    ids
});

impl Rule for TimeoutZero {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TIMEOUT_ZERO]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.with_ids(&JUDGED) {
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

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    /// Names outside the directive table come from the name index's id 0:
    /// a third-party `*_timeout 0` is judged, a `lua_*` one is not, and an
    /// unknown name that is not a timeout is left alone.
    #[test]
    fn unknown_timeout_names() {
        let f = lint(
            ids::TIMEOUT_ZERO,
            "events {}\nhttp {\n    vendor_upstream_timeout 0;\n    lua_socket_foo_timeout 0;\n    vendor_zero 0;\n    server { listen 80; proxy_read_timeout 0s; }\n}\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            [
                "vendor_upstream_timeout 0: the timer fires at once, every wait it covers fails",
                "proxy_read_timeout 0s: the timer fires at once, every wait it covers fails",
            ]
        );
    }
}
