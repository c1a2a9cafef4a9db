//! fpm-limit-extensions: `security.limit_extensions` empty, or listing
//! extensions that are not PHP, so php-fpm runs other files as PHP.

use crate::finding::Finding;
use crate::fpm::{FpmConfig, Pool};
use crate::rules::{Check, Rule, ids};

pub struct FpmLimitExtensions;

impl Rule for FpmLimitExtensions {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_LIMIT_EXTENSIONS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            check(cfg, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    for pool in &cfg.pools {
        check_limit_extensions(pool, out);
    }
}

fn check_limit_extensions(pool: &Pool, out: &mut Vec<Finding>) {
    let Some(s) = pool
        .security_limit_extensions
        .as_ref()
        .filter(|s| !s.has_env)
    else {
        return; // default ".php .phar" is fine
    };
    let exts: Vec<&str> = s
        .value
        .split([' ', '\t'])
        .filter(|e| !e.is_empty())
        .collect();
    if exts.is_empty() {
        out.push(
            Finding::warning(
                ids::FPM_LIMIT_EXTENSIONS,
                s.span,
                format!("pool {}: an empty security.limit_extensions lets php-fpm execute any file as PHP, e.g. an uploaded image with code in it", pool.name),
            )
            .with_help("remove the line (default `.php .phar`) or list only PHP extensions: `security.limit_extensions = .php`"),
        );
        return;
    }
    let bad: Vec<&str> = exts.iter().copied().filter(|e| !is_php_ext(e)).collect();
    if !bad.is_empty() {
        out.push(
            Finding::warning(
                ids::FPM_LIMIT_EXTENSIONS,
                s.value_span,
                format!(
                    "pool {}: security.limit_extensions allows {} to be executed as PHP: a file uploaded with such a name and PHP code inside would run",
                    pool.name,
                    bad.join(" ")
                ),
            )
            .with_help("list only PHP extensions, e.g. `security.limit_extensions = .php`"),
        );
    }
}

/// `.php`, `.phar`, `.phtml`, `.php5`, …: extensions that hold PHP code.
fn is_php_ext(e: &str) -> bool {
    let Some(rest) = e.strip_prefix('.') else {
        return false;
    };
    let lower = rest.to_ascii_lowercase();
    lower == "phar"
        || lower == "phtml"
        || lower
            .strip_prefix("php")
            .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit()))
}
