//! The nginx and PHP versions a run judges against, and where each came
//! from: the command line, the config file, the machine itself (a live run
//! only) or the built-in default. Printed at the end of the summary, so a
//! finding that depends on a version never hides which one was assumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fpm::PhpVersion;
use crate::nginx::schema::Version;

/// Where a version in force came from, by precedence (highest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `--nginx-version`, `--php-version`.
    Option,
    /// `.nginx-lint.toml`.
    Config,
    /// `nginx -v`, the php-fpm tree's path or `php-fpmX.Y -v` (live runs).
    Detected,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Option => "option",
            Source::Config => "config",
            Source::Detected => "detected",
            Source::Default => "default",
        }
    }
}

/// The versions of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InForce {
    pub nginx: Version,
    pub nginx_from: Source,
    pub php: PhpVersion,
    pub php_from: Source,
}

impl InForce {
    /// `nginx 1.22 (detected) · PHP 8.2 (default)`. The patch level only
    /// when the user wrote one (`--nginx-version 1.25.1`): the default's
    /// and a detected binary's patch changes nothing a rule gates on.
    pub fn line(&self) -> String {
        let v = self.nginx;
        let nginx = if v.2 != 0 && matches!(self.nginx_from, Source::Option | Source::Config) {
            v.to_string()
        } else {
            format!("{}.{}", v.0, v.1)
        };
        format!(
            "nginx {nginx} ({}) · PHP {} ({})",
            self.nginx_from.as_str(),
            self.php,
            self.php_from.as_str()
        )
    }
}

/// A run on the host's own configuration: `--live`, or a PATH under
/// `/etc/nginx` (the default, when neither paths nor stdin are given)
/// without `--root`. A repository run, or a config on stdin, never asks the
/// machine it happens to run on.
pub fn is_live(paths: &[PathBuf], stdin: bool, root: Option<&Path>, live: bool) -> bool {
    live || (root.is_none()
        && !stdin
        && (paths.is_empty() || paths.iter().any(|p| p.starts_with("/etc/nginx"))))
}

/// `nginx -v` of the `nginx` on PATH, if there is one.
pub fn detect_nginx() -> Option<Version> {
    let out = Command::new("nginx")
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    // nginx prints its version on stderr.
    parse_nginx_v(&String::from_utf8_lossy(&out.stderr))
        .or_else(|| parse_nginx_v(&String::from_utf8_lossy(&out.stdout)))
}

/// `nginx version: nginx/1.22.1` (also `openresty/1.21.4.1`, `nginx/1.25.3
/// (Ubuntu)`).
pub fn parse_nginx_v(text: &str) -> Option<Version> {
    let rest = text.split("version:").nth(1)?.trim_start();
    let ver = rest.split('/').nth(1)?;
    let ver: &str = ver
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut it = ver.split('.').map(|p| p.parse::<u16>().ok());
    match (it.next(), it.next(), it.next()) {
        (Some(Some(a)), Some(Some(b)), c) => Some(Version(a, b, c.flatten().unwrap_or(0))),
        _ => None,
    }
}

/// The PHP version in a php-fpm tree's path (`/etc/php/8.2/fpm`: Debian
/// and Ubuntu keep one tree per version). Several versions: the newest,
/// whose entries are a superset, so no key of the newer pools reads as
/// unknown.
pub fn php_from_paths(paths: &[PathBuf]) -> Option<PhpVersion> {
    paths
        .iter()
        .filter_map(|p| {
            let parts: Vec<&str> = p.iter().filter_map(|c| c.to_str()).collect();
            parts
                .windows(2)
                .find(|w| w[0] == "php" && w[1].contains('.'))
                .and_then(|w| PhpVersion::parse_known(w[1]).ok())
        })
        .max()
}

/// `php-fpm -v`, or `php-fpmX.Y -v` of the newest versioned binary on PATH.
pub fn detect_php_binary() -> Option<PhpVersion> {
    let mut names: Vec<(Option<PhpVersion>, String)> = Vec::new();
    for dir in std::env::split_paths(&std::env::var_os("PATH")?) {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "php-fpm" {
                names.push((None, name));
            } else if let Some(v) = name.strip_prefix("php-fpm")
                && let Ok(v) = PhpVersion::parse_known(v)
            {
                names.push((Some(v), name));
            }
        }
    }
    // The newest versioned binary, else the plain one.
    names.sort();
    let (_, name) = names.pop()?;
    let out = Command::new(name)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    parse_php_v(&String::from_utf8_lossy(&out.stdout))
}

/// `PHP 8.2.36 (fpm-fcgi) (built: …)`.
pub fn parse_php_v(text: &str) -> Option<PhpVersion> {
    let ver = text.trim_start().strip_prefix("PHP ")?.split(' ').next()?;
    let mut it = ver.split('.').map(|p| p.parse::<u8>().ok());
    match (it.next(), it.next()) {
        (Some(Some(a)), Some(Some(b))) => Some(PhpVersion::new(a, b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_v_output() {
        assert_eq!(
            parse_nginx_v("nginx version: nginx/1.22.1\n"),
            Some(Version(1, 22, 1))
        );
        assert_eq!(
            parse_nginx_v("nginx version: nginx/1.25.3 (Ubuntu)\n"),
            Some(Version(1, 25, 3))
        );
        assert_eq!(
            parse_nginx_v("nginx version: openresty/1.21.4.1\n"),
            Some(Version(1, 21, 4))
        );
        assert_eq!(parse_nginx_v("nginx: command not found"), None);
    }

    #[test]
    fn php_versions() {
        assert_eq!(
            parse_php_v("PHP 8.2.36 (fpm-fcgi) (built: Nov 18 2026)\nCopyright"),
            Some(PhpVersion::new(8, 2))
        );
        assert_eq!(parse_php_v("bash: php-fpm: not found"), None);
        let paths = [
            PathBuf::from("/etc/php/8.1/fpm"),
            PathBuf::from("/etc/php/8.2/fpm"),
            PathBuf::from("/etc/php-fpm.d"),
        ];
        assert_eq!(php_from_paths(&paths), Some(PhpVersion::new(8, 2)));
        assert_eq!(php_from_paths(&[PathBuf::from("/etc/php-fpm.d")]), None);
    }

    #[test]
    fn live_runs_only() {
        assert!(is_live(&[], false, None, false));
        assert!(!is_live(&[], true, None, false), "stdin");
        assert!(is_live(&[], true, None, true), "stdin with --live");
        assert!(is_live(&[PathBuf::from("/etc/nginx/")], false, None, false));
        let conf = PathBuf::from("/etc/nginx/nginx.conf");
        assert!(is_live(&[conf], false, None, false));
        assert!(!is_live(
            &[PathBuf::from("repo/etc/nginx")],
            false,
            None,
            false
        ));
        let root = Some(Path::new("repo"));
        assert!(!is_live(&[PathBuf::from("/etc/nginx")], false, root, false));
        assert!(is_live(&[PathBuf::from("repo")], false, None, true));
    }

    #[test]
    fn summary_line() {
        let v = InForce {
            nginx: Version(1, 22, 1),
            nginx_from: Source::Detected,
            php: PhpVersion::new(8, 2),
            php_from: Source::Default,
        };
        assert_eq!(v.line(), "nginx 1.22 (detected) · PHP 8.2 (default)");
        let v = InForce {
            nginx: Version(1, 25, 1),
            nginx_from: Source::Option,
            ..v
        };
        assert!(v.line().starts_with("nginx 1.25.1 (option)"));
    }
}
