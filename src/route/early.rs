//! What nginx answers before any phase runs (nginx 1.22,
//! ngx_http_request.c), and whose configuration answers it. Each of these
//! errors goes through `ngx_http_finalize_request` →
//! `ngx_http_special_response_handler`, so the `error_page` list of the
//! server whose configuration the request holds at that moment applies
//! (its server level: no location is selected yet), and a page there is
//! an internal redirect into that server's locations:
//!
//! - a request target `ngx_http_parse_complex_uri` refuses
//!   (`ngx_http_process_request_uri`) and an invalid Host
//!   (`ngx_http_process_host` → `ngx_http_validate_host`): 400, in the
//!   connection's server (`hc->conf_ctx`: the address's default server,
//!   or the SNI's after the handshake, `ngx_http_ssl_servername`);
//! - a Host other than the SNI naming a server with `ssl_verify_client`
//!   (`ngx_http_set_virtual_server`): 421, in the handshake's server,
//!   before the Host's is taken;
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
use crate::route::request::{ClientCert, Request};
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
/// selection and the handshake left them). Sets `$ssl_client_verify`'s
/// value in `verify` for a request that goes on.
pub fn check(
    engine: &Engine<'_, '_>,
    req: &Request,
    out: &mut Outcome,
    verify: &mut Option<String>,
) -> Option<Early> {
    let k = out.sel.socket.and_then(|i| engine.sockets.get(i))?;
    // The connection's server: the handshake's, else the address's default.
    let conn = || Choice {
        server: match &out.tls {
            Some(hs) => hs.choice.server,
            None => server::default_choice(k).server,
        },
        why: server::Why::Connection,
        undecided: Vec::new(),
    };
    if let Err(why) = &out.sel.uri {
        let why = format!("invalid request target: {why}");
        return Some(early(400, why, conn()));
    }
    if let Err(why) = &out.sel.host {
        let why = format!("invalid Host: {why}");
        return Some(early(400, why, conn()));
    }
    let chosen = out.sel.server.as_ref()?;
    if req.scheme == "http" && k.ssl {
        let why = "The plain HTTP request was sent to HTTPS port".into();
        return Some(early(497, why, clone(chosen)));
    }
    let hs = out.tls.as_ref()?;
    let mode = tls::verifies(engine.model, chosen.server).and_then(|d| d.arg(0));
    if let (Some(sni), Ok(host), true) = (&hs.sni, &out.sel.host, mode.is_some())
        && req.host.is_some()
        && sni != host
    {
        let why = format!(
            "the Host {host} is not the SNI {sni} and its server verifies client certificates"
        );
        return Some(early(421, why, conn()));
    }
    // The handshake's server asks for a certificate when it verifies.
    let asked = tls::verifies(engine.model, hs.choice.server).is_some();
    let cert = req.client_cert.filter(|_| asked);
    *verify = Some("NONE".into());
    let mode = mode?;
    match (cert, mode) {
        (None, "on") => Some(early(
            496,
            "No required SSL certificate was sent; `--client-cert` sends one".into(),
            clone(chosen),
        )),
        (None, _) => None,
        (Some(ClientCert::Untrusted), "optional_no_ca") => {
            // FAILED:<OpenSSL's reason>, which route does not compute.
            *verify = None;
            None
        }
        (Some(ClientCert::Untrusted), _) => {
            *verify = None;
            Some(early(
                495,
                "The SSL certificate error (its issuer is not trusted)".into(),
                clone(chosen),
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
                trust(engine, chosen.server)
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
