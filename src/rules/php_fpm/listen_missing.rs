//! fpm-listen-missing: a pool without a `listen` address: php-fpm refuses
//! to start.

use crate::finding::Finding;
use crate::fpm::FpmConfig;
use crate::rules::{Check, Rule, ids};

pub struct FpmListenMissing;

impl Rule for FpmListenMissing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_LISTEN_MISSING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    // A continued pool's listen may be set where the pool is defined.
    for pool in cfg
        .pools
        .iter()
        .filter(|p| p.listen_addr.is_none() && !p.continued)
    {
        let name = &pool.name;
        out.push(
            Finding::error(
                ids::FPM_LISTEN_MISSING,
                pool.span,
                format!("pool {name} has no listen address: php-fpm refuses to start with \"[pool {name}] no listen address have been defined!\""),
            )
            .with_help(format!("add `listen = /run/php/{name}.sock` (and point nginx's fastcgi_pass at it)")),
        );
    }
}
