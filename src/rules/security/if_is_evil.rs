//! `if-is-evil`: inside `location`, an `if` block becomes a nested
//! location of its own; directives other than the rewrite module's do not
//! do what they look like (try_files and proxy_pass URIs are lost,
//! headers from only the last true `if` survive, some combinations crash).

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct IfIsEvil;

/// What is safe inside `if` in a location: the rewrite module's own.
const SAFE: &[&str] = &[
    "return",
    "rewrite",
    "set",
    "break",
    "rewrite_log",
    "uninitialized_variable_warn",
];

impl Rule for IfIsEvil {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::IF_IS_EVIL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for s in &m.scopes {
            if s.ctx != Ctx::If {
                continue;
            }
            let in_location = m
                .chain(s.parent.unwrap_or(usize::MAX))
                .find(|p| p.ctx != Ctx::If)
                .is_some_and(|p| p.ctx == Ctx::Location);
            if !in_location {
                continue;
            }
            let Some(ifd) = s.directive else { continue };
            for d in m.children(s) {
                if SAFE.contains(&d.name()) || d.name() == "if" {
                    continue;
                }
                out.push(
                    Finding::warning(
                        ids::IF_IS_EVIL,
                        d.span,
                        format!("`{}` inside `if` in a location: the `if` block is an implicit nested location, so this may not apply as written (lost try_files/proxy_pass URI, headers from only the last `if`, crashes with some handlers)", d.name()),
                    )
                    .with_related(ifd.span, "the if")
                    .with_help("keep only return/rewrite/set inside `if`; move the rest to a separate location (`error_page 418 = @other; if (…) { return 418; }`) or use map"),
                );
            }
        }
    }
}
