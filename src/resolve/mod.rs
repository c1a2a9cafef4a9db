//! Targets ↔ listeners: one hash lookup per target endpoint. A TCP target
//! on a local address is served by a listener on that exact address or on
//! the wildcard of the same port; a unix target by the same normalised path.

pub mod live;
pub mod users;

use rustc_hash::FxHashMap as HashMap;

use crate::few::Few;

use crate::load::Loaded;
use crate::model::Model;
use crate::model::address::{Endpoint, Host};
use crate::providers::{self, Listener};

#[derive(Debug, Default)]
pub struct Resolver {
    pub listeners: Vec<Listener>,
    exact: HashMap<Endpoint, Vec<usize>>,
    /// Wildcard listeners by port.
    any_port: HashMap<u16, Vec<usize>>,
    /// What really listens on this machine (`--live`).
    pub live: Option<live::Live>,
}

impl Resolver {
    /// Every listener the providers know of. Runs beside the rules, some
    /// of which wait for it: it must not use rayon (a worker waiting inside
    /// it could take up such a rule and wait for itself; see `run_inner`).
    pub fn build(loaded: &Loaded, model: &Model<'_>) -> Resolver {
        let mut listeners = Vec::new();
        for p in providers::all() {
            p.listeners(loaded, model, &mut listeners);
        }
        Resolver::from_listeners(listeners)
    }

    pub fn from_listeners(listeners: Vec<Listener>) -> Resolver {
        let mut r = Resolver::default();
        for (i, l) in listeners.iter().enumerate() {
            match &l.endpoint {
                Endpoint::Tcp(Host::Any, port) => r.any_port.entry(*port).or_default().push(i),
                ep => r.exact.entry(ep.clone()).or_default().push(i),
            }
        }
        r.listeners = listeners;
        r
    }

    /// Indices of the listeners that accept connections to `ep` (inline
    /// when one or two: rules ask for every target's endpoints).
    pub fn serving(&self, ep: &Endpoint) -> Few<usize> {
        let mut out = Few::default();
        out.extend(self.exact.get(ep).into_iter().flatten().copied());
        if let Endpoint::Tcp(host, port) = ep
            && host.is_local()
            && let Some(v) = self.any_port.get(port)
        {
            out.extend(v.iter().copied());
        }
        // A target on the wildcard address (odd, but seen) reaches any
        // listener on that port.
        if let Endpoint::Tcp(Host::Any, port) = ep {
            out.extend(
                self.exact
                    .iter()
                    .filter(|(k, _)| matches!(k, Endpoint::Tcp(h, p) if p == port && h.is_local()))
                    .flat_map(|(_, v)| v.iter().copied()),
            );
        }
        out
    }

    /// Listeners of the same family as `ep`, nearest first (for "did you
    /// mean" help): unix paths by edit distance, TCP by port distance.
    pub fn nearest(
        &self,
        ep: &Endpoint,
        kind: Option<crate::providers::ListenerKind>,
    ) -> Option<&Listener> {
        let candidates = self
            .listeners
            .iter()
            .filter(|l| kind.is_none_or(|k| l.kind == k));
        match ep {
            Endpoint::Unix(p) => {
                let target = p.to_string_lossy();
                candidates
                    .filter_map(|l| match &l.endpoint {
                        Endpoint::Unix(q) => {
                            Some((crate::text::edit_distance(&target, &q.to_string_lossy()), l))
                        }
                        _ => None,
                    })
                    .min_by_key(|(d, _)| *d)
                    .map(|(_, l)| l)
            }
            // A port a few numbers off (3000 vs 3001) is a likely typo; the
            // same port on another local address too. Anything else is noise.
            Endpoint::Tcp(_, port) => candidates
                .filter_map(|l| match &l.endpoint {
                    Endpoint::Tcp(h, q) if h.is_local() && port.abs_diff(*q) <= 10 => {
                        Some((port.abs_diff(*q), l))
                    }
                    _ => None,
                })
                .min_by_key(|(d, _)| *d)
                .map(|(_, l)| l),
        }
    }
}

/// Whether nginx-lint can judge an endpoint: unix sockets and this
/// machine's addresses. Remote hosts are someone else's business.
pub fn is_local(ep: &Endpoint) -> bool {
    match ep {
        Endpoint::Unix(_) => true,
        Endpoint::Tcp(h, _) => h.is_local(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ListenerKind;
    use std::path::PathBuf;

    fn l(ep: Endpoint) -> Listener {
        Listener {
            endpoint: ep,
            kind: ListenerKind::PhpFpm,
            name: "www".into(),
            span: None,
            socket: None,
            pool: None,
            backend: None,
        }
    }

    #[test]
    fn matching() {
        let lo = Host::parse("127.0.0.1");
        let r = Resolver::from_listeners(vec![
            l(Endpoint::Tcp(Host::Any, 9000)),
            l(Endpoint::Unix(PathBuf::from("/run/php/a.sock"))),
            l(Endpoint::Tcp(lo.clone(), 9001)),
            l(Endpoint::Tcp(lo.clone(), 9100)),
            l(Endpoint::Tcp(Host::Any, 9100)),
            l(Endpoint::Tcp(lo.clone(), 9100)),
        ]);
        assert_eq!(*r.serving(&Endpoint::Tcp(lo.clone(), 9000)), [0]);
        assert_eq!(
            *r.serving(&Endpoint::Tcp(Host::parse("localhost"), 9000)),
            [0]
        );
        assert_eq!(*r.serving(&Endpoint::Tcp(lo.clone(), 9001)), [2]);
        // Exact ones first, in order, then the wildcard's.
        assert_eq!(*r.serving(&Endpoint::Tcp(lo.clone(), 9100)), [3, 5, 4]);
        assert!(
            r.serving(&Endpoint::Tcp(Host::parse("127.0.0.2"), 9001))
                .is_empty()
        );
        assert!(
            r.serving(&Endpoint::Tcp(Host::parse("10.0.0.5"), 9000))
                .is_empty()
        );
        assert_eq!(
            *r.serving(&Endpoint::Unix(PathBuf::from("/run/php/a.sock"))),
            [1]
        );
        let near = r.nearest(&Endpoint::Unix(PathBuf::from("/run/php/b.sock")), None);
        assert_eq!(
            near.map(|x| x.endpoint.clone()),
            Some(Endpoint::Unix(PathBuf::from("/run/php/a.sock")))
        );
    }
}
