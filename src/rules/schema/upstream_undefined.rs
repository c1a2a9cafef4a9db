//! `upstream-undefined`: `proxy_pass http://NAME` (or `fastcgi_pass NAME`,
//! …) where NAME has no port and names no `upstream`. For proxy_pass nginx
//! resolves NAME at start-up and fails with `host not found in upstream`;
//! the other `*_pass` directives have no default port and fail with `no port
//! in upstream`. DNS is never queried: names with a dot may resolve and are
//! left alone, IP addresses and `localhost` are fine.

use std::net::IpAddr;

use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::context::Ctx;
use crate::nginx::values::has_variable;
use crate::rules::{Check, Rule, ids};
use rustc_hash::FxHashMap;

pub struct UpstreamUndefined;

/// A "did you mean" already worked out: the name, the kind of upstream and
/// the unit it is asked from.
type Asked<'a> = (&'a str, UpstreamKind, usize);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpstreamKind {
    Http,
    Stream,
}

/// An `upstream NAME { }` block definition: its subsystem and name.
pub fn upstream_block<'t>(v: &Visit<'t, '_>) -> Option<(UpstreamKind, &'t str)> {
    let d = v.directive;
    if d.name() != "upstream" || d.block.is_none() {
        return None;
    }
    let kind = match v.ctx {
        Ctx::Http => UpstreamKind::Http,
        Ctx::Stream => UpstreamKind::Stream,
        _ => return None,
    };
    Some((kind, d.arg(0)?))
}

/// The directives [`pass_kind`] knows.
const PASSES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "scgi_pass",
    "uwsgi_pass",
    "grpc_pass",
];

/// Schemes each pass directive strips, and whether it has a default port.
fn pass_kind(name: &str, ctx: Ctx) -> Option<(UpstreamKind, &'static [&'static str], bool)> {
    let http = matches!(ctx, Ctx::Location | Ctx::If | Ctx::LimitExcept);
    match name {
        "proxy_pass" if http => Some((UpstreamKind::Http, &["http://", "https://"], true)),
        "proxy_pass" if ctx == Ctx::StreamServer => Some((UpstreamKind::Stream, &[], false)),
        "fastcgi_pass" | "scgi_pass" if http => Some((UpstreamKind::Http, &[], false)),
        "uwsgi_pass" if http => Some((UpstreamKind::Http, &["uwsgi://", "suwsgi://"], false)),
        "grpc_pass" if http => Some((UpstreamKind::Http, &["grpc://", "grpcs://"], false)),
        _ => None,
    }
}

/// The host of a pass target when it has no port (None: has a port,
/// variables, a unix socket, or no recognised scheme).
fn portless_host<'a>(url: &'a str, schemes: &[&str]) -> Option<&'a str> {
    if has_variable(url) {
        return None;
    }
    let mut rest = url;
    if !schemes.is_empty() {
        let s = schemes.iter().find(|s| {
            url.get(..s.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(s))
        })?;
        rest = &url[s.len()..];
    } else if let Some(i) = url.find("://") {
        rest = &url[i + 3..];
    }
    if rest
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("unix:"))
    {
        return None;
    }
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    if host.is_empty() || host.contains(':') || host.starts_with('[') {
        return None;
    }
    Some(host)
}

impl Rule for UpstreamUndefined {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::UPSTREAM_UNDEFINED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut defs: Vec<(usize, UpstreamKind, &str)> = Vec::new();
        cx.model.visits.walk_named(&["upstream"], &mut |v| {
            if let Some((k, n)) = upstream_block(v) {
                defs.push((v.unit, k, n));
            }
        });
        // Where each name is defined, by its lowercase form (names compare
        // case-insensitively, as nginx does), so that a pass does not go
        // over every definition.
        let mut by_name: FxHashMap<std::borrow::Cow<'_, str>, Vec<(usize, UpstreamKind)>> =
            FxHashMap::default();
        for &(u, k, n) in &defs {
            by_name
                .entry(crate::text::ascii_lowercase(n))
                .or_default()
                .push((u, k));
        }
        // Trees with an include outside the repository: an upstream may be
        // defined there (unknown), so a name not found cannot be judged.
        let mut unknown_units = rustc_hash::FxHashSet::default();
        if !cx.loaded.unknown_includes.is_empty() {
            cx.model.visits.walk_named(&["include"], &mut |v| {
                if cx.loaded.unknown_includes.contains(&v.directive.span) {
                    unknown_units.insert(v.unit);
                }
            });
        }
        let mut near: Option<crate::text::OneEdit> = None;
        let mut asked: FxHashMap<Asked<'_>, Option<(usize, &str)>> = FxHashMap::default();
        let units = &cx.loaded.units;
        let standalone = |u: usize| units.get(u).is_some_and(|x| x.standalone);
        // A server- or location-level file that nothing includes (magento's
        // nginx.conf.sample, included from the vhost the admin writes
        // around it): upstream blocks stand at http level, in the parent
        // it does not show, so a name it passes to cannot be judged.
        let fragment = |u: usize| {
            units.get(u).is_some_and(|x| {
                x.standalone && !matches!(x.context, Ctx::Main | Ctx::Http | Ctx::Stream)
            })
        };
        cx.model.visits.walk_named(PASSES, &mut |v| {
            let d = v.directive;
            let Some((kind, schemes, default_port)) = pass_kind(d.name(), v.ctx) else {
                return;
            };
            let Some(url) = d.arg(0) else { return };
            if d.args.len() != 1 {
                return;
            }
            let Some(host) = portless_host(url, schemes) else {
                return;
            };
            // A standalone file may use upstreams defined anywhere in the run.
            let visible = |&&(u, k, _): &&(usize, UpstreamKind, &str)| {
                k == kind && (u == v.unit || standalone(v.unit))
            };
            let key = crate::text::ascii_lowercase(host);
            let defined = by_name.get(key.as_ref()).is_some_and(|at| {
                at.iter()
                    .any(|&(u, k)| k == kind && (u == v.unit || standalone(v.unit)))
            });
            // A Compose service's name: Docker's DNS resolves it.
            if defined
                || cx.resolver().network.is_host(host)
                || fragment(v.unit)
                || unknown_units.contains(&v.unit)
                || (standalone(v.unit) && !unknown_units.is_empty())
            {
                return;
            }
            // proxy_pass resolves a name at start-up: one that may resolve
            // is left alone.
            if default_port
                && (host.parse::<IpAddr>().is_ok()
                    || host.eq_ignore_ascii_case("localhost")
                    || host.contains('.'))
            {
                return;
            }
            // Asked once per name, kind and unit: a renamed upstream is
            // often passed to from every site.
            let nearest = *asked
                .entry((host, kind, v.unit))
                .or_insert_with(|| nearest_name(&defs, &mut near, host, &visible));
            out.push(undefined_finding(d, host, default_port, nearest));
        });
        super::compose_host::check(cx, &unknown_units, out);
    }
}

/// The nearest visible name within three edits (the first by name among
/// equals). One within one edit beats all others: those come from the
/// index (built on first use), without a distance to every name.
fn nearest_name<'a>(
    defs: &[(usize, UpstreamKind, &'a str)],
    near: &mut Option<crate::text::OneEdit>,
    host: &str,
    visible: &impl Fn(&&(usize, UpstreamKind, &'a str)) -> bool,
) -> Option<(usize, &'a str)> {
    let index =
        near.get_or_insert_with(|| crate::text::OneEdit::new(defs.iter().map(|&(_, _, n)| n)));
    let close = index
        .candidates(host)
        .into_iter()
        .filter_map(|at| defs.get(at))
        .filter(visible)
        .map(|(_, _, n)| (crate::text::edit_distance(host, n), *n))
        .filter(|(dist, _)| *dist <= 1)
        .min();
    close.or_else(|| {
        let len = host.chars().count();
        defs.iter()
            .filter(visible)
            // Never closer than the difference in length.
            .filter(|(_, _, n)| n.chars().count().abs_diff(len) <= 3)
            .map(|(_, _, n)| (crate::text::edit_distance(host, n), *n))
            .filter(|(dist, _)| *dist <= 3)
            .min()
    })
}

/// A pass to `host`, which names no upstream: nginx's message (proxy_pass
/// has a default port, the others do not), and the nearest name if any.
fn undefined_finding(
    d: &crate::nginx::ast::Directive,
    host: &str,
    default_port: bool,
    nearest: Option<(usize, &str)>,
) -> Finding {
    let msg = if default_port {
        format!("host not found in upstream \"{host}\"")
    } else {
        format!("no port in upstream \"{host}\"")
    };
    let help = match nearest {
        Some((_, n)) => format!("no upstream \"{host}\" is defined; did you mean `{n}`?"),
        None if default_port => format!(
            "no `upstream {host} {{ }}` block is defined, and nginx cannot resolve \
             \"{host}\" as a host name at start-up; define the upstream or give host:port"
        ),
        None => format!(
            "no `upstream {host} {{ }}` block is defined, and `{}` has no default port: \
             define the upstream, or write {host}:PORT or unix:/path",
            d.name()
        ),
    };
    Finding::error(ids::UPSTREAM_UNDEFINED, d.span, msg).with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn undefined_names() {
        let f = lint(
            ids::UPSTREAM_UNDEFINED,
            "events {}\nhttp { upstream backend { server 127.0.0.1:8080; } upstream php { server unix:/run/php.sock; } upstream Mixed { server 127.0.0.1:1; } \
             server { \
             location /a { proxy_pass http://backend/x; } \
             location /b { proxy_pass http://backnd; } \
             location /c { proxy_pass http://api.example.com; } \
             location /d { proxy_pass http://localhost; } \
             location /e { proxy_pass http://127.0.0.1; } \
             location /f { proxy_pass http://app:3000; } \
             location /g { proxy_pass http://$host; } \
             location /h { fastcgi_pass php; } \
             location /i { fastcgi_pass 127.0.0.1; } \
             location /j { fastcgi_pass unix:/run/php.sock; } \
             location /k { grpc_pass grpc://backend; } \
             location /l { proxy_pass http://BACKEND; } \
             location /m { proxy_pass http://mixed; } \
             } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "host not found in upstream \"backnd\"",
                "no port in upstream \"127.0.0.1\"",
            ]
        );
        assert!(f[0].help.as_deref().unwrap_or("").contains("`backend`"));
    }

    /// "Did you mean": the nearest name within three edits, the first by
    /// name among equals, whether one is within one edit (found through
    /// the index) or only further (found by the scan); none beyond three.
    #[test]
    fn nearest_name_first_by_name() {
        let ups: String = (0..30)
            .step_by(2)
            .map(|i| format!("upstream app_{i} {{ server 127.0.0.1:{}; }} ", 8000 + i))
            .collect();
        let conf = format!(
            "events {{}}\nhttp {{ {ups} server {{ \
             location /a {{ proxy_pass http://app_1; }} \
             location /b {{ proxy_pass http://app_31; }} \
             location /c {{ proxy_pass http://zzzzzzzz; }} }} }}\n"
        );
        let f = lint(ids::UPSTREAM_UNDEFINED, &conf);
        let helps: Vec<&str> = f.iter().map(|f| f.help.as_deref().unwrap_or("")).collect();
        assert_eq!(helps.len(), 3, "{helps:?}");
        // app_0, app_2 and app_10 are one edit away: app_0 comes first.
        assert!(helps[0].contains("did you mean `app_0`?"), "{}", helps[0]);
        // None within one edit; app_0, app_2, app_10, app_22, … two away.
        assert!(helps[1].contains("did you mean `app_0`?"), "{}", helps[1]);
        assert!(!helps[2].contains("did you mean"), "{}", helps[2]);
    }
}
