//! `nginx-lint graph`: who sends to whom. Each server's routes (location →
//! pass directive → upstream → endpoint → listener), as a text tree, JSON,
//! Graphviz dot or Mermaid. Built from the same model and resolver as the
//! rules, so the picture and the findings always agree. Every location is
//! listed with the requests that reach it ([`locations`]).

mod locations;
mod render;

pub use locations::{LocRef, ReachedBy, Shadow};
pub use render::render;

use serde::Serialize;

use crate::loaded::Loaded;
use crate::model::{Model, Server, Target, TargetAddr};
use crate::resolve::{Resolver, is_local};
use crate::source::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

#[derive(Serialize)]
pub struct Graph {
    pub servers: Vec<ServerNode>,
}

#[derive(Serialize)]
pub struct ServerNode {
    pub name: String,
    pub at: String,
    pub listen: Vec<String>,
    pub routes: Vec<Route>,
    /// Every location, in configuration order, with what reaches it.
    pub locations: Vec<LocationNode>,
}

#[derive(Serialize)]
pub struct LocationNode {
    pub location: String,
    pub at: String,
    /// 0 for the server's own locations, 1 inside one, …
    pub depth: usize,
    pub reached_by: ReachedBy,
    #[serde(skip)]
    pub scope: crate::model::ScopeId,
}

#[derive(Serialize)]
pub struct Route {
    pub location: String,
    /// The location block's own file:line (the pass directive's is `at`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_at: Option<String>,
    #[serde(skip)]
    pub location_scope: Option<crate::model::ScopeId>,
    pub directive: String,
    pub target: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    pub endpoints: Vec<EndpointNode>,
}

#[derive(Serialize)]
pub struct EndpointNode {
    pub endpoint: String,
    /// ok (something listens), missing (nothing local does), external
    /// (a remote host), runtime (decided per request), unresolved,
    /// port-unknown (a Compose service whose port nothing tells),
    /// unreachable (a Compose service on none of nginx's networks).
    pub status: &'static str,
    pub listeners: Vec<ListenerNode>,
}

#[derive(Serialize)]
pub struct ListenerNode {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

fn at(sources: &SourceMap, span: Span) -> String {
    let (l, _) = sources.start_of(span);
    format!("{}:{l}", sources.get(span.file).display)
}

pub fn build(loaded: &Loaded, model: &Model<'_>, resolver: &Resolver) -> Graph {
    let sources = &loaded.sources;
    // Each server's targets, in target order, found once (looking up every
    // target's server for every server grew with the square of the tree).
    let mut by_server: rustc_hash::FxHashMap<usize, Vec<&Target<'_>>> =
        rustc_hash::FxHashMap::default();
    for t in &model.targets {
        if let Some(x) = model.server_of(t.scope) {
            by_server.entry(x.scope).or_default().push(t);
        }
    }
    let servers = model
        .servers
        .iter()
        .map(|s| {
            let routes = by_server
                .get(&s.scope)
                .into_iter()
                .flatten()
                .map(|t| route(sources, model, resolver, t))
                .collect();
            let locations = if s.stream {
                Vec::new()
            } else {
                locations::of_server(sources, model, s.scope)
            };
            server_node(sources, s, routes, locations)
        })
        .collect();
    Graph { servers }
}

/// A server's node: its names, where it is, its listens and its routes.
fn server_node(
    sources: &SourceMap,
    s: &Server<'_>,
    routes: Vec<Route>,
    locations: Vec<LocationNode>,
) -> ServerNode {
    ServerNode {
        name: if s.names.is_empty() {
            "(no server_name)".into()
        } else {
            s.names.join(" ")
        },
        at: at(sources, s.directive.span),
        listen: s
            .listens
            .iter()
            .map(|l| match l.directive {
                Some(d) => d
                    .args
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                None => format!("{} (default)", l.endpoint),
            })
            .collect(),
        routes,
        locations,
    }
}

/// A target's route: the location it is in, the pass directive, its
/// upstream and the endpoints with who serves them.
fn route(sources: &SourceMap, model: &Model<'_>, resolver: &Resolver, t: &Target<'_>) -> Route {
    let location_scope = locations::enclosing(model, t.scope);
    let block = location_scope.and_then(|l| model.scopes.get(l)?.directive);
    let location = block
        .map(locations::words)
        .unwrap_or_else(|| "(server)".into());
    let (upstream, endpoints) = target_endpoints(model, t);
    let real = &sources.get(t.directive.span.file).real;
    let nginx = resolver
        .network
        .nginx_holding(real)
        .filter(|n| n.own_network);
    let endpoints =
        endpoints
            .into_iter()
            .map(|(text, ep, fixed)| {
                let mut node = endpoint_node(sources, resolver, text, ep.clone(), fixed);
                if let (
                    Some(n),
                    Some(crate::address::Endpoint::Tcp(crate::address::Host::Name(h), _)),
                ) = (nginx, &ep)
                    && let Some(apart) = resolver.network.unshared(n, h).first()
                {
                    // Docker's DNS does not answer it in nginx's container.
                    node.status = "unreachable";
                    node.listeners = vec![ListenerNode {
                        kind: "compose service",
                        name: format!("{} (on none of `{}`'s networks)", apart.service, n.service),
                        at: apart
                            .networks
                            .as_ref()
                            .and_then(|a| a.span)
                            .map(|sp| at(sources, sp)),
                    }];
                }
                node
            })
            .collect();
    Route {
        location,
        location_at: block.map(|d| at(sources, d.span)),
        location_scope,
        directive: t.kind.directive().to_string(),
        target: t.directive.arg(0).unwrap_or("").to_string(),
        at: at(sources, t.directive.span),
        upstream,
        endpoints,
    }
}

/// An endpoint as written, the address when there is one, and a status
/// fixed by the kind of target ("unresolved", "runtime"; "" when the
/// listeners decide it).
type TargetEndpoint = (String, Option<crate::address::Endpoint>, &'static str);

/// A target's upstream name (when it goes through one) and its endpoints.
fn target_endpoints(model: &Model<'_>, t: &Target<'_>) -> (Option<String>, Vec<TargetEndpoint>) {
    match &t.addr {
        TargetAddr::Direct(ep) => (None, vec![(ep.to_string(), Some(ep.clone()), "")]),
        TargetAddr::Upstream(i) => {
            let u = &model.upstreams[*i];
            let endpoints = u
                .servers
                .iter()
                .map(|(d, ep)| match ep {
                    Some(e) => (e.to_string(), Some(e.clone()), ""),
                    None => (d.arg(0).unwrap_or("").to_string(), None, "unresolved"),
                })
                .collect();
            (Some(u.name.to_string()), endpoints)
        }
        TargetAddr::Unresolved(n) => (None, vec![(n.clone(), None, "unresolved")]),
        TargetAddr::Runtime(r) => (None, vec![(r.clone(), None, "runtime")]),
    }
}

/// An endpoint's node: the listeners serving it and its status.
fn endpoint_node(
    sources: &SourceMap,
    resolver: &Resolver,
    text: String,
    ep: Option<crate::address::Endpoint>,
    fixed: &'static str,
) -> EndpointNode {
    let listeners: Vec<ListenerNode> = ep
        .as_ref()
        .map(|e| {
            resolver
                .serving(e)
                .into_iter()
                .map(|i| {
                    let l = &resolver.listeners[i];
                    ListenerNode {
                        kind: l.kind.label(),
                        name: l.name.to_string(),
                        at: l.span.map(|sp| at(sources, sp)),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut listeners = listeners;
    // A Compose service's name whose port nothing tells.
    let service = match &ep {
        Some(crate::address::Endpoint::Tcp(crate::address::Host::Name(n), _))
            if listeners.is_empty() && fixed.is_empty() =>
        {
            resolver.network.hosts.iter().find(|h| &h.name == n)
        }
        _ => None,
    };
    if let Some(h) = service {
        listeners.push(ListenerNode {
            kind: "compose service",
            name: format!("{} (port unknown)", h.service),
            at: None,
        });
    }
    let status = match (&ep, fixed) {
        (_, f) if !f.is_empty() => f,
        _ if service.is_some() => "port-unknown",
        (Some(_), _) if !listeners.is_empty() => "ok",
        (Some(e), _) if is_local(e) => "missing",
        _ => "external",
    };
    EndpointNode {
        endpoint: text,
        status,
        listeners,
    }
}
