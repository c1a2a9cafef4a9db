//! `proxy-pass-variable-resolver`: a pass directive whose host is only
//! known at request time, with no `resolver` in effect. nginx then resolves
//! the name per request and, without a resolver, every request fails with
//! 502 "no resolver defined to resolve …".

use crate::finding::Finding;
use crate::model::{Model, ScopeId, TargetAddr};
use crate::nginx::ast::Directive;
use crate::rules::{Check, Rule, ids};

pub struct ProxyPassVariableResolver;

impl Rule for ProxyPassVariableResolver {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_PASS_VARIABLE_RESOLVER]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for t in &cx.model.targets {
            let TargetAddr::Runtime(raw) = &t.addr else {
                continue;
            };
            // A file nothing includes may inherit a resolver from the
            // http block it is deployed in: unknown, not missing.
            if cx.model.effective_one(t.scope, "resolver").is_some()
                || crate::rules::util::parent_unknown(cx, t.scope)
            {
                continue;
            }
            let host = host_part(raw);
            let stream = t.kind == crate::model::TargetKind::StreamProxy;
            if !needs_resolver(cx.model, t.scope, t.unit, host, stream) {
                continue;
            }
            out.push(
                Finding::error(
                    ids::PROXY_PASS_VARIABLE_RESOLVER,
                    t.directive.span,
                    format!(
                        "{} with a run-time host `{host}` and no resolver: every request fails with 502 \"no resolver defined to resolve …\"",
                        t.directive.name()
                    ),
                )
                .with_help("add `resolver 127.0.0.53 valid=30s;` (your DNS server) to this server or http block, or name an upstream block instead of a variable"),
            );
        }
    }
}

/// The host (authority) of a pass argument, without scheme and path.
fn host_part(raw: &str) -> &str {
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let mut end = rest.find('/').unwrap_or(rest.len());
    // Variables that always start with `/` begin the path, not the host.
    for v in URI_VARIABLES {
        if let Some(i) = rest[..end].find(v) {
            end = i;
        }
    }
    &rest[..end]
}

/// Variables whose value is a path starting with `/` (or empty).
const URI_VARIABLES: &[&str] = &[
    "$request_uri",
    "$uri",
    "$document_uri",
    "${request_uri}",
    "${uri}",
];

/// A literal host needs no resolver when it is an IP, a unix socket or an
/// upstream name; a variable host needs none when every value it can take
/// (from `set` or a `map`) is such a literal. nginx looks an evaluated host
/// up among the upstream groups before it would resolve it
/// (ngx_http_upstream_init_request: the `umcf->upstreams` loop comes before
/// any resolver is asked), so a `map` whose every value, default included,
/// names an `upstream` needs no resolver.
fn needs_resolver(
    model: &Model<'_>,
    scope: ScopeId,
    unit: usize,
    host: &str,
    stream: bool,
) -> bool {
    needs_resolver_at(model, scope, unit, host, stream, 0)
}

/// Variables followed through `set $a $b` before giving up (and reporting).
const MAX_DEPTH: usize = 4;

fn needs_resolver_at(
    model: &Model<'_>,
    scope: ScopeId,
    unit: usize,
    host: &str,
    stream: bool,
    depth: usize,
) -> bool {
    if host.starts_with("unix:") {
        return false;
    }
    if !host.contains('$') {
        return !static_host(model, unit, host, stream);
    }
    let Some(var) = host
        .strip_prefix('$')
        .map(|v| v.trim_matches(|c| c == '{' || c == '}'))
    else {
        return !upstream_then_uri(model, scope, unit, host, stream);
    };
    if var.contains('$') || var.contains(':') || depth >= MAX_DEPTH {
        return true;
    }
    let values = variable_values(model, scope, var);
    values.is_empty()
        || values.iter().any(|v| {
            // A value with a scheme is a whole URL (`proxy_pass $backend;`
            // with `map ... { default http://blue; }`): its host is what
            // nginx looks up. A value that is another variable is followed.
            let h = if v.contains("://") { host_part(v) } else { v };
            needs_resolver_at(model, scope, unit, h, stream, depth + 1)
        })
}

/// `http://octane$suffix` with `set $suffix "";` or `set $suffix
/// ?$query_string;` (laradock's Octane site): an upstream's name followed by
/// a variable whose every value is empty or starts the URI. nginx's
/// ngx_parse_inet_url (src/core/ngx_inet.c) ends the host at the first `/`
/// or `?`, so the evaluated host is the upstream's name and no resolver is
/// asked.
fn upstream_then_uri(
    model: &Model<'_>,
    scope: ScopeId,
    unit: usize,
    host: &str,
    stream: bool,
) -> bool {
    let Some((prefix, rest)) = host.split_once('$') else {
        return false;
    };
    let var = rest.trim_start_matches('{').trim_end_matches('}');
    if stream || var.contains('$') || !static_host(model, unit, prefix, stream) {
        return false;
    }
    let values = variable_values(model, scope, var);
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.is_empty() || v.starts_with('?') || v.starts_with('/'))
}

fn static_host(model: &Model<'_>, unit: usize, host: &str, stream: bool) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.parse::<std::net::IpAddr>().is_ok()
        || model.upstream(unit, host, stream).is_some()
        || model.upstream(unit, name, stream).is_some()
}

/// Literal values a variable can hold: `set $var value` in the enclosing
/// scopes, or the values of the `map` that defines it.
fn variable_values<'t>(model: &Model<'t>, scope: ScopeId, var: &str) -> Vec<String> {
    let want = format!("${var}");
    let mut out = Vec::new();
    for s in model.chain(scope) {
        for d in model.children(s) {
            if d.name() == "set" && d.arg(0) == Some(want.as_str()) {
                out.extend(d.arg(1).map(str::to_string));
            }
            if d.name() == "map" && d.arg(1) == Some(want.as_str()) {
                out.extend(map_values(d));
            }
            if d.name() == "if" {
                if_values(d, &want, &mut out);
            }
        }
    }
    out
}

/// The values `set` gives the variable inside an `if` (they hold for the
/// requests that match it).
fn if_values(d: &Directive, want: &str, out: &mut Vec<String>) {
    let Some(b) = &d.block else { return };
    for c in &b.children {
        if c.name() == "set" && c.arg(0) == Some(want) {
            out.extend(c.arg(1).map(str::to_string));
        }
    }
}

fn map_values(d: &Directive) -> Vec<String> {
    let Some(b) = &d.block else { return Vec::new() };
    b.children
        .iter()
        .filter(|e| !matches!(e.name(), "hostnames" | "volatile" | "include"))
        .filter_map(|e| e.arg(0).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(maps: &str, loc: &str) -> String {
        format!(
            "events {{}}\nhttp {{ upstream blue {{ server 127.0.0.1:8081; }} upstream green {{ server 127.0.0.1:8082; }} {maps} server {{ listen 80; location / {{ {loc} }} }} }}\n"
        )
    }

    #[test]
    fn map_of_urls_naming_upstreams_needs_no_resolver() {
        let c = conf(
            "map $arg_x $backend { default http://blue; g http://green/api; }",
            "proxy_pass $backend;",
        );
        assert!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).is_empty());
    }

    #[test]
    fn set_from_a_map_of_upstreams_needs_no_resolver() {
        let c = conf(
            "map $arg_x $pool { default blue; g green; }",
            "set $x $pool; proxy_pass http://$x;",
        );
        assert!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).is_empty());
    }

    #[test]
    fn upstream_name_then_a_uri_variable_needs_no_resolver() {
        let c = conf(
            "",
            "set $suffix \"\"; if ($query_string) { set $suffix ?$query_string; } proxy_pass http://blue$suffix;",
        );
        assert!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).is_empty());
        // A value that extends the name makes another host: reported, also
        // when only an `if` sets it.
        let c = conf(
            "",
            "set $suffix \"\"; if ($arg_x) { set $suffix .example.com; } proxy_pass http://blue$suffix;",
        );
        assert_eq!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).len(), 1);
        // Values nginx makes at run time are not known: reported.
        let c = conf("", "proxy_pass http://blue$arg_x;");
        assert_eq!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).len(), 1);
    }

    #[test]
    fn a_value_outside_the_upstreams_still_reports() {
        let c = conf(
            "map $arg_x $backend { default http://blue; g http://api.example.com; }",
            "proxy_pass $backend;",
        );
        assert_eq!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).len(), 1);
        // A port makes nginx compare it with the upstream's (none): no match.
        let c = conf(
            "map $arg_x $pool { default blue; }",
            "proxy_pass http://$pool:8080;",
        );
        assert_eq!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).len(), 1);
        // A variable set from itself is not followed forever.
        let c = conf("", "set $a $a; proxy_pass http://$a;");
        assert_eq!(lint(ids::PROXY_PASS_VARIABLE_RESOLVER, &c).len(), 1);
    }
}
