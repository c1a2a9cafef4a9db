//! `php-arbitrary-execution`: a `\.php$` location hands PHP any path that
//! ends in `.php`, including `/uploads/avatar.jpg/x.php`, while the pool
//! executes any extension: an uploaded image runs as code.

use crate::finding::Finding;
use crate::model::TargetKind;
use crate::nginx::schema::known_id;
use crate::providers::ListenerKind;
use crate::rules::resolution::endpoints;
use crate::rules::{Check, Rule, ids};

pub struct PhpArbitraryExecution;

/// What php-fpm executes when `security.limit_extensions` is unset.
pub const DEFAULT_LIMIT_EXTENSIONS: &str = ".php .phar";

impl Rule for PhpArbitraryExecution {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::PHP_ARBITRARY_EXECUTION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let Some(cfg) = &cx.loaded.fpm else { return };
        for t in cx
            .model
            .targets
            .iter()
            .filter(|t| t.kind == TargetKind::FastCgi)
        {
            // Only a pool that runs more than PHP's extensions makes a
            // finding: ask the resolver (small, in cache) before reading
            // the location's words (a trip to memory each in a large tree).
            let wide_pool = endpoints(cx.model, t).iter().any(|(_, ep)| {
                cx.resolver().serving(ep).iter().any(|&li| {
                    let l = &cx.resolver().listeners[li];
                    l.kind == ListenerKind::PhpFpm
                        && l.pool.and_then(|p| cfg.pools.get(p)).is_some_and(|pool| {
                            wide(
                                pool.security_limit_extensions
                                    .as_ref()
                                    .map_or(DEFAULT_LIMIT_EXTENSIONS, |s| s.value.as_str()),
                            )
                        })
                })
            });
            if !wide_pool {
                continue;
            }
            let Some(loc) = cx
                .model
                .chain(t.scope)
                .filter_map(|s| s.directive)
                .find(|d| d.name_id == known_id!("location"))
            else {
                continue;
            };
            let regex = loc.args.iter().any(|a| matches!(a.as_str(), "~" | "~*"))
                && loc.args.iter().any(|a| a.as_str().contains("php"));
            if !regex || checks_file_exists(cx, t.scope) {
                continue;
            }
            for (_, ep) in endpoints(cx.model, t) {
                for li in cx.resolver().serving(ep) {
                    let l = &cx.resolver().listeners[li];
                    if l.kind != ListenerKind::PhpFpm {
                        continue;
                    }
                    let Some(pool) = l.pool.and_then(|p| cfg.pools.get(p)) else {
                        continue;
                    };
                    let setting = pool.security_limit_extensions.as_ref();
                    let exts = setting.map_or(DEFAULT_LIMIT_EXTENSIONS, |s| s.value.as_str());
                    if !wide(exts) {
                        continue;
                    }
                    let what = if exts.trim().is_empty() {
                        "every extension".to_string()
                    } else {
                        format!("`{}`", exts.trim())
                    };
                    let mut f = Finding::error(
                        ids::PHP_ARBITRARY_EXECUTION,
                        loc.span,
                        format!(
                            "this location passes any path ending in .php to PHP without checking the file exists, and pool {} executes {what}: an uploaded /uploads/x.jpg/y.php runs x.jpg as PHP",
                            pool.name
                        ),
                    )
                    .with_help("add `try_files $uri =404;` to the location, and set `security.limit_extensions = .php` in the pool");
                    if let Some(s) = setting {
                        f = f.with_related(s.span, "the pool's allowed extensions");
                    }
                    out.push(f);
                }
            }
        }
    }
}

/// Does the location make sure the script exists before passing it on?
/// (From the model's name index: reading each of the location's
/// directives for its name is a trip to memory apiece in a large tree.)
fn checks_file_exists(cx: &Check<'_>, scope: usize) -> bool {
    let m = cx.model;
    let try_files = m
        .own(scope, "try_files")
        .any(|d| d.args.last().is_some_and(|a| a.as_str().starts_with('=')));
    let if_exists = m.own(scope, "if").any(|d| {
        d.args
            .iter()
            .any(|a| a.as_str() == "!-f" || a.as_str() == "(!-f")
            && d.block
                .as_ref()
                .is_some_and(|b| b.children.iter().any(|c| c.name_id == known_id!("return")))
    });
    try_files || if_exists
}

/// Extensions beyond PHP's own: an empty list allows everything.
fn wide(exts: &str) -> bool {
    let list: Vec<&str> = exts.split_whitespace().collect();
    list.is_empty()
        || list.iter().any(|e| {
            !matches!(
                e.to_ascii_lowercase().as_str(),
                ".php" | ".phar" | ".php3" | ".php4" | ".php5" | ".php7" | ".php8" | ".phtml"
            )
        })
}
