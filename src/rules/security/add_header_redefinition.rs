//! `add-header-redefinition`: an `add_header` in a block drops every
//! `add_header` inherited from outer blocks; reported when that silently
//! removes security headers.

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::rules::security::is_security_header;
use crate::rules::{Check, Rule, ids};

pub struct AddHeaderRedefinition;

impl Rule for AddHeaderRedefinition {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ADD_HEADER_REDEFINITION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // One pass: which blocks have their own add_header / merge.
        let n = m.scopes.len();
        let mut own_hdr = vec![false; n];
        let mut merge = vec![false; n];
        for (i, s) in m.scopes.iter().enumerate() {
            for d in &s.children {
                match d.name() {
                    "add_header" => own_hdr[i] = true,
                    "add_header_inherit" => merge[i] |= d.arg(0) == Some("merge"),
                    _ => {}
                }
            }
        }
        for (sid, s) in m.scopes.iter().enumerate() {
            if !own_hdr[sid] || !matches!(s.ctx, Ctx::Server | Ctx::Location | Ctx::If) {
                continue;
            }
            let Some(first) = s.children.iter().find(|d| d.name() == "add_header") else {
                continue;
            };
            let Some(parent) = s.parent else { continue };
            // The innermost enclosing block with add_header supplies the
            // inherited set; none means nothing is dropped.
            let mut cur = Some(parent);
            let mut source = None;
            let mut merged = merge[sid];
            while let Some(c) = cur {
                merged |= merge[c];
                if source.is_none() && own_hdr[c] {
                    source = Some(c);
                }
                cur = m.scopes[c].parent;
            }
            let Some(source) = source else { continue };
            if merged {
                continue;
            }
            let own: Vec<&str> = s
                .children
                .iter()
                .filter(|d| d.name() == "add_header")
                .filter_map(|d| d.arg(0))
                .collect();
            let mut dropped: Vec<&str> = Vec::new();
            for d in m.scopes[source]
                .children
                .iter()
                .filter(|d| d.name() == "add_header")
            {
                let Some(name) = d.arg(0) else { continue };
                if is_security_header(name)
                    && !own.iter().any(|o| o.eq_ignore_ascii_case(name))
                    && !dropped.iter().any(|x| x.eq_ignore_ascii_case(name))
                {
                    dropped.push(name);
                }
            }
            if dropped.is_empty() {
                continue;
            }
            out.push(
                Finding::warning(
                    ids::ADD_HEADER_REDEFINITION,
                    first.span,
                    format!(
                        "this block's `add_header` replaces all inherited ones: {} {} no longer sent here",
                        dropped.join(", "),
                        if dropped.len() == 1 { "is" } else { "are" }
                    ),
                )
                .with_help("repeat the security headers in this block (an `include` of a shared snippet keeps them in one place), or use `add_header_inherit merge;` (nginx 1.29.3+)"),
            );
        }
    }
}
