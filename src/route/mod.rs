//! `nginx-lint route URL`: nginx's request processing run on the model,
//! without nginx. Which socket takes the connection ([`server::sockets`]),
//! which server answers ([`server::choose`]), how the URI is normalised
//! ([`uri::normalize`]), which location it selects ([`location::find`]),
//! what runs there ([`run`]) and where it ends (the handler), each with
//! the file and line that decide it.

pub mod access;
pub mod condense;
pub mod files;
pub mod index;
mod index_file;
pub mod inert;
pub mod lazy;
pub mod location;
pub mod pcre;
pub mod reach;
pub mod render;
pub mod request;
pub mod run;
pub mod sample;
pub mod server;
pub mod tls;
pub mod unreachable;
pub mod uri;
pub mod vars;

use crate::model::Model;
use location::{Loc, Search};
use server::{Choice, Conn, Socket};
use uri::Uri;

/// The routing facts of a configuration, computed once for many requests.
pub struct Engine<'m, 't> {
    pub model: &'m Model<'t>,
    pub sockets: Vec<Socket>,
    /// The machine's hostname (`--live`), for `server_name $hostname`.
    pub hostname: Option<String>,
    /// Each server's location tree, built when first asked.
    trees: std::cell::RefCell<rustc_hash::FxHashMap<usize, std::rc::Rc<Vec<Loc>>>>,
    /// Each socket's ignored names ([`server::conflicts`]), found when
    /// first asked: a request asks twice (Host and SNI), and an address
    /// of 10,000 servers makes it a hash of 20,000 names.
    conflicts: std::cell::RefCell<rustc_hash::FxHashMap<usize, std::rc::Rc<Vec<server::Conflict>>>>,
}

/// What selection decides for one request: the socket, the server, the URI
/// and the location.
pub struct Selected {
    pub socket: Option<usize>,
    /// Other sockets that could take the connection (its address unknown).
    pub other_sockets: Vec<usize>,
    /// The Host as nginx keeps it; Err: 400.
    pub host: Result<String, &'static str>,
    pub server: Option<Choice>,
    /// The normalised URI; Err: 400.
    pub uri: Result<Uri, &'static str>,
    pub location: Option<Search>,
}

impl<'m, 't> Engine<'m, 't> {
    pub fn new(model: &'m Model<'t>) -> Engine<'m, 't> {
        Engine {
            model,
            sockets: server::sockets(model),
            hostname: None,
            trees: Default::default(),
            conflicts: Default::default(),
        }
    }

    /// The location tree of a server (index in [`Model::servers`]).
    pub fn tree(&self, server: usize) -> std::rc::Rc<Vec<Loc>> {
        if let Some(t) = self.trees.borrow().get(&server) {
            return t.clone();
        }
        let scope = self.model.servers.get(server).map(|s| s.scope);
        let t = std::rc::Rc::new(
            scope
                .map(|s| location::tree(self.model, s))
                .unwrap_or_default(),
        );
        self.trees.borrow_mut().insert(server, t.clone());
        t
    }

    /// [`server::choose`] on one of the engine's sockets.
    pub fn choose(&self, k: &Socket, host: &str) -> Choice {
        let hostname = self.hostname.as_deref();
        let Some(at) = self.sockets.iter().position(|s| std::ptr::eq(s, k)) else {
            return server::choose(self.model, k, host, hostname);
        };
        let known = self.conflicts.borrow().get(&at).cloned();
        let ignored = known.unwrap_or_else(|| {
            let c = std::rc::Rc::new(server::conflicts(self.model, k));
            self.conflicts.borrow_mut().insert(at, c.clone());
            c
        });
        server::choose_ignoring(self.model, k, &ignored, host, hostname)
    }

    /// Select socket, server and location for a request: `host` is the
    /// Host header (None: absent), `target` the request target as sent.
    pub fn select(&self, conn: Conn, host: Option<&str>, target: &[u8]) -> Selected {
        let (socket, other_sockets) = server::socket_for(&self.sockets, conn);
        let host = match host {
            Some(h) => server::validate_host(h),
            None => Ok(String::new()),
        };
        let mut sel = Selected {
            socket,
            other_sockets,
            host,
            server: None,
            uri: Err("no server listens there"),
            location: None,
        };
        let Some(k) = socket.and_then(|i| self.sockets.get(i)) else {
            return sel;
        };
        // The request line is read before the headers, in the default
        // server of the address: its `merge_slashes` applies.
        let default = k.servers.get(k.default).map(|&(s, _)| s);
        let merge = default.is_none_or(|s| self.flag(s, "merge_slashes", true));
        sel.uri = uri::normalize(target, merge);
        let Ok(h) = &sel.host else {
            return sel;
        };
        let choice = self.choose(k, h);
        if let Ok(u) = &sel.uri {
            sel.location = Some(location::find(&self.tree(choice.server), &u.path));
        }
        sel.server = Some(choice);
        sel
    }

    /// An on/off directive's effective value at a server.
    fn flag(&self, server: usize, name: &str, default: bool) -> bool {
        let Some(s) = self.model.servers.get(server) else {
            return default;
        };
        self.model
            .effective_one(s.scope, name)
            .and_then(|d| d.arg(0))
            .and_then(crate::nginx::values::parse_flag)
            .unwrap_or(default)
    }
}
