//! `status-page-exposed`: `stub_status`, or php-fpm's `pm.status_path`
//! passed through FastCGI, reachable by anyone: connection counts, pool
//! state and (php-fpm `?full`) every request's URI and client.

use crate::address::{Endpoint, Host};
use crate::analysis::{LocKind, if_condition, location_match};
use crate::finding::Finding;
use crate::model::{Model, ScopeId, TargetKind};
use crate::providers::ListenerKind;
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};

pub struct StatusPageExposed;

impl Rule for StatusPageExposed {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::STATUS_PAGE_EXPOSED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // From the name index, not by reading every directive of every
        // block for `stub_status`.
        for (sid, d) in m.named(&["stub_status"]) {
            if d.arg(0) != Some("off") && exposed(m, sid) {
                out.push(
                    Finding::warning(
                        ids::STATUS_PAGE_EXPOSED,
                        d.span,
                        "`stub_status` is reachable by any client: no `allow … ; deny all;` and no authentication in effect",
                    )
                    .with_help("add `allow 127.0.0.1; allow <monitoring network>; deny all;` to this location"),
                );
            }
        }
        let Some(cfg) = &cx.loaded.fpm else { return };
        if !cfg.pools.iter().any(|p| p.get("pm.status_path").is_some()) {
            return;
        }
        for t in m.targets.iter().filter(|t| t.kind == TargetKind::FastCgi) {
            let Some(loc) = m
                .chain(t.scope)
                .filter_map(|s| s.directive)
                .find(|d| d.name() == "location")
            else {
                continue;
            };
            for (_, ep) in endpoints(m, t) {
                for li in cx.resolver().serving(ep) {
                    let l = &cx.resolver().listeners[li];
                    if l.kind != ListenerKind::PhpFpm {
                        continue;
                    }
                    let Some(pool) = l.pool.and_then(|p| cfg.pools.get(p)) else {
                        continue;
                    };
                    let Some(st) = pool.get("pm.status_path") else {
                        continue;
                    };
                    let path = st.value.trim();
                    if path.is_empty() || !covers(loc, path) || !exposed(m, t.scope) {
                        continue;
                    }
                    out.push(
                        Finding::warning(
                            ids::STATUS_PAGE_EXPOSED,
                            loc.span,
                            format!("this location passes {path} to pool {}, whose php-fpm status page is on: anyone can read it (with `?full`, every running request's URI and client)", pool.name),
                        )
                        .with_related(st.span, "the pool's status path")
                        .with_help(format!("serve it from `location = {path} {{ allow 127.0.0.1; deny all; … }}`, or unset pm.status_path")),
                    );
                }
            }
        }
    }
}

/// Could a request for `path` be handled by this location?
fn covers(loc: &crate::nginx::ast::Directive, path: &str) -> bool {
    match location_match(loc) {
        Some((LocKind::Exact, p, _)) => p == path,
        Some((LocKind::Prefix | LocKind::PrefixNoRegex, p, _)) => path.starts_with(p),
        Some((LocKind::Regex { .. }, p, _)) => {
            let tail = path.trim_start_matches('/');
            !tail.is_empty() && p.contains(tail)
        }
        _ => false,
    }
}

/// No access restriction in effect at `scope`, and the server is reachable
/// from other hosts.
fn exposed(m: &Model<'_>, scope: ScopeId) -> bool {
    if let Some(srv) = m.server_of(scope) {
        let remote = srv.listens.iter().any(|l| match &l.endpoint {
            Endpoint::Unix(_) => false,
            Endpoint::Tcp(Host::Ip(ip), _) => !ip.is_loopback(),
            Endpoint::Tcp(..) => true,
        });
        if !remote {
            return false;
        }
    }
    let satisfy_any = m
        .effective_one(scope, "satisfy")
        .is_some_and(|d| d.arg(0) == Some("any"));
    // The access list: the innermost block with any allow/deny.
    let mut rules: Vec<&crate::nginx::ast::Directive> = Vec::new();
    for s in m.chain(scope) {
        rules.extend(
            m.children(s)
                .iter()
                .filter(|d| matches!(d.name(), "allow" | "deny")),
        );
        if !rules.is_empty() {
            break;
        }
    }
    let mut restricted = false;
    for d in &rules {
        let all = d.arg(0) == Some("all");
        if d.name() == "allow" && all {
            break;
        }
        if d.name() == "deny" && all {
            restricted = true;
            break;
        }
    }
    let allow_all = rules
        .iter()
        .any(|d| d.name() == "allow" && d.arg(0) == Some("all"));
    let auth = m
        .effective_one(scope, "auth_basic")
        .is_some_and(|d| d.arg(0) != Some("off"))
        || m.effective_one(scope, "auth_request")
            .is_some_and(|d| d.arg(0) != Some("off"))
        || m.effective_one(scope, "auth_jwt").is_some();
    let authed = auth && !(satisfy_any && (allow_all || rules.is_empty()));
    !(restricted || authed || address_guard(m, scope))
}

/// An `if` in the location or its server that tests a variable of a
/// client-address allow-list (`geo`, or a `map` of the client address) and
/// answers 4xx: `if ($allowed = 0) { return 404; }`. The rewrite module runs
/// server-level and then location-level `if`s before the content handler
/// (ngx_http_rewrite_init puts ngx_http_rewrite_handler in the server-rewrite
/// and rewrite phases), so the status page is only reached by clients the
/// list lets through.
fn address_guard(m: &Model<'_>, scope: ScopeId) -> bool {
    m.chain(scope).any(|s| {
        m.children(s).iter().any(|d| {
            d.name() == "if"
                && if_condition(d).is_some_and(|c| address_list(m, c.var))
                && d.block.as_ref().is_some_and(|b| {
                    b.children.iter().any(|r| {
                        r.name() == "return"
                            && r.arg(0)
                                .and_then(|a| a.parse::<u16>().ok())
                                .is_some_and(|code| (400..500).contains(&code))
                    })
                })
        })
    })
}

/// Is `var` the result of a `geo` block, or of a `map` keyed on the client
/// address? (A map of a request header is not: the client chooses it.)
fn address_list(m: &Model<'_>, var: &str) -> bool {
    let var = var.trim_matches(|c| c == '{' || c == '}');
    m.named(&["geo", "map"]).any(|(_, d)| match d.name() {
        // `geo $var { … }` or `geo $address $var { … }`.
        "geo" => d.args.last().is_some_and(|a| a.as_str() == var),
        "map" => {
            d.arg(1) == Some(var)
                && d.arg(0).is_some_and(|src| {
                    matches!(
                        src,
                        "$remote_addr"
                            | "$binary_remote_addr"
                            | "$realip_remote_addr"
                            | "$proxy_protocol_addr"
                    )
                })
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(lists: &str, guard: &str) -> String {
        format!(
            "events {{}}\nhttp {{ server_tokens off; {lists} server {{ listen 80; location /nginx_status {{ {guard} stub_status; }} }} }}\n"
        )
    }

    #[test]
    fn geo_allow_list_with_if_guard_is_restricted() {
        let c = conf(
            "geo $allowed { default 0; 10.0.0.0/8 1; }",
            "if ($allowed = 0) { return 404; }",
        );
        assert!(lint(ids::STATUS_PAGE_EXPOSED, &c).is_empty());
        let c = conf(
            "map $remote_addr $denied { default 1; 127.0.0.1 0; }",
            "if ($denied) { return 403; }",
        );
        assert!(lint(ids::STATUS_PAGE_EXPOSED, &c).is_empty());
    }

    #[test]
    fn guards_that_do_not_restrict_still_report() {
        // A header the client sends, and an if that does not refuse.
        let c = conf(
            "map $http_x_monitor $ok { default 0; yes 1; }",
            "if ($ok = 0) { return 404; }",
        );
        assert_eq!(lint(ids::STATUS_PAGE_EXPOSED, &c).len(), 1);
        let c = conf(
            "geo $allowed { default 0; 10.0.0.0/8 1; }",
            "if ($allowed = 0) { return 302 /; }",
        );
        assert_eq!(lint(ids::STATUS_PAGE_EXPOSED, &c).len(), 1);
    }
}
