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
            let f = if v >= REMOVED {
                Finding::error(ids::SSL_ON_REMOVED, d.span, "unknown directive \"ssl\"").with_help(
                    format!(
                        "the `ssl` directive was removed in nginx 1.25.1 (selected: {v}); {fix}"
                    ),
                )
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
        let f = lint(ids::SSL_ON_REMOVED, CONF);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(lint(ids::UNKNOWN_DIRECTIVE, CONF).is_empty());
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
