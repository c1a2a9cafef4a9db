//! Targets: the places nginx sends requests to (`proxy_pass`,
//! `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass`, `memcached_pass`,
//! stream `proxy_pass`), with their address parsed as nginx parses it.

use super::{Model, ScopeId};
use crate::address::{Endpoint, normalize_socket, parse_host_port};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;

/// The directives that hand a request to a backend (http and stream),
/// one per [`TargetKind`] with a directive of its own.
pub const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Proxy,
    FastCgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
    StreamProxy,
}

impl TargetKind {
    /// Every kind with a directive of its own (`StreamProxy` shares
    /// `proxy_pass` and is told apart by context).
    const BY_DIRECTIVE: [TargetKind; PASS_DIRECTIVES.len()] = [
        TargetKind::Proxy,
        TargetKind::FastCgi,
        TargetKind::Uwsgi,
        TargetKind::Scgi,
        TargetKind::Grpc,
        TargetKind::Memcached,
    ];

    /// The kind a directive makes in an http (`stream` false) or stream
    /// server.
    fn of(name: &str, stream: bool) -> Option<TargetKind> {
        let kind = Self::BY_DIRECTIVE
            .into_iter()
            .find(|k| k.directive() == name)?;
        Some(if stream && kind == TargetKind::Proxy {
            TargetKind::StreamProxy
        } else {
            kind
        })
    }

    pub fn directive(self) -> &'static str {
        match self {
            TargetKind::Proxy | TargetKind::StreamProxy => "proxy_pass",
            TargetKind::FastCgi => "fastcgi_pass",
            TargetKind::Uwsgi => "uwsgi_pass",
            TargetKind::Scgi => "scgi_pass",
            TargetKind::Grpc => "grpc_pass",
            TargetKind::Memcached => "memcached_pass",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetAddr {
    /// A direct address.
    Direct(Endpoint),
    /// The name of an `upstream` block (index in `Model::upstreams`).
    Upstream(usize),
    /// A host name without port that names no upstream.
    Unresolved(String),
    /// Contains variables: only known at request time.
    Runtime(String),
}

#[derive(Debug)]
pub struct Target<'t> {
    pub directive: &'t Directive,
    pub kind: TargetKind,
    pub addr: TargetAddr,
    /// TLS to the backend (`https://`, `grpcs://`, `suwsgi://`).
    pub tls: bool,
    pub scope: ScopeId,
    pub unit: usize,
}

/// The directives [`parse`] makes targets of.
pub(super) fn directives() -> [&'static str; 6] {
    TargetKind::BY_DIRECTIVE.map(TargetKind::directive)
}

pub(super) fn parse<'t>(
    d: &'t Directive,
    scope: ScopeId,
    ctx: Ctx,
    unit: usize,
    m: &Model<'t>,
) -> Option<Target<'t>> {
    let stream = matches!(ctx, Ctx::StreamServer);
    let kind = TargetKind::of(d.name(), stream)?;
    if !matches!(
        ctx,
        Ctx::Location | Ctx::If | Ctx::LimitExcept | Ctx::StreamServer
    ) {
        return None;
    }
    let raw = d.args.first()?.as_str();
    let (rest, tls, default_port) = strip_scheme(kind, raw);
    // The authority: up to the first `/` (for URLs); a unix path keeps its
    // slashes up to the `:` that starts the URI.
    let addr = if let Some(path) = rest.strip_prefix("unix:") {
        let path = match kind {
            TargetKind::Proxy => path.split_once(':').map_or(path, |(p, _)| p),
            _ => path,
        };
        if path.contains('$') {
            TargetAddr::Runtime(raw.to_string())
        } else {
            TargetAddr::Direct(Endpoint::Unix(
                normalize_socket(std::path::Path::new(path)).into(),
            ))
        }
    } else {
        let authority = match kind {
            TargetKind::Proxy | TargetKind::Grpc | TargetKind::Uwsgi => {
                rest.split('/').next().unwrap_or(rest)
            }
            _ => rest,
        };
        if authority.contains('$') {
            TargetAddr::Runtime(raw.to_string())
        } else if let Some(i) = m.upstream_index_of(unit, authority, stream) {
            TargetAddr::Upstream(i)
        } else {
            match parse_host_port(authority, default_port) {
                Some(ep) => TargetAddr::Direct(ep),
                None => TargetAddr::Unresolved(authority.to_string()),
            }
        }
    };
    Some(Target {
        directive: d,
        kind,
        addr,
        tls,
        scope,
        unit,
    })
}

/// Remove the URL scheme; returns (rest, tls, default port when the
/// authority has none).
fn strip_scheme(kind: TargetKind, raw: &str) -> (&str, bool, Option<u16>) {
    // Compare bytes: slicing the str at p.len() panicked when that fell
    // inside a multi-byte character (cargo-fuzz `pipeline`). A match means
    // the prefix is ASCII, so the slices below are on boundaries.
    let lower = |p: &str| {
        raw.as_bytes()
            .get(..p.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(p.as_bytes()))
    };
    match kind {
        TargetKind::Proxy => {
            if lower("http://") {
                (&raw[7..], false, Some(80))
            } else if lower("https://") {
                (&raw[8..], true, Some(443))
            } else {
                (raw, false, None)
            }
        }
        TargetKind::Grpc => {
            if lower("grpc://") {
                (&raw[7..], false, None)
            } else if lower("grpcs://") {
                (&raw[8..], true, None)
            } else {
                (raw, false, None)
            }
        }
        TargetKind::Uwsgi => {
            if lower("uwsgi://") {
                (&raw[8..], false, None)
            } else if lower("suwsgi://") {
                (&raw[9..], true, None)
            } else {
                (raw, false, None)
            }
        }
        _ => (raw, false, None),
    }
}

#[cfg(test)]
mod tests {
    use super::TargetKind;

    /// Each directive makes its kind; `proxy_pass` in a stream server is
    /// the stream kind; other names make none.
    #[test]
    fn kinds_of_directives() {
        let http: Vec<Option<TargetKind>> = super::directives()
            .iter()
            .map(|n| TargetKind::of(n, false))
            .collect();
        assert_eq!(
            http,
            [
                Some(TargetKind::Proxy),
                Some(TargetKind::FastCgi),
                Some(TargetKind::Uwsgi),
                Some(TargetKind::Scgi),
                Some(TargetKind::Grpc),
                Some(TargetKind::Memcached),
            ]
        );
        assert_eq!(
            TargetKind::of("proxy_pass", true),
            Some(TargetKind::StreamProxy)
        );
        assert_eq!(
            TargetKind::of("fastcgi_pass", true),
            Some(TargetKind::FastCgi)
        );
        assert_eq!(TargetKind::of("root", false), None);
    }

    /// The public list and the kinds name the same directives, in order.
    #[test]
    fn pass_directives_are_the_kinds() {
        let names: Vec<&str> = TargetKind::BY_DIRECTIVE
            .iter()
            .map(|k| k.directive())
            .collect();
        assert_eq!(names, super::PASS_DIRECTIVES);
    }
}
