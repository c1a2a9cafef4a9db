//! Which `location` a URI selects, as `ngx_http_core_find_location` and
//! `ngx_http_core_find_static_location` do (src/http/ngx_http_core_module.c,
//! nginx 1.22), level by level:
//!
//! 1. the static locations of the level: an `=` location named exactly the
//!    URI wins at once; else the longest prefix (plain or `^~`) that starts
//!    the URI is remembered and its own nested locations are searched the
//!    same way (they may find an exact match, a longer prefix or a regex);
//!    a URI one `/` short of a location with a pass directive whose name
//!    ends in `/` is redirected there (301, `auto_redirect`);
//! 2. unless the remembered prefix is `^~`, the level's regex locations in
//!    configuration order: the first that matches wins, after its own
//!    nested locations are searched;
//! 3. else the remembered prefix, or nothing (the server's own
//!    configuration, which `return`s or serves from the server's root).
//!
//! Named locations (`@x`) are never selected by a URI.

use super::pcre::{self, Found};
use crate::analysis::regex::Regex;
use crate::analysis::{LocKind, location_match};
use crate::model::{Model, ScopeId};

/// A location block of one level, as the search needs it.
#[derive(Clone, Debug)]
pub struct Loc {
    pub scope: ScopeId,
    pub kind: LocKind,
    pub name: String,
    pub children: Vec<Loc>,
    /// Has a pass directive (`proxy_pass`, `fastcgi_pass`, …): its name
    /// ending in `/` redirects the URI without the slash.
    pub auto_redirect: bool,
    /// A regex location's pattern, parsed once for every search (`graph`
    /// searches each server's tree many times). None: parsed when needed.
    pub re: Option<std::sync::Arc<Regex>>,
}

/// Every location of a server (or of any block), nested as written.
pub fn tree(model: &Model<'_>, parent: ScopeId) -> Vec<Loc> {
    // Scope ids are given in walk order (pre-order): a block's
    // descendants are the ids right after it.
    let kids: Vec<ScopeId> = (parent + 1..model.scopes.len())
        .take_while(|&s| descends(model, s, parent))
        .filter(|&s| model.scopes[s].parent == Some(parent))
        .collect();
    kids.into_iter()
        .filter_map(|s| {
            let d = model.scopes.get(s)?.directive?;
            let (kind, name, _) = location_match(d)?;
            Some(Loc {
                scope: s,
                kind,
                name: name.to_string(),
                children: tree(model, s),
                auto_redirect: name.ends_with('/') && has_pass(model, s),
                re: match kind {
                    LocKind::Regex { icase } => {
                        Some(std::sync::Arc::new(Regex::parse(name, icase)))
                    }
                    _ => None,
                },
            })
        })
        .collect()
}

fn descends(model: &Model<'_>, s: ScopeId, ancestor: ScopeId) -> bool {
    let parent = |c: ScopeId| model.scopes.get(c).and_then(|x| x.parent);
    let mut cur = parent(s);
    while let Some(c) = cur {
        if c == ancestor {
            return true;
        }
        cur = parent(c);
    }
    false
}

const PASSES: [&str; 6] = [
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "memcached_pass",
    "grpc_pass",
];

fn has_pass(model: &Model<'_>, s: ScopeId) -> bool {
    PASSES.iter().any(|p| model.has(s, p))
}

/// One step of the search, for the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Exact(ScopeId),
    Prefix(ScopeId),
    /// `^~`: regexes of its level are not tried.
    NoRegex(ScopeId),
    Regex(ScopeId, Vec<String>),
    /// A regex tried and not matched.
    RegexMissed(ScopeId),
    /// A regex we cannot decide (assumed not to match).
    RegexUnknown(ScopeId, &'static str),
    /// 301 to the URI with `/` added.
    AutoRedirect(ScopeId),
}

/// The result: the location chosen (None: the server level), the steps,
/// and the captures of the last regex that matched.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub chosen: Option<ScopeId>,
    pub steps: Vec<Step>,
    pub captures: Vec<String>,
    pub redirect: bool,
}

enum Rc {
    Ok,
    Again,
    Done,
    Declined,
}

/// Find the location for `uri` among `level` (a server's tree).
pub fn find(level: &[Loc], uri: &[u8]) -> Search {
    let mut f = Search::default();
    if let Rc::Done = search(level, uri, &mut f) {
        f.redirect = true;
    }
    f
}

fn search(level: &[Loc], uri: &[u8], f: &mut Search) -> Rc {
    let mut rc = find_static(level, uri, f);
    let mut noregex = false;
    if let Rc::Again = rc {
        let found = f.chosen.and_then(|c| level_find(level, c));
        noregex = found.is_some_and(|l| l.kind == LocKind::PrefixNoRegex);
        rc = match found {
            Some(l) => search(&l.children, uri, f),
            None => Rc::Declined,
        };
    }
    if matches!(rc, Rc::Ok | Rc::Done) {
        return rc;
    }
    if !noregex {
        for l in level {
            let LocKind::Regex { icase } = l.kind else {
                continue;
            };
            let parsed;
            let re = match &l.re {
                Some(r) => r.as_ref(),
                None => {
                    parsed = Regex::parse(&l.name, icase);
                    &parsed
                }
            };
            match pcre::search(re, &l.name, uri) {
                Found::Match(caps) => {
                    let caps: Vec<String> = (1..caps.len())
                        .map(|i| String::from_utf8_lossy(pcre::capture(&caps, uri, i)).into_owned())
                        .collect();
                    f.steps.push(Step::Regex(l.scope, caps.clone()));
                    f.chosen = Some(l.scope);
                    f.captures = caps;
                    search(&l.children, uri, f);
                    return Rc::Ok;
                }
                Found::NoMatch => f.steps.push(Step::RegexMissed(l.scope)),
                Found::Unknown(why) => f.steps.push(Step::RegexUnknown(l.scope, why)),
            }
        }
    }
    rc
}

fn level_find(level: &[Loc], scope: ScopeId) -> Option<&Loc> {
    level.iter().find(|l| l.scope == scope)
}

/// The static part of one level (`ngx_http_core_find_static_location`
/// over the level's tree, read as what it computes).
fn find_static(level: &[Loc], uri: &[u8], f: &mut Search) -> Rc {
    let statics = || {
        level.iter().filter(|l| {
            matches!(
                l.kind,
                LocKind::Exact | LocKind::Prefix | LocKind::PrefixNoRegex
            )
        })
    };
    if let Some(l) = statics().find(|l| l.kind == LocKind::Exact && l.name.as_bytes() == uri) {
        f.steps.push(Step::Exact(l.scope));
        f.chosen = Some(l.scope);
        return Rc::Ok;
    }
    let mut best: Option<&Loc> = None;
    for l in statics().filter(|l| l.kind != LocKind::Exact) {
        if uri.starts_with(l.name.as_bytes()) && best.is_none_or(|b| l.name.len() > b.name.len()) {
            best = Some(l);
        }
    }
    // The tree stops at a location named exactly the URI; otherwise one
    // named the URI plus `/` with a pass directive redirects.
    let named_uri = statics().any(|l| l.name.as_bytes() == uri);
    if !named_uri
        && let Some(l) = statics().find(|l| {
            l.auto_redirect && l.name.len() == uri.len() + 1 && l.name.as_bytes().starts_with(uri)
        })
    {
        f.steps.push(Step::AutoRedirect(l.scope));
        f.chosen = Some(l.scope);
        return Rc::Done;
    }
    match best {
        Some(l) => {
            f.steps.push(if l.kind == LocKind::PrefixNoRegex {
                Step::NoRegex(l.scope)
            } else {
                Step::Prefix(l.scope)
            });
            f.chosen = Some(l.scope);
            Rc::Again
        }
        None => Rc::Declined,
    }
}

/// A named location of the server (`@name`), for internal redirects.
pub fn named<'l>(level: &'l [Loc], name: &str) -> Option<&'l Loc> {
    level
        .iter()
        .find(|l| l.kind == LocKind::Named && l.name == name)
}
