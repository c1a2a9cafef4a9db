//! Host names on a Compose project's network: every service name,
//! `container_name`, network alias and `links` alias resolves, through
//! Docker's embedded DNS, to that service's container (Compose
//! specification, services: `container_name`, `links`,
//! `networks.aliases`; Docker docs, "Networking in Compose"). A
//! `hostname` is counted too although Docker's DNS does not always
//! resolve it (moby/moby#36333, docker/compose#2925): a name the project
//! may answer is never reported as unknown. What each service listens on
//! is kept with the evidence that tells it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::Span;

/// A name other containers of the project reach a service by.
#[derive(Clone, Debug)]
pub struct NetworkHost {
    /// Lower case.
    pub name: String,
    pub service: Arc<str>,
    /// The project's directory.
    pub project: Arc<Path>,
    /// What the service listens on; None when nothing tells.
    pub ports: Option<Ports>,
    /// The networks it is on; None under `network_mode`.
    pub networks: Option<Attached>,
    /// `profiles:` (empty: always enabled) and where they are listed.
    pub profiles: Profiles,
}

/// A service's `profiles:`: it runs only when one of them is active.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profiles {
    pub names: Vec<String>,
    pub span: Option<Span>,
}

/// The Compose networks a container is connected to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attached {
    pub names: Vec<String>,
    /// The `networks:` that lists them; None: `default`, by omission.
    pub span: Option<Span>,
}

/// Ports a service listens on, and why we think so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ports {
    pub ports: Vec<u16>,
    /// The evidence in the user's words: `gunicorn -b 0.0.0.0:8000
    /// (compose.yaml:31)`, `EXPOSE 8000 (backend/Dockerfile:15)`.
    pub evidence: String,
    /// Where, when it is a line of an analysed file.
    pub span: Option<Span>,
    /// The command binds loopback only: other containers cannot connect.
    pub loopback: bool,
}

/// A service that runs the analysed nginx.
#[derive(Clone, Debug)]
pub struct NginxService {
    pub project: Arc<Path>,
    pub service: String,
    /// The analysed files (or directories holding them) it mounts or its
    /// image copies, normalised real paths.
    pub files: Vec<PathBuf>,
    /// The container has its own network namespace (no `network_mode`).
    pub own_network: bool,
    /// Names `extra_hosts` adds to its /etc/hosts (lower case).
    pub extra_hosts: Vec<String>,
    /// The networks it is on; None under `network_mode`.
    pub networks: Option<Attached>,
    /// One of them is `external`: containers from outside the project may
    /// answer names there.
    pub external: bool,
    pub profiles: Profiles,
}

/// A Compose value interpolation left unknown, or read from the
/// template of a `.env` (`compose-variable-unset`).
#[derive(Clone, Debug)]
pub struct VarNote {
    pub span: Span,
    pub message: String,
    pub help: String,
}

/// Every project's hosts and nginx services.
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub hosts: Vec<NetworkHost>,
    pub nginx: Vec<NginxService>,
    pub notes: Vec<VarNote>,
    /// Projects that `include:` a file the run cannot read: a name that is
    /// none of their known hosts may be one of its services.
    pub open: Vec<Arc<Path>>,
}

impl Network {
    /// Whether any project knows this host name.
    pub fn is_host(&self, name: &str) -> bool {
        self.hosts.iter().any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The nginx service whose container holds an analysed file (real
    /// path), if one does.
    pub fn nginx_holding(&self, real: &Path) -> Option<&NginxService> {
        let real = crate::vfs::normalize(real);
        self.nginx
            .iter()
            .find(|n| n.files.iter().any(|f| real.starts_with(f)))
    }

    /// Whether every host of `project` is known.
    pub fn closed(&self, project: &Path) -> bool {
        !self.open.iter().any(|p| &**p == project)
    }

    /// The services of `project` named `name` none of whose networks the
    /// nginx service is on (empty: one shares a network, or it is not
    /// known which).
    pub fn unshared<'n>(&'n self, nginx: &NginxService, name: &str) -> Vec<&'n NetworkHost> {
        let hosts: Vec<&NetworkHost> = self
            .hosts
            .iter()
            .filter(|h| h.project == nginx.project && h.name.eq_ignore_ascii_case(name))
            .collect();
        let Some(mine) = &nginx.networks else {
            return Vec::new();
        };
        let shares = |h: &&NetworkHost| {
            h.networks
                .as_ref()
                .is_none_or(|a| a.names.iter().any(|n| mine.names.contains(n)))
        };
        if hosts.iter().any(shares) {
            return Vec::new();
        }
        hosts
    }

    /// The service `name` of nginx's project when it runs only under
    /// profiles nginx's own service does not share (every definition of
    /// the name is profiled): started without them, nginx cannot resolve
    /// it.
    pub fn profiled<'n>(&'n self, nginx: &NginxService, name: &str) -> Option<&'n NetworkHost> {
        let mut hosts = self
            .hosts
            .iter()
            .filter(|h| h.project == nginx.project && h.name.eq_ignore_ascii_case(name))
            .peekable();
        hosts.peek()?;
        let mut first = None;
        for h in hosts {
            let shared = h
                .profiles
                .names
                .iter()
                .any(|p| nginx.profiles.names.contains(p));
            if h.profiles.names.is_empty() || shared {
                return None;
            }
            first = first.or(Some(h));
        }
        first
    }

    /// The host `name` in `project`.
    pub fn host_in(&self, project: &Path, name: &str) -> Option<&NetworkHost> {
        self.hosts
            .iter()
            .find(|h| &*h.project == project && h.name.eq_ignore_ascii_case(name))
    }
}
