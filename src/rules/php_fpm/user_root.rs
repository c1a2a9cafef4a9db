//! fpm-user-root: a pool that sets no user, or runs its workers as root.

use crate::finding::Finding;
use crate::fpm::{FpmConfig, Pool, Setting};
use crate::rules::{Check, Rule, ids};

pub struct FpmUserRoot;

impl Rule for FpmUserRoot {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_USER_ROOT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    // A master that does not start as root ignores `user` and `group`:
    // every worker runs as the image's user.
    if cfg.run_as.is_some() {
        return;
    }
    for pool in &cfg.pools {
        match &pool.user {
            // A continued pool's user may be set where the pool is defined.
            None if pool.continued => {}
            None => out.push(no_user(pool, cfg.master_root.as_deref())),
            Some(u) if is_root(&u.value) => out.push(root_finding(pool, u, "user")),
            _ => {}
        }
        if let Some(g) = pool.group.as_ref().filter(|g| is_root(&g.value)) {
            out.push(root_finding(pool, g, "group"));
        }
    }
}

/// A pool without `user`: refused when the master starts as root, which
/// only evidence in view shows (`fpm_master`); else one info saying what
/// was assumed.
fn no_user(pool: &Pool, master_root: Option<&str>) -> Finding {
    let name = &pool.name;
    let refused =
        format!("php-fpm started as root refuses it (\"[pool {name}] user has not been defined\")");
    match master_root {
        Some(why) => Finding::error(
            ids::FPM_USER_ROOT,
            pool.header_span,
            format!("pool {name} sets no user: {refused}, and with -R its workers run as root"),
        )
        .with_help(format!(
            "add `user = www-data` (and `group = www-data`) or another unprivileged account; php-fpm starts as root here: {why}"
        )),
        None => Finding::info(
            ids::FPM_USER_ROOT,
            pool.header_span,
            format!(
                "pool {name} sets no user: nothing in view shows who starts php-fpm, so a non-root master is assumed (a rootless image), which ignores `user`; {refused}"
            ),
        )
        .with_help("if php-fpm starts as root, add `user = www-data` (and `group = www-data`); a Dockerfile `USER`, a systemd unit or an init script in view settles it"),
    }
}

fn is_root(v: &str) -> bool {
    v == "root" || (!v.is_empty() && v.bytes().all(|b| b == b'0'))
}

fn root_finding(pool: &Pool, s: &Setting, what: &str) -> Finding {
    Finding::error(
        ids::FPM_USER_ROOT,
        s.span,
        format!(
            "pool {} runs its workers with {what} root: any PHP bug becomes full control of the machine; php-fpm refuses to start with \"[pool {}] please specify user and group other than root\" unless run with -R",
            pool.name, pool.name
        ),
    )
    .with_help(format!("set `{what} = www-data` or a dedicated unprivileged account"))
}
