//! `if-is-evil`: inside `location`, an `if` block becomes a nested
//! location of its own; directives other than the rewrite module's do not
//! do what they look like (try_files and proxy_pass URIs are lost,
//! headers from only the last true `if` survive, some combinations crash).

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::rules::{Check, Rule, ids};

pub struct IfIsEvil;

/// What is safe inside `if` in a location: the rewrite module's own.
const SAFE: &[&str] = &[
    "return",
    "rewrite",
    "set",
    "break",
    "rewrite_log",
    "uninitialized_variable_warn",
    // The headers module keeps `expires` apart from the `add_header` list
    // (ngx_http_headers_merge_conf merges `expires` on its own), and an
    // `if` block's configuration is merged from its location's, so an `if`
    // setting `expires` changes that one header and keeps everything else.
    "expires",
];

impl Rule for IfIsEvil {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::IF_IS_EVIL]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        for s in &m.scopes {
            if s.ctx != Ctx::If {
                continue;
            }
            let in_location = m
                .chain(s.parent.unwrap_or(usize::MAX))
                .find(|p| p.ctx != Ctx::If)
                .is_some_and(|p| p.ctx == Ctx::Location);
            if !in_location {
                continue;
            }
            let Some(ifd) = s.directive else { continue };
            if ends_in_return(m.children(s)) {
                continue;
            }
            for d in m.children(s) {
                if SAFE.contains(&d.name()) || d.name() == "if" {
                    continue;
                }
                out.push(
                    Finding::warning(
                        ids::IF_IS_EVIL,
                        d.span,
                        format!("`{}` inside `if` in a location: the `if` block is an implicit nested location, so this may not apply as written (lost try_files/proxy_pass URI, headers from only the last `if`, crashes with some handlers)", d.name()),
                    )
                    .with_related(ifd.span, "the if")
                    .with_help("keep only return/rewrite/set inside `if`; move the rest to a separate location (`error_page 418 = @other; if (…) { return 418; }`) or use map"),
                );
            }
        }
    }
}

/// An `if` block whose last directive is `return`, with no `break` or
/// `rewrite` before it that could stop the rewrite module short of it: the
/// request is answered inside the block (ngx_http_script_if_code switches
/// the request to the block's configuration, ngx_http_script_return_code
/// then finalizes it in the rewrite phase, so
/// its `add_header` lines go out with the response) and never reaches a
/// content handler. This is the documented safe form, e.g. an OPTIONS
/// preflight that adds CORS headers and returns 204.
fn ends_in_return(children: &[&crate::nginx::ast::Directive]) -> bool {
    let Some((last, before)) = children.split_last() else {
        return false;
    };
    last.name() == "return"
        && !before
            .iter()
            .any(|d| matches!(d.name(), "break" | "rewrite" | "if"))
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint_in_location;

    #[test]
    fn if_ending_in_return_is_not_reported() {
        let c = "if ($request_method = OPTIONS) { add_header Access-Control-Allow-Origin https://a.example; add_header Access-Control-Max-Age 86400; return 204; } proxy_pass http://127.0.0.1:8080;";
        assert!(lint_in_location(ids::IF_IS_EVIL, c).is_empty());
    }

    #[test]
    fn if_setting_only_expires_is_not_reported() {
        let c = "if ($args ~ v=) { expires max; } root /srv;";
        assert!(lint_in_location(ids::IF_IS_EVIL, c).is_empty());
    }

    #[test]
    fn return_that_may_be_skipped_still_reports() {
        // `break` stops the rewrite module before the `return`: the request
        // goes on to the content phase with the if's configuration.
        let c = "if ($arg_a) { add_header X-A 1; break; return 204; } root /srv;";
        assert_eq!(lint_in_location(ids::IF_IS_EVIL, c).len(), 1);
        let c = "if ($arg_a) { add_header X-A 1; } root /srv;";
        assert_eq!(lint_in_location(ids::IF_IS_EVIL, c).len(), 1);
    }
}
