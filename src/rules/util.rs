//! Small, allocation-free lookups on the model that several rules share.

use crate::model::{Listen, Model, Scope, ScopeId, Server};
use crate::nginx::ast::Directive;
use crate::source::Span;

/// `on`/`off` of the effective occurrence, None when unset (the default
/// applies) or not a flag.
pub fn effective_flag(m: &Model<'_>, scope: ScopeId, name: &str) -> Option<bool> {
    match m.effective_one(scope, name)?.arg(0)? {
        v if v.eq_ignore_ascii_case("on") => Some(true),
        v if v.eq_ignore_ascii_case("off") => Some(false),
        _ => None,
    }
}

/// The `listen ... ssl` lines of a server.
pub fn ssl_listens<'a, 't>(s: &'a Server<'t>) -> impl Iterator<Item = &'a Listen<'t>> {
    s.listens.iter().filter(|l| l.ssl)
}

/// A server that terminates TLS: an http or stream server with a
/// `listen ... ssl`.
pub fn is_tls_server(s: &Server<'_>) -> bool {
    s.listens.iter().any(|l| l.ssl)
}

/// Where to report something about a TLS server: its first `listen ... ssl`
/// line, else the `server` line.
pub fn tls_anchor(s: &Server<'_>) -> Span {
    ssl_listens(s)
        .find_map(|l| l.directive)
        .map_or(s.directive.span, |d| d.span)
}

/// Whether a word contains an nginx variable (`$name`, `${name}`).
pub fn has_variable(s: &str) -> bool {
    s.contains('$')
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The blocks holding an include whose files lie outside the repository
/// (directly or through included files), by the block directive's address
/// (0: a unit's top level). What such an include brings in is unknown, so
/// a rule that would find something missing in or under them cannot tell.
/// Empty (and free) when the run had no such include.
pub struct UnknownBlocks(rustc_hash::FxHashSet<usize>);

impl UnknownBlocks {
    pub fn new(cx: &crate::rules::Check<'_>) -> UnknownBlocks {
        let mut set = rustc_hash::FxHashSet::default();
        if !cx.loaded.unknown_includes.is_empty() {
            cx.model.visits.walk_named(&["include"], &mut |v| {
                if cx.loaded.unknown_includes.contains(&v.directive.span) {
                    let owner = v
                        .parents
                        .last()
                        .map_or(0, |d| *d as *const Directive as usize);
                    set.insert(owner);
                }
            });
        }
        UnknownBlocks(set)
    }

    /// Whether `scope` or a block around it holds such an include.
    pub fn around(&self, m: &Model<'_>, scope: ScopeId) -> bool {
        !self.0.is_empty()
            && m.chain(scope).any(|s: &Scope<'_>| {
                let key = s.directive.map_or(0, |d| d as *const Directive as usize);
                self.0.contains(&key)
            })
    }
}

/// Whether unit `u` is a whole tree (a main configuration, not a file
/// linted on its own): what rules that look across the http block judge.
pub fn whole_tree(cx: &crate::rules::Check<'_>, u: usize) -> bool {
    cx.loaded
        .units
        .get(u)
        .is_some_and(|x| x.context == crate::nginx::context::Ctx::Main && !x.standalone)
}

/// Whether `scope` lies in a file nothing includes that is read below main
/// level (a vhost file, a location snippet): the blocks around it where it
/// is deployed, and what they set for it to inherit (`fastcgi_param`,
/// `resolver`, `add_header`, ...), are not in view.
pub fn parent_unknown(cx: &crate::rules::Check<'_>, scope: ScopeId) -> bool {
    cx.model
        .scopes
        .get(scope)
        .and_then(|s| cx.loaded.units.get(s.unit))
        .is_some_and(|u| u.standalone && u.context != crate::nginx::context::Ctx::Main)
}

/// `path:line` of a span, for a help text that names a file the finding's
/// own location is not in (a php.ini line beside an nginx finding).
pub fn file_line(loaded: &crate::loaded::Loaded, span: Span) -> String {
    let f = loaded.sources.get(span.file);
    format!("{}:{}", f.display, f.line_col(span.start).0)
}
