//! `directive-value`: an argument nginx's handler rejects: a flag that is
//! not on/off, a size, time or number it cannot parse, a value outside an
//! enum or bitmask, a bad `listen` address or parameter, a `return` or
//! `error_page` code out of range, a `proxy_pass` without scheme.

use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::ast::Directive;
use crate::nginx::lexer::Word;
use crate::nginx::schema::{DirectiveSpec, ValueKind, Version};
use crate::nginx::values::{
    atoi, check_listen_param, has_variable, parse_flag, parse_listen, parse_offset, parse_size,
    parse_time,
};
use crate::rules::schema::Env;
use crate::rules::{WalkCheck, ids};

#[derive(Default)]
pub struct DirectiveValue<'t> {
    formats: Vec<(usize, &'t str)>,
    /// Units with an include whose file is missing or unread before this
    /// point: it may define any log format (include-missing is the one
    /// finding of that cause).
    unknown: Vec<usize>,
}

impl<'t> DirectiveValue<'t> {
    /// Note a `log_format` definition without judging the directive (one
    /// in a file that is not reported).
    pub fn remember(&mut self, env: &Env<'t>, v: &Visit<'t, '_>) {
        self.note_unknown_include(env, v);
        if v.directive.name() == "log_format"
            && env
                .spec_for(v)
                .is_some_and(|s| s.handler == "ngx_http_log_set_format")
            && let Some(n) = v.directive.arg(0)
        {
            self.formats.push((v.unit, n));
        }
    }

    fn note_unknown_include(&mut self, env: &Env<'t>, v: &Visit<'t, '_>) {
        if !env.loaded.unknown_includes.is_empty()
            && v.directive.name() == "include"
            && env.loaded.unknown_includes.contains(&v.directive.span)
        {
            self.unknown.push(v.unit);
        }
    }

    /// Check one directive (called by [`super::PerDirective`]'s walk).
    pub fn visit(
        &mut self,
        cx: &WalkCheck<'t>,
        env: &Env<'t>,
        v: &Visit<'t, '_>,
        out: &mut Vec<Finding>,
    ) {
        let Some(spec) = env.spec_for(v) else {
            return;
        };
        self.note_unknown_include(env, v);
        let d = v.directive;
        if spec.handler == "ngx_http_log_set_format"
            && let Some(n) = d.arg(0)
        {
            self.formats.push((v.unit, n));
        }
        if spec.handler == "ngx_http_log_set_log"
            && d.arg(0) != Some("off")
            && let Some(f) = d.args.get(1)
            && f.as_str() != "combined"
            && !self
                .formats
                .iter()
                .any(|&(u, n)| u == v.unit && n == f.as_str())
            && !cx.loaded.units.get(v.unit).is_some_and(|u| u.standalone)
            && !self.unknown.contains(&v.unit)
        {
            out.push(unknown_format_finding(d, f));
            return;
        }
        // nginx calls the handler only when the count and the block fit.
        if !spec.accepts_arg_count(d.args.len()) || spec.is_block() != d.block.is_some() {
            return;
        }
        if matches!(spec.handler, "ngx_http_map_block" | "ngx_stream_map_block")
            && let Some(e) = map_default(d)
        {
            out.push(
                Finding::error(
                    ids::DIRECTIVE_VALUE,
                    e.span,
                    "duplicate default map parameter",
                )
                .with_help("a `map` has one `default` line: remove one of them")
                .with_related(d.span, "the map"),
            );
            return;
        }
        if let Some((w, msg, help)) = check(spec, d, v, cx.settings.nginx_version) {
            // nginx names the directive's line (its `;`); the help names
            // the word when nginx's message does not.
            let help = if msg.contains(w.as_str()) {
                help
            } else {
                format!("`{}`: {help}", w.as_str())
            };
            out.push(Finding::error(ids::DIRECTIVE_VALUE, d.span, msg).with_help(help));
        }
    }
}

/// An `access_log` naming a format no `log_format` defined before it.
fn unknown_format_finding(d: &Directive, format: &Word) -> Finding {
    Finding::error(
        ids::DIRECTIVE_VALUE,
        d.span,
        format!("unknown log format \"{}\"", format.as_str()),
    )
    .with_help(
        "no `log_format` of this name is defined before this line (nginx looks formats up \
         while reading, so the definition must come first); `combined` is predefined",
    )
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
    let slot = |ok: bool, what: &str, help: &str| -> Bad<'d> {
        (!ok).then(|| {
            (
                first,
                format!("\"{name}\" directive {what}"),
                help.to_string(),
            )
        })
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
             a bare number is seconds",
        ),
        ValueKind::Sec => slot(
            parse_time(s, true).is_some(),
            "invalid value",
            "a time in seconds: a number with units s, m, h, d, w, M, y (e.g. `30s`, `1h30m`, \
             `7d`); `ms` is not allowed here",
        ),
        ValueKind::Size => slot(
            parse_size(s).is_some(),
            "invalid value",
            "a size: a number of bytes with an optional k or m suffix (e.g. `16k`, `8m`); \
             no `g` and no `kb`/`mb` here",
        ),
        ValueKind::Off => slot(
            parse_offset(s).is_some(),
            "invalid value",
            "a size: a number of bytes with an optional k, m or g suffix (e.g. `64k`, `10m`, \
             `1g`); no `kb`/`mb`/`gb`",
        ),
        ValueKind::Num => slot(
            atoi(s).is_some(),
            "invalid number",
            "a plain non-negative integer",
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
        ValueKind::Bufs => bufs(d),
        _ => by_handler(spec.handler, d, v, version),
    }
}

/// `number size` (`proxy_buffers 8 4k`): both above zero.
fn bufs(d: &Directive) -> Bad<'_> {
    let name = d.name();
    let first = d.args.first()?;
    let n_ok = atoi(first.as_str()).is_some_and(|n| n > 0);
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

/// The checks of the handlers that parse their own arguments.
fn by_handler<'d>(handler: &str, d: &'d Directive, v: &Visit<'_, '_>, version: Version) -> Bad<'d> {
    let first = d.args.first()?;
    let s = first.as_str();
    match handler {
        "ngx_http_core_listen" => listen(d, version),
        "ngx_stream_core_listen" => listen_address(d).or_else(|| stream_listen(d, version)),
        "ngx_mail_core_listen" => listen_address(d),
        "ngx_http_headers_add" => last_word(d, 2, &["always"], "invalid parameter"),
        "ngx_http_upstream_param_set_slot" | "ngx_http_fastcgi_param" => {
            last_word(d, 2, &["if_not_empty"], "invalid parameter")
        }
        "ngx_http_rewrite" => last_word(
            d,
            2,
            &["last", "break", "redirect", "permanent"],
            "invalid parameter",
        ),
        "ngx_error_log"
        | "ngx_http_core_error_log"
        | "ngx_stream_core_error_log"
        | "ngx_mail_core_error_log" => error_log(d),
        "ngx_http_core_keepalive" => keepalive_timeout(d),
        "ngx_http_limit_req" => limit_req(d),
        "ngx_http_headers_expires" => expires(d),
        "ngx_http_ssl_session_cache"
        | "ngx_stream_ssl_session_cache"
        | "ngx_mail_ssl_session_cache" => session_cache(d),
        "ngx_http_upstream_server" | "ngx_stream_upstream_server" => upstream_server(d, version),
        "ngx_http_file_cache_set_slot" => prefixed_params(d, 1, CACHE_PATH_PARAMS, &[])
            .or_else(|| cache_levels(d))
            .or_else(|| zone_size(d, "keys_zone=", 2, "keys zone")),
        "ngx_http_limit_req_zone" => zone_size(d, "zone=", 8, "zone").or_else(|| limit_rate(d)),
        "ngx_http_limit_conn_zone" | "ngx_stream_limit_conn_zone" => {
            zone_size(d, "zone=", 8, "zone")
        }
        "ngx_http_file_cache_valid_set_slot" => cache_valid(d),
        "ngx_http_log_set_log" | "ngx_stream_log_set_log" => access_log_params(d),
        "ngx_http_rewrite_return" => http_return(d),
        "ngx_http_core_error_page" => error_page(d),
        "ngx_http_proxy_pass" => proxy_pass(d, v),
        "ngx_event_connections" => (atoi(s).is_none()).then(|| {
            (
                first,
                format!("invalid number \"{s}\""),
                "`worker_connections` takes a plain number: `worker_connections 1024;`".into(),
            )
        }),
        // ngx_set_worker_processes: "auto", else ngx_atoi.
        "ngx_set_worker_processes" => (s != "auto" && atoi(s).is_none()).then(|| {
            (
                first,
                "\"worker_processes\" directive invalid value".to_string(),
                "`worker_processes` takes a number or `auto`".to_string(),
            )
        }),
        "ngx_http_try_files" => try_files_code(d),
        "ngx_http_rewrite_if" => if_condition(d),
        "ngx_http_fastcgi_pass" | "ngx_http_scgi_pass" | "ngx_http_memcached_pass" => {
            pass_port(first, s)
        }
        "ngx_http_uwsgi_pass" => pass_port(first, strip_scheme(s, &["uwsgi://", "suwsgi://"])),
        "ngx_http_grpc_pass" => pass_port(first, strip_scheme(s, &["grpc://", "grpcs://"])),
        handler => counts_and_names(handler, d),
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
                format!(
                    "known parameters: default_server, ssl, http2, {}proxy_protocol, \
                     reuseport, bind, deferred, backlog=N, rcvbuf=SIZE, sndbuf=SIZE, \
                     fastopen=N, ipv6only=on|off, so_keepalive=…",
                    // Only the parameters the version in force accepts.
                    if version < Version(1, 25, 0) {
                        ""
                    } else {
                        "quic, "
                    }
                ),
            ));
        }
    }
    None
}

fn listen_address(d: &Directive) -> Bad<'_> {
    let addr = d.args.first()?;
    let e = parse_listen(addr.as_str()).err()?;
    Some((
        addr,
        format!("{e} in \"{}\" of the \"listen\" directive", addr.as_str()),
        "`listen` takes `port`, `address:port`, `[ipv6]:port` or `unix:/path`; ports are 1-65535"
            .into(),
    ))
}

/// The optional argument at `index` must be one of `allowed`.
fn last_word<'d>(d: &'d Directive, index: usize, allowed: &[&str], what: &str) -> Bad<'d> {
    let w = d.args.get(index)?;
    if allowed.contains(&w.as_str()) {
        return None;
    }
    Some((
        w,
        format!("{what} \"{}\"", w.as_str()),
        format!(
            "the last argument of `{}` may only be: {}",
            d.name(),
            allowed.join(", ")
        ),
    ))
}

fn error_log(d: &Directive) -> Bad<'_> {
    const LEVELS: &[&str] = &[
        "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
    ];
    let w = d
        .args
        .iter()
        .skip(1)
        .find(|w| !LEVELS.contains(&w.as_str()))?;
    Some((
        w,
        format!("invalid log level \"{}\"", w.as_str()),
        format!(
            "`error_log FILE [level];` with a level of: {}",
            LEVELS.join(", ")
        ),
    ))
}

fn keepalive_timeout(d: &Directive) -> Bad<'_> {
    let first = d.args.first()?;
    let bad = if parse_time(first.as_str(), false).is_none() {
        first
    } else {
        let header = d.args.get(1)?;
        if parse_time(header.as_str(), true).is_some() {
            return None;
        }
        header
    };
    Some((
        bad,
        "\"keepalive_timeout\" directive invalid value".into(),
        "`keepalive_timeout TIMEOUT [HEADER_TIMEOUT];` with times like `65s`; the second \
         (for the Keep-Alive header) is in seconds"
            .into(),
    ))
}

fn limit_req(d: &Directive) -> Bad<'_> {
    let w = d.args.iter().find(|w| {
        let s = w.as_str();
        !(s.starts_with("zone=")
            || s.starts_with("burst=")
            || s.starts_with("delay=")
            || s == "nodelay")
    })?;
    Some((
        w,
        format!("invalid parameter \"{}\"", w.as_str()),
        "`limit_req zone=NAME [burst=N] [nodelay | delay=N];`".into(),
    ))
}

const CACHE_PATH_PARAMS: &[&str] = &[
    "levels=",
    "use_temp_path=",
    "keys_zone=",
    "inactive=",
    "max_size=",
    "min_free=",
    "loader_files=",
    "loader_sleep=",
    "loader_threshold=",
    "manager_files=",
    "manager_sleep=",
    "manager_threshold=",
];

/// Arguments from `from` on must start with one of `prefixes` or equal one
/// of `words` (`invalid parameter "x"`).
fn prefixed_params<'d>(
    d: &'d Directive,
    from: usize,
    prefixes: &[&str],
    words: &[&str],
) -> Bad<'d> {
    let w = d.args.iter().skip(from).find(|w| {
        let s = w.as_str();
        !(prefixes.iter().any(|p| s.starts_with(p)) || words.contains(&s))
    })?;
    let mut known: Vec<&str> = prefixes.to_vec();
    known.extend_from_slice(words);
    Some((
        w,
        format!("invalid parameter \"{}\"", w.as_str()),
        format!("`{}` knows the parameters: {}", d.name(), known.join(" ")),
    ))
}

fn upstream_server(d: &Directive, version: Version) -> Bad<'_> {
    const WORDS: [&[&str]; 3] = [
        &["backup", "down"],
        &["backup", "down", "resolve"],
        &["backup", "down", "resolve", "drain"],
    ];
    const PREFIXES: [&[&str]; 3] = [
        &["weight=", "max_conns=", "max_fails=", "fail_timeout="],
        &[
            "weight=",
            "max_conns=",
            "max_fails=",
            "fail_timeout=",
            "service=",
        ],
        &[
            "weight=",
            "max_conns=",
            "max_fails=",
            "fail_timeout=",
            "service=",
            "route=",
        ],
    ];
    let era = if version >= Version(1, 29, 6) {
        2
    } else if version >= Version(1, 27, 3) {
        1
    } else {
        0
    };
    let (words, prefixes) = (WORDS[era], PREFIXES[era]);
    if let Some(bad) = prefixed_params(d, 1, prefixes, words) {
        return Some(bad);
    }
    // The values: weight >= 1, counts, a time (ngx_http_upstream_server).
    let w = d.args.iter().skip(1).find(|w| {
        let s = w.as_str();
        if let Some(n) = s.strip_prefix("weight=") {
            atoi(n).is_none_or(|n| n == 0)
        } else if let Some(n) = s
            .strip_prefix("max_conns=")
            .or_else(|| s.strip_prefix("max_fails="))
        {
            atoi(n).is_none()
        } else if let Some(t) = s.strip_prefix("fail_timeout=") {
            parse_time(t, true).is_none()
        } else {
            false
        }
    });
    // The address is parsed after the parameters (ngx_http_upstream_server
    // and ngx_stream_upstream_server: "%s in upstream \"%V\"").
    let Some(w) = w else {
        return d.args.first().and_then(|a| pass_port(a, a.as_str()));
    };
    Some((
        w,
        format!("invalid parameter \"{}\"", w.as_str()),
        "weight=N (1 or more), max_conns=N, max_fails=N, fail_timeout=TIME".into(),
    ))
}

fn stream_listen(d: &Directive, version: Version) -> Bad<'_> {
    const BASE: &[&str] = &[
        "udp",
        "bind",
        "deferred",
        "reuseport",
        "ssl",
        "proxy_protocol",
    ];
    const V1255: &[&str] = &[
        "udp",
        "bind",
        "deferred",
        "reuseport",
        "ssl",
        "proxy_protocol",
        "default_server",
    ];
    const V1297: &[&str] = &[
        "udp",
        "bind",
        "deferred",
        "reuseport",
        "ssl",
        "proxy_protocol",
        "default_server",
        "multipath",
    ];
    let words = if version >= Version(1, 29, 7) {
        V1297
    } else if version >= Version(1, 25, 5) {
        V1255
    } else {
        BASE
    };
    const PREFIXES: &[&str] = &[
        "setfib=",
        "fastopen=",
        "backlog=",
        "rcvbuf=",
        "sndbuf=",
        "accept_filter=",
        "ipv6only=on",
        "ipv6only=off",
        "so_keepalive=",
    ];
    let (w, _, help) = prefixed_params(d, 1, PREFIXES, words)?;
    let msg = if version < Version(1, 25, 5) {
        format!("the invalid \"{}\" parameter", w.as_str())
    } else {
        format!("invalid parameter \"{}\"", w.as_str())
    };
    Some((w, msg, help))
}

fn cache_valid(d: &Directive) -> Bad<'_> {
    let (last, codes) = d.args.split_last()?;
    if parse_time(last.as_str(), true).is_none() {
        return Some((
            last,
            format!("invalid time value \"{}\"", last.as_str()),
            format!(
                "`{} [code ...] time;` ends with a time like `10m`",
                d.name()
            ),
        ));
    }
    let w = codes.iter().find(|w| {
        w.as_str() != "any" && atoi(w.as_str()).is_none_or(|c| !(100..=599).contains(&c))
    })?;
    Some((
        w,
        format!("invalid status \"{}\"", w.as_str()),
        "status codes from 100 to 599, or `any`".into(),
    ))
}

fn expires(d: &Directive) -> Bad<'_> {
    let help =
        "`expires [modified] TIME | epoch | max | off;` with TIME like `30d`, `-1`, `@15h30m`";
    let n = if d.args.len() == 2 {
        let m = d.args.first()?;
        if m.as_str() != "modified" {
            return Some((m, "\"expires\" directive invalid value".into(), help.into()));
        }
        1
    } else {
        0
    };
    let w = d.args.get(n)?;
    let s = w.as_str();
    if has_variable(s) || matches!(s, "epoch" | "max" | "off") {
        return None;
    }
    let ok = if let Some(daily) = s.strip_prefix('@') {
        parse_time(daily, true).is_some_and(|t| t < 24 * 60 * 60)
    } else {
        let t = s.strip_prefix(['+', '-']).unwrap_or(s);
        parse_time(t, true).is_some()
    };
    (!ok).then(|| (w, "\"expires\" directive invalid value".into(), help.into()))
}

fn session_cache(d: &Directive) -> Bad<'_> {
    let w = d.args.iter().find(|w| {
        let s = w.as_str();
        let ok = match s {
            "off" | "none" | "builtin" => true,
            _ => {
                if let Some(n) = s.strip_prefix("builtin:") {
                    atoi(n).is_some()
                } else if let Some(rest) = s.strip_prefix("shared:") {
                    rest.rsplit_once(':').is_some_and(|(name, size)| {
                        !name.is_empty() && parse_size(size).is_some_and(|n| n > 0)
                    })
                } else {
                    false
                }
            }
        };
        !ok
    })?;
    Some((
        w,
        format!("invalid session cache \"{}\"", w.as_str()),
        "`ssl_session_cache off | none | [builtin[:size]] [shared:name:size];`".into(),
    ))
}

/// `access_log off` takes nothing more; after the format come `buffer=`,
/// `flush=`, `gzip[=level]`, `if=`.
fn access_log_params(d: &Directive) -> Bad<'_> {
    if d.arg(0) == Some("off") {
        let w = d.args.get(1)?;
        return Some((
            w,
            format!("invalid parameter \"{}\"", w.as_str()),
            "`access_log off;` takes no more arguments".into(),
        ));
    }
    prefixed_params(d, 2, &["buffer=", "flush=", "gzip", "if="], &[])
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
    // `get` so a multi-byte character at the cut is a mismatch, not a panic.
    let lower = |p: &str| {
        url.get(..p.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(p))
    };
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
    if let Some(bad) = pass_port(w, rest) {
        return Some(bad);
    }
    if rest
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("unix:"))
    {
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

/// `try_files … =CODE`: ngx_http_try_files reads the code after `=` with
/// ngx_atoi and refuses anything that is not a number up to 999 (a variable
/// included: the last argument is never evaluated for its code).
fn try_files_code(d: &Directive) -> Bad<'_> {
    let w = d.args.last()?;
    let code = w.as_str().strip_prefix('=')?;
    if atoi(code).is_some_and(|c| c <= 999) {
        return None;
    }
    Some((
        w,
        format!("invalid code \"{}\"", w.as_str()),
        "the last argument of `try_files` is a file, a named location (`@name`) or a status \
         code `=404` (at most 999)"
            .into(),
    ))
}

/// A shared memory zone's `NAME:SIZE`, as ngx_http_limit_req_zone,
/// ngx_http_limit_conn_zone and ngx_stream_limit_conn_zone (at least 8
/// pages) and ngx_http_file_cache_set_slot's `keys_zone=` (at least 2 pages)
/// read it with ngx_parse_size. The page is taken as 4 KiB, the smallest
/// nginx runs with, so a size refused here is refused on every machine.
fn zone_size<'d>(d: &'d Directive, prefix: &str, pages: i64, what: &str) -> Bad<'d> {
    const PAGE: i64 = 4096;
    d.args.iter().find_map(|w| {
        let shown = w.as_str();
        let rest = shown.strip_prefix(prefix)?;
        let help = format!(
            "`{prefix}NAME:SIZE` with a size of at least {}k: `{prefix}one:10m`",
            pages * PAGE / 1024
        );
        match rest.split_once(':').and_then(|(_, size)| parse_size(size)) {
            None => Some((w, format!("invalid {what} size \"{shown}\""), help)),
            Some(n) if n < pages * PAGE => {
                Some((w, format!("{what} \"{shown}\" is too small"), help))
            }
            Some(_) => None,
        }
    })
}

/// `rate=Nr/s` or `Nr/m` of limit_req_zone: N read with ngx_atoi after the
/// unit, and above 0 (`invalid rate`).
fn limit_rate(d: &Directive) -> Bad<'_> {
    let w = d.args.iter().find(|w| w.as_str().starts_with("rate="))?;
    let n = &w.as_str()["rate=".len()..];
    let n = n
        .strip_suffix("r/s")
        .or_else(|| n.strip_suffix("r/m"))
        .unwrap_or(n);
    atoi(n).is_none_or(|n| n <= 0).then(|| {
        (
            w,
            format!("invalid rate \"{}\"", w.as_str()),
            "`rate=` takes requests per second or minute: `rate=10r/s`, `rate=30r/m`".into(),
        )
    })
}

const IF_HELP: &str = "an `if` condition is `($var)`, `($var = value)`, `($var != value)`, \
     `($var ~ regex)` (also `~*`, `!~`, `!~*`) or `(-f path)` (also `-d`, `-e`, `-x` and their `!` forms)";

/// The shape of an `if` condition, as ngx_http_rewrite_if_condition
/// (ngx_http_rewrite_module.c) reads it: the first word starts with `(` and
/// the last ends with `)` (each may stand alone); then a variable alone or
/// followed by an operator and one value, or a file test and one path.
/// Variables, values and regexes are judged elsewhere.
fn if_condition(d: &Directive) -> Bad<'_> {
    // value[i] as nginx numbers them: value[0] is the directive name.
    let mut v: Vec<&str> = Vec::with_capacity(d.args.len() + 1);
    v.push("if");
    v.extend(d.args.iter().map(|w| w.as_str()));
    let bad = |i: usize, shown: &str, msg: Option<String>| {
        let w = d.args.get(i.checked_sub(1)?)?;
        Some((
            w,
            msg.unwrap_or_else(|| format!("invalid condition \"{shown}\"")),
            IF_HELP.to_string(),
        ))
    };
    let mut last = v.len() - 1;
    if last == 0 {
        return None;
    }
    let first = v[1];
    if !first.starts_with('(') {
        return bad(1, first, None);
    }
    let cur = if first.len() == 1 {
        2
    } else {
        v[1] = &first[1..];
        1
    };
    let end = v[last];
    if !end.ends_with(')') {
        return bad(last, end, None);
    }
    if end.len() == 1 {
        last -= 1;
    } else {
        v[last] = &end[..end.len() - 1];
    }
    let p = *v.get(cur)?;
    if p.len() > 1 && p.starts_with('$') {
        if cur != last && cur + 2 != last {
            return bad(cur, p, None);
        }
        if cur == last {
            return None;
        }
        let op = *v.get(cur + 1)?;
        return (!matches!(op, "=" | "!=" | "~" | "~*" | "!~" | "!~*"))
            .then(|| {
                bad(
                    cur + 1,
                    op,
                    Some(format!("unexpected \"{op}\" in condition")),
                )
            })
            .flatten();
    }
    let test = match p.as_bytes() {
        [b'-', t] | [b'!', b'-', t] => Some(*t),
        _ => None,
    };
    match test {
        Some(t) if cur + 1 == last && matches!(t, b'f' | b'd' | b'e' | b'x') => None,
        _ => bad(cur, p, None),
    }
}

/// Numbers read with ngx_atoi and names with a fixed form, each with
/// nginx's message: upstream `keepalive` (ngx_http_upstream_keepalive: 0 or
/// not a number), `limit_conn`'s count (ngx_http_limit_conn,
/// ngx_stream_limit_conn: `n <= 0`), `set`'s name (ngx_http_rewrite_set:
/// it starts with `$`).
fn counts_and_names<'d>(handler: &str, d: &'d Directive) -> Bad<'d> {
    let positive = |w: &Word| atoi(w.as_str()).is_none_or(|n| n == 0);
    match handler {
        "ngx_http_upstream_keepalive" => d.args.first().filter(|w| positive(w)).map(|w| {
            (
                w,
                format!(
                    "invalid value \"{}\" in \"keepalive\" directive",
                    w.as_str()
                ),
                "`keepalive` takes the number of idle connections kept: `keepalive 16;`".into(),
            )
        }),
        "ngx_http_limit_conn" | "ngx_stream_limit_conn" => {
            d.args.get(1).filter(|w| positive(w)).map(|w| {
                (
                    w,
                    format!("invalid number of connections \"{}\"", w.as_str()),
                    "`limit_conn` takes a zone and a number of connections: \
                     `limit_conn addr 10;`"
                        .into(),
                )
            })
        }
        "ngx_http_rewrite_set" => {
            d.args
                .first()
                .filter(|w| !w.as_str().starts_with('$'))
                .map(|w| {
                    (
                        w,
                        format!("invalid variable name \"{}\"", w.as_str()),
                        "`set` names the variable with its `$`: `set $name value;`".into(),
                    )
                })
        }
        _ => None,
    }
}

/// `levels=` of `proxy_cache_path` and its kin: up to three digits 1 or 2
/// separated by `:` (ngx_http_file_cache_set_slot: `invalid "levels"`).
fn cache_levels(d: &Directive) -> Bad<'_> {
    let ok = |v: &[u8]| {
        let mut parts = v.split(|&c| c == b':');
        let n = v.split(|&c| c == b':').count();
        v.is_empty() || (n <= 3 && parts.all(|p| matches!(p, [b'1' | b'2'])))
    };
    let w = d.args.iter().skip(1).find(|w| {
        w.as_str()
            .strip_prefix("levels=")
            .is_some_and(|v| !ok(v.as_bytes()))
    })?;
    Some((
        w,
        format!("invalid \"levels\" \"{}\"", w.as_str()),
        "`levels=` takes up to three digits 1 or 2 separated by `:`: `levels=1:2`".into(),
    ))
}

fn strip_scheme<'s>(s: &'s str, schemes: &[&str]) -> &'s str {
    schemes
        .iter()
        .find_map(|p| {
            s.get(..p.len())
                .filter(|x| x.eq_ignore_ascii_case(p))
                .and_then(|_| s.get(p.len()..))
        })
        .unwrap_or(s)
}

/// The port of a `*_pass` address without variables (after its scheme), as
/// ngx_parse_url reads it: `unix:` has none, `[v6]:port`, else the first
/// `:` before any `/` or `?` (ngx_parse_inet_url). A port that is not a
/// number from 1 to 65535 is `invalid port in upstream "…"`.
fn pass_port<'d>(w: &'d Word, addr: &str) -> Bad<'d> {
    if has_variable(w.as_str()) {
        return None;
    }
    if addr
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("unix:"))
    {
        return None;
    }
    let end = addr.find(['/', '?']).unwrap_or(addr.len());
    let host = &addr[..end];
    let port = if let Some(v6) = host.strip_prefix('[') {
        // ngx_parse_inet6_url: the port follows `]:`.
        v6.split_once(']')?.1.strip_prefix(':')?
    } else {
        host.split_once(':')?.1
    };
    if atoi(port).is_some_and(|p| (1..=65535).contains(&p)) {
        return None;
    }
    Some((
        w,
        // nginx names the address after the scheme (its `u.url`).
        format!("invalid port in upstream \"{addr}\""),
        "the port is a number from 1 to 65535: `127.0.0.1:9000`".into(),
    ))
}

/// A `map` with two `default` lines: ngx_http_map (and ngx_stream_map)
/// refuses the second with "duplicate default map parameter". Reported at
/// the second `default`, as nginx does.
fn map_default(d: &Directive) -> Option<&Directive> {
    let b = d.block.as_ref()?;
    b.children
        .iter()
        .filter(|e| e.name() == "default" && e.args.len() == 1)
        .nth(1)
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
    fn values_nginx_refuses() {
        // Each checked with nginx 1.22.1 `nginx -t`: the message is nginx's.
        for (conf, want) in [
            (
                "events { worker_connections 2048q; } http {}",
                "invalid number \"2048q\"",
            ),
            (
                "worker_processes 4x; events {} http {}",
                "\"worker_processes\" directive invalid value",
            ),
            (
                "worker_processes autox; events {} http {}",
                "\"worker_processes\" directive invalid value",
            ),
            (
                "events {} http { map $a $b { default 1; default 2; } }",
                "duplicate default map parameter",
            ),
            (
                "events {} http { map $a $b { default 1; \"default\" 2; } }",
                "duplicate default map parameter",
            ),
            (
                "events {} http { server { location / { try_files $uri =404q; } } }",
                "invalid code \"=404q\"",
            ),
            (
                "events {} http { server { location / { try_files $uri =1000; } } }",
                "invalid code \"=1000\"",
            ),
            (
                "events {} http { server { location / { fastcgi_pass 127.0.0.1:9001q; } } }",
                "invalid port in upstream \"127.0.0.1:9001q\"",
            ),
            (
                "events {} http { server { location / { fastcgi_pass 127.0.0.1:99999; } } }",
                "invalid port in upstream \"127.0.0.1:99999\"",
            ),
            (
                "events {} http { server { location / { proxy_pass http://127.0.0.1:9001q/x; } } }",
                "invalid port in upstream \"127.0.0.1:9001q/x\"",
            ),
            (
                "events {} http { server { location / { uwsgi_pass uwsgi://[::1]:0; } } }",
                "invalid port in upstream \"[::1]:0\"",
            ),
            (
                "events {} http { upstream u { server 127.0.0.1:9q weight=2; } }",
                "invalid port in upstream \"127.0.0.1:9q\"",
            ),
            (
                "events {} stream { upstream u { server 10.0.0.11:3306q; } }",
                "invalid port in upstream \"10.0.0.11:3306q\"",
            ),
            (
                "events {} http { proxy_cache_path /tmp/c levels=1:2q keys_zone=c:1m; }",
                "invalid \"levels\" \"levels=1:2q\"",
            ),
            (
                "events {} http { proxy_cache_path /tmp/c levels=1:2:2:1 keys_zone=c:1m; }",
                "invalid \"levels\" \"levels=1:2:2:1\"",
            ),
            (
                "events {} http { server { set zz 1; } }",
                "invalid variable name \"zz\"",
            ),
            (
                "events {} http { upstream u { server 127.0.0.1:9; keepalive 32q; } }",
                "invalid value \"32q\" in \"keepalive\" directive",
            ),
            (
                "events {} http { limit_conn_zone $binary_remote_addr zone=a:1m; \
                 server { limit_conn a 20q; } }",
                "invalid number of connections \"20q\"",
            ),
        ] {
            let m = msgs(&format!("{conf}\n"));
            assert_eq!(m, vec![want.to_string()], "{conf}");
        }
    }

    /// `if` conditions (ngx_http_rewrite_if_condition) and shared memory
    /// zone sizes and rates (limit_req_zone, limit_conn_zone, keys_zone=),
    /// each message as nginx 1.22 -t prints it.
    #[test]
    fn conditions_and_zones_nginx_refuses() {
        for (conf, want) in [
            (
                "events {} http { server { location / { if ($uri = ) { return 403; } } } }",
                "invalid condition \"$uri\"",
            ),
            (
                "events {} http { server { if ($uri x y) { return 403; } } }",
                "unexpected \"x\" in condition",
            ),
            (
                "events {} http { server { if (-q $uri) { return 403; } } }",
                "invalid condition \"-q\"",
            ),
            (
                "events {} http { server { if () { return 403; } } }",
                "invalid condition \")\"",
            ),
            (
                "events {} http { limit_req_zone $binary_remote_addr zone=zz:10m rate=1q/s; }",
                "invalid rate \"rate=1q/s\"",
            ),
            (
                "events {} http { limit_req_zone $binary_remote_addr zone=zz:10m rate=0r/s; }",
                "invalid rate \"rate=0r/s\"",
            ),
            (
                "events {} http { limit_req_zone $binary_remote_addr zone=zz:1k rate=1r/s; }",
                "zone \"zone=zz:1k\" is too small",
            ),
            (
                "events {} http { limit_req_zone $binary_remote_addr zone=zz rate=1r/s; }",
                "invalid zone size \"zone=zz\"",
            ),
            (
                "events {} http { limit_conn_zone $binary_remote_addr zone=zc:1q; }",
                "invalid zone size \"zone=zc:1q\"",
            ),
            (
                "events {} stream { limit_conn_zone $binary_remote_addr zone=zc:0; }",
                "zone \"zone=zc:0\" is too small",
            ),
            (
                "events {} http { proxy_cache_path /tmp/c keys_zone=kz; }",
                "invalid keys zone size \"keys_zone=kz\"",
            ),
            (
                "events {} http { proxy_cache_path /tmp/c keys_zone=kz:0; }",
                "keys zone \"keys_zone=kz:0\" is too small",
            ),
        ] {
            let m = msgs(&format!("{conf}\n"));
            assert_eq!(m, vec![want.to_string()], "{conf}");
        }
    }

    #[test]
    fn values_nginx_accepts() {
        let m = msgs(
            "worker_processes auto;\nevents { worker_connections 2048; }\nhttp { \
             map $uri $b { default 1; hostnames; d 3; } \
             upstream php { server 127.0.0.1:9000; } \
             server { location / { try_files $uri $uri/ =404; } location /b { try_files $uri =99; } \
             location /c { try_files $uri @x; } location @x { fastcgi_pass php; } \
             location /d { fastcgi_pass unix:/run/php/php-fpm.sock; } location /e { fastcgi_pass [::1]:9000; } \
             location /f { set $be php; fastcgi_pass $be; } location /g { proxy_pass http://127.0.0.1:8080/x:y; } \
             location /h { grpc_pass grpcs://127.0.0.1:50051; } location /i { scgi_pass localhost:4000; } \
             location /j { if ($uri) { return 403; } if ( $uri != \"\" ) { return 403; } \
             if (!-e $request_filename) { return 404; } if ( -f $uri ) { return 404; } \
             if ($http_x ~* \"^(a|b)$\") { return 403; } } } \
             limit_req_zone $binary_remote_addr zone=r1:10m rate=10r/m; \
             limit_req_zone $binary_remote_addr zone=r2:32k rate=5r/s; \
             limit_conn_zone $binary_remote_addr zone=c1:1m; \
             proxy_cache_path /tmp/c levels=1:2 keys_zone=k1:8k; }\n",
        );
        assert!(m.is_empty(), "{m:?}");
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

    #[test]
    fn more_handler_parameters() {
        let m = msgs(
            "events {}\nhttp { log_format main '$a'; access_log /tmp/a main buffer=32k; access_log /tmp/b mian; \
             access_log off x; ssl_session_cache shared:SSL:10m; ssl_session_cache shared:SSL; \
             proxy_cache_path /tmp/c levels=1:2 keys_zone=c:10m sizes=1; \
             upstream u { server 127.0.0.1:1 weight=2 max_fails=3 fail_timeout=10s backup; server 127.0.0.1:2 wieght=1; server 127.0.0.1:3 weight=0; } \
             server { location / { expires 30d; expires modified +1h; expires @25h; proxy_cache_valid 200 302 10m; \
             proxy_cache_valid 200 10x; proxy_cache_valid 99 1m; } } }\n",
        );
        assert_eq!(
            m,
            vec![
                "unknown log format \"mian\"",
                "invalid parameter \"x\"",
                "invalid session cache \"shared:SSL\"",
                "invalid parameter \"sizes=1\"",
                "invalid parameter \"wieght=1\"",
                "invalid parameter \"weight=0\"",
                "\"expires\" directive invalid value",
                "invalid time value \"10x\"",
                "invalid status \"99\"",
            ]
        );
    }

    #[test]
    fn handler_parameters() {
        let m = msgs(
            "events {}\nerror_log /tmp/e.log verbose;\nhttp { keepalive_timeout 65 1x; \
             server { add_header A b sometimes; location / { fastcgi_param A b if_empty; \
             rewrite ^ /x lst; limit_req zone=a burst=5 nodely; } } }\n",
        );
        assert_eq!(
            m,
            vec![
                "invalid log level \"verbose\"",
                "\"keepalive_timeout\" directive invalid value",
                "invalid parameter \"sometimes\"",
                "invalid parameter \"if_empty\"",
                "invalid parameter \"lst\"",
                "invalid parameter \"nodely\"",
            ]
        );
    }
}
