//! `proxy-timeout-mismatch`: nginx stops waiting for the backend before the
//! backend stops working on the request — users get 504 while the worker
//! keeps running (and keeps a worker busy for nobody).

use rustc_hash::FxHashSet as HashSet;

use super::msec;
use crate::finding::Finding;
use crate::model::{Target, TargetKind};
use crate::nginx::ast::Directive;
use crate::providers::fmt_ms;
use crate::providers::{Limit, Listener};
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct ProxyTimeoutMismatch;

/// nginx's default for `proxy_read_timeout` and its siblings.
const DEFAULT_READ_MS: u64 = 60_000;

impl Rule for ProxyTimeoutMismatch {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_TIMEOUT_MISMATCH]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut seen = HashSet::default();
        for t in &cx.model.targets {
            let setting = match t.kind {
                TargetKind::Proxy => "proxy_read_timeout",
                TargetKind::Uwsgi => "uwsgi_read_timeout",
                TargetKind::Scgi => "scgi_read_timeout",
                TargetKind::Grpc => "grpc_read_timeout",
                _ => continue,
            };
            // Most backends state no limit: ask the resolver first (its
            // maps are small and in cache) and read the timeout directive
            // only for a target that reaches one that does.
            let reaches_limit = endpoints(cx.model, t).iter().any(|(_, ep)| {
                cx.resolver().serving(ep).iter().any(|&li| {
                    cx.resolver().listeners[li]
                        .backend
                        .as_ref()
                        .is_some_and(|b| b.request_timeout.is_some())
                })
            });
            if !reaches_limit {
                continue;
            }
            let dir = cx.model.effective_one(t.scope, setting);
            let Some(nginx_ms) = msec(dir, DEFAULT_READ_MS) else {
                continue;
            };
            for (_, ep) in endpoints(cx.model, t) {
                for li in cx.resolver().serving(ep) {
                    let l = &cx.resolver().listeners[li];
                    let Some(limit) = l.backend.as_ref().and_then(|b| b.request_timeout.as_ref())
                    else {
                        continue;
                    };
                    let at = dir.map_or(t.directive.span, |d| d.span);
                    if !seen.insert((at, l.name.clone(), limit.ms)) {
                        continue;
                    }
                    if limit.ms > nginx_ms {
                        out.push(longer_backend(t, dir, setting, nginx_ms, l, limit));
                    } else if let Some(d) = dir
                        && limit.span.is_none()
                        && nginx_ms > limit.ms
                    {
                        out.push(default_kill(t, d, setting, nginx_ms, l, limit));
                    }
                }
            }
        }
    }
}

/// The backend may run longer than nginx waits: 504 from nginx while the
/// worker goes on.
fn longer_backend(
    t: &Target<'_>,
    dir: Option<&Directive>,
    setting: &str,
    nginx_ms: u64,
    l: &Listener,
    limit: &Limit,
) -> Finding {
    let at: Span = dir.map_or(t.directive.span, |d| d.span);
    let nginx = match dir {
        Some(_) => format!("{setting} {}", fmt_ms(nginx_ms)),
        None => format!("{setting} {} (default)", fmt_ms(nginx_ms)),
    };
    let mut f = Finding::warning(
        ids::PROXY_TIMEOUT_MISMATCH,
        at,
        format!(
            "{nginx} is shorter than {} {}'s {}: a request running longer gets 504 from nginx while the worker goes on with it",
            l.kind.label(),
            l.name,
            limit.describe()
        ),
    )
    .with_help(format!(
        "set `{setting} {};` (a little above the backend's limit, so the backend's own timeout answers first), or lower {} {}",
        fmt_ms(limit.ms + 5000),
        l.kind.label(),
        limit.setting
    ));
    if let Some(s) = limit.span.or(l.span) {
        f = f.with_related(
            s,
            format!("{} {}: {}", l.kind.label(), l.name, limit.describe()),
        );
    }
    if dir.is_some() {
        f = f.with_related(t.directive.span, format!("{} here", t.kind.directive()));
    }
    f
}

/// nginx was set to wait longer than the backend's *default* limit, which
/// its configuration never raised: the backend kills the worker at its
/// default (Gunicorn: "workers silent for more than this many seconds are
/// killed and restarted", docs.gunicorn.org settings, `timeout`, default
/// 30) and nginx answers 502 ("upstream prematurely closed connection").
/// Only limits that kill a request count: uWSGI's `harakiri` is off by
/// default, Puma's `worker_timeout` (60 s) "is not a request timeout"
/// (Puma::DSL#worker_timeout), and Gunicorn's non-sync workers carry no
/// request limit (see `providers::gunicorn`).
fn default_kill(
    t: &Target<'_>,
    dir: &Directive,
    setting: &str,
    nginx_ms: u64,
    l: &Listener,
    limit: &Limit,
) -> Finding {
    let mut f = Finding::warning(
        ids::PROXY_TIMEOUT_MISMATCH,
        dir.span,
        format!(
            "{setting} {} waits longer than {} {}'s {}: a request running past {} is killed by the backend and nginx answers 502",
            fmt_ms(nginx_ms),
            l.kind.label(),
            l.name,
            limit.describe(),
            fmt_ms(limit.ms),
        ),
    )
    .with_help(format!(
        "set {} {}'s `{}` to {} (what nginx waits for), or lower {setting} to the backend's limit",
        l.kind.label(),
        l.name,
        limit.setting,
        nginx_ms.div_ceil(1000),
    ));
    if let Some(s) = l.span {
        f = f.with_related(
            s,
            format!("{} {} sets no {}", l.kind.label(), l.name, limit.setting),
        );
    }
    f.with_related(t.directive.span, format!("{} here", t.kind.directive()))
}
