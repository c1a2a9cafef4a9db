//! tls-protocols: SSLv2, SSLv3, TLSv1 or TLSv1.1 enabled, explicitly or by
//! the default of nginx before 1.27.3.

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::schema::Version;
use crate::rules::util::{is_tls_server, join_and, tls_anchor};
use crate::rules::{Check, Rule, ids};
use crate::settings::TlsProfile;

pub struct TlsProtocols;

/// Directives that take a protocol list (http, stream and mail modules).
const DIRECTIVES: &[&str] = &[
    "ssl_protocols",
    "proxy_ssl_protocols",
    "grpc_ssl_protocols",
    "uwsgi_ssl_protocols",
];

/// nginx 1.27.3 (commits ebd18ec18, 476d6526b) changed the default to
/// `TLSv1.2 TLSv1.3`; 1.23.4 (7b24b93d6) had added TLSv1.3 to the old one.
const NEW_DEFAULT: Version = Version(1, 27, 3);
const TLS13_DEFAULT: Version = Version(1, 23, 4);

fn weakness(p: &str) -> Option<&'static str> {
    match p {
        "SSLv2" => Some("SSLv2 is broken (DROWN) and prohibited by RFC 6176"),
        "SSLv3" => Some("SSLv3 is broken (POODLE) and prohibited by RFC 7568"),
        "TLSv1" => Some("TLS 1.0 is deprecated by RFC 8996"),
        "TLSv1.1" => Some("TLS 1.1 is deprecated by RFC 8996"),
        _ => None,
    }
}

impl Rule for TlsProtocols {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_PROTOCOLS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let modern = cx.settings.tls_profile == TlsProfile::Modern;
        for (scope, d) in cx.model.named(DIRECTIVES) {
            if DIRECTIVES.contains(&d.name()) {
                let unused = d.name() == "ssl_protocols" && unused_http_level(cx, scope);
                explicit(d, modern, unused, out);
            }
        }
        if cx.settings.nginx_version >= NEW_DEFAULT {
            return;
        }
        let default = if cx.settings.nginx_version >= TLS13_DEFAULT {
            "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"
        } else {
            "TLSv1 TLSv1.1 TLSv1.2"
        };
        for s in &cx.model.servers {
            // A server in a file nothing includes may inherit
            // ssl_protocols from the http block it is deployed in.
            if !is_tls_server(s)
                || cx.model.defining(s.scope, "ssl_protocols").is_some()
                || crate::rules::util::parent_unknown(cx, s.scope)
            {
                continue;
            }
            out.push(
                Finding::warning(
                    ids::TLS_PROTOCOLS,
                    tls_anchor(s),
                    format!(
                        "no ssl_protocols in effect: nginx {} enables {default}, including TLS 1.0 and 1.1",
                        cx.settings.nginx_version
                    ),
                )
                .with_help(help(modern, "ssl_protocols", " in the http block (nginx 1.27.3 and later default to TLSv1.2 TLSv1.3)")),
            );
        }
    }
}

fn help(modern: bool, name: &str, tail: &str) -> String {
    if modern {
        format!(
            "use `{name} TLSv1.3;`{tail}: SSL 2/3 are broken and TLS 1.0/1.1 deprecated since 2021 (RFC 8996), no current browser needs them; Mozilla's modern profile is TLS 1.3 only"
        )
    } else {
        format!(
            "use `{name} TLSv1.2 TLSv1.3;`{tail}: SSL 2/3 are broken and TLS 1.0/1.1 deprecated since 2021 (RFC 8996), no current browser needs them (Mozilla intermediate)"
        )
    }
}

/// An http-level `ssl_protocols` no TLS server in view takes: each sets
/// its own, or none listens with `ssl` (Debian's stock nginx.conf line
/// under vhosts that set their own). Unknown when a TLS server's file may
/// be included in this http block or another.
fn unused_http_level(cx: &Check<'_>, scope: crate::model::ScopeId) -> bool {
    let m = cx.model;
    if m.scopes.get(scope).is_none_or(|s| s.ctx != Ctx::Http) {
        return false;
    }
    m.servers.iter().filter(|s| is_tls_server(s)).all(|s| {
        !crate::rules::util::parent_unknown(cx, s.scope)
            && m.defining(s.scope, "ssl_protocols") != Some(scope)
    })
}

fn explicit(d: &Directive, modern: bool, unused: bool, out: &mut Vec<Finding>) {
    let weak = d
        .args
        .iter()
        .filter(|a| weakness(a.as_str()).is_some())
        .count();
    let backend = d.name() != "ssl_protocols";
    if weak == 0 {
        // Under `modern`, TLS 1.2 on the client side is outside the profile
        // but not weak.
        if modern
            && !backend
            && let Some(w) = d.args.iter().find(|a| a.as_str() == "TLSv1.2")
        {
            out.push(
                Finding::info(
                    ids::TLS_PROTOCOLS,
                    d.name.span,
                    "ssl_protocols enables TLSv1.2, outside Mozilla's modern profile",
                )
                .with_related(w.span, "TLS 1.2: not in the modern profile")
                .with_help("use `ssl_protocols TLSv1.3;` if every client supports TLS 1.3 (Firefox 63, Chrome 70, Safari 12.1, Java 11, OpenSSL 1.1.1 and later); otherwise run with --tls-profile intermediate"),
            );
        }
        return;
    }
    let words: Vec<&str> = d
        .args
        .iter()
        .map(|a| a.as_str())
        .filter(|a| weakness(a).is_some())
        .collect();
    let whom = if backend { "to the backend " } else { "" };
    let message = format!("{} enables {} {whom}", d.name(), join_and(&words))
        .trim_end()
        .to_string();
    let mut f = if unused {
        Finding::info(
            ids::TLS_PROTOCOLS,
            d.name.span,
            format!(
                "{message}, but no TLS server in view takes this line (each sets its own, or none listens with ssl)"
            ),
        )
    } else {
        Finding::warning(ids::TLS_PROTOCOLS, d.name.span, message)
    };
    for a in &d.args {
        if let Some(why) = weakness(a.as_str()) {
            f = f.with_related(a.span, why);
        }
    }
    let tail = if backend {
        " (a backend that only speaks TLS 1.0 needs upgrading, not the proxy downgrading)"
    } else {
        ""
    };
    out.push(f.with_help(help(modern && !backend, d.name(), tail)));
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::ids;

    fn severities(http: &str, server: &str) -> Vec<Severity> {
        let c = format!(
            "events {{}}\nhttp {{ {http} server {{ listen 443 ssl; ssl_certificate a.pem; ssl_certificate_key a.key; {server} }} }}\n"
        );
        crate::rules::schema::severities(ids::TLS_PROTOCOLS, &c)
    }

    /// Debian's http-level `ssl_protocols TLSv1 …` is a warning while a
    /// TLS server takes it, an info when every TLS server sets its own.
    #[test]
    fn an_http_line_no_server_takes_is_an_info() {
        let debian = "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;";
        assert_eq!(severities(debian, ""), [Severity::Warning]);
        assert_eq!(
            severities(debian, "ssl_protocols TLSv1.2 TLSv1.3;"),
            [Severity::Info]
        );
        // The server's own weak line stays a warning.
        assert_eq!(
            severities("", "ssl_protocols TLSv1 TLSv1.2;"),
            [Severity::Warning]
        );
    }
}
