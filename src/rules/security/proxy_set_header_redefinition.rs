//! `proxy-set-header-redefinition`: a block with its own `proxy_set_header`
//! inherits none from the blocks around it. nginx merges the array
//! directive as a whole (ngx_http_proxy_merge_loc_conf: `headers_source`
//! is taken from the parent only when the block sets none), so a location
//! that adds one header silently sends the others' defaults: `Host:
//! $proxy_host` instead of the `Host $host` set in `server`, no
//! `X-Forwarded-For`, no `Upgrade`/`Connection` for WebSockets (nginx.org,
//! ngx_http_proxy_module: "These directives are inherited from the
//! previous configuration level if and only if there are no
//! proxy_set_header directives defined on the current level").
//!
//! Reported only where the block proxies (a `proxy_pass` in it or below
//! it), and not when the block includes a file the run cannot read (it
//! may repeat the headers).

use crate::finding::Finding;
use crate::model::{Model, ScopeId, TargetKind};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct ProxySetHeaderRedefinition;

const NAME: &str = "proxy_set_header";

/// The innermost block around `sid` with its own `proxy_set_header`.
fn source(m: &Model<'_>, sid: ScopeId) -> Option<ScopeId> {
    let parent = m.scopes.get(sid)?.parent?;
    m.defining(parent, NAME)
}

/// Whether a `proxy_pass` stands in `sid` or a block inside it.
fn proxies(m: &Model<'_>, sid: ScopeId) -> bool {
    m.targets_of(TargetKind::Proxy)
        .any(|t| m.chain(t.scope).any(|s| std::ptr::eq(s, &m.scopes[sid])))
}

impl Rule for ProxySetHeaderRedefinition {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_SET_HEADER_REDEFINITION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for sid in m.scopes_with(NAME).collect::<Vec<_>>() {
            if !matches!(m.scopes[sid].ctx, Ctx::Server | Ctx::Location) {
                continue;
            }
            let Some(src) = source(m, sid) else { continue };
            let unreadable = |s: ScopeId| {
                m.own(s, "include")
                    .any(|i| cx.loaded.unknown_includes.contains(&i.span))
            };
            if unreadable(sid) || !proxies(m, sid) {
                continue;
            }
            let own: Vec<&str> = m.own(sid, NAME).filter_map(|d| d.arg(0)).collect();
            let mut dropped: Vec<&Directive> = Vec::new();
            for d in m.own(src, NAME) {
                let Some(name) = d.arg(0) else { continue };
                let same = |o: &str| o.eq_ignore_ascii_case(name);
                let kept = own.iter().any(|o| same(o))
                    || dropped.iter().any(|x| x.arg(0).is_some_and(same));
                if !kept {
                    dropped.push(d);
                }
            }
            if let (Some(first), false) = (m.own(sid, NAME).next(), dropped.is_empty()) {
                out.push(redefined(first, &dropped));
            }
        }
    }
}

fn redefined(first: &Directive, dropped: &[&Directive]) -> Finding {
    let names: Vec<&str> = dropped.iter().filter_map(|d| d.arg(0)).collect();
    let mut f = Finding::warning(
        ids::PROXY_SET_HEADER_REDEFINITION,
        first.span,
        format!(
            "this block's `proxy_set_header` replaces all inherited ones: {} {} no longer set \
             for requests proxied from here",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ),
    )
    .with_help(
        "repeat the outer block's proxy_set_header lines here (an `include` of a shared \
         snippet keeps them in one place); without them nginx sends `Host: $proxy_host` and \
         `Connection: close`",
    );
    for d in dropped {
        f = f.with_related(d.span, "set in the outer block, not inherited here");
    }
    f
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(server: &str) -> String {
        format!(
            "events {{}}\nhttp {{ server_tokens off; server {{ listen 80; \
             proxy_set_header Host $host; {server} }} }}\n"
        )
    }

    #[test]
    fn a_proxying_location_inside_counts() {
        let c = conf(
            "location /a/ { proxy_set_header X-A 1; \
             location /a/b { proxy_pass http://127.0.0.1:81; } }",
        );
        let f = lint(ids::PROXY_SET_HEADER_REDEFINITION, &c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].related.len(), 1);
    }

    #[test]
    fn repeated_or_unused_headers_are_not_reported() {
        let c = conf(
            "location /a/ { proxy_set_header HOST $host; proxy_set_header X-A 1; \
             proxy_pass http://127.0.0.1:81; } \
             location /b/ { proxy_set_header X-B 1; return 204; }",
        );
        assert!(lint(ids::PROXY_SET_HEADER_REDEFINITION, &c).is_empty());
    }
}
