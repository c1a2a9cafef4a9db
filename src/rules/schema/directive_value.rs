//! `directive-value`: an argument nginx's handler rejects: a flag that is
//! not on/off, a size, time or number it cannot parse, a value outside an
//! enum or bitmask, a bad `listen` address or parameter, a `return` or
//! `error_page` code out of range, a `proxy_pass` without scheme.

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::lexer::Word;
use crate::nginx::schema::{DirectiveSpec, ValueKind, Version};
use crate::nginx::values::{
    atoi, check_listen_param, has_variable, parse_flag, parse_listen, parse_offset, parse_size,
    parse_time,
};
use crate::nginx::walk::{Visit, walk_all};
use crate::rules::schema::Env;
use crate::rules::{Check, Rule, ids};

pub struct DirectiveValue;

impl Rule for DirectiveValue {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DIRECTIVE_VALUE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let env = Env::new(cx.loaded, cx.settings);
        walk_all(cx.loaded, &mut |v| {
            let Some(spec) = env.spec_for(v) else {
                return;
            };
            let d = v.directive;
            // nginx calls the handler only when the count and the block fit.
            if !spec.accepts_arg_count(d.args.len()) || spec.is_block() != d.block.is_some() {
                return;
            }
            if let Some((w, msg, help)) = check(spec, d, v, cx.settings.nginx_version) {
                out.push(Finding::error(ids::DIRECTIVE_VALUE, w.span, msg).with_help(help));
            }
        });
    }
}

type Bad<'d> = Option<(&'d Word, String, String)>;

fn check<'d>(
    spec: &DirectiveSpec,
    d: &'d Directive,
    v: &Visit<'_, '_>,
    version: Version,
) -> Bad<'d> {
    let name = d.name();
    let first = d.args.first()?;
    let s = first.as_str();
    let slot = |ok: bool, what: &str, help: String| -> Bad<'d> {
        (!ok).then(|| (first, format!("\"{name}\" directive {what}"), help))
    };
    match spec.value {
        ValueKind::Flag => (parse_flag(s).is_none()).then(|| {
            (
                first,
                format!(
                    "invalid value \"{s}\" in \"{name}\" directive, it must be \"on\" or \"off\""
                ),
                format!("`{name}` is a flag: `{name} on;` or `{name} off;`"),
            )
        }),
        ValueKind::Msec => slot(
            parse_time(s, false).is_some(),
            "invalid value",
            "a time: a number with units ms, s, m, h, d, w (e.g. `500ms`, `30s`, `1h30m`); \
             a bare number is seconds"
                .into(),
        ),
        ValueKind::Sec => slot(
            parse_time(s, true).is_some(),
            "invalid value",
            "a time in seconds: a number with units s, m, h, d, w, M, y (e.g. `30s`, `1h30m`, \
             `7d`); `ms` is not allowed here"
                .into(),
        ),
        ValueKind::Size => slot(
            parse_size(s).is_some(),
            "invalid value",
            "a size: a number of bytes with an optional k or m suffix (e.g. `16k`, `8m`); \
             no `g` and no `kb`/`mb` here"
                .into(),
        ),
        ValueKind::Off => slot(
            parse_offset(s).is_some(),
            "invalid value",
            "a size: a number of bytes with an optional k, m or g suffix (e.g. `64k`, `10m`, \
             `1g`); no `kb`/`mb`/`gb`"
                .into(),
        ),
        ValueKind::Num => slot(
            atoi(s).is_some(),
            "invalid number",
            "a plain non-negative integer".into(),
        ),
        ValueKind::Enum(values) => (!values.iter().any(|x| x.eq_ignore_ascii_case(s))).then(|| {
            (
                first,
                format!("invalid value \"{s}\""),
                format!("`{name}` accepts: {}", values.join(", ")),
            )
        }),
        ValueKind::Bitmask(values) => d
            .args
            .iter()
            .find(|w| !values.iter().any(|x| x.eq_ignore_ascii_case(w.as_str())))
            .map(|w| {
                (
                    w,
                    format!("invalid value \"{}\"", w.as_str()),
                    format!("`{name}` accepts: {}", values.join(", ")),
                )
            }),
        ValueKind::Bufs => {
            let n_ok = atoi(s).is_some_and(|n| n > 0);
            let size = d.args.get(1)?;
            let s_ok = parse_size(size.as_str()).is_some_and(|n| n > 0);
            let w = if n_ok { size } else { first };
            (!(n_ok && s_ok)).then(|| {
                (
                    w,
                    format!("\"{name}\" directive invalid value"),
                    format!("`{name}` takes a count and a size, both above zero: `{name} 8 4k;`"),
                )
            })
        }
        _ => match spec.handler {
            "ngx_http_core_listen" => listen(d, version),
            "ngx_http_rewrite_return" => http_return(d),
            "ngx_http_core_error_page" => error_page(d),
            "ngx_http_proxy_pass" => proxy_pass(d, v),
            _ => None,
        },
    }
}

fn listen(d: &Directive, version: Version) -> Bad<'_> {
    let addr = d.args.first()?;
    if let Err(e) = parse_listen(addr.as_str()) {
        return Some((
            addr,
            format!("{e} in \"{}\" of the \"listen\" directive", addr.as_str()),
            "`listen` takes `port`, `address:port`, `[ipv6]:port` or `unix:/path`; ports \
             are 1-65535"
                .into(),
        ));
    }
    for w in &d.args[1..] {
        let p = w.as_str();
        let too_new = match p {
            "quic" => version < Version(1, 25, 0),
            "multipath" => version < Version(1, 29, 7),
            _ => false,
        };
        let r = if too_new {
            Err(format!("invalid parameter \"{p}\""))
        } else {
            check_listen_param(p)
        };
        if let Err(msg) = r {
            return Some((
                w,
                msg,
                "known parameters: default_server, ssl, http2, quic, proxy_protocol, \
                 reuseport, bind, deferred, backlog=N, rcvbuf=SIZE, sndbuf=SIZE, \
                 fastopen=N, ipv6only=on|off, so_keepalive=…"
                    .into(),
            ));
        }
    }
    None
}

fn http_return(d: &Directive) -> Bad<'_> {
    let w = d.args.first()?;
    let s = w.as_str();
    let ok = match atoi(s) {
        Some(code) => code <= 999,
        None => {
            d.args.len() == 1
                && (s.starts_with("http://")
                    || s.starts_with("https://")
                    || s.starts_with("$scheme"))
        }
    };
    (!ok).then(|| {
        (
            w,
            format!("invalid return code \"{s}\""),
            "`return` takes a status code (0-999), optionally followed by a URL or text; \
             a URL alone must start with http://, https:// or $scheme"
                .into(),
        )
    })
}

fn error_page(d: &Directive) -> Bad<'_> {
    let n = d.args.len();
    if n < 2 {
        return None;
    }
    let last_code = n - 1; // index of the URI
    let over = &d.args[n - 2];
    let mut codes_end = last_code;
    let help = "`error_page code ... [=[response]] uri;` with codes from 300 to 599 (not 499)";
    if over.as_str().starts_with('=') {
        let bad = n - 2 == 0 || (over.as_str().len() > 1 && atoi(&over.as_str()[1..]).is_none());
        if bad {
            return Some((
                over,
                format!("invalid value \"{}\"", over.as_str()),
                help.into(),
            ));
        }
        codes_end = n - 2;
    }
    for w in &d.args[..codes_end] {
        let s = w.as_str();
        match atoi(s) {
            None | Some(499) => {
                return Some((w, format!("invalid value \"{s}\""), help.into()));
            }
            Some(c) if !(300..=599).contains(&c) => {
                return Some((
                    w,
                    format!("value \"{s}\" must be between 300 and 599"),
                    help.into(),
                ));
            }
            _ => {}
        }
    }
    None
}

fn proxy_pass<'d>(d: &'d Directive, v: &Visit<'_, '_>) -> Bad<'d> {
    let w = d.args.first()?;
    let url = w.as_str();
    if has_variable(url) {
        return None;
    }
    let lower = |p: &str| url.len() >= p.len() && url[..p.len()].eq_ignore_ascii_case(p);
    let rest = if lower("http://") {
        &url[7..]
    } else if lower("https://") {
        &url[8..]
    } else {
        return Some((
            w,
            "invalid URL prefix".into(),
            "`proxy_pass` needs a scheme: `proxy_pass http://backend;` (or https://)".into(),
        ));
    };
    if rest.len() >= 5 && rest[..5].eq_ignore_ascii_case("unix:") {
        return None;
    }
    let has_uri = rest.contains('/');
    if !has_uri {
        return None;
    }
    // Where nginx refuses a URI part: regex or named location, if,
    // limit_except (ngx_http_proxy_pass).
    let refused = match v.parents.last() {
        Some(p) if p.name() == "if" || p.name() == "limit_except" => true,
        Some(p) if p.name() == "location" => {
            let a0 = p.arg(0).unwrap_or("");
            a0.starts_with('~') || a0.starts_with('@')
        }
        _ => false,
    };
    refused.then(|| {
        (
            w,
            "\"proxy_pass\" cannot have URI part in location given by regular expression, or \
             inside named location, or inside \"if\" statement, or inside \"limit_except\" block"
                .into(),
            "drop the path after the host (`proxy_pass http://backend;`), or rewrite the URI \
             with `rewrite ... break;` first"
                .into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn msgs(conf: &str) -> Vec<String> {
        lint(ids::DIRECTIVE_VALUE, conf)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn slots() {
        let m = msgs(
            "events {}\nhttp { sendfile yes; keepalive_requests 1k; client_max_body_size 10mb; \
             client_body_buffer_size 1g; proxy_read_timeout 1y; ssl_session_timeout 500ms; \
             proxy_buffers 0 4k; ssl_protocols TLSv1.2 TLSv4; proxy_http_version 3; \
             server { gzip ON; proxy_connect_timeout 1h30m; } }\n",
        );
        assert_eq!(
            m,
            vec![
                "invalid value \"yes\" in \"sendfile\" directive, it must be \"on\" or \"off\"",
                "\"keepalive_requests\" directive invalid number",
                "\"client_max_body_size\" directive invalid value",
                "\"client_body_buffer_size\" directive invalid value",
                "\"proxy_read_timeout\" directive invalid value",
                "\"ssl_session_timeout\" directive invalid value",
                "\"proxy_buffers\" directive invalid value",
                "invalid value \"TLSv4\"",
                "invalid value \"3\"",
            ]
        );
    }

    #[test]
    fn listen_return_error_page() {
        let m = msgs(
            "events {}\nhttp { server { listen 80 defualt_server; listen 70000; listen [::]:443 ssl http2 backlog=0; \
             return 1000; error_page 404 =abc /x; error_page 200 /x; error_page 499 /x; \
             location / { return https://example.com; } location /b { return /relative; } } }\n",
        );
        assert_eq!(
            m,
            vec![
                "invalid parameter \"defualt_server\"",
                "invalid port in \"70000\" of the \"listen\" directive",
                "invalid backlog \"backlog=0\"",
                "invalid return code \"1000\"",
                "invalid value \"=abc\"",
                "value \"200\" must be between 300 and 599",
                "invalid value \"499\"",
                "invalid return code \"/relative\"",
            ]
        );
    }

    #[test]
    fn proxy_pass_urls() {
        let m = msgs(
            "events {}\nhttp { server { location /a { proxy_pass backend; } \
             location ~ \\.php$ { proxy_pass http://b.example/; } \
             location /c { proxy_pass http://b.example/x/; } location ~ /d { proxy_pass http://$host/x; } \
             location @n { proxy_pass http://b.example; } } }\n",
        );
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0], "invalid URL prefix");
        assert!(m[1].starts_with("\"proxy_pass\" cannot have URI part"));
    }

    #[test]
    fn good_values_pass() {
        let m = msgs(
            "events {}\nhttp { sendfile on; client_max_body_size 2g; proxy_buffer_size 16k; \
             ssl_protocols TLSv1.2 TLSv1.3; expires 1d; \
             server { listen 127.0.0.1:8080 default_server reuseport; listen [::]:80; listen unix:/run/a.sock; \
             error_page 500 502 503 504 /50x.html; error_page 404 = @fallback; return 301 https://$host$request_uri; } }\n",
        );
        assert!(m.is_empty(), "{m:?}");
    }
}
