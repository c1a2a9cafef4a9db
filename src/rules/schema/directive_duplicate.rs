//! `directive-duplicate`: a directive nginx allows once per block, twice in
//! one block (`"root" directive is duplicate`). Includes are transparent: a
//! file included into the block counts as part of it.

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::rules::schema::{Env, walk_blocks};
use crate::rules::{Check, Rule, ids};

pub struct DirectiveDuplicate;

/// Directives whose handler says "is duplicate" only in some cases: they
/// repeat freely unless one of them is `off` (or `false`).
const OFF_CONFLICTS: &[&str] = &[
    "proxy_redirect",
    "proxy_cookie_domain",
    "proxy_cookie_path",
    "proxy_cookie_flags",
    "mirror",
];

/// Directives that repeat with different zones; the same zone twice is the
/// duplicate.
const PER_ZONE: &[&str] = &["limit_conn", "limit_req"];

impl Rule for DirectiveDuplicate {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DIRECTIVE_DUPLICATE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let env = Env::new(cx.loaded, cx.settings);
        let mut seen: Vec<(&str, usize)> = Vec::new();
        walk_blocks(cx.loaded, &mut |b| {
            seen.clear();
            for (i, d) in b.children.iter().enumerate() {
                let Some(spec) = env.spec_for_child(b, d) else {
                    continue;
                };
                if spec.duplicate_is_error && spec.accepts_arg_count(d.args.len()) {
                    // root and alias share one slot.
                    let key = if d.name() == "alias" {
                        "root"
                    } else {
                        d.name()
                    };
                    seen.push((key, i));
                }
            }
            if seen.len() < 2 {
                return;
            }
            seen.sort(); // by name, then position
            for w in 0..seen.len() {
                let (name, i) = seen[w];
                // The earliest conflicting occurrence before this one.
                let first = seen[..w]
                    .iter()
                    .rev()
                    .take_while(|(n, _)| *n == name)
                    .map(|&(_, j)| j)
                    .filter(|&j| conflicts(b.children[j], b.children[i]))
                    .min();
                let Some(j) = first else { continue };
                let (d, earlier) = (b.children[i], b.children[j]);
                let msg = if d.name() != earlier.name() {
                    format!(
                        "\"{}\" directive is duplicate, \"{}\" directive was specified earlier",
                        d.name(),
                        earlier.name()
                    )
                } else {
                    format!("\"{}\" directive is duplicate", d.name())
                };
                out.push(
                    Finding::error(ids::DIRECTIVE_DUPLICATE, d.span, msg)
                        .with_help(format!(
                            "`{}` may appear once per block; remove one (nginx does not let the \
                             later one override the earlier)",
                            d.name()
                        ))
                        .with_related(earlier.span, "first set here"),
                );
            }
        });
    }
}

fn conflicts(a: &Directive, b: &Directive) -> bool {
    let name = a.name();
    if OFF_CONFLICTS.contains(&name) {
        let off = |d: &Directive| matches!(d.arg(0), Some("off" | "false"));
        return off(a) || off(b);
    }
    if PER_ZONE.contains(&name) {
        let zone = |d: &'_ Directive| -> Option<String> {
            let z = if name == "limit_req" {
                d.args.iter().find_map(|w| w.as_str().strip_prefix("zone="))
            } else {
                d.arg(0)
            };
            z.map(str::to_string)
        };
        return zone(a).is_some() && zone(a) == zone(b);
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn same_block_only() {
        let f = lint(
            ids::DIRECTIVE_DUPLICATE,
            "events {}\nhttp { sendfile on; server { sendfile off; root /a; location / { root /b; } root /c; } sendfile off; }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "\"root\" directive is duplicate",
                "\"sendfile\" directive is duplicate"
            ]
        );
    }

    #[test]
    fn root_then_alias() {
        let f = lint(
            ids::DIRECTIVE_DUPLICATE,
            "events {}\nhttp { server { location / { root /a; alias /b; } } }\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "\"alias\" directive is duplicate, \"root\" directive was specified earlier"
        );
    }

    #[test]
    fn repeatable_cases() {
        let f = lint(
            ids::DIRECTIVE_DUPLICATE,
            "events {}\nhttp { limit_req_zone $a zone=a:1m rate=1r/s; limit_req_zone $a zone=b:1m rate=1r/s; \
             server { location / { proxy_pass http://a.example; proxy_redirect http://a/ /; proxy_redirect http://b/ /; \
             limit_req zone=a; limit_req zone=b burst=5; add_header A b; add_header C d; } } }\n",
        );
        assert!(f.is_empty(), "{f:?}");
        let f = lint(
            ids::DIRECTIVE_DUPLICATE,
            "events {}\nhttp { limit_req_zone $a zone=a:1m rate=1r/s; server { location / { \
             proxy_pass http://a.example; proxy_redirect off; proxy_redirect http://b/ /; limit_req zone=a; limit_req zone=a burst=5; } } }\n",
        );
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn duplicates_across_an_include() {
        let dir = std::env::temp_dir().join(format!("nginx-lint-dup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("nginx.conf"),
            "events {}\nhttp { server { root /a; include extra.conf; } }\n",
        )
        .expect("w");
        std::fs::write(dir.join("extra.conf"), "root /b;\n").expect("w");
        let out = crate::run(&crate::Options {
            inputs: crate::Inputs {
                paths: vec![dir.clone()],
                ..Default::default()
            },
            settings: Default::default(),
        })
        .expect("run");
        let _ = std::fs::remove_dir_all(&dir);
        let f: Vec<_> = out
            .findings
            .iter()
            .filter(|f| f.rule == ids::DIRECTIVE_DUPLICATE)
            .collect();
        assert_eq!(f.len(), 1);
    }
}
