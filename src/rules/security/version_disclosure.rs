//! `version-disclosure`: `server_tokens on`/`build` prints nginx's version
//! in the `Server` header and on error pages; unset, it defaults to `on`.

use crate::finding::Finding;
use rustc_hash::FxHashMap;

use crate::model::ScopeId;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct VersionDisclosure;

impl Rule for VersionDisclosure {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::VERSION_DISCLOSURE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // From the name index and the server list, not by reading every
        // directive of every block for `server_tokens`.
        for (_, d) in m.named(&["server_tokens"]) {
            if let Some(v) = d.args.first()
                && matches!(v.as_str(), "on" | "build")
            {
                out.push(
                    Finding::warning(
                        ids::VERSION_DISCLOSURE,
                        d.span,
                        format!(
                            "`server_tokens {}` sends nginx's version in every `Server` header and error page",
                            v.as_str()
                        ),
                    )
                    .with_help("set `server_tokens off;` in the http block"),
                );
            }
        }
        // Unset in an http block: the default (on) applies to every server
        // in it that does not turn it off itself. The http blocks that
        // matter are the parents of servers; each is judged once.
        let mut judged: FxHashMap<ScopeId, bool> = FxHashMap::default();
        let mut exposed: Vec<ScopeId> = Vec::new();
        // A missing or unread include around the server may turn it off:
        // include-missing is the finding of that cause.
        let mut unknown: Option<crate::rules::util::UnknownBlocks> = None;
        for srv in m.servers.iter().filter(|srv| !srv.stream) {
            if unknown
                .get_or_insert_with(|| crate::rules::util::UnknownBlocks::new(cx))
                .around(m, srv.scope)
            {
                continue;
            }
            let Some(http) = m.scopes.get(srv.scope).and_then(|s| s.parent) else {
                continue;
            };
            let unset = *judged.entry(http).or_insert_with(|| {
                m.scopes.get(http).is_some_and(|s| {
                    s.ctx == Ctx::Http && s.directive.is_some() && !m.has(http, "server_tokens")
                })
            });
            if unset && !m.has(srv.scope, "server_tokens") {
                exposed.push(http);
                // Reported once: judged again as set.
                judged.insert(http, false);
            }
        }
        for http in exposed {
            let Some(d) = m.scopes.get(http).and_then(|s| s.directive) else {
                continue;
            };
            out.push(
                Finding::info(
                    ids::VERSION_DISCLOSURE,
                    d.span,
                    "`server_tokens` is not set, so nginx's version (default `on`) appears in the `Server` header and on error pages",
                )
                .with_help("add `server_tokens off;` to this http block"),
            );
        }
    }
}
