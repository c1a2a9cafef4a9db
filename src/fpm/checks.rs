//! The php-fpm rules. `check` returns the loader's findings (syntax,
//! includes) followed by these, so one call gives everything.
//!
//! The pool checks mirror `fpm_conf_process_all_pools` and
//! `fpm_conf_post_process` in php-src `sapi/fpm/fpm/fpm_conf.c`; the
//! messages quote php-fpm's own error line so an operator can match them.

use super::model::{FpmConfig, Listen, Pool, Setting};
use super::schema::{self, Parsed, PhpVersion, SectionKind, ValueType};
use crate::finding::Finding;
use crate::source::Span;

/// Run every php-fpm rule for the given PHP version.
pub fn check(cfg: &FpmConfig, php: PhpVersion) -> Vec<Finding> {
    let mut out = cfg.findings.clone();
    check_entries(
        SectionKind::Global,
        &cfg.global.settings,
        None,
        php,
        &mut out,
    );
    check_global(cfg, &mut out);
    if cfg.pools.is_empty() {
        let span = cfg
            .global
            .header_span
            .or_else(|| cfg.entry_files.first().map(|f| Span::new(*f, 0, 0)))
            .unwrap_or_default();
        out.push(
            Finding::error(
                crate::rules::ids::FPM_NO_POOL,
                span,
                "no pool is defined: php-fpm refuses to start with \"No pool defined. at least one pool section must be specified in config file\"",
            )
            .with_help("add a pool section (e.g. `[www]` with user, listen and pm settings) or an `include` of the pool directory"),
        );
    }
    for pool in &cfg.pools {
        check_entries(SectionKind::Pool, &pool.settings, Some(pool), php, &mut out);
        check_pool(pool, php, &mut out);
    }
    check_duplicate_listen(cfg, &mut out);
    out
}

/// Unknown keys and values php-fpm cannot parse, line by line.
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
            out.push(unknown(kind, s, php));
            continue;
        };
        if s.has_env {
            continue;
        }
        if kind == SectionKind::Global && d.ty == ValueType::String && s.value.contains("$pool") {
            out.push(
                Finding::error(
                    crate::rules::ids::FPM_INVALID_VALUE,
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
                    crate::rules::ids::FPM_INVALID_VALUE,
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

fn unknown(kind: SectionKind, s: &Setting, php: PhpVersion) -> Finding {
    let name = s.key.as_str();
    let other = match kind {
        SectionKind::Global => SectionKind::Pool,
        SectionKind::Pool => SectionKind::Global,
    };
    let newer = schema::lookup(kind, name).filter(|d| !d.available_in(php));
    let mut f = Finding::error(
        crate::rules::ids::FPM_UNKNOWN_DIRECTIVE,
        s.key_span,
        format!("unknown entry `{name}`: php-fpm fails with \"unknown entry '{name}'\""),
    );
    f = if let Some(d) = newer {
        f.with_help(format!(
            "`{}` exists since PHP {}; this configuration is checked for PHP {php}",
            d.name, d.since
        ))
    } else if schema::lookup(other, name).is_some() {
        let (here, there) = match kind {
            SectionKind::Global => ("[global]", "a pool section"),
            SectionKind::Pool => ("a pool", "[global]"),
        };
        f.with_help(format!(
            "`{name}` is not valid in {here}; move it to {there}"
        ))
    } else if let Some(near) = schema::suggest(kind, name, php) {
        f.with_help(format!("did you mean `{near}`?"))
    } else {
        f.with_help("remove the line or fix the name (see the php-fpm configuration reference)")
    };
    f
}

fn check_array(s: &Setting, pool: Option<&Pool>, php: PhpVersion, out: &mut Vec<Finding>) {
    let index = s.index.as_deref().unwrap_or("");
    let known = schema::lookup_array(&s.key).filter(|v| php >= *v);
    let Some(_) = known else {
        let mut f = Finding::error(
            crate::rules::ids::FPM_UNKNOWN_DIRECTIVE,
            s.key_span,
            format!(
                "unknown directive `{}`: php-fpm fails with \"unknown directive '{}'\"",
                s.key, s.key
            ),
        );
        let lower = s.key.to_ascii_lowercase();
        f = if schema::lookup_array(&lower).is_some() {
            f.with_help(format!(
                "array names are case-sensitive: write `{lower}[{index}]`"
            ))
        } else {
            match schema::suggest(SectionKind::Pool, &s.key, php) {
                Some(near) => f.with_help(format!("did you mean `{near}[{index}]`?")),
                // access.suppress_path[] only where the PHP in force has it.
                None if php >= PhpVersion::new(8, 2) => f.with_help(
                    "only env[], php_value[], php_admin_value[], php_flag[], php_admin_flag[] and access.suppress_path[] take an index",
                ),
                None => f.with_help(
                    "only env[], php_value[], php_admin_value[], php_flag[] and php_admin_flag[] take an index",
                ),
            }
        };
        out.push(f);
        return;
    };
    let invalid = |msg: String, help: &str| {
        Finding::error(crate::rules::ids::FPM_INVALID_VALUE, s.span, msg)
            .with_help(help.to_string())
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

/// A setting parsed as a number the way php-fpm does, if it is set,
/// parses, and does not depend on the environment.
fn num(s: Option<&Setting>, ty: ValueType) -> Result<Option<i64>, ()> {
    let Some(s) = s else { return Ok(None) };
    if s.has_env {
        return Err(());
    }
    match schema::validate(ty, &s.value) {
        Ok(Parsed::Int(n)) | Ok(Parsed::Seconds(n)) => Ok(Some(n)),
        Ok(_) => Ok(None),
        Err(_) => Err(()),
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
                    crate::rules::ids::FPM_INVALID_VALUE,
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
                crate::rules::ids::FPM_INVALID_VALUE,
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
                    crate::rules::ids::FPM_INVALID_VALUE,
                    s.value_span,
                    format!("php-fpm fails with \"event mechanism '{}' is not available on this system\"", s.value),
                )
                .with_help("use epoll on Linux, kqueue on BSD, or remove the line to let php-fpm choose"),
            );
        }
    }
    // process_control_timeout: php-fpm's default is 0 too, but distributions
    // ship it unset and an unset default is not something the operator
    // wrote; report the explicit 0 only (stock trees stay clean).
    if let Some(s) = g.get("process_control_timeout")
        && !s.has_env
        && schema::parse_time(&s.value) == Ok(0)
    {
        out.push(pct_finding(s.span));
    }
}

fn pct_finding(span: Span) -> Finding {
    Finding::warning(
        crate::rules::ids::FPM_PROCESS_CONTROL_TIMEOUT,
        span,
        "process_control_timeout = 0: on every reload workers are killed mid-request instead of finishing (clients get 502 during deploys)",
    )
    .with_help("set `process_control_timeout = 10s` (or at least your longest request time) in [global]")
}

fn priority(n: i64, s: &Setting, pool: Option<&str>, out: &mut Vec<Finding>) {
    if !(-19..=20).contains(&n) {
        let who = pool.map(|p| format!("[pool {p}] ")).unwrap_or_default();
        out.push(
            Finding::error(
                crate::rules::ids::FPM_INVALID_VALUE,
                s.value_span,
                format!("process.priority {n} is out of range: php-fpm fails with \"{who}process.priority must be included into [-19,20]\""),
            )
            .with_help("use a nice value from -19 to 20"),
        );
    }
}

fn check_pool(pool: &Pool, php: PhpVersion, out: &mut Vec<Finding>) {
    let name = &pool.name;
    // user
    match &pool.user {
        None => out.push(
            Finding::error(
                crate::rules::ids::FPM_USER_ROOT,
                pool.header_span,
                format!("pool {name} sets no user: php-fpm started as root refuses it (\"[pool {name}] user has not been defined\"), and with -R its workers run as root"),
            )
            .with_help("add `user = www-data` (and `group = www-data`) or another unprivileged account"),
        ),
        Some(u) if is_root(&u.value) => out.push(root_finding(pool, u, "user")),
        _ => {}
    }
    if let Some(g) = pool.group.as_ref().filter(|g| is_root(&g.value)) {
        out.push(root_finding(pool, g, "group"));
    }
    // listen
    match (&pool.listen, &pool.listen_addr) {
        (_, None) => out.push(
            Finding::error(
                crate::rules::ids::FPM_LISTEN_MISSING,
                pool.span,
                format!("pool {name} has no listen address: php-fpm refuses to start with \"[pool {name}] no listen address have been defined!\""),
            )
            .with_help(format!("add `listen = /run/php/{name}.sock` (and point nginx's fastcgi_pass at it)")),
        ),
        (Some(l), Some(addr)) => check_listen(pool, l, addr, out),
        _ => {}
    }
    if let Ok(Some(n)) = num(pool.get("process.priority"), ValueType::Integer)
        && let Some(s) = pool.get("process.priority")
    {
        priority(n, s, Some(name), out);
    }
    check_pm(pool, php, out);
    check_paths(pool, out);
    check_slowlog(pool, out);
    check_limit_extensions(pool, out);
}

fn is_root(v: &str) -> bool {
    v == "root" || (!v.is_empty() && v.bytes().all(|b| b == b'0'))
}

fn root_finding(pool: &Pool, s: &Setting, what: &str) -> Finding {
    Finding::error(
        crate::rules::ids::FPM_USER_ROOT,
        s.span,
        format!(
            "pool {} runs its workers with {what} root: any PHP bug becomes full control of the machine; php-fpm refuses to start with \"[pool {}] please specify user and group other than root\" unless run with -R",
            pool.name, pool.name
        ),
    )
    .with_help(format!("set `{what} = www-data` or a dedicated unprivileged account"))
}

fn check_listen(pool: &Pool, l: &Setting, addr: &Listen, out: &mut Vec<Finding>) {
    if let Listen::Tcp { port, .. } = addr
        && (*port == 0 || *port > 65535)
    {
        out.push(
                Finding::error(
                    crate::rules::ids::FPM_INVALID_VALUE,
                    l.value_span,
                    format!("`{}` has no valid port: php-fpm -t accepts it but fails at start with \"invalid port value\"", l.value),
                )
                .with_help("use a port from 1 to 65535, e.g. `127.0.0.1:9000`, or a unix socket path"),
            );
        return;
    }
    if addr.is_every_interface()
        && pool
            .listen_allowed_clients
            .as_ref()
            .is_none_or(|a| a.value.trim().is_empty())
    {
        out.push(
            Finding::warning(
                crate::rules::ids::FPM_LISTEN_EXPOSED,
                l.span,
                format!(
                    "pool {} listens on `{}`, every network interface, and accepts any client: anyone who can reach the port can run PHP files as the pool user",
                    pool.name, l.value
                ),
            )
            .with_help("listen on 127.0.0.1:PORT or a unix socket, or set `listen.allowed_clients = 127.0.0.1`"),
        );
    }
}

/// `fpm_conf_process_all_pools`, pm part: same checks, same order, same
/// derived defaults. Reports the first failure like php-fpm does.
fn check_pm(pool: &Pool, php: PhpVersion, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let pm_setting = pool.pm.as_ref();
    let pm = match pm_setting {
        None => None,
        Some(s) if s.has_env => return,
        Some(s) => match schema::validate(ValueType::Pm, &s.value) {
            Ok(Parsed::Word(w)) => Some(w),
            // Already reported as fpm-invalid-value.
            _ => return,
        },
    };
    let get = |s: &Option<Box<Setting>>, ty| num(s.as_deref(), ty);
    let (Ok(max_children), Ok(min_spare), Ok(max_spare), Ok(start), Ok(spawn), Ok(idle)) = (
        get(&pool.pm_max_children, ValueType::Integer),
        get(&pool.pm_min_spare_servers, ValueType::Integer),
        get(&pool.pm_max_spare_servers, ValueType::Integer),
        get(&pool.pm_start_servers, ValueType::Integer),
        get(&pool.pm_max_spawn_rate, ValueType::Integer),
        get(&pool.pm_process_idle_timeout, ValueType::Time),
    ) else {
        return; // a value php-fpm cannot parse: reported elsewhere
    };
    let at = |s: &Option<Box<Setting>>| s.as_ref().map_or(pool.header_span, |s| s.span);
    let err = |span: Span, msg: String, help: &str| {
        Finding::error(crate::rules::ids::FPM_PM_CONFIG, span, msg).with_help(help.to_string())
    };
    let Some(pm) = pm else {
        out.push(err(
            pool.header_span,
            format!("pool {name} sets no process manager: php-fpm fails with \"[pool {name}] the process manager is missing (static, dynamic or ondemand)\""),
            "add `pm = dynamic` (or static/ondemand) with its pm.* settings",
        ));
        return;
    };
    let max_children = max_children.unwrap_or(0);
    if max_children < 1 {
        out.push(err(
            at(&pool.pm_max_children),
            format!("pm.max_children is {max_children}: php-fpm fails with \"[pool {name}] pm.max_children must be a positive value\""),
            "set `pm.max_children` to the most workers the memory allows, e.g. `pm.max_children = 10`",
        ));
        return;
    }
    if pm == "dynamic" {
        let min = min_spare.unwrap_or(0);
        let max = max_spare.unwrap_or(0);
        if min <= 0 {
            out.push(err(
                at(&pool.pm_min_spare_servers),
                format!("pm.min_spare_servers is {min}: php-fpm fails with \"[pool {name}] pm.min_spare_servers({min}) must be a positive value\""),
                "set `pm.min_spare_servers` to at least 1 with pm = dynamic",
            ));
            return;
        }
        if max <= 0 {
            out.push(err(
                at(&pool.pm_max_spare_servers),
                format!("pm.max_spare_servers is {max}: php-fpm fails with \"[pool {name}] pm.max_spare_servers({max}) must be a positive value\""),
                "set `pm.max_spare_servers` to at least pm.min_spare_servers with pm = dynamic",
            ));
            return;
        }
        if min > max_children || max > max_children {
            let span = if min > max_children {
                at(&pool.pm_min_spare_servers)
            } else {
                at(&pool.pm_max_spare_servers)
            };
            out.push(
                err(
                    span,
                    format!("spare servers exceed pm.max_children: php-fpm fails with \"[pool {name}] pm.min_spare_servers({min}) and pm.max_spare_servers({max}) cannot be greater than pm.max_children({max_children})\""),
                    "lower the spare-server counts or raise pm.max_children",
                )
                .with_related(at(&pool.pm_max_children), format!("pm.max_children is {max_children}")),
            );
            return;
        }
        if max < min {
            out.push(err(
                at(&pool.pm_max_spare_servers),
                format!("php-fpm fails with \"[pool {name}] pm.max_spare_servers({max}) must not be less than pm.min_spare_servers({min})\""),
                "make pm.max_spare_servers at least pm.min_spare_servers",
            ));
            return;
        }
        let start = start.unwrap_or(0);
        // start <= 0 means unset: php-fpm derives min + (max - min) / 2.
        if start > 0 && (start < min || start > max) {
            let derived = min + (max - min) / 2;
            out.push(err(
                at(&pool.pm_start_servers),
                format!("pm.start_servers({start}) is outside [{min}, {max}]: php-fpm fails with \"[pool {name}] pm.start_servers({start}) must not be less than pm.min_spare_servers({min}) and not greater than pm.max_spare_servers({max})\""),
                &format!("set pm.start_servers between the spare-server limits, or remove it (php-fpm then uses {derived})"),
            ));
            return;
        }
        if php >= schema::PhpVersion::new(8, 1) {
            let spawn = spawn.unwrap_or(32);
            if spawn < 1 {
                out.push(err(
                    at(&pool.pm_max_spawn_rate),
                    format!("php-fpm fails with \"[pool {name}] pm.max_spawn_rate must be a positive value\""),
                    "set pm.max_spawn_rate to 1 or more (default 32), or remove it",
                ));
            }
        }
    } else if pm == "ondemand" {
        let idle = idle.unwrap_or(10);
        if idle < 1 {
            out.push(err(
                at(&pool.pm_process_idle_timeout),
                format!("php-fpm fails with \"[pool {name}] pm.process_idle_timeout({idle}s) must be greater than 0s\""),
                "set pm.process_idle_timeout to e.g. `10s`, or remove it",
            ));
        }
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
                    crate::rules::ids::FPM_INVALID_VALUE,
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
                    crate::rules::ids::FPM_INVALID_VALUE,
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
                    crate::rules::ids::FPM_INVALID_VALUE,
                    s.span,
                    format!("php-fpm fails with \"[pool {name}] 'slowlog' must be specified for use with 'request_slowlog_timeout'\""),
                )
                .with_help("add `slowlog = /var/log/php-fpm/$pool.slow.log` or remove request_slowlog_timeout"),
            );
        } else if terminate != 0 && t > terminate {
            out.push(
                Finding::error(
                    crate::rules::ids::FPM_INVALID_VALUE,
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
                    crate::rules::ids::FPM_INVALID_VALUE,
                    s.span,
                    format!("php-fpm fails with \"[pool {name}] {m}\""),
                )
                .with_help("set `slowlog` and a positive depth, or remove the line"),
            );
        }
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
                crate::rules::ids::FPM_LIMIT_EXTENSIONS,
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
                crate::rules::ids::FPM_LIMIT_EXTENSIONS,
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

/// "unable to set listen address as it's already used in another pool".
/// Indexed by value and by normalised address, so 100,000 pools stay linear
/// (a pairwise scan took minutes on hostile input).
fn check_duplicate_listen(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    use std::collections::HashMap;
    use std::collections::hash_map::Entry as MapEntry;
    let mut by_value: HashMap<&str, usize> = HashMap::new();
    let mut by_addr: HashMap<&crate::fpm::Listen, usize> = HashMap::new();
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
                crate::rules::ids::FPM_INVALID_VALUE,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fpm::model::{LoadOptions, load};
    use crate::source::SourceMap;
    use crate::vfs::MemFs;
    use std::path::Path;

    const BASE: &str = "[global]\nerror_log = /tmp/e\nprocess_control_timeout = 10s\n[www]\nuser = www-data\nlisten = /run/php/www.sock\n";

    fn rules(text: &str) -> Vec<&'static str> {
        rules_for(text, PhpVersion::NEWEST)
    }

    /// The help of an unknown indexed entry lists access.suppress_path[]
    /// only for PHP 8.2 and later, where php-fpm has it.
    #[test]
    fn array_help_follows_the_php_version() {
        let text = format!("{BASE}zzz[a] = b\n");
        let help = |php| {
            let mut fs = MemFs::new();
            fs.insert("/etc/php-fpm.conf", text.as_str());
            let mut map = SourceMap::new();
            let opts = LoadOptions::default();
            let cfg = load(&fs, &mut map, Path::new("/etc/php-fpm.conf"), &opts);
            check(&cfg, php)
                .into_iter()
                .filter_map(|f| f.help)
                .find(|h| h.contains("take an index"))
                .unwrap_or_default()
        };
        assert!(help(PhpVersion::new(8, 2)).contains("access.suppress_path[]"));
        let old = help(PhpVersion::new(8, 1));
        assert!(
            old.contains("env[]") && !old.contains("suppress_path"),
            "{old}"
        );
    }

    fn rules_for(text: &str, php: PhpVersion) -> Vec<&'static str> {
        let mut fs = MemFs::new();
        fs.insert("/etc/php-fpm.conf", text);
        let mut map = SourceMap::new();
        let cfg = load(
            &fs,
            &mut map,
            Path::new("/etc/php-fpm.conf"),
            &LoadOptions::default(),
        );
        check(&cfg, php).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn clean_config() {
        let r = rules(&format!(
            "{BASE}pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"
        ));
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn pm_checks_match_php() {
        let pm = |s: &str| rules(&format!("{BASE}{s}"));
        assert_eq!(pm("pm.max_children = 5\n"), ["fpm-pm-config"]);
        assert_eq!(pm("pm = static\n"), ["fpm-pm-config"]);
        assert!(pm("pm = static\npm.max_children = 1\n").is_empty());
        assert_eq!(pm("pm = dynamic\npm.max_children = 5\n"), ["fpm-pm-config"]);
        // start derived = 1 + (3-1)/2 = 2: fine
        assert!(pm("pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n").is_empty());
        // max_spare == max_children ok, +1 not
        assert!(pm("pm = dynamic\npm.max_children = 3\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n").is_empty());
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"
            ),
            ["fpm-pm-config"]
        );
        // start at both edges ok, outside not
        assert!(pm("pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.start_servers = 3\n").is_empty());
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 2\npm.max_spare_servers = 3\npm.start_servers = 4\n"
            ),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 2\npm.max_spare_servers = 3\npm.start_servers = 1\n"
            ),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm("pm = ondemand\npm.max_children = 5\npm.process_idle_timeout = 0\n"),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.max_spawn_rate = 0\n"
            ),
            ["fpm-pm-config"]
        );
    }

    #[test]
    fn version_gates() {
        let t = format!("{BASE}pm = static\npm.max_children = 2\npm.max_spawn_rate = 4\n");
        assert!(rules_for(&t, PhpVersion::new(8, 1)).is_empty());
        assert_eq!(
            rules_for(&t, PhpVersion::new(8, 0)),
            ["fpm-unknown-directive"]
        );
    }

    #[test]
    fn values_and_keys() {
        let r = |s: &str| rules(&format!("{BASE}pm = static\npm.max_children = 2\n{s}"));
        assert_eq!(
            r("request_terminate_timeout = 30x\n"),
            ["fpm-invalid-value"]
        );
        assert_eq!(r("pm.max_childs = 3\n"), ["fpm-unknown-directive"]);
        assert_eq!(r("listen.mode = 0999\n"), ["fpm-invalid-value"]);
        assert_eq!(r("catch_workers_output = maybe\n"), ["fpm-invalid-value"]);
        assert_eq!(r("ENV[X] = y\n"), ["fpm-unknown-directive"]);
        assert_eq!(r("env[] = y\n"), ["fpm-invalid-value"]);
        assert_eq!(
            r("security.limit_extensions = .php .html\n"),
            ["fpm-limit-extensions"]
        );
        assert_eq!(
            r("security.limit_extensions = \"\"\n"),
            ["fpm-limit-extensions"]
        );
        assert_eq!(r("user = root\n"), ["fpm-user-root"]);
        assert!(r("security.limit_extensions = .php .php7 .phtml\n").is_empty());
    }

    #[test]
    fn listen_rules() {
        let head = "[global]\nprocess_control_timeout = 5s\n[a]\nuser = nobody\npm = static\npm.max_children = 1\n";
        assert_eq!(
            rules(&format!("{head}listen = 9000\n")),
            ["fpm-listen-exposed"]
        );
        assert_eq!(
            rules(&format!("{head}listen = [::]:9000\n")),
            ["fpm-listen-exposed"]
        );
        assert!(
            rules(&format!(
                "{head}listen = 9000\nlisten.allowed_clients = 127.0.0.1\n"
            ))
            .is_empty()
        );
        assert!(rules(&format!("{head}listen = 127.0.0.1:9000\n")).is_empty());
        assert_eq!(rules(head), ["fpm-listen-missing"]);
    }

    #[test]
    fn global_rules() {
        assert_eq!(
            rules("[global]\nprocess_control_timeout = 10s\n"),
            ["fpm-no-pool"]
        );
        let pool = "[www]\nuser = a\nlisten = /x\npm = static\npm.max_children = 1\n";
        // Unset is php-fpm's (and every distribution's) default: not reported.
        assert!(rules(&format!("[global]\n{pool}")).is_empty());
        assert_eq!(
            rules(&format!("[global]\nprocess_control_timeout = 0s\n{pool}")),
            ["fpm-process-control-timeout"]
        );
        assert!(rules(pool).is_empty());
        assert_eq!(
            rules(&format!("user = x\n{pool}")),
            ["fpm-unknown-directive"]
        );
    }
}
