//! tls-missing-certificate: a server that listens with `ssl` but has no
//! certificate (or a certificate without its key) in effect.

use crate::address::Endpoint;
use crate::finding::Finding;
use crate::model::{Model, ScopeId, Server};
use crate::rules::util::{effective_flag, is_tls_server, tls_anchor};
use crate::rules::{Check, Rule, ids};
use rustc_hash::FxHashMap;

pub struct TlsMissingCertificate;

const HELP_ADD_LOWER: &str = "add `ssl_certificate` and `ssl_certificate_key` to the server: nginx -t fails with no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive";
const HELP_ADD: &str = "add `ssl_certificate /etc/ssl/certs/example.pem;` and `ssl_certificate_key /etc/ssl/private/example.key;` to the server (or once in the http block for every server)";
/// Said only from the release that has `ssl_reject_handshake` (1.19.4):
/// advice nginx would refuse is worse than none.
const HELP_REJECT: &str = "; a catch-all default server that should refuse unknown names takes `ssl_reject_handshake on;` instead";
const SSL_REJECT_HANDSHAKE: crate::nginx::schema::Version = crate::nginx::schema::Version(1, 19, 4);

/// Whether a Lua module supplies certificates at handshake time.
fn lua_certificates(m: &Model<'_>, s: &Server<'_>) -> bool {
    m.defining(s.scope, "ssl_certificate_by_lua_block")
        .is_some()
        || m.defining(s.scope, "ssl_certificate_by_lua_file").is_some()
}

/// The server nginx uses as default for each listen endpoint (by protocol
/// and unit): the one marked `default_server`, else the first one with that
/// endpoint. Found once for all servers: asking for each server in a pass
/// over every server grew with the square of the tree.
type Defaults<'m> = FxHashMap<(bool, Option<usize>, &'m Endpoint), ScopeId>;

fn default_servers<'m>(m: &'m Model<'_>) -> Defaults<'m> {
    let mut first: Defaults<'m> = FxHashMap::default();
    let mut marked: Defaults<'m> = FxHashMap::default();
    for o in &m.servers {
        let unit = m.scopes.get(o.scope).map(|sc| sc.unit);
        for ol in o.listens.iter() {
            let key = (o.stream, unit, &ol.endpoint);
            first.entry(key).or_insert(o.scope);
            if ol.default_server {
                marked.entry(key).or_insert(o.scope);
            }
        }
    }
    first.extend(marked);
    first
}

/// Whether `s` is the default server of one of its `listen … ssl` endpoints.
fn is_default_for_some_ssl_listen(m: &Model<'_>, defaults: &Defaults<'_>, s: &Server<'_>) -> bool {
    let unit = m.scopes.get(s.scope).map(|sc| sc.unit);
    s.listens
        .iter()
        .filter(|l| l.ssl)
        .any(|l| defaults.get(&(s.stream, unit, &l.endpoint)) == Some(&s.scope))
}

impl Rule for TlsMissingCertificate {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_MISSING_CERTIFICATE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // Built when first needed: most servers have their certificate.
        let mut defaults: Option<Defaults<'_>> = None;
        let mut unknown: Option<crate::rules::util::UnknownBlocks> = None;
        for s in &m.servers {
            let certs = m.effective(s.scope, "ssl_certificate").count();
            // Keys only matter where there are certificates to match (most
            // servers of a large config are plain-http ones without).
            let keys = if certs > 0 {
                m.effective(s.scope, "ssl_certificate_key").count()
            } else {
                0
            };
            if certs > keys {
                // nginx -t: no "ssl_certificate_key" is defined for certificate
                if let Some(c) = m.effective(s.scope, "ssl_certificate").nth(keys) {
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
            // An include outside the repository around the server may set
            // the certificate (linuxserver's /config/nginx/ssl.conf):
            // cannot check.
            if unknown
                .get_or_insert_with(|| crate::rules::util::UnknownBlocks::new(cx))
                .around(m, s.scope)
            {
                continue;
            }
            let caught = s.stream
                || is_default_for_some_ssl_listen(
                    m,
                    defaults.get_or_insert_with(|| default_servers(m)),
                    s,
                );
            let consequence = if caught {
                "nginx -t fails: no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive"
            } else {
                "nginx -t accepts it because another server is the default for this address and has a certificate, but clients asking for this server's names get that certificate: a name-mismatch error in every browser"
            };
            let reject = if cx.settings.nginx_version >= SSL_REJECT_HANDSHAKE {
                HELP_REJECT
            } else {
                ""
            };
            let names = if s.names.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.names.join(" "))
            };
            // A vhost file nothing includes: the http block it is deployed
            // into may set one certificate for every server. Not in view.
            if crate::rules::util::parent_unknown(cx, s.scope) {
                out.push(
                    Finding::info(
                        ids::TLS_MISSING_CERTIFICATE,
                        tls_anchor(s),
                        format!("this server{names} listens with ssl and sets no ssl_certificate; the http block this file is included from is not in view"),
                    )
                    .with_help(format!("unless that http block sets `ssl_certificate` and `ssl_certificate_key`, {HELP_ADD_LOWER}{reject}. Lint the file with the nginx.conf that includes it to check")),
                );
                continue;
            }
            out.push(
                Finding::error(
                    ids::TLS_MISSING_CERTIFICATE,
                    tls_anchor(s),
                    format!("this server{names} listens with ssl but has no ssl_certificate"),
                )
                .with_help(format!("{HELP_ADD}{reject}. {consequence}")),
            );
        }
    }
}
