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
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            nginx_version: schema::NEWEST_STABLE,
            modules: Vec::new(),
            php_version: crate::fpm::PhpVersion::DEFAULT,
            live: false,
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
}
