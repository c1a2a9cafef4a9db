//! `ssl-on-removed`: the `ssl on|off;` directive. Deprecated since 1.15.0
//! (a warning), removed in 1.25.1: from then on `nginx -t` fails with
//! `unknown directive "ssl"`.

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct SslOnRemoved;

/// The first release without the `ssl` directive.
pub const REMOVED: Version = Version(1, 25, 1);

impl Rule for SslOnRemoved {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SSL_ON_REMOVED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let v = cx.settings.nginx_version;
        cx.model.visits.walk_named(&["ssl"], &mut |visit| {
            let d = visit.directive;
            if d.name() != "ssl" || visit.ctx == Ctx::Data {
                return;
            }
            let on = d.arg(0).is_some_and(|a| a.eq_ignore_ascii_case("on"));
            let fix = if on {
                "remove `ssl on;` and add `ssl` to the server's TLS listen lines: `listen 443 ssl;`"
            } else {
                "remove the line: TLS is enabled per `listen ... ssl`"
            };
            let f = if v >= REMOVED && cx.settings.nginx_version_known {
                Finding::error(ids::SSL_ON_REMOVED, d.span, "unknown directive \"ssl\"").with_help(
                    format!(
                        "the `ssl` directive was removed in nginx 1.25.1 (selected: {v}); {fix}"
                    ),
                )
            } else if v >= REMOVED {
                // The version is the default, not the server's: nginx
                // before 1.25.1 accepts the line with a warning.
                Finding::warning(
                    ids::SSL_ON_REMOVED,
                    d.span,
                    "the \"ssl\" directive was removed in nginx 1.25.1: nginx 1.25.1 and later refuse to start (\"unknown directive \"ssl\"\")",
                )
                .with_help(format!(
                    "{fix} (the nginx version in use is not known here; with --nginx-version 1.25.1 or later this is an error)"
                ))
            } else {
                Finding::warning(
                    ids::SSL_ON_REMOVED,
                    d.span,
                    "the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead",
                )
                .with_help(format!("nginx 1.25.1 removed it and refuses to start; {fix}"))
            };
            out.push(f);
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::ids;
    use crate::rules::schema::{lint, lint_with};
    use crate::settings::{Settings, parse_version};

    const CONF: &str = "events {}\nhttp { server { listen 443; ssl on; } }\n";

    #[test]
    fn error_from_1_25_1() {
        let s = Settings {
            nginx_version: parse_version("1.26").expect("v"),
            nginx_version_known: true,
            ..Settings::default()
        };
        let f = lint_with(ids::SSL_ON_REMOVED, CONF, s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(lint(ids::UNKNOWN_DIRECTIVE, CONF).is_empty());
    }

    /// On the default version (nothing says which nginx runs the file) the
    /// refusal is a guess: a warning that names the release.
    #[test]
    fn warning_on_the_default_version() {
        let f = lint(ids::SSL_ON_REMOVED, CONF);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("removed in nginx 1.25.1"));
    }

    #[test]
    fn warning_before() {
        let s = Settings {
            nginx_version: parse_version("1.24").expect("v"),
            ..Settings::default()
        };
        let f = lint_with(ids::SSL_ON_REMOVED, CONF, s);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
    }
}
