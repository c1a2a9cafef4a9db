//! proxy-self-loop: a `proxy_pass` to an address this nginx listens on,
//! where the proxied request is selected by the same server block and asks
//! for the same URI, so it reaches the same location and is proxied again.
//! Every hop takes two more connections until `worker_connections are not
//! enough` and the client gets 502 (checked with nginx 1.22).
//!
//! What nginx does, as modelled here:
//! - the proxied request carries `Host: $proxy_host` (the host and port of
//!   `proxy_pass`) unless `proxy_set_header Host` says otherwise
//!   (ngx_http_proxy_module: "By default, only two fields are redefined:
//!   proxy_set_header Host $proxy_host; proxy_set_header Connection close;");
//! - the server is chosen among those listening on the address the
//!   connection arrives at (a listen on that exact address hides the
//!   wildcard ones), by exact `server_name`, else the `default_server`
//!   (the first one when none is marked);
//! - `proxy_pass` without a URI passes the request URI unchanged, so the
//!   same location matches again.
//!
//! Quiet, because the request may take another path: a `proxy_pass` with a
//! URI, a `rewrite` or `if` in the location or its server (a loop guard), a
//! named location, wildcard or regex server names on the way, a Host set
//! from a variable when other servers share the port.

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::model::{Listen, Model, Server, Target, TargetAddr, TargetKind};
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct ProxySelfLoop;

impl Rule for ProxySelfLoop {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_SELF_LOOP]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for t in m.targets_of(TargetKind::Proxy) {
            let TargetAddr::Direct(Endpoint::Tcp(host, port)) = &t.addr else {
                continue;
            };
            if !host.is_local() || !same_request(m, t) {
                continue;
            }
            let Some(own) = m.server_of(t.scope) else {
                continue;
            };
            if own.stream || m.has(own.scope, "if") || m.has(own.scope, "rewrite") {
                continue;
            }
            let unit = m.scopes[t.scope].unit;
            let group = listening(m, unit, host, *port, t.tls);
            let Some((_, listen)) = group.iter().find(|(s, _)| std::ptr::eq(*s, own)) else {
                continue;
            };
            let alone = group.iter().all(|(s, _)| std::ptr::eq(*s, own));
            let chosen = if alone {
                Some(own)
            } else {
                host_header(m, t).and_then(|h| select(&group, &h))
            };
            if chosen.is_some_and(|s| std::ptr::eq(s, own)) {
                out.push(finding(t, listen, alone));
            }
        }
    }
}

/// The proxied request asks for what this location received: a `proxy_pass`
/// without a URI, in a plain location with no `rewrite` or `if`.
fn same_request(m: &Model<'_>, t: &Target<'_>) -> bool {
    let scope = &m.scopes[t.scope];
    if scope.ctx != Ctx::Location {
        return false;
    }
    if scope
        .directive
        .and_then(|d| d.arg(0))
        .is_none_or(|a| a.starts_with('@'))
    {
        return false;
    }
    let raw = t.directive.arg(0).unwrap_or("");
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    !rest.contains('/') && !m.has(t.scope, "rewrite") && !m.has(t.scope, "if")
}

/// The listens of `unit`'s http servers a connection to `host:port`
/// arrives at: those on that exact address if any, else the wildcard ones
/// of the same family; only those speaking the same protocol (TLS or not).
fn listening<'m, 't>(
    m: &'m Model<'t>,
    unit: usize,
    host: &Host,
    port: u16,
    tls: bool,
) -> Vec<(&'m Server<'t>, &'m Listen<'t>)> {
    let v6 = matches!(host, Host::Ip(ip) if ip.is_ipv6());
    let on_port = || {
        m.servers
            .iter()
            .filter(move |s| !s.stream && m.scopes[s.scope].unit == unit)
            .flat_map(|s| s.listens.iter().map(move |l| (s, l)))
            .filter(move |(_, l)| {
                matches!(&l.endpoint, Endpoint::Tcp(_, p) if *p == port) && l.ssl == tls
            })
    };
    let exact: Vec<_> = on_port()
        .filter(|(_, l)| matches!(&l.endpoint, Endpoint::Tcp(h, _) if h == host))
        .collect();
    if !exact.is_empty() || matches!(host, Host::Any) {
        return exact;
    }
    on_port()
        .filter(|(_, l)| matches!(l.endpoint, Endpoint::Tcp(Host::Any, _)) && l.bracketed == v6)
        .collect()
}

/// The Host header of the proxied request, lowercased and without port,
/// when it is a literal: `$proxy_host` (nginx's default) is the host of
/// `proxy_pass`.
fn host_header(m: &Model<'_>, t: &Target<'_>) -> Option<String> {
    let set = m
        .effective(t.scope, "proxy_set_header")
        .filter(|d| d.arg(0).is_some_and(|n| n.eq_ignore_ascii_case("host")))
        .last();
    let value = match set.and_then(|d| d.arg(1)) {
        None | Some("$proxy_host") => {
            let raw = t.directive.arg(0)?;
            let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
            rest.split('/').next()?.to_string()
        }
        Some(v) if v.contains('$') => return None,
        Some(v) => v.to_string(),
    };
    let host = match value.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?.to_string(),
        None => value.split(':').next()?.to_string(),
    };
    Some(host.to_ascii_lowercase())
}

/// The server nginx picks for `host` among `group`; None when a wildcard
/// or regex name might take it first.
fn select<'m, 't>(
    group: &[(&'m Server<'t>, &'m Listen<'t>)],
    host: &str,
) -> Option<&'m Server<'t>> {
    if let Some((s, _)) = group
        .iter()
        .find(|(s, _)| s.names.iter().any(|n| n.eq_ignore_ascii_case(host)))
    {
        return Some(s);
    }
    if group.iter().any(|(s, _)| {
        s.names
            .iter()
            .any(|n| n.starts_with('~') || n.contains('*'))
    }) {
        return None;
    }
    group
        .iter()
        .find(|(_, l)| l.default_server)
        .or(group.first())
        .map(|(s, _)| *s)
}

fn finding(t: &Target<'_>, listen: &Listen<'_>, alone: bool) -> Finding {
    let why = if alone {
        "the only server listening there"
    } else {
        "the Host header it sends selects this server again"
    };
    Finding::error(
        ids::PROXY_SELF_LOOP,
        t.directive.span,
        format!(
            "`{}` sends the request back to this server ({why}) with the same URI: nginx proxies to itself until `worker_connections are not enough` and answers 502",
            t.directive.arg(0).unwrap_or("")
        ),
    )
    .with_related(listen.span, "this server listens here")
    .with_help(
        "point proxy_pass at the application's own address (its port, socket or upstream); to route by name through another server block on this port, send a Host that block's server_name matches (`proxy_set_header Host ...`)",
    )
}
