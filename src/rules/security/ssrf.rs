//! `ssrf`: the client chooses where nginx connects: a request-controlled
//! value (argument, header, cookie, URI capture) in the scheme or host of
//! `proxy_pass`, or anywhere in the address of `fastcgi_pass` and friends.
//! An `internal` location counts only when a rewrite can send any path
//! into it.

use crate::analysis::is_internal;
use crate::analysis::taint::{Flow, Piece, Seg, Taint, segments};
use crate::finding::Finding;
use crate::model::{Model, ScopeId};
use crate::rules::{Check, Rule, ids};

pub struct Ssrf;

const URL_PASSES: &[&str] = &["proxy_pass", "grpc_pass"];
const ADDR_PASSES: &[&str] = &["fastcgi_pass", "uwsgi_pass", "scgi_pass", "memcached_pass"];

impl Rule for Ssrf {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SSRF]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let flow = Flow::new(m);
        // From the name index, not by reading every directive's name for
        // these six.
        let passes: Vec<&str> = URL_PASSES.iter().chain(ADDR_PASSES).copied().collect();
        for (sid, d) in m.named(&passes) {
            let name = d.name();
            let url = URL_PASSES.contains(&name);
            if !url && !ADDR_PASSES.contains(&name) {
                continue;
            }
            let Some(arg) = d.args.first() else { continue };
            if !arg.as_str().contains('$') {
                continue;
            }
            let pieces = flow.expand(sid, Some(d), arg.as_str());
            if !controls_address(&pieces, url) {
                continue;
            }
            if is_internal(m, sid) && !open_rewrite(m, &flow, sid) {
                continue;
            }
            out.push(
                    Finding::warning(
                        ids::SSRF,
                        d.span,
                        format!("`{name}` takes its {} from the request: a client can make nginx connect to any host (internal services, cloud metadata)", if url { "scheme or host" } else { "address" }),
                    )
                    .with_help("pick the backend from a fixed list (`map $arg_x $backend { a backend1; b backend2; default \"\"; }`), keep client data in the path only, or sign the address"),
                );
        }
    }
}

/// Does a request-controlled piece land in the scheme or host?
fn controls_address(pieces: &[Piece<'_>], url: bool) -> bool {
    let mut in_path = false;
    let mut seen_scheme = false;
    for p in pieces {
        if in_path {
            return false;
        }
        match p {
            Piece::Lit(l) => {
                if !url {
                    continue;
                }
                let rest = if !seen_scheme {
                    match l.find("://") {
                        Some(i) => {
                            seen_scheme = true;
                            &l[i + 3..]
                        }
                        None => l,
                    }
                } else {
                    l
                };
                if seen_scheme && rest.contains('/') {
                    in_path = true;
                }
            }
            Piece::Dyn { taint, slash } => {
                if url && *slash && seen_scheme {
                    in_path = true;
                    continue;
                }
                if taint.user {
                    return true;
                }
            }
        }
    }
    false
}

/// Can a rewrite in the server send an arbitrary path (a replacement that
/// starts with request-controlled text) into an internal location?
fn open_rewrite(m: &Model<'_>, flow: &Flow<'_, '_>, sid: ScopeId) -> bool {
    let server = m.server_of(sid).filter(|s| !s.stream).map(|s| s.scope);
    // The rewrites from the name index, not every directive of every block.
    for (i, d) in m.named(&["rewrite"]) {
        let Some(s) = m.scopes.get(i) else { continue };
        let in_server = match server {
            Some(srv) => i == srv || chain_has(m, i, srv),
            None => s.unit == m.scopes[sid].unit,
        };
        if !in_server {
            continue;
        }
        let Some(rep) = d.arg(1) else { continue };
        let lead = segments(rep)
            .into_iter()
            .find(|s| !matches!(s, Seg::Lit("/")));
        let t = match lead {
            Some(Seg::Cap(n)) => flow.capture(i, Some(d), n),
            Some(Seg::Var(v)) => flow.var(i, v),
            _ => Taint::SERVER,
        };
        if t.user {
            return true;
        }
    }
    false
}

fn chain_has(m: &Model<'_>, scope: ScopeId, target: ScopeId) -> bool {
    let mut cur = m.scopes.get(scope).and_then(|s| s.parent);
    let mut steps = 0;
    while let Some(c) = cur {
        if c == target {
            return true;
        }
        steps += 1;
        if steps > 64 {
            return false;
        }
        cur = m.scopes.get(c).and_then(|s| s.parent);
    }
    false
}
