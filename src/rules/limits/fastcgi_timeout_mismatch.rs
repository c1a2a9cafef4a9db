//! fastcgi-timeout-mismatch: nginx stops waiting for PHP before PHP stops
//! working on the request.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::fpm::{FpmConfig, Listen, ListenHost, Pool};
use crate::model::{TargetAddr, TargetKind};
use crate::nginx::ast::Directive;
use crate::nginx::values::parse_time;
use crate::php_ini::Origin;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct FastcgiTimeoutMismatch;

/// nginx's default `fastcgi_read_timeout`.
const DEFAULT_READ_MS: i64 = 60_000;

/// The php-fpm pools by where they listen, built once per run.
pub struct Pools<'a> {
    unix: HashMap<&'a Path, &'a Pool>,
    tcp: Vec<(&'a Pool, Option<&'a ListenHost>, u32)>,
    all: &'a [Pool],
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
        Pools {
            unix,
            tcp,
            all: &fpm.pools,
        }
    }

    /// The index of a pool of this configuration in `FpmConfig::pools`.
    pub fn index_of(&self, pool: &Pool) -> Option<usize> {
        self.all.iter().position(|p| std::ptr::eq(p, pool))
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

/// The pool's limit on one request, in seconds: `request_terminate_timeout`,
/// else `max_execution_time` as the pool, php.ini or conf.d set it (0 is no
/// limit; PHP's default 30s is not counted: a php.ini we cannot see may
/// change it).
fn pool_limit(
    p: &Pool,
    index: Option<usize>,
    cx: &Check<'_>,
    root: Option<&std::path::Path>,
) -> Option<Limit> {
    if let Some(s) = &p.request_terminate_timeout
        && let Ok(secs) = crate::fpm::schema::parse_time(s.value.trim())
        && secs > 0
    {
        return Some(Limit {
            secs,
            span: s.span,
            key: "request_terminate_timeout".into(),
            ini: None,
        });
    }
    let fpm = cx.loaded.fpm.as_ref()?;
    let e = cx
        .loaded
        .php_ini
        .effective_in(fpm, index?, "max_execution_time", root)?;
    let span = e.span?;
    let secs: i64 = e.value.trim().parse().ok()?;
    (secs > 0).then(|| Limit {
        secs,
        span,
        key: "max_execution_time".into(),
        ini: (e.origin == Origin::Ini).then(|| crate::rules::util::file_line(cx.loaded, span)),
    })
}

/// A pool's limit and the line that sets it.
struct Limit {
    secs: i64,
    span: Span,
    key: String,
    /// `path:line` when an ini file sets it (the pool's own file is shown
    /// as a related location; an ini file is named in the help too).
    ini: Option<String>,
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
            let mut best: Option<(&Pool, Limit)> = None;
            // The document root, where php-fpm looks for `.user.ini`.
            let root = m
                .effective_one(t.scope, "root")
                .and_then(|d| d.arg(0))
                .filter(|r| r.starts_with('/') && !r.contains('$'))
                .map(std::path::Path::new);
            let mut consider = |ep: &Endpoint| {
                if let Some(p) = pools.pool_for(ep)
                    && let Some(l) = pool_limit(p, pools.index_of(p), cx, root)
                    && best.as_ref().is_none_or(|b| l.secs > b.1.secs)
                {
                    best = Some((p, l));
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
            let Some((pool, limit)) = best else {
                continue;
            };
            let (pool_s, key) = (limit.secs, limit.key.as_str());
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
                .with_related(limit.span, format!("pool {} allows {pool_s}s here", pool.name))
                .with_help(format!(
                    "set `fastcgi_read_timeout {}s;` (a little above the pool's {pool_s}s) or lower {lower}: when nginx gives up first the user gets 504 Gateway Time-out (`upstream timed out (110: Connection timed out) while reading response header from upstream`) and the PHP worker stays busy until PHP's own limit",
                    pool_s + 10,
                    lower = match &limit.ini {
                        Some(at) => format!("{key} in {at}"),
                        None => format!("the pool's {key}"),
                    }
                )),
            );
        }
    }
}
