//! tls-listen-without-ssl: `listen 443` without `ssl`, or a plain listen on
//! a port other servers serve with TLS.

use rustc_hash::FxHashSet as HashSet;

use crate::address::Endpoint;
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct TlsListenWithoutSsl;

impl Rule for TlsListenWithoutSsl {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_LISTEN_WITHOUT_SSL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let unit = |scope: usize| m.scopes.get(scope).map_or(usize::MAX, |s| s.unit);
        let mut ssl_eps: HashSet<(usize, &Endpoint)> = HashSet::default();
        let mut ssl_ports: HashSet<(usize, u16)> = HashSet::default();
        for s in m.servers.iter().filter(|s| !s.stream) {
            for l in s.listens.iter().filter(|l| l.ssl) {
                ssl_eps.insert((unit(s.scope), &l.endpoint));
                if let Endpoint::Tcp(_, p) = l.endpoint {
                    ssl_ports.insert((unit(s.scope), p));
                }
            }
        }
        for s in m.servers.iter().filter(|s| !s.stream) {
            let u = unit(s.scope);
            for l in s.listens.iter().filter(|l| !l.ssl) {
                let Some(d) = l.directive else { continue };
                let Endpoint::Tcp(_, port) = l.endpoint else {
                    continue;
                };
                let ep = &l.endpoint;
                let shared = ssl_eps.contains(&(u, ep));
                if !shared && port != 443 && !ssl_ports.contains(&(u, port)) {
                    continue;
                }
                // HTTP/3 listens on UDP; `ssl` does not apply. Asked only of
                // the listens reported otherwise: reading every plain
                // listen's words was a trip to memory each.
                if d.args.iter().skip(1).any(|a| a.as_str() == "quic") {
                    continue;
                }
                // `ssl on;` (before 1.25.1) makes every listen of the server
                // TLS (ngx_http_init_connection: `sscf->enable ||
                // hc->addr_conf->ssl`); ssl-on-removed reports the directive
                // itself, with the fix that adds `ssl` to these listens.
                if ssl_on(m, s.scope) {
                    continue;
                }
                let (msg, help) = if shared {
                    (
                        format!(
                            "listen {ep} has no ssl, but another server's `listen ... ssl` on the same address makes it TLS for every server"
                        ),
                        format!(
                            "add `ssl` here (`listen {} ssl;`) so the config says what nginx does, and give this server its certificate: nginx merges listen options per address, so this server speaks TLS already",
                            d.arg(0).unwrap_or("")
                        ),
                    )
                } else if port == 443 {
                    (
                        format!("listen {ep} without ssl: plain HTTP on the HTTPS port"),
                        "use `listen 443 ssl;` with ssl_certificate and ssl_certificate_key, or a plain-HTTP port such as 80: browsers that open https:// here fail with ERR_SSL_PROTOCOL_ERROR".to_string(),
                    )
                } else if ssl_ports.contains(&(u, port)) {
                    (
                        format!(
                            "listen {ep} without ssl while other servers serve port {port} with TLS"
                        ),
                        format!(
                            "add `ssl` (`listen {} ssl;`) if this server is meant to be HTTPS like the others on port {port}: connections to this address get plain HTTP",
                            d.arg(0).unwrap_or("")
                        ),
                    )
                } else {
                    continue;
                };
                out.push(
                    Finding::warning(ids::TLS_LISTEN_WITHOUT_SSL, d.span, msg).with_help(help),
                );
            }
        }
    }
}

/// `ssl on;` in effect for the server (its own, or the http block's).
fn ssl_on(m: &crate::model::Model<'_>, scope: usize) -> bool {
    m.effective_one(scope, "ssl")
        .is_some_and(|d| d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on")))
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn ssl_on_is_left_to_ssl_on_removed() {
        for at in ["server", "http"] {
            let (h, s) = if at == "http" {
                ("ssl on;", "")
            } else {
                ("", "ssl on;")
            };
            let c = format!(
                "events {{}}\nhttp {{ {h} server {{ listen 443; {s} ssl_certificate /a.pem; ssl_certificate_key /a.key; }} }}\n"
            );
            assert!(lint(ids::TLS_LISTEN_WITHOUT_SSL, &c).is_empty(), "{at}");
            assert_eq!(lint(ids::SSL_ON_REMOVED, &c).len(), 1, "{at}");
        }
        let c = "events {}\nhttp { server { listen 443; ssl off; } }\n";
        assert_eq!(lint(ids::TLS_LISTEN_WITHOUT_SSL, c).len(), 1);
    }
}
