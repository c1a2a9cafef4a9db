//! fastcgi-timeout-mismatch: nginx stops waiting for PHP before PHP stops
//! working on the request.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::fpm::{FpmConfig, Listen, ListenHost, Pool, Setting};
use crate::model::{TargetAddr, TargetKind};
use crate::nginx::ast::Directive;
use crate::nginx::values::parse_time;
use crate::rules::{Check, Rule, ids};

pub struct FastcgiTimeoutMismatch;

/// nginx's default `fastcgi_read_timeout`.
const DEFAULT_READ_MS: i64 = 60_000;

/// The php-fpm pools by where they listen, built once per run.
pub struct Pools<'a> {
    unix: HashMap<&'a Path, &'a Pool>,
    tcp: Vec<(&'a Pool, Option<&'a ListenHost>, u32)>,
}

impl<'a> Pools<'a> {
    pub fn new(fpm: &'a FpmConfig) -> Pools<'a> {
        let mut unix = HashMap::default();
        let mut tcp = Vec::new();
        for p in &fpm.pools {
            match &p.listen_addr {
                Some(Listen::Unix(path)) => {
                    unix.entry(path.as_path()).or_insert(p);
                }
                Some(Listen::Tcp { host, port }) => tcp.push((p, host.as_ref(), *port)),
                None => {}
            }
        }
        Pools { unix, tcp }
    }

    /// The pool that listens where a FastCGI target connects. Unix paths
    /// are normalised on both sides (`/var/run` = `/run`); a pool on a
    /// bare port listens on every address. Kept small on purpose: the
    /// resolver replaces it with the full listener index.
    pub fn pool_for(&self, target: &Endpoint) -> Option<&'a Pool> {
        match target {
            Endpoint::Unix(path) => self.unix.get(&**path).copied(),
            Endpoint::Tcp(host, port) => self
                .tcp
                .iter()
                .find(|(_, lh, lp)| {
                    u32::from(*port) == *lp
                        && match (host, lh) {
                            (_, None) => true,
                            (Host::Ip(a), Some(ListenHost::Ip(b))) => a == b,
                            (Host::Ip(a), Some(ListenHost::Name(n))) => {
                                a.is_loopback() && n == "localhost"
                            }
                            (Host::Name(a), Some(ListenHost::Name(b))) => a == b,
                            _ => false,
                        }
                })
                .map(|(p, _, _)| *p),
        }
    }
}

/// The pool's limit on one request, in seconds, and the line that sets it:
/// `request_terminate_timeout`, else `max_execution_time` (0 is no limit).
fn pool_limit(p: &Pool) -> Option<(i64, &Setting, &'static str)> {
    if let Some(s) = &p.request_terminate_timeout
        && let Ok(secs) = crate::fpm::schema::parse_time(s.value.trim())
        && secs > 0
    {
        return Some((secs, s, "request_terminate_timeout"));
    }
    let s = p.max_execution_time.as_ref()?;
    let secs: i64 = s.value.trim().parse().ok()?;
    (secs > 0).then_some((secs, s, "max_execution_time"))
}

fn secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

impl Rule for FastcgiTimeoutMismatch {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FASTCGI_TIMEOUT_MISMATCH]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let Some(fpm) = &cx.loaded.fpm else { return };
        let m = cx.model;
        let pools = Pools::new(fpm);
        // A set, not a list searched per finding: a tree whose every
        // location sets a timeout below its pool's has a finding per vhost.
        let mut reported: rustc_hash::FxHashSet<*const Directive> = Default::default();
        for t in m.targets_of(TargetKind::FastCgi) {
            // The pool with the longest limit among the target's addresses.
            let mut best: Option<(&Pool, i64, &Setting, &str)> = None;
            let mut consider = |ep: &Endpoint| {
                if let Some(p) = pools.pool_for(ep)
                    && let Some((s, setting, key)) = pool_limit(p)
                    && best.is_none_or(|b| s > b.1)
                {
                    best = Some((p, s, setting, key));
                }
            };
            match &t.addr {
                TargetAddr::Direct(ep) => consider(ep),
                TargetAddr::Upstream(i) => {
                    if let Some(u) = m.upstreams.get(*i) {
                        for (_, ep) in &u.servers {
                            if let Some(ep) = ep {
                                consider(ep);
                            }
                        }
                    }
                }
                _ => {}
            }
            let Some((pool, pool_s, setting, key)) = best else {
                continue;
            };
            let explicit = m.effective_one(t.scope, "fastcgi_read_timeout");
            let nginx_ms = match explicit {
                Some(d) => match d.arg(0).and_then(|v| parse_time(v, false)) {
                    Some(ms) => ms,
                    None => continue,
                },
                None => DEFAULT_READ_MS,
            };
            if nginx_ms >= pool_s.saturating_mul(1000) {
                continue;
            }
            let at = explicit.unwrap_or(t.directive);
            if !reported.insert(at as *const Directive) {
                continue;
            }
            let (what, span) = match explicit {
                Some(d) => (format!("fastcgi_read_timeout {}", secs(nginx_ms)), d.span),
                None => (
                    "fastcgi_read_timeout (default 60s)".to_string(),
                    t.directive.span,
                ),
            };
            out.push(
                Finding::warning(
                    ids::FASTCGI_TIMEOUT_MISMATCH,
                    span,
                    format!(
                        "{what} is shorter than pool {}'s {key} ({pool_s}s): nginx answers 504 while PHP keeps running",
                        pool.name
                    ),
                )
                .with_related(setting.span, format!("pool {} allows {pool_s}s here", pool.name))
                .with_help(format!(
                    "set `fastcgi_read_timeout {}s;` (a little above the pool's {pool_s}s) or lower the pool's {key}: when nginx gives up first the user gets 504 Gateway Time-out (`upstream timed out (110: Connection timed out) while reading response header from upstream`) and the PHP worker stays busy until PHP's own limit",
                    pool_s + 10
                )),
            );
        }
    }
}
