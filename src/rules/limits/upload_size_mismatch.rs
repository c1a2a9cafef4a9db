//! upload-size-mismatch: nginx's `client_max_body_size` and PHP's
//! `post_max_size` / `upload_max_filesize` for the pool a PHP location
//! passes to disagree.
//!
//! - nginx lower than what PHP was configured to accept: nginx answers
//!   413 Request Entity Too Large (`client intended to send too large
//!   body`, `ngx_http_core_module`) before PHP sees the upload.
//! - PHP lower than nginx: a body over `post_max_size` is dropped by PHP
//!   (`POST Content-Length of N bytes exceeds the limit of M bytes`, php-src
//!   `main/SAPI.c`), so `$_POST` and `$_FILES` arrive empty; a file over
//!   `upload_max_filesize` gets `UPLOAD_ERR_INI_SIZE` (`main/rfc1867.c`).

use rustc_hash::FxHashSet as HashSet;

use super::super::resolution::endpoints;
use crate::finding::Finding;
use crate::model::{Target, TargetKind};
use crate::nginx::ast::Directive;
use crate::nginx::values::parse_offset;
use crate::php_ini::{Effective, Origin, parse_quantity, request_value};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct UploadSizeMismatch;

/// nginx's default `client_max_body_size` (`ngx_http_core_module`: 1m).
const NGINX_DEFAULT: i64 = 1 << 20;

/// One of PHP's two limits for a location and pool.
struct PhpLimit {
    key: &'static str,
    /// Bytes; `None` for no limit (`post_max_size = 0`).
    bytes: Option<i64>,
    e: Effective,
}

/// nginx's limit where the location passes to PHP.
struct NginxLimit<'t> {
    /// None: no limit (`client_max_body_size 0`).
    bytes: Option<i64>,
    at: Option<&'t Directive>,
}

impl NginxLimit<'_> {
    fn describe(&self) -> String {
        match (self.at, self.bytes) {
            (None, _) => "client_max_body_size (default 1m)".into(),
            (Some(d), _) => format!("client_max_body_size {}", d.arg(0).unwrap_or("")),
        }
    }
}

impl Rule for UploadSizeMismatch {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::UPLOAD_SIZE_MISMATCH]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let Some(fpm) = &cx.loaded.fpm else { return };
        if fpm.pools.is_empty() {
            return;
        }
        // One finding per nginx line (a server-level limit inherited by
        // many PHP locations is reported once).
        let mut reported: HashSet<Span> = HashSet::default();
        for t in cx.model.targets_of(TargetKind::FastCgi) {
            let Some(nginx) = nginx_limit(cx, t) else {
                continue;
            };
            let mut pools: Vec<usize> = Vec::new();
            for (_, ep) in endpoints(cx.model, t) {
                for i in cx.resolver().serving(ep) {
                    if let Some(p) = cx.resolver().listeners[i].pool
                        && !pools.contains(&p)
                    {
                        pools.push(p);
                    }
                }
            }
            for pool in pools {
                let (Some(post), Some(upload)) = (
                    php_limit(cx, t, pool, "post_max_size"),
                    php_limit(cx, t, pool, "upload_max_filesize"),
                ) else {
                    continue;
                };
                let name = &fpm.pools[pool].name;
                let f = php_lower(cx, t, &nginx, &post, &upload, pool, name)
                    .or_else(|| nginx_lower(t, &nginx, &post, &upload, name));
                if let Some(f) = f
                    && reported.insert(f.span)
                {
                    out.push(f);
                }
            }
        }
    }
}

fn nginx_limit<'t>(cx: &Check<'t>, t: &Target<'t>) -> Option<NginxLimit<'t>> {
    match cx.model.effective_one(t.scope, "client_max_body_size") {
        None => Some(NginxLimit {
            bytes: Some(NGINX_DEFAULT),
            at: None,
        }),
        Some(d) => {
            let n = parse_offset(d.arg(0)?)?;
            Some(NginxLimit {
                bytes: (n > 0).then_some(n),
                at: Some(d),
            })
        }
    }
}

/// `key` for requests of this location to `pool`: a `PHP_VALUE` /
/// `PHP_ADMIN_VALUE` FastCGI parameter (php-fpm applies `PHP_ADMIN_VALUE`
/// after `PHP_VALUE`, `init_request_info` in `fpm_main.c`), else the
/// pool's and the ini files'. None when unknown or unreadable.
fn php_limit(cx: &Check<'_>, t: &Target<'_>, pool: usize, key: &'static str) -> Option<PhpLimit> {
    let mut from_request: Option<Effective> = None;
    for name in ["PHP_VALUE", "PHP_ADMIN_VALUE"] {
        for d in cx.model.effective(t.scope, "fastcgi_param") {
            if d.arg(0) != Some(name) {
                continue;
            }
            match request_value(d.arg(1).unwrap_or(""), key) {
                None => {}
                Some(None) => return None,
                Some(Some(v)) => {
                    from_request = Some(Effective {
                        value: v,
                        span: Some(d.span),
                        origin: Origin::Request,
                        written: format!("{key} in fastcgi_param {name}"),
                    })
                }
            }
        }
    }
    let e = match from_request {
        Some(e) => e,
        None => {
            cx.loaded
                .php_ini
                .effective_in(cx.loaded.fpm.as_ref()?, pool, key, doc_root(cx, t))?
        }
    };
    let n = parse_quantity(&e.value)?;
    let bytes = match (key, n) {
        ("post_max_size", 0) => None,
        (_, n) if n > 0 => Some(n),
        _ => return None,
    };
    Some(PhpLimit { key, bytes, e })
}

/// PHP takes less than nginx lets through: the smaller PHP limit below
/// nginx's, `post_max_size` first (it empties the whole request).
fn php_lower(
    cx: &Check<'_>,
    t: &Target<'_>,
    nginx: &NginxLimit<'_>,
    post: &PhpLimit,
    upload: &PhpLimit,
    pool: usize,
    name: &str,
) -> Option<Finding> {
    let below = |l: &PhpLimit| match (l.bytes, nginx.bytes) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(p), Some(n)) => p < n,
    };
    let low = [post, upload].into_iter().find(|l| below(l))?;
    if nginx.at.is_none() && low.e.origin == Origin::Default {
        return None;
    }
    // PHP's default is a guess when no ini file of the installation was
    // found: a conf.d file written by a Dockerfile may raise it.
    let ini_seen = cx
        .loaded
        .php_ini
        .by_pool
        .get(pool)
        .copied()
        .flatten()
        .is_some();
    let span = nginx.at.map_or(t.directive.span, |d| d.span);
    let effect = if low.key == "post_max_size" {
        "PHP discards the whole body (`POST Content-Length of N bytes exceeds the limit`): $_POST and $_FILES arrive empty"
    } else {
        "PHP rejects each larger file (UPLOAD_ERR_INI_SIZE in $_FILES)"
    };
    let msg = format!(
        "{} lets larger request bodies through than pool {name}'s {}: {effect}",
        nginx.describe(),
        describe(low),
    );
    let mut f = if low.e.origin == Origin::Default && !ini_seen {
        Finding::info(ids::UPLOAD_SIZE_MISMATCH, span, msg)
    } else {
        Finding::warning(ids::UPLOAD_SIZE_MISMATCH, span, msg)
    };
    if let Some(s) = low.e.span {
        f = f.with_related(s, format!("PHP's {} for pool {name}", low.key));
    }
    let why = match (low.e.origin, ini_seen) {
        (Origin::Default, true) => {
            " (the php.ini and conf.d files read do not set it: PHP's default applies)"
        }
        (Origin::Default, false) => {
            " (no php.ini or conf.d file was found beside php-fpm's configuration: PHP's default is assumed)"
        }
        _ => "",
    };
    Some(f.with_help(format!(
        "raise {} to at least the body size nginx accepts, or lower `client_max_body_size` to what PHP takes{why}",
        low.e.written,
    )))
}

/// nginx refuses bodies that PHP was configured to take: uploads between
/// the two get 413 from nginx.
fn nginx_lower(
    t: &Target<'_>,
    nginx: &NginxLimit<'_>,
    post: &PhpLimit,
    upload: &PhpLimit,
    name: &str,
) -> Option<Finding> {
    let n = nginx.bytes?;
    // The largest upload PHP takes is bound by the smaller of the two.
    let binding = match (post.bytes, upload.bytes) {
        (Some(p), Some(u)) if p < u => post,
        _ => upload,
    };
    let php = binding.bytes?;
    // PHP's defaults against nginx's are the stock setup, not a choice.
    if php <= n || binding.e.origin == Origin::Default {
        return None;
    }
    let span = nginx.at.map_or(t.directive.span, |d| d.span);
    let mut f = Finding::warning(
        ids::UPLOAD_SIZE_MISMATCH,
        span,
        format!(
            "{} is lower than pool {name}'s {}: uploads PHP accepts get 413 Request Entity Too Large from nginx",
            nginx.describe(),
            describe(binding),
        ),
    );
    if let Some(s) = binding.e.span {
        f = f.with_related(s, format!("PHP accepts up to {} here", binding.e.value));
    }
    Some(f.with_help(format!(
        "set `client_max_body_size {};` in the server or this location (nginx logs `client intended to send too large body`), or lower {} if the smaller limit is meant",
        nginx_size(php),
        binding.e.written
    )))
}

fn describe(l: &PhpLimit) -> String {
    match l.e.origin {
        Origin::Default => format!("{} (PHP's default {})", l.key, l.e.value),
        _ => format!("{} {}", l.key, l.e.value),
    }
}

/// Bytes as nginx writes a size (`100m`, `512k`).
fn nginx_size(b: i64) -> String {
    if b % (1 << 20) == 0 {
        format!("{}m", b >> 20)
    } else if b % (1 << 10) == 0 {
        format!("{}k", b >> 10)
    } else {
        b.to_string()
    }
}

/// The document root of a target's location (a static absolute `root`),
/// where php-fpm looks for `.user.ini`.
fn doc_root<'t>(cx: &Check<'t>, t: &Target<'t>) -> Option<&'t std::path::Path> {
    let r = cx.model.effective_one(t.scope, "root")?.arg(0)?;
    (r.starts_with('/') && !r.contains('$')).then(|| std::path::Path::new(r))
}
