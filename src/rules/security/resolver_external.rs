//! `resolver-external`: nginx's stub resolver talks plain UDP and takes
//! the first answer; over the internet a spoofed reply can redirect
//! proxied traffic. Use a resolver on the host or the private network.

use std::net::IpAddr;

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ResolverExternal;

impl Rule for ResolverExternal {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::RESOLVER_EXTERNAL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["resolver"]) {
            if d.name() != "resolver" {
                continue;
            }
            for w in &d.args {
                let a = w.as_str();
                if a.contains('=') {
                    continue;
                }
                let Some(ip) = parse_ip(a) else { continue };
                if is_public(ip) {
                    out.push(
                        Finding::warning(
                            ids::RESOLVER_EXTERNAL,
                            w.span,
                            format!("resolver {a} is a public DNS server: nginx's resolver uses plain UDP without DNSSEC, so an attacker on the path can spoof answers and redirect proxied requests"),
                        )
                        .with_help("point `resolver` at a local or private resolver (127.0.0.53, the VPC resolver, dnsmasq/unbound on the host)"),
                    );
                }
            }
        }
    }
}

fn parse_ip(a: &str) -> Option<IpAddr> {
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (h, p) = a.rsplit_once(':')?;
    if p.bytes().all(|b| b.is_ascii_digit()) {
        return h.parse().ok();
    }
    None
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            !(v.is_loopback()
                || v.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v.to_ipv4_mapped()
                    .is_some_and(|m| !is_public(IpAddr::V4(m))))
        }
    }
}
