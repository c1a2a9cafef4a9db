//! The content of a location: `try_files`, then a pass directive or the
//! static file (`ngx_http_map_uri_to_path`: `alias` replaces the
//! location's prefix, or is the whole path in a regex location; `root`
//! is prepended to the URI; the innermost of the two is inherited).

use super::{Event, Handler, Runner, find_loc, words};
use crate::analysis::LocKind;
use crate::model::ScopeId;
use crate::nginx::ast::Directive;
use crate::route::files::{self, Found};
use crate::route::location::Loc;

/// What `try_files` leaves: a handler or an internal redirect (None), or
/// the location's own content for the first file.
enum Tried {
    Fallback(Option<Handler>),
    FirstExists,
}

impl Runner<'_, '_> {
    /// The handler of `scope`, or None after an internal redirect (the
    /// URI changed: search again).
    pub(super) fn content(&mut self, tree: &[Loc], scope: ScopeId) -> Option<Handler> {
        let model = self.model;
        let conf = self.scope.unwrap_or(scope);
        if let Some(d) = model.own(scope, "try_files").last() {
            self.file_vars(tree, scope);
            match self.try_files(tree, scope, d) {
                Tried::Fallback(h) => return h,
                Tried::FirstExists => {}
            }
        }
        if let Some(i) = model
            .targets
            .iter()
            .position(|t| t.scope == conf || t.scope == scope)
        {
            let script_filename = (model.targets[i].kind == crate::model::TargetKind::FastCgi)
                .then(|| self.script_filename(tree, scope))
                .flatten();
            return Some(Handler::Pass {
                target: i,
                script_filename,
            });
        }
        let (path, root) = self.path(tree, scope);
        if path.ends_with('/') {
            return self.index(path, root, conf);
        }
        Some(self.static_file(path, root))
    }

    /// `try_files` (ngx_http_try_files_module.c): each file in order,
    /// a name ending in `/` wanting a directory; the first there is
    /// served by this location, else the last parameter: `=code`, a URI
    /// or a named location. Without `--root`/`--live` whether a file
    /// exists is not known: with a URI or a named location last (a front
    /// controller) the answer follows it and each file is another
    /// possible outcome; with `=code` last the first file is taken to
    /// exist (the location is written for it) and the code is the other
    /// outcome.
    fn try_files(&mut self, tree: &[Loc], scope: ScopeId, d: &Directive) -> Tried {
        let n = d.args.len();
        let last = d.arg(n.saturating_sub(1)).unwrap_or("");
        let files: Vec<String> = d
            .args
            .iter()
            .take(n.saturating_sub(1))
            .map(|w| self.expand_or_raw(w.as_str()))
            .collect();
        let mut tried = Vec::new();
        for file in &files {
            let saved = std::mem::replace(&mut self.vars.uri, file.clone().into_bytes());
            let (path, _) = self.path(tree, scope);
            self.vars.uri = saved;
            tried.push(path);
        }
        let found: Vec<Found> = tried
            .iter()
            .map(|p| files::probe(self.files.as_deref(), p.trim_end_matches('/')))
            .collect();
        let known = !found.is_empty() && !found.contains(&Found::Unknown);
        if known {
            let hit = (0..files.len()).find(|&i| {
                found[i]
                    == if files[i].ends_with('/') {
                        Found::Dir
                    } else {
                        Found::File
                    }
            });
            if let Some(i) = hit {
                self.ran(d, format!("{} is there: this location serves it", tried[i]));
                self.vars.uri = files[i].clone().into_bytes();
                return Tried::FirstExists;
            }
            self.ran(
                d,
                format!("{}: not there; falls back to {last}", tried.join(", ")),
            );
        }
        if let Some(code) = last.strip_prefix('=') {
            if let (Some(first), false) = (files.first(), known) {
                self.ran(
                    d,
                    format!("taken to find {} (existence unknown here)", tried[0]),
                );
                self.alternatives
                    .push(format!("if no file of `{}` exists: {code}", words(d)));
                self.vars.uri = first.clone().into_bytes();
                return Tried::FirstExists;
            }
            let code = crate::nginx::values::atoi(code).unwrap_or(404);
            return Tried::Fallback(Some(Handler::Status {
                code: u16::try_from(code).unwrap_or(404),
                why: "no file of `try_files` exists".into(),
            }));
        }
        if !known {
            for path in &tried {
                self.alternatives.push(format!(
                    "if {path} exists, this location serves it (`try_files`)"
                ));
            }
            self.ran(
                d,
                format!(
                    "{}: taken not to exist; falls back to {last}",
                    tried.join(", ")
                ),
            );
        }
        if let Some(h) = self.change() {
            return Tried::Fallback(Some(h));
        }
        self.internal = true;
        if last.starts_with('@') {
            return Tried::Fallback(self.named(tree, last, d));
        }
        let to = self.expand_or_raw(last);
        self.set_uri(&to, false);
        Tried::Fallback(None)
    }

    /// An internal redirect to a named location: its rewrites, then its
    /// content.
    pub(super) fn named(&mut self, tree: &[Loc], name: &str, from: &Directive) -> Option<Handler> {
        let Some(l) = super::super::location::named(tree, name) else {
            return Some(Handler::Status {
                code: 500,
                why: format!("no location {name}"),
            });
        };
        let scope = l.scope;
        self.events.push(Event::Named {
            scope,
            from: from.span,
        });
        self.scope = Some(scope);
        self.vars.captures.clear();
        match self.rewrites(scope) {
            super::Flow::Done(h) => Some(h),
            super::Flow::Last => self.change(),
            _ if self.uri_changed => self.change(),
            _ => self.content(tree, scope),
        }
    }

    /// A URI ending in `/` (ngx_http_index_module.c): the first `index`
    /// file there is an internal redirect to it; none, a directory
    /// missing is a 404, else without `autoindex` a 403
    /// (ngx_http_core_content_phase: "directory index ... is forbidden").
    /// None: the URI changed, search again.
    fn index(
        &mut self,
        path: String,
        root: Option<crate::source::Span>,
        conf: ScopeId,
    ) -> Option<Handler> {
        let model = self.model;
        let names: Vec<&str> = model
            .effective(conf, "index")
            .flat_map(|d| d.args.iter().map(|a| a.as_str()))
            .collect();
        let names = if names.is_empty() {
            vec!["index.html"]
        } else {
            names
        };
        if self.files.is_none() || names.iter().any(|n| n.contains('$') || n.starts_with('/')) {
            return Some(Handler::Static { path, root });
        }
        for name in names {
            match files::probe(self.files.as_deref(), &format!("{path}{name}")) {
                Found::File | Found::Dir => {
                    let to = format!("{}{name}", String::from_utf8_lossy(&self.vars.uri));
                    let at = model.effective_one(conf, "index").map(|d| d.span).or(root);
                    if let Some(at) = at {
                        self.events.push(Event::Ran {
                            at,
                            what: format!(
                                "`index`: {path}{name} is there: internal redirect to {to}"
                            ),
                        });
                    }
                    if let Some(h) = self.change() {
                        return Some(h);
                    }
                    self.internal = true;
                    self.set_uri(&to, false);
                    return None;
                }
                Found::Missing => {}
                Found::Unknown => return Some(Handler::Static { path, root }),
            }
        }
        let autoindex = model
            .effective_one(conf, "autoindex")
            .and_then(|d| d.arg(0))
            .and_then(crate::nginx::values::parse_flag)
            .unwrap_or(false);
        Some(
            match files::probe(self.files.as_deref(), path.trim_end_matches('/')) {
                Found::Missing => Handler::Status {
                    code: 404,
                    why: format!("{path} is not there"),
                },
                Found::Dir if !autoindex => Handler::Status {
                    code: 403,
                    why: format!("directory index of {path} is forbidden"),
                },
                _ => Handler::Static { path, root },
            },
        )
    }

    /// The static module on a file (ngx_http_static_module.c): a file
    /// known missing is a 404, a directory a 301 to the URI with `/`.
    fn static_file(&mut self, path: String, root: Option<crate::source::Span>) -> Handler {
        match files::probe(self.files.as_deref(), &path) {
            Found::Missing => Handler::Status {
                code: 404,
                why: format!("{path} is not there"),
            },
            Found::Dir => Handler::Status {
                code: 301,
                why: format!("{path} is a directory: redirect to the URI with /"),
            },
            _ => Handler::Static { path, root },
        }
    }

    /// The file a URI maps to at `scope`, the document root, and the
    /// `root`/`alias` deciding them.
    fn path(&self, tree: &[Loc], scope: ScopeId) -> (String, Option<crate::source::Span>) {
        let (path, _, at) = self.mapped(tree, scope);
        (path, at)
    }

    fn mapped(
        &self,
        tree: &[Loc],
        scope: ScopeId,
    ) -> (String, String, Option<crate::source::Span>) {
        let model = self.model;
        let uri = String::from_utf8_lossy(&self.vars.uri).into_owned();
        let mut cur = Some(scope);
        while let Some(id) = cur {
            if let Some(a) = model.own(id, "alias").last() {
                let value = self.expand_or_raw(a.arg(0).unwrap_or(""));
                let path = match find_loc(tree, id) {
                    Some(l) if matches!(l.kind, LocKind::Regex { .. }) => value.clone(),
                    Some(l) => format!("{value}{}", uri.get(l.name.len()..).unwrap_or("")),
                    None => format!("{value}{uri}"),
                };
                return (path, value, Some(a.span));
            }
            if let Some(r) = model.own(id, "root").last() {
                let value = self.expand_or_raw(r.arg(0).unwrap_or(""));
                return (format!("{value}{uri}"), value, Some(r.span));
            }
            cur = model.scopes.get(id).and_then(|s| s.parent);
        }
        (
            format!("html{uri} (under nginx's prefix)"),
            "html".into(),
            None,
        )
    }

    pub(super) fn expand_or_raw(&self, s: &str) -> String {
        self.vars.expand(s).unwrap_or_else(|_| s.to_string())
    }

    /// `SCRIPT_FILENAME` as the effective `fastcgi_param` computes it.
    fn script_filename(&mut self, tree: &[Loc], scope: ScopeId) -> Option<String> {
        let conf = self.scope.unwrap_or(scope);
        let param = self
            .model
            .effective(conf, "fastcgi_param")
            .filter(|d| d.arg(0) == Some("SCRIPT_FILENAME"))
            .last()?;
        self.file_vars(tree, scope);
        let value = param.arg(1).unwrap_or("");
        Some(
            self.vars
                .expand(value)
                .unwrap_or_else(|_| value.to_string()),
        )
    }

    /// `$document_root`, `$realpath_root`, `$request_filename`,
    /// `$fastcgi_script_name` and `$fastcgi_path_info` for the current URI.
    pub(super) fn file_vars(&mut self, tree: &[Loc], scope: ScopeId) {
        let model = self.model;
        let conf = self.scope.unwrap_or(scope);
        let (path, doc_root, _) = self.mapped(tree, scope);
        let uri = String::from_utf8_lossy(&self.vars.uri).into_owned();
        let mut script = uri.clone();
        if let Some(split) = model.effective_one(conf, "fastcgi_split_path_info")
            && let Some(p) = split.arg(0)
        {
            let re = crate::analysis::regex::Regex::parse(p, false);
            if let super::super::pcre::Found::Match(c) =
                super::super::pcre::search(&re, p, uri.as_bytes())
            {
                script =
                    String::from_utf8_lossy(super::super::pcre::capture(&c, uri.as_bytes(), 1))
                        .into_owned();
                let info = super::super::pcre::capture(&c, uri.as_bytes(), 2);
                self.vars
                    .extra
                    .insert("fastcgi_path_info", String::from_utf8_lossy(info).into());
            }
        }
        if script.ends_with('/')
            && let Some(ix) = model
                .effective_one(conf, "fastcgi_index")
                .and_then(|d| d.arg(0))
        {
            script.push_str(ix);
        }
        self.vars.extra.insert("document_root", doc_root.clone());
        self.vars.extra.insert("realpath_root", doc_root);
        self.vars.extra.insert("fastcgi_script_name", script);
        self.vars.extra.insert("request_filename", path);
    }
}
