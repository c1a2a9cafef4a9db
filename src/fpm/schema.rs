//! Every php-fpm configuration entry, its type and default.
//!
//! Transcribed from php-src `sapi/fpm/fpm/fpm_conf.c` (`ini_fpm_global_options`,
//! `ini_fpm_pool_options`, `fpm_worker_pool_config_alloc`, the
//! `fpm_global_config` initialiser) as of commit 1851e774 on master (PHP 8.4
//! line), and checked against the PHP-8.2.x binary (`php-fpm8.2 -t`).
//! Version gates come from php-src's NEWS/UPGRADING: `request_slowlog_trace_depth`
//! 7.2; `log_limit`, `log_buffering`, `decorate_workers_output`,
//! `request_terminate_timeout_track_finished` 7.3; `pm.status_listen` 8.0;
//! `pm.max_spawn_rate` 8.1; `listen.setfib` and `access.suppress_path` 8.2.
//! Entries behind a configure switch (`syslog.*`, `systemd_interval`,
//! `listen.acl_*`, `apparmor_hat`, `listen.setfib` on FreeBSD only) are
//! listed as known: we cannot see how the target binary was built.

use std::fmt;

/// A PHP minor version, e.g. 8.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhpVersion {
    pub major: u8,
    pub minor: u8,
}

impl PhpVersion {
    pub const fn new(major: u8, minor: u8) -> PhpVersion {
        PhpVersion { major, minor }
    }
    /// The oldest version we model.
    pub const OLDEST: PhpVersion = PhpVersion::new(7, 4);
    /// The newest version we model (the default).
    pub const NEWEST: PhpVersion = PhpVersion::new(8, 4);
    /// What `--php-version` defaults to.
    pub const DEFAULT: PhpVersion = PhpVersion::new(8, 3);

    /// `"8.2"`, `"8.2.36"`, `"php8.2"`.
    pub fn parse(s: &str) -> Option<PhpVersion> {
        let s = s.trim().trim_start_matches("php");
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().unwrap_or("0").parse().ok()?;
        Some(PhpVersion { major, minor })
    }
}

impl PhpVersion {
    /// A version php-fpm's table covers, written `MAJOR.MINOR` (php-fpm's
    /// settings change with the minor version only, so `8.2.1` is refused
    /// as a likely mix-up rather than read as 8.2), from [`Self::OLDEST`]
    /// to [`Self::NEWEST`].
    pub fn parse_known(s: &str) -> Result<PhpVersion, std::string::String> {
        let range = format!(
            "nginx-lint knows PHP {} to {}",
            PhpVersion::OLDEST,
            PhpVersion::NEWEST
        );
        let mut it = s.trim().split('.');
        let v = match (it.next(), it.next(), it.next()) {
            (Some(a), Some(b), None) => match (a.parse::<u8>(), b.parse::<u8>()) {
                (Ok(a), Ok(b)) => PhpVersion::new(a, b),
                _ => return Err(format!("expected a version like 8.2; {range}")),
            },
            _ => return Err(format!("expected MAJOR.MINOR, like 8.2; {range}")),
        };
        if !(PhpVersion::OLDEST..=PhpVersion::NEWEST).contains(&v) {
            return Err(format!("{range} only"));
        }
        Ok(v)
    }
}

impl Default for PhpVersion {
    fn default() -> PhpVersion {
        PhpVersion::NEWEST
    }
}

impl fmt::Display for PhpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    Global,
    Pool,
}

/// How php-fpm parses a value (one `fpm_conf_set_*` function each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `fpm_conf_set_string`: anything; `$pool` expanded.
    String,
    /// `fpm_conf_set_integer`: digits with an optional leading `-`.
    Integer,
    /// `fpm_conf_set_time`: integer with optional s/m/h/d suffix.
    Time,
    /// `fpm_conf_set_boolean`: after the scanner folds yes/no, `1` or empty.
    Bool,
    /// `fpm_conf_set_log_level`.
    LogLevel,
    /// `fpm_conf_set_rlimit_core`: integer ≥ 0 or `unlimited`.
    RlimitCore,
    /// `fpm_conf_set_pm`: static, dynamic, ondemand.
    Pm,
    /// `fpm_conf_set_syslog_facility`.
    SyslogFacility,
    /// A string php-fpm reads with `strtoul(.., 8)` later (`listen.mode`).
    OctalMode,
}

#[derive(Clone, Copy, Debug)]
pub struct Directive {
    pub name: &'static str,
    pub section: SectionKind,
    pub ty: ValueType,
    /// php-fpm's default, as text ("" = unset).
    pub default: &'static str,
    pub since: PhpVersion,
}

impl Directive {
    pub fn available_in(&self, php: PhpVersion) -> bool {
        php >= self.since
    }
}

const fn d(
    name: &'static str,
    section: SectionKind,
    ty: ValueType,
    default: &'static str,
    since: (u8, u8),
) -> Directive {
    Directive {
        name,
        section,
        ty,
        default,
        since: PhpVersion::new(since.0, since.1),
    }
}

use SectionKind::{Global as G, Pool as P};
use ValueType::*;

/// Older than anything we model: present in every supported version.
const ALWAYS: (u8, u8) = (5, 3);

/// `[global]` entries, in `ini_fpm_global_options` order.
pub static GLOBAL: &[Directive] = &[
    d("pid", G, String, "", ALWAYS),
    d("error_log", G, String, "log/php-fpm.log", ALWAYS),
    d("syslog.ident", G, String, "php-fpm", ALWAYS),
    d("syslog.facility", G, SyslogFacility, "daemon", ALWAYS),
    d("log_buffering", G, Bool, "1", (7, 3)),
    d("log_level", G, LogLevel, "notice", ALWAYS),
    d("log_limit", G, Integer, "1024", (7, 3)),
    d("emergency_restart_threshold", G, Integer, "0", ALWAYS),
    d("emergency_restart_interval", G, Time, "0", ALWAYS),
    d("process_control_timeout", G, Time, "0", ALWAYS),
    d("process.max", G, Integer, "0", ALWAYS),
    d("process.priority", G, Integer, "", ALWAYS),
    d("daemonize", G, Bool, "1", ALWAYS),
    d("rlimit_files", G, Integer, "", ALWAYS),
    d("rlimit_core", G, RlimitCore, "", ALWAYS),
    d("events.mechanism", G, String, "", ALWAYS),
    d("systemd_interval", G, Time, "10", ALWAYS),
];

/// Pool entries, in `ini_fpm_pool_options` order.
pub static POOL: &[Directive] = &[
    d("prefix", P, String, "", ALWAYS),
    d("user", P, String, "", ALWAYS),
    d("group", P, String, "", ALWAYS),
    d("listen", P, String, "", ALWAYS),
    d("listen.backlog", P, Integer, "-1", ALWAYS),
    d("listen.acl_users", P, String, "", ALWAYS),
    d("listen.acl_groups", P, String, "", ALWAYS),
    d("listen.owner", P, String, "", ALWAYS),
    d("listen.group", P, String, "", ALWAYS),
    d("listen.mode", P, OctalMode, "0660", ALWAYS),
    d("listen.allowed_clients", P, String, "", ALWAYS),
    d("listen.setfib", P, Integer, "-1", (8, 2)),
    d("process.priority", P, Integer, "", ALWAYS),
    d("process.dumpable", P, Bool, "", ALWAYS),
    d("pm", P, Pm, "", ALWAYS),
    d("pm.max_children", P, Integer, "", ALWAYS),
    d("pm.start_servers", P, Integer, "", ALWAYS),
    d("pm.min_spare_servers", P, Integer, "", ALWAYS),
    d("pm.max_spare_servers", P, Integer, "", ALWAYS),
    d("pm.max_spawn_rate", P, Integer, "32", (8, 1)),
    d("pm.process_idle_timeout", P, Time, "10s", ALWAYS),
    d("pm.max_requests", P, Integer, "0", ALWAYS),
    d("pm.status_path", P, String, "", ALWAYS),
    d("pm.status_listen", P, String, "", (8, 0)),
    d("ping.path", P, String, "", ALWAYS),
    d("ping.response", P, String, "pong", ALWAYS),
    d("access.log", P, String, "", ALWAYS),
    d(
        "access.format",
        P,
        String,
        "%R - %u %t \"%m %r\" %s",
        ALWAYS,
    ),
    d("slowlog", P, String, "", ALWAYS),
    d("request_slowlog_timeout", P, Time, "0", ALWAYS),
    d("request_slowlog_trace_depth", P, Integer, "20", (7, 2)),
    d("request_terminate_timeout", P, Time, "0", ALWAYS),
    d(
        "request_terminate_timeout_track_finished",
        P,
        Bool,
        "",
        (7, 3),
    ),
    d("rlimit_files", P, Integer, "", ALWAYS),
    d("rlimit_core", P, RlimitCore, "", ALWAYS),
    d("chroot", P, String, "", ALWAYS),
    d("chdir", P, String, "", ALWAYS),
    d("catch_workers_output", P, Bool, "", ALWAYS),
    d("decorate_workers_output", P, Bool, "1", (7, 3)),
    d("clear_env", P, Bool, "1", ALWAYS),
    d("security.limit_extensions", P, String, ".php .phar", ALWAYS),
    d("apparmor_hat", P, String, "", ALWAYS),
];

/// `name[key] = value` entries (`fpm_conf_ini_parser_array`), pool only.
/// The names are matched case-sensitively there, unlike plain entries.
pub static ARRAYS: &[(&str, PhpVersion)] = &[
    ("env", PhpVersion::new(5, 3)),
    ("php_value", PhpVersion::new(5, 3)),
    ("php_admin_value", PhpVersion::new(5, 3)),
    ("php_flag", PhpVersion::new(5, 3)),
    ("php_admin_flag", PhpVersion::new(5, 3)),
    ("access.suppress_path", PhpVersion::new(8, 2)),
];

/// Known entry of a section kind, any version (case-insensitive, like
/// php-fpm's `strcasecmp`).
pub fn lookup(section: SectionKind, key: &str) -> Option<&'static Directive> {
    let table = match section {
        SectionKind::Global => GLOBAL,
        SectionKind::Pool => POOL,
    };
    table.iter().find(|d| d.name.eq_ignore_ascii_case(key))
}

/// Array entry name known for this version (case-sensitive, like php-fpm).
pub fn lookup_array(key: &str) -> Option<PhpVersion> {
    ARRAYS.iter().find(|(n, _)| *n == key).map(|(_, v)| *v)
}

/// The known name nearest to `key` by edit distance (for help lines), in
/// this section kind or, failing that, the other.
pub fn suggest(section: SectionKind, key: &str, php: PhpVersion) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    let own = match section {
        SectionKind::Global => GLOBAL,
        SectionKind::Pool => POOL,
    };
    let names = own
        .iter()
        .filter(|d| d.available_in(php))
        .map(|d| d.name)
        .chain(if section == SectionKind::Pool {
            ARRAYS.iter().map(|a| a.0).collect::<Vec<_>>()
        } else {
            Vec::new()
        })
        .chain(std::iter::once("include"));
    let mut best: Option<(usize, &'static str)> = None;
    for n in names {
        let dist = edit_distance(&lower, n);
        if best.is_none_or(|(b, _)| dist < b) {
            best = Some((dist, n));
        }
    }
    // Only a plausible typo: at most a third of the name wrong.
    best.filter(|(dist, n)| *dist <= (n.len() / 3).max(2))
        .map(|(_, n)| n)
}

pub use crate::text::edit_distance;

/// A value parsed the way php-fpm parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Str,
    Int(i64),
    Seconds(i64),
    Bool(bool),
    /// `unlimited` for rlimit_core.
    Unlimited,
    Word(&'static str),
}

/// Validate a value for a type, returning php-fpm's own error text on
/// failure (as printed after "unable to parse value for entry 'x': ").
pub fn validate(ty: ValueType, value: &str) -> Result<Parsed, &'static str> {
    match ty {
        ValueType::String => Ok(Parsed::Str),
        ValueType::Integer => parse_int(value).map(Parsed::Int),
        ValueType::Time => parse_time(value).map(Parsed::Seconds),
        ValueType::Bool => match value {
            "1" => Ok(Parsed::Bool(true)),
            "" => Ok(Parsed::Bool(false)),
            _ => Err("invalid boolean value"),
        },
        ValueType::LogLevel => {
            const LEVELS: [&str; 6] = ["debug", "notice", "warning", "warn", "error", "alert"];
            LEVELS
                .iter()
                .find(|l| l.eq_ignore_ascii_case(value))
                .map(|l| Parsed::Word(l))
                .ok_or("invalid value for 'log_level'")
        }
        ValueType::RlimitCore => {
            if value.eq_ignore_ascii_case("unlimited") {
                return Ok(Parsed::Unlimited);
            }
            let n = parse_int(value)?;
            if n < 0 {
                return Err("must be greater than zero or 'unlimited'");
            }
            Ok(Parsed::Int(n))
        }
        ValueType::Pm => {
            const PMS: [&str; 3] = ["static", "dynamic", "ondemand"];
            PMS.iter()
                .find(|l| l.eq_ignore_ascii_case(value))
                .map(|l| Parsed::Word(l))
                .ok_or("invalid process manager (static, dynamic or ondemand)")
        }
        ValueType::SyslogFacility => {
            const FAC: [&str; 20] = [
                "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news",
                "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4",
                "local5", "local6", "local7",
            ];
            FAC.iter()
                .find(|l| l.eq_ignore_ascii_case(value))
                .map(|l| Parsed::Word(l))
                .ok_or("invalid value")
        }
        ValueType::OctalMode => {
            // php-fpm accepts anything here and later calls strtoul(v, 0, 8):
            // "0666x" silently becomes 0666, "abc" or "0999" become 0.
            if !value.is_empty() && value.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                i64::from_str_radix(value, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .map(Parsed::Int)
                    .ok_or("is not an octal file mode")
            } else {
                Err("is not an octal file mode")
            }
        }
    }
}

/// `fpm_conf_set_integer`: an optional leading `-`, then digits (possibly
/// none: `""` and `"-"` are 0). Then `atoi`, which overflows silently; we
/// saturate instead.
pub fn parse_int(v: &str) -> Result<i64, &'static str> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a valid number (greater or equal than zero)");
    }
    Ok(atoi(v))
}

/// C `atoi` over the leading `[-]digits`, saturating, clamped to `int`.
pub fn atoi(v: &str) -> i64 {
    let t = v.trim_start_matches([' ', '\t', '\n']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

/// `fpm_conf_set_time`: the last character picks the unit; anything else
/// than a digit or s/m/h/d is "unknown suffix". The number is `atoi`'d, so
/// `1.5` is 1 and `x5` is 0 (php-fpm accepts both).
pub fn parse_time(v: &str) -> Result<i64, &'static str> {
    let Some(&last) = v.as_bytes().last() else {
        return Err("invalid time value");
    };
    // Only reached for an ASCII last byte, so the slice is on a boundary.
    let head = || &v[..v.len() - 1];
    let n = match last {
        b'm' => atoi(head()) * 60,
        b'h' => atoi(head()) * 3600,
        b'd' => atoi(head()) * 86400,
        b's' => atoi(head()),
        b'0'..=b'9' => atoi(v),
        _ => return Err("unknown suffix used in time value"),
    };
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_php_versions_only() {
        assert_eq!(PhpVersion::parse_known("8.2"), Ok(PhpVersion::new(8, 2)));
        assert_eq!(PhpVersion::parse_known("7.4"), Ok(PhpVersion::OLDEST));
        for bad in ["9", "8.2.1", "7.3", "9.0", "8.x", "php8.2", ""] {
            let e = PhpVersion::parse_known(bad).expect_err(bad);
            assert!(e.contains("PHP 7.4 to 8.4"), "{bad}: {e}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("30s"), Ok(30));
        assert_eq!(parse_time("5m"), Ok(300));
        assert_eq!(parse_time("2h"), Ok(7200));
        assert_eq!(parse_time("1d"), Ok(86400));
        assert_eq!(parse_time("10"), Ok(10));
        assert_eq!(parse_time("1.5"), Ok(1));
        assert_eq!(parse_time("s"), Ok(0));
        assert!(parse_time("10S").is_err());
        assert!(parse_time("10x").is_err());
        assert!(parse_time("").is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(parse_int("12"), Ok(12));
        assert_eq!(parse_int("-3"), Ok(-3));
        assert_eq!(parse_int(""), Ok(0));
        assert!(parse_int("2s").is_err());
        assert!(parse_int(" 2").is_err());
        assert!(parse_int("0x10").is_err());
        assert_eq!(parse_int("99999999999"), Ok(i64::from(i32::MAX)));
    }

    #[test]
    fn lookup_is_case_insensitive_and_gated() {
        assert!(lookup(SectionKind::Pool, "PM.Max_Children").is_some());
        assert!(lookup(SectionKind::Global, "user").is_none());
        let d = lookup(SectionKind::Pool, "pm.max_spawn_rate").unwrap();
        assert!(!d.available_in(PhpVersion::new(8, 0)));
        assert!(d.available_in(PhpVersion::new(8, 1)));
    }

    #[test]
    fn suggestions() {
        let v = PhpVersion::NEWEST;
        assert_eq!(
            suggest(SectionKind::Pool, "pm.max_childs", v),
            Some("pm.max_children")
        );
        assert_eq!(
            suggest(SectionKind::Pool, "listen.onwer", v),
            Some("listen.owner")
        );
        assert_eq!(
            suggest(SectionKind::Pool, "completely_unrelated_thing", v),
            None
        );
    }

    #[test]
    fn versions() {
        assert_eq!(PhpVersion::parse("8.2.36"), Some(PhpVersion::new(8, 2)));
        assert_eq!(PhpVersion::parse("php7.4"), Some(PhpVersion::new(7, 4)));
        assert!(PhpVersion::new(7, 4) < PhpVersion::new(8, 0));
    }

    #[test]
    fn modes() {
        assert_eq!(
            validate(ValueType::OctalMode, "0660"),
            Ok(Parsed::Int(0o660))
        );
        assert!(validate(ValueType::OctalMode, "0999").is_err());
        assert!(validate(ValueType::OctalMode, "rw-rw----").is_err());
    }
}
