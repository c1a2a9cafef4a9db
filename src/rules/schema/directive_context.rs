//! `directive-context`: a known directive in a block where nginx does not
//! allow it (`"proxy_pass" directive is not allowed here`).

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::nginx::schema;
use crate::nginx::walk::walk_all;
use crate::rules::schema::{Env, allowed_places, where_name};
use crate::rules::{Check, Rule, ids};

pub struct DirectiveContext;

impl Rule for DirectiveContext {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DIRECTIVE_CONTEXT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let env = Env::new(cx.loaded, cx.settings);
        walk_all(cx.loaded, &mut |v| {
            if v.ctx == Ctx::Data {
                return;
            }
            let bits = env.cmd_type(v);
            let name = v.directive.name();
            let mut known = false;
            let mut allowed = 0u32;
            for s in schema::lookup(name) {
                if env.availability(v.unit, s).is_err() {
                    continue;
                }
                if s.contexts & bits != 0 {
                    return;
                }
                known = true;
                allowed |= s.contexts;
            }
            if !known {
                return; // unknown-directive's business
            }
            let standalone = cx.loaded.units.get(v.unit).is_some_and(|u| u.standalone);
            let mut help = format!(
                "`{name}` is allowed in: {}; here it stands in {}",
                allowed_places(allowed),
                where_name(bits)
            );
            if standalone && v.parents.is_empty() {
                help.push_str(
                    " (this file is included by no nginx.conf in the run; its context was \
                     inferred from what it contains)",
                );
            }
            out.push(
                Finding::error(
                    ids::DIRECTIVE_CONTEXT,
                    v.directive.span,
                    format!("\"{name}\" directive is not allowed here"),
                )
                .with_help(help),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn wrong_places() {
        let f = lint(
            ids::DIRECTIVE_CONTEXT,
            "worker_connections 10;\nevents {}\nhttp { proxy_pass http://a.example; server { location / { if ($a) { proxy_pass http://b.example; listen 80; } } } }\n",
        );
        let names: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "\"worker_connections\" directive is not allowed here",
                "\"proxy_pass\" directive is not allowed here",
                "\"listen\" directive is not allowed here",
            ]
        );
    }

    #[test]
    fn if_in_server_vs_location() {
        // `return` is allowed in both kinds of if; `proxy_pass` only in a
        // location's if.
        let f = lint(
            ids::DIRECTIVE_CONTEXT,
            "events {}\nhttp { server { if ($a) { return 404; proxy_pass http://a.example; } location / { if ($a) { proxy_pass http://b.example; } } } }\n",
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].help
                .as_deref()
                .unwrap_or("")
                .contains("if (in a server)")
        );
    }

    #[test]
    fn include_and_nested_locations_are_fine() {
        let f = lint(
            ids::DIRECTIVE_CONTEXT,
            "events { worker_connections 10; }\nhttp { server { location / { location /a { limit_except GET { deny all; } } } } upstream u { server 127.0.0.1:1; keepalive 2; } }\n",
        );
        assert!(f.is_empty(), "{f:?}");
    }
}
