//! Small, allocation-free lookups on the model that several rules share.

use crate::model::{Listen, Model, ScopeId, Server};
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
