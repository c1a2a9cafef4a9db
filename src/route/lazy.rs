//! What `route` loads: a request reaches one server, so the servers that
//! cannot answer it are read as skeletons ([`parse_skeleton`]: their
//! `listen`, `server_name` and `merge_slashes`, which still decide the
//! sockets, the default servers and the conflicting names) and only the
//! files holding a server that may answer the Host are parsed whole. On a
//! hosting tree of 10,000 vhosts that is one or two files.
//!
//! A server chosen as its address's default (no name matched, or a Host
//! or request target nginx refuses: its `error_page` answers) can sit in
//! a skeleton: its file is then loaded again, whole. Either way the
//! answer is the one a whole load gives (`tests/route_lazy.rs`).
//!
//! With `route`'s index, a tree unchanged since the run that judged it
//! leaves its inert files ([`super::inert`]) unparsed unless one of
//! their names may answer: nearly every vhost of such a tree.
//!
//! [`parse_skeleton`]: crate::nginx::parser::parse_skeleton

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use super::Engine;
use super::request::Request;
use super::server;
use crate::discover::Reuse;
use crate::load::{InputError, Inputs};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::nginx::ast::{Directive, ParsedFile};

/// How `route` loads the trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loading {
    /// Servers that cannot answer the request as skeletons.
    Lazy,
    /// Every file whole, as a lint reads it.
    Whole,
}

/// What becomes of the loaded trees once the answer is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Afterwards {
    /// Freed, piece by piece.
    Free,
    /// Left to the process's exit (the CLI): freeing a large tree's many
    /// small allocations one by one is a sizeable share of a warm run.
    LeaveToExit,
}

/// Load what `req` needs (with [`Loading::Lazy`], every server that
/// cannot answer its Host as a skeleton), build the model and the engine
/// on it, and hand them to `then`.
pub fn with<R>(
    inputs: &Inputs,
    req: &Request,
    loading: Loading,
    then: impl FnOnce(&Loaded, &Model<'_>, &Engine<'_, '_>) -> R,
) -> Result<R, InputError> {
    with_index(inputs, req, loading, None, Afterwards::Free, then)
}

/// [`with`], a lazy load taking the files unchanged since the last run
/// from the index under `cache` ([`super::index`]; None: no index), and
/// leaving what it built as `afterwards` says.
pub fn with_index<R>(
    inputs: &Inputs,
    req: &Request,
    loading: Loading,
    cache: Option<&Path>,
    afterwards: Afterwards,
    then: impl FnOnce(&Loaded, &Model<'_>, &Engine<'_, '_>) -> R,
) -> Result<R, InputError> {
    if loading == Loading::Whole {
        let loaded = crate::load::load(inputs)?;
        let model = Model::build(&loaded);
        let mut engine = Engine::new(&model);
        engine.hostname = req.hostname.clone();
        return Ok(then(&loaded, &model, &engine));
    }
    // The host naming the server (the request line's, else the Host) as
    // nginx keeps it; None: a 400, no server is looked up.
    let host = match req.naming_host() {
        Some(h) => server::validate_host(h).ok(),
        None => Some(String::new()),
    };
    // The SNI's server gives the certificate (https): it is read whole too.
    let sni = match &req.sni {
        Some(s) if req.scheme == "https" => server::validate_host(s).ok(),
        _ => None,
    };
    let index = cache
        .and_then(|dir| super::index::Index::open(dir, inputs))
        .map(Arc::new);
    let reuse = index.clone().map(|i| i as Arc<dyn Reuse>);
    let mut forced: Vec<PathBuf> = Vec::new();
    let answer = loop {
        let wanted = Wanted {
            forced: &forced,
            hosts: [host.as_deref(), sni.as_deref()],
            left: AtomicUsize::new(0),
        };
        let loaded = crate::load::load_reusing(inputs, Some(&wanted), reuse.clone())?;
        let model = Model::build(&loaded);
        let mut engine = Engine::new(&model);
        engine.hostname = req.hostname.clone();
        match skeleton_chosen(&loaded, &engine, req) {
            Some(p) if !forced.contains(&p) => forced.push(p),
            _ => {
                // A tree read anew is judged anew (an unchanged one has
                // its verdicts, and may have left files unparsed).
                if std::env::var_os("NGINX_LINT_TIMINGS").is_some() {
                    let left = wanted.left.load(Relaxed);
                    eprintln!("route: {left} inert files left unparsed");
                }
                if let Some(i) = index.as_deref().filter(|i| !i.unchanged()) {
                    i.judged(
                        super::inert::judge(&loaded, &engine),
                        &loaded.read_beyond_walk,
                    );
                }
                let answer = then(&loaded, &model, &engine);
                if afterwards == Afterwards::LeaveToExit {
                    std::mem::forget(engine);
                    std::mem::forget(model);
                    std::mem::forget(loaded);
                }
                break answer;
            }
        }
    };
    drop(reuse);
    if let Some(index) = index {
        index.save();
        if afterwards == Afterwards::LeaveToExit {
            std::mem::forget(index);
        }
    }
    Ok(answer)
}

/// Which files a lazy load parses whole: those holding a server that may
/// answer the Host or the SNI, and those a run found it needs whole.
struct Wanted<'a> {
    forced: &'a [PathBuf],
    hosts: [Option<&'a str>; 2],
    /// Inert files left unparsed (for NGINX_LINT_TIMINGS).
    left: AtomicUsize,
}

impl crate::nginx::include::Wanted for Wanted<'_> {
    fn file(&self, real: &Path, skeleton: &ParsedFile) -> bool {
        self.forced.iter().any(|p| p == real)
            || self.hosts.iter().flatten().any(|h| may_answer(skeleton, h))
    }

    fn names(&self, real: &Path, names: &str) -> bool {
        // An inert file's servers are all named, by exact and wildcard
        // names alone (`super::inert`): what `may_answer` asks of them.
        let wanted = self.forced.iter().any(|p| p == real)
            || self
                .hosts
                .iter()
                .flatten()
                .any(|h| names.lines().any(|n| server::may_take(n, h)));
        if !wanted {
            self.left.fetch_add(1, Relaxed);
        }
        wanted
    }
}

/// The real path of the file holding the server chosen for `req`, when
/// that file was read as a skeleton.
fn skeleton_chosen(loaded: &Loaded, engine: &Engine<'_, '_>, req: &Request) -> Option<PathBuf> {
    let sel = engine.select(req.conn, req.naming_host(), &req.target);
    let skeleton = |si: usize| {
        let file = engine.model.servers.get(si)?.directive.span.file;
        let pf = loaded.files.get(file)?;
        pf.skeleton.then(|| loaded.sources.get(file).real.clone())
    };
    // A request nginx refuses before its Host is answered by the
    // connection's server (its `error_page`), not the Host's.
    let early = super::run::early::before_host(req, &sel);
    if let Some(p) = sel
        .server
        .filter(|_| !early)
        .and_then(|c| skeleton(c.server))
    {
        return Some(p);
    }
    // The handshake's server: the SNI's, or the address's default.
    let k = sel.socket.and_then(|i| engine.sockets.get(i))?;
    if req.scheme != "https" || !k.ssl {
        return early
            .then(|| skeleton(server::default_choice(k).server))
            .flatten();
    }
    let hs = super::tls::handshake(engine, k, req.sni.as_deref()).ok()?;
    skeleton(hs.choice.server)
}

/// Whether a file holds a server that may answer `host` (validated; ""
/// for a request without Host): one with a name that can match it, or
/// with an `include` that could bring such a name in.
pub fn may_answer(pf: &ParsedFile, host: &str) -> bool {
    fn any_server(ds: &[Directive], host: &str) -> bool {
        ds.iter().any(|d| match &d.block {
            Some(b) if d.name() == "server" => server_may_answer(&b.children, host),
            Some(b) => any_server(&b.children, host),
            None => false,
        })
    }
    any_server(&pf.directives, host)
}

fn server_may_answer(ds: &[Directive], host: &str) -> bool {
    let mut named = false;
    for d in ds {
        match d.name() {
            "include" => return true,
            "server_name" => {
                named |= !d.args.is_empty();
                if d.args.iter().any(|a| server::may_take(a.as_str(), host)) {
                    return true;
                }
            }
            _ => {}
        }
    }
    // No name: nginx's default `""`, which only a request without Host
    // looks up.
    !named && host.is_empty()
}
