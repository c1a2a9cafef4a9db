//! `upstream-no-listener` for a Compose service's name: nginx runs in the
//! project, the target names a service, and what that service listens on
//! is known (its command line, its environment, its Dockerfile, its
//! image, its `expose`/`ports`) and is not the target's port. Connections
//! to a container port nothing listens on are refused: 502, "connect()
//! failed (111: Connection refused)". Unknown ports are not reported.

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::model::Target;
use crate::nginx::ast::Directive;
use crate::rules::{Check, ids};

/// The finding for a target on a project's service that does not listen
/// on its port; None when it does, or nothing tells.
pub(super) fn unserved(
    cx: &Check<'_>,
    t: &Target<'_>,
    d: &Directive,
    ep: &Endpoint,
) -> Option<Finding> {
    let Endpoint::Tcp(Host::Name(name), port) = ep else {
        return None;
    };
    let net = &cx.resolver().network;
    let real = &cx.loaded.sources.get(d.span.file).real;
    let nginx = net.nginx_holding(real).filter(|n| n.own_network)?;
    let host = net.host_in(&nginx.project, name)?;
    let ports = host.ports.as_ref()?;
    if ports.loopback && ports.ports.contains(port) {
        return Some(loopback_finding(t, d, ep, &host.service, ports));
    }
    if ports.ports.contains(port) || !cx.resolver().serving(ep).is_empty() {
        return None;
    }
    let list: Vec<String> = ports.ports.iter().map(u16::to_string).collect();
    let mut f = Finding::warning(
        ids::UPSTREAM_NO_LISTENER,
        d.span,
        format!(
            "{} {ep}: Compose service `{}` listens on {}, not {port}",
            t.kind.directive(),
            host.service,
            list.join(", ")
        ),
    )
    .with_help(format!(
        "{}: point {} at {name}:{}, or make the service listen on {port}",
        ports.evidence,
        t.kind.directive(),
        list.first().map_or("", String::as_str)
    ));
    if let Some(s) = ports.span {
        f = f.with_related(s, format!("`{}` listens here", host.service));
    }
    Some(f)
}

/// The service listens on the port, but on its own container's loopback:
/// nginx's container is refused (111: Connection refused).
fn loopback_finding(
    t: &Target<'_>,
    d: &Directive,
    ep: &Endpoint,
    service: &str,
    ports: &crate::providers::network::Ports,
) -> Finding {
    let mut f = Finding::warning(
        ids::UPSTREAM_NO_LISTENER,
        d.span,
        format!(
            "{} {ep}: Compose service `{service}` listens on this port on its own loopback (127.0.0.1) only, which nginx's container cannot reach",
            t.kind.directive()
        ),
    )
    .with_help(format!(
        "{}: bind 0.0.0.0 (every interface of the container) instead",
        ports.evidence
    ));
    if let Some(s) = ports.span {
        f = f.with_related(s, format!("`{service}` binds loopback here"));
    }
    f
}
