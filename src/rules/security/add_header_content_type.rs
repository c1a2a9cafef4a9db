//! `add-header-content-type`: `add_header Content-Type` adds a second
//! Content-Type header next to the one nginx (or the backend) sends.

use crate::finding::Finding;
use crate::model::Model;
use crate::rules::{Check, Rule, ids};

pub struct AddHeaderContentType;

impl Rule for AddHeaderContentType {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ADD_HEADER_CONTENT_TYPE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (sid, d) in cx.model.named(&["add_header"]) {
            if d.name() == "add_header"
                && d.arg(0)
                    .is_some_and(|n| n.eq_ignore_ascii_case("content-type"))
                && !returns_204(cx.model, sid)
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

/// The block answers every request with `return 204`: nginx drops its own
/// Content-Type from a 204 (ngx_http_header_filter: `status ==
/// NGX_HTTP_NO_CONTENT` clears `headers_out.content_type`), so the one from
/// `add_header` is the only one that goes out.
fn returns_204(m: &Model<'_>, scope: usize) -> bool {
    m.scopes.get(scope).is_some_and(|s| {
        m.children(s)
            .iter()
            .any(|d| d.name() == "return" && d.arg(0) == Some("204"))
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint_in_location;

    #[test]
    fn return_204_sends_one_content_type() {
        let c = "add_header Content-Type \"text/plain; charset=utf-8\"; return 204;";
        assert!(lint_in_location(ids::ADD_HEADER_CONTENT_TYPE, c).is_empty());
    }

    #[test]
    fn other_returns_still_report() {
        let c = "add_header Content-Type text/plain; return 200 ok;";
        assert_eq!(lint_in_location(ids::ADD_HEADER_CONTENT_TYPE, c).len(), 1);
    }
}
