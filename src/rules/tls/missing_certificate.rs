//! tls-missing-certificate: a server that listens with `ssl` but has no
//! certificate (or a certificate without its key) in effect.

use crate::finding::Finding;
use crate::model::{Model, Server};
use crate::rules::util::{effective_flag, is_tls_server, tls_anchor};
use crate::rules::{Check, Rule, ids};

pub struct TlsMissingCertificate;

const HELP_ADD: &str = "add `ssl_certificate /etc/ssl/certs/example.pem;` and `ssl_certificate_key /etc/ssl/private/example.key;` to the server (or once in the http block for every server); a catch-all default server that should refuse unknown names takes `ssl_reject_handshake on;` instead";

/// Whether a Lua module supplies certificates at handshake time.
fn lua_certificates(m: &Model<'_>, s: &Server<'_>) -> bool {
    m.defining(s.scope, "ssl_certificate_by_lua_block")
        .is_some()
        || m.defining(s.scope, "ssl_certificate_by_lua_file").is_some()
}

/// The server nginx uses as default for a listen endpoint of `s`: the one
/// marked `default_server`, else the first one with that endpoint.
fn is_default_for_some_ssl_listen(m: &Model<'_>, s: &Server<'_>) -> bool {
    let unit = m.scopes.get(s.scope).map(|sc| sc.unit);
    s.listens.iter().filter(|l| l.ssl).any(|l| {
        let same = m.servers.iter().filter(|o| {
            o.stream == s.stream
                && m.scopes.get(o.scope).map(|sc| sc.unit) == unit
                && o.listens.iter().any(|ol| ol.endpoint == l.endpoint)
        });
        let mut first = None;
        let mut marked = None;
        for o in same {
            first.get_or_insert(o.scope);
            if marked.is_none()
                && o.listens
                    .iter()
                    .any(|ol| ol.endpoint == l.endpoint && ol.default_server)
            {
                marked = Some(o.scope);
            }
        }
        marked.or(first) == Some(s.scope)
    })
}

impl Rule for TlsMissingCertificate {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_MISSING_CERTIFICATE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for s in &m.servers {
            let certs = m.effective_iter(s.scope, "ssl_certificate").count();
            // Keys only matter where there are certificates to match (most
            // servers of a large config are plain-http ones without).
            let keys = if certs > 0 {
                m.effective_iter(s.scope, "ssl_certificate_key").count()
            } else {
                0
            };
            if certs > keys {
                // nginx -t: no "ssl_certificate_key" is defined for certificate
                if let Some(c) = m.effective_iter(s.scope, "ssl_certificate").nth(keys) {
                    out.push(
                        Finding::error(
                            ids::TLS_MISSING_CERTIFICATE,
                            c.span,
                            format!(
                                "ssl_certificate {} has no matching ssl_certificate_key",
                                c.arg(0).unwrap_or("")
                            ),
                        )
                        .with_help("add the key beside it: every `ssl_certificate` needs an `ssl_certificate_key` in the same block, in the same order; nginx -t fails with `no \"ssl_certificate_key\" is defined for certificate`"),
                    );
                }
            }
            if !is_tls_server(s) || certs > 0 {
                continue;
            }
            if effective_flag(m, s.scope, "ssl_reject_handshake") == Some(true)
                || lua_certificates(m, s)
            {
                continue;
            }
            let caught = s.stream || is_default_for_some_ssl_listen(m, s);
            let consequence = if caught {
                "nginx -t fails: no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive"
            } else {
                "nginx -t accepts it because another server is the default for this address and has a certificate, but clients asking for this server's names get that certificate: a name-mismatch error in every browser"
            };
            let names = if s.names.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.names.join(" "))
            };
            out.push(
                Finding::error(
                    ids::TLS_MISSING_CERTIFICATE,
                    tls_anchor(s),
                    format!("this server{names} listens with ssl but has no ssl_certificate"),
                )
                .with_help(format!("{HELP_ADD}. {consequence}")),
            );
        }
    }
}
