//! `add-header-content-type`: `add_header Content-Type` adds a second
//! Content-Type header next to the one nginx (or the backend) sends.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct AddHeaderContentType;

impl Rule for AddHeaderContentType {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ADD_HEADER_CONTENT_TYPE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["add_header"]) {
            if d.name() == "add_header"
                && d.arg(0)
                    .is_some_and(|n| n.eq_ignore_ascii_case("content-type"))
            {
                out.push(
                    Finding::warning(
                        ids::ADD_HEADER_CONTENT_TYPE,
                        d.span,
                        "`add_header Content-Type` does not replace the response's Content-Type, it adds a second one: browsers pick either, and may sniff the body",
                    )
                    .with_help("set the type with `default_type text/plain;` (or a `types { }` block); for proxied responses use `proxy_hide_header Content-Type;` first"),
                );
            }
        }
    }
}
