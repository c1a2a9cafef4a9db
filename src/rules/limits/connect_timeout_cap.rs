//! connect-timeout-cap: a `*_connect_timeout` above 75 seconds.

use crate::finding::Finding;
use crate::nginx::values::parse_time;
use crate::rules::{Check, Rule, ids};

pub struct ConnectTimeoutCap;

const DIRECTIVES: &[&str] = &[
    "proxy_connect_timeout",
    "fastcgi_connect_timeout",
    "uwsgi_connect_timeout",
    "scgi_connect_timeout",
    "grpc_connect_timeout",
    "memcached_connect_timeout",
];

/// nginx's documentation: the connect timeout "cannot usually exceed 75
/// seconds".
const CAP_MS: i64 = 75_000;

impl Rule for ConnectTimeoutCap {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::CONNECT_TIMEOUT_CAP]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(DIRECTIVES) {
            if !DIRECTIVES.contains(&d.name()) {
                continue;
            }
            let Some(v) = d.arg(0) else { continue };
            let Some(ms) = parse_time(v, false) else {
                continue;
            };
            if ms <= CAP_MS {
                continue;
            }
            let read = d.name().replace("connect", "read");
            out.push(
                Finding::warning(
                    ids::CONNECT_TIMEOUT_CAP,
                    d.span,
                    format!("{} {v} is above 75 seconds, which a connect cannot usually last", d.name()),
                )
                .with_help(format!(
                    "use `{} 5s;` or so (75s at most): the operating system gives up on an unanswered connect on its own (nginx's documentation: the timeout \"cannot usually exceed 75 seconds\"), so the value has no effect; a backend that is slow to answer needs `{read}` instead",
                    d.name()
                )),
            );
        }
    }
}
