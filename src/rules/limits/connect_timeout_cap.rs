//! connect-timeout-cap: a `*_connect_timeout` longer than the operating
//! system lets an unanswered connect last.

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

/// nginx's documentation says the connect timeout "cannot usually exceed
/// 75 seconds" (the BSD figure). Linux retransmits an unanswered SYN
/// `tcp_syn_retries` times, 6 by default, "which corresponds to retrying
/// for up to approximately 127 seconds" (tcp(7)): a value up to that still
/// acts there, so only one above both is certain to do nothing.
const CAP_MS: i64 = 127_000;

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
                    format!("{} {v} is longer than a connect can last: the operating system gives up on an unanswered connect after about 127 seconds (Linux, tcp_syn_retries 6) or 75 (BSD, macOS)", d.name()),
                )
                .with_help(format!(
                    "use `{} 5s;` or so: the value has no effect beyond what the kernel allows (nginx's documentation: the timeout \"cannot usually exceed 75 seconds\"); a backend that is slow to answer needs `{read}` instead",
                    d.name()
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint_in_location;

    /// Above Linux's ~127 s a connect timeout cannot act anywhere; 90 s
    /// still does on Linux (tcp(7): tcp_syn_retries 6) and is left alone.
    #[test]
    fn only_above_what_linux_allows() {
        let at = |v: &str| {
            lint_in_location(
                ids::CONNECT_TIMEOUT_CAP,
                &format!("proxy_pass http://127.0.0.1:8080; proxy_connect_timeout {v};"),
            )
            .len()
        };
        assert_eq!(at("300"), 1);
        assert_eq!(at("2m10s"), 1);
        assert_eq!(at("90s"), 0);
        assert_eq!(at("127s"), 0);
    }
}
