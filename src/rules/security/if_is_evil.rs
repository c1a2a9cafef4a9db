//! `if-is-evil`: inside `location`, an `if` block becomes a nested
//! location of its own; directives other than the rewrite module's do not
//! do what they look like (try_files and proxy_pass URIs are lost,
//! headers from only the last true `if` survive, some combinations crash).

use crate::finding::Finding;
use crate::nginx::ast::Directive;
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
            let Some(location) = m
                .chain(s.parent.unwrap_or(usize::MAX))
                .find(|p| p.ctx != Ctx::If)
                .filter(|p| p.ctx == Ctx::Location)
            else {
                continue;
            };
            let Some(ifd) = s.directive else { continue };
            if ends_in_return(m.children(s)) {
                continue;
            }
            let unsafe_: Vec<&Directive> = m
                .children(s)
                .iter()
                .copied()
                .filter(|d| !SAFE.contains(&d.name()) && d.name() != "if")
                .collect();
            let Some(first) = unsafe_.first() else {
                continue;
            };
            // try_files has no merge function (ngx_http_try_files_module:
            // no merge_loc_conf), so the if block's implicit location has
            // none: a request the `if` matches skips its location's.
            let try_files = m
                .children(location)
                .iter()
                .rev()
                .find(|d| d.name() == "try_files");
            out.push(finding(ifd, first, &unsafe_, try_files.copied()));
        }
    }
}

/// One finding per `if`, at its first directive outside the rewrite
/// module, naming every such directive and a `try_files` it loses.
fn finding(
    ifd: &Directive,
    first: &Directive,
    unsafe_: &[&Directive],
    try_files: Option<&Directive>,
) -> Finding {
    let mut names: Vec<String> = Vec::new();
    for d in unsafe_ {
        let n = format!("`{}`", d.name());
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let names = names.join(", ");
    let mut f = match try_files {
        Some(t) => Finding::warning(
            ids::IF_IS_EVIL,
            first.span,
            format!(
                "{names} inside `if` in a location with `try_files`: for the requests this `if` matches nginx uses the `if` block's own configuration, which has no try_files (it is not inherited), so `try_files {}` does not run for them",
                t.args.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
            ),
        )
        .with_related(t.span, "skipped when the if matches"),
        None => Finding::warning(
            ids::IF_IS_EVIL,
            first.span,
            format!("{names} inside `if` in a location: the `if` block is an implicit nested location, so this may not apply as written (lost try_files/proxy_pass URI, headers from only the last `if`, crashes with some handlers)"),
        ),
    };
    f = f.with_related(ifd.span, "the if");
    for d in unsafe_.iter().skip(1) {
        f = f.with_related(d.span, "also inside the if");
    }
    f.with_help("keep only return/rewrite/set inside `if`; move the rest to a separate location (`error_page 418 = @other; if (…) { return 418; }`) or use map")
}

/// An `if` block whose last directive is `return`, with no `break` or
/// `rewrite` before it that could stop the rewrite module short of it: the
/// request is answered inside the block (ngx_http_script_if_code switches
/// the request to the block's configuration, ngx_http_script_return_code
/// then finalizes it in the rewrite phase, so
/// its `add_header` lines go out with the response) and never reaches a
/// content handler. This is the documented safe form, e.g. an OPTIONS
/// preflight that adds CORS headers and returns 204.
fn ends_in_return(children: &[&Directive]) -> bool {
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

    /// Peertube's static location: an `if` with headers and `access_log`
    /// before `try_files $uri @api`. One finding for the `if`, naming the
    /// try_files its requests skip (checked on nginx 1.22: GET, which the
    /// `if` matches, got no @api fallback; POST got it).
    #[test]
    fn one_finding_per_if_naming_the_lost_try_files() {
        let c = "if ($request_method = GET) { add_header A 1; add_header B 2; access_log off; } try_files $uri @api;";
        let f = lint_in_location(ids::IF_IS_EVIL, c);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message
                .starts_with("`add_header`, `access_log` inside"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("`try_files $uri @api` does not run"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].related.len(), 4);
    }
}
