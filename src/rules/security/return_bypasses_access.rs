//! `return-bypasses-access`: a `return` with a 2xx answer in a block where
//! `deny`, `auth_basic` or `auth_request` is in effect. nginx runs `return`
//! (ngx_http_rewrite_module) in the server-rewrite and rewrite phases, which
//! come before the access phase where ngx_http_access_module,
//! ngx_http_auth_basic_module and ngx_http_auth_request_module decide
//! (ngx_http_core_module.c: NGX_HTTP_REWRITE_PHASE < NGX_HTTP_ACCESS_PHASE):
//! the answer goes out and the restriction is never consulted. Checked with
//! a running nginx 1.22: `location /a { deny all; return 200 "x"; }` answers
//! 200, as do an inherited `deny`, a `return` in an `if`, a server-level
//! `return`, `auth_basic` and `auth_request`.
//!
//! Only 2xx answers other than 204 are reported: they are content the
//! restriction was meant to guard. An error code denies anyway, and a
//! redirect hands the client a URL that is checked when it is asked for.

use crate::finding::Finding;
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct ReturnBypassesAccess;

/// The answer's status when it is content (2xx, not 204).
fn content_status(d: &Directive) -> Option<u16> {
    let code: u16 = d.arg(0)?.parse().ok()?;
    ((200..300).contains(&code) && code != 204).then_some(code)
}

/// The first restriction in effect at `scope`: a `deny`, or an
/// `auth_basic` / `auth_request` that is not `off`.
fn restriction<'t>(m: &Model<'t>, scope: ScopeId) -> Option<&'t Directive> {
    if let Some(d) = m.effective(scope, "deny").next() {
        return Some(d);
    }
    ["auth_basic", "auth_request"]
        .into_iter()
        .filter_map(|name| m.effective_one(scope, name))
        .find(|d| d.arg(0).is_some_and(|a| a != "off"))
}

impl Rule for ReturnBypassesAccess {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::RETURN_BYPASSES_ACCESS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (sid, d) in m.named(&["return"]) {
            let http = m
                .scopes
                .get(sid)
                .is_some_and(|s| matches!(s.ctx, Ctx::Server | Ctx::Location | Ctx::If));
            if !http {
                continue;
            }
            let Some(code) = content_status(d) else {
                continue;
            };
            if let Some(r) = restriction(m, sid) {
                out.push(bypass(d, code, r));
            }
        }
    }
}

fn bypass(ret: &Directive, code: u16, restriction: &Directive) -> Finding {
    let what = restriction.name();
    Finding::warning(
        ids::RETURN_BYPASSES_ACCESS,
        ret.span,
        format!(
            "`return {code}` answers before `{what}` is applied: every client gets this response"
        ),
    )
    .with_help(
        "nginx runs `return` in the rewrite phase, before the access phase where allow/deny, \
         auth_basic and auth_request decide; gate the return itself (a `geo`/`map` variable \
         and `if ($denied) { return 403; }`), or serve the content from a handler that runs \
         after the access phase (a file, `proxy_pass`)",
    )
    .with_related(restriction.span, format!("the `{what}` that is skipped"))
}
