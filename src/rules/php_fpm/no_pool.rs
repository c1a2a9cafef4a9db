//! fpm-no-pool: a php-fpm configuration without a pool section: php-fpm
//! refuses to start.

use crate::finding::Finding;
use crate::fpm::FpmConfig;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct FpmNoPool;

impl Rule for FpmNoPool {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_NO_POOL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    if !cfg.pools.is_empty() {
        return;
    }
    let span = cfg
        .global
        .header_span
        .or_else(|| cfg.entry_files.first().map(|f| Span::new(*f, 0, 0)))
        .unwrap_or_default();
    out.push(
        Finding::error(
            ids::FPM_NO_POOL,
            span,
            "no pool is defined: php-fpm refuses to start with \"No pool defined. at least one pool section must be specified in config file\"",
        )
        .with_help("add a pool section (e.g. `[www]` with user, listen and pm settings) or an `include` of the pool directory"),
    );
}
