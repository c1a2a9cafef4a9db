//! `socket-permission`: nginx's worker user cannot write the php-fpm
//! socket it passes requests to — 502 with "connect() to unix:… failed
//! (13: Permission denied)".

use super::endpoints;
use crate::address::Endpoint;
use crate::finding::Finding;
use crate::providers::SocketAccess;
use crate::resolve::users::Users;
use crate::rules::{Check, Rule, ids};

pub struct SocketPermission;

/// nginx's default worker user when `user` is absent (ngx_core_module:
/// NGX_USER, "nobody" in every distribution build).
pub const DEFAULT_USER: &str = "nobody";

impl Rule for SocketPermission {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SOCKET_PERMISSION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for t in &cx.model.targets {
            // Only a tree with its nginx.conf tells which user nginx runs as.
            let Some(unit) = cx.loaded.units.get(t.unit) else {
                continue;
            };
            if unit.standalone {
                continue;
            }
            let user_dir = cx.model.main_directive(t.unit, "user");
            let user = user_dir.and_then(|d| d.arg(0)).unwrap_or(DEFAULT_USER);
            let user_group = user_dir.and_then(|d| d.arg(1));
            if user == "root" {
                continue;
            }
            for (d, ep) in endpoints(cx.model, t) {
                if !matches!(ep, Endpoint::Unix(_)) {
                    continue;
                }
                for li in cx.resolver().serving(ep) {
                    let l = &cx.resolver().listeners[li];
                    let Some(sock) = &l.socket else { continue };
                    if may_write(cx.users, user, user_group, sock) {
                        continue;
                    }
                    let fpm = l.kind == crate::providers::ListenerKind::PhpFpm;
                    let owner = sock.owner.as_deref().unwrap_or(if fpm {
                        "root (php-fpm's master)"
                    } else {
                        "root"
                    });
                    let group = sock.group.as_deref().unwrap_or("root");
                    let mut f = Finding::error(
                        ids::SOCKET_PERMISSION,
                        d.span,
                        format!(
                            "nginx runs as `{user}` but {} {} socket {ep} is {owner}:{group} mode {:04o}: connecting is refused (13: Permission denied)",
                            l.kind.label(),
                            l.name,
                            sock.mode
                        ),
                    )
                    .with_help(socket_help(l, user));
                    if let Some(s) = sock.span.or(l.span) {
                        let whose = if fpm {
                            format!("pool {}", l.name)
                        } else {
                            format!("{} {}", l.kind.label(), l.name)
                        };
                        f = f.with_related(s, format!("socket ownership of {whose}"));
                    }
                    if let Some(u) = user_dir {
                        f = f.with_related(u.span, "nginx's worker user");
                    }
                    out.push(f);
                }
            }
        }
    }
}

/// How to let nginx's user in, in the service's own terms.
fn socket_help(l: &crate::providers::Listener, user: &str) -> String {
    match l.kind.label() {
        "php-fpm pool" => format!(
            "in pool [{}] set `listen.owner = {user}` and `listen.group = {user}` (or add `{user}` to listen.acl_users)",
            l.name
        ),
        "uWSGI" => format!(
            "in {} set `chown-socket = {user}:{user}` (or `chmod-socket = 660` with `{user}` in the socket's group)",
            l.name
        ),
        "gunicorn" | "systemd socket" => format!(
            "let `{user}` in: in the .socket unit of {} set `SocketGroup={user}` with `SocketMode=0660`; for a socket Gunicorn binds itself, `--group {user}` with `--umask 007`",
            l.name
        ),
        _ => format!("make the socket writable for `{user}` (owner, group or mode)"),
    }
}

/// Whether `user` may connect (write) to the socket, the way the kernel
/// decides for a unix socket file: owner bits, group bits, other bits; with
/// POSIX ACLs (php-fpm's listen.acl_*), named users and groups get rw.
pub fn may_write(users: &Users, user: &str, user_group: Option<&str>, s: &SocketAccess) -> bool {
    if s.acl_users.iter().any(|u| u == user) {
        return true;
    }
    let in_group = |g: &str| users.in_group(user, g) || user_group == Some(g);
    if s.acl_groups.iter().any(|g| in_group(g)) {
        return true;
    }
    let owner = s.owner.as_deref().unwrap_or("root");
    let group = s.group.as_deref().unwrap_or("root");
    if owner == user {
        return s.mode & 0o200 != 0;
    }
    if in_group(group) {
        return s.mode & 0o020 != 0;
    }
    s.mode & 0o002 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(owner: Option<&str>, group: Option<&str>, mode: u32) -> SocketAccess {
        SocketAccess {
            owner: owner.map(str::to_string),
            group: group.map(str::to_string),
            mode,
            acl_users: vec![],
            acl_groups: vec![],
            span: None,
        }
    }

    #[test]
    fn permission_bits() {
        let u = Users::default();
        assert!(may_write(
            &u,
            "www-data",
            None,
            &sock(Some("www-data"), Some("www-data"), 0o660)
        ));
        assert!(may_write(
            &u,
            "www-data",
            None,
            &sock(Some("php"), Some("www-data"), 0o660)
        ));
        assert!(!may_write(
            &u,
            "nginx",
            None,
            &sock(Some("www-data"), Some("www-data"), 0o660)
        ));
        assert!(may_write(
            &u,
            "nginx",
            None,
            &sock(Some("www-data"), Some("www-data"), 0o666)
        ));
        assert!(!may_write(&u, "www-data", None, &sock(None, None, 0o660)));
        assert!(may_write(
            &u,
            "nginx",
            Some("www-data"),
            &sock(Some("x"), Some("www-data"), 0o660)
        ));
        let mut acl = sock(None, None, 0o660);
        acl.acl_users = vec!["nginx".into()];
        assert!(may_write(&u, "nginx", None, &acl));
    }
}
