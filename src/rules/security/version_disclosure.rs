//! `version-disclosure`: `server_tokens on`/`build` prints nginx's version
//! in the `Server` header and on error pages; unset, it defaults to `on`.

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct VersionDisclosure;

impl Rule for VersionDisclosure {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::VERSION_DISCLOSURE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for (sid, s) in m.scopes.iter().enumerate() {
            if s.ctx == Ctx::Data {
                continue;
            }
            for d in &s.children {
                if d.name() == "server_tokens"
                    && let Some(v) = d.args.first()
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
            if s.ctx != Ctx::Http || s.children.iter().any(|d| d.name() == "server_tokens") {
                continue;
            }
            let Some(http) = s.directive else { continue };
            // Unset in http: the default (on) applies to every server that
            // does not turn it off itself.
            let exposed = m.servers.iter().any(|srv| {
                !srv.stream
                    && m.scopes[srv.scope].parent == Some(sid)
                    && !m.scopes[srv.scope]
                        .children
                        .iter()
                        .any(|d| d.name() == "server_tokens")
            });
            if exposed {
                out.push(
                    Finding::info(
                        ids::VERSION_DISCLOSURE,
                        http.span,
                        "`server_tokens` is not set, so nginx's version (default `on`) appears in the `Server` header and on error pages",
                    )
                    .with_help("add `server_tokens off;` to this http block"),
                );
            }
        }
    }
}
