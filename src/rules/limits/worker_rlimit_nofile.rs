//! worker-rlimit-nofile: not enough file descriptors for the connections
//! each worker may hold (a proxied request holds two).

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct WorkerRlimitNofile;

/// nginx's default `worker_connections`.
const DEFAULT_CONNECTIONS: u64 = 512;
/// The usual soft RLIMIT_NOFILE of a service (systemd, login shells).
const USUAL_SOFT_LIMIT: u64 = 1024;

fn num(d: &Directive) -> Option<u64> {
    d.arg(0)?.parse().ok()
}

impl Rule for WorkerRlimitNofile {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::WORKER_RLIMIT_NOFILE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (main_id, main) in m.scopes.iter().enumerate() {
            if main.ctx != Ctx::Main || main.parent.is_some() {
                continue;
            }
            let rlimit = m
                .children(main)
                .iter()
                .rev()
                .find(|d| d.name() == "worker_rlimit_nofile");
            let conns = m
                .scopes
                .iter()
                .filter(|s| s.parent == Some(main_id) && s.ctx == Ctx::Events)
                .flat_map(|s| {
                    m.children(s)
                        .iter()
                        .rev()
                        .find(|d| d.name() == "worker_connections")
                })
                .last();
            let wc = conns.and_then(|d| num(d)).unwrap_or(DEFAULT_CONNECTIONS);
            let want = wc.saturating_mul(2);
            match rlimit {
                Some(r) => {
                    let Some(n) = num(r) else { continue };
                    if n >= want {
                        continue;
                    }
                    let mut f = Finding::warning(
                        ids::WORKER_RLIMIT_NOFILE,
                        r.span,
                        format!(
                            "worker_rlimit_nofile {n} is below 2 × worker_connections ({wc}{})",
                            if conns.is_none() { ", the default" } else { "" }
                        ),
                    );
                    if let Some(c) = conns {
                        f = f.with_related(
                            c.span,
                            "each of these connections can hold two descriptors",
                        );
                    }
                    out.push(f.with_help(format!(
                        "use `worker_rlimit_nofile {want};` (or more): a proxied request holds two descriptors, the client's and the backend's, plus open files and logs; when they run out nginx logs `accept4() failed (24: Too many open files)` and clients get errors"
                    )));
                }
                None => {
                    let Some(c) = conns else { continue };
                    if let Some(f) = without_rlimit(cx, c, wc) {
                        out.push(f);
                    }
                }
            }
        }
    }
}

/// `worker_connections` above the open-file limit nginx is started with,
/// when no `worker_rlimit_nofile` raises it: the nginx unit's
/// `LimitNOFILE=` when the unit is in view, else the usual soft limit
/// (assumed, and said so).
fn without_rlimit(cx: &Check<'_>, c: &Directive, wc: u64) -> Option<Finding> {
    let unit = crate::providers::units::nginx_nofile(cx.loaded);
    let limit = match &unit {
        Some(u) => u.soft?,
        None => USUAL_SOFT_LIMIT,
    };
    if wc <= limit {
        return None;
    }
    let source = match &unit {
        Some(u) if u.span.is_some() => format!("{} in the nginx unit", u.setting),
        Some(u) => format!("{} in the nginx unit {}", u.setting, u.at),
        None => "assumed: systemd's default soft limit, and a login shell's; no nginx unit in view"
            .to_string(),
    };
    let want = wc.saturating_mul(2);
    let mut f = Finding::warning(
        ids::WORKER_RLIMIT_NOFILE,
        c.span,
        format!(
            "worker_connections {wc} without worker_rlimit_nofile: workers keep the limit of {limit} open files ({source})"
        ),
    )
    .with_help(format!(
        "add `worker_rlimit_nofile {want};` at the top level (or raise LimitNOFILE= in the nginx unit): a proxied request holds two descriptors, and past the limit nginx logs `accept4() failed (24: Too many open files)`; nginx warns `{wc} worker_connections exceed open file resource limit: {limit}` at start"
    ));
    if let Some(s) = unit.and_then(|u| u.span) {
        f = f.with_related(s, "the nginx unit's open-file limit");
    }
    Some(f)
}
