//! `error_page`: a status the request ends with, when an `error_page` in
//! effect names it, becomes an internal redirect (nginx 1.22,
//! ngx_http_special_response.c). `ngx_http_special_response_handler`
//! looks at the error pages of the request's current configuration only
//! while `r->error_page` is unset and `r->uri_changes` is not 0; with
//! `recursive_error_pages off` (the default) the first look sets
//! `r->error_page`, whether or not a page matched, so a second error is
//! answered as it is. `ngx_http_send_error_page` sets the status the
//! client sees (`=code`; `=` alone: the redirected request's own; none:
//! the original error), turns the method into GET (HEAD stays), and goes
//! to a `/uri` (its own `?args` replace the request's) through
//! `ngx_http_internal_redirect`, to an `@name` through
//! `ngx_http_named_location`, or answers anything else with a redirect
//! (302 unless `=301`/`=303`/`=307`/`=308`). `ngx_http_core_error_page`
//! reads the directive (494–497 without `=code` answer 400); an error page
//! list is inherited whole by a block with none of its own. The errors
//! nginx meets before the phases (`early.rs`) come here too.

use super::{Handler, Runner};
use crate::model::ScopeId;
use crate::nginx::ast::Directive;
use crate::route::location::Loc;

/// How an `error_page` changes the response code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overwrite {
    /// No `=`: the original error.
    Keep,
    /// `=` alone: the redirected request's own status.
    Target,
    /// `=code`.
    Code(u16),
}

/// One `error_page` directive read: its codes, the `=` form and the
/// destination.
struct Page<'d> {
    codes: Vec<u16>,
    overwrite: Overwrite,
    to: &'d str,
}

fn parse(d: &Directive) -> Option<Page<'_>> {
    let n = d.args.len();
    let to = d.arg(n.checked_sub(1)?)?;
    let mut overwrite = Overwrite::Keep;
    let mut codes = Vec::new();
    for w in d.args.iter().take(n - 1).map(|a| a.as_str()) {
        if let Some(c) = w.strip_prefix('=') {
            overwrite = if c.is_empty() {
                Overwrite::Target
            } else {
                Overwrite::Code(u16::try_from(crate::nginx::values::atoi(c)?).ok()?)
            };
        } else {
            codes.push(u16::try_from(crate::nginx::values::atoi(w)?).ok()?);
        }
    }
    Some(Page {
        codes,
        overwrite,
        to,
    })
}

/// The status nginx finalizes the request with, when it goes through
/// `ngx_http_special_response_handler`: its own errors, a `return` of a
/// redirect code or of an error code without text
/// (`ngx_http_script_return_code`, `ngx_http_send_response`). 444 and 499
/// close the connection first.
fn finalized_status(h: &Handler) -> Option<u16> {
    let code = match h {
        Handler::Status { code, .. } => *code,
        Handler::Return { code, text, .. } => {
            let redirect = matches!(code, 301 | 302 | 303 | 307 | 308);
            if !redirect && (text.is_some() || *code < 400) {
                return None;
            }
            *code
        }
        _ => return None,
    };
    ((300..=599).contains(&code) && code != 444 && code != 499).then_some(code)
}

impl Runner<'_, '_> {
    /// Follow the `error_page` redirects from `h`, the request's end so
    /// far, and the status the client sees when an `error_page` set it.
    pub(super) fn error_pages(
        &mut self,
        tree: &[Loc],
        server: ScopeId,
        mut h: Handler,
    ) -> (Handler, Option<u16>) {
        let mut status = None;
        while let Some(code) = finalized_status(&h) {
            let conf = self.scope.unwrap_or(server);
            let pages: Vec<&Directive> = self.model.effective(conf, "error_page").collect();
            if self.error_page_seen || pages.is_empty() || self.changes == 0 {
                break;
            }
            let recursive = self
                .model
                .effective_one(conf, "recursive_error_pages")
                .and_then(|d| d.arg(0))
                .and_then(crate::nginx::values::parse_flag)
                .unwrap_or(false);
            self.error_page_seen = !recursive;
            let Some((d, page)) = pages
                .iter()
                .filter_map(|d| Some((*d, parse(d)?)))
                .find(|(_, p)| p.codes.contains(&code))
            else {
                break;
            };
            let (next, url) = self.send_error_page(tree, server, d, &page, code);
            status = match page.overwrite {
                _ if url => None,
                // `ngx_http_core_error_page`: 494–497 without `=` answer 400.
                Overwrite::Keep => Some(super::early::visible(code)),
                Overwrite::Code(c) => Some(c),
                Overwrite::Target => None,
            };
            h = next;
        }
        // An error the redirect ends with is answered with its own status;
        // nginx's 494–497 as 400.
        if finalized_status(&h).is_some() {
            status = None;
        }
        if let Handler::Status { code, .. } = &mut h {
            *code = super::early::visible(*code);
        }
        (h, status)
    }

    /// `ngx_http_send_error_page`: the redirect and where it ends; true
    /// when it answers with a redirect to a URL.
    fn send_error_page(
        &mut self,
        tree: &[Loc],
        server: ScopeId,
        d: &Directive,
        page: &Page<'_>,
        code: u16,
    ) -> (Handler, bool) {
        let to = self.expand_or_raw(page.to);
        if !(to.starts_with('/') || to.starts_with('@')) {
            let c = match page.overwrite {
                Overwrite::Code(c @ (301 | 302 | 303 | 307 | 308)) => c,
                _ => 302,
            };
            self.ran(d, format!("{code}: redirects ({c}) to {to}"));
            let h = Handler::Return {
                code: c,
                text: Some(to),
                at: d.span,
            };
            return (h, true);
        }
        self.ran(d, format!("{code}: internal redirect to {to}"));
        if self.vars.method != "HEAD" {
            self.vars.method = "GET".into();
        }
        self.internal = true;
        if let Some(h) = self.change() {
            return (h, false);
        }
        if to.starts_with('@') {
            let h = match self.named(tree, &to, d) {
                Some(h) => h,
                None => self.locate(tree, server),
            };
            return (h, false);
        }
        match to.split_once('?') {
            Some((p, a)) => {
                self.vars.uri = p.as_bytes().to_vec();
                self.vars.args = Some(a.as_bytes().to_vec());
            }
            None => {
                self.vars.uri = to.into_bytes();
                self.vars.args = None;
            }
        }
        self.vars.captures.clear();
        (self.locate(tree, server), false)
    }

    /// One of nginx's `r->uri_changes`: 500 when none is left
    /// (`ngx_http_internal_redirect`, `ngx_http_named_location`,
    /// ngx_http_core_post_rewrite_phase).
    pub(super) fn change(&mut self) -> Option<Handler> {
        self.changes = self.changes.saturating_sub(1);
        (self.changes == 0).then(|| Handler::Status {
            code: 500,
            why: "rewrite or internal redirection cycle".into(),
        })
    }
}
