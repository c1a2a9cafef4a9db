//! `upstream-undefined` for nginx inside a Compose project: a host name in
//! a pass target or an upstream `server` (`app:8080`) is resolved at
//! start-up (ngx_parse_url → ngx_inet_resolve_host), and in the container
//! only the project's service names, container names, host names and
//! aliases (Docker's embedded DNS) and `extra_hosts` resolve. Any other
//! name without a dot (which public DNS may resolve) stops nginx:
//! `host not found in upstream "app:8080"`.

use rustc_hash::FxHashSet;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::providers::network::{Network, NginxService};
use crate::rules::resolution::endpoints;
use crate::rules::{Check, ids};
use crate::source::Span;

pub(super) fn check(cx: &Check<'_>, unknown_units: &FxHashSet<usize>, out: &mut Vec<Finding>) {
    let net = &cx.resolver().network;
    if net.nginx.is_empty() {
        return;
    }
    let mut seen: FxHashSet<Span> = FxHashSet::default();
    for t in &cx.model.targets {
        if unknown_units.contains(&t.unit) {
            continue;
        }
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
            if net.host_in(&nginx.project, name).is_some()
                || nginx.extra_hosts.iter().any(|h| h == name)
            {
                continue;
            }
            out.push(finding(d, name, *port, net, nginx));
        }
    }
}

/// `http://app:8080/x`, `app:8080`: a port after the host.
fn has_port(arg: &str) -> bool {
    let rest = arg.split_once("://").map_or(arg, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    host.contains(':')
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
