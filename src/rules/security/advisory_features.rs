//! Which advisory features (`advisories::Feature`) a directive shows. The
//! conditions are those of nginx's change log for each flaw
//! (docs/xml/nginx/changes.xml) and of the fixing commits, narrowed to what
//! a configuration shows: an advisory whose flaw needs a directive is not
//! reported for a tree without it.

use super::advisories::Feature;
use crate::analysis::regex::Regex;
use crate::model::walk::Visit;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;

/// Every directive name [`features`] reads.
pub const NAMES: &[&str] = &[
    "resolver",
    "mp4",
    "http2",
    "http3",
    "listen",
    "http",
    "map",
    "slice",
    "proxy_cache_background_update",
    "fastcgi_cache_background_update",
    "ssi",
    "ignore_invalid_headers",
    "grpc_pass",
    "proxy_http_version",
    "proxy_set_body",
    "charset_map",
    "rewrite",
    "set",
    "if",
    "scgi_pass",
    "uwsgi_pass",
    "ssl_ocsp",
    "dav_methods",
    "alias",
    "smtp_auth",
    "imap_auth",
    "pop3_auth",
    "proxy_pass",
    "proxy_ssl",
    "ssl_verify_client",
];

fn has_word(d: &Directive, words: &[&str]) -> bool {
    d.args
        .iter()
        .any(|a| words.iter().any(|w| a.as_str().eq_ignore_ascii_case(w)))
}

fn off(d: &Directive) -> bool {
    d.arg(0) == Some("off")
}

fn in_http(ctx: Ctx) -> bool {
    matches!(
        ctx,
        Ctx::Http | Ctx::Server | Ctx::Location | Ctx::If | Ctx::LimitExcept
    )
}

fn in_stream(ctx: Ctx) -> bool {
    matches!(ctx, Ctx::Stream | Ctx::StreamServer)
}

/// The features `v`'s directive shows (most show none or one).
pub fn features(v: &Visit<'_, '_>) -> Vec<Feature> {
    let d = v.directive;
    if v.ctx == Ctx::Data {
        return Vec::new();
    }
    let on = d.arg(0) == Some("on");
    let listen_has =
        |p: &str| v.ctx == Ctx::Server && d.args.iter().skip(1).any(|w| w.as_str() == p);
    let one = |f: Feature, cond: bool| if cond { vec![f] } else { Vec::new() };
    match d.name() {
        "resolver" if matches!(v.ctx, Ctx::Mail | Ctx::MailServer) && !off(d) => {
            vec![Feature::Resolver, Feature::MailResolver]
        }
        "resolver" => one(Feature::Resolver, !off(d)),
        "mp4" => vec![Feature::Mp4],
        "http2" => one(Feature::Http2, on),
        "http3" => one(Feature::Http3, on),
        "listen" if listen_has("quic") => vec![Feature::Http3],
        "listen" => one(Feature::Http2, listen_has("http2")),
        "http" => one(Feature::Http, d.block.is_some() && v.ctx == Ctx::Main),
        "map" => one(Feature::MapRegex, map_has_regex(d)),
        "slice" => one(Feature::Slice, d.arg(0).is_some_and(|s| s != "0")),
        "proxy_cache_background_update" | "fastcgi_cache_background_update" => {
            one(Feature::Slice, on)
        }
        "ssi" => one(Feature::Ssi, on),
        "ignore_invalid_headers" => one(Feature::InvalidHeadersKept, off(d)),
        "grpc_pass" => {
            let mut f = vec![Feature::Http2Backend];
            if d.arg(0).is_some_and(|a| a.starts_with("grpcs://")) {
                f.push(Feature::UpstreamSsl);
            }
            f
        }
        "proxy_http_version" if d.arg(0) == Some("2") => {
            vec![Feature::Http2Backend, Feature::ProxyHttp2]
        }
        "proxy_set_body" => vec![Feature::ProxySetBody],
        "charset_map" => one(Feature::CharsetMapUtf8, has_word(d, &["utf-8"])),
        "rewrite" => rewrite_features(d),
        "set" | "if" => one(Feature::ScriptCapture, d.max_capture > 0),
        "scgi_pass" => vec![Feature::ScgiUwsgi],
        "uwsgi_pass" => {
            let mut f = vec![Feature::ScgiUwsgi];
            if d.arg(0).is_some_and(|a| a.starts_with("suwsgi://")) {
                f.push(Feature::UpstreamSsl);
            }
            f
        }
        "ssl_ocsp" if !off(d) && in_http(v.ctx) => vec![Feature::SslOcsp],
        "ssl_ocsp" => one(Feature::StreamOcsp, !off(d) && in_stream(v.ctx)),
        "dav_methods" => one(Feature::DavCopyMove, has_word(d, &["COPY", "MOVE"])),
        "alias" => vec![Feature::Alias],
        "smtp_auth" => {
            let mut f = one(Feature::SmtpAuthNone, has_word(d, &["none"]));
            if has_word(d, &["cram-md5"]) {
                f.push(Feature::MailChallengeAuth);
            }
            f
        }
        "imap_auth" | "pop3_auth" => one(
            Feature::MailChallengeAuth,
            has_word(d, &["cram-md5", "apop"]),
        ),
        "proxy_pass" => one(
            Feature::UpstreamSsl,
            in_http(v.ctx) && d.arg(0).is_some_and(|a| a.starts_with("https://")),
        ),
        "proxy_ssl" => one(Feature::UpstreamSsl, on && in_stream(v.ctx)),
        "ssl_verify_client" => one(
            Feature::VerifyClient,
            !off(d) && (in_http(v.ctx) || in_stream(v.ctx)),
        ),
        _ => Vec::new(),
    }
}

/// A `map` with a `~` or `~*` key among its own entries.
fn map_has_regex(d: &Directive) -> bool {
    d.block
        .as_ref()
        .is_some_and(|b| b.children.iter().any(|e| e.name().starts_with('~')))
}

/// CVE-2026-42945 needs a replacement that adds arguments (nginx commit
/// 2046b45: `rewrite ^(.*) /new?c=1;` then `set $v $1;`); CVE-2026-9256 a
/// replacement without variables that uses overlapping captures and adds
/// arguments or redirects (commit ca4f92a:
/// `rewrite ^/((.*))$ http://127.0.0.1:8080/$1$2 redirect;`).
fn rewrite_features(d: &Directive) -> Vec<Feature> {
    let (Some(regex), Some(to)) = (d.arg(0), d.arg(1)) else {
        return Vec::new();
    };
    let mut f = Vec::new();
    let args = to.contains('?');
    if args {
        f.push(Feature::RewriteArgs);
    }
    let redirect = matches!(d.arg(2), Some("redirect" | "permanent"))
        || to.starts_with("http://")
        || to.starts_with("https://");
    if (args || redirect) && only_captures(to) && overlapping_captures(regex) {
        f.push(Feature::RewriteOverlappingCaptures);
    }
    f
}

/// The replacement refers to captures (`$1`) and to no variable.
fn only_captures(to: &str) -> bool {
    let b = to.as_bytes();
    let dollars: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b'$').collect();
    !dollars.is_empty()
        && dollars
            .iter()
            .all(|&i| b.get(i + 1).is_some_and(u8::is_ascii_digit))
}

/// A capture group inside another one (`^/((.*))$`).
fn overlapping_captures(pattern: &str) -> bool {
    let re = Regex::parse(pattern, false);
    if !re.ok() {
        return false;
    }
    let span = |n: u32| re.spans.get(n as usize).copied();
    let spans: Vec<(u32, u32)> = re.groups.iter().filter_map(|g| span(g.node)).collect();
    spans.iter().enumerate().any(|(i, a)| {
        spans
            .iter()
            .enumerate()
            .any(|(j, b)| i != j && a.0 <= b.0 && b.1 <= a.1)
    })
}
