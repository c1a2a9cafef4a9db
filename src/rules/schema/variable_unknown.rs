//! `variable-unknown`: a value names a variable nothing defines. nginx
//! registers every variable a value compiles and, once the configuration
//! is read, looks each one up among the variables its modules and the
//! configuration defined, then among the prefix variables (`http_`,
//! `arg_`, …); one it finds in neither stops the start:
//! `[emerg] unknown "foo" variable` (ngx_http_variables_init_vars and
//! ngx_stream_variables_init_vars, nginx/nginx 3f6f782). Definitions are
//! global to the http (or stream) block, whatever their server or order.
//!
//! Only a tree read from its main configuration is judged, and not one
//! nginx-lint cannot see whole: an include it cannot read, a directive it
//! does not know or of a third-party module (geoip2, lua's
//! `set_by_lua*`, … define variables), a `load_module` of anything but
//! nginx's own modules and njs. Checked against nginx 1.22 `-t`
//! (tests/variable_unknown.rs).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::variables::{MERGE_COMPILED, defined, used};
use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::context::Ctx;
use crate::nginx::lexer::Word;
use crate::nginx::schema::{Version, known_id};
use crate::nginx::variables::{CATALOGUED_GROUPS, builtin, has_group, releases};
use crate::rules::{Check, Rule, ids};

pub struct VariableUnknown;

/// The modules whose `load_module` keeps a tree judged: nginx's own a
/// distribution builds as `.so`, njs (whose `js_set`/`js_var` are read as
/// definitions) and the third-party modules whose variables are catalogued
/// (those Debian 12 loads: its modules-enabled/).
const KNOWN_MODULES: &[&str] = &[
    "ngx_http_echo_module",
    "ngx_http_geoip2_module",
    "ngx_stream_geoip2_module",
    "ngx_http_auth_pam_module",
    "ngx_http_dav_ext_module",
    "ngx_http_subs_filter_module",
    "ngx_http_upstream_fair_module",
    "ngx_http_geoip_module",
    "ngx_stream_geoip_module",
    "ngx_http_image_filter_module",
    "ngx_http_xslt_filter_module",
    "ngx_http_perl_module",
    "ngx_mail_module",
    "ngx_stream_module",
    "ngx_http_js_module",
    "ngx_stream_js_module",
];

/// The subsystem a visit is in: `Some(false)` http, `Some(true)` stream.
fn subsystem(v: &Visit<'_, '_>) -> Option<bool> {
    let top = v.parents.first()?.name_id;
    if top == known_id!("http") {
        Some(false)
    } else if top == known_id!("stream") {
        Some(true)
    } else {
        None
    }
}

/// Whether the directive keeps the unit from being judged.
fn unjudgeable(v: &Visit<'_, '_>) -> bool {
    let d = v.directive;
    if d.name_id == known_id!("load_module") {
        let stem = d
            .arg(0)
            .and_then(|p| p.rsplit('/').next())
            .and_then(|f| f.strip_suffix(".so"));
        return !stem.is_some_and(|s| KNOWN_MODULES.contains(&s));
    }
    if v.ctx == Ctx::Data || d.is_include() || in_geoip2(v) {
        return false;
    }
    v.specs.is_empty()
        || v.specs.iter().all(|s| {
            s.third_party
                .is_some_and(|g| g != "njs" && !CATALOGUED_GROUPS.contains(&g))
        })
}

/// An entry of a `geoip2` block (`$name [default=...] path...;` or
/// `auto_reload`): geoip2 reads its body itself.
fn in_geoip2(v: &Visit<'_, '_>) -> bool {
    v.parents
        .last()
        .is_some_and(|p| p.name_id == known_id!("geoip2"))
}

/// What the first walk gathers.
#[derive(Default)]
struct Defs {
    /// (unit, stream, lowercased name).
    names: FxHashSet<(usize, bool, String)>,
    /// Units not judged.
    skip: FxHashSet<usize>,
    /// Units whose http block has a server.
    http_server: FxHashSet<usize>,
}

impl Rule for VariableUnknown {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::VARIABLE_UNKNOWN]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let judged = |u: usize| crate::rules::util::whole_tree(cx, u);
        // One walk: definitions count wherever they stand in the block,
        // so the uses are judged after it.
        let mut defs = Defs::default();
        let mut uses = Vec::new();
        cx.model.visits.walk(&mut |v| {
            if !judged(v.unit) || unjudgeable(v) {
                defs.skip.insert(v.unit);
                return;
            }
            let d = v.directive;
            if d.is_include() && cx.loaded.unknown_includes.contains(&d.span) {
                defs.skip.insert(v.unit);
            }
            if v.ctx == Ctx::Http && d.name_id == known_id!("server") {
                defs.http_server.insert(v.unit);
            }
            let Some(stream) = subsystem(v) else {
                return;
            };
            // Definitions and uses all have a `$` or a named group (`(?`)
            // in a word: most directives have neither.
            let marked = |w: &Word| w.as_str().contains('$') || has_group(w.as_str());
            if !marked(&d.name) && !d.args.iter().any(marked) {
                return;
            }
            let parent = v.parents.last().copied();
            for n in defined(d, parent) {
                defs.names.insert((v.unit, stream, n.to_ascii_lowercase()));
            }
            if in_geoip2(v) {
                if let Some(n) = d.name().strip_prefix('$') {
                    defs.names.insert((v.unit, stream, n.to_ascii_lowercase()));
                }
                return;
            }
            // Compiled when a block is merged: at http level, only when the
            // block has a server to merge into.
            let at_merge = !stream && v.ctx == Ctx::Http && MERGE_COMPILED.contains(&d.name());
            for (name, word) in used(d, v.specs, parent, stream) {
                uses.push((v.unit, stream, at_merge, name, word));
            }
        });
        let version = cx.settings.nginx_version;
        // The same few names recur in every server.
        let mut known: FxHashMap<(&str, bool), bool> = FxHashMap::default();
        for (unit, stream, at_merge, name, word) in uses {
            if defs.skip.contains(&unit) || (at_merge && !defs.http_server.contains(&unit)) {
                continue;
            }
            if *known
                .entry((name, stream))
                .or_insert_with(|| builtin(name, stream, version).is_some())
            {
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if !defs.names.contains(&(unit, stream, lower.clone())) {
                out.push(unknown(word, &lower, stream, version));
            }
        }
    }
}

/// A use of a variable nothing defines; `name` as nginx prints it
/// (lowercased).
fn unknown(w: &Word, name: &str, stream: bool, version: Version) -> Finding {
    let block = if stream { "stream" } else { "http" };
    let help = match releases(name, stream) {
        Some((from, until)) => format!(
            "nginx refuses to start: ${name} is nginx's own {}, and the version judged is \
             {version} (--nginx-version)",
            match until {
                Some(u) => format!("from {from} to {u}"),
                None => format!("from {from} on"),
            }
        ),
        None => format!(
            "nginx refuses to start: no module and no `set`, `map`, `geo`, `split_clients` \
             or named regex capture in this {block} block defines it; fix the name, or define it"
        ),
    };
    Finding::error(
        ids::VARIABLE_UNKNOWN,
        w.span,
        format!("unknown \"{name}\" variable"),
    )
    .with_help(help)
}
