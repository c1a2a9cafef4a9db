//! `dns-resolved-once`: a backend named by a DNS name in a pass directive
//! or an upstream `server` without `resolve`. nginx resolves such a name
//! once, while it reads the configuration (ngx_parse_url with resolution
//! in ngx_http_upstream_add / ngx_http_upstream_server), and keeps the
//! addresses until the next reload: a backend whose addresses change
//! (cloud load balancers, PaaS hosts, failover) is then unreachable, 502,
//! until someone reloads nginx. nginx re-resolves a name only when it
//! comes from a variable (with `resolver`) or, from 1.27.3 on, for an
//! upstream `server ... resolve` (nginx.org, ngx_http_upstream_module).
//!
//! Only public names are reported: a single label (`app`, `php`) is a
//! container or service name on a private network, `localhost` is the
//! machine itself, and the special-use and private suffixes (RFC 6761
//! `.test`/`.example`/`.invalid`/`.localhost`, RFC 6762 `.local`, RFC 8375
//! `.home.arpa`, ICANN's `.internal`, and the customary `.lan` and
//! `.localdomain`) name hosts on networks the same operator runs. Reported
//! once per name and tree, at its first use.

use rustc_hash::FxHashSet;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::model::TargetAddr;
use crate::nginx::ast::Directive;
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct DnsResolvedOnce;

/// The first release whose upstream `server` takes `resolve`.
const RESOLVE_PARAMETER: Version = Version(1, 27, 3);

/// Suffixes of names that do not leave the operator's own networks.
const PRIVATE_SUFFIXES: &[&str] = &[
    "localhost",
    "test",
    "example",
    "invalid",
    "local",
    "home.arpa",
    "internal",
    "lan",
    "localdomain",
];

/// The DNS name of an endpoint worth reporting.
fn dns_name(ep: &Endpoint) -> Option<&str> {
    let Endpoint::Tcp(Host::Name(name), _) = ep else {
        return None;
    };
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let private = lower == "localhost"
        || PRIVATE_SUFFIXES.iter().any(|s| {
            lower
                .strip_suffix(s)
                .is_some_and(|head| head.ends_with('.'))
        });
    (lower.contains('.') && !private).then_some(name.as_str())
}

impl Rule for DnsResolvedOnce {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DNS_RESOLVED_ONCE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let resolve_parameter = cx.settings.nginx_version >= RESOLVE_PARAMETER;
        // (unit, lowercase name) already reported.
        let mut seen: FxHashSet<(usize, String)> = FxHashSet::default();
        let mut first = |unit: usize, name: &str| seen.insert((unit, name.to_ascii_lowercase()));
        for t in &m.targets {
            let TargetAddr::Direct(ep) = &t.addr else {
                continue;
            };
            if let Some(name) = dns_name(ep)
                && first(t.unit, name)
            {
                out.push(resolved_once(t.directive, name, false, resolve_parameter));
            }
        }
        for u in &m.upstreams {
            for (d, ep) in &u.servers {
                let Some(name) = ep.as_ref().and_then(dns_name) else {
                    continue;
                };
                if d.args.iter().skip(1).any(|w| w.as_str() == "resolve") || !first(u.unit, name) {
                    continue;
                }
                out.push(resolved_once(d, name, true, resolve_parameter));
            }
        }
    }
}

fn resolved_once(d: &Directive, name: &str, in_upstream: bool, resolve: bool) -> Finding {
    let help = match (in_upstream, resolve) {
        (true, true) => "to follow DNS changes, add `resolve` to this server line, a `zone` to \
                         the upstream and a `resolver` to the upstream or http block; if the \
                         addresses never change, this is fine"
            .to_string(),
        (false, true) => format!(
            "to follow DNS changes, pass to an upstream with `zone` and `server {name} resolve;` \
             and a `resolver`; if the addresses never change, this is fine"
        ),
        (_, false) => format!(
            "to follow DNS changes before nginx 1.27.3, put the name in a variable \
             (`set $backend {name};`, then the variable in the pass directive) with a \
             `resolver`; nginx then resolves it per request, honouring the TTL; if the \
             addresses never change, this is fine"
        ),
    };
    Finding::info(
        ids::DNS_RESOLVED_ONCE,
        d.span,
        format!(
            "`{name}` is resolved once, when nginx starts: if its addresses change, nginx keeps \
             sending to the old ones until it is reloaded"
        ),
    )
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(http: &str) -> String {
        format!("events {{}}\nhttp {{ server_tokens off; {http} }}\n")
    }

    #[test]
    fn a_name_is_reported_once_per_tree() {
        let c = conf(
            "server { listen 80; location /a { proxy_pass http://cdn.example.com; } \
             location /b { proxy_pass http://CDN.example.com/b/; } }",
        );
        assert_eq!(lint(ids::DNS_RESOLVED_ONCE, &c).len(), 1);
    }

    #[test]
    fn local_and_dynamic_names_are_not_reported() {
        let c = conf(
            "resolver 127.0.0.53; upstream u { zone u 64k; server a.example.com resolve; \
             server app:8000; } server { listen 80; \
             location /a { proxy_pass http://u; } location /b { proxy_pass http://localhost:81; } \
             location /c { fastcgi_pass php:9000; } location /d { proxy_pass http://127.0.0.1:82; } \
             location /e { set $h b.example.com; proxy_pass http://$h; } \
             location /f { proxy_pass http://backend.internal:8080; } \
             location /g { proxy_pass http://db.svc.cluster.local; } }",
        );
        assert!(lint(ids::DNS_RESOLVED_ONCE, &c).is_empty());
    }
}
