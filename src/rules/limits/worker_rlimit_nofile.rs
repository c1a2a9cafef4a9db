//! worker-rlimit-nofile: not enough file descriptors for the connections
//! each worker may hold and the files it serves beside them.
//!
//! Every connection, the client's and the backend's alike, is one of
//! `worker_connections` and one descriptor (ngx_get_connection, used by
//! ngx_event_connect_peer too); a file being sent, the logs and cache or
//! temporary files are descriptors outside that count. nginx warns at start
//! only when `worker_connections` exceeds the limit (ngx_event_module_init,
//! src/event/ngx_event.c).

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
            match rlimit {
                Some(r) => {
                    let Some(n) = num(r) else { continue };
                    if let Some(f) = with_rlimit(r, n, conns.copied(), wc) {
                        out.push(f);
                    }
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

/// `worker_rlimit_nofile` N against the connections: a warning when it
/// leaves no descriptor for files (N ≤ connections: nginx itself warns
/// below), an info when it leaves fewer than one a connection (a worker at
/// its connection limit that is serving files runs out).
fn with_rlimit(r: &Directive, n: u64, conns: Option<&Directive>, wc: u64) -> Option<Finding> {
    let want = wc.saturating_mul(2);
    if n >= want {
        return None;
    }
    let default = if conns.is_none() { ", the default" } else { "" };
    let mut f = if n <= wc {
        Finding::warning(
            ids::WORKER_RLIMIT_NOFILE,
            r.span,
            format!(
                "worker_rlimit_nofile {n} leaves no descriptor beyond worker_connections ({wc}{default}) for the files a worker serves and its logs"
            ),
        )
    } else {
        Finding::info(
            ids::WORKER_RLIMIT_NOFILE,
            r.span,
            format!(
                "worker_rlimit_nofile {n} leaves {} descriptors beyond worker_connections ({wc}{default}): fewer than one a connection for the file it may be sending",
                n - wc
            ),
        )
    };
    if let Some(c) = conns {
        f = f.with_related(
            c.span,
            "each connection, client or backend, is one descriptor",
        );
    }
    Some(f.with_help(format!(
        "use `worker_rlimit_nofile {want};` (or more): connections take up to worker_connections descriptors, and each file being sent, log and cache file needs another; when they run out nginx logs `accept4() failed (24: Too many open files)` or `open() ... failed (24: Too many open files)` and clients get errors"
    )))
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
        // Docker containers get the same soft limit since containerd 2.x
        // (moby/moby#51485; 1048576 before).
        None => "assumed: the usual soft limit of systemd services, login shells and containers; no nginx unit in view"
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
        "add `worker_rlimit_nofile {want};` at the top level (or raise LimitNOFILE= in the nginx unit): each connection, client or backend, is a descriptor, files being sent need more, and past the limit nginx logs `accept4() failed (24: Too many open files)`; nginx warns `{wc} worker_connections exceed open file resource limit: {limit}` at start"
    ));
    if let Some(s) = unit.and_then(|u| u.span) {
        f = f.with_related(s, "the nginx unit's open-file limit");
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::ids;

    fn severities(rlimit: u64, conns: u64) -> Vec<Severity> {
        let c = format!(
            "worker_rlimit_nofile {rlimit};\nevents {{ worker_connections {conns}; }}\nhttp {{ server {{ listen 80; }} }}\n"
        );
        crate::rules::schema::severities(ids::WORKER_RLIMIT_NOFILE, &c)
    }

    /// Not above the connections: no descriptor left for a file or a log
    /// (a warning); above them but short of two a connection: an info
    /// (h5bp's 8192 for 8000); twice or more: nothing.
    #[test]
    fn severity_follows_the_room_left_for_files() {
        assert_eq!(severities(2048, 4096), [Severity::Warning]);
        assert_eq!(severities(4096, 4096), [Severity::Warning]);
        assert_eq!(severities(8192, 8000), [Severity::Info]);
        assert!(severities(16000, 8000).is_empty());
    }
}
