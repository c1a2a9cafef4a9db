//! `zone-undefined`: `proxy_cache`, `fastcgi_cache`, `uwsgi_cache`,
//! `scgi_cache`, `limit_req` and `limit_conn` name a shared memory zone that
//! the matching `*_cache_path keys_zone=`, `limit_req_zone` or
//! `limit_conn_zone` must define. nginx registers every reference with
//! `ngx_shared_memory_add(cf, &name, 0, tag)` and checks at start-up:
//!
//! - a cache zone nothing defines fails the merge of the block
//!   (`"proxy_cache" zone "x" is unknown`, ngx_http_proxy_merge_loc_conf and
//!   its fastcgi/uwsgi/scgi twins);
//! - a limit zone nothing defines keeps size 0 (`zero size shared memory zone
//!   "x"`, ngx_init_cycle), and so does a variable, which these directives
//!   take literally;
//! - a zone defined for another module (a `limit_conn` naming a
//!   `limit_req_zone`, a `fastcgi_cache` naming a `proxy_cache_path` zone)
//!   has another tag (`the shared memory zone "x" is already declared for a
//!   different use`, ngx_shared_memory_add).
//!
//! Checked with nginx 1.22 (`nginx -t`, tests/zone_undefined.rs). Only a
//! tree read from its main configuration is judged: a fragment's zones may
//! be defined in an nginx.conf the run does not see.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::values::has_variable;
use crate::rules::{Check, Rule, ids};

pub struct ZoneUndefined;

/// Who a zone belongs to (nginx's tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    LimitReq,
    LimitConn,
    /// A cache of the module named (`proxy`, `fastcgi`, …).
    Cache(&'static str),
}

const CACHE_MODULES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi"];

const DEFINITIONS: &[&str] = &[
    "limit_req_zone",
    "limit_conn_zone",
    "proxy_cache_path",
    "fastcgi_cache_path",
    "uwsgi_cache_path",
    "scgi_cache_path",
];

const REFERENCES: &[&str] = &[
    "limit_req",
    "limit_conn",
    "proxy_cache",
    "fastcgi_cache",
    "uwsgi_cache",
    "scgi_cache",
];

fn cache_module(prefix: &str) -> Option<&'static str> {
    CACHE_MODULES.iter().copied().find(|m| *m == prefix)
}

/// The zone a definition declares, with its owner.
fn definition(d: &Directive) -> Option<(Owner, &str)> {
    let (owner, key) = match d.name() {
        "limit_req_zone" => (Owner::LimitReq, "zone="),
        "limit_conn_zone" => (Owner::LimitConn, "zone="),
        name => (
            Owner::Cache(cache_module(name.strip_suffix("_cache_path")?)?),
            "keys_zone=",
        ),
    };
    let value = d.args.iter().find_map(|w| w.as_str().strip_prefix(key))?;
    Some((owner, value.split(':').next().unwrap_or(value)))
}

/// The zone a reference names, with the owner it needs (None: no zone
/// named, `off`, or a cache chosen by a variable at run time).
fn reference(d: &Directive) -> Option<(Owner, &str)> {
    match d.name() {
        "limit_req" => {
            let zone = d
                .args
                .iter()
                .find_map(|w| w.as_str().strip_prefix("zone="))?;
            Some((Owner::LimitReq, zone))
        }
        "limit_conn" => Some((Owner::LimitConn, d.arg(0)?)),
        name => {
            let module = cache_module(name.strip_suffix("_cache")?)?;
            let zone = d.arg(0)?;
            if zone == "off" || has_variable(zone) || d.args.len() != 1 {
                return None;
            }
            Some((Owner::Cache(module), zone))
        }
    }
}

impl Rule for ZoneUndefined {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ZONE_UNDEFINED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let judged = |u: usize| crate::rules::util::whole_tree(cx, u);
        // (unit, name) → every owner that defines it.
        let mut defined: FxHashMap<(usize, &str), Vec<Owner>> = FxHashMap::default();
        cx.model.visits.walk_named(DEFINITIONS, &mut |v| {
            if v.ctx != Ctx::Http || !judged(v.unit) {
                return;
            }
            if let Some((owner, name)) = definition(v.directive) {
                defined.entry((v.unit, name)).or_default().push(owner);
            }
        });
        // A tree with an include the run cannot read may define zones there.
        let mut unknown_units = FxHashSet::default();
        if !cx.loaded.unknown_includes.is_empty() {
            cx.model.visits.walk_named(&["include"], &mut |v| {
                if cx.loaded.unknown_includes.contains(&v.directive.span) {
                    unknown_units.insert(v.unit);
                }
            });
        }
        cx.model.visits.walk_named(REFERENCES, &mut |v| {
            let http = matches!(
                v.ctx,
                Ctx::Http | Ctx::Server | Ctx::Location | Ctx::If | Ctx::LimitExcept
            );
            if !http || !judged(v.unit) || unknown_units.contains(&v.unit) {
                return;
            }
            let d = v.directive;
            let Some((owner, name)) = reference(d) else {
                return;
            };
            match defined.get(&(v.unit, name)) {
                Some(owners) if owners.contains(&owner) => {}
                Some(owners) => out.push(other_use(d, name, owners[0])),
                None => out.push(undefined(d, owner, name)),
            }
        });
    }
}

fn definer(owner: Owner) -> String {
    match owner {
        Owner::LimitReq => "limit_req_zone".into(),
        Owner::LimitConn => "limit_conn_zone".into(),
        Owner::Cache(m) => format!("{m}_cache_path ... keys_zone="),
    }
}

/// A reference to a zone nothing defines.
fn undefined(d: &Directive, owner: Owner, name: &str) -> Finding {
    let def = definer(owner);
    let (message, help) = match owner {
        Owner::Cache(_) => (
            format!("\"{}\" zone \"{name}\" is unknown", d.name()),
            format!("define it at http level with `{def}{name}:10m`, or name the zone it has"),
        ),
        _ if has_variable(name) => (
            format!("zero size shared memory zone \"{name}\""),
            format!(
                "a zone name is taken literally: name a zone that `{def}` defines, and put \
                 the variable in its key (`{def} $binary_remote_addr zone=NAME:10m ...`)"
            ),
        ),
        _ => (
            format!("zero size shared memory zone \"{name}\""),
            format!("no `{def}` defines zone \"{name}\": define it at http level, or fix the name"),
        ),
    };
    Finding::error(ids::ZONE_UNDEFINED, d.span, message)
        .with_help(format!("nginx refuses to start; {help}"))
}

/// A reference to a zone another module defined.
fn other_use(d: &Directive, name: &str, owner: Owner) -> Finding {
    Finding::error(
        ids::ZONE_UNDEFINED,
        d.span,
        format!("the shared memory zone \"{name}\" is already declared for a different use"),
    )
    .with_help(format!(
        "nginx refuses to start: \"{name}\" is defined by `{}`, which `{}` cannot use; \
         define a zone of its own kind",
        definer(owner),
        d.name()
    ))
}
