//! Limits and timeouts: descriptors, keep-alive, timeouts against php-fpm,
//! load balancers and the backends other providers describe (Gunicorn,
//! uWSGI, Compose, Apache, pm2), and where nginx itself runs.

pub mod connect_timeout_cap;
pub mod container_loopback_target;
pub mod fastcgi_timeout_mismatch;
pub mod keepalive_requests_low;
pub mod keepalive_timeout_order;
pub mod proxy_timeout_mismatch;
pub mod regex_exact_match;
pub mod timeout_zero;
pub mod upload_size_mismatch;
pub mod upstream_keepalive_http10;
pub mod worker_processes_one;
pub mod worker_rlimit_nofile;

use crate::nginx::ast::Directive;

/// A time directive's value in milliseconds (nginx's msec slots), or the
/// default when the directive is absent; None when it does not parse.
pub fn msec(d: Option<&Directive>, default_ms: u64) -> Option<u64> {
    match d {
        None => Some(default_ms),
        Some(d) => {
            crate::nginx::values::parse_time(d.arg(0)?, false).and_then(|v| u64::try_from(v).ok())
        }
    }
}
