//! `container-loopback-target`: nginx runs in a container of a Compose
//! project and proxies to `127.0.0.1`/`localhost` — the nginx container
//! itself, not the app. The classic "works on my machine, 502 in Docker".

use rustc_hash::FxHashSet as HashSet;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::providers::{Container, ListenerKind};
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};

pub struct ContainerLoopbackTarget;

impl Rule for ContainerLoopbackTarget {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::CONTAINER_LOOPBACK_TARGET]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let ls = &cx.resolver().listeners;
        let container =
            |i: usize| -> Option<&Container> { ls.get(i)?.backend.as_ref()?.container.as_ref() };
        // The container nginx runs in, with its own network namespace.
        let Some(nginx) = (0..ls.len())
            .filter_map(container)
            .find(|c| c.runs_nginx && c.own_network)
        else {
            return;
        };
        let mut seen = HashSet::default();
        for t in &cx.model.targets {
            for (d, ep) in endpoints(cx.model, t) {
                let Endpoint::Tcp(host, port) = ep else {
                    continue;
                };
                if !host.is_loopback() {
                    continue;
                }
                // nginx proxying to another of its own servers is fine.
                let served = cx.resolver().serving(ep);
                if served.iter().any(|&i| ls[i].kind == ListenerKind::Nginx) {
                    continue;
                }
                // A service whose configuration the nginx image copies in
                // beside nginx (php-fpm in the same image) is in that
                // container's loopback.
                let net = &cx.resolver().network;
                let beside = |i: &usize| {
                    ls[*i].span.is_some_and(|s| {
                        net.nginx_holding(&cx.loaded.sources.get(s.file).real)
                            .is_some()
                    })
                };
                if served.iter().any(beside) {
                    continue;
                }
                if !seen.insert(d.span) {
                    continue;
                }
                // A service of the project on that container port.
                let peer = ls.iter().find_map(|l| {
                    match (&l.endpoint, l.backend.as_ref()?.container.as_ref()) {
                        (Endpoint::Tcp(Host::Name(n), p), Some(c))
                            if p == port && !c.runs_nginx =>
                        {
                            Some(n.clone())
                        }
                        _ => None,
                    }
                });
                let help = match &peer {
                    Some(n) => format!(
                        "address the app by its Compose service name: `{} {};`",
                        d.name(),
                        with_host(d.arg(0).unwrap_or_default(), &format!("{n}:{port}"))
                    ),
                    None => "address the app by its Compose service name (`http://app:3000`), on its container port".to_string(),
                };
                let mut f = Finding::warning(
                    ids::CONTAINER_LOOPBACK_TARGET,
                    d.span,
                    format!(
                        "{} {ep}: nginx runs in the Compose service `{}`, where loopback is that container itself, not the app",
                        t.kind.directive(),
                        nginx.service
                    ),
                )
                .with_help(help);
                if let Some(s) = nginx.nginx_span {
                    f = f.with_related(s, format!("nginx runs in container `{}`", nginx.service));
                }
                out.push(f);
            }
        }
    }
}

/// The target with its authority replaced: `http://127.0.0.1:3000/x` →
/// `http://app:3000/x`, `localhost:9000` → `php:9000`.
fn with_host(arg: &str, authority: &str) -> String {
    let (scheme, rest) = match arg.find("://") {
        Some(i) => arg.split_at(i + 3),
        None => ("", arg),
    };
    let tail = rest.find('/').map_or("", |i| &rest[i..]);
    format!("{scheme}{authority}{tail}")
}
