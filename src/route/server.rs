//! Which listening socket takes a connection and which `server` answers a
//! request on it, as nginx 1.22 decides:
//!
//! - sockets: `ngx_http_add_listen` groups listens by family and port, then
//!   by address; `ngx_http_init_connection` gives a connection to the
//!   address group of its local address when one is listened on, else to
//!   the wildcard of that port (the last of the port's addresses). The
//!   servers a request can reach are those listening on that one address.
//! - its default server is the one marked `default_server`, else the first
//!   server (in configuration order) listening there.
//! - `ngx_http_validate_host` lowercases the Host, drops its port and one
//!   trailing dot, and refuses `..`, `/`, controls and an empty name (400).
//! - `ngx_http_find_virtual_server` → `ngx_hash_find_combined`: the exact
//!   name, then the longest `*.x`/`.x`, then the longest `x.*`, then the
//!   first regex in configuration order; else the default server. A
//!   request without Host looks up the name `""` (the default `server_name`).
//!   Regex names are caseless when they hold an upper-case letter
//!   (`ngx_http_core_server_name`).

use std::net::IpAddr;

use super::pcre::{self, Found};
use crate::address::{Endpoint, Host};
use crate::analysis::regex::Regex;
use crate::model::{Listen, Model};

/// One address a port is listened on (`*:80`, `[::]:80`, `127.0.0.1:80`).
#[derive(Clone, Debug)]
pub struct Socket {
    /// As nginx prints it.
    pub addr: String,
    pub port: u16,
    pub v6: bool,
    /// None for the wildcard.
    pub ip: Option<IpAddr>,
    /// Indices in [`Model::servers`], in configuration order, with the
    /// index of the listen in the server's listens.
    pub servers: Vec<(usize, usize)>,
    /// Index in `servers` of the default server.
    pub default: usize,
    /// The default server says `default_server`.
    pub explicit_default: bool,
    pub ssl: bool,
    pub http2: bool,
    pub quic: bool,
}

/// How the connection's address is known.
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    /// The local address connected to; None when the URL names a host we
    /// cannot resolve.
    pub ip: Option<IpAddr>,
    pub port: u16,
}

fn listen_key(l: &Listen<'_>) -> Option<(bool, Option<IpAddr>, u16)> {
    match &l.endpoint {
        Endpoint::Tcp(Host::Any, p) => Some((l.bracketed, None, *p)),
        Endpoint::Tcp(Host::Ip(ip), p) => Some((ip.is_ipv6(), Some(*ip), *p)),
        _ => None,
    }
}

fn has_param(l: &Listen<'_>, p: &str) -> bool {
    l.directive
        .is_some_and(|d| d.args.iter().skip(1).any(|a| a.as_str() == p))
}

/// Every address group of http servers, in the order first listened.
pub fn sockets(model: &Model<'_>) -> Vec<Socket> {
    let mut out: Vec<Socket> = Vec::new();
    // Keyed by unit too: each analysed tree is an nginx of its own (an
    // orphan vhost beside the main configuration shares no address).
    type Key = (usize, bool, Option<IpAddr>, u16);
    let mut index: rustc_hash::FxHashMap<Key, usize> = Default::default();
    for (si, s) in model.servers.iter().enumerate() {
        if s.stream {
            continue;
        }
        let unit = model.scopes.get(s.scope).map_or(0, |sc| sc.unit);
        for (li, l) in s.listens.iter().enumerate() {
            let Some((v6, ip, port)) = listen_key(l) else {
                continue;
            };
            let at = match index.get(&(unit, v6, ip, port)) {
                Some(&i) => i,
                None => {
                    index.insert((unit, v6, ip, port), out.len());
                    out.push(Socket {
                        addr: display(v6, ip, port),
                        port,
                        v6,
                        ip,
                        servers: Vec::new(),
                        default: 0,
                        explicit_default: false,
                        ssl: false,
                        http2: false,
                        quic: false,
                    });
                    out.len() - 1
                }
            };
            let k = &mut out[at];
            // One server listening twice on an address is an nginx error
            // ("duplicate listen"): keep the first.
            if k.servers.last().is_some_and(|&(x, _)| x == si) {
                continue;
            }
            if l.default_server && !k.explicit_default {
                k.default = k.servers.len();
                k.explicit_default = true;
            }
            k.servers.push((si, li));
            // ngx_http_add_addresses ORs these over the address's listens.
            k.ssl |= l.ssl;
            k.http2 |= l.http2;
            k.quic |= has_param(l, "quic");
        }
    }
    out
}

fn display(v6: bool, ip: Option<IpAddr>, port: u16) -> String {
    match (v6, ip) {
        (false, None) => format!("0.0.0.0:{port}"),
        (true, None) => format!("[::]:{port}"),
        (_, Some(IpAddr::V6(a))) => format!("[{a}]:{port}"),
        (_, Some(a)) => format!("{a}:{port}"),
    }
}

/// The socket taking a connection; with an unknown address, the wildcard
/// of the port (IPv4 first) and every other socket of the port as what
/// could take it instead.
pub fn socket_for(sockets: &[Socket], conn: Conn) -> (Option<usize>, Vec<usize>) {
    let on_port = |v6: Option<bool>| {
        sockets
            .iter()
            .enumerate()
            .filter(move |(_, k)| k.port == conn.port && v6.is_none_or(|v| k.v6 == v))
    };
    match conn.ip {
        Some(ip) => {
            let v6 = ip.is_ipv6();
            let exact = on_port(Some(v6)).find(|(_, k)| k.ip == Some(ip));
            let any = on_port(Some(v6)).find(|(_, k)| k.ip.is_none());
            (exact.or(any).map(|(i, _)| i), Vec::new())
        }
        None => {
            let any = on_port(Some(false))
                .find(|(_, k)| k.ip.is_none())
                .or_else(|| on_port(Some(true)).find(|(_, k)| k.ip.is_none()));
            let chosen = any.map(|(i, _)| i);
            let others = on_port(None)
                .map(|(i, _)| i)
                .filter(|i| Some(*i) != chosen)
                .collect();
            (chosen, others)
        }
    }
}

/// The Host as nginx keeps it (`ngx_http_validate_host`): Err is a 400.
pub fn validate_host(h: &str) -> Result<String, &'static str> {
    let b = h.as_bytes();
    let mut dot_pos: Option<usize> = None;
    let mut host_len = b.len();
    #[derive(PartialEq)]
    enum S {
        Usual,
        Literal,
        Rest,
    }
    let mut st = S::Usual;
    for (i, &ch) in b.iter().enumerate() {
        match ch {
            b'.' => {
                if i > 0 && dot_pos == Some(i - 1) {
                    return Err("the Host has `..`");
                }
                dot_pos = Some(i);
            }
            b':' if st == S::Usual => {
                host_len = i;
                st = S::Rest;
            }
            b'[' if i == 0 => st = S::Literal,
            b']' if st == S::Literal => {
                host_len = i + 1;
                st = S::Rest;
            }
            b'/' | b'\\' => return Err("the Host has a path separator"),
            c if c <= 0x20 || c == 0x7f => return Err("the Host has a control character"),
            _ => {}
        }
    }
    if host_len > 0 && dot_pos == Some(host_len - 1) {
        host_len -= 1;
    }
    if host_len == 0 {
        return Err("the Host is empty");
    }
    Ok(String::from_utf8_lossy(&b[..host_len]).to_ascii_lowercase())
}

/// Why a server was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    Exact(String),
    /// `*.x` or `.x`.
    LeadingWildcard(String),
    /// `x.*`.
    TrailingWildcard(String),
    /// The regex, with its captures by number.
    Regex(String, Vec<String>),
    /// No name matched: the address's default server (`default_server`
    /// written or not).
    Default {
        explicit: bool,
    },
    /// Not chosen by Host: nginx refused the request (its target, its
    /// Host, a Host other than the SNI) in the connection's server, the
    /// address's default or the SNI's.
    Connection,
}

/// The chosen server (index in [`Model::servers`]), why, and the regex
/// names we could not decide (each could have taken the request first).
pub struct Choice {
    pub server: usize,
    pub why: Why,
    pub undecided: Vec<(usize, String, &'static str)>,
}

/// A server's names, `""` when it has no `server_name` (nginx's default).
fn names_of<'t>(model: &Model<'t>, si: usize) -> Vec<&'t str> {
    let s = &model.servers[si];
    if s.names.is_empty() {
        vec![""]
    } else {
        s.names.iter().copied().collect()
    }
}

/// A name nginx ignores on an address: "conflicting server name ... on
/// ADDR, ignored" (`ngx_http_server_names` when `ngx_hash_add_key` says
/// NGX_BUSY).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The server whose name is ignored, and the name as written.
    pub server: usize,
    pub name: String,
    /// The server that holds it first.
    pub first: usize,
}

/// The hash keys a name takes (`ngx_hash_add_key`): an exact name its
/// lowercase self; `*.x` the head wildcard x; `.x` both x and the head
/// wildcard x; `x.*` the tail wildcard x; a regex none.
fn keys(n: &str) -> Vec<(u8, String)> {
    let l = n.to_ascii_lowercase();
    if l.starts_with('~') {
        Vec::new()
    } else if let Some(b) = l.strip_prefix("*.") {
        vec![(b'H', b.to_string())]
    } else if l.len() > 1 && l.starts_with('.') {
        vec![(b'E', l[1..].to_string()), (b'H', l[1..].to_string())]
    } else if l.len() > 2 && l.ends_with(".*") {
        vec![(b'T', l[..l.len() - 2].to_string())]
    } else {
        vec![(b'E', l)]
    }
}

/// The names of a socket's servers that nginx ignores, in the order it
/// adds them (servers in configuration order, names in order). A name
/// repeated within one server changes nothing and is left out (nginx
/// warns about it too). An address with one server builds no hash
/// (`ngx_http_optimize_servers`): nothing conflicts.
pub fn conflicts(model: &Model<'_>, k: &Socket) -> Vec<Conflict> {
    if k.servers.len() < 2 {
        return Vec::new();
    }
    let mut taken: rustc_hash::FxHashMap<(u8, String), usize> = Default::default();
    let mut out = Vec::new();
    for &(si, _) in &k.servers {
        for n in names_of(model, si) {
            let ks = keys(n);
            let clash = ks
                .iter()
                .find_map(|key| taken.get(key).copied().filter(|&o| o != si));
            match clash {
                Some(first) => out.push(Conflict {
                    server: si,
                    name: n.to_string(),
                    first,
                }),
                None => {
                    for key in ks {
                        taken.entry(key).or_insert(si);
                    }
                }
            }
        }
    }
    out
}

/// Pick the server for `host` (already validated, "" when the request
/// has no Host) among a socket's servers. `hostname` is the machine's
/// (`--live`): nginx reads `server_name $hostname` as it
/// (ngx_http_core_server_name takes `cf->cycle->hostname`, lowercased by
/// ngx_init_cycle); unknown, such a name may take the request first.
pub fn choose(model: &Model<'_>, k: &Socket, host: &str, hostname: Option<&str>) -> Choice {
    choose_ignoring(model, k, &conflicts(model, k), host, hostname)
}

/// [`choose`], the socket's [`conflicts`] already found.
pub fn choose_ignoring(
    model: &Model<'_>,
    k: &Socket,
    ignored: &[Conflict],
    host: &str,
    hostname: Option<&str>,
) -> Choice {
    let all: Vec<(usize, &str)> = k
        .servers
        .iter()
        .flat_map(|&(si, _)| names_of(model, si).into_iter().map(move |n| (si, n)))
        .filter(|(si, n)| !ignored.iter().any(|c| c.server == *si && c.name == *n))
        .map(|(si, n)| match (n, hostname) {
            ("$hostname", Some(h)) => (si, h),
            _ => (si, n),
        })
        .collect();
    if let Some((si, n)) = all
        .iter()
        .find(|(_, n)| !n.starts_with('~') && !is_wild(n) && n.eq_ignore_ascii_case(host))
    {
        return found(*si, Why::Exact(n.to_string()));
    }
    // `$hostname` unknown: it takes any Host that is the machine's name.
    let unknown_hostname: Vec<(usize, String, &'static str)> = all
        .iter()
        .filter(|(_, n)| *n == "$hostname" && !host.is_empty())
        .map(|&(si, n)| {
            (
                si,
                n.to_string(),
                "the machine's hostname; known with --live",
            )
        })
        .collect();
    let found = |si, why| Choice {
        server: si,
        why,
        undecided: unknown_hostname.clone(),
    };
    let best = |f: &dyn Fn(&str) -> Option<usize>| {
        let mut best: Option<(usize, usize, &str)> = None;
        for &(si, n) in &all {
            if let Some(len) = f(n)
                && best.is_none_or(|(l, _, _)| len > l)
            {
                best = Some((len, si, n));
            }
        }
        best
    };
    if let Some((_, si, n)) = best(&|n| leading(n, host)) {
        return found(si, Why::LeadingWildcard(n.to_string()));
    }
    if let Some((_, si, n)) = best(&|n| trailing(n, host)) {
        return found(si, Why::TrailingWildcard(n.to_string()));
    }
    let mut undecided = unknown_hostname.clone();
    if !host.is_empty() {
        for &(si, n) in &all {
            let Some(p) = n.strip_prefix('~') else {
                continue;
            };
            let re = Regex::parse(p, p.bytes().any(|b| b.is_ascii_uppercase()));
            match pcre::search(&re, p, host.as_bytes()) {
                Found::Match(caps) => {
                    let caps = (1..caps.len())
                        .map(|i| {
                            String::from_utf8_lossy(pcre::capture(&caps, host.as_bytes(), i))
                                .into_owned()
                        })
                        .collect();
                    return Choice {
                        server: si,
                        why: Why::Regex(n.to_string(), caps),
                        undecided,
                    };
                }
                Found::NoMatch => {}
                Found::Unknown(why) => undecided.push((si, n.to_string(), why)),
            }
        }
    }
    Choice {
        undecided,
        ..default_choice(k)
    }
}

/// The default server of a socket.
pub fn default_choice(k: &Socket) -> Choice {
    let (si, _) = k
        .servers
        .get(k.default.min(k.servers.len().saturating_sub(1)))
        .copied()
        .unwrap_or((0, 0));
    Choice {
        server: si,
        why: Why::Default {
            explicit: k.explicit_default,
        },
        undecided: Vec::new(),
    }
}

/// Whether [`choose`] could pick a server by this name for `host`
/// (validated): an exact or wildcard name that matches, any regex, and a
/// name with a variable (`$hostname`).
pub fn may_take(n: &str, host: &str) -> bool {
    n.starts_with('~')
        || n.contains('$')
        || (!is_wild(n) && n.eq_ignore_ascii_case(host))
        || leading(n, host).is_some()
        || trailing(n, host).is_some()
}

fn found(server: usize, why: Why) -> Choice {
    Choice {
        server,
        why,
        undecided: Vec::new(),
    }
}

fn is_wild(n: &str) -> bool {
    n.starts_with('.') || n.starts_with("*.") || n.ends_with(".*")
}

/// `*.x` (subdomains of x) or `.x` (x and its subdomains): the length of
/// x when it matches.
fn leading(n: &str, host: &str) -> Option<usize> {
    let (base, also_bare) = if let Some(b) = n.strip_prefix("*.") {
        (b, false)
    } else if let Some(b) = n.strip_prefix('.') {
        (b, true)
    } else {
        return None;
    };
    let base = base.to_ascii_lowercase();
    let sub = host.len() > base.len() + 1
        && host.ends_with(base.as_str())
        && host.as_bytes()[host.len() - base.len() - 1] == b'.';
    (sub || (also_bare && host == base)).then_some(base.len())
}

/// `x.*`: the host starts with `x.` (and goes on).
fn trailing(n: &str, host: &str) -> Option<usize> {
    let base = n.strip_suffix(".*")?;
    if base.starts_with('~') || base.starts_with('.') || base.starts_with("*.") {
        return None;
    }
    let base = base.to_ascii_lowercase();
    let ok = host.len() > base.len() + 1
        && host.starts_with(base.as_str())
        && host.as_bytes()[base.len()] == b'.';
    ok.then_some(base.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_validation() {
        assert_eq!(
            validate_host("Example.COM:8080").ok(),
            Some("example.com".into())
        );
        assert_eq!(
            validate_host("example.com.").ok(),
            Some("example.com".into())
        );
        assert_eq!(validate_host("[::1]:80").ok(), Some("[::1]".into()));
        assert!(validate_host("a..b").is_err());
        assert!(validate_host("a/b").is_err());
        assert!(validate_host(":80").is_err());
        assert!(validate_host(".").is_err());
    }

    #[test]
    fn wildcards() {
        assert_eq!(leading("*.example.com", "a.example.com"), Some(11));
        assert_eq!(leading("*.example.com", "example.com"), None);
        assert_eq!(leading(".example.com", "example.com"), Some(11));
        assert_eq!(leading("*.example.com", "aexample.com"), None);
        assert_eq!(trailing("www.example.*", "www.example.org"), Some(11));
        assert_eq!(trailing("www.*", "www"), None);
        assert_eq!(trailing("www.*", "wwwx.org"), None);
    }

    #[test]
    fn names_that_may_take_a_host() {
        assert!(may_take("Shop.Example.com", "shop.example.com"));
        assert!(may_take("*.example.com", "a.example.com"));
        assert!(may_take(".example.com", "example.com"));
        assert!(may_take("www.example.*", "www.example.org"));
        assert!(may_take("~^nothing$", "shop.example.com"));
        assert!(may_take("$hostname", "shop.example.com"));
        assert!(!may_take("other.example.com", "shop.example.com"));
        assert!(!may_take("*.example.com", "example.com"));
        assert!(!may_take("", "shop.example.com"));
        assert!(may_take("", ""));
    }
}
