//! backend-protocol-mismatch: a pass directive reaches a listener the
//! resolver knows, and that listener speaks another protocol: `proxy_pass`
//! to a php-fpm pool, `fastcgi_pass` or `uwsgi_pass` to an HTTP server,
//! `proxy_pass https://` to a plain HTTP port, `http://` to a TLS port.
//!
//! What each gives, checked with nginx 1.22, php-fpm 8.2 and Python's
//! http.server: HTTP to php-fpm, `recv() failed (104: Connection reset by
//! peer) while reading response header from upstream`, 502; `https://` to
//! plain HTTP, `SSL_do_handshake() failed (... wrong version number)`, 502;
//! `http://` to an nginx `ssl` listen, 400 "The plain HTTP request was sent
//! to HTTPS port"; FastCGI or uwsgi records to an HTTP server, which waits
//! for a request line that never comes (504 after the read timeout) or
//! answers 400.
//!
//! A listener whose protocol is not known (a Compose port, a declared
//! listener) never makes a finding; one that speaks the target's protocol
//! among those serving the address keeps it quiet.

use rustc_hash::FxHashSet as HashSet;

use super::endpoints;
use crate::finding::Finding;
use crate::model::{Target, TargetKind};
use crate::providers::{Listener, ListenerKind};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct BackendProtocolMismatch;

/// What a listener speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    /// HTTP; `tls` when known.
    Http {
        tls: Option<bool>,
    },
    FastCgi,
    Uwsgi,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Http { tls: Some(true) } => "HTTPS (TLS)",
            Proto::Http { tls: Some(false) } => "plain HTTP",
            Proto::Http { tls: None } => "HTTP",
            Proto::FastCgi => "FastCGI",
            Proto::Uwsgi => "the uwsgi protocol",
        }
    }
}

impl Rule for BackendProtocolMismatch {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::BACKEND_PROTOCOL_MISMATCH]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut reported: HashSet<Span> = HashSet::default();
        for t in &cx.model.targets {
            if !matches!(
                t.kind,
                TargetKind::Proxy | TargetKind::FastCgi | TargetKind::Uwsgi | TargetKind::Scgi
            ) {
                continue;
            }
            for (d, ep) in endpoints(cx.model, t) {
                let mut known: Vec<(&Listener, Proto)> = Vec::new();
                for i in cx.resolver().serving(ep) {
                    let l = &cx.resolver().listeners[i];
                    if let Some(p) = protocol(cx, l) {
                        known.push((l, p));
                    }
                }
                if known.is_empty() || known.iter().any(|(_, p)| speaks(t, *p)) {
                    continue;
                }
                let (l, p) = known[0];
                if reported.insert(d.span) {
                    out.push(finding(t, d.span, ep, l, p));
                }
            }
        }
    }
}

/// Whether a listener speaking `p` understands what `t` sends.
fn speaks(t: &Target<'_>, p: Proto) -> bool {
    match (t.kind, p) {
        (TargetKind::Proxy, Proto::Http { tls }) => tls.is_none_or(|tls| tls == t.tls),
        (TargetKind::FastCgi, Proto::FastCgi) => true,
        (TargetKind::Uwsgi, Proto::Uwsgi) => !t.tls,
        _ => false,
    }
}

/// What the listener speaks, from its kind and the line that makes it
/// listen; None when not known.
fn protocol(cx: &Check<'_>, l: &Listener) -> Option<Proto> {
    match l.kind {
        ListenerKind::PhpFpm => Some(Proto::FastCgi),
        ListenerKind::Nginx => {
            let span = l.span?;
            let ssl = cx
                .model
                .servers
                .iter()
                .flat_map(|s| s.listens.iter())
                .find(|x| x.span == span)?
                .ssl;
            Some(Proto::Http { tls: Some(ssl) })
        }
        // Gunicorn (its bind, or its systemd socket unit) and pm2's Node
        // apps speak HTTP; TLS depends on options not modelled here.
        ListenerKind::Service("gunicorn" | "systemd socket" | "pm2 app") => {
            Some(Proto::Http { tls: None })
        }
        ListenerKind::Service("uWSGI") => {
            let line = cx.loaded.sources.get(l.span?.file).slice(l.span?);
            let key = line
                .trim_start_matches('-')
                .split(|c: char| c == '=' || c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            match key.as_str() {
                "socket" | "s" | "uwsgi-socket" => Some(Proto::Uwsgi),
                "http-socket" | "http11-socket" | "http" => Some(Proto::Http { tls: Some(false) }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn finding(
    t: &Target<'_>,
    span: Span,
    ep: &crate::address::Endpoint,
    l: &Listener,
    p: Proto,
) -> Finding {
    let sends = match (t.kind, t.tls) {
        (TargetKind::Proxy, true) => "HTTPS (TLS)",
        (TargetKind::Proxy, false) => "plain HTTP",
        (TargetKind::FastCgi, _) => "FastCGI",
        (TargetKind::Uwsgi, _) => "the uwsgi protocol",
        _ => "SCGI",
    };
    let effect = match (t.kind, p) {
        (TargetKind::Proxy, Proto::Http { tls: Some(false) }) => {
            "the TLS handshake fails (`SSL_do_handshake() failed ... wrong version number`) and nginx answers 502"
        }
        (TargetKind::Proxy, Proto::Http { .. }) => {
            "the server answers 400 \"The plain HTTP request was sent to HTTPS port\""
        }
        (TargetKind::Proxy, _) => {
            "the backend drops the connection (`recv() failed (104: Connection reset by peer) while reading response header from upstream`) and nginx answers 502"
        }
        (_, Proto::Http { .. }) => {
            "the HTTP server waits for a request line that never comes (504 after the read timeout) or answers 400"
        }
        _ => "the backend cannot read the request and drops the connection (502)",
    };
    let fix = match p {
        Proto::FastCgi => {
            "use `fastcgi_pass` (with `include fastcgi_params;`) for a php-fpm pool".to_string()
        }
        Proto::Uwsgi => {
            "use `uwsgi_pass` (with `include uwsgi_params;`) for a uWSGI `socket`".to_string()
        }
        Proto::Http { tls } => match (t.kind, tls) {
            (TargetKind::Proxy, Some(true)) => "use `https://` in proxy_pass for a TLS port".into(),
            (TargetKind::Proxy, _) => "use `http://` in proxy_pass for a plain HTTP port".into(),
            _ => "use `proxy_pass http://...` for an HTTP server".into(),
        },
    };
    let mut f = Finding::error(
        ids::BACKEND_PROTOCOL_MISMATCH,
        span,
        format!(
            "{} sends {sends} to {ep}, where {} {} speaks {}: {effect}",
            t.kind.directive(),
            l.kind.label(),
            l.name,
            p.name()
        ),
    )
    .with_help(format!(
        "{fix}, or point it at the listener that speaks {sends}"
    ));
    if let Some(s) = l.span {
        f = f.with_related(s, format!("{} listens here ({})", l.kind.label(), p.name()));
    }
    if span != t.directive.span {
        f = f.with_related(
            t.directive.span,
            format!("used by {} here", t.kind.directive()),
        );
    }
    f
}
