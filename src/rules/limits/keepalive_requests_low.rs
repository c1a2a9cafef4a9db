//! keepalive-requests-low: a `keepalive_requests` low enough that clients
//! (or, in an `upstream`, nginx itself) reconnect every few requests.
//!
//! nginx's default is 1000 since 1.19.10 (CHANGES: "the default value of the
//! keepalive_requests directive was changed to 1000"), 100 before; the
//! directive exists in http/server/location (client connections) and, since
//! 1.15.3, in `upstream` (the cached backend connections of `keepalive`).

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct KeepaliveRequestsLow;

/// Below nginx's old default (100): every connection is closed after so few
/// requests that a page with its assets, or a busy upstream pool, pays a new
/// TCP (and TLS) handshake every few requests.
const LOW: u64 = 100;

impl Rule for KeepaliveRequestsLow {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::KEEPALIVE_REQUESTS_LOW]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (scope, d) in m.named(&["keepalive_requests"]) {
            let Some(n) = d.arg(0).and_then(|v| v.parse::<u64>().ok()) else {
                continue;
            };
            if n >= LOW {
                continue;
            }
            let upstream = m.scopes[scope].ctx == Ctx::Upstream;
            // Without `keepalive` an upstream caches no connection: the
            // limit has nothing to close.
            if upstream && !m.has(scope, "keepalive") {
                continue;
            }
            out.push(finding(d, n, upstream));
        }
    }
}

fn finding(d: &Directive, n: u64, upstream: bool) -> Finding {
    let (who, what) = if upstream {
        (
            "nginx closes each cached backend connection",
            "and opens a new one to the backend",
        )
    } else {
        (
            "nginx closes each client connection",
            "and the client reconnects (a new TCP and TLS handshake)",
        )
    };
    Finding::info(
        ids::KEEPALIVE_REQUESTS_LOW,
        d.span,
        format!("keepalive_requests {n}: {who} after {n} request(s) {what}"),
    )
    .with_help(
        "remove it to get nginx's default of 1000 (since 1.19.10), or set a value of 1000 or more; a low value only adds handshakes and TIME_WAIT sockets",
    )
}
