//! `allow-without-deny`: `allow` rules without a `deny` in the same block
//! restrict nothing: whoever the allows do not match is let in anyway.

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct AllowWithoutDeny;

impl Rule for AllowWithoutDeny {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ALLOW_WITHOUT_DENY]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for s in &cx.model.scopes {
            if s.ctx == Ctx::Data {
                continue;
            }
            let mut first_allow = None;
            let mut deny = false;
            for d in &s.children {
                match d.name() {
                    "allow" if d.arg(0) != Some("all") => {
                        first_allow.get_or_insert(*d);
                    }
                    "deny" => deny = true,
                    _ => {}
                }
            }
            let Some(a) = first_allow else { continue };
            if deny {
                continue;
            }
            out.push(
                Finding::warning(
                    ids::ALLOW_WITHOUT_DENY,
                    a.span,
                    "`allow` without a `deny` in the same block restricts nothing: clients the allow rules do not match are still let in",
                )
                .with_help("end the list with `deny all;` (rules from outer blocks are not inherited once this block has its own)"),
            );
        }
    }
}
