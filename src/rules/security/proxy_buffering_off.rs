//! `proxy-buffering-off`: with buffering off, every response holds its
//! backend connection (and worker) until the slowest client has read it.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ProxyBufferingOff;

impl Rule for ProxyBufferingOff {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PROXY_BUFFERING_OFF]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["proxy_buffering"]) {
            if d.name() == "proxy_buffering" && d.arg(0) == Some("off") {
                out.push(
                    Finding::info(
                        ids::PROXY_BUFFERING_OFF,
                        d.span,
                        "`proxy_buffering off`: each response ties up a backend connection until the client has read all of it, so a few slow clients can exhaust the backend",
                    )
                    .with_help("keep buffering on and turn it off per response for streams (the backend sends `X-Accel-Buffering: no`), or only in the location that streams"),
                );
            }
        }
    }
}
