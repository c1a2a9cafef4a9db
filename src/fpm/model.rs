//! The resolved php-fpm configuration: files loaded through [`Fs`], includes
//! followed, sections merged into `[global]` and pools the way php-fpm does.
//!
//! php-fpm semantics modelled here (php-src `sapi/fpm/fpm/fpm_conf.c`):
//! - `include = pattern` is acted on right after its line, wherever it is; a
//!   relative pattern is put under the global prefix (`-p`, else the
//!   configure prefix: `/usr` on Debian), never under a pool's `prefix`.
//! - The current section is global state: an included file continues the
//!   section that was open at the include, and what it leaves open
//!   continues in the including file.
//! - `[global]` is matched case-insensitively; a pool header naming an
//!   existing pool (case-insensitively) reopens it.
//! - At most 5 files deep ("failed to include more than 5 files
//!   recursively"); a cycle therefore fails, we cut it and say so.
//! - php-fpm's own line numbers are wrong after an include: `ini_lineno`
//!   is a single global that the included file resets and the including
//!   file then keeps counting from (checked with php-fpm 8.2: an error on
//!   line 4 after including a 9-line file is reported as line 10). Our
//!   spans are per file and exact.
//! - `$pool` is replaced by the pool name in string entries and array
//!   values; `${ENV}` is left as written (we don't know php-fpm's env).
//! - A drop-in that nothing in view includes and whose first lines, before
//!   any header, are pool settings (laradock's `xlaravel.pool.conf`, copied
//!   into the php image's php-fpm.d/ after www.conf) continues the pool
//!   open before it in php-fpm's reading order: a pool defined elsewhere.
//!   Its lines go to a [`Pool::continued`] pool, checked for their values
//!   but not for what the pool defined elsewhere may set.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::parser::{self, Entry, IniFile};
use super::schema::{self, SectionKind, ValueType};
use crate::finding::Finding;
use crate::source::{FileId, SourceMap, Span};
use crate::vfs::{Fs, FsError, is_glob, normalize};

/// php-fpm's compiled-in prefix on Debian and most distributions.
pub const DEFAULT_PREFIX: &str = "/usr";
/// `ini_recursion++ > 4`: the main file plus four levels of includes.
pub const MAX_INCLUDE_DEPTH: usize = 5;

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// php-fpm's global prefix (`-p`/`--prefix`, else `/usr`).
    pub prefix: PathBuf,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            prefix: PathBuf::from(DEFAULT_PREFIX),
        }
    }
}

/// One `key = value` line as it applies to a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub index: Option<String>,
    /// With `$pool` substituted where php-fpm substitutes it.
    pub value: String,
    /// The whole line.
    pub span: Span,
    pub key_span: Span,
    pub value_span: Span,
    /// Contains `${...}`: depends on php-fpm's environment.
    pub has_env: bool,
}

impl Setting {
    pub fn display_key(&self) -> String {
        match &self.index {
            Some(i) => format!("{}[{}]", self.key, i),
            None => self.key.clone(),
        }
    }
}

/// Settings of `[global]` (and of lines before any section).
#[derive(Clone, Debug, Default)]
pub struct GlobalSettings {
    /// The first `[global]` header, if any.
    pub header_span: Option<Span>,
    pub settings: Vec<Setting>,
}

impl GlobalSettings {
    /// The effective (last) setting of a plain key, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        last_plain(&self.settings, key)
    }
}

fn last_plain<'a>(settings: &'a [Setting], key: &str) -> Option<&'a Setting> {
    settings
        .iter()
        .rev()
        .find(|s| s.index.is_none() && s.key.eq_ignore_ascii_case(key))
}

/// Where a pool listens, normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Listen {
    /// Absolute, `..` removed, `/var/run` written as `/run`.
    Unix(PathBuf),
    /// `host: None` means every address (bare port, `0.0.0.0`, `[::]`).
    Tcp { host: Option<ListenHost>, port: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListenHost {
    Ip(IpAddr),
    Name(String),
}

impl Listen {
    /// Parse like `fpm_sockets_domain_from_address` and
    /// `fpm_socket_af_inet_listening_socket`. Relative socket paths go
    /// under `prefix` (the pool's, else the global one).
    pub fn parse(value: &str, prefix: &Path) -> Listen {
        let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
        if all_digits {
            return Listen::Tcp {
                host: None,
                port: schema::atoi(value).clamp(0, i64::from(u32::MAX)) as u32,
            };
        }
        if let Some(colon) = value.rfind(':') {
            let port = schema::atoi(&value[colon + 1..]).clamp(0, i64::from(u32::MAX)) as u32;
            let mut host = &value[..colon];
            if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
                host = &host[1..host.len() - 1];
            }
            let host = match host.parse::<IpAddr>() {
                Ok(ip) if ip.is_unspecified() => None,
                Ok(ip) => Some(ListenHost::Ip(ip)),
                Err(_) => Some(ListenHost::Name(host.to_ascii_lowercase())),
            };
            return Listen::Tcp { host, port };
        }
        let p = Path::new(value);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            prefix.join(p)
        };
        let mut norm = normalize(&abs);
        if let Ok(rest) = norm.strip_prefix("/var/run") {
            norm = Path::new("/run").join(rest);
        }
        Listen::Unix(norm)
    }

    /// True when it accepts connections on every interface.
    pub fn is_every_interface(&self) -> bool {
        matches!(self, Listen::Tcp { host: None, .. })
    }
}

/// A pool with the settings the rules look at pulled out (last one wins,
/// as in php-fpm); everything is also in `settings`, in order.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    pub name: String,
    /// The section-less start of a drop-in nothing in view includes: it
    /// continues a pool defined elsewhere (e.g. a base image's www.conf),
    /// whose name and other settings are unknown here. `name` then says
    /// which file continues it.
    pub continued: bool,
    /// The first header of this pool.
    pub header_span: Span,
    /// From the first header to the last line of that section in its file.
    pub span: Span,
    pub settings: Vec<Setting>,
    pub prefix: Option<Box<Setting>>,
    pub user: Option<Box<Setting>>,
    pub group: Option<Box<Setting>>,
    pub listen: Option<Box<Setting>>,
    /// `listen` parsed (None when unset or empty).
    pub listen_addr: Option<Listen>,
    pub listen_owner: Option<Box<Setting>>,
    pub listen_group: Option<Box<Setting>>,
    pub listen_mode: Option<Box<Setting>>,
    pub listen_acl_users: Option<Box<Setting>>,
    pub listen_acl_groups: Option<Box<Setting>>,
    pub listen_allowed_clients: Option<Box<Setting>>,
    pub request_terminate_timeout: Option<Box<Setting>>,
    /// `php_admin_value[max_execution_time]`, else `php_value[...]`.
    pub max_execution_time: Option<Box<Setting>>,
    pub pm: Option<Box<Setting>>,
    pub pm_max_children: Option<Box<Setting>>,
    pub pm_start_servers: Option<Box<Setting>>,
    pub pm_min_spare_servers: Option<Box<Setting>>,
    pub pm_max_spare_servers: Option<Box<Setting>>,
    pub pm_max_spawn_rate: Option<Box<Setting>>,
    pub pm_process_idle_timeout: Option<Box<Setting>>,
    pub security_limit_extensions: Option<Box<Setting>>,
}

impl Pool {
    /// The effective (last) setting of a plain key, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        last_plain(&self.settings, key)
    }

    /// The effective value of an array entry, e.g. `("php_admin_value",
    /// "memory_limit")`; index compared case-sensitively like php.
    pub fn get_array(&self, key: &str, index: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.key == key && s.index.as_deref() == Some(index))
    }

    fn finish(&mut self, global_prefix: &Path) {
        let g = |k: &str| last_plain(&self.settings, k).cloned().map(Box::new);
        self.prefix = g("prefix");
        self.user = g("user");
        self.group = g("group");
        self.listen = g("listen");
        self.listen_owner = g("listen.owner");
        self.listen_group = g("listen.group");
        self.listen_mode = g("listen.mode");
        self.listen_acl_users = g("listen.acl_users");
        self.listen_acl_groups = g("listen.acl_groups");
        self.listen_allowed_clients = g("listen.allowed_clients");
        self.request_terminate_timeout = g("request_terminate_timeout");
        self.pm = g("pm");
        self.pm_max_children = g("pm.max_children");
        self.pm_start_servers = g("pm.start_servers");
        self.pm_min_spare_servers = g("pm.min_spare_servers");
        self.pm_max_spare_servers = g("pm.max_spare_servers");
        self.pm_max_spawn_rate = g("pm.max_spawn_rate");
        self.pm_process_idle_timeout = g("pm.process_idle_timeout");
        self.security_limit_extensions = g("security.limit_extensions");
        self.max_execution_time = self
            .get_array("php_admin_value", "max_execution_time")
            .or_else(|| self.get_array("php_value", "max_execution_time"))
            .cloned()
            .map(Box::new);
        let prefix = match &self.prefix {
            Some(p) if !p.value.is_empty() => {
                let pp = Path::new(&p.value);
                if pp.is_absolute() {
                    pp.to_path_buf()
                } else {
                    global_prefix.join(pp)
                }
            }
            _ => global_prefix.to_path_buf(),
        };
        self.listen_addr = self
            .listen
            .as_ref()
            .filter(|l| !l.value.is_empty())
            .map(|l| Listen::parse(&l.value, &prefix));
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Default)]
pub struct FpmConfig {
    /// Every file read, entry files first, in reading order.
    pub files: Vec<FileId>,
    /// The entry files' ids (for findings about the whole configuration).
    pub entry_files: Vec<FileId>,
    pub global: GlobalSettings,
    pub pools: Vec<Pool>,
    /// Parse errors and include problems found while loading.
    pub findings: Vec<Finding>,
    /// The global prefix used for relative paths.
    pub prefix: PathBuf,
    /// Comments, entries and sections of every file, for inline suppression.
    pub outlines: Vec<crate::source::Outline>,
    /// The non-root user php-fpm's master runs as, when the deployment in
    /// view says so (a Dockerfile that copies these files in and sets
    /// `USER`). php-fpm then ignores `user`/`group` ("'user' directive is
    /// ignored when FPM is not running as root", php-src
    /// sapi/fpm/tests/bug68391-conf-include-order.phpt) and leaves its
    /// sockets to that user.
    pub run_as: Option<RunAs>,
    /// What shows that php-fpm's master starts as root (a Dockerfile
    /// without `USER`, a systemd unit without `User=`, an init script,
    /// Debian's package layout), in words; None when nothing in view says
    /// (see `fpm_master`). Only then is a pool without `user` refused.
    pub master_root: Option<String>,
    /// What shows that php-fpm runs in a container (a Dockerfile copies
    /// its pool files in, or the official php image's own
    /// `php-fpm.d/docker.conf`), in words; None when nothing in view says
    /// (see `fpm_master::container`).
    pub container: Option<String>,
    /// Some include could not be followed (outside the repository, on
    /// `${ENV}`, or matching nothing): what it brings in is unknown.
    pub open_includes: bool,
    /// php-fpm files in view that the main file, includes followed, does
    /// not read (see `load_fpm::load`): not analysed.
    pub not_loaded: Vec<PathBuf>,
}

/// Who runs php-fpm, and what says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    /// Where it is set, e.g. `repo/Dockerfile:40`.
    pub at: String,
}

#[derive(Clone, Copy)]
enum Current {
    Global,
    Pool(usize),
}

struct Loader<'a> {
    fs: &'a dyn Fs,
    map: &'a mut SourceMap,
    cfg: FpmConfig,
    current: Current,
    /// The include chain, for cycle and depth checks.
    stack: Vec<PathBuf>,
    /// Pool index by ASCII-lowercased name: reopening a section is a hash
    /// lookup, not a scan (100,000 pools were quadratic).
    pool_index: std::collections::HashMap<String, usize>,
    /// The entry files are drop-ins nothing in view includes (see
    /// [`load_drop_ins`]), not main files given to php-fpm with `-y`.
    drop_ins: bool,
}

/// Load a configuration from its main file (php-fpm's `-y`).
pub fn load(fs: &dyn Fs, map: &mut SourceMap, entry: &Path, opts: &LoadOptions) -> FpmConfig {
    load_many(fs, map, &[entry.to_path_buf()], opts)
}

/// Load several entry files in order, each starting in `[global]` (as a
/// main file does); pools and global settings accumulate across them.
pub fn load_many(
    fs: &dyn Fs,
    map: &mut SourceMap,
    entries: &[PathBuf],
    opts: &LoadOptions,
) -> FpmConfig {
    load_entries(fs, map, entries, opts, false)
}

/// Load pool files that no main file in view includes (a repository's
/// pool.d/, a drop-in for a base image's php-fpm.d/). php-fpm keeps the
/// current section across included files (`current_wp` in php-src
/// `sapi/fpm/fpm/fpm_conf.c` is global: `fpm_conf_ini_parser_include`
/// loads the file with it untouched), so lines before any header in such
/// a file belong to whatever section the includer had open; when they are
/// pool settings that is a pool defined elsewhere (a [`Pool::continued`]
/// one), not `[global]`.
pub fn load_drop_ins(
    fs: &dyn Fs,
    map: &mut SourceMap,
    entries: &[PathBuf],
    opts: &LoadOptions,
) -> FpmConfig {
    load_entries(fs, map, entries, opts, true)
}

fn load_entries(
    fs: &dyn Fs,
    map: &mut SourceMap,
    entries: &[PathBuf],
    opts: &LoadOptions,
    drop_ins: bool,
) -> FpmConfig {
    let mut loader = Loader {
        fs,
        map,
        cfg: FpmConfig {
            prefix: opts.prefix.clone(),
            ..FpmConfig::default()
        },
        current: Current::Global,
        stack: Vec::new(),
        pool_index: std::collections::HashMap::new(),
        drop_ins,
    };
    for entry in entries {
        loader.current = Current::Global;
        match fs.read(entry) {
            Ok(bytes) => {
                let id = loader
                    .map
                    .add(fs.display(entry), fs.real_path(entry), bytes.clone());
                loader.cfg.entry_files.push(id);
                loader.walk(entry, id, &bytes);
            }
            Err(e) => {
                let id = loader.map.add(
                    fs.display(entry),
                    fs.real_path(entry),
                    std::sync::Arc::from(&b""[..]),
                );
                loader.cfg.entry_files.push(id);
                loader.cfg.findings.push(
                    Finding::error(
                        crate::registry::ids::FPM_INCLUDE_MISSING,
                        Span::new(id, 0, 0),
                        format!(
                            "cannot read php-fpm configuration {}: {e}",
                            fs.display(entry)
                        ),
                    )
                    .with_help("check the path given to php-fpm with -y / --fpm-config"),
                );
            }
        }
    }
    let prefix = loader.cfg.prefix.clone();
    for pool in &mut loader.cfg.pools {
        pool.finish(&prefix);
    }
    loader.cfg
}

/// Comments and statements of one file: an entry is a unit, a section
/// header covers the section through its last entry.
fn outline(ini: &IniFile) -> crate::source::Outline {
    let mut units = Vec::new();
    for sec in &ini.sections {
        if !sec.is_implicit() {
            let end = sec
                .entries
                .last()
                .map_or(sec.header_span, |e| sec.header_span.to(e.span));
            units.push((sec.header_span, end));
        }
        units.extend(sec.entries.iter().map(|e| (e.span, e.span)));
    }
    crate::source::Outline {
        file: ini.file,
        marker: b';',
        comments: ini.comments.clone(),
        units,
    }
}

impl Loader<'_> {
    fn walk(&mut self, path: &Path, id: FileId, bytes: &[u8]) {
        self.cfg.files.push(id);
        self.stack.push(normalize(path));
        let ini: IniFile = parser::parse(id, bytes);
        self.cfg.outlines.push(outline(&ini));
        // Findings in line order: merge parse errors as we go.
        let mut errors = ini.errors.into_iter().peekable();
        let entry_file = self.stack.len() == 1;
        for section in ini.sections {
            if section.is_implicit() && entry_file && self.drop_ins && continues_pool(&section) {
                self.open_continued(path, section.name_span);
            }
            if !section.is_implicit() {
                self.open_section(&section.name, section.header_span);
            }
            let header = (!section.is_implicit()).then_some(section.header_span);
            for entry in section.entries {
                while errors
                    .peek()
                    .is_some_and(|e| e.span.start < entry.span.start)
                {
                    if let Some(e) = errors.next() {
                        self.cfg.findings.push(e);
                    }
                }
                if entry.index.is_none() && entry.key == "include" {
                    self.include(&entry);
                    continue;
                }
                self.apply(entry, header);
            }
        }
        self.cfg.findings.extend(errors);
        self.stack.pop();
    }

    fn open_section(&mut self, name: &str, header: Span) {
        if name.eq_ignore_ascii_case("global") {
            self.current = Current::Global;
            if self.cfg.global.header_span.is_none() {
                self.cfg.global.header_span = Some(header);
            }
            return;
        }
        let key = name.to_ascii_lowercase();
        if let Some(&i) = self.pool_index.get(&key) {
            self.current = Current::Pool(i);
            return;
        }
        self.pool_index.insert(key, self.cfg.pools.len());
        self.cfg.pools.push(Pool {
            name: name.to_string(),
            header_span: header,
            span: header,
            ..Pool::default()
        });
        self.current = Current::Pool(self.cfg.pools.len() - 1);
    }

    /// A pool for the section-less start of a drop-in: not in
    /// `pool_index`, as its real name is unknown.
    fn open_continued(&mut self, path: &Path, at: Span) {
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.cfg.pools.push(Pool {
            name: format!("(continued in {file})"),
            continued: true,
            header_span: at,
            span: at,
            ..Pool::default()
        });
        self.current = Current::Pool(self.cfg.pools.len() - 1);
    }

    fn apply(&mut self, entry: Entry, header: Option<Span>) {
        let (kind, pool_name) = match self.current {
            Current::Global => (SectionKind::Global, None),
            // A continued pool's name is unknown: `$pool` stays as written.
            Current::Pool(i) => {
                let pool = &self.cfg.pools[i];
                (
                    SectionKind::Pool,
                    (!pool.continued).then(|| pool.name.clone()),
                )
            }
        };
        let mut value = entry.value;
        if let Some(name) = &pool_name
            && expands_pool(kind, &entry.key, entry.index.is_some())
            && value.contains("$pool")
        {
            value = value.replace("$pool", name);
        }
        let setting = Setting {
            key: entry.key,
            index: entry.index,
            value,
            span: entry.span,
            key_span: entry.key_span,
            value_span: entry.value_span,
            has_env: entry.has_env,
        };
        match self.current {
            Current::Global => self.cfg.global.settings.push(setting),
            Current::Pool(i) => {
                let pool = &mut self.cfg.pools[i];
                // Grow the pool's span over lines of its first header's file.
                if header.is_some_and(|h| h == pool.header_span)
                    || setting.span.file == pool.span.file
                {
                    pool.span = pool.span.to(setting.span);
                }
                pool.settings.push(setting);
            }
        }
    }

    fn include(&mut self, entry: &Entry) {
        if entry.has_env {
            // Depends on php-fpm's environment: can't follow it here.
            self.cfg.open_includes = true;
            return;
        }
        let raw = Path::new(&entry.value);
        let pattern = if raw.is_absolute() {
            raw.to_path_buf()
        } else {
            self.cfg.prefix.join(raw)
        };
        if self.fs.outside(&pattern) {
            self.cfg.open_includes = true;
            // A repository run reads nothing outside it: unknown, not missing.
            self.cfg.findings.push(
                Finding::info(
                    crate::registry::ids::OUTSIDE_REPOSITORY,
                    entry.value_span,
                    format!(
                        "include `{}`: {} is outside the repository; not read",
                        entry.value,
                        self.fs.display(&pattern)
                    ),
                )
                .with_help("what it holds is not known here: lint the deployed tree with --root DIR, or add the files to the repository"),
            );
            return;
        }
        let matches = if is_glob(&entry.value) {
            self.fs.glob(&pattern)
        } else {
            vec![pattern.clone()]
        };
        let mut any = false;
        for path in matches {
            any |= self.include_file(entry, &path);
        }
        if !any {
            self.matches_nothing(entry, &pattern);
        }
    }

    /// php-fpm hands every include to glob(3) with GLOB_ERR
    /// (`fpm_conf_ini_parser_include` in php-src `sapi/fpm/fpm/fpm_conf.c`):
    /// GLOB_NOMATCH (a plain path that does not exist, a pattern whose
    /// directory holds no match) is only a warning, "Nothing matches the
    /// include pattern", and php-fpm starts; a pattern whose directory
    /// cannot be opened aborts the glob, "Unable to globalize ... (ret=2)",
    /// and php-fpm fails. Checked with php-fpm8.2 -t: an empty directory's
    /// `*.conf` and a missing plain file pass, `nope/*.conf` fails.
    fn matches_nothing(&mut self, entry: &Entry, pattern: &Path) {
        self.cfg.open_includes = true;
        let shown = self.fs.display(pattern);
        let rel = if Path::new(&entry.value).is_absolute() {
            String::new()
        } else {
            format!(
                " (a relative include is resolved against php-fpm's prefix {}, not this file's directory)",
                self.cfg.prefix.display()
            )
        };
        let dir = glob_dir(pattern);
        let aborts =
            is_glob(&entry.value) && !matches!(self.fs.read(&dir), Err(FsError::IsDirectory));
        let help = "fix the path or pattern; write it absolute, e.g. `include = /etc/php/8.2/fpm/pool.d/*.conf`";
        let finding = if aborts {
            Finding::error(
                crate::registry::ids::FPM_INCLUDE_MISSING,
                entry.value_span,
                format!(
                    "include `{}`: directory {} does not exist: php-fpm fails with \"Unable to globalize '{}' (ret=2)\"{rel}",
                    entry.value,
                    self.fs.display(&dir),
                    pattern.display()
                ),
            )
        } else {
            Finding::warning(
                crate::registry::ids::FPM_INCLUDE_MISSING,
                entry.value_span,
                format!(
                    "include `{}` matches no file: {shown}{rel}; php-fpm only warns (\"Nothing matches the include pattern\") and starts without it",
                    entry.value
                ),
            )
        };
        self.cfg.findings.push(finding.with_help(help));
    }

    /// One file an include names: read and walked, or a finding. Whether it
    /// counts as found (php-fpm's "matches no file" is for none found).
    fn include_file(&mut self, entry: &Entry, path: &Path) -> bool {
        match self.fs.read(path) {
            Ok(bytes) => {
                let norm = normalize(path);
                if self.stack.contains(&norm) || self.stack.len() >= MAX_INCLUDE_DEPTH {
                    let cycle = self.stack.contains(&norm);
                    self.cfg.findings.push(
                        Finding::error(
                            crate::registry::ids::FPM_INVALID_VALUE,
                            entry.span,
                            if cycle {
                                format!(
                                    "{} includes itself (through this line): php-fpm fails with \"failed to include more than 5 files recursively\"",
                                    path.display()
                                )
                            } else {
                                "includes nested more than 5 files deep: php-fpm fails with \"failed to include more than 5 files recursively\"".to_string()
                            },
                        )
                        .with_help("remove the include that leads back to an including file"),
                    );
                    return true;
                }
                let id = match self.map.find_real(&self.fs.real_path(path)) {
                    // Same bytes read again (included twice): reuse the id.
                    Some(id) => id,
                    None => self.map.add(
                        self.fs.display(path),
                        self.fs.real_path(path),
                        bytes.clone(),
                    ),
                };
                self.walk(path, id, &bytes);
                true
            }
            // php-fpm skips directories (GLOB_MARK).
            Err(FsError::IsDirectory) => false,
            Err(FsError::OutsideRepository) => {
                self.cfg.open_includes = true;
                self.cfg.findings.push(Finding::info(
                    crate::registry::ids::OUTSIDE_REPOSITORY,
                    entry.value_span,
                    format!(
                        "included file {} is outside the repository; not read",
                        self.fs.display(path)
                    ),
                ));
                true
            }
            Err(FsError::NotFound) if !is_glob(&entry.value) => false,
            Err(e) => {
                self.cfg.findings.push(
                    Finding::error(
                        crate::registry::ids::FPM_INCLUDE_MISSING,
                        entry.value_span,
                        format!("cannot read included file {}: {e}", self.fs.display(path)),
                    )
                    .with_help(
                        "php-fpm fails with \"Unable to include\"; fix the file or the pattern",
                    ),
                );
                true
            }
        }
    }
}

/// The directory glob(3) opens first: the part of the pattern before its
/// first component with a wildcard.
fn glob_dir(pattern: &Path) -> PathBuf {
    let mut dir = PathBuf::new();
    for c in pattern.components() {
        if is_glob(&c.as_os_str().to_string_lossy()) {
            break;
        }
        dir.push(c);
    }
    dir
}

/// Whether lines before any header are a pool's: some is a pool setting
/// (or an array entry, which php-fpm allows in pools only) and none is a
/// setting of `[global]` alone.
fn continues_pool(section: &parser::Section) -> bool {
    let keys = || section.entries.iter().filter(|e| e.key != "include");
    let pool_only = |e: &Entry| {
        e.index.is_some()
            || (schema::lookup(SectionKind::Pool, &e.key).is_some()
                && schema::lookup(SectionKind::Global, &e.key).is_none())
    };
    let global_only = |e: &Entry| {
        e.index.is_none()
            && schema::lookup(SectionKind::Global, &e.key).is_some()
            && schema::lookup(SectionKind::Pool, &e.key).is_none()
    };
    keys().any(pool_only) && !keys().any(global_only)
}

/// Does php-fpm replace `$pool` in this entry? Only string entries
/// (`fpm_conf_set_string`) and non-flag array values.
fn expands_pool(kind: SectionKind, key: &str, is_array: bool) -> bool {
    if is_array {
        return key != "php_flag" && key != "php_admin_flag";
    }
    schema::lookup(kind, key)
        .is_some_and(|d| matches!(d.ty, ValueType::String | ValueType::OctalMode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemFs;

    fn load_str(files: &[(&str, &str)]) -> (FpmConfig, SourceMap) {
        let mut fs = MemFs::new();
        for (p, t) in files {
            fs.insert(*p, *t);
        }
        let mut map = SourceMap::new();
        let cfg = load(
            &fs,
            &mut map,
            Path::new(files[0].0),
            &LoadOptions::default(),
        );
        (cfg, map)
    }

    #[test]
    fn debian_layout() {
        let (cfg, _) = load_str(&[
            (
                "/etc/php/8.2/fpm/php-fpm.conf",
                "[global]\npid = /run/php/php8.2-fpm.pid\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
            ),
            (
                "/etc/php/8.2/fpm/pool.d/www.conf",
                "[www]\nuser = www-data\nlisten = /var/run/php/../php/$pool.sock\npm = dynamic\n",
            ),
        ]);
        assert!(cfg.findings.is_empty(), "{:?}", cfg.findings);
        assert_eq!(cfg.pools.len(), 1);
        let p = &cfg.pools[0];
        assert_eq!(
            p.listen_addr,
            Some(Listen::Unix("/run/php/www.sock".into()))
        );
        assert_eq!(p.user.as_ref().map(|s| s.value.as_str()), Some("www-data"));
        assert_eq!(
            cfg.global.get("PID").map(|s| s.value.as_str()),
            Some("/run/php/php8.2-fpm.pid")
        );
        assert_eq!(cfg.files.len(), 2);
    }

    #[test]
    fn include_continues_current_section_and_relative_uses_prefix() {
        let (cfg, _) = load_str(&[
            (
                "/etc/fpm.conf",
                "[www]\ninclude = etc/common.conf\nuser = a\n",
            ),
            (
                "/usr/etc/common.conf",
                "listen = 9000\n[other]\nlisten = 9001\n",
            ),
        ]);
        assert!(cfg.findings.is_empty(), "{:?}", cfg.findings);
        assert_eq!(cfg.pools.len(), 2);
        assert_eq!(
            cfg.pools[0].listen.as_ref().map(|s| s.value.as_str()),
            Some("9000")
        );
        // `user = a` follows the include, where [other] is open.
        assert_eq!(
            cfg.pools[1].user.as_ref().map(|s| s.value.as_str()),
            Some("a")
        );
    }

    #[test]
    fn missing_include_and_cycle() {
        let (cfg, _) = load_str(&[
            ("/a.conf", "include = /b.conf\ninclude = /nope/*.conf\n"),
            ("/b.conf", "include = /a.conf\n"),
        ]);
        let rules: Vec<&str> = cfg.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["fpm-invalid-value", "fpm-include-missing"]);
    }

    /// What php-fpm only warns about is a warning; a pattern whose
    /// directory does not exist stays an error.
    #[test]
    fn include_matching_nothing_is_a_warning_unless_the_directory_is_missing() {
        let (cfg, _) = load_str(&[
            (
                "/a.conf",
                "include = /d/*.conf\ninclude = /d/x.conf\ninclude = /nope/*.conf\n",
            ),
            ("/d/readme.txt", ""),
        ]);
        let got: Vec<(&str, crate::finding::Severity)> =
            cfg.findings.iter().map(|f| (f.rule, f.severity)).collect();
        use crate::finding::Severity::{Error, Warning};
        assert_eq!(
            got,
            [
                ("fpm-include-missing", Warning),
                ("fpm-include-missing", Warning),
                ("fpm-include-missing", Error)
            ]
        );
        assert!(
            cfg.findings[2]
                .message
                .contains("Unable to globalize '/nope/*.conf'")
        );
    }

    #[test]
    fn reopened_pool_merges() {
        let (cfg, _) = load_str(&[("/a.conf", "[www]\nuser = a\n[WWW]\ngroup = b\n")]);
        assert_eq!(cfg.pools.len(), 1);
        assert!(cfg.pools[0].group.is_some());
    }

    #[test]
    fn listen_forms() {
        let p = Path::new("/usr");
        assert_eq!(
            Listen::parse("9000", p),
            Listen::Tcp {
                host: None,
                port: 9000
            }
        );
        assert_eq!(
            Listen::parse("[::]:9000", p),
            Listen::Tcp {
                host: None,
                port: 9000
            }
        );
        assert_eq!(
            Listen::parse("0.0.0.0:9000", p),
            Listen::Tcp {
                host: None,
                port: 9000
            }
        );
        assert_eq!(
            Listen::parse("127.0.0.1:9000", p),
            Listen::Tcp {
                host: Some(ListenHost::Ip("127.0.0.1".parse().unwrap())),
                port: 9000
            }
        );
        assert_eq!(
            Listen::parse("[::1]:9001", p),
            Listen::Tcp {
                host: Some(ListenHost::Ip("::1".parse().unwrap())),
                port: 9001
            }
        );
        assert_eq!(
            Listen::parse("Localhost:9000", p),
            Listen::Tcp {
                host: Some(ListenHost::Name("localhost".into())),
                port: 9000
            }
        );
        assert_eq!(
            Listen::parse("var/run/x.sock", p),
            Listen::Unix("/usr/var/run/x.sock".into())
        );
        assert_eq!(
            Listen::parse("/var/run/x.sock", p),
            Listen::Unix("/run/x.sock".into())
        );
    }

    /// A drop-in's section-less start is a continued pool when its lines
    /// are pool settings, `[global]` when they are global ones; `$pool`
    /// stays as written (the name is unknown); a header after it opens
    /// its own pool. Given with -y (`load`) the same file is `[global]`.
    #[test]
    fn drop_in_continues_a_pool() {
        let mut fs = MemFs::new();
        fs.insert(
            "/d/a.conf",
            "user = app\nlisten = /run/$pool.sock\n[b]\nuser = b\n",
        );
        fs.insert(
            "/d/g.conf",
            "pid = /run/x.pid\nemergency_restart_threshold = 3\n",
        );
        let mut map = SourceMap::new();
        let files = [PathBuf::from("/d/a.conf"), PathBuf::from("/d/g.conf")];
        let cfg = load_drop_ins(&fs, &mut map, &files, &LoadOptions::default());
        let pools: Vec<(&str, bool)> = cfg
            .pools
            .iter()
            .map(|p| (p.name.as_str(), p.continued))
            .collect();
        assert_eq!(pools, [("(continued in a.conf)", true), ("b", false)]);
        assert_eq!(
            cfg.pools[0].listen_addr,
            Some(Listen::Unix("/run/$pool.sock".into()))
        );
        assert_eq!(cfg.global.settings.len(), 2);
        let (main, _) = load_str(&[("/d/a.conf", "user = app\n[b]\n")]);
        assert_eq!(main.pools.len(), 1);
        assert_eq!(main.global.settings.len(), 1);
    }

    #[test]
    fn missing_entry_file() {
        let fs = MemFs::new();
        let mut map = SourceMap::new();
        let cfg = load(&fs, &mut map, Path::new("/x.conf"), &LoadOptions::default());
        assert_eq!(cfg.findings[0].rule, "fpm-include-missing");
    }
}
