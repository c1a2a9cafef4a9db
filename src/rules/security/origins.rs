//! `origins`: a regex that checks `$http_origin` or `$http_referer` and
//! lets foreign sites through: an unescaped `.` (`good.com` matches
//! `goodXcom`), no `^` (`https://evil.example/?https://good.com`), a host
//! not closed by `$` or `/` (`https://good.com.evil.example`). Also the
//! misspelt `$http_referrer` (never set) and `Access-Control-Allow-Origin`
//! echoing any Origin.

use crate::analysis::if_condition;
use crate::analysis::regex::Regex;
use crate::analysis::taint::{Flow, Seg, segments};
use crate::finding::Finding;
use crate::model::Model;
use crate::nginx::ast::{Block, Directive};
use crate::nginx::context::Ctx;
use crate::nginx::lexer::Word;
use crate::rules::{Check, Rule, ids};

pub struct Origins;

impl Rule for Origins {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ORIGINS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let flow = Flow::new(m);
        // From the name index, not by reading every directive's name for
        // these three.
        for (sid, d) in m.named(&["if", "map", "add_header"]) {
            match d.name() {
                "if" => {
                    let Some(c) = if_condition(d) else { continue };
                    let var = c.var.trim_start_matches('$');
                    typo(out, var, d.span);
                    if let (Some(p), Some(w)) = (c.regex, c.word)
                        && is_checked(var)
                        && (c.negated || !refuses(d))
                    {
                        weak(out, var, p, c.icase, w);
                    }
                }
                "map" => {
                    let var = d.arg(0).unwrap_or("").trim_start_matches('$');
                    typo(out, var, d.span);
                    if !is_checked(var) {
                        continue;
                    }
                    let Some(b) = &d.block else { continue };
                    if d.arg(1).is_some_and(|out| deny_list(m, b, out)) {
                        continue;
                    }
                    for e in &b.children {
                        let Some(p) = e.name().strip_prefix('~') else {
                            continue;
                        };
                        let (p, icase) = match p.strip_prefix('*') {
                            Some(p) => (p, true),
                            None => (p, false),
                        };
                        weak(out, var, p, icase, &e.name);
                    }
                }
                "add_header" => {
                    if !d
                        .arg(0)
                        .is_some_and(|h| h.eq_ignore_ascii_case("access-control-allow-origin"))
                    {
                        continue;
                    }
                    let Some(v) = d.args.get(1) else { continue };
                    if reflects_any(&flow, sid, v.as_str(), 0) && !guarded(m, sid) {
                        out.push(
                                Finding::warning(
                                    ids::ORIGINS,
                                    v.span,
                                    "Access-Control-Allow-Origin echoes the request's Origin without an allow-list: every site may read these responses (with credentials, the user's data)",
                                )
                                .with_help("echo the Origin only through a `map $http_origin $cors { default \"\"; \"https://app.example.com\" $http_origin; }`"),
                            );
                    }
                }
                _ => {}
            }
        }
    }
}

fn is_checked(var: &str) -> bool {
    var == "http_origin" || var == "http_referer"
}

fn typo(out: &mut Vec<Finding>, var: &str, span: crate::source::Span) {
    if var == "http_referrer" {
        out.push(
            Finding::warning(
                ids::ORIGINS,
                span,
                "`$http_referrer` is the header `Referrer`, which browsers never send: this check always sees an empty value",
            )
            .with_help("the header is spelt `Referer`: use `$http_referer`"),
        );
    }
}

/// Report the first weakness of a regex checking Origin/Referer.
fn weak(out: &mut Vec<Finding>, var: &str, p: &str, icase: bool, w: &Word) {
    let re = Regex::parse(p, icase);
    if !re.ok() {
        return;
    }
    let header = if var == "http_origin" {
        "Origin"
    } else {
        "Referer"
    };
    let msg = if let Some(&dot) = re.loose_dots().first() {
        let (s, _) = re.spans.get(dot as usize).copied().unwrap_or((0, 0));
        let around: String = p
            .get(s.saturating_sub(3) as usize..(s as usize + 4).min(p.len()))
            .unwrap_or("")
            .to_string();
        format!(
            "the unescaped `.` in `…{around}…` matches any character, so a look-alike domain passes this {header} check"
        )
    } else if !re.anchored_start() {
        format!(
            "the {header} regex has no `^`: any value that merely contains the trusted URL (`https://evil.example/?https://trusted…`) passes"
        )
    } else if !re.anchored_end()
        && re
            .leaf_branches()
            .into_iter()
            .any(|b| !re.node_ends_anchored(b) && !host_closed(re.text(p, b)))
    {
        format!(
            "the {header} regex does not end the host with `$` or `/`: `…trusted.example.evil.example` passes"
        )
    } else {
        return;
    };
    out.push(
        Finding::warning(ids::ORIGINS, w.span, msg).with_help(
            "anchor the whole origin and escape dots: `^https://(www\\.)?example\\.com$` (Referer: end the host with `/`)",
        ),
    );
}

/// Is there a literal `/` after the `://` (the host is closed)?
fn host_closed(p: &str) -> bool {
    let plain = p.replace("\\/", "/");
    match plain.find("://") {
        Some(i) => plain[i + 3..].contains('/'),
        None => false,
    }
}

/// Does the value reflect the request Origin unconditionally (directly, via
/// `set`, or via a map whose default is the Origin)?
fn reflects_any(flow: &Flow<'_, '_>, scope: usize, v: &str, depth: usize) -> bool {
    if depth > 4 {
        return false;
    }
    segments(v).into_iter().any(|seg| match seg {
        Seg::Var("http_origin") => true,
        Seg::Var(name) => {
            if let Some(mp) = flow.map_of(scope, name) {
                return mp.block.as_ref().is_some_and(|b| {
                    b.children.iter().any(|e| {
                        e.name() == "default"
                            && e.arg(0)
                                .is_some_and(|x| reflects_any(flow, scope, x, depth + 1))
                    })
                });
            }
            flow.model.chain(scope).any(|s| {
                flow.model.children(s).iter().any(|d| {
                    d.name() == "set"
                        && d.arg(0).and_then(|a| a.strip_prefix('$')) == Some(name)
                        && d.arg(1)
                            .is_some_and(|x| reflects_any(flow, scope, x, depth + 1))
                })
            })
        }
        _ => false,
    })
}

/// Does the `if` block answer with an error (`return 403;`, `return 444;`)?
/// A regex that picks the requests to refuse is a deny-list: matching too
/// much refuses more, it lets no foreign site through.
fn refuses(d: &Directive) -> bool {
    d.block.as_ref().is_some_and(|b| {
        b.children.iter().any(|r| {
            r.name() == "return"
                && r.arg(0)
                    .and_then(|a| a.parse::<u16>().ok())
                    .is_some_and(|code| code >= 400)
        })
    })
}

/// Is this `map` of the Origin/Referer a deny-list? Its regex entries all
/// give one value, its default another, and an `if` on its result refuses
/// the request exactly when an entry matched: `map $http_referer $spam {
/// default 0; ~*casino 1; }` with `if ($spam) { return 403; }`. An `if`
/// that refuses when no entry matched (`if ($ok = 0)`) makes it an
/// allow-list, which is checked.
fn deny_list(m: &Model<'_>, b: &Block, out: &str) -> bool {
    let value = |e: &Directive| e.arg(0).unwrap_or("").to_string();
    let default = b
        .children
        .iter()
        .find(|e| e.name() == "default")
        .map_or(String::new(), value);
    let mut hits = b
        .children
        .iter()
        .filter(|e| e.name().starts_with('~'))
        .map(value);
    let Some(hit) = hits.next() else {
        return false;
    };
    if hits.any(|v| v != hit) || hit == default {
        return false;
    }
    // nginx's `if ($var)` is false for "" and "0" (ngx_http_script_if_code).
    let truthy = |v: &str| !v.is_empty() && v != "0";
    m.named(&["if"]).any(|(_, d)| {
        let Some(c) = if_condition(d) else {
            return false;
        };
        if var_name(c.var) != var_name(out) || !refuses(d) {
            return false;
        }
        let operand = d
            .args
            .get(2)
            .map(|w| w.as_str().strip_suffix(')').unwrap_or(w.as_str()));
        match (c.op, operand) {
            ("", _) => truthy(&hit) && !truthy(&default),
            ("=", Some(x)) => x == hit,
            ("!=", Some(x)) => x == default,
            _ => false,
        }
    })
}

/// `$name` and `${name}` name the same variable.
fn var_name(v: &str) -> &str {
    let v = v.strip_prefix('$').unwrap_or(v);
    v.strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .unwrap_or(v)
}

/// Is the directive inside an `if` that tests the Origin?
fn guarded(m: &crate::model::Model<'_>, scope: usize) -> bool {
    m.chain(scope).any(|s| {
        s.ctx == Ctx::If
            && s.directive
                .and_then(if_condition)
                .is_some_and(|c| c.var == "$http_origin")
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(http: &str, server: &str) -> String {
        format!(
            "events {{}}\nhttp {{ server_tokens off; {http} server {{ listen 80; {server} location / {{ return 204; }} }} }}\n"
        )
    }

    #[test]
    fn deny_list_map_is_not_an_origin_check() {
        let map = "map $http_referer $bad_referer { default 0; ~*(casino|viagra|poker) 1; ~*semalt.com 1; }";
        for guard in [
            "if ($bad_referer) { return 403; }",
            "if ($bad_referer = 1) { return 444; }",
            "if ($bad_referer != 0) { return 403; }",
        ] {
            assert!(lint(ids::ORIGINS, &conf(map, guard)).is_empty(), "{guard}");
        }
        let direct = "if ($http_referer ~* (casino|viagra)) { return 403; }";
        assert!(lint(ids::ORIGINS, &conf("", direct)).is_empty());
    }

    #[test]
    fn allow_list_map_is_still_checked() {
        // Refused when no entry matched: the regex is what lets a site in.
        let map = "map $http_origin $cors_ok { default 0; ~https://app.example.com 1; }";
        for guard in [
            "if ($cors_ok = 0) { return 403; }",
            "if ($cors_ok != 1) { return 403; }",
            "",
        ] {
            assert_eq!(lint(ids::ORIGINS, &conf(map, guard)).len(), 1, "{guard}");
        }
        let negated = "if ($http_origin !~ https://app.example.com) { return 403; }";
        assert_eq!(lint(ids::ORIGINS, &conf("", negated)).len(), 1);
    }
}
