//! `directive-duplicate`: a directive nginx allows once per block, twice in
//! one block (`"root" directive is duplicate`). Includes are transparent: a
//! file included into the block counts as part of it.

use crate::finding::Finding;
use crate::model::walk::BlockVisit;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::schema::{Version, known_id};
use crate::nginx::values::{ListenHost, parse_listen};
use crate::rules::schema::Env;
use crate::rules::{Check, ids};
use crate::source::Span;
use rustc_hash::FxHashMap as HashMap;

/// The check of one block at a time, run in [`super::PerBlock`]'s pass
/// over the blocks; the checks across blocks are [`across_blocks`].
#[derive(Default)]
pub struct DirectiveDuplicate {
    /// (name id, `alias` counted as `root`; index in the block).
    seen: Vec<(u16, usize)>,
    /// Per name id: whether any spec of the name may appear only once per
    /// block (most names may not be duplicates at all).
    once: Vec<Option<bool>>,
}

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

impl DirectiveDuplicate {
    fn may_dup(&mut self, id: crate::nginx::schema::NameId) -> bool {
        let i = usize::from(id.0);
        if self.once.len() <= i {
            self.once.resize(i + 1, None);
        }
        *self.once[i].get_or_insert_with(|| {
            crate::nginx::schema::group(id)
                .iter()
                .any(|s| s.duplicate_is_error)
        })
    }

    pub fn visit(&mut self, env: &Env<'_>, b: &BlockVisit<'_, '_>, out: &mut Vec<Finding>) {
        self.seen.clear();
        for (i, d) in b.children.iter().enumerate() {
            if !b.names.get(i).is_some_and(|&id| self.may_dup(id)) {
                continue;
            }
            let Some(spec) = env.spec_for_child(b, d) else {
                continue;
            };
            if spec.duplicate_is_error && spec.accepts_arg_count(d.args.len()) {
                // root and alias share one slot. By name id: the name is on
                // a cache line of its own that only a duplicate's message
                // needs.
                let key = if d.name_id == known_id!("alias") {
                    known_id!("root").0
                } else {
                    d.name_id.0
                };
                self.seen.push((key, i));
            }
        }
        let seen = &mut self.seen;
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
    }
}

/// The duplicates that span blocks: zones, cache paths and log formats
/// defined twice, the same listen address twice in a server.
pub fn across_blocks(cx: &Check<'_>, out: &mut Vec<Finding>) {
    named_duplicates(cx, out);
    listen_duplicates(cx, out);
}

/// The directives [`named_duplicates`] looks at ([`zone_of`]'s and the
/// named definitions').
const NAMED: &[&str] = &[
    "limit_req_zone",
    "limit_conn_zone",
    "proxy_cache_path",
    "fastcgi_cache_path",
    "uwsgi_cache_path",
    "scgi_cache_path",
    "log_format",
    "load_module",
];

/// Names that must be unique per tree: `log_format` names (per subsystem;
/// `combined` is predefined in http) and modules loaded by `load_module`.
fn named_duplicates(cx: &Check<'_>, out: &mut Vec<Finding>) {
    // By key (a list searched for each definition grew with the square of
    // a tree that defines a zone or a log format per site).
    let mut seen: HashMap<(usize, Ctx, &str, &str), Span> = HashMap::default();
    // Shared memory zones and cache paths, per unit: (unit, kind, name) →
    // (key, first).
    let mut zones: HashMap<(usize, &str, &str), (&str, Span)> = HashMap::default();
    cx.model.visits.walk_named(NAMED, &mut |v| {
        let d = v.directive;
        if let Some((kind, name, key)) = zone_of(d, v.ctx) {
            if let Some(&(fkey, first)) = zones.get(&(v.unit, kind, name)) {
                let msg = if kind == "cache" {
                    format!("the same path name \"{name}\" used in two cache paths")
                } else {
                    format!("{} \"{name}\" is already bound to key \"{fkey}\"", d.name())
                };
                out.push(
                    Finding::error(ids::DIRECTIVE_DUPLICATE, d.span, msg)
                        .with_help(format!(
                            "`{}` defines `{name}` a second time: remove or rename one",
                            d.name()
                        ))
                        .with_related(first, "first defined here"),
                );
            } else {
                zones.insert((v.unit, kind, name), (key, d.span));
            }
            return;
        }
        let (key, msg): (&str, String) = match (d.name(), v.ctx) {
            ("log_format", Ctx::Http | Ctx::Stream) => {
                let Some(n) = d.arg(0) else { return };
                (n, format!("duplicate \"log_format\" name \"{n}\""))
            }
            ("load_module", Ctx::Main) => {
                let Some(p) = d.arg(0) else { return };
                let so = p.rsplit('/').next().unwrap_or(p);
                let m = so.strip_suffix(".so").unwrap_or(so);
                (so, format!("module \"{m}\" is already loaded"))
            }
            _ => return,
        };
        if d.name() == "log_format" && v.ctx == Ctx::Http && key == "combined" {
            out.push(
                Finding::error(ids::DIRECTIVE_DUPLICATE, d.span, msg)
                    .with_help("`combined` is nginx's predefined log format: pick another name"),
            );
            return;
        }
        if let Some(&first) = seen.get(&(v.unit, v.ctx, d.name(), key)) {
            out.push(
                Finding::error(ids::DIRECTIVE_DUPLICATE, d.span, msg)
                    .with_help(format!(
                        "`{}` {key} is defined twice: remove or rename one",
                        d.name()
                    ))
                    .with_related(first, "first defined here"),
            );
        } else {
            seen.insert((v.unit, v.ctx, d.name(), key), d.span);
        }
    });
}

/// A definition nginx keeps in one namespace per tree: (namespace, name,
/// key) for `limit_req_zone`/`limit_conn_zone` zones and `*_cache_path`
/// paths.
fn zone_of(d: &Directive, ctx: Ctx) -> Option<(&'static str, &str, &str)> {
    if ctx != Ctx::Http {
        return None;
    }
    match d.name() {
        "limit_req_zone" | "limit_conn_zone" => {
            let zone = d
                .args
                .iter()
                .find_map(|w| w.as_str().strip_prefix("zone="))?;
            let name = zone.split(':').next().unwrap_or(zone);
            let ns = if d.name() == "limit_req_zone" {
                "limit_req_zone"
            } else {
                "limit_conn_zone"
            };
            Some((ns, name, d.arg(0)?))
        }
        "proxy_cache_path" | "fastcgi_cache_path" | "uwsgi_cache_path" | "scgi_cache_path" => {
            Some(("cache", d.arg(0)?, ""))
        }
        _ => None,
    }
}

/// The same address twice in one server's `listen` lines (`a duplicate
/// listen 0.0.0.0:80`); in stream before 1.25.5, in any two stream servers
/// (`duplicate "0.0.0.0:53" address and port pair`).
fn listen_duplicates(cx: &Check<'_>, out: &mut Vec<Finding>) {
    let stream_wide = cx.settings.nginx_version < Version(1, 25, 5);
    // (host, port, udp/quic) → first listen. A server's listens come one
    // after the other in the walk (servers do not nest), so the map of one
    // server is emptied when the next begins: one map of every listen
    // would be held at the run's peak. Stream-wide pairs (before
    // nginx 1.25.5) are kept per unit for the whole run.
    type Key<'a> = (ListenHost<'a>, u16, bool);
    let mut server: Option<(usize, Span)> = None;
    let mut in_server: HashMap<Key<'_>, Span> = HashMap::default();
    let mut stream_pairs: HashMap<(usize, Key<'_>), Span> = HashMap::default();
    cx.model.visits.walk_named(&["listen"], &mut |v| {
        let d = v.directive;
        if d.name_id != known_id!("listen") || !matches!(v.ctx, Ctx::Server | Ctx::StreamServer) {
            return;
        }
        let Some(addr) = d.arg(0).and_then(|a| parse_listen(a).ok()) else {
            return;
        };
        let Some((host, port)) = addr.key() else {
            return;
        };
        if addr.port != addr.last_port {
            return;
        }
        let dgram = d
            .args
            .iter()
            .skip(1)
            .any(|w| matches!(w.as_str(), "quic" | "udp"));
        let stream = v.ctx == Ctx::StreamServer;
        let scope = if stream && stream_wide {
            None
        } else {
            v.parents.last().map(|p| (v.unit, p.span))
        };
        if scope.is_some() && scope != server {
            in_server.clear();
            server = scope;
        }
        let key = (host, port, dgram);
        let seen = match scope {
            Some(_) => in_server.get(&key),
            None => stream_pairs.get(&(v.unit, key)),
        };
        // A file included twice brings the same `listen` (and its server)
        // twice: two servers for nginx, no duplicate within one server.
        let first = match seen {
            Some(s) if scope.is_none() || *s != d.span => Some(*s),
            _ => None,
        };
        if let Some(first) = first {
            let text = addr.display();
            let msg = if scope.is_none() {
                format!("duplicate \"{text}\" address and port pair")
            } else {
                format!("a duplicate listen {text}")
            };
            out.push(
                Finding::error(ids::DIRECTIVE_DUPLICATE, d.span, msg)
                    .with_help("this address is already listened on (`listen 80` is `*:80` is `0.0.0.0:80`); remove one")
                    .with_related(first, "first listen here"),
            );
        } else if scope.is_some() {
            in_server.entry(key).or_insert(d.span);
        } else {
            stream_pairs.entry((v.unit, key)).or_insert(d.span);
        }
    });
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
    fn listens_and_names() {
        let f = lint(
            ids::DIRECTIVE_DUPLICATE,
            "load_module modules/ngx_stream_module.so;\nload_module /usr/lib/nginx/modules/ngx_stream_module.so;\n\
             events {}\nhttp { log_format main '$a'; log_format main '$b'; log_format combined '$c'; \
             server { listen 80; listen *:80 default_server; listen [::]:80; } server { listen 80; } }\n\
             stream { server { listen 53 udp; listen 53; } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "module \"ngx_stream_module\" is already loaded",
                "duplicate \"log_format\" name \"main\"",
                "duplicate \"log_format\" name \"combined\"",
                "a duplicate listen 0.0.0.0:80",
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
