//! Cross-file rules: what nginx sends to, and what listens there.

pub mod backend_protocol_mismatch;
pub mod compose_profile_target;
mod compose_target;
pub mod compose_variable_unset;
pub mod dns_resolved_once;
pub mod fastcgi_params_missing;
pub mod listen_conflict;
pub mod location_unreachable;
pub mod php_arbitrary_execution;
pub mod proxy_pass_variable_resolver;
pub mod proxy_self_loop;
pub mod server_name_conflict;
pub mod socket_permission;
pub mod upstream_no_listener;

use crate::address::Endpoint;
use crate::model::{Model, Target, TargetAddr};
use crate::nginx::ast::Directive;

/// Each concrete endpoint a target reaches, with the directive that names
/// it: the target's own address, or each `server` of its upstream.
pub fn endpoints<'m, 't>(
    model: &'m Model<'t>,
    t: &'m Target<'t>,
) -> crate::few::Few<(&'t Directive, &'m Endpoint)> {
    // Inline up to two: several rules ask this of every target, and a
    // vector each would be an allocation per target and rule.
    let mut out = crate::few::Few::default();
    match &t.addr {
        TargetAddr::Direct(ep) => out.push((t.directive, ep)),
        TargetAddr::Upstream(i) => {
            if let Some(u) = model.upstreams.get(*i) {
                out.extend(
                    u.servers
                        .iter()
                        .filter_map(|(d, ep)| ep.as_ref().map(|e| (*d, e))),
                );
            }
        }
        TargetAddr::Unresolved(_) | TargetAddr::Runtime(_) => {}
    }
    out
}
