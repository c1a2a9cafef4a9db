//! The request `route` follows, from the command line: a URL (scheme,
//! host, port, path, query), a method, headers and the client's address;
//! the HTTP version, whether a Host is sent and whether the request line
//! carries the URL whole (absolute form).

use std::net::IpAddr;

use super::server::Conn;

#[derive(Clone, Debug)]
pub struct Request {
    pub scheme: String,
    /// The connection's local address and port.
    pub conn: Conn,
    /// The Host header as sent (None: absent, `--no-host`).
    pub host: Option<String>,
    /// The request target (`/path?query`), as sent.
    pub target: Vec<u8>,
    /// The host of an absolute-form request line (`GET http://host:port/path`,
    /// `--absolute-form`), as sent, port included; None: origin form.
    pub absolute: Option<String>,
    pub version: HttpVersion,
    pub method: String,
    /// Names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub client_ip: Option<IpAddr>,
    /// Where the files the request reaches are looked at: `--root DIR`,
    /// `/` with `--live`; None: their existence is not known.
    pub files: Option<std::path::PathBuf>,
    /// The TLS server name the client sends (https): the URL's host
    /// unless it is an IP address (RFC 6066 allows no literal address),
    /// or `--sni`.
    pub sni: Option<String>,
    /// The machine's hostname (`--live`), for `server_name $hostname`;
    /// None: not known.
    pub hostname: Option<String>,
    /// The client certificate the client presents when a server asks for
    /// one (`--client-cert`); None: it has none.
    pub client_cert: Option<ClientCert>,
}

/// The request line's HTTP version (`--http-version`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpVersion {
    /// HTTP/1.0: a request without Host goes on, as for the name `""`.
    #[value(name = "1.0")]
    V10,
    /// HTTP/1.1: a request without Host is a 400.
    #[default]
    #[value(name = "1.1")]
    V11,
}

impl HttpVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpVersion::V10 => "1.0",
            HttpVersion::V11 => "1.1",
        }
    }
}

/// A client certificate, as far as `route` is told: it checks no chain,
/// so whether a certificate verifies is the user's to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientCert {
    /// Sent, its validity not known: taken to verify, a failure listed.
    #[default]
    Sent,
    /// Sent, from an issuer the server does not trust (a self-signed
    /// certificate, another CA): `ssl_verify_client on`/`optional` refuse it
    /// (495), `optional_no_ca` lets it through.
    Untrusted,
}

impl Request {
    /// From a URL (`https://shop.example.com:8443/api?x=1`) and the
    /// options: the Host header is the URL's authority unless a `Host:`
    /// header is given; the connection's address is the URL's host when
    /// it is an IP address (`localhost` is 127.0.0.1), else unknown.
    pub fn from_url(
        url: &str,
        method: &str,
        headers: &[String],
        client_ip: Option<&str>,
    ) -> Result<Request, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("`{url}`: a URL needs a scheme (http:// or https://)"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(format!("`{url}`: the scheme must be http or https")),
        };
        let (authority, path) = rest.split_at(authority_len(rest));
        let target = match path.strip_prefix('?') {
            Some(q) => format!("/?{q}"),
            None if path.is_empty() => "/".to_string(),
            None => path.to_string(),
        };
        let (host, port) = split_authority(authority, default_port)
            .ok_or_else(|| format!("`{url}`: the port is not a number from 1 to 65535"))?;
        let ip = if host.eq_ignore_ascii_case("localhost") {
            Some(IpAddr::from([127, 0, 0, 1]))
        } else {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok()
        };
        let mut hdrs = Vec::new();
        for h in headers {
            let (k, v) = h
                .split_once(':')
                .ok_or_else(|| format!("`{h}`: a header is `Name: value`"))?;
            hdrs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let host_header = match hdrs.iter().find(|(k, _)| k == "host") {
            Some((_, v)) => Some(v.clone()),
            None => Some(authority.to_string()),
        };
        if !hdrs.iter().any(|(k, _)| k == "host") {
            hdrs.insert(0, ("host".into(), authority.to_string()));
        }
        let client_ip = match client_ip {
            Some(c) => Some(
                c.parse()
                    .map_err(|_| format!("`{c}`: --client-ip needs an IP address"))?,
            ),
            None => None,
        };
        Ok(Request {
            sni: (scheme == "https" && ip.is_none()).then(|| host.to_string()),
            scheme,
            conn: Conn { ip, port },
            host: host_header,
            target: target.into_bytes(),
            absolute: None,
            version: HttpVersion::V11,
            method: method.to_ascii_uppercase(),
            headers: hdrs,
            client_ip,
            files: None,
            hostname: None,
            client_cert: None,
        })
    }
}

impl Request {
    /// Send no Host header (`--no-host`); a `Host:` header given too is an
    /// error (`--header 'Host:'` sends an empty one, which nginx refuses).
    pub fn without_host(&mut self, given: &[String]) -> Result<(), String> {
        let named = |h: &String| {
            h.split(':')
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("host"))
        };
        if given.iter().any(named) {
            return Err("--no-host and a `Host:` header: choose one".into());
        }
        self.host = None;
        self.headers.retain(|(k, _)| k != "host");
        Ok(())
    }

    /// Send `url` whole as the request target (`--absolute-form`): its
    /// authority becomes the request line's host.
    pub fn absolute_form(&mut self, url: &str) {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        self.absolute = Some(rest[..authority_len(rest)].to_string());
    }

    /// The host that names the server: the request line's (absolute form)
    /// over the Host header (`ngx_http_process_request_line` sets
    /// `r->headers_in.server` first, `ngx_http_process_host` then keeps
    /// it); None: neither.
    pub fn naming_host(&self) -> Option<&str> {
        self.absolute.as_deref().or(self.host.as_deref())
    }

    /// Why nginx's request-line parser refuses the absolute form's host
    /// (`ngx_http_parse_request_line`, states `sw_host` to `sw_port`):
    /// letters, digits, `.` and `-`, or an IP literal in brackets, then an
    /// optional port of digits. None: it parses (or origin form).
    pub fn line_host_error(&self) -> Option<&'static str> {
        const REFUSED: &str = "the request line's host has a character nginx's parser refuses";
        let a = self.absolute.as_deref()?;
        // What follows the host: nothing or `:port`.
        let port = match a.strip_prefix('[') {
            Some(literal) => {
                let Some((inner, rest)) = literal.split_once(']') else {
                    return Some(REFUSED);
                };
                let ok = |c: u8| c.is_ascii_alphanumeric() || b":-._~!$&'()*+,;=".contains(&c);
                if !inner.bytes().all(ok) {
                    return Some(REFUSED);
                }
                rest
            }
            None => {
                let ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
                &a[a.find(|c| !ok(c)).unwrap_or(a.len())..]
            }
        };
        match port.strip_prefix(':') {
            None if port.is_empty() => None,
            Some(p) if p.bytes().all(|c| c.is_ascii_digit()) => None,
            _ => Some(REFUSED),
        }
    }
}

/// The length of the authority at the start of `rest` (what follows
/// `scheme://`): up to the first `/` or `?`.
fn authority_len(rest: &str) -> usize {
    rest.find(['/', '?']).unwrap_or(rest.len())
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_authority(a: &str, default_port: u16) -> Option<(&str, u16)> {
    let a = a.rsplit_once('@').map_or(a, |(_, h)| h);
    let (host, port) = if a.starts_with('[') {
        match a.find(']') {
            Some(i) => (&a[..=i], a[i + 1..].strip_prefix(':')),
            None => (a, None),
        }
    } else {
        match a.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        }
    };
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0)?,
        None => default_port,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let r = Request::from_url("https://Shop.example.com/api?x=1", "get", &[], None);
        let r = r.ok();
        assert_eq!(r.as_ref().map(|r| r.conn.port), Some(443));
        assert_eq!(
            r.as_ref().and_then(|r| r.host.clone()),
            Some("Shop.example.com".into())
        );
        assert_eq!(
            r.as_ref().map(|r| r.target.clone()),
            Some(b"/api?x=1".to_vec())
        );
        let r = Request::from_url("http://[::1]:8080", "GET", &["Host: a.test".into()], None).ok();
        assert_eq!(r.as_ref().and_then(|r| r.conn.ip), "::1".parse().ok());
        assert_eq!(
            r.as_ref().and_then(|r| r.host.clone()),
            Some("a.test".into())
        );
        assert!(Request::from_url("ftp://x/", "GET", &[], None).is_err());
        let r = Request::from_url("http://a.test/", "GET", &["Host: b.test".into()], None);
        assert!(r.is_ok_and(|mut r| r.without_host(&["Host: b.test".into()]).is_err()));
        assert!(Request::from_url("http://x:99999/", "GET", &[], None).is_err());
    }

    #[test]
    fn no_host_and_absolute_form() {
        let mut r = Request::from_url("http://a.test:8080/x", "GET", &[], None).expect("url");
        assert!(r.without_host(&[]).is_ok());
        assert_eq!((r.host.clone(), r.headers.len()), (None, 0));
        assert_eq!(r.naming_host(), None);
        r.absolute_form("http://B.test:8080/x?y");
        assert_eq!(r.naming_host(), Some("B.test:8080"));
        assert_eq!(r.target, b"/x".to_vec());
    }

    #[test]
    fn request_line_hosts_nginx_parses() {
        let error = |authority: &str| {
            let mut r = Request::from_url("http://x/", "GET", &[], None).expect("url");
            r.absolute = Some(authority.into());
            r.line_host_error().is_some()
        };
        for ok in [
            "b.test",
            "b.test:8080",
            "b.test:",
            "[::1]",
            "[::1]:80",
            "bad..host",
            "",
        ] {
            assert!(!error(ok), "{ok}");
        }
        for refused in [
            "a_b.test",
            "u@b.test",
            "b.test:8x",
            "[::1",
            "[::1]x",
            "b.test:80:1",
        ] {
            assert!(error(refused), "{refused}");
        }
    }
}
