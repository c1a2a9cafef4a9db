//! php-fpm pools as listeners: their `listen` address and socket access.

use super::{Listener, ListenerKind, ListenerProvider, SocketAccess};
use crate::address::{Endpoint, Host};
use crate::fpm::{Listen, ListenHost, Pool};
use crate::loaded::Loaded;
use crate::model::Model;

pub struct PhpFpm;

/// php-fpm's default `listen.mode` (fpm_conf.c: 0660).
pub const DEFAULT_MODE: u32 = 0o660;

impl ListenerProvider for PhpFpm {
    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        let Some(cfg) = &loaded.fpm else { return };
        for (i, pool) in cfg.pools.iter().enumerate() {
            let Some(addr) = &pool.listen_addr else {
                continue;
            };
            // `$pool` in a continued pool: its name, hence the address, is
            // unknown.
            if pool
                .listen
                .as_ref()
                .is_some_and(|l| l.has_env || (pool.continued && l.value.contains("$pool")))
            {
                continue;
            }
            let endpoint = match addr {
                Listen::Unix(p) => Endpoint::Unix(crate::address::normalize_socket(p).into()),
                Listen::Tcp { host, port } => {
                    let Ok(port) = u16::try_from(*port) else {
                        continue;
                    };
                    let host = match host {
                        None => Host::Any,
                        Some(ListenHost::Ip(ip)) => Host::parse(&ip.to_string()),
                        Some(ListenHost::Name(n)) => Host::parse(n),
                    };
                    Endpoint::Tcp(host, port)
                }
            };
            // A continued pool's socket owner and mode may be set where the
            // pool is defined: access unknown.
            let socket = (matches!(addr, Listen::Unix(_)) && !pool.continued)
                .then(|| socket_access(pool, cfg.run_as.as_ref()))
                .flatten();
            out.push(Listener {
                endpoint,
                kind: ListenerKind::PhpFpm,
                name: pool.name.as_str().into(),
                span: pool.listen.as_ref().map(|l| l.span),
                socket: socket.map(Box::new),
                pool: Some(i),
                backend: None,
            });
        }
    }
}

fn list(v: Option<&crate::fpm::Setting>) -> Vec<String> {
    v.map(|s| {
        s.value
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The socket's owner, group, mode and ACLs as php-fpm sets them up
/// (fpm_unix_resolve_socket_premissions): unset owner/group leave the
/// socket to the master's user; with ACLs, owner and group are ignored.
/// A master running as a non-root user (`run_as`) owns it as that user
/// with its primary group, which is not known here: unknown access unless
/// the pool names both.
fn socket_access(pool: &Pool, run_as: Option<&crate::fpm::RunAs>) -> Option<SocketAccess> {
    let named =
        |s: &Option<Box<crate::fpm::Setting>>| s.as_ref().is_some_and(|x| !x.value.is_empty());
    // A pool that sets no user runs only under a non-root master (started
    // as root, php-fpm refuses it, and fpm-user-root reports that as the
    // one cause): either way the socket's default owner is not root.
    let master_not_root = run_as.is_some() || (pool.user.is_none() && !pool.continued);
    if master_not_root
        && pool.listen_acl_users.is_none()
        && pool.listen_acl_groups.is_none()
        && !(named(&pool.listen_owner) && named(&pool.listen_group))
    {
        return None;
    }
    let acl_users = list(pool.listen_acl_users.as_deref());
    let acl_groups = list(pool.listen_acl_groups.as_deref());
    let acl = !acl_users.is_empty() || !acl_groups.is_empty();
    let mode = pool
        .listen_mode
        .as_ref()
        .and_then(|m| u32::from_str_radix(m.value.trim(), 8).ok())
        .unwrap_or(DEFAULT_MODE);
    let nonempty = |s: &Option<Box<crate::fpm::Setting>>| {
        s.as_ref()
            .map(|x| x.value.clone())
            .filter(|v| !v.is_empty())
    };
    Some(SocketAccess {
        owner: if acl {
            None
        } else {
            nonempty(&pool.listen_owner)
        },
        group: if acl {
            None
        } else {
            nonempty(&pool.listen_group)
        },
        mode,
        acl_users,
        acl_groups,
        span: pool
            .listen_owner
            .as_ref()
            .or(pool.listen_group.as_ref())
            .or(pool.listen_mode.as_ref())
            .map(|s| s.span)
            .or(pool.listen.as_ref().map(|l| l.span)),
    })
}
