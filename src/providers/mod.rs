//! Listeners: everything that accepts connections nginx might send to.
//! Each kind of service is one provider behind [`ListenerProvider`]; the
//! resolver only sees the listeners they yield, so adding a service
//! (Gunicorn, Compose, Apache, …) touches this folder and its registration
//! only.

pub mod declared;
pub mod fpm;
pub mod nginx;

use crate::load::Loaded;
use crate::model::Model;
use crate::model::address::Endpoint;
use crate::source::Span;

/// What kind of service listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListenerKind {
    PhpFpm,
    Nginx,
    /// Declared in `.nginx-lint.toml` (`[[listener]]`).
    Declared,
    /// Another service provider (gunicorn, compose, …).
    Service(&'static str),
}

impl ListenerKind {
    pub fn label(self) -> &'static str {
        match self {
            ListenerKind::PhpFpm => "php-fpm pool",
            ListenerKind::Nginx => "nginx server",
            ListenerKind::Declared => "declared listener",
            ListenerKind::Service(s) => s,
        }
    }
}

/// Who may connect to a unix socket, as the service sets it up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketAccess {
    /// Owner and group of the socket file (None: the service's own user,
    /// root for a system service).
    pub owner: Option<String>,
    pub group: Option<String>,
    pub mode: u32,
    pub acl_users: Vec<String>,
    pub acl_groups: Vec<String>,
    /// Where the mode and ownership are set (for related locations).
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Listener {
    pub endpoint: Endpoint,
    pub kind: ListenerKind,
    /// A name for messages: the pool name, the server name, the service.
    pub name: String,
    /// The line that makes it listen.
    pub span: Option<Span>,
    pub socket: Option<SocketAccess>,
    /// Index of the pool in `FpmConfig::pools` (php-fpm listeners).
    pub pool: Option<usize>,
}

/// A source of listeners.
pub trait ListenerProvider: Sync {
    fn listeners(&self, loaded: &Loaded, model: &Model<'_>, out: &mut Vec<Listener>);
}

/// Every provider, in the order their listeners are reported.
pub fn all() -> Vec<&'static dyn ListenerProvider> {
    vec![&fpm::PhpFpm, &nginx::NginxServers, &declared::Declared]
}
