//! What nginx answers before any phase runs (nginx 1.22,
//! ngx_http_request.c), and whose configuration answers it. Each of these
//! errors goes through `ngx_http_finalize_request` →
//! `ngx_http_special_response_handler`, so the `error_page` list of the
//! server whose configuration the request holds at that moment applies
//! (its server level: no location is selected yet), and a page there is
//! an internal redirect into that server's locations:
//!
//! - a request target `ngx_http_parse_complex_uri` refuses
//!   (`ngx_http_process_request_uri`), an absolute-form host the
//!   request-line parser or `ngx_http_validate_host` refuses, and an
//!   invalid Host (`ngx_http_process_host` → `ngx_http_validate_host`):
//!   400, in the connection's server (`hc->conf_ctx`: the address's
//!   default server, or the SNI's after the handshake,
//!   `ngx_http_ssl_servername`), unless the absolute form chose a server
//!   before the Host was read: then in that one;
//! - a host (the request line's, the Host's, `""` for none) other than an
//!   SNI that named a server, naming a server with `ssl_verify_client`
//!   (`ngx_http_set_virtual_server`): 421, in the handshake's server,
//!   before the host's is taken;
//! - a header nginx takes once sent twice (Host, Content-Length,
//!   Transfer-Encoding, If-Match, …: `ngx_http_process_host`,
//!   `ngx_http_process_unique_header_line`): 400, in the Host's server
//!   when the Host came before it, else the connection's;
//! - `ngx_http_process_request_header`, in the Host's server (with no Host,
//!   the one it has just looked the name `""` up for): HTTP/1.1 without
//!   Host (400), a bad Content-Length, a Transfer-Encoding with one or on
//!   HTTP/1.0 (400), other than `chunked` (501), CONNECT and TRACE (405);
//! - then `ngx_http_process_request`, in the Host's server: plain HTTP on
//!   an `ssl` listen (NGX_HTTP_TO_HTTPS, 497); with `ssl_verify_client`,
//!   a certificate that does not verify (NGX_HTTPS_CERT_ERROR, 495;
//!   `optional_no_ca` lets an untrusted issuer through,
//!   `ngx_ssl_verify_error_optional`) and, with `on`, none sent
//!   (NGX_HTTPS_NO_CERT, 496).
//!
//! `error_page` matches 494–497 as such (`error_page 400` does not catch
//! them); unmatched, they are answered as 400 with their own page ("No
//! required SSL certificate was sent", …), and a page without `=code`
//! answers 400 too (`ngx_http_core_error_page`). A client certificate is
//! asked for only when the handshake's server verifies
//! (`ngx_http_ssl_servername` takes its verify mode).

use super::Outcome;
use crate::route::Engine;
use crate::route::request::{ClientCert, HttpVersion, Request};
use crate::route::server::{self, Choice};
use crate::route::tls;

/// An error nginx finalizes the request with before its phases, nginx's
/// own code (494–497 before the client's 400) and the server whose
/// configuration answers it.
pub struct Early {
    pub code: u16,
    pub why: String,
    pub server: Choice,
}

/// The client's 400 for nginx's 494–497 (`ngx_http_special_response_handler`).
pub fn visible(code: u16) -> u16 {
    if (494..=497).contains(&code) {
        400
    } else {
        code
    }
}

/// The early error `req` meets, if any (`out.sel`, `out.tls` as the
/// selection and the handshake left them), in nginx's order. Sets
/// `$ssl_client_verify`'s value in `verify` for a request that goes on.
pub fn check(
    engine: &Engine<'_, '_>,
    req: &Request,
    out: &mut Outcome,
    verify: &mut Option<String>,
) -> Option<Early> {
    let k = out.sel.socket.and_then(|i| engine.sockets.get(i))?;
    // The connection's server: the handshake's, else the address's default.
    let conn = Choice {
        server: match &out.tls {
            Some(hs) => hs.choice.server,
            None => server::default_choice(k).server,
        },
        why: server::Why::Connection,
        undecided: Vec::new(),
    };
    let dup = duplicate(req);
    if let Some(why) = req.line_host_error() {
        return Some(early(400, format!("invalid request line: {why}"), conn));
    }
    if let Err(why) = &out.sel.uri {
        let why = format!("invalid request target: {why}");
        return Some(early(400, why, conn));
    }
    if let Some((name, false)) = dup {
        return Some(early(400, format!("duplicate {name} header"), conn));
    }
    if let Err(why) = &out.sel.host {
        let why = match req.absolute {
            Some(_) => format!("invalid host in request line: {why}"),
            None => format!("invalid Host: {why}"),
        };
        return Some(early(400, why, conn));
    }
    let chosen = clone(out.sel.server.as_ref()?);
    if let Some(why) = misdirected(engine, req, out, chosen.server) {
        return Some(early(421, why, conn));
    }
    if let Some((name, true)) = dup {
        return Some(early(400, format!("duplicate {name} header"), chosen));
    }
    // The absolute form's server is chosen; its Host is still validated.
    let header = req.host.as_deref().filter(|_| req.absolute.is_some());
    if let Some(Err(why)) = header.map(server::validate_host) {
        return Some(early(400, format!("invalid Host: {why}"), chosen));
    }
    if req.host.is_none() && req.version == HttpVersion::V11 {
        let why = "client sent HTTP/1.1 request without \"Host\" header".into();
        return Some(early(400, why, chosen));
    }
    if let Some((code, why)) = request_header(req) {
        return Some(early(code, why, chosen));
    }
    if req.scheme == "http" && k.ssl {
        let why = "The plain HTTP request was sent to HTTPS port".into();
        return Some(early(497, why, chosen));
    }
    let (code, why) = certificate(engine, req, out, verify, chosen.server)?;
    Some(early(code, why, chosen))
}

/// Whether nginx refuses `req` before its Host chooses a server (a bad
/// target or Host, a header sent twice before the Host): the connection's
/// server answers.
pub fn before_host(req: &Request, sel: &crate::route::Selected) -> bool {
    req.line_host_error().is_some()
        || sel.uri.is_err()
        || sel.host.is_err()
        || matches!(duplicate(req), Some((_, false)))
}

/// The headers nginx takes once only (`ngx_http_headers_in` of nginx
/// 1.22.1: Host, and those `ngx_http_process_unique_header_line` reads).
const UNIQUE: &[&str] = &[
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "if-match",
    "if-none-match",
    "content-length",
    "content-range",
    "if-range",
    "transfer-encoding",
    "expect",
    "authorization",
];

/// The first header of [`UNIQUE`] sent twice, and whether a server was
/// chosen before it (a Host came first, or the absolute form's host):
/// then that server holds the request.
fn duplicate(req: &Request) -> Option<(&str, bool)> {
    let mut seen: Vec<&str> = Vec::new();
    let mut host = req.absolute.is_some();
    for (k, _) in &req.headers {
        if UNIQUE.contains(&k.as_str()) {
            if seen.contains(&k.as_str()) {
                return Some((k, host));
            }
            seen.push(k);
        }
        host |= k == "host";
    }
    None
}

/// `ngx_http_process_request_header`, once the headers are read: a
/// Content-Length that is no number, Transfer-Encoding on HTTP/1.0 or with
/// a Content-Length (400), other than `chunked` (501); CONNECT and TRACE
/// (405).
fn request_header(req: &Request) -> Option<(u16, String)> {
    let header = |n: &str| req.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v);
    let cl = header("content-length");
    // ngx_atoof: digits only, within off_t.
    let number = |v: &str| v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok();
    if cl.is_some_and(|v| !number(v)) {
        return Some((400, "invalid Content-Length header".into()));
    }
    if let Some(te) = header("transfer-encoding") {
        if req.version == HttpVersion::V10 {
            return Some((400, "Transfer-Encoding in an HTTP/1.0 request".into()));
        }
        if !te.eq_ignore_ascii_case("chunked") {
            return Some((501, format!("unknown Transfer-Encoding: {te}")));
        }
        if cl.is_some() {
            return Some((400, "Content-Length and Transfer-Encoding at once".into()));
        }
    }
    if matches!(req.method.as_str(), "CONNECT" | "TRACE") {
        return Some((405, format!("{} method", req.method)));
    }
    None
}

/// A host (the request line's, the Host, or none) other than an SNI that
/// named a server, choosing a server that verifies client certificates:
/// why (a 421). An SNI no name matched leaves `hc->ssl_servername` unset
/// (`ngx_http_ssl_servername`): no 421 then.
fn misdirected(
    engine: &Engine<'_, '_>,
    req: &Request,
    out: &Outcome,
    chosen: usize,
) -> Option<String> {
    let hs = out.tls.as_ref()?;
    if matches!(hs.choice.why, server::Why::Default { .. }) {
        return None;
    }
    let sni = hs.sni.as_ref()?;
    let host = out.sel.host.as_ref().ok()?;
    if sni == host || tls::verifies(engine.model, chosen).is_none() {
        return None;
    }
    Some(match (host.as_str(), &req.absolute) {
        ("", _) => format!(
            "no Host after the SNI {sni}: the server for a request without Host verifies client certificates"
        ),
        (_, Some(_)) => format!(
            "the request line's host {host} is not the SNI {sni} and its server verifies client certificates"
        ),
        _ => format!(
            "the Host {host} is not the SNI {sni} and its server verifies client certificates"
        ),
    })
}

/// `ssl_verify_client` of the Host's server against the certificate
/// sent: the 495/496, or None (the request goes on, `verify` set).
fn certificate(
    engine: &Engine<'_, '_>,
    req: &Request,
    out: &mut Outcome,
    verify: &mut Option<String>,
    chosen: usize,
) -> Option<(u16, String)> {
    let hs = out.tls.as_ref()?;
    // The handshake's server asks for a certificate when it verifies.
    let asked = tls::verifies(engine.model, hs.choice.server).is_some();
    let cert = req.client_cert.filter(|_| asked);
    // A certificate the handshake took, for a Host's server that does not
    // verify: checked all the same, its result not known here.
    *verify = cert.is_none().then(|| "NONE".into());
    let mode = tls::verifies(engine.model, chosen).and_then(|d| d.arg(0))?;
    match (cert, mode) {
        (None, "on") => Some((
            496,
            "No required SSL certificate was sent; `--client-cert` sends one".into(),
        )),
        (None, _) => None,
        (Some(ClientCert::Untrusted), "optional_no_ca") => {
            // FAILED:<OpenSSL's reason>, which route does not compute.
            *verify = None;
            None
        }
        (Some(ClientCert::Untrusted), _) => {
            *verify = None;
            Some((
                495,
                "The SSL certificate error (its issuer is not trusted)".into(),
            ))
        }
        (Some(ClientCert::Sent), "optional_no_ca") => {
            *verify = None;
            out.alternatives.push(
                "the client certificate is not checked here: $ssl_client_verify is SUCCESS or FAILED:…; `ssl_verify_client optional_no_ca` lets an untrusted issuer through, another failure (an expired certificate) is a 495, answered as 400 (\"The SSL certificate error\") unless `error_page 495` catches it".into(),
            );
            None
        }
        (Some(ClientCert::Sent), _) => {
            *verify = Some("SUCCESS".into());
            out.alternatives.push(format!(
                "the client certificate is not checked here: taken to verify against `{}`; if it does not, 495, answered as 400 (\"The SSL certificate error\") unless `error_page 495` catches it",
                trust(engine, chosen)
            ));
            None
        }
    }
}

/// The CA file a server verifies client certificates against.
fn trust(engine: &Engine<'_, '_>, server: usize) -> String {
    let model = engine.model;
    model
        .servers
        .get(server)
        .and_then(|s| {
            ["ssl_client_certificate", "ssl_trusted_certificate"]
                .iter()
                .find_map(|n| model.effective_one(s.scope, n))
        })
        .map_or("its CA certificates".into(), |d| {
            format!("{} {}", d.name(), d.arg(0).unwrap_or(""))
        })
}

fn early(code: u16, why: String, server: Choice) -> Early {
    Early { code, why, server }
}

fn clone(c: &Choice) -> Choice {
    Choice {
        server: c.server,
        why: c.why.clone(),
        undecided: c.undecided.clone(),
    }
}
