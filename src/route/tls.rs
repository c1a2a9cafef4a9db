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
    /// An SNI sent that nginx passed over (not a valid host name), and why.
    pub ignored: Option<(String, &'static str)>,
}

/// The handshake's server for `sni` (None: the client sent none); Err: the
/// handshake fails. As `ngx_http_ssl_servername` does: an SNI that
/// `ngx_http_validate_host` refuses, or that names no server, leaves the
/// address's default server (`goto done`), and a handshake whose server
/// says `ssl_reject_handshake on` ends in an `unrecognized_name` alert.
pub fn handshake(
    engine: &Engine<'_, '_>,
    k: &Socket,
    sni: Option<&str>,
) -> Result<Handshake, String> {
    let sent = sni.filter(|s| !s.is_empty());
    let checked = sent.map(|name| (name, server::validate_host(name)));
    let (sni, choice, ignored) = match checked {
        Some((_, Ok(host))) => {
            let choice = engine.choose(k, &host);
            (Some(host), choice, None)
        }
        Some((name, Err(why))) => (
            None,
            server::default_choice(k),
            Some((name.to_string(), why)),
        ),
        None => (None, server::default_choice(k), None),
    };
    if rejects(engine.model, choice.server) {
        return Err(
            "the handshake's server has `ssl_reject_handshake on`: nginx ends the handshake with an unrecognized_name alert".into(),
        );
    }
    Ok(Handshake {
        sni,
        choice,
        ignored,
    })
}

/// Whether `ssl_reject_handshake on` is in effect in a server.
fn rejects(model: &Model<'_>, server: usize) -> bool {
    model.servers.get(server).is_some_and(|s| {
        model
            .effective_one(s.scope, "ssl_reject_handshake")
            .is_some_and(|d| d.arg(0) == Some("on"))
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
