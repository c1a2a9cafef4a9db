//! Every example `graph --format json` gives for a location of the
//! real-world corpus is a request `route` sends to that location: the
//! request (the server's address and name, the example path) goes through
//! the route engine's whole selection (socket, server, URI normalisation,
//! location search), and the first location it selects must be the one
//! the example was printed for.

use std::path::Path;
use std::process::Command;

use nginx_lint::address::{Endpoint, Host};
use nginx_lint::model::Model;
use nginx_lint::route::Engine;
use nginx_lint::route::request::{HttpVersion, Request};
use nginx_lint::route::run::{Event, run};
use nginx_lint::route::server::Conn;
use nginx_lint::source::{SourceMap, Span};
use nginx_lint::{Inputs, load};

fn at(sources: &SourceMap, span: Span) -> String {
    let (l, _) = sources.start_of(span);
    format!("{}:{l}", sources.get(span.file).display)
}

/// A Host that selects a server by name: an exact name, or one a
/// wildcard matches; None (no Host: the default server) when it has no
/// such name.
fn host_for(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        if n.is_empty() || n.starts_with('~') || n.contains('$') {
            None
        } else if let Some(rest) = n.strip_prefix("*.") {
            Some(format!("a.{rest}"))
        } else if let Some(rest) = n.strip_prefix('.') {
            Some(rest.to_string())
        } else if let Some(rest) = n.strip_suffix(".*") {
            Some(format!("{rest}.com"))
        } else {
            Some(n.to_string())
        }
    })
}

fn request(model: &Model<'_>, si: usize, path: &str) -> Option<Request> {
    let s = &model.servers[si];
    let (ip, port, ssl) = s.listens.iter().find_map(|l| match &l.endpoint {
        Endpoint::Tcp(Host::Ip(ip), p) => Some((*ip, *p, l.ssl)),
        Endpoint::Tcp(Host::Any, p) => Some((std::net::IpAddr::from([127, 0, 0, 1]), *p, l.ssl)),
        _ => None,
    })?;
    let host = host_for(&s.names);
    // From a URL, then the connection, Host and target set (the fields a
    // later `Request` adds keep their defaults).
    let mut req = Request::from_url("http://localhost/", "GET", &[], None).ok()?;
    req.scheme = if ssl { "https" } else { "http" }.into();
    req.conn = Conn { ip: Some(ip), port };
    req.sni = host.clone().filter(|_| ssl);
    // A server without a name to send is asked without Host: HTTP/1.0,
    // which nginx answers (HTTP/1.1 without Host is its 400).
    if host.is_none() {
        req.version = HttpVersion::V10;
    }
    req.host = host;
    req.headers = Vec::new();
    req.target = path.as_bytes().to_vec();
    Some(req)
}

#[derive(Default, Debug)]
struct Tally {
    checked: usize,
    /// The server is not the one a request to its address and name gets
    /// (another server on the address takes the name, or a `return` or
    /// `rewrite` of the server changes the request first).
    not_addressed: usize,
    wrong: Vec<String>,
}

fn check_project(dir: &Path, tally: &mut Tally) {
    let out = Command::new(env!("CARGO_BIN_EXE_nginx-lint"))
        .args(["graph", "--format", "json"])
        .arg(dir)
        .output()
        .expect("nginx-lint graph runs");
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).expect("graph prints JSON");
    let loaded = load::load(&Inputs {
        paths: vec![dir.to_path_buf()],
        ..Inputs::default()
    })
    .expect("the project loads");
    let model = Model::build(&loaded);
    let engine = Engine::new(&model);
    let servers = g["servers"].as_array().cloned().unwrap_or_default();
    for s in &servers {
        let Some(si) = model
            .servers
            .iter()
            .position(|m| Some(at(&loaded.sources, m.directive.span).as_str()) == s["at"].as_str())
        else {
            tally.wrong.push(format!("{}: no such server", s["at"]));
            continue;
        };
        for l in s["locations"].as_array().into_iter().flatten() {
            let Some(example) = l["reached_by"]["example"].as_str() else {
                continue;
            };
            let Some(req) = request(&model, si, example) else {
                tally.not_addressed += 1;
                continue;
            };
            let o = run(&engine, &req);
            let first = o.events.iter().find_map(|e| match e {
                Event::Search { uri, search } if uri == example => Some(search.chosen),
                _ => None,
            });
            let server = o.sel.server.as_ref().map(|c| c.server);
            let (Some(chosen), Some(si2)) = (first, server) else {
                tally.not_addressed += 1;
                continue;
            };
            if si2 != si {
                tally.not_addressed += 1;
                continue;
            }
            tally.checked += 1;
            let got = chosen
                .and_then(|c| model.scopes.get(c)?.directive)
                .map(|d| at(&loaded.sources, d.span));
            if got.as_deref() != l["at"].as_str() {
                tally.wrong.push(format!(
                    "{example} on {}: graph says {}, route selects {got:?}",
                    s["at"], l["at"]
                ));
            }
        }
    }
}

#[test]
fn corpus_examples_select_their_location() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("cd");
    let mut dirs: Vec<_> = std::fs::read_dir("testdata/realworld")
        .expect("the corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut tally = Tally::default();
    for d in &dirs {
        check_project(d, &mut tally);
    }
    assert!(tally.wrong.is_empty(), "{}", tally.wrong.join("\n"));
    // Most examples are checked; the rest need a request we cannot
    // address (no TCP listen, a regex-only server_name).
    assert!(
        tally.checked >= 4 * tally.not_addressed && tally.checked > 100,
        "{tally:?}"
    );
}
