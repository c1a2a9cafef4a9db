//! `server-name-conflict`: a name two servers give on the same address.
//! nginx adds each address's names to one hash (`ngx_http_server_names`,
//! src/http/ngx_http.c); a name whose key is taken (`ngx_hash_add_key`
//! returns NGX_BUSY: the same exact name in any case, `.x` beside `x` or
//! `*.x`, the same `x.*`) is logged as "conflicting server name ... on
//! ADDR, ignored" and the later server never answers for it. Servers
//! without `server_name` share the name `""`: nginx warns about it, we do
//! not (only a request without Host uses that name). Regex names never
//! conflict.
//! The names are those the route engine keeps ([`crate::route::server`]).

use crate::finding::Finding;
use crate::model::Model;
use crate::route::server::{Conflict, Socket, conflicts, sockets};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct ServerNameConflict;

impl Rule for ServerNameConflict {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SERVER_NAME_CONFLICT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let model = cx.model;
        // One finding per (server, name): `listen 80; listen [::]:80;`
        // conflicts on both addresses.
        let mut seen = rustc_hash::FxHashSet::default();
        for k in sockets(model) {
            // Two servers without `server_name` conflict on `""` too (nginx
            // warns), but only a request without Host uses that name.
            for c in conflicts(model, &k)
                .into_iter()
                .filter(|c| !c.name.is_empty())
            {
                if seen.insert((c.server, c.name.clone())) {
                    out.push(finding(model, &k, &c));
                }
            }
        }
    }
}

/// Where a server gives a name: its `server_name` line, or the `server`
/// line for the implied `""`.
fn name_span(model: &Model<'_>, server: usize, name: &str) -> Option<Span> {
    let s = model.servers.get(server)?;
    let own = model
        .own(s.scope, "server_name")
        .find(|d| d.args.iter().any(|a| a.as_str() == name));
    Some(own.map_or(s.directive.span, |d| d.span))
}

fn finding(model: &Model<'_>, k: &Socket, c: &Conflict) -> Finding {
    let shown = if c.name.is_empty() {
        "\"\" (no server_name)".to_string()
    } else {
        c.name.clone()
    };
    let span = name_span(model, c.server, &c.name)
        .unwrap_or_else(|| model.servers[c.server].directive.span);
    let mut f = Finding::warning(
        ids::SERVER_NAME_CONFLICT,
        span,
        format!(
            "server name {shown} is already taken on {addr} by an earlier server, so this server never answers for it (nginx logs `conflicting server name \"{lower}\" on {addr}, ignored`)",
            addr = k.addr,
            lower = c.name.to_ascii_lowercase()
        ),
    )
    .with_help("keep the name in one server, or listen on different addresses");
    let first = model.servers.get(c.first).map(|s| s.directive.span);
    if let Some(sp) = first {
        f = f.with_related(sp, "this server answers for it");
    }
    f
}
