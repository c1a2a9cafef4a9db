//! `add-header-redefinition`: an `add_header` in a block drops every
//! `add_header` inherited from outer blocks; reported when that silently
//! removes security headers.

use crate::finding::Finding;
use crate::model::ScopeId;
use crate::nginx::context::Ctx;
use crate::nginx::schema::Version;
use crate::rules::security::is_security_header;
use crate::rules::{Check, Rule, ids};

pub struct AddHeaderRedefinition;

/// A header whose loss weakens protection: a security header, or a
/// `Cache-Control` that keeps responses out of shared caches (`no-store`,
/// `private`; RFC 9111 5.2.2.3 and 5.2.2.7). Without it a CDN or proxy may
/// store a personal page and serve it to the next visitor.
fn protects(name: &str, value: &str) -> bool {
    if is_security_header(name) {
        return true;
    }
    let value = value.to_ascii_lowercase();
    name.eq_ignore_ascii_case("Cache-Control")
        && (value.contains("no-store") || value.contains("private"))
}

/// The first release with `add_header_inherit`.
const ADD_HEADER_INHERIT: Version = Version(1, 29, 3);

impl Rule for AddHeaderRedefinition {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ADD_HEADER_REDEFINITION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // Which blocks have their own add_header / merge, from the name
        // index, not by reading every directive of every block for these
        // two names.
        let n = m.scopes.len();
        let mut own_hdr = vec![false; n];
        let mut merge = vec![false; n];
        // Blocks with add_header, in scope order, once each.
        let mut with_hdr: Vec<ScopeId> = Vec::new();
        for (i, _) in m.named(&["add_header"]) {
            if !own_hdr[i] {
                own_hdr[i] = true;
                with_hdr.push(i);
            }
        }
        for (i, d) in m.named(&["add_header_inherit"]) {
            merge[i] |= d.arg(0) == Some("merge");
        }
        for sid in with_hdr {
            let s = &m.scopes[sid];
            if !matches!(s.ctx, Ctx::Server | Ctx::Location | Ctx::If) {
                continue;
            }
            let Some(first) = m.own(sid, "add_header").next() else {
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
            let own: Vec<&str> = m.own(sid, "add_header").filter_map(|d| d.arg(0)).collect();
            let mut dropped: Vec<&str> = Vec::new();
            for d in m.own(source, "add_header") {
                let Some(name) = d.arg(0) else { continue };
                if protects(name, d.arg(1).unwrap_or(""))
                    && !own.iter().any(|o| o.eq_ignore_ascii_case(name))
                    && !dropped.iter().any(|x| x.eq_ignore_ascii_case(name))
                {
                    dropped.push(name);
                }
            }
            if dropped.is_empty() {
                continue;
            }
            // `add_header_inherit` only where the version in force has it:
            // advice nginx would refuse is worse than none.
            let help = if cx.settings.nginx_version >= ADD_HEADER_INHERIT {
                "repeat these headers in this block (an `include` of a shared snippet keeps them in one place), or use `add_header_inherit merge;` (nginx 1.29.3+)"
            } else {
                "repeat these headers in this block (an `include` of a shared snippet keeps them in one place)"
            };
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
                .with_help(help),
            );
        }
    }
}
