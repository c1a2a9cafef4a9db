//! `ssl-reject-handshake-bypass`: the default server of a TLS address has
//! `ssl_reject_handshake on`, another server on the address completes
//! handshakes, and the default server has no `return` for what reaches it.
//! A request on a connection negotiated for the other server whose Host
//! names no server goes to the default server (`ngx_http_set_virtual_server`:
//! `cscf = hc->addr_conf->default_server` when the name is not found), and
//! is served by its locations: checked with nginx 1.22.1, SNI `a.test` and
//! `Host: x.test` get the default server's root (HTTP/2 and HTTP/1.1).

use rustc_hash::FxHashMap;

use crate::address::Endpoint;
use crate::finding::Finding;
use crate::model::{Model, Server};
use crate::nginx::ast::Directive;
use crate::rules::{Check, Rule, ids};

pub struct SslRejectHandshakeBypass;

/// (unit, address, written in brackets): nginx's listening addresses.
type Key<'a> = (usize, &'a Endpoint, bool);

#[derive(Default)]
struct Group {
    servers: Vec<usize>,
    default: Option<usize>,
    ssl: bool,
}

impl Rule for SslRejectHandshakeBypass {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SSL_REJECT_HANDSHAKE_BYPASS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let mut groups: FxHashMap<Key<'_>, Group> = FxHashMap::default();
        let mut order: Vec<Key<'_>> = Vec::new();
        for (i, srv) in m.servers.iter().enumerate().filter(|(_, s)| !s.stream) {
            let unit = m.scopes[srv.scope].unit;
            for l in srv.listens.iter() {
                let key = (unit, &l.endpoint, l.bracketed);
                let g = groups.entry(key).or_insert_with(|| {
                    order.push(key);
                    Group::default()
                });
                if g.servers.last() != Some(&i) {
                    g.servers.push(i);
                }
                if l.default_server && g.default.is_none() {
                    g.default = Some(i);
                }
                g.ssl |= l.ssl;
            }
        }
        let mut reported: Vec<usize> = Vec::new();
        for key in order {
            let Some(g) = groups.get(&key) else { continue };
            let Some(&first) = g.servers.first() else {
                continue;
            };
            let def = g.default.unwrap_or(first);
            if !g.ssl || reported.contains(&def) || !rejects(m, &m.servers[def]) {
                continue;
            }
            let Some(&other) = g
                .servers
                .iter()
                .find(|&&s| s != def && !rejects(m, &m.servers[s]))
            else {
                continue;
            };
            if answers_everything(m, &m.servers[def]) {
                continue;
            }
            let Some(d) = m.effective_one(m.servers[def].scope, "ssl_reject_handshake") else {
                continue;
            };
            reported.push(def);
            out.push(finding(d, &m.servers[other]));
        }
    }
}

/// The server's effective `ssl_reject_handshake` is `on`.
fn rejects(m: &Model<'_>, s: &Server<'_>) -> bool {
    m.effective_one(s.scope, "ssl_reject_handshake")
        .is_some_and(|d| d.arg(0) == Some("on"))
}

/// A server-level `return`, or a `location /` and every location of the
/// server with its own `return`: no request reaching it is served content.
fn answers_everything(m: &Model<'_>, s: &Server<'_>) -> bool {
    if m.own(s.scope, "return").next().is_some() {
        return true;
    }
    let locations: Vec<usize> = m
        .locations
        .iter()
        .copied()
        .filter(|&l| m.scopes.get(l).and_then(|sc| sc.parent) == Some(s.scope))
        .collect();
    let root = locations.iter().any(|&l| {
        m.scopes
            .get(l)
            .and_then(|sc| sc.directive)
            .is_some_and(|d| d.args.len() == 1 && d.arg(0) == Some("/"))
    });
    root && locations
        .iter()
        .all(|&l| m.own(l, "return").next().is_some())
}

fn finding(d: &Directive, other: &Server<'_>) -> Finding {
    let name = other
        .names
        .iter()
        .next()
        .copied()
        .unwrap_or("another server");
    Finding::info(
        ids::SSL_REJECT_HANDSHAKE_BYPASS,
        d.span,
        format!(
            "this default server rejects TLS handshakes, but a request sent on a connection \
             negotiated for {name} with a Host no server names is still served here (nginx \
             picks the default server for an unknown Host after the handshake)"
        ),
    )
    .with_help(
        "add `return 421;` (or 444) to this server, so that what reaches it after another \
         server's handshake is refused as well",
    )
    .with_related(
        other.directive.span,
        "completes handshakes on the same address",
    )
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn count(conf: &str) -> usize {
        lint(ids::SSL_REJECT_HANDSHAKE_BYPASS, conf).len()
    }

    const SITE: &str = "server { listen 443 ssl; server_name a.test; \
                        ssl_certificate a.pem; ssl_certificate_key a.key; }";

    #[test]
    fn the_documented_catch_all_is_reported() {
        // nginx's own example for ssl_reject_handshake (ngx_http_ssl_module).
        let conf = format!(
            "events {{}}\nhttp {{ server {{ listen 443 ssl default_server; \
             ssl_reject_handshake on; }} {SITE} }}\n"
        );
        assert_eq!(count(&conf), 1);
    }

    #[test]
    fn an_implicit_default_and_an_inherited_switch_count() {
        // First server is the default; http-level `on`, the site turns it off.
        let conf = "events {}\nhttp { ssl_reject_handshake on; server { listen 443 ssl; } \
                    server { listen 443 ssl; server_name a.test; ssl_reject_handshake off; \
                    ssl_certificate a.pem; ssl_certificate_key a.key; } }\n";
        assert_eq!(count(conf), 1);
        // Every server rejecting: no handshake completes, nothing reaches it.
        let all = "events {}\nhttp { ssl_reject_handshake on; server { listen 443 ssl; } \
                   server { listen 443 ssl; server_name a.test; } }\n";
        assert_eq!(count(all), 0);
    }

    #[test]
    fn a_catch_all_that_returns_is_not_reported() {
        let ret = format!(
            "events {{}}\nhttp {{ server {{ listen 443 ssl default_server; \
             ssl_reject_handshake on; return 444; }} {SITE} }}\n"
        );
        assert_eq!(count(&ret), 0);
        // A location other than `/` still serves: reported.
        let partial = format!(
            "events {{}}\nhttp {{ server {{ listen 443 ssl default_server; \
             ssl_reject_handshake on; location / {{ return 444; }} \
             location /status {{ stub_status; }} }} {SITE} }}\n"
        );
        assert_eq!(count(&partial), 1);
    }
}
