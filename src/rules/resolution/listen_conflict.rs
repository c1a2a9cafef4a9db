//! `listen-conflict`: two pools, or a pool and an nginx server, bind the
//! same address — the second fails with "Address already in use".

use rustc_hash::FxHashMap as HashMap;

use crate::address::{Endpoint, Host};
use crate::finding::Finding;
use crate::providers::ListenerKind;
use crate::rules::{Check, Rule, ids};

pub struct ListenConflict;

impl Rule for ListenConflict {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::LISTEN_CONFLICT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let ls = &cx.resolver().listeners;
        // Bind keys: unix path, or port (a wildcard bind conflicts with every
        // address on the same port).
        let mut by_port: HashMap<u16, Vec<usize>> = HashMap::default();
        let mut by_path: HashMap<&Endpoint, Vec<usize>> = HashMap::default();
        for (i, l) in ls.iter().enumerate() {
            match &l.endpoint {
                Endpoint::Tcp(_, port) => by_port.entry(*port).or_default().push(i),
                ep @ Endpoint::Unix(_) => by_path.entry(ep).or_default().push(i),
            }
        }
        let clash = |a: &Endpoint, b: &Endpoint| match (a, b) {
            // A host name (a Compose service) is another machine or
            // container: only the same name clashes.
            (Endpoint::Tcp(ha @ Host::Name(_), _), Endpoint::Tcp(hb, _))
            | (Endpoint::Tcp(hb, _), Endpoint::Tcp(ha @ Host::Name(_), _)) => ha == hb,
            (Endpoint::Tcp(ha, _), Endpoint::Tcp(hb, _)) => {
                ha == hb || *ha == Host::Any || *hb == Host::Any
            }
            _ => a == b,
        };
        let mut groups: Vec<Vec<usize>> = by_path.into_values().collect();
        groups.extend(by_port.into_values());
        for g in groups {
            // nginx servers share addresses with each other by design
            // (virtual hosts); only a pool is exclusive. Each pool is paired
            // with the first earlier listener it clashes with: O(pools × n).
            for (n, &j) in g.iter().enumerate() {
                if ls[j].kind != ListenerKind::PhpFpm {
                    continue;
                }
                let earlier = g[..n]
                    .iter()
                    .find(|&&i| clash(&ls[i].endpoint, &ls[j].endpoint));
                // A pool that comes first clashes with a later nginx server.
                let later = || {
                    g[n + 1..].iter().find(|&&i| {
                        ls[i].kind != ListenerKind::PhpFpm
                            && clash(&ls[i].endpoint, &ls[j].endpoint)
                    })
                };
                // Report at whichever of the two comes later (pools are
                // listed before nginx servers), the other one as related.
                let (a, b) = match (earlier, later()) {
                    (Some(&i), _) => (&ls[i], &ls[j]),
                    (None, Some(&i)) => (&ls[j], &ls[i]),
                    (None, None) => continue,
                };
                let Some(span) = b.span else { continue };
                let mut f = Finding::error(
                    ids::LISTEN_CONFLICT,
                    span,
                    format!(
                        "{} {} and {} {} both bind {}: the one started second fails with \"Address already in use\"",
                        a.kind.label(),
                        a.name,
                        b.kind.label(),
                        b.name,
                        b.endpoint
                    ),
                )
                .with_help("give each pool its own socket or port");
                if let Some(s) = a.span {
                    f = f.with_related(s, format!("{} {} binds it here", a.kind.label(), a.name));
                }
                out.push(f);
            }
        }
    }
}
