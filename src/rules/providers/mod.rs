//! Rules that compare nginx with the backends other providers describe
//! (Gunicorn, uWSGI, Compose, Apache, pm2): timeouts, keep-alive, where
//! nginx itself runs.

pub mod container_loopback_target;
pub mod proxy_timeout_mismatch;

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
