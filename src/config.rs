//! `.nginx-lint.toml`: found upward from the first PATH (then
//! `$XDG_CONFIG_HOME/nginx-lint/config.toml`), or named with `--config`.
//! Keys are checked before anything is read: an unknown key fails the run
//! (exit 2) with the closest known key as a hint. Values become a
//! [`Layer`]; the command line is stacked over it and both are parsed by
//! [`Layer::resolve`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::settings::{Layer, LayerOrigin};

/// The file name looked for in the linted tree and its parents.
pub const FILE_NAME: &str = ".nginx-lint.toml";

/// Every top-level key (README.md, "Configuration: `.nginx-lint.toml`", shows
/// each in its example).
pub const TOP_KEYS: &[&str] = &[
    "nginx-version",
    "tls-profile",
    "fail-level",
    "select",
    "ignore",
    "prefix",
    "root",
    "php-fpm",
    "php-fpm-prefix",
    "php-version",
    "modules",
    "require-reason",
    "rules",
    "listener",
    "load-balancer",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
];
const RULE_KEYS: &[&str] = &["severity"];
const LISTENER_KEYS: &[&str] = &["address", "name"];
const LB_KEYS: &[&str] = &["idle-timeout"];
const PFI_KEYS: &[&str] = &["path", "ignore"];

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    nginx_version: Option<String>,
    tls_profile: Option<String>,
    fail_level: Option<String>,
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    prefix: Option<PathBuf>,
    root: Option<PathBuf>,
    php_fpm: Option<Vec<PathBuf>>,
    php_fpm_prefix: Option<PathBuf>,
    php_version: Option<String>,
    modules: Option<Vec<String>>,
    require_reason: Option<bool>,
    #[serde(default)]
    rules: BTreeMap<String, RawRule>,
    #[serde(default)]
    listener: Vec<RawListener>,
    load_balancer: Option<RawLb>,
    #[serde(default)]
    per_file_ignores: Vec<RawPfi>,
    exclude: Option<Vec<String>>,
    extend_exclude: Option<Vec<String>>,
}

#[derive(Deserialize, Debug)]
struct RawRule {
    severity: String,
}

#[derive(Deserialize, Debug)]
struct RawListener {
    address: String,
    name: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "kebab-case")]
struct RawLb {
    idle_timeout: Option<String>,
}

#[derive(Deserialize, Debug)]
struct RawPfi {
    path: String,
    ignore: Vec<String>,
}

/// A config file, read and checked.
#[derive(Clone, Debug, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Settings from the file (paths already made relative to its directory).
    pub layer: Layer,
    /// Input paths from the file, resolved against its directory.
    pub prefix: Option<PathBuf>,
    pub root: Option<PathBuf>,
    pub php_fpm: Vec<PathBuf>,
    pub php_fpm_prefix: Option<PathBuf>,
    /// `exclude` (replaces the default list) and `extend-exclude`, each
    /// pattern with this file's directory.
    pub exclude: Option<Vec<(String, PathBuf)>>,
    pub extend_exclude: Vec<(String, PathBuf)>,
}

/// Where to look for the config when `--config` is not given: `.nginx-lint.toml`
/// in the first PATH (a directory) or its parents, then
/// `$XDG_CONFIG_HOME/nginx-lint/config.toml` (`~/.config` when unset).
pub fn discover(first_path: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = first_path
        && let Ok(abs) = std::path::absolute(p)
    {
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            let c = d.join(FILE_NAME);
            if c.is_file() {
                return Some(c);
            }
            dir = d.parent();
        }
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let c = xdg.join("nginx-lint").join("config.toml");
    c.is_file().then_some(c)
}

impl ConfigFile {
    /// Read and check a config file. Errors are one line, prefixed with the
    /// file name.
    pub fn load(path: &Path) -> Result<ConfigFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
        ConfigFile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, String> {
        let name = path.display();
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| format!("{name}: {}", one_line(&e.to_string())))?;
        check_keys(&table).map_err(|(key, msg)| match line_of_key(text, &key) {
            Some(l) => format!("{name}:{l}: {msg}"),
            None => format!("{name}: {msg}"),
        })?;
        let raw: Raw = Raw::deserialize(toml::Value::Table(table))
            .map_err(|e| format!("{name}: {}", one_line(&e.to_string())))?;
        let dir = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let rel = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        let layer = Layer {
            origin: LayerOrigin::File(path.to_path_buf()),
            from_flags: Vec::new(),
            nginx_version: raw.nginx_version,
            php_version: raw.php_version,
            tls_profile: raw.tls_profile,
            fail_level: raw.fail_level,
            modules: raw.modules,
            select: raw.select,
            ignore: raw.ignore,
            require_reason: raw.require_reason,
            lb_idle_timeout: raw.load_balancer.and_then(|lb| lb.idle_timeout),
            rule_severity: raw
                .rules
                .into_iter()
                .map(|(id, r)| (id, r.severity))
                .collect(),
            per_file_ignores: raw
                .per_file_ignores
                .into_iter()
                .map(|p| (p.path, p.ignore, dir.clone()))
                .collect(),
            listeners: raw
                .listener
                .into_iter()
                .map(|l| {
                    let name = l.name.unwrap_or_else(|| l.address.clone());
                    (l.address, name)
                })
                .collect(),
        };
        // Check the values now, so a bad file fails even when flags
        // override every value in it.
        layer.resolve()?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            layer,
            prefix: raw.prefix.map(rel),
            root: raw.root.map(rel),
            php_fpm: raw
                .php_fpm
                .unwrap_or_default()
                .into_iter()
                .map(rel)
                .collect(),
            php_fpm_prefix: raw.php_fpm_prefix.map(rel),
            exclude: raw
                .exclude
                .map(|v| v.into_iter().map(|p| (p, dir.clone())).collect()),
            extend_exclude: raw
                .extend_exclude
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p, dir.clone()))
                .collect(),
        })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The closest known key, for "did you mean".
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = key.replace('_', "-").to_ascii_lowercase();
    known
        .iter()
        .map(|k| (crate::text::edit_distance(&norm, k), *k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn unknown(key: &str, table: &str, known: &[&str]) -> (String, String) {
    let place = if table.is_empty() {
        String::new()
    } else {
        format!(" in [{table}]")
    };
    let hint = match closest(key, known) {
        Some(k) => format!("; did you mean `{k}`?"),
        None => format!("; known keys: {}", known.join(", ")),
    };
    (key.to_string(), format!("unknown key `{key}`{place}{hint}"))
}

/// Every key must be known; returns (offending key, message).
fn check_keys(table: &toml::Table) -> Result<(), (String, String)> {
    for (k, v) in table {
        if !TOP_KEYS.contains(&k.as_str()) {
            return Err(unknown(k, "", TOP_KEYS));
        }
        match (k.as_str(), v) {
            ("rules", toml::Value::Table(rules)) => {
                for (id, body) in rules {
                    if crate::registry::meta(id).is_none() {
                        return Err((
                            id.clone(),
                            format!(
                                "[rules.{id}]: no rule `{id}`; closest: {}",
                                crate::registry::nearest(id, 3).join(", ")
                            ),
                        ));
                    }
                    check_sub(body, &format!("rules.{id}"), RULE_KEYS)?;
                }
            }
            ("listener", toml::Value::Array(items)) => {
                for item in items {
                    check_sub(item, "[listener]", LISTENER_KEYS)?;
                }
            }
            ("per-file-ignores", toml::Value::Array(items)) => {
                for item in items {
                    check_sub(item, "[per-file-ignores]", PFI_KEYS)?;
                }
            }
            ("load-balancer", body) => check_sub(body, "load-balancer", LB_KEYS)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_sub(v: &toml::Value, name: &str, known: &[&str]) -> Result<(), (String, String)> {
    if let toml::Value::Table(t) = v {
        for k in t.keys() {
            if !known.contains(&k.as_str()) {
                return Err(unknown(k, name, known));
            }
        }
    }
    Ok(())
}

/// The line where `key =` or `[key` is first written, for messages.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches('[').trim_start();
            t.strip_prefix(key)
                .or_else(|| {
                    t.strip_prefix('"')
                        .and_then(|r| r.strip_prefix(key))
                        .and_then(|r| r.strip_prefix('"'))
                })
                .is_some_and(|r| {
                    let r = r.trim_start();
                    r.starts_with('=') || r.starts_with(']') || r.starts_with('.')
                })
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(Path::new("/x/.nginx-lint.toml"), text)
    }

    #[test]
    fn unknown_key_hints_the_closest() {
        let e = parse("nginx-version = \"1.26\"\nfail_level = \"error\"\n").unwrap_err();
        assert_eq!(
            e,
            "/x/.nginx-lint.toml:2: unknown key `fail_level`; did you mean `fail-level`?"
        );
        let e = parse("[load-balancer]\nidle_timeout = \"60s\"\n").unwrap_err();
        assert!(e.contains("did you mean `idle-timeout`"), "{e}");
        let e = parse("[rules.sintax]\nseverity = \"info\"\n").unwrap_err();
        assert!(e.contains("closest: syntax"), "{e}");
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let c = parse("prefix = \"nginx\"\nphp-fpm = [\"php/\"]\n").unwrap_or_default();
        assert_eq!(c.prefix, Some(PathBuf::from("/x/nginx")));
        assert_eq!(c.php_fpm, vec![PathBuf::from("/x/php/")]);
    }

    #[test]
    fn bad_values_fail() {
        assert!(parse("fail-level = \"loud\"\n").is_err());
        assert!(parse("select = \"all\"\n").is_err());
        assert!(parse("[[listener]]\naddress = \"nowhere\"\n").is_err());
    }
}
