//! `upstream-no-listener`: a target nothing in the analysed configs listens
//! on — the 502 "connect() failed (2: No such file or directory)" or
//! "(111: Connection refused)".

use rustc_hash::FxHashMap as HashMap;

use super::endpoints;
use crate::address::Endpoint;
use crate::finding::{Finding, Severity};
use crate::model::{Target, TargetAddr, TargetKind};
use crate::nginx::ast::Directive;
use crate::providers::{Listener, ListenerKind};
use crate::resolve::is_local;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct UpstreamNoListener;

impl Rule for UpstreamNoListener {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::UPSTREAM_NO_LISTENER]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let fpm_known = cx.loaded.fpm.as_ref().is_some_and(|c| !c.pools.is_empty());
        // One finding per offending line (an upstream `server` line used by
        // many vhosts is reported once, with its users as related).
        let mut by_line: HashMap<Span, Finding> = HashMap::default();
        for t in &cx.model.targets {
            for (d, ep) in endpoints(cx.model, t) {
                if let Some(f) = super::compose_target::unserved(cx, t, d, ep) {
                    by_line.entry(d.span).or_insert(f);
                    continue;
                }
                if !is_local(ep) {
                    continue;
                }
                let served = cx.resolver().serving(ep);
                let live = cx.resolver().live.as_ref().map(|l| l.listening(ep));
                if !served.is_empty() {
                    // Configured; with --live, also check it is running.
                    if live == Some(false) {
                        out.push(stopped_finding(
                            t,
                            d,
                            ep,
                            &cx.resolver().listeners[served[0]],
                        ));
                    }
                    continue;
                }
                if live == Some(true) {
                    // Not in the analysed files, but running: fine.
                    continue;
                }
                let entry = by_line
                    .entry(d.span)
                    .or_insert_with(|| unserved_finding(cx, t, d, ep, fpm_known, live));
                if d.span != t.directive.span && entry.related.len() < 4 {
                    entry.related.push(crate::finding::Related {
                        span: t.directive.span,
                        message: format!("used by {} here", t.kind.directive()),
                    });
                }
            }
        }
        out.extend(by_line.into_values());
    }
}

/// A configured listener that does not listen now (--live).
fn stopped_finding(t: &Target<'_>, d: &Directive, ep: &Endpoint, l: &Listener) -> Finding {
    let mut f = Finding::warning(
        ids::UPSTREAM_NO_LISTENER,
        d.span,
        format!(
            "{} {ep}: {} {} is configured to listen there, but nothing listens now (--live)",
            t.kind.directive(),
            l.kind.label(),
            l.name
        ),
    )
    .with_help("the service is stopped or failed to start: check its status and log");
    if let Some(s) = l.span {
        f = f.with_related(s, "configured here");
    }
    f
}

/// A local endpoint nothing in the analysed configuration listens on.
///
/// How loud depends on what is in view: an error for a FastCGI target when
/// php-fpm was analysed and none of its pools listens there; a warning when
/// `--live` found nothing listening, or when a backend in view listens close
/// by (a likely typo or a moved port); otherwise an info. A repository of
/// vhost files rarely holds the application server, and on the corpus every
/// such warning was a backend simply out of view, never a real mismatch.
/// The help names the nearest listener, if any.
fn unserved_finding(
    cx: &Check<'_>,
    t: &Target<'_>,
    d: &Directive,
    ep: &Endpoint,
    fpm_known: bool,
    live: Option<bool>,
) -> Finding {
    let fastcgi = t.kind == TargetKind::FastCgi;
    let kind = fastcgi.then_some(ListenerKind::PhpFpm);
    let near = cx
        .resolver()
        .nearest(ep, kind)
        .filter(|l| l.kind != ListenerKind::Nginx);
    let severity = if fastcgi && fpm_known {
        Severity::Error
    } else if live == Some(false) || near.is_some() {
        Severity::Warning
    } else {
        Severity::Info
    };
    let what = match ep {
        Endpoint::Unix(_) => "nothing listens on this socket",
        Endpoint::Tcp(..) => "nothing listens on this address",
    };
    let subject = match &t.addr {
        TargetAddr::Upstream(i) => format!(
            "upstream `{}` server {ep} (used by {})",
            cx.model.upstreams.get(*i).map_or("?", |u| u.name),
            t.kind.directive()
        ),
        _ => format!("{} {ep}", t.kind.directive()),
    };
    let mut f = Finding::new(
        ids::UPSTREAM_NO_LISTENER,
        severity,
        d.span,
        format!("{subject}: {what} in the analysed configuration"),
    );
    f.help = Some(match near {
        Some(l) => {
            let f2 = format!("{} {} listens on {}", l.kind.label(), l.name, l.endpoint);
            if let Some(s) = l.span {
                f = f.with_related(s, format!("{} {} listens here", l.kind.label(), l.name));
            }
            format!(
                "{f2}: point {} there, or make the service listen on {ep}",
                t.kind.directive()
            )
        }
        None if fastcgi && !fpm_known => {
            "no php-fpm configuration was analysed: pass it with --php-fpm DIR (or lint /etc/nginx on the server)".to_string()
        }
        None => "start the backend on this address, or declare it in .nginx-lint.toml ([[listener]]) if it runs outside the analysed configs".to_string(),
    });
    f
}
