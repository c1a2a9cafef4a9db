//! `host-spoofing`: the Host (or X-Forwarded-Host) sent upstream comes
//! from a client-controlled value (`$http_host`, an argument, a cookie)
//! instead of `$host`, which nginx validates and ties to server selection.

use crate::analysis::taint::{Flow, Seg, segments};
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct HostSpoofing;

impl Rule for HostSpoofing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HOST_SPOOFING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let flow = Flow::new(m);
        for (sid, d) in m.named(&["proxy_set_header", "grpc_set_header"]) {
            let Some(h) = d.arg(0) else { continue };
            if !h.eq_ignore_ascii_case("host") && !h.eq_ignore_ascii_case("x-forwarded-host") {
                continue;
            }
            let Some(v) = d.args.get(1) else { continue };
            let culprit = segments(v.as_str()).into_iter().find_map(|seg| {
                let (t, label) = match seg {
                    Seg::Lit(_) => return None,
                    Seg::Var(n) => (flow.var(sid, n), format!("${n}")),
                    Seg::Cap(n) => (flow.capture(sid, Some(d), n), format!("${n}")),
                };
                t.user.then_some(label)
            });
            let Some(var) = culprit else { continue };
            out.push(
                    Finding::warning(
                        ids::HOST_SPOOFING,
                        v.span,
                        format!("the {h} header sent upstream comes from `{var}`, which the client chooses freely (an absolute request line selects the server while `Host: evil.example` still arrives): password-reset links, redirects and cache keys built from it point wherever the client likes"),
                    )
                    .with_help("send `$host` (normalised, and tied to `server_name`) and list the real names in `server_name`"),
                );
        }
    }
}
