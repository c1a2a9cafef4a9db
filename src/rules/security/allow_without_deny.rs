//! `allow-without-deny`: `allow` rules without a `deny` in the same block
//! restrict nothing: whoever the allows do not match is let in anyway.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct AllowWithoutDeny;

impl Rule for AllowWithoutDeny {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ALLOW_WITHOUT_DENY]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // The `allow`s from the name index, in scope order: the first one
        // (not `allow all`) of each block that has no `deny`, without
        // reading every directive of every block.
        let mut last = None;
        for (sid, a) in m.named(&["allow"]) {
            if a.arg(0) == Some("all") || last == Some(sid) {
                continue;
            }
            last = Some(sid);
            if m.has(sid, "deny") {
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
