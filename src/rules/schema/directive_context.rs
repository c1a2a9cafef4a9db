//! `directive-context`: a known directive in a block where nginx does not
//! allow it (`"proxy_pass" directive is not allowed here`).

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;

use crate::model::walk::Visit;
use crate::rules::schema::{Env, allowed_places, where_name};
use crate::rules::{WalkCheck, ids};

pub struct DirectiveContext;

impl DirectiveContext {
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
        let bits = env.cmd_type(v);
        let name = v.directive.name();
        let mut known = false;
        let mut allowed = 0u32;
        for s in v.specs {
            if env.availability(v.unit, s).is_err() {
                continue;
            }
            if s.contexts & bits != 0 {
                if name == "location" {
                    nested_location(v, out);
                }
                return;
            }
            known = true;
            allowed |= s.contexts;
        }
        if !known || env.inside_unavailable(v) {
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
    }
}

/// A location's kind and name as ngx_http_core_location sees them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loc {
    Exact,
    Prefix,
    Regex,
    Named,
}

fn location_parts(d: &Directive) -> Option<(Loc, &str)> {
    match &d.args[..] {
        [m, uri] => Some(match m.as_str() {
            "=" => (Loc::Exact, uri.as_str()),
            "^~" => (Loc::Prefix, uri.as_str()),
            _ => (Loc::Regex, uri.as_str()),
        }),
        [one] => {
            let s = one.as_str();
            Some(if let Some(r) = s.strip_prefix('=') {
                (Loc::Exact, r)
            } else if let Some(r) = s.strip_prefix("^~") {
                (Loc::Prefix, r)
            } else if let Some(r) = s.strip_prefix("~*").or_else(|| s.strip_prefix('~')) {
                (Loc::Regex, r)
            } else if s.starts_with('@') {
                (Loc::Named, s)
            } else {
                (Loc::Prefix, s)
            })
        }
        _ => None,
    }
}

/// nginx's rules for a location inside a location.
fn nested_location(v: &Visit<'_, '_>, out: &mut Vec<Finding>) {
    let d = v.directive;
    let Some(parent) = v.parents.last().filter(|p| p.name() == "location") else {
        return;
    };
    let (Some((pk, pn)), Some((ck, cn))) = (location_parts(parent), location_parts(d)) else {
        return;
    };
    let msg = match (pk, ck) {
        (Loc::Exact, _) => {
            format!("location \"{cn}\" cannot be inside the exact location \"{pn}\"")
        }
        (Loc::Named, _) => {
            format!("location \"{cn}\" cannot be inside the named location \"{pn}\"")
        }
        (_, Loc::Named) => format!("named location \"{cn}\" can be on the server level only"),
        (_, Loc::Regex) => return,
        _ if cn.starts_with(pn) => return,
        _ => format!("location \"{cn}\" is outside location \"{pn}\""),
    };
    out.push(
        Finding::error(ids::DIRECTIVE_CONTEXT, d.span, msg)
            .with_help(
                "a nested prefix location must extend its parent's prefix; exact (`=`) and \
                 named (`@`) locations cannot contain locations, and named ones live at \
                 server level",
            )
            .with_related(parent.span, "the enclosing location"),
    );
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
    fn nested_location_rules() {
        let f = lint(
            ids::DIRECTIVE_CONTEXT,
            "events {}\nhttp { server { location = /a { location /a/b { } } location @n { location /x { } } \
             location /c { location @m { } location /d { } location ~ x { } location /c/ok { } } } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "location \"/a/b\" cannot be inside the exact location \"/a\"",
                "location \"/x\" cannot be inside the named location \"@n\"",
                "named location \"@m\" can be on the server level only",
                "location \"/d\" is outside location \"/c\"",
            ]
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
