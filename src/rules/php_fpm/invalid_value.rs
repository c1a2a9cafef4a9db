//! fpm-invalid-value: a value php-fpm cannot parse or refuses (a bad
//! number, time, mode or path, values out of range, settings that need
//! another, two pools on one address): php-fpm does not start.

use crate::finding::Finding;
use crate::fpm::schema::{self, PhpVersion, SectionKind, ValueType};
use crate::fpm::{FpmConfig, Listen, Pool, Setting};
use crate::rules::{Check, Rule, ids};

pub struct FpmInvalidValue;

impl Rule for FpmInvalidValue {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_INVALID_VALUE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, php)) = super::config(cx) {
            check(cfg, php, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, php: PhpVersion, out: &mut Vec<Finding>) {
    check_entries(SectionKind::Global, &cfg.global.settings, None, php, out);
    check_global(cfg, out);
    for pool in &cfg.pools {
        check_entries(SectionKind::Pool, &pool.settings, Some(pool), php, out);
        if let (Some(l), Some(addr)) = (&pool.listen, &pool.listen_addr) {
            check_listen(l, addr, out);
        }
        if let Ok(Some(n)) = super::num(pool.get("process.priority"), ValueType::Integer)
            && let Some(s) = pool.get("process.priority")
        {
            priority(n, s, Some(&pool.name), out);
        }
        check_paths(pool, out);
        check_slowlog(pool, out);
    }
    check_duplicate_listen(cfg, out);
}

/// Values php-fpm cannot parse, line by line (unknown keys are
/// fpm-unknown-directive's).
fn check_entries(
    kind: SectionKind,
    settings: &[Setting],
    pool: Option<&Pool>,
    php: PhpVersion,
    out: &mut Vec<Finding>,
) {
    for s in settings {
        if s.index.is_some() {
            check_array(s, pool, php, out);
            continue;
        }
        let Some(d) = schema::lookup(kind, &s.key).filter(|d| d.available_in(php)) else {
            continue;
        };
        if s.has_env {
            continue;
        }
        if kind == SectionKind::Global && d.ty == ValueType::String && s.value.contains("$pool") {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.value_span,
                    format!(
                        "`$pool` in [global] `{}`: php-fpm fails with \"Can't use '$pool' when the pool is not defined\"",
                        s.key
                    ),
                )
                .with_help("write the name out, or move the setting into a pool"),
            );
            continue;
        }
        if let Err(msg) = schema::validate(d.ty, &s.value) {
            let (what, help) = invalid_help(d.ty);
            let php_line = if d.ty == ValueType::OctalMode {
                format!(
                    "php-fpm -t accepts it, but creates the socket with strtoul(\"{}\", 8) = mode {:o}, so nginx cannot connect",
                    s.value,
                    octal_prefix(&s.value)
                )
            } else {
                format!(
                    "php-fpm fails with \"unable to parse value for entry '{}': {msg}\"",
                    d.name
                )
            };
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.value_span.to(s.key_span),
                    format!("`{}` is not {what}: {php_line}", s.value),
                )
                .with_help(help),
            );
        }
    }
}

/// What `strtoul(v, 0, 8)` makes of a mode string.
fn octal_prefix(v: &str) -> u64 {
    let t = v.trim_start();
    let mut n: u64 = 0;
    for b in t.bytes().take_while(|b| (b'0'..=b'7').contains(b)) {
        n = n.saturating_mul(8).saturating_add(u64::from(b - b'0'));
    }
    n
}

fn invalid_help(ty: ValueType) -> (&'static str, &'static str) {
    match ty {
        ValueType::Integer => ("a whole number", "write digits only, e.g. `10`"),
        ValueType::Time => (
            "a time",
            "write a number with an optional lowercase unit s, m, h or d, e.g. `30s` or `5m`",
        ),
        ValueType::Bool => ("a boolean", "write `yes` or `no`"),
        ValueType::LogLevel => (
            "a log level",
            "use one of alert, error, warning, notice, debug",
        ),
        ValueType::RlimitCore => ("a core size", "write a number or `unlimited`"),
        ValueType::Pm => ("a process manager", "use `static`, `dynamic` or `ondemand`"),
        ValueType::SyslogFacility => (
            "a syslog facility",
            "use e.g. `daemon`, `user` or `local0`..`local7`",
        ),
        ValueType::OctalMode => ("an octal file mode", "write an octal mode such as `0660`"),
        ValueType::String => ("valid", "fix the value"),
    }
}

/// The value of `name[index]`, for the array names php-fpm knows.
fn check_array(s: &Setting, pool: Option<&Pool>, php: PhpVersion, out: &mut Vec<Finding>) {
    let index = s.index.as_deref().unwrap_or("");
    if schema::lookup_array(&s.key).filter(|v| php >= *v).is_none() {
        return;
    }
    let invalid = |msg: String, help: &str| {
        Finding::error(ids::FPM_INVALID_VALUE, s.span, msg).with_help(help.to_string())
    };
    if s.key == "access.suppress_path" {
        if !index.is_empty() {
            out.push(invalid(
                "php-fpm fails with \"Keys provided to field 'access.suppress_path' are ignored\""
                    .into(),
                "write `access.suppress_path[] = /path`",
            ));
            return;
        }
        if !s.value.starts_with('/') {
            out.push(invalid(
                "php-fpm fails with \"Values provided to field 'access.suppress_path' must begin with '/'\"".into(),
                "write the URI path starting with `/`, e.g. `/ping`",
            ));
            return;
        }
    } else if index.is_empty() {
        out.push(invalid(
            format!(
                "`{}[]` has no key: php-fpm fails with \"You must provide a key for field '{}'\"",
                s.key, s.key
            ),
            "name the setting, e.g. `php_admin_value[memory_limit] = 256M`",
        ));
        return;
    }
    if pool.is_none() {
        out.push(invalid(
            format!(
                "`{}` in [global]: php-fpm fails with \"Array are not allowed in the global section\"",
                s.display_key()
            ),
            "move it into a pool section",
        ));
        return;
    }
    if s.key == "env" && s.value.is_empty() && !s.has_env {
        out.push(invalid(
            format!(
                "`{}` is empty: php-fpm fails with \"empty value\"",
                s.display_key()
            ),
            "give the variable a value, or remove the line",
        ));
    } else if (s.key == "php_flag" || s.key == "php_admin_flag")
        && !s.has_env
        && schema::validate(ValueType::Bool, &s.value).is_err()
    {
        out.push(invalid(
            format!(
                "`{}` is not a boolean: php-fpm fails with \"error while parsing '{}' : invalid boolean value\"",
                s.value,
                s.display_key()
            ),
            "write `on` or `off` (use php_value[] for non-boolean settings)",
        ));
    }
}

fn check_global(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    let g = &cfg.global;
    let int = |k: &str| {
        g.get(k)
            .filter(|s| !s.has_env)
            .and_then(|s| schema::parse_int(&s.value).ok().map(|n| (n, s)))
    };
    if let Some((n, s)) = int("log_limit")
        && n < 512
    {
        out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.value_span,
                    format!("log_limit {n} is too small: php-fpm fails with \"log_limit must be greater than 512\""),
                )
                .with_help("use at least 512 (the default is 1024)"),
            );
    }
    if let Some((n, s)) = int("process.max")
        && n < 0
    {
        out.push(
            Finding::error(
                ids::FPM_INVALID_VALUE,
                s.value_span,
                "php-fpm fails with \"process_max can't be negative\"",
            )
            .with_help("use 0 (no limit) or a positive number"),
        );
    }
    if let Some((n, s)) = int("process.priority") {
        priority(n, s, None, out);
    }
    if let Some(s) = g
        .get("events.mechanism")
        .filter(|s| !s.has_env && !s.value.is_empty())
    {
        const KNOWN: [&str; 6] = ["epoll", "kqueue", "poll", "select", "/dev/poll", "port"];
        if !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(&s.value)) {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.value_span,
                    format!("php-fpm fails with \"event mechanism '{}' is not available on this system\"", s.value),
                )
                .with_help("use epoll on Linux, kqueue on BSD, or remove the line to let php-fpm choose"),
            );
        }
    }
}

fn priority(n: i64, s: &Setting, pool: Option<&str>, out: &mut Vec<Finding>) {
    if !(-19..=20).contains(&n) {
        let who = pool.map(|p| format!("[pool {p}] ")).unwrap_or_default();
        out.push(
            Finding::error(
                ids::FPM_INVALID_VALUE,
                s.value_span,
                format!("process.priority {n} is out of range: php-fpm fails with \"{who}process.priority must be included into [-19,20]\""),
            )
            .with_help("use a nice value from -19 to 20"),
        );
    }
}

/// A TCP port php-fpm cannot bind.
fn check_listen(l: &Setting, addr: &Listen, out: &mut Vec<Finding>) {
    if let Listen::Tcp { port, .. } = addr
        && (*port == 0 || *port > 65535)
    {
        out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    l.value_span,
                    format!("`{}` has no valid port: php-fpm -t accepts it but fails at start with \"invalid port value\"", l.value),
                )
                .with_help("use a port from 1 to 65535, e.g. `127.0.0.1:9000`, or a unix socket path"),
            );
    }
}

/// Status and ping paths (`fpm_conf_process_all_pools`).
fn check_paths(pool: &Pool, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let ok_chars = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b))
    };
    let shared_status = pool.get("pm.status_listen").is_some();
    for (key, what, min_len) in [
        (
            "pm.status_path",
            "status",
            if shared_status { 1 } else { 2 },
        ),
        ("ping.path", "ping", 2),
    ] {
        let Some(s) = pool.get(key).filter(|s| !s.value.is_empty() && !s.has_env) else {
            continue;
        };
        let v = &s.value;
        let msg = if !v.starts_with('/') {
            Some(format!("the {what} path '{v}' must start with a '/'"))
        } else if v.len() < min_len {
            Some(format!("the {what} path '{v}' is not long enough"))
        } else if !ok_chars(v) {
            Some(format!(
                "the {what} path '{v}' must contain only the following characters '[alphanum]/_-.~'"
            ))
        } else {
            None
        };
        if let Some(m) = msg {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.value_span,
                    format!("php-fpm fails with \"[pool {name}] {m}\""),
                )
                .with_help(format!(
                    "use a URI path such as `/{}`",
                    if what == "status" {
                        "fpm-status"
                    } else {
                        "ping"
                    }
                )),
            );
        }
    }
    if let (Some(_), Some(r)) = (
        pool.get("ping.path").filter(|s| !s.value.is_empty()),
        pool.get("ping.response"),
    ) && r.value.is_empty()
    {
        out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    r.span,
                    format!("php-fpm fails with \"[pool {name}] the ping response page '' is not long enough\""),
                )
                .with_help("set `ping.response = pong` or remove the line"),
            );
    }
}

fn check_slowlog(pool: &Pool, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let slowlog = pool.get("slowlog").is_some_and(|s| !s.value.is_empty());
    let time = |k: &str| {
        pool.get(k)
            .filter(|s| !s.has_env)
            .and_then(|s| schema::parse_time(&s.value).ok().map(|n| (n, s)))
    };
    let terminate = time("request_terminate_timeout").map_or(0, |t| t.0);
    if let Some((t, s)) = time("request_slowlog_timeout").filter(|t| t.0 != 0) {
        if !slowlog {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.span,
                    format!("php-fpm fails with \"[pool {name}] 'slowlog' must be specified for use with 'request_slowlog_timeout'\""),
                )
                .with_help("add `slowlog = /var/log/php-fpm/$pool.slow.log` or remove request_slowlog_timeout"),
            );
        } else if terminate != 0 && t > terminate {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.span,
                    format!("php-fpm fails with \"[pool {name}] 'request_slowlog_timeout' ({t}) can't be greater than 'request_terminate_timeout' ({terminate})\""),
                )
                .with_help("make request_slowlog_timeout shorter than request_terminate_timeout"),
            );
        }
    }
    let depth = pool
        .get("request_slowlog_trace_depth")
        .filter(|s| !s.has_env)
        .and_then(|s| schema::parse_int(&s.value).ok().map(|n| (n, s)));
    if let Some((d, s)) = depth.filter(|d| d.0 != 0) {
        let msg = if !slowlog {
            Some(
                "'slowlog' must be specified for use with 'request_slowlog_trace_depth'"
                    .to_string(),
            )
        } else if d < 0 {
            Some(format!(
                "'request_slowlog_trace_depth' ({d}) must be a positive value"
            ))
        } else {
            None
        };
        if let Some(m) = msg {
            out.push(
                Finding::error(
                    ids::FPM_INVALID_VALUE,
                    s.span,
                    format!("php-fpm fails with \"[pool {name}] {m}\""),
                )
                .with_help("set `slowlog` and a positive depth, or remove the line"),
            );
        }
    }
}

/// "unable to set listen address as it's already used in another pool".
/// Indexed by value and by normalised address, so 100,000 pools stay linear
/// (a pairwise scan took minutes on hostile input).
fn check_duplicate_listen(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry as MapEntry;
    let mut by_value: HashMap<&str, usize> = HashMap::new();
    let mut by_addr: HashMap<&Listen, usize> = HashMap::new();
    for (i, b) in cfg.pools.iter().enumerate() {
        let Some(lb) = b
            .listen
            .as_ref()
            .filter(|l| !l.value.is_empty() && !l.has_env)
        else {
            // Not a listener itself, but its address still counts for later
            // pools, as in the pairwise comparison this replaces.
            if let Some(l) = &b.listen {
                by_value.entry(l.value.as_str()).or_insert(i);
            }
            if let Some(a) = &b.listen_addr {
                by_addr.entry(a).or_insert(i);
            }
            continue;
        };
        // php-fpm compares the strings after making relative sockets
        // absolute; we compare the normalised address too, since two
        // spellings of one socket break at start anyway. The first earlier
        // pool (lowest index) that matches either way is named.
        let mut first: Option<usize> = None;
        match by_value.entry(lb.value.as_str()) {
            MapEntry::Occupied(e) => first = Some(*e.get()),
            MapEntry::Vacant(e) => {
                e.insert(i);
            }
        }
        if let Some(addr) = &b.listen_addr {
            match by_addr.entry(addr) {
                MapEntry::Occupied(e) => {
                    first = Some(first.map_or(*e.get(), |f| f.min(*e.get())));
                }
                MapEntry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        if let Some(a) = first.and_then(|j| cfg.pools.get(j)) {
            let mut f = Finding::error(
                ids::FPM_INVALID_VALUE,
                lb.span,
                format!(
                    "pool {} listens on the same address as pool {}: php-fpm fails with \"[pool {}] unable to set listen address as it's already used in another pool '{}'\"",
                    b.name, a.name, b.name, a.name
                ),
            )
            .with_help("give each pool its own socket, e.g. `listen = /run/php/$pool.sock`");
            if let Some(la) = &a.listen {
                f = f.with_related(la.span, format!("pool {} listens here", a.name));
            }
            out.push(f);
        }
    }
}
