//! `upstream-undefined` for nginx inside a Compose project: a host name in
//! a pass target or an upstream `server` (`app:8080`) is resolved at
//! start-up (ngx_parse_url → ngx_inet_resolve_host), and in the container
//! only the project's service names, container names, host names and
//! aliases (Docker's embedded DNS) and `extra_hosts` resolve. Any other
//! name without a dot (which public DNS may resolve) stops nginx:
//! `host not found in upstream "app:8080"`. So does a service's name when
//! the service shares no network with nginx's (Docker's DNS answers a
//! container's names only on the networks it is connected to; see
//! providers::compose_networks).

use rustc_hash::FxHashSet;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::providers::network::{Attached, Network, NetworkHost, NginxService};
use crate::rules::resolution::endpoints;
use crate::rules::{Check, ids};
use crate::source::Span;

pub(super) fn check(cx: &Check<'_>, unknown_units: &FxHashSet<usize>, out: &mut Vec<Finding>) {
    let net = &cx.resolver().network;
    if net.nginx.is_empty() {
        return;
    }
    let mut seen: FxHashSet<Span> = FxHashSet::default();
    // An include outside the repository cannot make such a name resolve:
    // `host:port` is never an `upstream` block's name (ngx_http_upstream_add:
    // "upstream \"%V\" may not have port %d"), and an upstream's `server`
    // names a host. Its unit is judged like any other.
    let _ = unknown_units;
    for t in &cx.model.targets {
        for (d, ep) in endpoints(cx.model, t) {
            let Endpoint::Tcp(Host::Name(name), port) = ep else {
                continue;
            };
            let upstream_server = d.name() == "server";
            let arg = d.arg(0).unwrap_or_default();
            // A portless pass target is the portless check's; `resolve`
            // servers are resolved at run time.
            if (!upstream_server && !has_port(arg))
                || (upstream_server && d.args.iter().any(|a| a.as_str() == "resolve"))
                || name.contains('.')
                || !seen.insert(d.span)
            {
                continue;
            }
            let real = &cx.loaded.sources.get(d.span.file).real;
            let Some(nginx) = net
                .nginx_holding(real)
                .filter(|n| n.own_network && net.closed(&n.project))
            else {
                continue;
            };
            if nginx.extra_hosts.iter().any(|h| h == name) {
                continue;
            }
            if net.host_in(&nginx.project, name).is_some() {
                let apart = net.unshared(nginx, name);
                if let Some(h) = apart.first() {
                    out.push(apart_finding(cx, d, name, *port, h, nginx));
                }
                continue;
            }
            // On an external network, containers of other projects answer too.
            if !nginx.external {
                out.push(finding(d, name, *port, net, nginx));
            }
        }
    }
}

/// `http://app:8080/x`, `app:8080`: a port after the host.
fn has_port(arg: &str) -> bool {
    let rest = arg.split_once("://").map_or(arg, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    host.contains(':')
}

/// The name is a service of the project, but on none of nginx's networks:
/// Docker's DNS does not answer it there (see providers::compose_networks).
fn apart_finding(
    cx: &Check<'_>,
    d: &crate::nginx::ast::Directive,
    name: &str,
    port: u16,
    host: &NetworkHost,
    nginx: &NginxService,
) -> Finding {
    let on = |a: Option<&Attached>| {
        let Some(a) = a else {
            return String::new();
        };
        let at = a.span.map_or_else(
            || " (no `networks:`, so `default`)".to_string(),
            |s| {
                let (line, _) = cx.loaded.sources.start_of(s);
                format!(" ({}:{line})", cx.loaded.sources.get(s.file).display)
            },
        );
        format!("{}{at}", a.names.join(", "))
    };
    let mut f = Finding::error(
        ids::UPSTREAM_UNDEFINED,
        d.span,
        format!("host not found in upstream \"{name}:{port}\""),
    )
    .with_help(format!(
        "`{name}` is the Compose service `{}`, on the networks {}; nginx runs in `{}`, on {}: they share no network, so Docker's DNS does not answer `{name}` there and nginx does not start; add one of its networks to `{}`",
        host.service,
        on(host.networks.as_ref()),
        nginx.service,
        on(nginx.networks.as_ref()),
        nginx.service
    ));
    for (a, who) in [
        (host.networks.as_ref(), host.service.as_ref()),
        (nginx.networks.as_ref(), nginx.service.as_str()),
    ] {
        if let Some(s) = a.and_then(|a| a.span) {
            f = f.with_related(s, format!("`{who}`'s networks"));
        }
    }
    f
}

fn finding(
    d: &crate::nginx::ast::Directive,
    name: &str,
    port: u16,
    net: &Network,
    nginx: &NginxService,
) -> Finding {
    let mut names: Vec<&str> = net
        .hosts
        .iter()
        .filter(|h| h.project == nginx.project)
        .map(|h| h.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let near = names
        .iter()
        .map(|n| (crate::text::edit_distance(name, n), *n))
        .filter(|(dist, _)| *dist <= 3)
        .min();
    let mut help = format!(
        "nginx runs in the Compose service `{}`, where only the project's services \
         resolve ({}); `{name}` is none of them, so nginx does not start",
        nginx.service,
        names.join(", ")
    );
    if let Some((_, n)) = near {
        help.push_str(&format!("; did you mean `{n}`?"));
    }
    Finding::error(
        ids::UPSTREAM_UNDEFINED,
        d.span,
        format!("host not found in upstream \"{name}:{port}\""),
    )
    .with_help(help)
}
