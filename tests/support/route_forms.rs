//! Requests without Host and in the absolute form, for tests/route_nginx.rs:
//! sent to the `GAPS` configuration over raw TCP (plain HTTP) and through
//! curl (TLS: `--http1.0`, `-H 'Host:'` for none, `--request-target`), and
//! asked of route as its options say (`--http-version`, `--no-host`,
//! `--absolute-form`, `--sni`).
//!
//! Checked by hand first (nginx 1.22.1): without Host, HTTP/1.1 is the 400
//! in the server the name `""` picks (`server_name noh.test ""`, not the
//! default), HTTP/1.0 goes on there; over TLS that is the address's default
//! or `""` server, not the SNI's, and a 421 when it verifies client
//! certificates; the absolute form's host picks the server whatever the
//! Host says, and `$host` is it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nginx_lint::route::Engine;
use nginx_lint::route::request::{HttpVersion, Request};
use nginx_lint::route::run::run;

use HttpVersion::{V10, V11};

/// One plain request: the port (0: `{P1}`, 3: `{P4}`), the version, the
/// absolute form's host (None: origin form; the port is added), the path,
/// the headers as sent (a request without a `Host:` line has none).
type Form = (
    usize,
    HttpVersion,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

pub const FORMS: &[Form] = &[
    // No Host: the `""` server of {P1}, the default of {P4}.
    (0, V10, None, "/x", &[]),
    (0, V11, None, "/x", &[]),
    (3, V10, None, "/x", &[]),
    (3, V11, None, "/x", &[]),
    // An empty Host is one nginx refuses, not none.
    (0, V11, None, "/x", &["Host:"]),
    (0, V10, None, "/x", &["Host: b.test"]),
    (
        0,
        V10,
        None,
        "/x",
        &["Host: b.test", "Transfer-Encoding: chunked"],
    ),
    // The absolute form: its host over the Host.
    (0, V11, Some("b.test"), "/x?q=1", &["Host: a.test"]),
    (0, V11, Some("b.test"), "", &["Host: a.test"]),
    (0, V11, Some("B.TEST."), "/x", &["Host: a.test"]),
    (0, V11, Some("a.test"), "/x", &["Host: b.test"]),
    (0, V11, Some("unknown.test"), "/x", &["Host: b.test"]),
    (0, V11, Some("b.test"), "/x", &[]),
    (0, V10, Some("b.test"), "/x", &[]),
    // Refused in the request line's server (the Host comes after it).
    (0, V11, Some("b.test"), "/x", &["Host: bad..host"]),
    (0, V11, Some("b.test"), "/x", &["Host:"]),
    (
        0,
        V11,
        Some("b.test"),
        "/x",
        &["Host: a.test", "Host: a.test"],
    ),
    (
        0,
        V11,
        Some("b.test"),
        "/x",
        &["Content-Length: 1", "Content-Length: 1", "Host: a.test"],
    ),
    // Refused before a server is chosen: the connection's.
    (0, V11, Some("a_b.test"), "/x", &["Host: b.test"]),
    (0, V11, Some("u@b.test"), "/x", &["Host: b.test"]),
    (0, V11, Some("bad..host"), "/x", &["Host: b.test"]),
    (0, V11, Some("b.test"), "/../x", &["Host: b.test"]),
];

/// One TLS request: the port (2: `{P3}`, 4: `{P5}`), the SNI, the absolute
/// form's host, the Host header (None: none), the version.
type TlsForm = (
    usize,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    HttpVersion,
);

pub const TLS_FORMS: &[TlsForm] = &[
    // No Host: the default server, not the SNI's ...
    (4, "s1.test", None, None, V10),
    (4, "s1.test", None, None, V11),
    (4, "sv.test", None, None, V10),
    // ... a 421 in the SNI's when the default verifies.
    (2, "on.test", None, None, V10),
    (2, "onep.test", None, None, V10),
    (2, "opt.test", None, None, V11),
    // An SNI that named no server: no 421.
    (4, "zz.test", None, Some("sv.test"), V11),
    (4, "s1.test", None, Some("sv.test"), V11),
    // The absolute form's host against the SNI, the Host aside.
    (4, "s1.test", Some("sv.test"), Some("s1.test"), V11),
    (4, "s1.test", Some("S1.test"), Some("sv.test"), V11),
    (4, "s1.test", Some("s0.test"), None, V10),
];

/// The differences between nginx and route over [`FORMS`] and
/// [`TLS_FORMS`], and how many requests were sent.
pub fn differences(engine: &Engine<'_, '_>, d: &Path, ports: [u16; 5]) -> (usize, Vec<String>) {
    let mut diffs = Vec::new();
    for &(pi, version, line, path, headers) in FORMS {
        let port = ports[pi];
        let url = format!("http://{}:{port}{path}", line.unwrap_or("b.test"));
        let target = match line {
            Some(_) => url.clone(),
            None => path.to_string(),
        };
        let theirs = raw_line(
            port,
            &format!("GET {target} HTTP/{}", version.as_str()),
            headers,
        );
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        let mine = ours(engine, &url, &headers, None, version, line.is_some());
        if theirs != mine {
            diffs.push(format!(
                "GET {target} HTTP/{} {headers:?}: nginx {theirs:?}, route {mine:?}",
                version.as_str()
            ));
        }
    }
    for &case @ (pi, sni, line, host, version) in TLS_FORMS {
        let port = ports[pi];
        let theirs = curl_form(d, port, case);
        let url = format!("https://{}:{port}/x", line.unwrap_or(sni));
        let headers: Vec<String> = host.map(|h| format!("Host: {h}")).into_iter().collect();
        let mine = ours(engine, &url, &headers, Some(sni), version, line.is_some());
        if theirs != mine {
            diffs.push(format!("{case:?}: nginx {theirs:?}, route {mine:?}"));
        }
    }
    (FORMS.len() + TLS_FORMS.len(), diffs)
}

/// nginx's answer to a request line and headers over TCP to 127.0.0.1.
pub fn raw_line(port: u16, line: &str, headers: &[&str]) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return "refused".into();
    };
    let mut req = format!("{line}\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("Connection: close\r\n\r\n");
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    if s.write_all(req.as_bytes()).is_err() {
        return "write failed".into();
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    super::response(&String::from_utf8_lossy(&buf))
}

/// nginx's answer to a [`TlsForm`] through curl.
fn curl_form(d: &Path, port: u16, (_, sni, line, host, version): TlsForm) -> String {
    let mut c = Command::new("curl");
    c.args(["-sk", "--path-as-is", "-D", "-", "--max-time", "5"]);
    c.args(["--resolve", &format!("{sni}:{port}:127.0.0.1")]);
    // `-H 'Host:'` removes curl's own Host.
    c.args([
        "-H",
        &format!("Host:{}", host.map(|h| format!(" {h}")).unwrap_or_default()),
    ]);
    if let Some(l) = line {
        c.args(["--request-target", &format!("https://{l}:{port}/x")]);
    }
    if version == V10 {
        c.arg("--http1.0");
    }
    let o = c
        .current_dir(d)
        .arg(format!("https://{sni}:{port}/x"))
        .output()
        .expect("run curl");
    super::response(&String::from_utf8_lossy(&o.stdout))
}

/// route's answer: `headers` without a Host sends none (`--no-host`).
fn ours(
    engine: &Engine<'_, '_>,
    url: &str,
    headers: &[String],
    sni: Option<&str>,
    version: HttpVersion,
    absolute: bool,
) -> String {
    let mut req = Request::from_url(url, "GET", headers, None).expect("url");
    req.files = Some("/".into());
    req.version = version;
    let has_host = headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("host:"));
    if !has_host {
        req.without_host(headers).expect("no Host header given");
    }
    if absolute {
        req.absolute_form(url);
    }
    if let Some(s) = sni {
        req.sni = Some(s.to_string());
    }
    super::shown(&run(engine, &req))
}
