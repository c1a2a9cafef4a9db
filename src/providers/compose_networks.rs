//! Which Compose networks a service is attached to. Docker's embedded DNS
//! answers a container's name and aliases only to containers on a network
//! it is connected to (docs.docker.com, "Embedded DNS server in
//! user-defined networks": the mapping is kept "on the network the
//! container is connected to"); Compose attaches a service to the
//! networks it lists, or to `default` when it lists none (compose-spec
//! 06-networks.md: "the proxy service is isolated from the db service,
//! because they do not share a network in common"). `network_mode`
//! (`host`, `none`, `service:x`, `container:x`) takes the container off
//! the project's networks: what it can resolve is not judged.

use super::network::{Attached, Profiles};
use super::yaml::{Node, Y};
use crate::source::{FileId, Span};

/// The networks of a service (its chain: override first), with the line
/// that lists them; None under `network_mode`.
pub(super) fn attached(id: FileId, chain: &[&Node]) -> Option<Attached> {
    if chain.iter().any(|n| n.get("network_mode").is_some()) {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    let mut span = None;
    // Compose merges an override's networks with the base's.
    for n in chain.iter().filter_map(|n| n.get("networks")) {
        span = span.or(Some(Span::new(id, n.start, n.end.max(n.start))));
        let listed: Vec<&str> = match &n.y {
            Y::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            Y::Map(entries) => entries.iter().filter_map(|(k, _)| k.as_str()).collect(),
            Y::Scalar(_) => Vec::new(),
        };
        for l in listed {
            if !names.iter().any(|x| x == l) {
                names.push(l.to_string());
            }
        }
    }
    if names.is_empty() {
        names.push("default".to_string());
    }
    Some(Attached { names, span })
}

/// A service's `profiles:` (compose-spec 15-profiles.md: "Services
/// without a `profiles` attribute are always enabled"; one with profiles
/// only when one of them is active, which `--profile` or
/// `COMPOSE_PROFILES` decide when `docker compose` runs).
pub(super) fn profiles(id: FileId, chain: &[&Node]) -> Profiles {
    let Some(n) = chain.iter().find_map(|n| n.get("profiles")) else {
        return Profiles::default();
    };
    Profiles {
        names: n
            .items()
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        span: Some(Span::new(id, n.start, n.end.max(n.start))),
    }
}

/// The networks a Compose file declares `external`: other containers,
/// from outside the project, may be on them and answer names.
pub(super) fn external(root: Option<&Node>) -> Vec<String> {
    root.and_then(|r| r.get("networks"))
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter(|(_, v)| {
            v.get("external")
                .is_some_and(|e| e.as_str() != Some("false"))
        })
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::yaml;

    fn services(src: &str) -> Node {
        yaml::parse(src)
            .and_then(|r| r.get("services").cloned())
            .expect("services")
    }

    #[test]
    fn default_listed_and_network_mode() {
        let s = services(
            "services:\n  a:\n    image: x\n  b:\n    networks: [front, back]\n  c:\n    networks:\n      front:\n        aliases: [cc]\n  d:\n    network_mode: host\n",
        );
        let id = FileId(0);
        let names = |k: &str| {
            let n = s.get(k).expect("service");
            attached(id, &[n]).map(|a| a.names)
        };
        assert_eq!(names("a"), Some(vec!["default".to_string()]));
        assert_eq!(
            names("b"),
            Some(vec!["front".to_string(), "back".to_string()])
        );
        assert_eq!(names("c"), Some(vec!["front".to_string()]));
        assert_eq!(names("d"), None);
        let root = yaml::parse("networks:\n  proxy:\n    external: true\n  own: {}\n");
        assert_eq!(external(root.as_ref()), ["proxy"]);
    }
}
