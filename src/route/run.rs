//! What nginx does with a request once its server is chosen, as far as the
//! request decides it: the server's rewrite directives
//! (NGX_HTTP_SERVER_REWRITE_PHASE), the location search, the location's
//! rewrite directives (`rewrite`, `return`, `if`, `set`, `break`, in
//! order; ngx_http_rewrite_module.c), a new search when the URI changed,
//! `try_files`, and the content handler: a `return`, a pass directive or
//! a file under `root`/`alias`. Internal redirects stop after nginx's
//! limit (NGX_HTTP_MAX_URI_CHANGES, 10: "rewrite or internal redirection
//! cycle", 500). What the request does not decide (a file's existence,
//! an `if` on an unknown variable) is said, and its other outcomes listed.

use super::files::{self, FileTest};
use super::location::{Loc, Search};
use super::pcre::{self, Found};
use super::request::Request;
use super::vars::Vars;
use super::{Engine, Selected};
use crate::analysis::regex::Regex;
use crate::analysis::{LocKind, if_condition};
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;
use crate::nginx::schema::known_id;
use crate::source::Span;

/// nginx's `NGX_HTTP_MAX_URI_CHANGES`.
pub const MAX_URI_CHANGES: u32 = 10;

/// Where a request ends.
#[derive(Clone, Debug)]
pub enum Handler {
    /// Nothing listens there, or nginx refuses the request itself.
    Status { code: u16, why: String },
    /// `return` (or a `rewrite` redirect).
    Return {
        code: u16,
        text: Option<String>,
        at: Span,
    },
    /// A file: the path from `root`/`alias` (the directive, None for the
    /// compiled-in `html`).
    Static { path: String, root: Option<Span> },
    /// A pass directive: index in [`Model::targets`].
    Pass {
        target: usize,
        script_filename: Option<String>,
    },
}

/// One thing that happened, in order.
#[derive(Clone, Debug)]
pub enum Event {
    /// A location search for this URI.
    Search { uri: String, search: Search },
    /// A named location entered (`try_files`, `error_page`).
    Named { scope: ScopeId, from: Span },
    /// A directive that ran, and what it did.
    Ran { at: Span, what: String },
}

pub struct Outcome {
    pub sel: Selected,
    pub events: Vec<Event>,
    pub handler: Handler,
    /// The block whose configuration serves the request: a location, an
    /// `if` in it, or the server (None: no server).
    pub scope: Option<ScopeId>,
    /// The location finally selected (None: none; the server's own).
    pub location: Option<ScopeId>,
    /// What else can happen, where the request alone does not decide.
    pub alternatives: Vec<String>,
    pub vars: Vars,
    /// The status the client sees when an `error_page` sets it apart
    /// from the handler's (`=code`, or the original error).
    pub status: Option<u16>,
    /// The TLS handshake (https): the SNI and the server whose
    /// certificate it used.
    pub tls: Option<super::tls::Handshake>,
}

/// How a run of rewrite directives ended.
enum Flow {
    /// Went through them all (the URI may have changed: `uri_changed`).
    Next,
    /// `break`, `rewrite … break`: stay in this location.
    Break,
    /// `rewrite … last`: search the locations again.
    Last,
    Done(Handler),
}

struct Runner<'m, 't> {
    model: &'m Model<'t>,
    vars: Vars,
    events: Vec<Event>,
    alternatives: Vec<String>,
    changes: u32,
    internal: bool,
    uri_changed: bool,
    /// nginx's `r->error_page`: error pages were looked at once and
    /// `recursive_error_pages` is off.
    error_page_seen: bool,
    /// Where files are looked at (`--root`, `/` with `--live`).
    files: Option<std::path::PathBuf>,
    /// The block whose configuration applies (an `if` that held).
    scope: Option<ScopeId>,
    /// The server's locations.
    tree: std::rc::Rc<Vec<Loc>>,
}

/// Follow `req` through the configuration.
pub fn run(engine: &Engine<'_, '_>, req: &Request) -> Outcome {
    let sel = engine.select(req.conn, req.naming_host(), &req.target);
    let mut out = Outcome {
        events: Vec::new(),
        handler: Handler::Status {
            code: 0,
            why: String::new(),
        },
        scope: None,
        location: None,
        alternatives: Vec::new(),
        vars: Vars::default(),
        status: None,
        tls: None,
        sel,
    };
    if let Some(h) = refused(engine, req, &out.sel).or_else(|| tls(engine, req, &mut out)) {
        out.handler = h;
        return out;
    }
    let mut verify = (req.scheme == "http").then(String::new);
    let early = early::check(engine, req, &mut out, &mut verify);
    if let Some(e) = &early {
        out.sel.server = Some(super::server::Choice {
            server: e.server.server,
            why: e.server.why.clone(),
            undecided: e.server.undecided.clone(),
        });
    }
    let Some(choice) = &out.sel.server else {
        return out;
    };
    let server = &engine.model.servers[choice.server];
    let tree = engine.tree(choice.server);
    let empty = super::uri::Uri {
        path: Vec::new(),
        args: None,
    };
    let uri = out.sel.uri.as_ref().unwrap_or(&empty);
    let name = server.names.first().copied().unwrap_or("");
    // `$host`: the validated Host, else the server's name (ngx_http_variable_host).
    // A request refused before its Host was read keeps the server's name.
    let unread = early
        .as_ref()
        .is_some_and(|e| matches!(e.server.why, super::server::Why::Connection));
    let host = match out.sel.host.as_deref() {
        Ok(h) if !h.is_empty() && !unread => h,
        _ => name,
    };
    let mut r = Runner {
        model: engine.model,
        vars: initial_vars(req, uri, host),
        events: Vec::new(),
        alternatives: Vec::new(),
        changes: MAX_URI_CHANGES + 1,
        internal: false,
        uri_changed: false,
        error_page_seen: false,
        files: req.files.clone(),
        scope: Some(server.scope),
        tree: tree.clone(),
    };
    r.vars.ssl_client_verify = verify;
    if out.sel.uri.is_err() {
        r.vars.headers.clear();
    }
    if let super::server::Why::Regex(_, caps) = &choice.why {
        r.vars.captures = caps.clone();
    }
    r.vars.server_name = name.to_string();
    let at = server.directive.span;
    let named = named_by(req, early.as_ref()).map(|what| Event::Ran { at, what });
    r.events.extend(named);
    let handler = match early {
        Some(e) => r.refused_early(at, e),
        None => match r.rewrites(server.scope) {
            Flow::Done(h) => h,
            _ => r.locate(&tree, server.scope),
        },
    };
    let (handler, status) = r.error_pages(&tree, server.scope, handler);
    out.status = status;
    out.location = r.scope.and_then(|s| enclosing_location(engine.model, s));
    out.handler = handler;
    out.events = r.events;
    out.alternatives.extend(r.alternatives);
    out.scope = r.scope;
    out.vars = r.vars;
    out
}

impl Runner<'_, '_> {
    /// The status nginx finalizes an early error with, as a step at `at`
    /// (the server whose configuration answers).
    fn refused_early(&mut self, at: Span, e: early::Early) -> Handler {
        self.events.push(Event::Ran {
            at,
            what: format!(
                "nginx refuses the request before its phases: {} ({}), answered in this server's configuration (its `error_page`)",
                e.code, e.why
            ),
        });
        Handler::Status {
            code: e.code,
            why: e.why,
        }
    }
}

/// What chose the server when the Host did not: the absolute form's host
/// (`ngx_http_process_request_line`; `ngx_http_process_host` then only
/// validates the Host), or no Host at all (the name `""`,
/// `ngx_http_process_request_header`). None: the Host, or nginx refused
/// the request before a server was chosen.
fn named_by(req: &Request, early: Option<&early::Early>) -> Option<String> {
    if early.is_some_and(|e| matches!(e.server.why, super::server::Why::Connection)) {
        return None;
    }
    match (&req.absolute, &req.host) {
        (Some(line), Some(h)) => Some(format!(
            "the request line's host {line} chooses the server, not the Host {h}"
        )),
        (Some(line), None) => Some(format!(
            "the request line's host {line} chooses the server; no Host sent"
        )),
        (None, None) => Some(format!(
            "no Host (HTTP/{}): the server is looked up by the name \"\", else the address's default",
            req.version.as_str()
        )),
        (None, Some(_)) => None,
    }
}

/// What nginx answers before a request is read: nothing listens, or the
/// handshake of `https` to a plain listen fails.
fn refused(engine: &Engine<'_, '_>, req: &Request, sel: &Selected) -> Option<Handler> {
    let status = |code: u16, why: String| Some(Handler::Status { code, why });
    let Some(k) = sel.socket.and_then(|i| engine.sockets.get(i)) else {
        let at = match req.conn.ip {
            Some(ip) => format!("{ip}:{}", req.conn.port),
            None => format!("port {}", req.conn.port),
        };
        return status(0, format!("no server listens on {at}: connection refused"));
    };
    if req.scheme == "https" && !k.ssl {
        return status(
            0,
            format!("{} is not an ssl listen: the TLS handshake fails", k.addr),
        );
    }
    None
}

/// The handshake of an https request. None: it went through (or plain
/// HTTP). A request without Host does not stay with the handshake's
/// server: `ngx_http_process_request_header` looks the name `""` up
/// (`ngx_http_set_virtual_server`), as [`Engine::select`] does.
fn tls(engine: &Engine<'_, '_>, req: &Request, out: &mut Outcome) -> Option<Handler> {
    let k = out.sel.socket.and_then(|i| engine.sockets.get(i))?;
    if req.scheme != "https" {
        return None;
    }
    let hs = match super::tls::handshake(engine, k, req.sni.as_deref()) {
        Ok(hs) => hs,
        Err(why) => return Some(Handler::Status { code: 0, why }),
    };
    out.tls = Some(hs);
    None
}

fn initial_vars(req: &Request, uri: &super::uri::Uri, host: &str) -> Vars {
    Vars {
        uri: uri.path.clone(),
        args: uri.args.clone(),
        request_uri: String::from_utf8_lossy(&req.target).into_owned(),
        host: host.to_string(),
        method: req.method.clone(),
        scheme: req.scheme.clone(),
        port: req.conn.port,
        headers: req.headers.clone(),
        client_ip: req.client_ip.map(|i| i.to_string()),
        ..Vars::default()
    }
}

/// The innermost location around a scope.
fn enclosing_location(model: &Model<'_>, scope: ScopeId) -> Option<ScopeId> {
    let mut cur = Some(scope);
    while let Some(s) = cur {
        let sc = model.scopes.get(s)?;
        if sc
            .directive
            .is_some_and(|d| d.name_id == known_id!("location"))
        {
            return Some(s);
        }
        cur = sc.parent;
    }
    None
}

/// The scope of a block directive that is a child of `parent`.
fn child_scope(model: &Model<'_>, parent: ScopeId, d: &Directive) -> Option<ScopeId> {
    (parent + 1..model.scopes.len())
        .take_while(|&s| s == parent + 1 || model.scopes[s].parent.is_some_and(|p| p >= parent))
        .find(|&s| {
            model.scopes[s].parent == Some(parent)
                && model.scopes[s]
                    .directive
                    .is_some_and(|x| std::ptr::eq(x, d))
        })
}

fn words(d: &Directive) -> String {
    let mut s = d.name().to_string();
    for a in d.args.iter() {
        s.push(' ');
        s.push_str(a.as_str());
    }
    s
}

impl Runner<'_, '_> {
    fn ran(&mut self, d: &Directive, what: impl Into<String>) {
        self.events.push(Event::Ran {
            at: d.span,
            what: format!("`{}`: {}", words(d), what.into()),
        });
    }

    /// The location search loop: search, run the location's rewrites,
    /// again while the URI changes, then the content.
    fn locate(&mut self, tree: &[Loc], server: ScopeId) -> Handler {
        loop {
            self.uri_changed = false;
            let search = super::location::find(tree, &self.vars.uri);
            self.events.push(Event::Search {
                uri: String::from_utf8_lossy(&self.vars.uri).into_owned(),
                search: search.clone(),
            });
            if search.redirect {
                let mut to = String::from_utf8_lossy(&self.vars.uri).into_owned() + "/";
                if let Some(a) = &self.vars.args {
                    to.push('?');
                    to.push_str(&String::from_utf8_lossy(a));
                }
                self.scope = search.chosen;
                return Handler::Status {
                    code: 301,
                    why: format!("auto_redirect to {to}"),
                };
            }
            if !search.captures.is_empty() || search.chosen.is_some() {
                self.location_captures(tree, &search);
            }
            let scope = search.chosen.unwrap_or(server);
            self.scope = Some(scope);
            if !self.internal && search.chosen.is_some() && self.model.has(scope, "internal") {
                return Handler::Status {
                    code: 404,
                    why: "the location is `internal`: only internal redirects reach it".into(),
                };
            }
            let flow = if search.chosen.is_some() {
                self.rewrites(scope)
            } else {
                Flow::Next
            };
            match flow {
                Flow::Done(h) => return h,
                // ngx_http_core_post_rewrite_phase counts the change.
                Flow::Last => match self.change() {
                    Some(h) => return h,
                    None => continue,
                },
                Flow::Next if self.uri_changed => match self.change() {
                    Some(h) => return h,
                    None => continue,
                },
                _ => {}
            }
            if let Some(h) = self.access(scope) {
                return h;
            }
            match self.content(tree, scope) {
                Some(h) => return h,
                None => continue,
            }
        }
    }

    /// A regex location's captures become `$1` … and its named captures
    /// variables.
    fn location_captures(&mut self, tree: &[Loc], search: &Search) {
        if let Some(super::location::Step::Regex(scope, caps)) = search
            .steps
            .iter()
            .rev()
            .find(|s| matches!(s, super::location::Step::Regex(..)))
        {
            self.vars.captures = caps.clone();
            if let Some(l) = find_loc(tree, *scope) {
                let re = Regex::parse(&l.name, matches!(l.kind, LocKind::Regex { icase: true }));
                for (i, g) in re.groups.iter().enumerate() {
                    if let Some(n) = &g.name {
                        let v = caps.get(i).cloned().unwrap_or_default();
                        self.vars.set.insert(n.clone(), v);
                    }
                }
            }
        }
    }

    /// The rewrite module's directives of a block, in order.
    fn rewrites(&mut self, scope: ScopeId) -> Flow {
        let model = self.model;
        for &d in model.scope_children(scope) {
            // `$request_filename`, `$document_root`, …: this block's, for
            // the URI now (nginx computes them when they are read).
            if matches!(d.name(), "return" | "rewrite" | "set" | "if")
                && d.args.iter().any(|a| a.as_str().contains('$'))
            {
                let tree = self.tree.clone();
                self.file_vars(&tree, scope);
            }
            let flow = match d.name() {
                "return" => Flow::Done(self.ret(d)),
                "rewrite" => self.rewrite(d),
                "break" => {
                    self.ran(d, "stops the rewrite directives");
                    Flow::Break
                }
                "set" => {
                    self.set(d);
                    Flow::Next
                }
                "if" => self.if_block(scope, d),
                _ => Flow::Next,
            };
            if !matches!(flow, Flow::Next) {
                return flow;
            }
        }
        Flow::Next
    }

    /// The access phase: `allow`/`deny` for the client's address.
    fn access(&mut self, scope: ScopeId) -> Option<Handler> {
        let conf = self.scope.unwrap_or(scope);
        let ip = self.vars.client_ip.as_deref().and_then(|s| s.parse().ok());
        let Some(ip) = ip else {
            let any = self.model.chain(conf).any(|sc| {
                self.model
                    .children(sc)
                    .iter()
                    .any(|d| matches!(d.name(), "allow" | "deny"))
            });
            if any {
                self.alternatives
                    .push("`allow`/`deny` apply: give --client-ip to decide".into());
            }
            return None;
        };
        let (d, deny) = super::access::decide(self.model, conf, ip)?;
        if deny {
            self.ran(d, "denies the client: 403");
            return Some(Handler::Status {
                code: 403,
                why: "access forbidden by rule".into(),
            });
        }
        self.ran(d, "allows the client");
        None
    }

    fn set(&mut self, d: &Directive) {
        let (Some(name), Some(value)) = (d.arg(0), d.arg(1)) else {
            return;
        };
        let name = name.trim_start_matches('$').to_string();
        match self.vars.expand(value) {
            Ok(v) => {
                self.ran(d, format!("${name} = \"{v}\""));
                self.vars.set.insert(name, v);
            }
            Err(var) => {
                self.ran(d, format!("${name} depends on {var}: unknown"));
                self.vars.set.remove(&name);
            }
        }
    }

    fn ret(&mut self, d: &Directive) -> Handler {
        let a0 = d.arg(0).unwrap_or("");
        let (code, text) = match crate::nginx::values::atoi(a0) {
            Some(c) => (u16::try_from(c).unwrap_or(0), d.arg(1)),
            None => (302, Some(a0)),
        };
        let text = text.map(|t| self.vars.expand(t).unwrap_or_else(|_| t.to_string()));
        self.ran(d, format!("returns {code}"));
        Handler::Return {
            code,
            text,
            at: d.span,
        }
    }

    fn rewrite(&mut self, d: &Directive) -> Flow {
        let (Some(pat), Some(repl)) = (d.arg(0), d.arg(1)) else {
            return Flow::Next;
        };
        let flag = d.arg(2).unwrap_or("");
        let re = Regex::parse(pat, false);
        let uri = self.vars.uri.clone();
        let caps = match pcre::search(&re, pat, &uri) {
            Found::Match(c) => c,
            Found::NoMatch => return Flow::Next,
            Found::Unknown(why) => {
                self.ran(
                    d,
                    format!("cannot tell whether it matches ({why}); assumed not"),
                );
                self.alternatives
                    .push(format!("`{}` matches and rewrites the URI", words(d)));
                return Flow::Next;
            }
        };
        self.vars.captures = (1..caps.len())
            .map(|i| String::from_utf8_lossy(pcre::capture(&caps, &uri, i)).into_owned())
            .collect();
        let to = match self.vars.expand(repl) {
            Ok(t) => t,
            Err(var) => {
                self.ran(d, format!("rewrites to a value with {var}, unknown here"));
                return Flow::Done(Handler::Status {
                    code: 0,
                    why: format!("the rewritten URI depends on {var}"),
                });
            }
        };
        let redirect = ["http://", "https://", "$scheme"]
            .iter()
            .any(|p| repl.starts_with(p));
        if redirect || flag == "redirect" || flag == "permanent" {
            let code = if flag == "permanent" { 301 } else { 302 };
            self.ran(d, format!("redirects ({code}) to {to}"));
            return Flow::Done(Handler::Return {
                code,
                text: Some(to),
                at: d.span,
            });
        }
        self.set_uri(&to, repl.ends_with('?'));
        self.ran(d, format!("URI is now {to}"));
        match flag {
            "last" => Flow::Last,
            "break" => Flow::Break,
            _ => Flow::Next,
        }
    }

    /// A rewritten URI: its own `?args` replace the request's (a final
    /// `?` drops them), else the request's stay.
    fn set_uri(&mut self, to: &str, drop_args: bool) {
        match to.split_once('?') {
            Some((p, a)) => {
                self.vars.uri = p.as_bytes().to_vec();
                if !drop_args || !a.is_empty() {
                    self.vars.args = Some(a.as_bytes().to_vec());
                } else {
                    self.vars.args = None;
                }
            }
            None => self.vars.uri = to.as_bytes().to_vec(),
        }
        self.uri_changed = true;
    }

    fn if_block(&mut self, scope: ScopeId, d: &Directive) -> Flow {
        let (holds, note) = match self.file_test(d) {
            Some((holds, note)) => (holds, Some(note)),
            None => (self.condition(d), None),
        };
        match holds {
            Some(true) => {
                self.ran(d, note.map_or("holds".into(), |n| format!("holds: {n}")));
                let Some(inner) = child_scope(self.model, scope, d) else {
                    return Flow::Next;
                };
                self.scope = Some(inner);
                self.rewrites(inner)
            }
            Some(false) => {
                if let Some(n) = note {
                    self.ran(d, format!("does not hold: {n}"));
                }
                Flow::Next
            }
            None => {
                let why =
                    note.unwrap_or_else(|| "depends on what the request does not tell".into());
                self.ran(d, format!("{why}; assumed false"));
                self.alternatives
                    .push(format!("`{}` holds and its block runs", words(d)));
                Flow::Next
            }
        }
    }

    /// A file test (`-f`, `!-d`, …; None for another condition): whether
    /// it holds (None: not known) and what the path is.
    fn file_test(&self, d: &Directive) -> Option<(Option<bool>, String)> {
        let c = if_condition(d)?;
        let (test, negated) = FileTest::parse(c.var)?;
        let path = match self.vars.expand(c.op) {
            Ok(p) => p,
            Err(var) => return Some((None, format!("the path depends on {var}, unknown here"))),
        };
        let what = match test {
            FileTest::Plain => "a regular file",
            FileTest::Dir => "a directory",
            FileTest::Exists => "a file or a directory",
            FileTest::Exec => "executable",
        };
        Some(match files::test(self.files.as_deref(), &path, test) {
            Some(is) => {
                let not = if is { "" } else { "not " };
                (Some(is != negated), format!("{path} is {not}{what}"))
            }
            None if self.files.is_none() => (
                None,
                format!("whether {path} is {what} is not known without --root or --live"),
            ),
            None => (
                None,
                format!("whether {path} is {what} cannot be told here"),
            ),
        })
    }

    /// An `if` condition: Some when the request decides it.
    fn condition(&self, d: &Directive) -> Option<bool> {
        let c = if_condition(d)?;
        if c.var.starts_with('-') || c.var.starts_with("!-") {
            return None;
        }
        let value = self.vars.expand(c.var).ok()?;
        match (c.op, c.regex, operand(d)) {
            ("", _, _) => Some(!(value.is_empty() || value == "0")),
            ("=", _, Some(rhs)) | ("!=", _, Some(rhs)) => {
                let rhs = self.vars.expand(&rhs).ok()?;
                Some((value == rhs) == (c.op == "="))
            }
            (_, Some(p), _) => {
                let re = Regex::parse(p, c.icase);
                match pcre::search(&re, p, value.as_bytes()) {
                    Found::Match(_) => Some(!c.negated),
                    Found::NoMatch => Some(c.negated),
                    Found::Unknown(_) => None,
                }
            }
            _ => None,
        }
    }
}

/// The third word of an `if` condition (`$x = value`), parentheses off.
fn operand(d: &Directive) -> Option<String> {
    let n = d.args.len();
    let words: Vec<&str> = d
        .args
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut s = w.as_str();
            if i == 0 {
                s = s.strip_prefix('(').unwrap_or(s);
            }
            if i + 1 == n {
                s = s.strip_suffix(')').unwrap_or(s);
            }
            s
        })
        .filter(|s| !s.is_empty())
        .collect();
    words.get(2).map(|s| s.to_string())
}

fn find_loc(tree: &[Loc], scope: ScopeId) -> Option<&Loc> {
    for l in tree {
        if l.scope == scope {
            return Some(l);
        }
        if let Some(x) = find_loc(&l.children, scope) {
            return Some(x);
        }
    }
    None
}

#[path = "content.rs"]
mod content;
#[path = "early.rs"]
pub mod early;
#[path = "error_page.rs"]
mod error_page;
#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
