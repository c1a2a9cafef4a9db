//! The answer of `nginx-lint route`: one document (JSON) or its text form,
//! each decision with the file and line that makes it.

use serde::Serialize;

use super::location::Step;
use super::run::{Event, Handler, Outcome};
use super::server::Why;
use super::{Engine, request::Request};
use crate::model::{Model, ScopeId, TargetAddr, TargetKind};
use crate::nginx::ast::Directive;
use crate::resolve::Resolver;
use crate::source::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RouteFormat {
    Text,
    Json,
}

#[derive(Serialize)]
pub struct Answer {
    pub request: RequestView,
    pub listen: Option<ListenView>,
    pub server: Option<ServerView>,
    /// The TLS handshake (https): null for plain HTTP.
    pub tls: Option<TlsView>,
    pub location: Option<LocationView>,
    pub steps: Vec<StepView>,
    pub handler: HandlerView,
    pub effective: Vec<EffectiveView>,
    /// What else can happen where the request alone does not decide.
    pub unknown: Vec<String>,
}

#[derive(Serialize)]
pub struct RequestView {
    pub method: String,
    /// The Host header; null: none sent.
    pub host: Option<String>,
    pub target: String,
    /// `1.0` or `1.1`.
    pub http_version: &'static str,
    /// The absolute-form request target sent (`http://host:port/path`: its
    /// host names the server over the Host); null: origin form (`target`).
    pub absolute_form: Option<String>,
    /// The URI after normalisation (`$uri`), None when nginx refuses it.
    pub uri: Option<String>,
}

#[derive(Serialize)]
pub struct ListenView {
    pub file: String,
    pub line: usize,
    pub address: String,
    pub default_server: bool,
    pub ssl: bool,
    pub http2: bool,
    pub quic: bool,
}

#[derive(Serialize)]
pub struct ServerView {
    pub file: String,
    pub line: usize,
    pub names: Vec<String>,
    pub why: String,
}

/// The handshake: the SNI sent, the server it chose (its certificate),
/// and whether that is another server than the Host's.
#[derive(Serialize)]
pub struct TlsView {
    pub sni: Option<String>,
    /// An SNI sent that nginx passed over (not a valid host name): the
    /// handshake went on with the address's default server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_sni: Option<String>,
    pub server: Option<ServerView>,
    pub certificate: Vec<EffectiveView>,
    /// The handshake's server is not the one answering the request.
    pub differs: bool,
}

#[derive(Serialize)]
pub struct LocationView {
    pub file: String,
    pub line: usize,
    pub location: String,
    pub why: Vec<String>,
}

#[derive(Serialize)]
pub struct StepView {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub what: String,
}

#[derive(Serialize)]
pub struct HandlerView {
    /// static, return, proxy, fastcgi, uwsgi, scgi, grpc, memcached, or
    /// status (nginx answers itself: 400, 500, refused).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub listener: Vec<ListenerView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_filename: Option<String>,
    /// The status the client sees when an `error_page` sets it apart
    /// from the handler's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

#[derive(Serialize)]
pub struct ListenerView {
    pub endpoint: String,
    pub kind: Option<&'static str>,
    pub name: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
}

#[derive(Serialize)]
pub struct EffectiveView {
    pub directive: String,
    pub value: String,
    /// `own` (the block serving the request), `inherited` (an outer
    /// block), `default`.
    pub from: &'static str,
    pub file: Option<String>,
    pub line: Option<usize>,
}

/// Directives shown for every request, with nginx's defaults
/// (ngx_http_core_module.c); the handler's own family is added.
const COMMON: &[(&str, &str)] = &[
    ("client_max_body_size", "1m"),
    ("client_body_timeout", "60s"),
    ("send_timeout", "60s"),
    ("keepalive_timeout", "75s"),
    ("add_header", ""),
    ("allow", ""),
    ("deny", ""),
    ("auth_basic", "off"),
    ("limit_req", ""),
    ("error_page", ""),
];

fn family(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "proxy" => &[
            ("proxy_connect_timeout", "60s"),
            ("proxy_read_timeout", "60s"),
            ("proxy_send_timeout", "60s"),
            ("proxy_set_header", ""),
            ("proxy_buffering", "on"),
        ],
        "fastcgi" => &[
            ("fastcgi_connect_timeout", "60s"),
            ("fastcgi_read_timeout", "60s"),
            ("fastcgi_send_timeout", "60s"),
            ("fastcgi_index", ""),
        ],
        "uwsgi" => &[("uwsgi_read_timeout", "60s")],
        "grpc" => &[("grpc_read_timeout", "60s")],
        "static" => &[("root", "html"), ("alias", ""), ("index", "index.html")],
        _ => &[],
    }
}

pub struct Ctx<'a, 'm, 't> {
    pub engine: &'a Engine<'m, 't>,
    pub sources: &'a SourceMap,
    pub resolver: &'a Resolver,
}

impl Ctx<'_, '_, '_> {
    fn model(&self) -> &Model<'_> {
        self.engine.model
    }

    fn at(&self, span: Span) -> (String, usize) {
        let (l, _) = self.sources.start_of(span);
        (self.sources.get(span.file).display.clone(), l)
    }

    fn block_text(&self, scope: ScopeId) -> String {
        match self.model().scopes.get(scope).and_then(|s| s.directive) {
            Some(d) => words(d),
            None => "(server)".into(),
        }
    }
}

fn words(d: &Directive) -> String {
    let mut s = d.name().to_string();
    for a in d.args.iter() {
        s.push(' ');
        s.push_str(a.as_str());
    }
    s
}

/// Build the answer document.
pub fn answer(cx: &Ctx<'_, '_, '_>, req: &Request, out: &Outcome) -> Answer {
    let handler = handler(cx, out);
    let effective = match out.scope {
        Some(s) if out.sel.server.is_some() => effective(cx, s, handler.kind),
        _ => Vec::new(),
    };
    Answer {
        request: RequestView {
            method: req.method.clone(),
            host: req.host.clone(),
            target: String::from_utf8_lossy(&req.target).into_owned(),
            http_version: req.version.as_str(),
            absolute_form: req.absolute.as_ref().map(|h| {
                format!(
                    "{}://{h}{}",
                    req.scheme,
                    String::from_utf8_lossy(&req.target)
                )
            }),
            uri: out
                .sel
                .uri
                .as_ref()
                .ok()
                .map(|u| String::from_utf8_lossy(&u.path).into_owned()),
        },
        listen: listen(cx, out),
        server: server(cx, out),
        tls: tls(cx, out),
        location: location(cx, out),
        steps: steps(cx, out),
        handler,
        effective,
        unknown: unknown(cx, out),
    }
}

fn unknown(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Vec<String> {
    let mut v = out.alternatives.clone();
    for &i in &out.sel.other_sockets {
        if let Some(k) = cx.engine.sockets.get(i) {
            v.push(format!(
                "the URL's host may resolve to an address that {} takes instead",
                k.addr
            ));
        }
    }
    if let Some(c) = &out.sel.server {
        for (si, name, why) in &c.undecided {
            let at = cx.model().servers.get(*si).map(|s| cx.at(s.directive.span));
            if let Some((f, l)) = at {
                v.push(format!(
                    "server_name {name} ({f}:{l}) may match first ({why})"
                ));
            }
        }
    }
    v
}

fn listen(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Option<ListenView> {
    let k = cx.engine.sockets.get(out.sel.socket?)?;
    // The listen line of the server answering, else of the default.
    let chosen = out.sel.server.as_ref().map(|c| c.server);
    let &(si, li) = k
        .servers
        .iter()
        .find(|(s, _)| Some(*s) == chosen)
        .or_else(|| k.servers.get(k.default))?;
    let l = cx.model().servers.get(si)?.listens.get(li)?;
    let (file, line) = cx.at(l.span);
    Some(ListenView {
        file,
        line,
        address: k.addr.clone(),
        default_server: l.default_server,
        ssl: k.ssl,
        http2: k.http2,
        quic: k.quic,
    })
}

fn server(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Option<ServerView> {
    server_view(cx, out.sel.server.as_ref()?)
}

fn tls(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Option<TlsView> {
    let hs = out.tls.as_ref()?;
    let certificate = super::tls::certificates(cx.model(), hs.choice.server)
        .into_iter()
        .map(|d| {
            let (file, line) = cx.at(d.span);
            EffectiveView {
                directive: d.name().to_string(),
                value: d.arg(0).unwrap_or("").to_string(),
                from: "own",
                file: Some(file),
                line: Some(line),
            }
        })
        .collect();
    Some(TlsView {
        sni: hs.sni.clone(),
        ignored_sni: hs
            .ignored
            .as_ref()
            .map(|(name, why)| format!("{name} ({why})")),
        server: server_view(cx, &hs.choice),
        certificate,
        differs: out
            .sel
            .server
            .as_ref()
            .is_some_and(|c| c.server != hs.choice.server),
    })
}

fn server_view(cx: &Ctx<'_, '_, '_>, c: &super::server::Choice) -> Option<ServerView> {
    let s = cx.model().servers.get(c.server)?;
    let (file, line) = cx.at(s.directive.span);
    let why = match &c.why {
        Why::Exact(n) if n.is_empty() => "no Host: the name \"\"".to_string(),
        Why::Exact(n) => format!("exact name {n}"),
        Why::LeadingWildcard(n) => format!("longest leading wildcard {n}"),
        Why::TrailingWildcard(n) => format!("longest trailing wildcard {n}"),
        Why::Regex(n, caps) if caps.is_empty() => format!("first matching regex {n}"),
        Why::Regex(n, caps) => format!(
            "first matching regex {n} (captures {})",
            caps.iter()
                .enumerate()
                .map(|(i, c)| format!("${}={c}", i + 1))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Why::Connection => {
            "the connection's server: nginx refuses the request before a Host chooses one".into()
        }
        Why::Default { explicit: true } => "no name matches: the default_server".into(),
        Why::Default { explicit: false } => {
            "no name matches: the first server on this address (its default)".into()
        }
    };
    Some(ServerView {
        file,
        line,
        names: s.names.iter().map(|n| n.to_string()).collect(),
        why,
    })
}

fn location(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Option<LocationView> {
    let scope = out.location?;
    let d = cx.model().scopes.get(scope)?.directive?;
    let (file, line) = cx.at(d.span);
    let why = out
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Search { search, .. } => {
                Some(search.steps.iter().map(|s| step_text(cx, s)).collect())
            }
            Event::Named { .. } => Some(vec!["entered by name (an internal redirect)".into()]),
            Event::Ran { .. } => None,
        })
        .unwrap_or_default();
    Some(LocationView {
        file,
        line,
        location: words(d),
        why,
    })
}

fn step_text(cx: &Ctx<'_, '_, '_>, s: &Step) -> String {
    let b = |sc: &ScopeId| cx.block_text(*sc);
    match s {
        Step::Exact(x) => format!("`{}`: the URI exactly", b(x)),
        Step::Prefix(x) => format!("`{}`: the longest prefix", b(x)),
        Step::NoRegex(x) => format!("`{}`: the longest prefix, ^~: no regex is tried", b(x)),
        Step::Regex(x, caps) if caps.is_empty() => {
            format!("`{}`: the first regex that matches", b(x))
        }
        Step::Regex(x, caps) => format!(
            "`{}`: the first regex that matches ({})",
            b(x),
            caps.iter()
                .enumerate()
                .map(|(i, c)| format!("${}={c}", i + 1))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Step::RegexMissed(x) => format!("`{}`: does not match", b(x)),
        Step::RegexUnknown(x, why) => {
            format!("`{}`: cannot tell ({why}); assumed not to match", b(x))
        }
        Step::AutoRedirect(x) => format!("`{}`: the URI lacks its final / (301)", b(x)),
    }
}

fn steps(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> Vec<StepView> {
    out.events
        .iter()
        .map(|e| match e {
            Event::Search { uri, search } => StepView {
                file: None,
                line: None,
                what: match search.chosen {
                    Some(s) => format!("location search for {uri}: {}", cx.block_text(s)),
                    None => format!("location search for {uri}: none matches (the server's own)"),
                },
            },
            Event::Named { scope, from } => {
                let (f, l) = cx.at(*from);
                StepView {
                    file: Some(f),
                    line: Some(l),
                    what: format!("internal redirect to {}", cx.block_text(*scope)),
                }
            }
            Event::Ran { at, what } => {
                let (f, l) = cx.at(*at);
                StepView {
                    file: Some(f),
                    line: Some(l),
                    what: what.clone(),
                }
            }
        })
        .collect()
}

fn handler(cx: &Ctx<'_, '_, '_>, out: &Outcome) -> HandlerView {
    let view = |kind, target: String, at: Option<Span>| {
        let at = at.map(|s| cx.at(s));
        HandlerView {
            kind,
            target,
            file: at.as_ref().map(|a| a.0.clone()),
            line: at.map(|a| a.1),
            listener: Vec::new(),
            script_filename: None,
            status: out.status,
        }
    };
    match &out.handler {
        Handler::Status { code: 0, why } => view("status", why.clone(), None),
        Handler::Status { code, why } => view("status", format!("{code} ({why})"), None),
        Handler::Return { code, text, at } => {
            let t = match text {
                Some(t) => format!("{code} {t}"),
                None => code.to_string(),
            };
            view("return", t, Some(*at))
        }
        Handler::Static { path, root } => view("static", path.clone(), *root),
        Handler::Pass {
            target,
            script_filename,
        } => {
            let Some(t) = cx.model().targets.get(*target) else {
                return view("status", "unknown target".into(), None);
            };
            let kind = match t.kind {
                TargetKind::Proxy | TargetKind::StreamProxy => "proxy",
                TargetKind::FastCgi => "fastcgi",
                TargetKind::Uwsgi => "uwsgi",
                TargetKind::Scgi => "scgi",
                TargetKind::Grpc => "grpc",
                TargetKind::Memcached => "memcached",
            };
            let mut v = view(kind, words(t.directive), Some(t.directive.span));
            v.listener = listeners(cx, &t.addr);
            v.script_filename = script_filename.clone();
            v
        }
    }
}

/// The target's endpoints (through its upstream) and who listens there.
fn listeners(cx: &Ctx<'_, '_, '_>, addr: &TargetAddr) -> Vec<ListenerView> {
    let eps: Vec<(String, Option<crate::address::Endpoint>)> = match addr {
        TargetAddr::Direct(ep) => vec![(ep.to_string(), Some(ep.clone()))],
        TargetAddr::Upstream(i) => cx
            .model()
            .upstreams
            .get(*i)
            .map(|u| {
                u.servers
                    .iter()
                    .map(|(d, ep)| (d.arg(0).unwrap_or("").to_string(), ep.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        TargetAddr::Unresolved(n) => vec![(format!("{n} (a name resolved by DNS)"), None)],
        TargetAddr::Runtime(r) => vec![(format!("{r} (decided per request)"), None)],
    };
    let mut out = Vec::new();
    for (text, ep) in eps {
        let found: Vec<usize> = ep
            .as_ref()
            .map(|e| one_nginx(cx, e, cx.resolver.serving(e).into_iter().collect()))
            .unwrap_or_default();
        if found.is_empty() {
            out.push(ListenerView {
                endpoint: text,
                kind: None,
                name: None,
                file: None,
                line: None,
            });
            continue;
        }
        for i in found {
            let l = &cx.resolver.listeners[i];
            let at = l.span.map(|s| cx.at(s));
            out.push(ListenerView {
                endpoint: text.clone(),
                kind: Some(l.kind.label()),
                name: Some(l.name.to_string()),
                file: at.as_ref().map(|a| a.0.clone()),
                line: at.map(|a| a.1),
            });
        }
    }
    out
}

/// nginx itself at a target's address: which of its servers takes the
/// proxied request depends on the Host it carries, which `route` does not
/// follow. The address's default server (what answers a Host none of them
/// names) stands for them all, rather than every server listening there
/// (10,000 on a hosting tree).
fn one_nginx(cx: &Ctx<'_, '_, '_>, ep: &crate::address::Endpoint, found: Vec<usize>) -> Vec<usize> {
    use crate::providers::ListenerKind;
    let listeners = &cx.resolver.listeners;
    let nginx = |i: usize| {
        listeners
            .get(i)
            .is_some_and(|l| l.kind == ListenerKind::Nginx)
    };
    if found.iter().filter(|&&i| nginx(i)).count() < 2 {
        return found;
    }
    let default = default_listen(cx, ep);
    let keep = found
        .iter()
        .copied()
        .filter(|&i| nginx(i))
        .find(|&i| listeners.get(i).and_then(|l| l.span) == default)
        .or_else(|| found.iter().copied().find(|&i| nginx(i)));
    found
        .into_iter()
        .filter(|&i| !nginx(i) || Some(i) == keep)
        .collect()
}

/// The `listen` line of the default server of the address that takes a
/// connection to `ep`.
fn default_listen(cx: &Ctx<'_, '_, '_>, ep: &crate::address::Endpoint) -> Option<Span> {
    use crate::address::{Endpoint, Host};
    let Endpoint::Tcp(host, port) = ep else {
        return None;
    };
    let ip = match host {
        Host::Ip(ip) => Some(*ip),
        Host::Any => Some(std::net::IpAddr::from([127, 0, 0, 1])),
        Host::Name(_) => None,
    };
    let conn = super::server::Conn { ip, port: *port };
    let (at, _) = super::server::socket_for(&cx.engine.sockets, conn);
    let k = cx.engine.sockets.get(at?)?;
    let &(si, li) = k.servers.get(k.default)?;
    Some(cx.model().servers.get(si)?.listens.get(li)?.span)
}

fn effective(cx: &Ctx<'_, '_, '_>, scope: ScopeId, kind: &str) -> Vec<EffectiveView> {
    let model = cx.model();
    let mut v = Vec::new();
    for &(name, default) in COMMON.iter().chain(family(kind)) {
        let ds: Vec<&Directive> = model.effective(scope, name).collect();
        if ds.is_empty() {
            if !default.is_empty() {
                v.push(EffectiveView {
                    directive: name.into(),
                    value: default.into(),
                    from: "default",
                    file: None,
                    line: None,
                });
            }
            continue;
        }
        let own = model.defining(scope, name) == Some(scope);
        for d in ds {
            let (f, l) = cx.at(d.span);
            v.push(EffectiveView {
                directive: name.into(),
                value: d
                    .args
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                from: if own { "own" } else { "inherited" },
                file: Some(f),
                line: Some(l),
            });
        }
    }
    v
}

/// `  (file:line)` when both are known.
fn at(f: &Option<String>, l: &Option<usize>) -> String {
    match (f, l) {
        (Some(f), Some(l)) => format!("  ({f}:{l})"),
        _ => String::new(),
    }
}

/// The text form.
pub fn text(a: &Answer) -> String {
    let mut s = text_selection(a);
    text_outcome(a, &mut s);
    s
}

/// The request, listen, server and location lines.
fn text_selection(a: &Answer) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let r = &a.request;
    // The request line as sent; HTTP/1.1 is not written.
    let version = match r.http_version {
        "1.1" => String::new(),
        v => format!(" HTTP/{v}"),
    };
    let _ = writeln!(
        s,
        "{} {}{version} (Host: {})",
        r.method,
        r.absolute_form.as_ref().unwrap_or(&r.target),
        r.host.as_deref().unwrap_or("none")
    );
    if let Some(u) = &a.request.uri {
        let _ = writeln!(s, "uri       {u}");
    }
    match &a.listen {
        Some(l) => {
            let mut flags = Vec::new();
            for (on, f) in [
                (l.ssl, "ssl"),
                (l.http2, "http2"),
                (l.quic, "quic"),
                (l.default_server, "default_server"),
            ] {
                if on {
                    flags.push(f);
                }
            }
            let _ = writeln!(
                s,
                "listen    {}{}  ({}:{})",
                l.address,
                flags.iter().map(|f| format!(" {f}")).collect::<String>(),
                l.file,
                l.line
            );
        }
        None => {
            let _ = writeln!(s, "listen    none");
        }
    }
    if let Some(v) = &a.server {
        let names = if v.names.is_empty() {
            "\"\"".to_string()
        } else {
            v.names.join(" ")
        };
        let _ = writeln!(s, "server    {names}: {}  ({}:{})", v.why, v.file, v.line);
    }
    if let Some(t) = &a.tls {
        text_tls(t, &mut s);
    }
    match &a.location {
        Some(l) => {
            let _ = writeln!(s, "location  {}  ({}:{})", l.location, l.file, l.line);
            for w in &l.why {
                let _ = writeln!(s, "            {w}");
            }
        }
        None if a.server.is_some() => {
            let _ = writeln!(s, "location  none: the server's own configuration");
        }
        None => {}
    }
    s
}

/// The handshake's line: the SNI's server and its certificate.
fn text_tls(t: &TlsView, s: &mut String) {
    use std::fmt::Write as _;
    let ignored = t.ignored_sni.as_ref().map(|i| format!("{i}, ignored"));
    let sni = t
        .sni
        .as_deref()
        .or(ignored.as_deref())
        .unwrap_or("none sent");
    if let Some(v) = &t.server {
        let _ = writeln!(
            *s,
            "tls       SNI {sni}: {}  ({}:{})",
            v.why, v.file, v.line
        );
    }
    for c in &t.certificate {
        let _ = writeln!(*s, "  certificate {}{}", c.value, at(&c.file, &c.line));
    }
    if t.differs {
        let _ = writeln!(
            *s,
            "  the certificate is this server's; the request goes to the Host's server"
        );
    }
}

/// The steps, the handler, the effective directives, the unknowns.
fn text_outcome(a: &Answer, s: &mut String) {
    use std::fmt::Write as _;
    if !a.steps.is_empty() {
        let _ = writeln!(*s, "steps");
        for st in &a.steps {
            let _ = writeln!(*s, "  {}{}", st.what, at(&st.file, &st.line));
        }
    }
    let h = &a.handler;
    let _ = writeln!(
        s,
        "handler   {}: {}{}",
        h.kind,
        h.target,
        at(&h.file, &h.line)
    );
    if let Some(code) = h.status {
        let _ = writeln!(*s, "  status {code} (set by `error_page`)");
    }
    if let Some(sf) = &h.script_filename {
        let _ = writeln!(*s, "  SCRIPT_FILENAME {sf}");
    }
    for l in &h.listener {
        let who = match (&l.kind, &l.name) {
            (Some(k), Some(n)) => format!("{k} {n}{}", at(&l.file, &l.line)),
            _ => "nothing known listens there".to_string(),
        };
        let _ = writeln!(*s, "  → {}: {who}", l.endpoint);
    }
    if !a.effective.is_empty() {
        let _ = writeln!(*s, "effective");
        for e in &a.effective {
            let _ = writeln!(
                s,
                "  {} {}  [{}]{}",
                e.directive,
                e.value,
                e.from,
                at(&e.file, &e.line)
            );
        }
    }
    if !a.unknown.is_empty() {
        let _ = writeln!(*s, "unknown here (other possible outcomes)");
        for u in &a.unknown {
            let _ = writeln!(*s, "  - {u}");
        }
    }
}
