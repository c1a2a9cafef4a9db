//! SNI and Host choose apart (nginx 1.22, ngx_http_request.c). The TLS
//! handshake happens before the request: `ngx_http_ssl_servername`
//! validates the SNI name like a Host (an invalid one fails the
//! handshake), looks it up in the address's names like a Host and takes
//! that server's certificate; no SNI, or no name matching, keeps the
//! address's default server. That server is the connection's (its
//! `error_page` answers what nginx refuses before a Host is read).
//! `ngx_http_set_virtual_server` then chooses the request's server by the
//! request line's host, else the Host, else the name `""` (the SNI's
//! server when that host is the same string), and when the SNI named a
//! server and the host's server (its default when none matches) has
//! `ssl_verify_client`, the request is refused with 421 ("client
//! attempted to request the server name different from the one that was
//! negotiated"). A request without Host is thus not the SNI's either.

use super::Engine;
use super::server::{self, Choice, Socket};
use crate::model::Model;
use crate::nginx::ast::Directive;

/// The server the handshake used and the SNI name as nginx kept it.
pub struct Handshake {
    pub sni: Option<String>,
    pub choice: Choice,
}

/// The handshake's server for `sni` (None: the client sent none); Err: the
/// handshake fails.
pub fn handshake(
    engine: &Engine<'_, '_>,
    k: &Socket,
    sni: Option<&str>,
) -> Result<Handshake, String> {
    let Some(name) = sni.filter(|s| !s.is_empty()) else {
        return Ok(Handshake {
            sni: None,
            choice: server::default_choice(k),
        });
    };
    let host = server::validate_host(name)
        .map_err(|why| format!("invalid SNI {name}: {why}; the TLS handshake fails"))?;
    let choice = engine.choose(k, &host);
    Ok(Handshake {
        sni: Some(host),
        choice,
    })
}

/// Whether a server verifies client certificates (`ssl_verify_client`
/// other than `off`, its own or inherited): the directive deciding it.
pub fn verifies<'t>(model: &Model<'t>, server: usize) -> Option<&'t Directive> {
    let s = model.servers.get(server)?;
    model
        .effective_one(s.scope, "ssl_verify_client")
        .filter(|d| d.arg(0).is_some_and(|a| a != "off"))
}

/// The certificates a server presents (`ssl_certificate`, own or
/// inherited).
pub fn certificates<'t>(model: &Model<'t>, server: usize) -> Vec<&'t Directive> {
    model
        .servers
        .get(server)
        .map(|s| model.effective(s.scope, "ssl_certificate").collect())
        .unwrap_or_default()
}
