//! The structural rules `nginx -t` enforces: directive names, contexts,
//! argument counts and values, duplicates, upstream names. What they share
//! lives here: which directive specs are available in a tree (version and
//! modules), and the nginx context bits of a visited directive.

mod compose_host;
pub mod directive_args;
pub mod directive_context;
pub mod directive_duplicate;
pub mod directive_value;
pub mod duplicate_default_server;
pub mod duplicate_location;
pub mod duplicate_upstream;
pub mod http2_listen_deprecated;
pub mod load_module_missing;
pub mod module_assumed;
mod per_block;
mod per_directive;
pub mod service_syntax;
pub mod ssl_on_removed;
pub mod unknown_directive;
pub mod upstream_undefined;
pub mod variable_unknown;
pub mod zone_undefined;

use crate::loaded::Loaded;
use crate::model::walk::{BlockVisit, Visit, Visits};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::schema::{self, DirectiveSpec, ctx};
use crate::settings::Settings;
pub use per_block::PerBlock;
pub use per_directive::PerDirective;

/// What modules one tree can use.
#[derive(Clone, Debug, Default)]
pub struct TreeModules<'a> {
    /// The tree has at least one `load_module` line: modules are dynamic,
    /// and only the loaded ones are there.
    pub dynamic: bool,
    /// File names of the loaded .so files (`ngx_stream_module.so`).
    pub loaded: Vec<&'a str>,
}

/// Why a spec is not available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Outside its since/until range for the selected version.
    Version,
    /// Its module's .so is not loaded by a tree that loads modules.
    Module,
}

/// Per-run view shared by the schema rules.
pub struct Env<'a> {
    pub loaded: &'a Loaded,
    pub settings: &'a Settings,
    /// Per unit (index = unit index).
    pub modules: Vec<TreeModules<'a>>,
}

impl<'a> Env<'a> {
    /// The modules of each unit, from the `load_module` lines at the top
    /// level of each main unit (includes expanded) that the run's walk saw.
    pub fn new(loaded: &'a Loaded, settings: &'a Settings, visits: &Visits<'a>) -> Env<'a> {
        let mut own: Vec<TreeModules<'a>> = vec![TreeModules::default(); loaded.units.len()];
        visits.walk_named(&["load_module"], &mut |v| {
            let main = loaded
                .units
                .get(v.unit)
                .is_some_and(|u| u.context == Ctx::Main);
            let d: &'a Directive = v.directive;
            if let (true, Some(m)) = (main && v.parents.is_empty(), own.get_mut(v.unit)) {
                m.dynamic = true;
                if let Some(a) = d.arg(0) {
                    m.loaded.push(a.rsplit('/').next().unwrap_or(a));
                }
            }
        });
        // A standalone file is judged with the modules of the run's first
        // root, when there is one (a vhost not enabled yet on that server).
        if let Some(root) = loaded.units.iter().position(|u| !u.standalone) {
            let rm = own[root].clone();
            for (i, u) in loaded.units.iter().enumerate() {
                if u.standalone {
                    own[i] = rm.clone();
                }
            }
        }
        Env {
            loaded,
            settings,
            modules: own,
        }
    }

    /// Whether the user declared the spec's module available (`--module`).
    pub fn declared(&self, spec: &DirectiveSpec) -> bool {
        self.settings.modules.iter().any(|m| {
            let m = m.as_str();
            spec.third_party == Some(m)
                || spec.module == m
                || spec.dynamic_so.is_some_and(|so| {
                    so == m || so.strip_suffix(".so") == Some(m) || m.ends_with(&format!("/{so}"))
                })
        })
    }

    /// Whether `spec` exists for this unit, and if not, why.
    pub fn availability(&self, unit: usize, spec: &DirectiveSpec) -> Result<(), Missing> {
        if !spec.available_in(self.settings.nginx_version) {
            return Err(Missing::Version);
        }
        let Some(so) = spec.dynamic_so else {
            return Ok(());
        };
        let Some(m) = self.modules.get(unit) else {
            return Ok(());
        };
        if !m.dynamic || m.loaded.contains(&so) || self.declared(spec) {
            Ok(())
        } else {
            Err(Missing::Module)
        }
    }

    /// Whether an enclosing block is itself unknown here (a `stream { }`
    /// whose module is not loaded): its contents are not judged again, as
    /// nginx stops at the block. Called only before reporting.
    pub fn inside_unavailable(&self, v: &Visit<'_, '_>) -> bool {
        v.parents.iter().any(|p| {
            !schema::group(p.name_id)
                .iter()
                .any(|s| self.availability(v.unit, s).is_ok())
        })
    }

    /// [`Env::spec_for`] for a child of a visited block.
    pub fn spec_for_child(
        &self,
        b: &BlockVisit<'_, '_>,
        d: &Directive,
    ) -> Option<&'static DirectiveSpec> {
        self.spec_for(&Visit {
            directive: d,
            ctx: b.ctx,
            parents: b.parents,
            unit: b.unit,
            specs: schema::group(d.name_id),
        })
    }

    /// The spec nginx would use for this directive: the first available one
    /// whose contexts include where it stands. None when the name is
    /// unknown, unavailable, or not allowed here (other rules say which).
    pub fn spec_for(&self, v: &Visit<'_, '_>) -> Option<&'static DirectiveSpec> {
        let bits = self.cmd_type(v);
        if bits == 0 {
            return None;
        }
        v.specs
            .iter()
            .find(|s| s.contexts & bits != 0 && self.availability(v.unit, s).is_ok())
    }

    /// nginx's `cf->cmd_type` where the visited directive stands (0 in data
    /// blocks, which hold no directives).
    pub fn cmd_type(&self, v: &Visit<'_, '_>) -> u32 {
        match v.ctx {
            Ctx::Main => ctx::MAIN,
            Ctx::Events => ctx::EVENTS,
            Ctx::Http => ctx::HTTP,
            Ctx::Server => ctx::HTTP_SRV,
            Ctx::Location => ctx::HTTP_LOC,
            Ctx::Upstream => ctx::HTTP_UPS,
            Ctx::LimitExcept => ctx::HTTP_LMT,
            Ctx::Stream => ctx::STREAM,
            Ctx::StreamServer => ctx::STREAM_SRV,
            Ctx::StreamUpstream => ctx::STREAM_UPS,
            Ctx::Mail => ctx::MAIL,
            Ctx::MailServer => ctx::MAIL_SRV,
            Ctx::Data => 0,
            Ctx::If => {
                // `if` in a server is NGX_HTTP_SIF_CONF, in a location
                // NGX_HTTP_LIF_CONF (ngx_http_rewrite_if).
                let outer = match v.parents.len() {
                    n if n >= 2 => match v.parents[n - 2].name() {
                        "server" => Ctx::Server,
                        _ => Ctx::Location,
                    },
                    _ => self
                        .loaded
                        .units
                        .get(v.unit)
                        .map_or(Ctx::Location, |u| u.context),
                };
                if outer == Ctx::Server {
                    ctx::HTTP_SIF
                } else {
                    ctx::HTTP_LIF
                }
            }
        }
    }
}

/// The closest names to `name` among all known directive names (for
/// "did you mean"), best first; only computed when reporting.
pub fn nearest_directive(name: &str) -> Option<&'static str> {
    nearest(name, None)
}

/// [`nearest_directive`] among the directives `version` has: a "did you
/// mean" nginx would refuse is no help.
pub fn nearest_directive_at(name: &str, version: schema::Version) -> Option<&'static str> {
    nearest(name, Some(version))
}

fn nearest(name: &str, version: Option<schema::Version>) -> Option<&'static str> {
    let limit = match name.len() {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &'static str)> = None;
    let mut last = "";
    for s in schema::all() {
        if s.name == last {
            continue;
        }
        last = s.name;
        if s.name.len().abs_diff(name.len()) > limit {
            continue;
        }
        if let Some(v) = version
            && !schema::lookup(s.name).iter().any(|x| x.available_in(v))
        {
            continue;
        }
        let d = crate::text::edit_distance(name, s.name);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, s.name));
        }
    }
    best.map(|(_, n)| n)
}

/// A human name for where a directive stands ("http", "server", "location",
/// "if in a location", …), for messages.
pub fn where_name(bits: u32) -> &'static str {
    match bits {
        ctx::MAIN => "the main context",
        ctx::EVENTS => "events",
        ctx::HTTP => "http",
        ctx::HTTP_SRV => "server",
        ctx::HTTP_LOC => "location",
        ctx::HTTP_UPS => "upstream",
        ctx::HTTP_SIF => "if (in a server)",
        ctx::HTTP_LIF => "if (in a location)",
        ctx::HTTP_LMT => "limit_except",
        ctx::STREAM => "stream",
        ctx::STREAM_SRV => "stream server",
        ctx::STREAM_UPS => "stream upstream",
        ctx::MAIL => "mail",
        ctx::MAIL_SRV => "mail server",
        _ => "here",
    }
}

/// The places a directive may stand, for help texts (`http, server, location`).
pub fn allowed_places(contexts: u32) -> String {
    if contexts == ctx::ANY {
        return "anywhere".into();
    }
    let mut out: Vec<&str> = Vec::new();
    let mut bit = 1u32;
    while bit != 0 && bit <= ctx::MAIL_SRV {
        if contexts & bit != 0 {
            let n = where_name(bit);
            if !out.contains(&n) {
                out.push(n);
            }
        }
        bit <<= 1;
    }
    out.join(", ")
}

/// Test helper: lint one in-memory nginx.conf (written to a temp dir) and
/// return the findings of `rule`.
#[cfg(test)]
pub fn lint(rule: &str, conf: &str) -> Vec<crate::finding::Finding> {
    lint_with(rule, conf, Settings::default())
}

/// Test helper: the severities of `rule`'s findings on `conf`, in order.
#[cfg(test)]
pub fn severities(rule: &str, conf: &str) -> Vec<crate::finding::Severity> {
    lint(rule, conf).iter().map(|f| f.severity).collect()
}

/// Test helper: lint `body` placed in `location /` of a minimal server
/// (server_tokens off, so only `rule` speaks) and return its findings.
#[cfg(test)]
pub fn lint_in_location(rule: &str, body: &str) -> Vec<crate::finding::Finding> {
    lint(
        rule,
        &format!(
            "events {{}}\nhttp {{ server_tokens off; server {{ listen 80; location / {{ {body} }} }} }}\n"
        ),
    )
}

#[cfg(test)]
pub fn lint_with(rule: &str, conf: &str, settings: Settings) -> Vec<crate::finding::Finding> {
    let dir = tempdir();
    std::fs::write(dir.join("nginx.conf"), conf).expect("write");
    let opts = crate::Options {
        inputs: crate::Inputs {
            paths: vec![dir.clone()],
            ..Default::default()
        },
        settings,
    };
    let out = crate::run(&opts).expect("run");
    let _ = std::fs::remove_dir_all(&dir);
    out.findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

#[cfg(test)]
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "nginx-lint-schema-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&p).expect("mkdir");
    p
}
