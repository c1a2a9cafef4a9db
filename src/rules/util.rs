//! Small, allocation-free lookups on the model that several rules share.

use crate::model::{Listen, Model, Scope, ScopeId, Server};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::source::Span;

/// The innermost scope from `scope` outwards that has a `name` directive:
/// its occurrences there are the effective ones (nginx's inheritance, for
/// single and array directives alike).
pub fn defining_scope<'a, 't>(
    m: &'a Model<'t>,
    scope: ScopeId,
    name: &str,
) -> Option<&'a Scope<'t>> {
    m.defining(scope, name).and_then(|id| m.scopes.get(id))
}

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

/// The directives with these names (all in the directive table), with
/// their scope and its context, in scope order, from the model's name
/// index instead of a pass over every directive.
pub fn named_directives<'a, 't>(
    m: &'a Model<'t>,
    names: &[&str],
) -> impl Iterator<Item = (ScopeId, Ctx, &'t Directive)> + 'a {
    m.named(names).map(|(sid, d)| (sid, m.scopes[sid].ctx, d))
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
