//! fpm-process-control-timeout: `process_control_timeout = 0` in
//! [global], so a reload kills workers mid-request.

use crate::finding::Finding;
use crate::fpm::FpmConfig;
use crate::fpm::schema;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct FpmProcessControlTimeout;

impl Rule for FpmProcessControlTimeout {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_PROCESS_CONTROL_TIMEOUT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    let g = &cfg.global;
    // process_control_timeout: php-fpm's default is 0 too, but distributions
    // ship it unset and an unset default is not something the operator
    // wrote; report the explicit 0 only (stock trees stay clean).
    if let Some(s) = g.get("process_control_timeout")
        && !s.has_env
        && schema::parse_time(&s.value) == Ok(0)
    {
        out.push(finding(s.span));
    }
}

fn finding(span: Span) -> Finding {
    Finding::warning(
        ids::FPM_PROCESS_CONTROL_TIMEOUT,
        span,
        "process_control_timeout = 0: on every reload workers are killed mid-request instead of finishing (clients get 502 during deploys)",
    )
    .with_help("set `process_control_timeout = 10s` (or at least your longest request time) in [global]")
}
