//! hsts-missing: a TLS server that never sends Strict-Transport-Security,
//! or a block whose own add_header drops the inherited one.

use crate::finding::Finding;
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::util::{effective_flag, is_tls_server, tls_anchor};
use crate::rules::{Check, Rule, ids};

pub struct HstsMissing;

const HELP: &str = "add `add_header Strict-Transport-Security \"max-age=63072000\" always;` (two years, Mozilla's guideline): without it a first visit over http:// can be intercepted and kept on plain HTTP";

fn is_hsts(d: &Directive) -> bool {
    let Some(name) = d.arg(0) else { return false };
    if !name.eq_ignore_ascii_case("Strict-Transport-Security") {
        return false;
    }
    let v = d.arg(1).unwrap_or("");
    !v.is_empty() && !disables(v)
}

/// `max-age=0…` (spaces anywhere, any case): a header that turns HSTS off.
/// Compared byte by byte, without a copy of the value per server.
fn disables(v: &str) -> bool {
    let mut rest = v.bytes().filter(|&b| b != b' ');
    b"max-age=0"
        .iter()
        .all(|&want| rest.next().is_some_and(|b| b.eq_ignore_ascii_case(&want)))
}

fn more_headers_hsts(d: &Directive) -> bool {
    d.name() == "more_set_headers"
        && d.args.iter().any(|a| {
            a.as_str()
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("strict-transport-security:")
        })
}

/// Whether responses from `sid` carry HSTS through add_header (with
/// nginx's inheritance, including `add_header_inherit` of 1.29.3).
fn has_hsts(m: &Model<'_>, sid: ScopeId) -> bool {
    let mut cur = Some(sid);
    while let Some(id) = cur {
        let Some(s) = m.scopes.get(id) else { break };
        if let Some(answer) = level(m, id, &mut m.own(id, "add_header")) {
            return answer;
        }
        cur = s.parent;
    }
    false
}

/// What block `id` with these add_header lines says of HSTS: Some(answer)
/// when it decides, None when the answer is its parent's.
fn level<'t>(
    m: &Model<'t>,
    id: ScopeId,
    lines: &mut dyn Iterator<Item = &'t Directive>,
) -> Option<bool> {
    let mut own = false;
    for d in lines {
        if is_hsts(d) {
            return Some(true);
        }
        own = true;
    }
    let inherit = m
        .effective_one(id, "add_header_inherit")
        .and_then(|d| d.arg(0));
    match inherit {
        Some("off") => Some(false),
        Some("merge") => None,
        _ if own => Some(false),
        _ => None,
    }
}

fn headers_more(m: &Model<'_>, sid: ScopeId) -> bool {
    let mut cur = Some(sid);
    while let Some(id) = cur {
        if m.own(id, "more_set_headers").any(more_headers_hsts) {
            return true;
        }
        cur = m.scopes.get(id).and_then(|s| s.parent);
    }
    false
}

impl Rule for HstsMissing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HSTS_MISSING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let relevant = |sid: ScopeId| {
            m.server_of(sid).is_some_and(|s| {
                !s.stream
                    && is_tls_server(s)
                    && effective_flag(m, s.scope, "ssl_reject_handshake") != Some(true)
            })
        };
        let mut unknown: Option<crate::rules::util::UnknownBlocks> = None;
        for s in m.servers.iter().filter(|s| !s.stream && is_tls_server(s)) {
            if has_hsts(m, s.scope)
                || effective_flag(m, s.scope, "ssl_reject_handshake") == Some(true)
                || headers_more(m, s.scope)
            {
                continue;
            }
            // An include around the server that is missing or unread may
            // set the header: include-missing is the finding of that cause.
            if unknown
                .get_or_insert_with(|| crate::rules::util::UnknownBlocks::new(cx))
                .around(m, s.scope)
            {
                continue;
            }
            // An add_header in the server itself that drops an inherited HSTS.
            let own = m.own(s.scope, "add_header").next();
            let parent_has = m
                .scopes
                .get(s.scope)
                .and_then(|sc| sc.parent)
                .is_some_and(|p| has_hsts(m, p));
            let (span, msg) = match own {
                Some(d) if parent_has => (
                    d.span,
                    "this add_header replaces the inherited Strict-Transport-Security for the whole server".to_string(),
                ),
                _ => (
                    tls_anchor(s),
                    "TLS server without Strict-Transport-Security".to_string(),
                ),
            };
            out.push(Finding::info(ids::HSTS_MISSING, span, msg).with_help(HELP));
        }
        // Blocks inside a server whose own add_header drops the server's HSTS.
        // Only blocks with an add_header can drop anything: each of those
        // once, not every block looked up.
        for sid in m.scopes_with("add_header") {
            let Some(sc) = m.scopes.get(sid) else {
                continue;
            };
            if !matches!(sc.ctx, Ctx::Location | Ctx::If | Ctx::LimitExcept) {
                continue;
            }
            let Some(first) = m.own(sid, "add_header").next() else {
                continue;
            };
            let Some(parent) = sc.parent else { continue };
            if has_hsts(m, sid) || !has_hsts(m, parent) || headers_more(m, sid) || !relevant(sid) {
                continue;
            }
            let what = match (sc.ctx, sc.directive) {
                (Ctx::Location, Some(d)) => format!(
                    "location {}",
                    d.args
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                _ => "this block".to_string(),
            };
            out.push(
                Finding::info(
                    ids::HSTS_MISSING,
                    first.span,
                    format!("this add_header drops the inherited Strict-Transport-Security for {what}"),
                )
                .with_help("any add_header in a block replaces all the ones inherited from outer blocks: repeat `add_header Strict-Transport-Security \"max-age=63072000\" always;` here, or move the shared headers into a snippet included in every block"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::disables;

    #[test]
    fn max_age_zero_turns_hsts_off() {
        for v in [
            "max-age=0",
            "MAX-AGE=0; includeSubDomains",
            " max-age = 0",
            "max-age=0000",
        ] {
            assert!(disables(v), "{v}");
        }
        for v in [
            "max-age=63072000",
            "max-age=",
            "max-age",
            "",
            "includeSubDomains; max-age=0",
        ] {
            assert!(!disables(v), "{v}");
        }
    }
}
