//! `resolver-external`: nginx's stub resolver talks plain UDP and takes
//! the first answer; over the internet a spoofed reply can redirect
//! proxied traffic. Use a resolver on the host or the private network.
//!
//! What the resolver is used for decides how much that matters. A pass
//! directive with variables (its host is resolved per request) or an
//! upstream `server ... resolve` sends requests wherever the answer
//! points: a warning. OCSP stapling, h5bp's reason for a public resolver,
//! fetches responses the CA signs, so a spoofed answer can only make
//! stapling fail: with no such consumer in view, an info.

use std::net::IpAddr;

use crate::finding::Finding;
use crate::model::ScopeId;
use crate::model::target::PASS_DIRECTIVES;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct ResolverExternal;

impl Rule for ResolverExternal {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::RESOLVER_EXTERNAL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (scope, d) in cx.model.named(&["resolver"]) {
            if d.name() != "resolver" {
                continue;
            }
            let public: Vec<_> = d
                .args
                .iter()
                .filter(|w| {
                    !w.as_str().contains('=') && parse_ip(w.as_str()).is_some_and(is_public)
                })
                .collect();
            if public.is_empty() {
                continue;
            }
            let names: Vec<&str> = public.iter().map(|w| w.as_str()).collect();
            let which = format!(
                "resolver {} {} public DNS server{}",
                names.join(", "),
                if names.len() == 1 { "is a" } else { "are" },
                if names.len() == 1 { "" } else { "s" }
            );
            let mut f = match consumer(cx, scope) {
                Some(c) => Finding::warning(
                    ids::RESOLVER_EXTERNAL,
                    d.span,
                    format!("{which}: nginx's resolver uses plain UDP without DNSSEC, so an attacker on the path can spoof answers and redirect proxied requests"),
                )
                .with_related(c.span, "resolves its target per request with this resolver"),
                None => Finding::info(
                    ids::RESOLVER_EXTERNAL,
                    d.span,
                    format!("{which}: nginx's resolver uses plain UDP without DNSSEC; nothing in view resolves a proxied target with it (OCSP stapling, whose responses the CA signs, only fails on a spoofed answer)"),
                ),
            };
            for w in &public {
                f = f.with_related(w.span, "public");
            }
            out.push(f.with_help("point `resolver` at a local or private resolver (127.0.0.53, the VPC resolver, dnsmasq/unbound on the host)"));
        }
    }
}

/// A directive in view that sends requests where this resolver's answer
/// points: a pass directive with variables, or an upstream `server ...
/// resolve`, in a scope that takes its `resolver` from `scope`.
fn consumer<'a>(cx: &Check<'a>, scope: ScopeId) -> Option<&'a Directive> {
    let m = cx.model;
    let uses = |s: ScopeId| m.defining(s, "resolver") == Some(scope);
    let pass = m.named(PASS_DIRECTIVES).find(|(s, d)| {
        PASS_DIRECTIVES.contains(&d.name())
            && d.args.iter().any(|a| a.as_str().contains('$'))
            && uses(*s)
    });
    if let Some((_, d)) = pass {
        return Some(d);
    }
    m.named(&["server"])
        .find(|(s, d)| {
            d.name() == "server"
                && m.scopes.get(*s).is_some_and(|sc| sc.ctx == Ctx::Upstream)
                && d.args.iter().skip(1).any(|a| a.as_str() == "resolve")
                && uses(*s)
        })
        .map(|(_, d)| d)
}

fn parse_ip(a: &str) -> Option<IpAddr> {
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (h, p) = a.rsplit_once(':')?;
    if p.bytes().all(|b| b.is_ascii_digit()) {
        return h.parse().ok();
    }
    None
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v.to_ipv4_mapped()
                    .is_some_and(|m| !is_public(IpAddr::V4(m))))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn found(server: &str) -> Vec<(Severity, usize)> {
        let c = format!("events {{}}\nhttp {{ server {{ listen 80; {server} }} }}\n");
        lint(ids::RESOLVER_EXTERNAL, &c)
            .iter()
            .map(|f| (f.severity, f.related.len()))
            .collect()
    }

    /// One finding per directive; a warning when a pass with variables
    /// resolves its target with it, an info for stapling alone.
    #[test]
    fn severity_follows_what_uses_the_resolver() {
        let proxied = found(
            "resolver 8.8.8.8 1.1.1.1 valid=30s; location / { proxy_pass http://app.example.com$request_uri; }",
        );
        assert_eq!(proxied, [(Severity::Warning, 3)]);
        let stapling = found("resolver 8.8.8.8 1.1.1.1; ssl_stapling on;");
        assert_eq!(stapling, [(Severity::Info, 2)]);
        // A location with its own resolver takes none from the server.
        let own =
            found("resolver 8.8.8.8; location / { resolver 127.0.0.53; proxy_pass http://$host; }");
        assert_eq!(own, [(Severity::Info, 1)]);
        let upstream = "events {}\nhttp { resolver 9.9.9.9; upstream u { zone u 64k; server app.example.com resolve; } server { listen 80; location / { proxy_pass http://u; } } }\n";
        let f = lint(ids::RESOLVER_EXTERNAL, upstream);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(found("resolver 10.0.0.2 127.0.0.53;").is_empty());
    }
}
