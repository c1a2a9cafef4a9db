//! fpm-listen-exposed: a pool listening on every network interface that
//! accepts any client.

use crate::finding::Finding;
use crate::fpm::{FpmConfig, Listen, Pool, Setting};
use crate::rules::{Check, Rule, ids};

pub struct FpmListenExposed;

impl Rule for FpmListenExposed {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_LISTEN_EXPOSED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    for pool in &cfg.pools {
        if let (Some(l), Some(addr)) = (&pool.listen, &pool.listen_addr) {
            check_listen(pool, l, addr, out);
        }
    }
}

/// A pool listening on every interface with no allowed-clients list.
/// A port php-fpm cannot bind is fpm-invalid-value's.
fn check_listen(pool: &Pool, l: &Setting, addr: &Listen, out: &mut Vec<Finding>) {
    if let Listen::Tcp { port, .. } = addr
        && (*port == 0 || *port > 65535)
    {
        return;
    }
    if addr.is_every_interface()
        && pool
            .listen_allowed_clients
            .as_ref()
            .is_none_or(|a| a.value.trim().is_empty())
    {
        out.push(
            Finding::warning(
                ids::FPM_LISTEN_EXPOSED,
                l.span,
                format!(
                    "pool {} listens on `{}`, every network interface, and accepts any client: anyone who can reach the port can run PHP files as the pool user",
                    pool.name, l.value
                ),
            )
            .with_help("listen on 127.0.0.1:PORT or a unix socket, or set `listen.allowed_clients = 127.0.0.1`"),
        );
    }
}
