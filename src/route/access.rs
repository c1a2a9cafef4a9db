//! `allow`/`deny` for the client's address (ngx_http_access_module.c): the
//! rules of the innermost block that has any (a block with its own rules
//! inherits none), tried in order; the first whose address matches
//! decides, and none matching allows. A deny answers 403.

use std::net::IpAddr;

use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;

/// The rule that decides for `ip` at `scope` (None: no rule matches, or
/// none is set), and whether it denies.
pub fn decide<'t>(model: &Model<'t>, scope: ScopeId, ip: IpAddr) -> Option<(&'t Directive, bool)> {
    let mut cur = Some(scope);
    while let Some(s) = cur {
        let rules: Vec<&'t Directive> = model
            .scope_children(s)
            .iter()
            .copied()
            .filter(|d| matches!(d.name(), "allow" | "deny"))
            .collect();
        if !rules.is_empty() {
            return rules
                .into_iter()
                .find(|d| d.arg(0).is_some_and(|a| matches(a, ip)))
                .map(|d| (d, d.name() == "deny"));
        }
        cur = model.scopes.get(s).and_then(|x| x.parent);
    }
    None
}

/// Whether a rule's address (`all`, an address, `addr/bits`) covers `ip`.
fn matches(rule: &str, ip: IpAddr) -> bool {
    if rule == "all" {
        return true;
    }
    let (addr, bits) = match rule.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()),
        None => (rule, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn cidr() {
        let ip = |s: &str| s.parse().expect("ip");
        assert!(matches("all", ip("10.0.0.1")));
        assert!(matches("10.0.0.0/8", ip("10.2.3.4")));
        assert!(!matches("10.0.0.0/8", ip("11.2.3.4")));
        assert!(matches("192.168.1.7", ip("192.168.1.7")));
        assert!(matches("0.0.0.0/0", ip("1.2.3.4")));
        assert!(matches("fd00::/8", ip("fd12::1")));
        assert!(!matches("fd00::/8", ip("10.0.0.1")));
    }
}
