//! `http2-listen-deprecated`: `listen ... http2` from nginx 1.25.1 on,
//! where the `http2` directive replaced the parameter.

use crate::finding::Finding;
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct Http2ListenDeprecated;

impl Rule for Http2ListenDeprecated {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HTTP2_LISTEN_DEPRECATED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if cx.settings.nginx_version < Version(1, 25, 1) {
            return;
        }
        // The listens marked http2 in the model (whose arguments are then
        // read), not every listen directive's arguments.
        for (_, d) in cx.model.http_listens(|l| l.is_none_or(|l| l.http2)) {
            let Some(w) = d.args.iter().skip(1).find(|w| w.as_str() == "http2") else {
                continue;
            };
            let message = "the \"listen ... http2\" directive is deprecated, use the \"http2\" directive instead";
            let f = if cx.settings.nginx_version_known {
                Finding::warning(ids::HTTP2_LISTEN_DEPRECATED, w.span, message).with_help(
                    "drop `http2` from the listen line and add `http2 on;` to the server",
                )
            } else {
                // On the default version: nginx before 1.25.1 has no
                // `http2` directive, so the advice would stop it.
                Finding::info(
                    ids::HTTP2_LISTEN_DEPRECATED,
                    w.span,
                    format!("{message} (nginx 1.25.1 and later)"),
                )
                .with_help("on nginx 1.25.1 or later, drop `http2` from the listen line and add `http2 on;` to the server; older nginx has no `http2` directive, so keep the parameter while one runs this file (the version in use is not known here: give --nginx-version)")
            };
            out.push(f.with_related(d.span, "in this listen"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Severity;
    use crate::rules::ids;
    use crate::rules::schema::{lint, lint_with};
    use crate::settings::{Settings, parse_version};

    #[test]
    fn gated_on_version() {
        let conf = "events {}\nhttp { server { listen 443 ssl http2; } }\n";
        let known = Settings {
            nginx_version: parse_version("1.26").expect("v"),
            nginx_version_known: true,
            ..Settings::default()
        };
        let f = lint_with(ids::HTTP2_LISTEN_DEPRECATED, conf, known);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        // The default version: the advice would break nginx before 1.25.1.
        let f = lint(ids::HTTP2_LISTEN_DEPRECATED, conf);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        let s = Settings {
            nginx_version: parse_version("1.24").expect("v"),
            ..Settings::default()
        };
        assert!(lint_with(ids::HTTP2_LISTEN_DEPRECATED, conf, s).is_empty());
        assert!(
            lint(
                ids::HTTP2_LISTEN_DEPRECATED,
                "events {}\nhttp { server { listen 443 ssl; http2 on; } }\n"
            )
            .is_empty()
        );
    }
}
