//! `default-server-missing`: several servers share an address and none is
//! marked `default_server`: requests for unknown names land on whichever
//! comes first in the files, which changes as includes are reordered.

use rustc_hash::FxHashMap as HashMap;

use crate::address::Endpoint;
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct DefaultServerMissing;

impl Rule for DefaultServerMissing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DEFAULT_SERVER_MISSING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // (unit, endpoint, IPv6 wildcard) → (servers, has default, first
        // server index). nginx keeps `*:80` and `[::]:80` apart.
        let mut groups: HashMap<(usize, &Endpoint, bool), (usize, bool, usize)> =
            HashMap::default();
        let mut order = Vec::new();
        // A server's addresses counted so far (kept across servers: no
        // allocation per server).
        let mut seen: Vec<(&Endpoint, bool)> = Vec::new();
        for (i, srv) in m.servers.iter().enumerate() {
            if srv.stream {
                continue;
            }
            let unit = m.scopes[srv.scope].unit;
            seen.clear();
            for l in &srv.listens {
                if matches!(l.endpoint, Endpoint::Unix(_)) {
                    continue;
                }
                let v6 = l.bracketed;
                let key = (unit, &l.endpoint, v6);
                let e = groups.entry(key).or_insert_with(|| {
                    order.push(key);
                    (0, false, i)
                });
                if !seen.contains(&(&l.endpoint, v6)) {
                    seen.push((&l.endpoint, v6));
                    e.0 += 1;
                }
                e.1 |= l.default_server;
            }
        }
        for key in order {
            let Some(&(n, has_default, first)) = groups.get(&key) else {
                continue;
            };
            if n < 2 || has_default {
                continue;
            }
            let srv = &m.servers[first];
            let listen = srv
                .listens
                .iter()
                .find(|l| &l.endpoint == key.1 && l.bracketed == key.2);
            let span = listen
                .and_then(|l| l.directive)
                .map_or(srv.directive.span, |d| d.span);
            let addr = listen
                .and_then(|l| l.directive)
                .and_then(|d| d.arg(0))
                .unwrap_or("*:80");
            out.push(
                Finding::info(
                    ids::DEFAULT_SERVER_MISSING,
                    span,
                    format!("{n} servers listen on {addr} and none is `default_server`: requests for unknown host names go to this one, the first in file order"),
                )
                .with_help("add a catch-all `server { listen … default_server; server_name _; return 444; }` (with its own certificate for TLS)"),
            );
        }
    }
}
