//! Targets ↔ listeners: one hash lookup per target endpoint. A TCP target
//! on a local address is served by a listener on that exact address or on
//! the wildcard of the same port; a unix target by the same normalised path.

pub mod live;
pub mod users;

use rustc_hash::FxHashMap as HashMap;

use crate::few::Few;

use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::providers::{self, Listener};

#[derive(Debug, Default)]
pub struct Resolver {
    pub listeners: Vec<Listener>,
    exact: HashMap<Endpoint, Vec<usize>>,
    /// Wildcard listeners by port.
    any_port: HashMap<u16, Vec<usize>>,
    /// Listeners on a local TCP address, by port, in listener order (for
    /// [`Resolver::nearest`]: a pass over every listener for each target
    /// nothing serves grows with the square of the tree).
    local_by_port: HashMap<u16, Vec<usize>>,
    /// Listeners on unix sockets, in listener order.
    unix: Vec<usize>,
    /// Their paths by one-edit neighbourhood, for [`Resolver::nearest`]
    /// (built when first asked).
    unix_near: std::sync::OnceLock<crate::text::OneEdit>,
    /// The answers for unix paths already asked: after an upgrade every
    /// vhost may point at the same old socket, and a scan of every socket
    /// for each such target grows with the square of the tree.
    unix_asked: std::sync::Mutex<NearAnswers>,
    /// What really listens on this machine (`--live`).
    pub live: Option<live::Live>,
    /// Compose projects' host names and nginx services.
    pub network: providers::network::Network,
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
        let mut r = Resolver::from_listeners(listeners);
        r.network = providers::compose::network(loaded);
        r
    }

    pub fn from_listeners(listeners: Vec<Listener>) -> Resolver {
        let mut r = Resolver::default();
        for (i, l) in listeners.iter().enumerate() {
            match &l.endpoint {
                Endpoint::Tcp(h, port) if h.is_local() => {
                    r.local_by_port.entry(*port).or_default().push(i)
                }
                Endpoint::Unix(_) => r.unix.push(i),
                Endpoint::Tcp(..) => {}
            }
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
        let at = match ep {
            Endpoint::Unix(p) => {
                let key = (p.clone(), kind);
                let known = self
                    .unix_asked
                    .lock()
                    .ok()
                    .and_then(|a| a.get(&key).copied());
                match known {
                    Some(at) => at,
                    None => {
                        let at = self.nearest_socket(ep, p, kind);
                        if let Ok(mut asked) = self.unix_asked.lock() {
                            asked.insert(key, at);
                        }
                        at
                    }
                }
            }
            // A port a few numbers off (3000 vs 3001) is a likely typo; the
            // same port on another local address too. Anything else is noise.
            // Nearest port first; at one distance, the first listener.
            Endpoint::Tcp(_, port) => (0..=10u16).find_map(|d| {
                [port.checked_sub(d), port.checked_add(d)]
                    .into_iter()
                    .flatten()
                    .filter_map(|p| self.local_by_port.get(&p))
                    .flat_map(|v| v.iter().copied())
                    .filter(|&i| self.is_kind(i, kind))
                    .min()
            }),
        };
        at.and_then(|i| self.listeners.get(i))
    }

    fn is_kind(&self, i: usize, kind: Option<crate::providers::ListenerKind>) -> bool {
        self.listeners
            .get(i)
            .is_some_and(|l| kind.is_none_or(|k| l.kind == k))
    }

    /// The unix path of listener `i` (empty for another kind of address).
    fn socket_path(&self, i: usize) -> std::borrow::Cow<'_, str> {
        match self.listeners.get(i).map(|l| &l.endpoint) {
            Some(Endpoint::Unix(q)) => q.to_string_lossy(),
            _ => "".into(),
        }
    }

    /// [`Resolver::nearest`] for a unix path `p` (`ep`): the first listener
    /// at the smallest edit distance.
    fn nearest_socket(
        &self,
        ep: &Endpoint,
        p: &std::path::Path,
        kind: Option<crate::providers::ListenerKind>,
    ) -> Option<usize> {
        // One at distance 0 is found by the map; after that no distance
        // beats 1, so the scan stops at the first such instead of going
        // over every socket for each unserved one.
        let target = p.to_string_lossy();
        let target_len = target.chars().count();
        if let Some(&i) = self
            .exact
            .get(ep)
            .into_iter()
            .flatten()
            .find(|&&i| self.is_kind(i, kind) && self.socket_path(i) == target)
        {
            return Some(i);
        }
        // One within one edit is the answer (the scan below stops at the
        // first such): found through the index, the first in listener
        // order. The index pays off on long lists only.
        if self.unix.len() > NEAR_INDEX_MIN {
            let index = self.unix_near.get_or_init(|| {
                let paths: Vec<std::borrow::Cow<'_, str>> =
                    self.unix.iter().map(|&i| self.socket_path(i)).collect();
                crate::text::OneEdit::new(paths.iter().map(|p| p.as_ref()))
            });
            let within_one = index.candidates(&target).into_iter().find_map(|at| {
                let i = *self.unix.get(at)?;
                (self.is_kind(i, kind)
                    && crate::text::edit_distance(&target, &self.socket_path(i)) <= 1)
                    .then_some(i)
            });
            if within_one.is_some() {
                return within_one;
            }
        }
        let mut best: Option<(usize, usize)> = None;
        for &i in self.unix.iter().filter(|&&i| self.is_kind(i, kind)) {
            let q = self.socket_path(i);
            // Never below the difference in length.
            if best.is_some_and(|(b, _)| target_len.abs_diff(q.chars().count()) >= b) {
                continue;
            }
            let d = crate::text::edit_distance(&target, &q);
            if best.is_none_or(|(b, _)| d < b) {
                best = Some((d, i));
                if d <= 1 {
                    break;
                }
            }
        }
        best.map(|(_, i)| i)
    }
}

/// [`Resolver::nearest`]'s answers by unix path and kind asked: the
/// listener's index, if any.
type NearAnswers = rustc_hash::FxHashMap<
    (
        std::sync::Arc<std::path::Path>,
        Option<crate::providers::ListenerKind>,
    ),
    Option<usize>,
>;

/// Unix listeners beyond which [`Resolver::nearest`] looks for one within
/// one edit through an index rather than a scan.
const NEAR_INDEX_MIN: usize = 16;

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

    /// "Did you mean" for unix sockets: the smallest edit distance, and at
    /// one distance the first listener (the search stops early; the answer
    /// is the full scan's).
    #[test]
    fn nearest_socket_then_listener_order() {
        let u = |p: &str| Endpoint::Unix(PathBuf::from(p).into());
        let mut nginx = l(u("/run/php/pool12.sock"));
        nginx.kind = ListenerKind::Nginx;
        let r = Resolver::from_listeners(vec![
            l(u("/run/php/other-longer-name.sock")),
            l(u("/run/php/pool2.sock")),
            nginx,
            l(u("/run/php/pool13.sock")),
            l(u("/run/php/pool11.sock")),
            l(u("/run/php/pool1.sock")),
        ]);
        let near = |p: &str, kind| match r.nearest(&u(p), kind).map(|x| &x.endpoint) {
            Some(Endpoint::Unix(q)) => Some(q.to_string_lossy().into_owned()),
            _ => None,
        };
        assert_eq!(
            near("/run/php/pool12.sock", None).as_deref(),
            Some("/run/php/pool12.sock")
        );
        // pool2, pool13, pool11 and pool1 are all 1 away; pool2 is listed first.
        assert_eq!(
            near("/run/php/pool12.sock", Some(ListenerKind::PhpFpm)).as_deref(),
            Some("/run/php/pool2.sock")
        );
        // pool13 (1 away) beats pool2 (2 away), though listed later.
        assert_eq!(
            near("/run/php/pool133.sock", None).as_deref(),
            Some("/run/php/pool13.sock")
        );
        assert_eq!(
            near("/run/php/other-longer-nam.sock", None).as_deref(),
            Some("/run/php/other-longer-name.sock")
        );
    }

    /// With more sockets than the index threshold, the answer is still the
    /// full scan's: the first listener at the smallest edit distance, kind
    /// filter included (checked against a brute-force scan).
    #[test]
    fn nearest_socket_through_the_index_is_the_scans() {
        let u = |p: &str| Endpoint::Unix(PathBuf::from(p).into());
        let mut listeners = Vec::new();
        for i in 0..60 {
            let mut x = l(u(&format!("/run/php/pool{}.sock", i * 7 % 50)));
            if i % 5 == 0 {
                x.kind = ListenerKind::Nginx;
            }
            listeners.push(x);
        }
        listeners.push(l(u("/var/run/app.sock")));
        let brute = |p: &str, kind: Option<ListenerKind>| -> Option<String> {
            listeners
                .iter()
                .filter(|x| kind.is_none_or(|k| x.kind == k))
                .filter_map(|x| match &x.endpoint {
                    Endpoint::Unix(q) => Some(q.to_string_lossy().into_owned()),
                    _ => None,
                })
                .map(|q| (crate::text::edit_distance(p, &q), q))
                .reduce(|best, next| if next.0 < best.0 { next } else { best })
                .map(|(_, q)| q)
        };
        let r = Resolver::from_listeners(listeners.clone());
        assert!(r.unix.len() > NEAR_INDEX_MIN);
        for p in [
            "/run/php/pool7.sock",
            "/run/php/pool77.sock",
            "/run/php/pool5.sock",
            "/run/php/pol3.sock",
            "/run/php/pool123.sock",
            "/run/app.sock",
            "/nowhere",
        ] {
            for kind in [None, Some(ListenerKind::PhpFpm), Some(ListenerKind::Nginx)] {
                let got = r.nearest(&u(p), kind).and_then(|x| match &x.endpoint {
                    Endpoint::Unix(q) => Some(q.to_string_lossy().into_owned()),
                    _ => None,
                });
                assert_eq!(got, brute(p, kind), "{p} {kind:?}");
            }
        }
    }

    /// "Did you mean" for TCP: the nearest local port within 10, and at
    /// one distance the first listener; remote listeners and other kinds
    /// are not offered.
    #[test]
    fn nearest_port_then_listener_order() {
        let lo = Host::parse("127.0.0.1");
        let mut nginx = l(Endpoint::Tcp(Host::Any, 9000));
        nginx.kind = ListenerKind::Nginx;
        let r = Resolver::from_listeners(vec![
            l(Endpoint::Tcp(lo.clone(), 9003)),
            l(Endpoint::Tcp(Host::parse("10.0.0.5"), 9001)),
            l(Endpoint::Tcp(lo.clone(), 8999)),
            nginx,
            l(Endpoint::Tcp(lo.clone(), 9030)),
        ]);
        let port = |ep: &Endpoint, kind| match r.nearest(ep, kind).map(|x| &x.endpoint) {
            Some(Endpoint::Tcp(_, p)) => Some(*p),
            _ => None,
        };
        let at = |p| Endpoint::Tcp(lo.clone(), p);
        // The remote 9001 is not offered; the wildcard 9000 is 1 away.
        assert_eq!(port(&at(9001), None), Some(9000));
        // Without nginx's: 9003 and 8999 are both 2 away; 9003 is listed first.
        assert_eq!(port(&at(9001), Some(ListenerKind::PhpFpm)), Some(9003));
        assert_eq!(port(&at(8998), Some(ListenerKind::PhpFpm)), Some(8999));
        assert_eq!(port(&at(9002), Some(ListenerKind::PhpFpm)), Some(9003));
        assert_eq!(port(&at(9015), Some(ListenerKind::PhpFpm)), None);
        assert_eq!(port(&at(9025), None), Some(9030));
    }

    #[test]
    fn matching() {
        let lo = Host::parse("127.0.0.1");
        let r = Resolver::from_listeners(vec![
            l(Endpoint::Tcp(Host::Any, 9000)),
            l(Endpoint::Unix(PathBuf::from("/run/php/a.sock").into())),
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
            *r.serving(&Endpoint::Unix(PathBuf::from("/run/php/a.sock").into())),
            [1]
        );
        let near = r.nearest(
            &Endpoint::Unix(PathBuf::from("/run/php/b.sock").into()),
            None,
        );
        assert_eq!(
            near.map(|x| x.endpoint.clone()),
            Some(Endpoint::Unix(PathBuf::from("/run/php/a.sock").into()))
        );
    }
}
