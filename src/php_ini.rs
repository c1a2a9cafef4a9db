//! PHP's own limits as php-fpm's workers see them: `php.ini` and the
//! `conf.d/*.ini` scanned after it, for each PHP installation found beside
//! the php-fpm configuration, then each pool's `php_value` /
//! `php_admin_value`.
//!
//! Where PHP looks (php-src `main/php_ini.c`, `php_init_config`): the
//! compiled-in `PHP_CONFIG_FILE_PATH` for `php.ini`, then every `*.ini` of
//! `PHP_CONFIG_FILE_SCAN_DIR` in alphabetical order (`php_alphasort`), a
//! later file overriding an earlier one. Packaged, those directories sit
//! beside php-fpm's own files:
//! - Debian / Ubuntu: `/etc/php/X.Y/fpm/php.ini` and `.../fpm/conf.d/`,
//!   beside `.../fpm/php-fpm.conf` and `.../fpm/pool.d/`;
//! - Alpine: `/etc/phpNN/php.ini` and `/etc/phpNN/conf.d/`, beside
//!   `/etc/phpNN/php-fpm.conf` and `php-fpm.d/`;
//! - the official Docker image: `/usr/local/etc/php/php.ini` (absent unless
//!   the Dockerfile copies one) and `/usr/local/etc/php/conf.d/`, beside
//!   `/usr/local/etc/php-fpm.conf` and `php-fpm.d/`.
//!
//! The syntax is the Zend INI scanner's, which php-fpm's files share, so
//! the files are read with [`crate::fpm::parser`] (line by line: php.ini's
//! rare multi-line quoted strings are not modelled). Sections are ignored
//! except `[PATH=...]` and `[HOST=...]`, whose settings apply to some
//! requests only: a key set there is unknown for the pool as a whole.
//!
//! Per pool, `php_admin_value[key]` wins over `php_value[key]`
//! (`fpm_php_apply_defines` applies the admin values last), and both win
//! over the ini files. A request's `PHP_VALUE` / `PHP_ADMIN_VALUE` FastCGI
//! parameter wins over all of these (see [`request_value`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::fpm::{FpmConfig, Pool};
use crate::source::{FileId, SourceMap, Span};
use crate::vfs::Fs;

/// The settings read, with PHP's compiled-in defaults (php-src
/// `main/main.c`, `PHP_INI_BEGIN`; `memory_limit` in `main/main.c` too).
pub const KEYS: [(&str, &str); 4] = [
    ("max_execution_time", "30"),
    ("upload_max_filesize", "2M"),
    ("post_max_size", "8M"),
    ("memory_limit", "128M"),
];

/// PHP's default for one of [`KEYS`].
pub fn default_of(key: &str) -> Option<&'static str> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// One `key = value` line of an ini file, for a key of [`KEYS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniValue {
    pub key: String,
    pub value: String,
    /// The whole line.
    pub span: Span,
    /// The value depends on something we do not see: `${ENV}`, or a
    /// `[PATH=...]` / `[HOST=...]` section.
    pub unknown: bool,
}

/// One PHP installation's ini files.
#[derive(Clone, Debug, Default)]
pub struct PhpIni {
    /// The directory the files were found from (`/etc/php/8.2/fpm`,
    /// `/usr/local/etc`).
    pub base: PathBuf,
    /// `php.ini` first, then `conf.d/*.ini` in PHP's order.
    pub files: Vec<FileId>,
    /// Lines setting a key of [`KEYS`], in the order PHP applies them.
    pub values: Vec<IniValue>,
}

impl PhpIni {
    /// The line in effect for `key` (the last one).
    pub fn get(&self, key: &str) -> Option<&IniValue> {
        self.values.iter().rev().find(|v| v.key == key)
    }
}

/// Every installation found, and which one each pool runs under.
#[derive(Clone, Debug, Default)]
pub struct PhpInis {
    pub sets: Vec<PhpIni>,
    /// By pool index in [`FpmConfig::pools`].
    pub by_pool: Vec<Option<usize>>,
    /// The `.user.ini` files of nginx's document roots, when in view.
    pub user_inis: Vec<UserIni>,
}

/// A per-directory ini file in a document root (php.net,
/// configuration.file.per-user): php-fpm reads `user_ini.filename`
/// (default `.user.ini`; empty disables it) in the requested script's
/// directory and each parent up to `DOCUMENT_ROOT`, and applies only the
/// settings whose mode is `PHP_INI_PERDIR` or `PHP_INI_USER`. Of the keys
/// read here, `upload_max_filesize` and `post_max_size` are
/// `PHP_INI_PERDIR` and `max_execution_time` and `memory_limit`
/// `PHP_INI_ALL` (php.net, ini.list): all four apply. The root's own file
/// applies to every script under it; files in subdirectories (for some
/// scripts only) are not read.
#[derive(Clone, Debug)]
pub struct UserIni {
    /// The document root, as the configuration names it.
    pub dir: PathBuf,
    pub file: FileId,
    pub values: Vec<IniValue>,
}

/// The name PHP gives the per-directory ini file.
pub const USER_INI_DEFAULT: &str = ".user.ini";

/// Where an effective value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// PHP's compiled-in default: no file we read sets it.
    Default,
    /// `php.ini` or a `conf.d` file.
    Ini,
    /// The pool's `php_value` / `php_admin_value`.
    Pool,
    /// nginx's `fastcgi_param PHP_VALUE` / `PHP_ADMIN_VALUE`.
    Request,
}

/// A setting's value for a pool, and where it is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub value: String,
    /// None for PHP's default.
    pub span: Option<Span>,
    pub origin: Origin,
    /// How the setting is written there (`php_admin_value[post_max_size]`).
    pub written: String,
}

impl PhpInis {
    /// `key` for pool `pool` of `fpm`: the pool's own value, else the ini
    /// files', else PHP's default. None when unknown (an `${ENV}`
    /// value, a per-directory section).
    pub fn effective(&self, fpm: &FpmConfig, pool: usize, key: &str) -> Option<Effective> {
        let p = fpm.pools.get(pool)?;
        if let Some(e) = pool_value(p, key) {
            return e;
        }
        let ini = self.by_pool.get(pool).copied().flatten();
        if let Some(v) = ini.and_then(|i| self.sets.get(i)).and_then(|s| s.get(key)) {
            if v.unknown {
                return None;
            }
            return Some(Effective {
                value: v.value.clone(),
                span: Some(v.span),
                origin: Origin::Ini,
                written: key.to_string(),
            });
        }
        Some(Effective {
            value: default_of(key)?.to_string(),
            span: None,
            origin: Origin::Default,
            written: key.to_string(),
        })
    }
}

impl PhpInis {
    /// [`PhpInis::effective`] for a request under the document root
    /// `doc_root`: `php_admin_value` wins, then the root's `.user.ini`
    /// (applied per request), then `php_value` and the rest. php-fpm's
    /// `fpm_php_zend_ini_alter_master` (sapi/fpm/fpm/fpm_php.c) marks an
    /// admin value system-only, and leaves a `php_value` modifiable "to
    /// allow ZEND_INI_PERDIR (.user.ini)".
    pub fn effective_in(
        &self,
        fpm: &FpmConfig,
        pool: usize,
        key: &str,
        doc_root: Option<&Path>,
    ) -> Option<Effective> {
        let p = fpm.pools.get(pool)?;
        if let Some(s) = p.get_array("php_admin_value", key) {
            return (!s.has_env).then(|| Effective {
                value: s.value.clone(),
                span: Some(s.span),
                origin: Origin::Pool,
                written: s.display_key(),
            });
        }
        let user = doc_root
            .and_then(|d| self.user_inis.iter().find(|u| u.dir == d))
            .and_then(|u| u.values.iter().rev().find(|v| v.key == key));
        if let Some(v) = user {
            return (!v.unknown).then(|| Effective {
                value: v.value.clone(),
                span: Some(v.span),
                origin: Origin::Ini,
                written: key.to_string(),
            });
        }
        self.effective(fpm, pool, key)
    }

    /// The per-directory file name the installations use: the last
    /// `user_ini.filename` any of them sets, else PHP's default; None
    /// when one disables it (an empty name).
    pub fn user_ini_name(&self) -> Option<String> {
        let set = self
            .sets
            .iter()
            .rev()
            .find_map(|s| s.get("user_ini.filename"));
        match set {
            Some(v) if v.value.trim().is_empty() => None,
            Some(v) => Some(v.value.trim().to_string()),
            None => Some(USER_INI_DEFAULT.to_string()),
        }
    }
}

/// Read the `.user.ini` (or `name`) of each document root in `roots`
/// (absolute paths as nginx's `root` names them) that has one.
pub fn load_user_inis(
    fs: &dyn Fs,
    sources: &mut SourceMap,
    roots: &[PathBuf],
    name: &str,
) -> Vec<UserIni> {
    let mut out: Vec<UserIni> = Vec::new();
    for root in roots {
        if out.iter().any(|u| &u.dir == root) || fs.outside(root) {
            continue;
        }
        let path = root.join(name);
        let Ok(bytes) = fs.read(&path) else { continue };
        let id = sources.add(fs.display(&path), fs.real_path(&path), bytes.clone());
        let mut values = Vec::new();
        read_values(id, &bytes, &mut values);
        values.retain(|v| default_of(&v.key).is_some());
        out.push(UserIni {
            dir: root.clone(),
            file: id,
            values,
        });
    }
    out
}

/// Apply `PHP_INI_SCAN_DIR` (best effort: the value the php-fpm unit's
/// `Environment=` gives php-fpm) to every installation
/// found: php-src `main/php_ini.c` (`php_init_config`) scans each
/// `:`-separated directory's `*.ini` in alphabetical order instead of the
/// compiled-in `conf.d`, and an empty element (a leading or trailing `:`)
/// keeps the compiled-in one in its place.
pub fn apply_scan_dir(
    inis: &mut PhpInis,
    fs: &dyn Fs,
    sources: &mut SourceMap,
    value: &str,
    pools: usize,
) {
    let keep_default = value.split(':').any(str::is_empty);
    let mut files = Vec::new();
    for dir in value.split(':').filter(|d| !d.is_empty()) {
        let mut found = fs.glob(&Path::new(dir).join("*.ini"));
        found.sort();
        files.extend(found);
    }
    let mut values = Vec::new();
    let mut ids = Vec::new();
    for p in files {
        let Ok(bytes) = fs.read(&p) else { continue };
        let id = sources.add(fs.display(&p), fs.real_path(&p), bytes.clone());
        ids.push(id);
        read_values(id, &bytes, &mut values);
    }
    // Directories not in view (a container's paths in a repository run):
    // what they hold is unknown, so the files already read stay.
    if ids.is_empty() {
        return;
    }
    if inis.sets.is_empty() {
        inis.sets.push(PhpIni::default());
        inis.by_pool = vec![Some(0); pools];
    }
    for set in &mut inis.sets {
        if !keep_default {
            // Only php.ini (the first file when the set has one) stays.
            let main = set
                .files
                .first()
                .copied()
                .filter(|id| sources.get(*id).real.ends_with("php.ini"));
            set.values.retain(|v| Some(v.span.file) == main);
            set.files.retain(|f| Some(*f) == main);
        }
        set.files.extend(ids.iter().copied());
        set.values.extend(values.iter().cloned());
    }
}

/// The pool's `php_admin_value[key]`, else `php_value[key]`: Some(None)
/// when set but unknown.
fn pool_value(p: &Pool, key: &str) -> Option<Option<Effective>> {
    let s = p
        .get_array("php_admin_value", key)
        .or_else(|| p.get_array("php_value", key))?;
    Some((!s.has_env).then(|| Effective {
        value: s.value.clone(),
        span: Some(s.span),
        origin: Origin::Pool,
        written: s.display_key(),
    }))
}

/// `key` as set by a `PHP_VALUE` / `PHP_ADMIN_VALUE` FastCGI parameter's
/// value: php-fpm parses it as ini text (`fastcgi_ini_parser` in
/// `sapi/fpm/fpm/fpm_main.c`; nginx's `\n` in a quoted string is a line
/// break) and applies it whatever the pool set. Some(None): the value
/// holds a variable, so the setting is unknown.
pub fn request_value(param_value: &str, key: &str) -> Option<Option<String>> {
    let mut found = None;
    for line in param_value.split(['\n', '\r']) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() != key {
            continue;
        }
        let v = v.split(';').next().unwrap_or("").trim().trim_matches('"');
        found = Some((!v.contains('$')).then(|| v.to_string()));
    }
    found
}

/// A quantity as PHP reads it (`zend_ini_parse_quantity`, php-src
/// `Zend/zend_ini.c`): blanks around it ignored, decimal digits, an
/// optional `K`, `M` or `G` (any case, powers of 1024) as the last
/// character. Values PHP reads with a warning or another base (`0x10`,
/// `010`, `12X`) are None: we stay quiet rather than guess.
pub fn parse_quantity(s: &str) -> Option<i64> {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (digits, factor) = match t.as_bytes().last()? {
        b'k' | b'K' => (&t[..t.len() - 1], 1i64 << 10),
        b'm' | b'M' => (&t[..t.len() - 1], 1 << 20),
        b'g' | b'G' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let digits = digits.trim_end_matches([' ', '\t']);
    let (neg, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits.strip_prefix('+').unwrap_or(digits)),
    };
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let n = n.checked_mul(factor)?;
    Some(if neg { -n } else { n })
}

/// Find and read the ini files of every PHP installation the pools of
/// `fpm` sit in. `in_config` maps a file's real path back to the path the
/// configuration names (they differ under `--root`).
pub fn load(
    fs: &dyn Fs,
    sources: &mut SourceMap,
    fpm: &FpmConfig,
    in_config: &dyn Fn(&Path) -> PathBuf,
) -> PhpInis {
    let mut out = PhpInis::default();
    let mut by_base: HashMap<PathBuf, Option<usize>> = HashMap::new();
    for pool in &fpm.pools {
        let file = in_config(&sources.get(pool.header_span.file).real);
        let found = bases(&file).into_iter().find_map(|b| {
            if let Some(&known) = by_base.get(&b) {
                return known.map(Some);
            }
            let set = read_set(fs, sources, &b);
            let at = set.map(|s| {
                out.sets.push(s);
                out.sets.len() - 1
            });
            by_base.insert(b, at);
            at.map(Some)
        });
        out.by_pool.push(found.flatten());
    }
    out
}

/// The directories a pool file's installation may be under: its own
/// (`php-fpm.conf` beside `php.ini`) and its parent (`pool.d/www.conf`).
fn bases(file: &Path) -> Vec<PathBuf> {
    file.parent()
        .into_iter()
        .flat_map(|d| [Some(d), d.parent()])
        .flatten()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .collect()
}

/// The ini files under `base` (`php.ini` + `conf.d/`, or the Docker
/// image's `php/php.ini` + `php/conf.d/`); None when there are none.
fn read_set(fs: &dyn Fs, sources: &mut SourceMap, base: &Path) -> Option<PhpIni> {
    for dir in [base.to_path_buf(), base.join("php")] {
        let mut paths = Vec::new();
        let main = dir.join("php.ini");
        if fs.read(&main).is_ok() {
            paths.push(main);
        }
        let mut scanned = fs.glob(&dir.join("conf.d/*.ini"));
        scanned.sort();
        paths.extend(scanned);
        if paths.is_empty() {
            continue;
        }
        let mut set = PhpIni {
            base: base.to_path_buf(),
            ..PhpIni::default()
        };
        for p in paths {
            let Ok(bytes) = fs.read(&p) else { continue };
            let id = sources.add(fs.display(&p), fs.real_path(&p), bytes.clone());
            set.files.push(id);
            read_values(id, &bytes, &mut set.values);
        }
        return Some(set);
    }
    None
}

fn read_values(id: FileId, bytes: &[u8], out: &mut Vec<IniValue>) {
    let ini = crate::fpm::parser::parse(id, bytes);
    for sec in ini.sections {
        let n = sec.name.to_ascii_uppercase();
        let per_dir = n.starts_with("PATH=") || n.starts_with("HOST=");
        for e in sec.entries {
            if e.index.is_some() || (default_of(&e.key).is_none() && e.key != "user_ini.filename") {
                continue;
            }
            out.push(IniValue {
                key: e.key,
                value: e.value,
                span: e.span,
                unknown: e.has_env || per_dir,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_as_php_reads_them() {
        assert_eq!(parse_quantity("8M"), Some(8 << 20));
        assert_eq!(parse_quantity(" 2m "), Some(2 << 20));
        assert_eq!(parse_quantity("1G"), Some(1 << 30));
        assert_eq!(parse_quantity("512k"), Some(512 << 10));
        assert_eq!(parse_quantity("600"), Some(600));
        assert_eq!(parse_quantity("100 M"), Some(100 << 20));
        assert_eq!(parse_quantity("-1"), Some(-1));
        assert_eq!(parse_quantity("0"), Some(0));
        assert_eq!(parse_quantity("0x10"), None);
        assert_eq!(parse_quantity("010"), None);
        assert_eq!(parse_quantity("12MB"), None);
        assert_eq!(parse_quantity(""), None);
    }

    #[test]
    fn request_values() {
        let v = "upload_max_filesize = 100M \n post_max_size=100M";
        assert_eq!(request_value(v, "post_max_size"), Some(Some("100M".into())));
        assert_eq!(
            request_value(v, "upload_max_filesize"),
            Some(Some("100M".into()))
        );
        assert_eq!(request_value(v, "memory_limit"), None);
        assert_eq!(
            request_value("post_max_size=$size", "post_max_size"),
            Some(None)
        );
    }

    #[test]
    fn bases_of_layouts() {
        assert_eq!(
            bases(Path::new("/etc/php/8.2/fpm/pool.d/www.conf")),
            vec![
                PathBuf::from("/etc/php/8.2/fpm/pool.d"),
                PathBuf::from("/etc/php/8.2/fpm")
            ]
        );
    }
}
