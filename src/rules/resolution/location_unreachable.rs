//! `location-unreachable`: a location that no URI can select, because the
//! location search (`ngx_http_core_find_location`) always gives its
//! requests to another one first. The cases where that is certain are in
//! [`crate::route::unreachable`]; a duplicate location is nginx's own
//! error (`duplicate-location`).

use crate::finding::Finding;
use crate::model::{Model, ScopeId};
use crate::route::location::tree;
use crate::route::unreachable::{Unreachable, find};
use crate::rules::{Check, Rule, ids};

pub struct LocationUnreachable;

impl Rule for LocationUnreachable {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::LOCATION_UNREACHABLE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let model = cx.model;
        for s in model.servers.iter().filter(|s| !s.stream) {
            for u in find(&tree(model, s.scope)) {
                if let Some(f) = finding(model, &u) {
                    out.push(f);
                }
            }
        }
    }
}

fn block<'t>(model: &Model<'t>, scope: ScopeId) -> Option<&'t crate::nginx::ast::Directive> {
    model.scopes.get(scope)?.directive
}

fn words(d: &crate::nginx::ast::Directive) -> String {
    let args: Vec<&str> = d.args.iter().map(|a| a.as_str()).collect();
    format!("location {}", args.join(" "))
}

fn help(d: &crate::nginx::ast::Directive) -> &'static str {
    match crate::analysis::location_match(d) {
        Some((crate::analysis::LocKind::Regex { .. }, _, _)) => {
            "move it before the regex that takes its requests, or make that regex narrower"
        }
        _ => {
            "mark the prefix `^~` so that regexes are not tried for it, or make the regex narrower"
        }
    }
}

fn finding(model: &Model<'_>, u: &Unreachable) -> Option<Finding> {
    let d = block(model, u.scope)?;
    let by = block(model, u.by)?;
    Some(
        Finding::warning(
            ids::LOCATION_UNREACHABLE,
            d.span,
            format!(
                "`{}` is never selected: {}, `{}`",
                words(d),
                u.why,
                words(by)
            ),
        )
        .with_help(help(d))
        .with_related(by.span, "this location takes its requests"),
    )
}
