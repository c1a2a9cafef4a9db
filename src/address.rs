//! Network endpoints as nginx and its backends name them, normalised so
//! that a target and a listener can be compared with one hash lookup:
//! `localhost` is loopback, `/var/run` is `/run`, a bare port is every
//! address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::vfs::normalize;

/// Where something listens or connects.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A unix socket path, normalised. Shared: the model gives every
    /// target naming the same socket one copy ([`Model`]'s targets), so
    /// rules hashing every target's socket read the few distinct paths,
    /// which stay in cache, instead of one scattered copy per target.
    ///
    /// [`Model`]: crate::model::Model
    Unix(Arc<Path>),
    /// An IP address and port. Wildcards (`0.0.0.0`, `[::]`, `*`, a bare
    /// port) are `Any`.
    Tcp(Host, u16),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// Every address (`*`, `0.0.0.0`, `[::]`, or no address given).
    Any,
    Ip(IpAddr),
    /// A name we do not resolve (no network); `localhost` is mapped to loopback.
    Name(String),
}

impl Host {
    pub fn parse(s: &str) -> Host {
        let s = s.trim_start_matches('[').trim_end_matches(']');
        if s.is_empty() || s == "*" {
            return Host::Any;
        }
        if s.eq_ignore_ascii_case("localhost") {
            return Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        match s.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() => Host::Any,
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(s.to_ascii_lowercase()),
        }
    }

    /// Loopback: only this machine can reach it.
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(ip) => ip.is_loopback(),
            _ => false,
        }
    }

    /// An address of this machine as far as the configs tell: loopback, or
    /// the wildcard.
    pub fn is_local(&self) -> bool {
        matches!(self, Host::Any) || self.is_loopback()
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Tcp(Host::Any, port) => write!(f, "*:{port}"),
            Endpoint::Tcp(Host::Ip(IpAddr::V6(ip)), port) => write!(f, "[{ip}]:{port}"),
            Endpoint::Tcp(Host::Ip(ip), port) => write!(f, "{ip}:{port}"),
            Endpoint::Tcp(Host::Name(n), port) => write!(f, "{n}:{port}"),
        }
    }
}

/// A unix socket path as the kernel would see it: absolute, `.`/`..`
/// removed, `/var/run` (a symlink to `/run` on every current distribution)
/// written as `/run`.
pub fn normalize_socket(path: &Path) -> PathBuf {
    let mut norm = normalize(path);
    if let Ok(rest) = norm.strip_prefix("/var/run") {
        norm = Path::new("/run").join(rest);
    }
    norm
}

/// `host:port`, `[v6]:port`, `port`, `*:port`, `host` (with a default port).
/// Returns None when the port is not a number in range.
pub fn parse_host_port(s: &str, default_port: Option<u16>) -> Option<Endpoint> {
    if let Some(path) = s.strip_prefix("unix:") {
        return Some(Endpoint::Unix(normalize_socket(Path::new(path)).into()));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(|p| Endpoint::Tcp(Host::Any, p));
    }
    // [v6]:port or [v6]
    if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = Host::parse(&rest[..close]);
        let after = &rest[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port?,
            None => return None,
        };
        return Some(Endpoint::Tcp(host, port));
    }
    match s.rsplit_once(':') {
        // A bare IPv6 address without brackets has several colons.
        Some((h, _)) if h.contains(':') => {
            let ip: Ipv6Addr = s.parse().ok()?;
            Some(Endpoint::Tcp(Host::Ip(IpAddr::V6(ip)), default_port?))
        }
        Some((h, p)) => Some(Endpoint::Tcp(Host::parse(h), p.parse().ok()?)),
        None => Some(Endpoint::Tcp(Host::parse(s), default_port?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_host_port("9000", None),
            Some(Endpoint::Tcp(Host::Any, 9000))
        );
        assert_eq!(
            parse_host_port("*:80", None),
            Some(Endpoint::Tcp(Host::Any, 80))
        );
        assert_eq!(
            parse_host_port("0.0.0.0:80", None),
            Some(Endpoint::Tcp(Host::Any, 80))
        );
        assert_eq!(
            parse_host_port("[::]:80", None),
            Some(Endpoint::Tcp(Host::Any, 80))
        );
        assert_eq!(
            parse_host_port("localhost:3000", None),
            Some(Endpoint::Tcp(
                Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                3000
            ))
        );
        assert_eq!(
            parse_host_port("unix:/var/run/php/../php/fpm.sock", None),
            Some(Endpoint::Unix(PathBuf::from("/run/php/fpm.sock").into()))
        );
        assert_eq!(
            parse_host_port("example.com", Some(80)),
            Some(Endpoint::Tcp(Host::Name("example.com".into()), 80))
        );
        assert_eq!(parse_host_port("backend", None), None);
        assert_eq!(parse_host_port("host:99999", None), None);
        assert_eq!(
            parse_host_port("[::1]:8080", None),
            Some(Endpoint::Tcp(
                Host::Ip("::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
                8080
            ))
        );
    }
}
