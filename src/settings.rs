//! Settings that change what rules report: versions, modules, profiles.
//! Filled from the command line (and, later, `.nginx-lint.toml`).

use crate::nginx::schema::{self, Version};

#[derive(Clone, Debug)]
pub struct Settings {
    /// The nginx version the configs are written for (gates the directive
    /// table and version-dependent rules).
    pub nginx_version: Version,
    /// Third-party modules declared available (`--module NAME`), by group
    /// name ("lua", "brotli", …) or .so file name.
    pub modules: Vec<String>,
    /// The PHP version php-fpm runs (gates the php-fpm schema).
    pub php_version: crate::fpm::PhpVersion,
    /// Also check the running system (`--live`).
    pub live: bool,
    /// The TLS profile `tls-ciphers` and `tls-protocols` judge against
    /// (`--tls-profile`).
    pub tls_profile: TlsProfile,
    /// The idle timeout of the load balancer in front of nginx, in
    /// milliseconds (`--lb-idle-timeout 60s`); None when unknown.
    pub lb_idle_timeout: Option<u64>,
    /// Where the files the configs name (certificates, keys) are looked up:
    /// the `--root` directory, or `/` with `--live`. None: files named by
    /// the configs are not read.
    pub files_root: Option<std::path::PathBuf>,
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
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            nginx_version: schema::NEWEST_STABLE,
            modules: Vec::new(),
            php_version: crate::fpm::PhpVersion::DEFAULT,
            live: false,
            tls_profile: TlsProfile::default(),
            lb_idle_timeout: None,
            files_root: None,
        }
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
    fn durations() {
        assert_eq!(parse_duration("60s"), Some(60_000));
        assert_eq!(parse_duration("60"), Some(60_000));
        assert_eq!(parse_duration("2m"), Some(120_000));
        assert_eq!(parse_duration("350ms"), Some(350));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("s"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("1.26"), Some(Version(1, 26, 0)));
        assert_eq!(parse_version("1.25.1"), Some(Version(1, 25, 1)));
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("1.x"), None);
    }
}
