//! Listeners: everything that accepts connections nginx might send to.
//! Each kind of service is one provider behind [`ListenerProvider`]; the
//! resolver only sees the listeners they yield, so adding a service
//! (Gunicorn, Compose, Apache, …) is a file here and a line in [`all`].
//!
//! Providers must not use rayon: the resolver runs them beside the rules,
//! some of which wait for it, and a pool worker waiting inside a provider
//! could take up such a rule and wait for itself (see `schedule`).

pub mod apache;
mod cmdline;
pub mod compose;
mod compose_networks;
mod compose_vars;
pub mod declared;
pub mod fpm;
pub mod gunicorn;
mod images;
pub mod interpolation;
mod lit;
pub mod network;
pub mod nginx;
pub mod pm2;
mod puma_rb;
pub mod runscript;
pub mod supervisord;
mod systemd;
pub mod units;
pub mod uwsgi;
pub(crate) mod yaml;

use std::path::Path;

use crate::address::Endpoint;
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

/// What kind of service listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
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
    /// A name for messages: the pool name, the server name, the service
    /// (shared: a server's listens all carry its name).
    pub name: std::sync::Arc<str>,
    /// The line that makes it listen.
    pub span: Option<Span>,
    /// Boxed: only unix sockets have one, and inline it tripled the size of
    /// every listener (a large tree lists several per vhost).
    pub socket: Option<Box<SocketAccess>>,
    /// Index of the pool in `FpmConfig::pools` (php-fpm listeners).
    pub pool: Option<usize>,
    /// What the service does with requests and connections (timeouts,
    /// keep-alive, container), where its configuration tells.
    pub backend: Option<Box<Backend>>,
}

/// A backend's own limits, as its configuration (or its documented
/// default) sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backend {
    /// The longest a request may run before the service kills the worker
    /// (Gunicorn `timeout` for sync workers, uWSGI `harakiri`).
    pub request_timeout: Option<Limit>,
    /// How long the service keeps an idle keep-alive connection open before
    /// closing it (Gunicorn `keepalive` for non-sync workers, Apache
    /// `KeepAliveTimeout`). None: it closes after each response, or unknown.
    pub keepalive: Option<Limit>,
    /// The service runs in a container of a Compose project.
    pub container: Option<Container>,
}

/// A time limit of a service, in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub ms: u64,
    /// The setting's name as the service spells it (`timeout`, `harakiri`).
    pub setting: &'static str,
    /// Where it is set; None when the service's default applies.
    pub span: Option<Span>,
}

impl Limit {
    pub fn secs(secs: u64, setting: &'static str, span: Option<Span>) -> Limit {
        Limit {
            ms: secs.saturating_mul(1000),
            setting,
            span,
        }
    }

    /// `30s`, `1500ms`, `2m`, with `(default)` when not configured.
    pub fn describe(&self) -> String {
        let t = fmt_ms(self.ms);
        if self.span.is_none() {
            format!("{} {t} (default)", self.setting)
        } else {
            format!("{} {t}", self.setting)
        }
    }
}

/// A Compose service's container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub service: String,
    /// The container runs the analysed nginx (its image is nginx, or it
    /// mounts the analysed configuration).
    pub runs_nginx: bool,
    /// The container has its own network namespace (no `network_mode`):
    /// loopback inside it is the container itself.
    pub own_network: bool,
    /// The line that makes it run nginx (image or mount).
    pub nginx_span: Option<Span>,
}

/// A source of listeners.
pub trait ListenerProvider: Sync {
    /// The name under which this provider's files are loaded
    /// ([`crate::loaded::ServiceFile::provider`]); empty for providers that read no files
    /// of their own (nginx, php-fpm).
    fn name(&self) -> &'static str {
        ""
    }

    /// Whether a file is this service's configuration, judged from its name
    /// and first bytes. `explicit`: the user named it with `--service`, so
    /// the content alone decides.
    fn claims(&self, _path: &Path, _head: &str, _explicit: bool) -> bool {
        false
    }

    /// The listeners this service's files (or the model) declare. Runs
    /// beside the rules: no rayon here (see the module doc).
    fn listeners(&self, loaded: &Loaded, model: &Model<'_>, out: &mut Vec<Listener>);
}

/// Every provider, in the order their listeners are reported.
pub fn all() -> Vec<&'static dyn ListenerProvider> {
    vec![
        &fpm::PhpFpm,
        &nginx::NginxServers,
        &gunicorn::Gunicorn,
        // systemd units of the other servers (after Gunicorn, which claims
        // its own units).
        &units::Units,
        &uwsgi::Uwsgi,
        &compose::Compose,
        &apache::Apache,
        &pm2::Pm2,
        &supervisord::Supervisord,
        &runscript::RunScript,
        &declared::Declared,
    ]
}

/// The provider that claims a file, if any (discovery calls this before
/// looking for nginx or php-fpm syntax).
pub fn classify(path: &Path, head: &[u8], explicit: bool) -> Option<&'static str> {
    // The head may end inside a character: judge the valid prefix.
    let head = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    all()
        .into_iter()
        .find(|p| !p.name().is_empty() && p.claims(path, head, explicit))
        .map(|p| p.name())
}

/// The files a provider claimed, with their text.
pub fn files_of<'l>(
    loaded: &'l Loaded,
    provider: &'static str,
) -> impl Iterator<Item = (FileId, &'l crate::source::SourceFile, &'l str)> {
    loaded
        .services
        .iter()
        .filter(move |s| s.provider == provider)
        .filter_map(|s| {
            let f = loaded.sources.get(s.file);
            std::str::from_utf8(&f.text).ok().map(|t| (s.file, f, t))
        })
}

/// The provider files written in YAML (every Compose file; uWSGI and
/// pm2 files named `.yml`/`.yaml`) that do not parse: where, the parser's
/// words, and the provider. Their services are not read.
pub fn unreadable(loaded: &Loaded) -> Vec<(Span, String, &'static str)> {
    loaded
        .services
        .iter()
        .filter_map(|s| {
            let f = loaded.sources.get(s.file);
            let name = file_name(&f.real);
            let is_yaml = s.provider == compose::Compose.name()
                || name.ends_with(".yml")
                || name.ends_with(".yaml");
            if !is_yaml {
                return None;
            }
            let text = std::str::from_utf8(&f.text).ok()?;
            let e = yaml::parse_checked(text).err()?;
            let end = (e.offset + 1).min(text.len()).max(e.offset);
            Some((Span::new(s.file, e.offset, end), e.message, s.provider))
        })
        .collect()
}

/// The file name of a path, lowercased.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A duration the way nginx writes it: `90s`, `2h`, `1500ms`.
pub fn fmt_ms(ms: u64) -> String {
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_never_panics_on_odd_text() {
        let names = [
            "gunicorn.service",
            "gunicorn.conf.py",
            "app.ini",
            "compose.yaml",
            "ports.conf",
            "ecosystem.config.js",
            "x.socket",
            "default",
        ];
        let heads: [&[u8]; 6] = [
            b"<virtualho\xc3\xa9\xc3\xa9\xc3\xa9\n",
            "Listen \u{e9}\u{e9}\n[uwsgi]\nsocket=\u{e9}\n".as_bytes(),
            "ExecStart=/bin/gunicorn -\u{e9}x -b\n".as_bytes(),
            b"services:\n  a: [\n",
            b"module.exports = {apps: [{env: {PORT: '\xff'}}]}",
            b"\xe2\x82",
        ];
        for n in names {
            for h in heads {
                let _ = classify(Path::new(n), h, false);
                let _ = classify(Path::new(n), h, true);
            }
        }
        assert_eq!(
            classify(Path::new("ports.conf"), b"Listen 8080\n", false),
            Some("apache")
        );
        assert_eq!(
            classify(Path::new("default"), b"server { listen 80; }\n", false),
            None
        );
        assert_eq!(fmt_ms(60_000), "60s");
        assert_eq!(fmt_ms(7_200_000), "2h");
        assert_eq!(fmt_ms(1500), "1500ms");
    }
}
