//! `compose-profile-target`: nginx runs in a Compose service and a target
//! names a service of the project that has `profiles:` nginx's service
//! does not share. Compose starts it only when one of its profiles is
//! active (compose-spec 15-profiles.md), which `--profile` or
//! `COMPOSE_PROFILES` decide at run time: unknown here. Without it, the
//! name does not resolve in nginx's container and nginx stops at start
//! ("host not found in upstream"); with it, the target is the service.

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::providers::network::{NetworkHost, NginxService};
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct ComposeProfileTarget;

impl Rule for ComposeProfileTarget {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::COMPOSE_PROFILE_TARGET]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let net = &cx.resolver().network;
        if net.nginx.is_empty() {
            return;
        }
        let mut seen: Vec<Span> = Vec::new();
        for t in &cx.model.targets {
            for (d, ep) in endpoints(cx.model, t) {
                let Endpoint::Tcp(Host::Name(name), _) = ep else {
                    continue;
                };
                let real = &cx.loaded.sources.get(d.span.file).real;
                let Some(nginx) = net.nginx_holding(real).filter(|n| n.own_network) else {
                    continue;
                };
                if seen.contains(&d.span) {
                    continue;
                }
                if let Some(h) = net.profiled(nginx, name) {
                    seen.push(d.span);
                    out.push(finding(d.span, name, h, nginx));
                }
            }
        }
    }
}

fn finding(at: Span, name: &str, host: &NetworkHost, nginx: &NginxService) -> Finding {
    let list: Vec<String> = host
        .profiles
        .names
        .iter()
        .map(|p| format!("`{p}`"))
        .collect();
    let first = host.profiles.names.first().map_or("", String::as_str);
    let mut f = Finding::info(
        ids::COMPOSE_PROFILE_TARGET,
        at,
        format!(
            "`{name}` is the Compose service `{}`, which runs only with the profile {}: started without it, nginx (in `{}`) cannot resolve `{name}` and does not start",
            host.service,
            list.join(" or "),
            nginx.service
        ),
    )
    .with_help(format!(
        "start the stack with `docker compose --profile {first} up` (or COMPOSE_PROFILES={first}), or give `{}` the same profile so they run together",
        nginx.service
    ));
    if let Some(s) = host.profiles.span {
        f = f.with_related(s, format!("`{}`'s profiles", host.service));
    }
    f
}
