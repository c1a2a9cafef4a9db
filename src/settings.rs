//! Settings that change what rules report: versions, modules, profiles,
//! which rules run and how severe they are. Filled from `.nginx-lint.toml`
//! and the command line (see [`Layer`]: every value is parsed here, once).

use std::path::{Path, PathBuf};

use crate::finding::Severity;
use crate::nginx::schema::{self, Version};

#[derive(Clone, Debug)]
pub struct Settings {
    /// The nginx version the configs are written for (gates the directive
    /// table and version-dependent rules).
    pub nginx_version: Version,
    /// The nginx version was given or found (`--nginx-version`, the config
    /// file, `nginx -v` on a live run), not the built-in default. A rule
    /// whose verdict is "nginx of this version refuses it" says error only
    /// then; on the default it is a guess about the server, said as a
    /// warning (or an info where the advice would break older nginx).
    pub nginx_version_known: bool,
    /// Third-party modules declared available (`--module NAME`), by group
    /// name ("lua", "brotli", …) or .so file name.
    pub modules: Vec<String>,
    /// The PHP version php-fpm runs (gates the php-fpm schema).
    pub php_version: crate::fpm::PhpVersion,
    /// The TLS profile `tls-ciphers` and `tls-protocols` judge against
    /// (`--tls-profile`).
    pub tls_profile: TlsProfile,
    /// The idle timeout of the load balancer in front of nginx, in
    /// milliseconds (`[load-balancer] idle-timeout`); None when unknown.
    pub lb_idle_timeout: Option<u64>,
    /// Which rules report (`select`/`ignore`), severity overrides
    /// (`[rules.<id>]`), per-file ignores and suppression policy.
    pub policy: Policy,
    /// Also check the running system (`--live`).
    pub live: bool,
    /// Where the files the configs name (certificates, keys) are looked up:
    /// the `--root` directory, or `/` with `--live`. None: files named by
    /// the configs are not read.
    pub files_root: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            nginx_version: schema::NEWEST_STABLE,
            nginx_version_known: false,
            modules: Vec::new(),
            php_version: crate::fpm::PhpVersion::DEFAULT,
            tls_profile: TlsProfile::default(),
            lb_idle_timeout: None,
            policy: Policy::default(),
            live: false,
            files_root: None,
        }
    }
}

/// Mozilla's server-side TLS configurations (guideline 6.0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsProfile {
    /// TLS 1.2 and 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305.
    #[default]
    Intermediate,
    /// TLS 1.3 only.
    Modern,
}

impl TlsProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsProfile::Intermediate => "intermediate",
            TlsProfile::Modern => "modern",
        }
    }

    pub fn parse(s: &str) -> Option<TlsProfile> {
        match s {
            "intermediate" => Some(TlsProfile::Intermediate),
            "modern" => Some(TlsProfile::Modern),
            _ => None,
        }
    }
}

/// What is reported and how: applied to the findings after the rules ran.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Rule ids that report; None: every rule.
    pub enabled: Option<Vec<&'static str>>,
    /// Severity overrides by rule id (`[rules.<id>] severity`).
    pub severity: Vec<(&'static str, Severity)>,
    /// Findings of these rules in files matching the glob are dropped.
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// `invalid-suppression` when an inline ignore gives no `-- reason`.
    pub require_reason: bool,
}

impl Policy {
    pub fn is_enabled(&self, id: &str) -> bool {
        self.enabled.as_ref().is_none_or(|v| v.contains(&id))
    }

    pub fn severity_of(&self, id: &str) -> Option<Severity> {
        self.severity
            .iter()
            .find(|(r, _)| *r == id)
            .map(|(_, s)| *s)
    }
}

/// `[[per-file-ignores]]`: a glob relative to the config file's directory.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    pub glob: globset::GlobMatcher,
    /// Directory the glob is relative to (absolute).
    pub base: PathBuf,
    pub rules: Vec<&'static str>,
}

impl PerFileIgnore {
    /// Does the glob match this file (its real path, or the path as shown)?
    pub fn matches(&self, real: &Path, display: &str) -> bool {
        let abs = std::path::absolute(real).unwrap_or_else(|_| real.to_path_buf());
        if let Ok(rel) = abs.strip_prefix(&self.base)
            && self.glob.is_match(rel)
        {
            return true;
        }
        self.glob.is_match(display) || self.glob.is_match(real)
    }
}

/// A service that listens outside the analysed configs (`[[listener]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredListener {
    pub endpoint: crate::address::Endpoint,
    pub name: String,
}

/// Rule categories users may select by name (besides every category of
/// the registry).
pub const CATEGORIES: &[&str] = &[
    "syntax",
    "resolution",
    "limits",
    "tls",
    "security",
    "php-fpm",
    "suppression",
];

/// Rule ids and categories, expanded: `all`, a category, or an id.
pub fn expand_selectors(what: &str, items: &[String]) -> Result<Vec<&'static str>, String> {
    let mut out = Vec::new();
    for raw in items {
        let item = raw.trim();
        if item == "all" {
            out.extend(crate::registry::RULES.iter().map(|m| m.id));
        } else if CATEGORIES.contains(&item)
            || crate::registry::RULES.iter().any(|m| m.category == item)
        {
            // A category first: `syntax` is the category (which holds the
            // rule `syntax`, `include-missing`, …).
            out.extend(
                crate::registry::RULES
                    .iter()
                    .filter(|m| m.category == item)
                    .map(|m| m.id),
            );
        } else if let Some(m) = crate::registry::meta(item) {
            out.push(m.id);
        } else {
            return Err(format!(
                "{what}: unknown rule or category `{item}`; closest: {}",
                nearest_selector(item).join(", ")
            ));
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The rule ids and category names closest to a misspelt one.
pub fn nearest_selector(item: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = crate::registry::RULES
        .iter()
        .map(|m| m.id)
        .chain(CATEGORIES.iter().copied())
        .chain(std::iter::once("all"))
        .map(|c| (crate::text::edit_distance(item, c), c))
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// One source of settings (the config file, or the command line), as
/// written. [`Layer::over`] stacks them; [`Layer::resolve`] parses every
/// value, so the file and the flags share one parser and one error style.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    /// Where each value came from, for messages: `--nginx-version` or
    /// `.nginx-lint.toml: nginx-version`.
    pub origin: LayerOrigin,
    /// Fields a command-line layer stacked over a file layer set (their
    /// errors name the flag, not the file).
    pub from_flags: Vec<&'static str>,
    pub nginx_version: Option<String>,
    pub php_version: Option<String>,
    pub tls_profile: Option<String>,
    pub fail_level: Option<String>,
    pub modules: Option<Vec<String>>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub require_reason: Option<bool>,
    pub lb_idle_timeout: Option<String>,
    /// (rule id, severity) as written.
    pub rule_severity: Vec<(String, String)>,
    /// (glob, rule ids, base directory).
    pub per_file_ignores: Vec<(String, Vec<String>, PathBuf)>,
    /// (address, name).
    pub listeners: Vec<(String, String)>,
}

/// Names values by their source in error messages.
#[derive(Clone, Debug, Default)]
pub enum LayerOrigin {
    #[default]
    Flags,
    File(PathBuf),
}

impl Layer {
    /// How to name a value in an error: the flag, or the file and key.
    fn name(&self, flag: &'static str, key: &str) -> String {
        match &self.origin {
            LayerOrigin::File(p) if !self.from_flags.contains(&flag) => {
                format!("{}: {key}", p.display())
            }
            _ => format!("--{flag}"),
        }
    }
}

/// Settings plus what only the binary needs.
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    pub settings: Settings,
    pub fail_level: Option<Severity>,
    pub listeners: Vec<DeclaredListener>,
}

impl Layer {
    /// `over` wins wherever it sets a value; lists of tables add up.
    pub fn over(mut self, over: Layer) -> Layer {
        let flags = matches!(over.origin, LayerOrigin::Flags);
        macro_rules! take {
            ($($f:ident),*) => {$( if over.$f.is_some() {
                self.$f = over.$f;
                if flags {
                    self.from_flags.push(flag_name(stringify!($f)));
                }
            } )*};
        }
        take!(
            nginx_version,
            php_version,
            tls_profile,
            fail_level,
            modules,
            select,
            ignore,
            require_reason,
            lb_idle_timeout
        );
        // Flags override a rule's severity from the file one by one.
        for (id, sev) in over.rule_severity {
            self.rule_severity.retain(|(i, _)| *i != id);
            self.rule_severity.push((id, sev));
        }
        self.per_file_ignores.extend(over.per_file_ignores);
        self.listeners.extend(over.listeners);
        self
    }

    /// Parse every value. Errors name the flag or the file and key.
    pub fn resolve(&self) -> Result<Resolved, String> {
        let o = self;
        let mut s = Settings::default();
        if let Some(v) = &self.nginx_version {
            s.nginx_version = Version::parse_known(v)
                .map_err(|e| format!("{} {v}: {e}", o.name("nginx-version", "nginx-version")))?;
            s.nginx_version_known = true;
        }
        if let Some(v) = &self.php_version {
            s.php_version = crate::fpm::PhpVersion::parse_known(v)
                .map_err(|e| format!("{} {v}: {e}", o.name("php-version", "php-version")))?;
        }
        if let Some(v) = &self.tls_profile {
            s.tls_profile = TlsProfile::parse(v).ok_or_else(|| {
                format!(
                    "{} {v}: expected `intermediate` or `modern`",
                    o.name("tls-profile", "tls-profile")
                )
            })?;
        }
        if let Some(v) = &self.lb_idle_timeout {
            s.lb_idle_timeout = Some(parse_duration(v).ok_or_else(|| {
                format!(
                    "{} {v}: expected a time like 60s, 2m or 350ms",
                    o.name("lb-idle-timeout", "[load-balancer] idle-timeout")
                )
            })?);
        }
        let fail_level = match &self.fail_level {
            Some(v) => Some(Severity::parse(v).ok_or_else(|| {
                format!(
                    "{} {v}: expected error, warning or info",
                    o.name("fail-level", "fail-level")
                )
            })?),
            None => None,
        };
        if let Some(m) = &self.modules {
            s.modules = m.clone();
        }
        self.resolve_policy(&mut s.policy)?;
        let listeners = self.resolve_listeners()?;
        Ok(Resolved {
            settings: s,
            fail_level,
            listeners,
        })
    }

    /// The policy: which rules run, at what severity, where ignored, and
    /// whether a suppression needs a reason.
    fn resolve_policy(&self, p: &mut Policy) -> Result<(), String> {
        let o = self;
        p.require_reason = self.require_reason.unwrap_or(false);
        let selected = match &self.select {
            Some(sel) => Some(expand_selectors(&o.name("select", "select"), sel)?),
            None => None,
        };
        let ignored = match &self.ignore {
            Some(ign) => expand_selectors(&o.name("ignore", "ignore"), ign)?,
            None => Vec::new(),
        };
        if selected.is_some() || !ignored.is_empty() {
            let base: Vec<&'static str> =
                selected.unwrap_or_else(|| crate::registry::RULES.iter().map(|m| m.id).collect());
            p.enabled = Some(
                base.into_iter()
                    .filter(|id| !ignored.contains(id))
                    .collect(),
            );
        }
        for (id, sev) in &self.rule_severity {
            let where_ = o.name("severity", &format!("[rules.{id}] severity"));
            let Some(m) = crate::registry::meta(id) else {
                return Err(format!(
                    "{where_}: no rule `{id}`; closest: {}",
                    crate::registry::nearest(id, 3).join(", ")
                ));
            };
            let sev = Severity::parse(sev)
                .ok_or_else(|| format!("{where_} {sev}: expected error, warning or info"))?;
            p.severity.push((m.id, sev));
        }
        for (glob, ids, base) in &self.per_file_ignores {
            let where_ = o.name("per-file-ignores", "[[per-file-ignores]]");
            let g = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("{where_} path {glob:?}: {e}"))?;
            p.per_file_ignores.push(PerFileIgnore {
                glob: g.compile_matcher(),
                base: base.clone(),
                rules: expand_selectors(&format!("{where_} ignore"), ids)?,
            });
        }
        Ok(())
    }

    /// The listeners declared in the configuration.
    fn resolve_listeners(&self) -> Result<Vec<DeclaredListener>, String> {
        let o = self;
        let mut listeners = Vec::new();
        for (addr, name) in &self.listeners {
            let endpoint = parse_listener_address(addr).ok_or_else(|| {
                format!(
                    "{} address {addr:?}: expected host:port, a port, or unix:/path",
                    o.name("listener", "[[listener]]")
                )
            })?;
            listeners.push(DeclaredListener {
                endpoint,
                name: name.clone(),
            });
        }
        Ok(listeners)
    }
}

/// The flag of a [`Layer`] field.
fn flag_name(field: &str) -> &'static str {
    match field {
        "nginx_version" => "nginx-version",
        "php_version" => "php-version",
        "tls_profile" => "tls-profile",
        "fail_level" => "fail-level",
        "modules" => "module",
        "select" => "select",
        "ignore" => "ignore",
        "require_reason" => "require-reason",
        _ => "lb-idle-timeout",
    }
}

/// `127.0.0.1:3000`, `3000`, `[::1]:3000`, `unix:/run/app.sock` or an
/// absolute socket path.
pub fn parse_listener_address(s: &str) -> Option<crate::address::Endpoint> {
    use crate::address::{Endpoint, normalize_socket, parse_host_port};
    let s = s.trim();
    if s.starts_with('/') {
        return Some(Endpoint::Unix(normalize_socket(Path::new(s)).into()));
    }
    match parse_host_port(s, None)? {
        Endpoint::Unix(p) if p.as_os_str().is_empty() => None,
        ep => Some(ep),
    }
}

/// Parse `1.26`, `1.26.2` into a Version.
pub fn parse_version(s: &str) -> Option<Version> {
    let mut it = s.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    let patch = match it.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    if it.next().is_some() {
        return None;
    }
    Some(Version(major, minor, patch))
}

/// A duration on the command line, nginx style: `60s`, `2m`, `1h`, `500ms`,
/// or bare seconds (`60`). Returns milliseconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.26"), Some(Version(1, 26, 0)));
        assert_eq!(parse_version("1.25.1"), Some(Version(1, 25, 1)));
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("1.x"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Some(60_000));
        assert_eq!(parse_duration("2m"), Some(120_000));
        assert_eq!(parse_duration("350ms"), Some(350));
        assert_eq!(parse_duration("60"), Some(60_000));
        assert_eq!(parse_duration("1x"), None);
    }

    #[test]
    fn selectors_expand_and_reject() {
        let all = expand_selectors("--select", &["all".into()]).unwrap_or_default();
        assert_eq!(all.len(), crate::registry::RULES.len());
        let fpm = expand_selectors("--select", &["php-fpm".into()]).unwrap_or_default();
        assert!(fpm.contains(&"fpm-syntax") && !fpm.contains(&"syntax"));
        let err = expand_selectors("--select", &["sintax".into()]).unwrap_err();
        assert!(err.contains("closest: syntax"), "{err}");
    }

    #[test]
    fn listener_addresses() {
        assert!(parse_listener_address("127.0.0.1:3000").is_some());
        assert!(parse_listener_address("unix:/run/app.sock").is_some());
        assert!(parse_listener_address("/run/app.sock").is_some());
        assert!(parse_listener_address("app").is_none());
    }
}
