//! keepalive-timeout-order: one side of a kept-alive connection closes it
//! while the other still reuses it, so a request sent as it closes fails
//! with 502. Two halves: nginx closes idle client connections before the
//! load balancer in front of it stops reusing them (here), and an upstream
//! keeps idle connections longer than its backend does (`backend`).

mod backend;

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::nginx::values::parse_time;
use crate::rules::{Check, Rule, ids};

pub struct KeepaliveTimeoutOrder;

/// nginx's default client `keepalive_timeout`.
const DEFAULT_MS: i64 = 75_000;

fn fmt(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Whether an nginx keep-alive timeout (ms) is shorter than the load
/// balancer's idle timeout (ms). 0 disables keep-alive: nginx then says
/// `Connection: close` and the balancer does not reuse the connection.
pub fn closes_first(nginx_ms: i64, lb_ms: u64) -> bool {
    nginx_ms > 0 && u64::try_from(nginx_ms).is_ok_and(|n| n < lb_ms)
}

impl Rule for KeepaliveTimeoutOrder {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::KEEPALIVE_TIMEOUT_ORDER]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        balancer(cx, out);
        backend::check(cx, out);
    }
}

/// The load balancer's half: nginx's client `keepalive_timeout` against
/// `[load-balancer] idle-timeout`.
fn balancer(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let Some(lb) = cx.settings.lb_idle_timeout else {
        return;
    };
    let lb_s = fmt(i64::try_from(lb).unwrap_or(i64::MAX));
    let help = |at_least: &str| {
        format!(
            "set `keepalive_timeout {at_least};` or more, above the load balancer's idle timeout of {lb_s}: when nginx closes an idle connection the balancer is about to reuse, that request fails with 502 Bad Gateway, which nginx never logs (AWS recommends an application idle timeout larger than the load balancer's)"
        )
    };
    let want = fmt(i64::try_from(lb).unwrap_or(i64::MAX).saturating_add(5_000));
    let mut any_set = false;
    for (sid, d) in cx.model.named(&["keepalive_timeout"]) {
        let ctx = cx.model.scopes[sid].ctx;
        if d.name() != "keepalive_timeout" || matches!(ctx, Ctx::Upstream) {
            continue;
        }
        if !matches!(ctx, Ctx::Http | Ctx::Server | Ctx::Location) {
            continue;
        }
        any_set = true;
        let Some(ms) = d.arg(0).and_then(|v| parse_time(v, false)) else {
            continue;
        };
        if closes_first(ms, lb) {
            out.push(
                Finding::warning(
                    ids::KEEPALIVE_TIMEOUT_ORDER,
                    d.span,
                    format!(
                        "keepalive_timeout {} is shorter than the load balancer's idle timeout ({lb_s})",
                        fmt(ms)
                    ),
                )
                .with_help(help(&want)),
            );
        }
    }
    if any_set || !closes_first(DEFAULT_MS, lb) {
        return;
    }
    // Nothing set: nginx's default applies; report at each http block.
    for s in &cx.model.scopes {
        if s.ctx == Ctx::Http
            && let Some(d) = s.directive
        {
            out.push(
                Finding::warning(
                    ids::KEEPALIVE_TIMEOUT_ORDER,
                    d.span,
                    format!(
                        "keepalive_timeout is unset (nginx's default 75s), shorter than the load balancer's idle timeout ({lb_s})"
                    ),
                )
                .with_help(help(&want)),
            );
        }
    }
}
