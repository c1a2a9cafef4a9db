//! `proxy-timeout-mismatch`: nginx stops waiting for the backend before the
//! backend stops working on the request — users get 504 while the worker
//! keeps running (and keeps a worker busy for nobody).

use rustc_hash::FxHashSet as HashSet;

use super::msec;
use crate::finding::Finding;
use crate::model::TargetKind;
use crate::providers::fmt_ms;
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};

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
                    if limit.ms <= nginx_ms {
                        continue;
                    }
                    let at = dir.map_or(t.directive.span, |d| d.span);
                    if !seen.insert((at, l.name.clone(), limit.ms)) {
                        continue;
                    }
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
                        f = f
                            .with_related(t.directive.span, format!("{} here", t.kind.directive()));
                    }
                    out.push(f);
                }
            }
        }
    }
}
