//! `unknown-directive`: a name nginx does not know, for the selected
//! version and the modules the tree loads.

use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::context::Ctx;
use crate::nginx::schema::{self, DirectiveSpec, OLDEST_SCANNED};
use crate::rules::schema::{Env, Missing, nearest_directive_at};
use crate::rules::{WalkCheck, ids};

pub struct UnknownDirective;

impl UnknownDirective {
    /// Check one directive (called by [`super::PerDirective`]'s walk).
    pub fn visit<'t>(
        &mut self,
        cx: &WalkCheck<'t>,
        env: &Env<'t>,
        v: &Visit<'t, '_>,
        out: &mut Vec<Finding>,
    ) {
        if v.ctx == Ctx::Data {
            return;
        }
        let d = v.directive;
        let name = d.name();
        // A byte order mark (an editor's "UTF-8 with BOM") is read by nginx
        // as part of the first word, which it then refuses as an unknown
        // directive. The error stays (nginx will not load the file), but
        // `unknown directive "\u{feff}events"` names an invisible character.
        if let Some(rest) = name.strip_prefix('\u{feff}') {
            out.push(bom(d.span, rest));
            return;
        }
        let specs = v.specs;
        let mut why: Option<(Missing, &'static DirectiveSpec)> = None;
        for s in specs {
            match env.availability(v.unit, s) {
                Ok(()) => return,
                // A module hint beats a version hint.
                Err(m) => {
                    if why.is_none_or(|(w, _)| w == Missing::Version && m == Missing::Module) {
                        why = Some((m, s));
                    }
                }
            }
        }
        if env.inside_unavailable(v) {
            return;
        }
        // `ssl on;` after its removal has a rule of its own.
        if name == "ssl" && matches!(why, Some((Missing::Version, _))) {
            return;
        }
        let msg = format!("unknown directive \"{name}\"");
        let help = match why {
            None => nearest_directive_at(name, cx.settings.nginx_version)
                .map(|n| format!("did you mean `{n}`?"))
                .unwrap_or_else(|| {
                    "no nginx module known to nginx-lint has this directive; \
                     if a third-party module provides it, that module must be \
                     loaded or compiled in"
                        .to_string()
                }),
            Some((Missing::Module, s)) => module_help(s, specs),
            Some((Missing::Version, s)) => version_help(s, cx.settings.nginx_version),
        };
        // A directive of another nginx release, judged on the default
        // version: whether the server's nginx has it is not known.
        let guessed =
            matches!(why, Some((Missing::Version, _))) && !cx.settings.nginx_version_known;
        let f = if guessed {
            Finding::warning(
                ids::UNKNOWN_DIRECTIVE,
                d.span,
                format!("{msg} in nginx {}", cx.settings.nginx_version),
            )
            .with_help(format!(
                "{help}; the nginx version in use is not known here: give --nginx-version to judge it"
            ))
        } else {
            Finding::error(ids::UNKNOWN_DIRECTIVE, d.span, msg).with_help(help)
        };
        out.push(f);
    }
}

/// The finding for a word that starts with a byte order mark (`rest` is
/// the word after it).
fn bom(span: crate::source::Span, rest: &str) -> Finding {
    let word = if rest.is_empty() {
        String::new()
    } else {
        format!(" (\"{rest}\")")
    };
    let msg = if span.start == 0 {
        format!(
            "unknown directive: the file starts with a UTF-8 byte order mark (bytes EF BB BF), which nginx reads as the start of the first word{word}"
        )
    } else {
        format!(
            "unknown directive: a byte order mark (U+FEFF) stands before a word, and nginx reads it as part of the word{word}"
        )
    };
    Finding::error(ids::UNKNOWN_DIRECTIVE, span, msg).with_help(
        "save the file without the byte order mark (in the editor: encoding \"UTF-8\", not \"UTF-8 with BOM\"); nginx refuses the file as it is",
    )
}

fn module_help(s: &DirectiveSpec, specs: &[DirectiveSpec]) -> String {
    let so = s.dynamic_so.unwrap_or("?");
    let group = s.third_party.unwrap_or(s.module);
    let mut sos: Vec<&str> = specs.iter().filter_map(|x| x.dynamic_so).collect();
    sos.dedup();
    let alt = if sos.len() > 1 {
        format!(
            " (or another module with this directive: {})",
            sos.join(", ")
        )
    } else {
        String::new()
    };
    format!(
        "provided by module {group} (load_module modules/{so};){alt}: this tree loads \
         modules with load_module but not that one; add the line at the top of nginx.conf, \
         or pass --module {group} if it is compiled in"
    )
}

fn version_help(s: &DirectiveSpec, v: schema::Version) -> String {
    match (s.since, s.until) {
        (Some(since), _) if v < since && since != OLDEST_SCANNED => {
            format!(
                "`{}` exists from nginx {since} on (selected: {v}; see --nginx-version)",
                s.name
            )
        }
        (_, Some(until)) => format!(
            "`{}` was removed after nginx {until} (selected: {v}; see --nginx-version)",
            s.name
        ),
        _ => format!("`{}` does not exist in nginx {v}", s.name),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::{lint, lint_with};
    use crate::settings::{Settings, parse_version};

    #[test]
    fn byte_order_mark_is_named() {
        let f = lint(ids::UNKNOWN_DIRECTIVE, "\u{feff}events {}\nhttp {}\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("UTF-8 byte order mark"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.ends_with("first word (\"events\")"),
            "{}",
            f[0].message
        );
        assert!(!f[0].message.contains('\u{feff}'), "{}", f[0].message);
        assert!(
            f[0].help
                .as_deref()
                .is_some_and(|h| h.contains("without the byte order mark"))
        );
    }

    /// "did you mean" only names a directive the version in force has.
    #[test]
    fn suggestion_exists_in_the_selected_version() {
        let conf = "events {}\nhttp { server { quic_rety on; } }\n";
        let f = lint(ids::UNKNOWN_DIRECTIVE, conf);
        assert_eq!(f[0].help.as_deref(), Some("did you mean `quic_retry`?"));
        let s = Settings {
            nginx_version: parse_version("1.24").expect("v"),
            ..Settings::default()
        };
        let f = lint_with(ids::UNKNOWN_DIRECTIVE, conf, s);
        let help = f[0].help.as_deref().unwrap_or_default();
        assert!(!help.contains("quic_retry"), "{help}");
    }

    #[test]
    fn typo_gets_a_suggestion() {
        let f = lint(
            ids::UNKNOWN_DIRECTIVE,
            "events {}\nhttp { server { location / { proxy_passs http://a.example; } } }\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "unknown directive \"proxy_passs\"");
        assert!(f[0].help.as_deref().unwrap_or("").contains("`proxy_pass`"));
    }

    #[test]
    fn data_blocks_are_skipped() {
        let f = lint(
            ids::UNKNOWN_DIRECTIVE,
            "events {}\nhttp { types { text/html html; } map $a $b { default 1; x 2; } }\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn third_party_without_load_module_is_assumed() {
        let conf = "events {}\nhttp { server { more_set_headers 'X: y'; } }\n";
        assert!(lint(ids::UNKNOWN_DIRECTIVE, conf).is_empty());
        let f = lint(ids::MODULE_ASSUMED, conf);
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn distribution_packaged_modules_are_assumed() {
        // Modules Debian/Ubuntu (libnginx-mod-*), Alpine (nginx-mod-*) and
        // OpenResty ship, in the catalogue since tools/gen_nginx_schema.py
        // scans them.
        for (d, group) in [
            ("upload_progress proxied 1m;", "upload-progress"),
            (
                "server { listen 80; location /up { track_uploads proxied 30s; } }",
                "upload-progress",
            ),
            (
                "server { listen 80; location /p { report_uploads proxied; } }",
                "upload-progress",
            ),
            (
                "server { listen 80; location /m { memc_pass 127.0.0.1:11211; } }",
                "memc",
            ),
            (
                "server { listen 80; location /sub { nchan_subscriber; } }",
                "nchan",
            ),
            ("zstd on;", "zstd"),
            (
                "server { listen 80; location /u { upload_pass /done; } }",
                "upload",
            ),
            ("server { listen 80; location /v { vod hls; } }", "vod"),
            (
                "server { listen 80; location /a { array_split , $arg_x to=$list; } }",
                "array-var",
            ),
            (
                "server { listen 80; location /s { shib_request /shibauthorizer; } }",
                "shibboleth",
            ),
            (
                "upstream u { server 127.0.0.1:8080; dns_update 60s; }",
                "dynamic-upstream",
            ),
            (
                "server { listen 80; location /j { auth_jwt on; } }",
                "auth-jwt",
            ),
            (
                "server { listen 80; location /d { drizzle_pass db; } }",
                "drizzle",
            ),
        ] {
            let conf = format!("events {{}}\nhttp {{ {d} }}\n");
            assert!(lint(ids::UNKNOWN_DIRECTIVE, &conf).is_empty(), "{d}");
            let f = lint(ids::MODULE_ASSUMED, &conf);
            assert_eq!(f.len(), 1, "{d}");
            assert!(f[0].message.contains(group), "{d}: {}", f[0].message);
        }
    }

    #[test]
    fn third_party_with_other_load_module_is_unknown() {
        let conf = "load_module modules/ngx_http_echo_module.so;\nevents {}\nhttp { server { more_set_headers 'X: y'; } }\n";
        let f = lint(ids::UNKNOWN_DIRECTIVE, conf);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].help
                .as_deref()
                .unwrap_or("")
                .contains("ngx_http_headers_more_filter_module.so")
        );
        let s = Settings {
            modules: vec!["headers-more".into()],
            ..Settings::default()
        };
        assert!(lint_with(ids::UNKNOWN_DIRECTIVE, conf, s).is_empty());
    }

    #[test]
    fn stream_needs_its_module_when_modules_are_loaded() {
        let conf = "load_module modules/ngx_http_echo_module.so;\nevents {}\nstream { server { listen 1; proxy_pass 127.0.0.1:2; } }\n";
        let f = lint(ids::UNKNOWN_DIRECTIVE, conf);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].message, "unknown directive \"stream\"");
        let noise = lint(
            ids::DIRECTIVE_CONTEXT,
            "load_module modules/ngx_http_echo_module.so;\nevents {}\nstream { server { listen 1; ssl_preread on; } }\n",
        );
        assert!(noise.is_empty(), "{noise:?}");
        let ok = "load_module modules/ngx_stream_module.so;\nevents {}\nstream { server { listen 1; proxy_pass 127.0.0.1:2; } }\n";
        assert!(lint(ids::UNKNOWN_DIRECTIVE, ok).is_empty());
    }

    #[test]
    fn version_gating() {
        let conf = "events {}\nhttp { server { http2 on; } }\n";
        assert!(lint(ids::UNKNOWN_DIRECTIVE, conf).is_empty());
        let s = Settings {
            nginx_version: parse_version("1.24").expect("version"),
            nginx_version_known: true,
            ..Settings::default()
        };
        let f = lint_with(ids::UNKNOWN_DIRECTIVE, conf, s.clone());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, crate::finding::Severity::Error);
        assert!(f[0].help.as_deref().unwrap_or("").contains("1.25.1"));
        // The same version as a default nothing confirmed: a warning.
        let guessed = Settings {
            nginx_version_known: false,
            ..s
        };
        let f = lint_with(ids::UNKNOWN_DIRECTIVE, conf, guessed);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, crate::finding::Severity::Warning);
        assert!(
            f[0].message.ends_with("in nginx 1.24.0"),
            "{}",
            f[0].message
        );
    }
}
