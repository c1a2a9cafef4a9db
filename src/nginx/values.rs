//! nginx's value parsers, rule for rule as in its C sources, shared by the
//! rules: sizes and offsets (`ngx_parse_size`, `ngx_parse_offset`), times
//! (`ngx_parse_time`), numbers (`ngx_atoi`), flags, and `listen` addresses
//! (`ngx_parse_url` with `listen = 1`).
//!
//! None of these allocate.

use std::net::{Ipv4Addr, Ipv6Addr};

/// `NGX_MAX_INT_T_VALUE`, `NGX_MAX_SIZE_T_VALUE`, `NGX_MAX_OFF_T_VALUE` on
/// 64-bit Linux.
const MAX_INT: i64 = i64::MAX;

/// `ngx_atoi`: decimal digits only, no sign, no overflow, not empty.
pub fn atoi(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let cutoff = MAX_INT / 10;
    let cutlim = MAX_INT % 10;
    let mut v: i64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = i64::from(b - b'0');
        if v >= cutoff && (v > cutoff || d > cutlim) {
            return None;
        }
        v = v * 10 + d;
    }
    Some(v)
}

fn scaled(s: &str, units: &[(u8, i64)]) -> Option<i64> {
    let last = *s.as_bytes().last()?;
    let (digits, scale) = match units.iter().find(|(u, _)| last.eq_ignore_ascii_case(u)) {
        Some(&(_, scale)) => (&s[..s.len() - 1], scale),
        None => (s, 1),
    };
    let n = atoi(digits)?;
    if n > MAX_INT / scale {
        return None;
    }
    Some(n * scale)
}

/// `ngx_parse_size`: bytes with an optional `k`/`K` or `m`/`M` suffix (no
/// `g`: that is only for offsets).
pub fn parse_size(s: &str) -> Option<i64> {
    scaled(s, &[(b'k', 1024), (b'm', 1024 * 1024)])
}

/// `ngx_parse_offset`: like a size, plus `g`/`G`.
pub fn parse_offset(s: &str) -> Option<i64> {
    scaled(
        s,
        &[
            (b'k', 1024),
            (b'm', 1024 * 1024),
            (b'g', 1024 * 1024 * 1024),
        ],
    )
}

/// `ngx_parse_time`: `1h30m`, `10s`, `500ms`, `2d`. With `is_sec` the result
/// is in seconds and `ms` is refused; without it (msec slots) the result is
/// in milliseconds and `y` and `M` are refused. Units must come in
/// decreasing order, each at most once; a bare number means seconds.
pub fn parse_time(s: &str, is_sec: bool) -> Option<i64> {
    #[derive(PartialEq, PartialOrd, Clone, Copy)]
    enum Step {
        Start,
        Year,
        Month,
        Week,
        Day,
        Hour,
        Min,
        Sec,
        Msec,
        Last,
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut valid = false;
    let mut value: i64 = 0;
    let mut total: i64 = 0;
    let cutoff = MAX_INT / 10;
    let cutlim = MAX_INT % 10;
    let mut step = if is_sec { Step::Start } else { Step::Month };
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() {
            let d = i64::from(c - b'0');
            if value >= cutoff && (value > cutoff || d > cutlim) {
                return None;
            }
            value = value * 10 + d;
            valid = true;
            continue;
        }
        let (next, mut scale): (Step, i64) = match c {
            b'y' if step <= Step::Start => (Step::Year, 60 * 60 * 24 * 365),
            b'M' if step < Step::Month => (Step::Month, 60 * 60 * 24 * 30),
            b'w' if step < Step::Week => (Step::Week, 60 * 60 * 24 * 7),
            b'd' if step < Step::Day => (Step::Day, 60 * 60 * 24),
            b'h' if step < Step::Hour => (Step::Hour, 60 * 60),
            b'm' if b.get(i) == Some(&b's') => {
                if is_sec || step >= Step::Msec {
                    return None;
                }
                i += 1;
                (Step::Msec, 1)
            }
            b'm' if step < Step::Min => (Step::Min, 60),
            b's' if step < Step::Sec => (Step::Sec, 1),
            b' ' if step < Step::Sec => (Step::Last, 1),
            _ => return None,
        };
        step = next;
        let mut max = MAX_INT / scale;
        if step != Step::Msec && !is_sec {
            scale *= 1000;
            max /= 1000;
        }
        if value > max {
            return None;
        }
        value *= scale;
        if total > MAX_INT - value {
            return None;
        }
        total += value;
        value = 0;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if !valid {
        return None;
    }
    if !is_sec {
        if value > MAX_INT / 1000 {
            return None;
        }
        value *= 1000;
    }
    if total > MAX_INT - value {
        return None;
    }
    Some(total + value)
}

/// `ngx_conf_set_flag_slot`: `on` or `off`, case-insensitively.
pub fn parse_flag(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("on") {
        Some(true)
    } else if s.eq_ignore_ascii_case("off") {
        Some(false)
    } else {
        None
    }
}

/// The host part of a `listen` address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListenHost<'a> {
    /// `80`, `*:80`, `0.0.0.0:80`.
    AnyV4,
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    /// A host name nginx resolves at start-up (`localhost:8080`).
    Name(&'a str),
    /// `unix:/path`.
    Unix(&'a str),
}

/// A parsed `listen` address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenAddr<'a> {
    pub host: ListenHost<'a>,
    /// First port (0 for unix sockets).
    pub port: u16,
    /// Last port of a range (`8000-8010`, nginx 1.27.3+), else `port`.
    pub last_port: u16,
}

impl<'a> ListenAddr<'a> {
    /// The address as nginx prints it (`0.0.0.0:80`, `[::]:443`,
    /// `unix:/run/x.sock`), for messages.
    pub fn display(&self) -> String {
        match self.host {
            ListenHost::AnyV4 => format!("0.0.0.0:{}", self.port),
            ListenHost::V4(a) => format!("{a}:{}", self.port),
            ListenHost::V6(a) => format!("[{a}]:{}", self.port),
            ListenHost::Name(n) => format!("{n}:{}", self.port),
            ListenHost::Unix(p) => format!("unix:{p}"),
        }
    }

    /// The address with wildcards and `localhost` normalised, for comparing
    /// listeners; None for names nginx would resolve (unknown here).
    pub fn key(&self) -> Option<(ListenHost<'a>, u16)> {
        let host = match self.host {
            ListenHost::AnyV4 => ListenHost::V4(Ipv4Addr::UNSPECIFIED),
            ListenHost::Name(n) if n.eq_ignore_ascii_case("localhost") => {
                ListenHost::V4(Ipv4Addr::LOCALHOST)
            }
            ListenHost::Name(_) => return None,
            h => h,
        };
        Some((host, self.port))
    }
}

fn port(s: &str) -> Option<u16> {
    match atoi(s) {
        Some(n) if (1..=65535).contains(&n) => u16::try_from(n).ok(),
        _ => None,
    }
}

/// A port or a port range `a-b` (a ≤ b).
fn port_range(s: &str) -> Result<(u16, u16), &'static str> {
    match s.split_once('-') {
        Some((a, b)) => {
            let last = port(b).ok_or("invalid port")?;
            let first = port(a).ok_or("invalid port")?;
            if first > last {
                return Err("invalid port range");
            }
            Ok((first, last))
        }
        None => port(s).map(|p| (p, p)).ok_or("invalid port"),
    }
}

/// Parse a `listen` address the way `ngx_parse_url` does with `listen = 1`
/// (default port 80). The error is nginx's `u->err` text: nginx prints
/// `"<err> in "<addr>" of the "listen" directive"`.
pub fn parse_listen(s: &str) -> Result<ListenAddr<'_>, &'static str> {
    // `get`: a multi-byte character across byte 5 is not "unix:", not a panic.
    if let Some(path) = s
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("unix:"))
        .map(|_| &s[5..])
    {
        if path.is_empty() {
            return Err("no path in the unix domain socket");
        }
        return Ok(ListenAddr {
            host: ListenHost::Unix(path),
            port: 0,
            last_port: 0,
        });
    }
    if let Some(rest) = s.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err("invalid host");
        };
        let addr: Ipv6Addr = rest[..close].parse().map_err(|_| "invalid IPv6 address")?;
        let after = &rest[close + 1..];
        let (port, last_port) = if after.is_empty() {
            (80, 80)
        } else if let Some(p) = after.strip_prefix(':') {
            port_range(p)?
        } else {
            return Err("invalid host");
        };
        return Ok(ListenAddr {
            host: ListenHost::V6(addr),
            port,
            last_port,
        });
    }
    if s.contains('/') || s.contains('?') {
        return Err("invalid host");
    }
    let (host, port, last_port) = match s.find(':') {
        Some(i) => {
            let (p, l) = port_range(&s[i + 1..])?;
            (&s[..i], p, l)
        }
        None => {
            // A value that parses as a number is a port.
            let (first, last) = s.split_once('-').unwrap_or((s, ""));
            if atoi(first).is_some() && (last.is_empty() || atoi(last).is_some()) {
                let (p, l) = port_range(s)?;
                return Ok(ListenAddr {
                    host: ListenHost::AnyV4,
                    port: p,
                    last_port: l,
                });
            }
            (s, 80, 80)
        }
    };
    if host.is_empty() {
        return Err("no host");
    }
    let host = if host == "*" {
        ListenHost::AnyV4
    } else if let Ok(a) = host.parse::<Ipv4Addr>() {
        if a.is_unspecified() {
            ListenHost::AnyV4
        } else {
            ListenHost::V4(a)
        }
    } else {
        ListenHost::Name(host)
    };
    Ok(ListenAddr {
        host,
        port,
        last_port,
    })
}

/// Why a `listen` parameter (after the address) is wrong, in nginx's words.
/// `Ok` for the parameters nginx knows (`ssl`, `http2`, `default_server`,
/// `backlog=N`, `reuseport`, …). Linux build assumed (no `setfib`, no
/// `accept_filter`).
pub fn check_listen_param(p: &str) -> Result<(), String> {
    const PLAIN: &[&str] = &[
        "default_server",
        "default",
        "bind",
        "deferred",
        "reuseport",
        "multipath",
        "ssl",
        "http2",
        "quic",
        "proxy_protocol",
    ];
    if PLAIN.contains(&p) {
        return Ok(());
    }
    let bad = |what: &str| Err(format!("invalid {what} \"{p}\""));
    if let Some(v) = p.strip_prefix("backlog=") {
        return match atoi(v) {
            Some(n) if n > 0 => Ok(()),
            _ => bad("backlog"),
        };
    }
    if let Some(v) = p.strip_prefix("fastopen=") {
        return match atoi(v) {
            Some(_) => Ok(()),
            None => bad("fastopen"),
        };
    }
    for key in ["rcvbuf=", "sndbuf="] {
        if let Some(v) = p.strip_prefix(key) {
            return match parse_size(v) {
                Some(_) => Ok(()),
                None => bad(&key[..key.len() - 1]),
            };
        }
    }
    if p.starts_with("accept_filter=") {
        return Ok(());
    }
    if let Some(v) = p.strip_prefix("ipv6only=o") {
        return if v == "n" || v == "ff" {
            Ok(())
        } else {
            Err(format!("invalid ipv6only flags \"{}\"", &p[9..]))
        };
    }
    if let Some(v) = p.strip_prefix("so_keepalive=") {
        return if so_keepalive_ok(v) {
            Ok(())
        } else {
            Err(format!("invalid so_keepalive value: \"{v}\""))
        };
    }
    Err(format!("invalid parameter \"{p}\""))
}

/// `so_keepalive=on|off|[keepidle]:[keepintvl]:[keepcnt]`.
fn so_keepalive_ok(v: &str) -> bool {
    if v == "on" || v == "off" {
        return true;
    }
    let mut parts = v.splitn(3, ':');
    let idle = parts.next().unwrap_or("");
    let intvl = parts.next().unwrap_or("");
    let cnt = parts.next().unwrap_or("");
    let t = |s: &str| s.is_empty() || parse_time(s, true).is_some();
    let mut any = false;
    for s in [idle, intvl] {
        if !t(s) {
            return false;
        }
        any |= parse_time(s, true).is_some_and(|n| n != 0);
    }
    if !cnt.is_empty() {
        match atoi(cnt) {
            Some(n) => any |= n != 0,
            None => return false,
        }
    }
    any
}

/// Whether a value contains an nginx variable (`$name`, `${name}`).
pub fn has_variable(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && b.get(i + 1)
                .is_some_and(|&n| n == b'{' || n == b'_' || n.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("8k"), Some(8192));
        assert_eq!(parse_size("8K"), Some(8192));
        assert_eq!(parse_size("1m"), Some(1 << 20));
        assert_eq!(parse_size("1g"), None);
        assert_eq!(parse_size("k"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("1.5m"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("10 m"), None);
        assert_eq!(parse_offset("2g"), Some(2 << 30));
        assert_eq!(parse_offset("2G"), Some(2 << 30));
        assert_eq!(parse_offset("100mb"), None);
        assert_eq!(parse_offset("99999999999999999999"), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("30", true), Some(30));
        assert_eq!(parse_time("30s", true), Some(30));
        assert_eq!(parse_time("1h30m", true), Some(5400));
        assert_eq!(parse_time("1h 30m", true), Some(5400));
        assert_eq!(parse_time("1d", true), Some(86400));
        assert_eq!(parse_time("1y", true), Some(31_536_000));
        assert_eq!(parse_time("1M", true), Some(2_592_000));
        assert_eq!(parse_time("500ms", true), None);
        assert_eq!(parse_time("500ms", false), Some(500));
        assert_eq!(parse_time("60", false), Some(60_000));
        assert_eq!(parse_time("1m", false), Some(60_000));
        assert_eq!(parse_time("1s500ms", false), Some(1500));
        assert_eq!(parse_time("1y", false), None);
        assert_eq!(parse_time("1M", false), None);
        assert_eq!(parse_time("30m1h", true), None);
        assert_eq!(parse_time("1h1h", true), None);
        assert_eq!(parse_time("10sec", true), None);
        assert_eq!(parse_time("s", true), None);
        assert_eq!(parse_time("", true), None);
        assert_eq!(parse_time("1.5s", true), None);
    }

    #[test]
    fn flags_and_numbers() {
        assert_eq!(parse_flag("on"), Some(true));
        assert_eq!(parse_flag("OFF"), Some(false));
        assert_eq!(parse_flag("yes"), None);
        assert_eq!(atoi("0"), Some(0));
        assert_eq!(atoi("+1"), None);
        assert_eq!(atoi("9223372036854775808"), None);
        assert!(has_variable("http://$host"));
        assert!(has_variable("${a}b"));
        assert!(!has_variable("a$"));
    }

    #[test]
    fn listen_addresses() {
        let a = parse_listen("80").unwrap();
        assert_eq!((a.host, a.port), (ListenHost::AnyV4, 80));
        assert_eq!(a.display(), "0.0.0.0:80");
        assert_eq!(parse_listen("*:80").unwrap().key(), a.key());
        assert_eq!(parse_listen("0.0.0.0:80").unwrap().key(), a.key());
        let v6 = parse_listen("[::]:80").unwrap();
        assert_ne!(v6.key(), a.key());
        assert_eq!(v6.display(), "[::]:80");
        assert_eq!(parse_listen("[::1]").unwrap().port, 80);
        assert_eq!(
            parse_listen("127.0.0.1").unwrap().host,
            ListenHost::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            parse_listen("localhost:8080").unwrap().key(),
            parse_listen("127.0.0.1:8080").unwrap().key()
        );
        assert_eq!(parse_listen("example.com:80").unwrap().key(), None);
        assert!(matches!(
            parse_listen("unix:/run/x.sock").unwrap().host,
            ListenHost::Unix("/run/x.sock")
        ));
        assert_eq!(parse_listen("70000"), Err("invalid port"));
        assert_eq!(parse_listen("0"), Err("invalid port"));
        assert_eq!(parse_listen("1.2.3.4:0"), Err("invalid port"));
        assert_eq!(parse_listen("1.2.3.4:abc"), Err("invalid port"));
        assert_eq!(parse_listen(":80"), Err("no host"));
        assert_eq!(parse_listen("8010-8000"), Err("invalid port range"));
        assert_eq!(parse_listen("8000-8010").unwrap().last_port, 8010);
        assert_eq!(parse_listen("a/b"), Err("invalid host"));
    }

    #[test]
    fn listen_params() {
        for ok in [
            "ssl",
            "http2",
            "default_server",
            "backlog=511",
            "reuseport",
            "rcvbuf=64k",
            "ipv6only=on",
            "so_keepalive=on",
            "so_keepalive=30m::10",
            "proxy_protocol",
            "fastopen=256",
        ] {
            assert_eq!(check_listen_param(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_listen_param("defualt_server"),
            Err("invalid parameter \"defualt_server\"".into())
        );
        assert_eq!(
            check_listen_param("backlog=0"),
            Err("invalid backlog \"backlog=0\"".into())
        );
        assert_eq!(
            check_listen_param("ipv6only=of"),
            Err("invalid ipv6only flags \"of\"".into())
        );
        assert!(check_listen_param("ipv6only=yes").is_err());
        assert!(check_listen_param("so_keepalive=x").is_err());
        assert!(check_listen_param("so_keepalive=::").is_err());
    }
}

#[cfg(test)]
mod char_boundary_tests {
    /// Regression (proptest in CI): a multi-byte character across byte 5
    /// made the `unix:` check slice inside it.
    #[test]
    fn listen_with_a_character_across_the_unix_prefix() {
        // Before the fix both panicked; what they parse to does not matter.
        let _ = super::parse_listen("W\u{fffd}\u{fffd}N");
        let _ = super::parse_listen("unix\u{e9}/x");
        assert!(super::parse_listen("UNIX:/run/a.sock").is_ok());
    }
}
