//! `fastcgi-params-missing`: a FastCGI location that does not send the
//! parameters PHP needs. Without SCRIPT_FILENAME php-fpm answers "Primary
//! script unknown" (404); without REQUEST_METHOD it returns an empty page.
//! Any `fastcgi_param` in a block replaces all inherited ones, which is how
//! this usually happens.

use crate::finding::Finding;
use crate::model::TargetKind;
use crate::providers::ListenerKind;
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};

pub struct FastcgiParamsMissing;

const REQUIRED: &[(&str, &str)] = &[
    (
        "SCRIPT_FILENAME",
        "php-fpm cannot find the script: \"Primary script unknown\", 404 File not found",
    ),
    (
        "REQUEST_METHOD",
        "php-fpm gets no request method and answers with an empty page",
    ),
];

impl Rule for FastcgiParamsMissing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FASTCGI_PARAMS_MISSING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut unknown: Option<crate::rules::util::UnknownBlocks> = None;
        for t in cx.model.targets_of(TargetKind::FastCgi) {
            if !talks_to_php(cx, t) {
                continue;
            }
            // One pass over the params in effect, stopping once every
            // required one is seen.
            let mut first_param = None;
            let mut found = [false; REQUIRED.len()];
            for d in cx.model.effective(t.scope, "fastcgi_param") {
                first_param.get_or_insert(d);
                if let Some(a) = d.arg(0) {
                    for (seen, (name, _)) in found.iter_mut().zip(REQUIRED) {
                        *seen |= a == *name;
                    }
                }
                if found.iter().all(|&f| f) {
                    break;
                }
            }
            let missing: Vec<&(&str, &str)> = REQUIRED
                .iter()
                .zip(found)
                .filter(|(_, seen)| !seen)
                .map(|(r, _)| r)
                .collect();
            let Some((first, why)) = missing.first() else {
                continue;
            };
            // No fastcgi_param in the file nothing includes: it inherits
            // those of the blocks it is deployed in (an http-level `include
            // fastcgi.conf`), which are not in view. One fastcgi_param in
            // it replaces all inherited ones, so then the set is known.
            if first_param.is_none() && crate::rules::util::parent_unknown(cx, t.scope) {
                continue;
            }
            // An include outside the repository in this block or around
            // it may hold them: cannot check.
            if unknown
                .get_or_insert_with(|| crate::rules::util::UnknownBlocks::new(cx))
                .around(cx.model, t.scope)
            {
                continue;
            }
            let names: Vec<&str> = missing.iter().map(|(n, _)| *n).collect();
            let mut f = Finding::error(
                ids::FASTCGI_PARAMS_MISSING,
                t.directive.span,
                format!(
                    "fastcgi_pass without fastcgi_param {}: {why}",
                    names.join(", ")
                ),
            );
            f.help = Some(if first_param.is_none() {
                "add `include fastcgi_params;` and `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;` (or `include fastcgi.conf;`) to this location".into()
            } else {
                format!(
                    "a fastcgi_param in this block (or the nearest one that has any) replaces every inherited one: add `include fastcgi_params;` there, and `fastcgi_param {first} …` if it is still missing"
                )
            });
            if let Some(p) = first_param {
                f = f.with_related(p.span, "the fastcgi_param set in effect starts here");
            }
            out.push(f);
        }
    }
}

/// Decide whether a FastCGI target is PHP: it reaches a php-fpm pool, or
/// its location is about `.php`. Other FastCGI apps may not want these.
fn talks_to_php(cx: &Check<'_>, t: &crate::model::Target<'_>) -> bool {
    // The location test first: it reads a few directives, while the pool
    // test hashes the address into the resolver's map.
    let php_location = cx
        .model
        .chain(t.scope)
        .filter_map(|s| s.directive)
        .any(|d| {
            d.name_id == crate::nginx::schema::known_id!("location")
                && d.args.iter().any(|a| a.as_str().contains("php"))
        });
    php_location
        || endpoints(cx.model, t).iter().any(|(_, ep)| {
            cx.resolver()
                .serving(ep)
                .iter()
                .any(|&i| cx.resolver().listeners[i].kind == ListenerKind::PhpFpm)
        })
}
