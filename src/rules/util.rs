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
    m.chain(scope)
        .find(|s| s.children.iter().any(|d| d.name() == name))
}

/// The effective occurrences of `name` at `scope`, without allocating.
pub fn effective_iter<'a, 't: 'a>(
    m: &'a Model<'t>,
    scope: ScopeId,
    name: &'a str,
) -> impl Iterator<Item = &'t Directive> + 'a {
    defining_scope(m, scope, name)
        .into_iter()
        .flat_map(move |s| s.children.iter().copied().filter(move |d| d.name() == name))
}

/// The last effective occurrence of a single-valued directive.
pub fn effective_last<'t>(m: &Model<'t>, scope: ScopeId, name: &str) -> Option<&'t Directive> {
    defining_scope(m, scope, name)
        .and_then(|s| s.children.iter().rev().copied().find(|d| d.name() == name))
}

/// `on`/`off` of the effective occurrence, None when unset (the default
/// applies) or not a flag.
pub fn effective_flag(m: &Model<'_>, scope: ScopeId, name: &str) -> Option<bool> {
    match effective_last(m, scope, name)?.arg(0)? {
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

/// Every directive of every (non-data) block, with the scope it stands in.
pub fn all_directives<'a, 't>(
    m: &'a Model<'t>,
) -> impl Iterator<Item = (ScopeId, Ctx, &'t Directive)> + 'a {
    m.scopes
        .iter()
        .enumerate()
        .flat_map(|(sid, s)| s.children.iter().map(move |d| (sid, s.ctx, *d)))
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

/// Where a few directive names occur, per scope, built in one pass over the
/// model: effective lookups then cost the depth of the block chain, not the
/// size of an `http` block that holds a thousand included servers.
pub struct NameIndex<'n> {
    names: &'n [&'n str],
    /// Per scope and name: (index of the first occurrence, index after the
    /// last), `(0, 0)` when absent.
    ranges: Vec<(u32, u32)>,
}

impl<'n> NameIndex<'n> {
    pub fn new(m: &Model<'_>, names: &'n [&'n str]) -> NameIndex<'n> {
        let k = names.len();
        let mut ranges = vec![(0u32, 0u32); m.scopes.len() * k];
        for (sid, s) in m.scopes.iter().enumerate() {
            for (i, d) in s.children.iter().enumerate() {
                let name = d.name();
                if let Some(n) = names.iter().position(|x| *x == name) {
                    let i = u32::try_from(i).unwrap_or(u32::MAX - 1);
                    let r = &mut ranges[sid * k + n];
                    if r.1 == 0 {
                        r.0 = i;
                    }
                    r.1 = i + 1;
                }
            }
        }
        NameIndex { names, ranges }
    }

    fn slot(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|x| *x == name)
    }

    fn range(&self, scope: ScopeId, n: usize) -> (u32, u32) {
        self.ranges
            .get(scope * self.names.len() + n)
            .copied()
            .unwrap_or((0, 0))
    }

    /// The innermost scope from `scope` outwards that has `name` (which
    /// must be one of the indexed names).
    pub fn defining(&self, m: &Model<'_>, scope: ScopeId, name: &str) -> Option<ScopeId> {
        let n = self.slot(name)?;
        let mut cur = Some(scope);
        while let Some(id) = cur {
            if self.range(id, n).1 > 0 {
                return Some(id);
            }
            cur = m.scopes.get(id)?.parent;
        }
        None
    }

    /// The effective occurrences of `name` at `scope`.
    pub fn effective<'a, 't: 'a>(
        &'a self,
        m: &'a Model<'t>,
        scope: ScopeId,
        name: &'a str,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        let found = self.defining(m, scope, name).and_then(|id| {
            let n = self.slot(name)?;
            let (a, b) = self.range(id, n);
            let s = m.scopes.get(id)?;
            s.children.get(a as usize..b as usize)
        });
        found
            .into_iter()
            .flatten()
            .copied()
            .filter(move |d| d.name() == name)
    }

    /// The last effective occurrence of `name` at `scope`.
    pub fn last<'t>(&self, m: &Model<'t>, scope: ScopeId, name: &str) -> Option<&'t Directive> {
        let id = self.defining(m, scope, name)?;
        let (_, b) = self.range(id, self.slot(name)?);
        m.scopes
            .get(id)?
            .children
            .get((b as usize).checked_sub(1)?)
            .copied()
    }

    /// `on`/`off` of the effective occurrence of a flag directive.
    pub fn flag(&self, m: &Model<'_>, scope: ScopeId, name: &str) -> Option<bool> {
        match self.last(m, scope, name)?.arg(0)? {
            v if v.eq_ignore_ascii_case("on") => Some(true),
            v if v.eq_ignore_ascii_case("off") => Some(false),
            _ => None,
        }
    }
}

impl NameIndex<'_> {
    /// The occurrences of `name` in `scope` itself.
    pub fn own<'a, 't: 'a>(
        &'a self,
        m: &'a Model<'t>,
        scope: ScopeId,
        name: &'a str,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        let found = self.slot(name).and_then(|n| {
            let (a, b) = self.range(scope, n);
            m.scopes.get(scope)?.children.get(a as usize..b as usize)
        });
        found
            .into_iter()
            .flatten()
            .copied()
            .filter(move |d| d.name() == name)
    }
}
