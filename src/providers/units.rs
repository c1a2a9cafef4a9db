//! systemd service units of the application servers the command-line
//! reader knows (`cmdline.rs`: uvicorn, puma, `rails s`, node with `PORT`,
//! uwsgi, `dotnet --urls`, …). Gunicorn's units are read by its own
//! provider, with its config file and timeouts.
//!
//! From systemd.service(5) and systemd.exec(5):
//! - `ExecStart=` may start with the prefixes `@-:+!`; with `@` the second
//!   word is argv\[0\] and is dropped. An empty `ExecStart=` (in a drop-in)
//!   resets the list. `${VAR}` and `$VAR` are replaced from `Environment=`
//!   and `EnvironmentFile=`; `%` specifiers are resolved (systemd.unit(5),
//!   "Specifiers": `%n`, `%N`, `%p`, `%i`, `%I`, `%%`).
//! - `Environment=` takes a space-separated list of assignments, each
//!   optionally double-quoted (`Environment="A=x y" B=z`); "variable
//!   expansion is not performed inside the strings"; an empty value resets
//!   the list; later assignments win.
//! - `EnvironmentFile=` names an absolute file, `-` prefixed when it may be
//!   missing; its `KEY=value` lines (`#`/`;` comments, quotes removed)
//!   "override settings made with Environment=".
//! - Drop-ins `UNIT.d/*.conf` are read after the unit, in file-name order.

use std::path::{Path, PathBuf};

use super::systemd::{self, Entry};
use super::{Listener, ListenerKind, ListenerProvider, cmdline, file_name};
use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Units;

pub(crate) const NAME: &str = "systemd";

impl ListenerProvider for Units {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        if name.ends_with(".service") {
            return head.contains("[Service]") || head.contains("ExecStart");
        }
        if is_dropin(path) {
            return head.contains("[Service]");
        }
        explicit && head.contains("[Service]") && head.contains("ExecStart")
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for unit in units(loaded) {
            if let Some(l) = unit_listeners(loaded, &unit) {
                out.extend(l);
            }
        }
    }
}

/// A drop-in: `*.conf` in a directory named `UNIT.service.d`.
fn is_dropin(path: &Path) -> bool {
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.ends_with(".service.d") && file_name(path).ends_with(".conf")
}

/// One service unit: its file's entries, then its drop-ins', each with
/// the file it is in.
pub(crate) struct Unit<'l> {
    pub name: String,
    pub real: PathBuf,
    pub entries: Vec<(FileId, Entry<'l>)>,
}

impl Unit<'_> {
    /// The `[Service]` entries named `key`, in order.
    pub fn service(&self, key: &str) -> impl Iterator<Item = &(FileId, Entry<'_>)> {
        self.entries
            .iter()
            .filter(move |(_, e)| e.section == "Service" && e.key == key)
    }
}

/// The service units loaded by this provider, with their drop-ins.
pub(crate) fn units(loaded: &Loaded) -> Vec<Unit<'_>> {
    let files: Vec<(FileId, &Path, &str)> = super::files_of(loaded, NAME)
        .map(|(id, f, t)| (id, f.real.as_path(), t))
        .collect();
    let mut dropins: Vec<&(FileId, &Path, &str)> =
        files.iter().filter(|(_, p, _)| is_dropin(p)).collect();
    dropins.sort_by_key(|(_, p, _)| file_name(p));
    files
        .iter()
        .filter(|(_, p, _)| !is_dropin(p))
        .map(|(id, real, text)| {
            let name = real
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut entries: Vec<(FileId, Entry<'_>)> =
                systemd::parse(text).into_iter().map(|e| (*id, e)).collect();
            let dir = format!("{name}.d");
            for (did, dp, dt) in &dropins {
                let parent = dp.parent().and_then(Path::file_name);
                if parent.is_some_and(|p| p.to_string_lossy() == dir) {
                    entries.extend(systemd::parse(dt).into_iter().map(|e| (*did, e)));
                }
            }
            Unit {
                name,
                real: real.to_path_buf(),
                entries,
            }
        })
        .collect()
}

/// A variable of the service's environment, with where it is set.
#[derive(Clone, Debug)]
struct Var {
    key: String,
    value: String,
    span: Span,
}

/// `%n`, `%N`, `%p`, `%i`, `%I`, `%%` of systemd.unit(5); any other
/// specifier is left as written (the value is then not a port).
fn specifiers(s: &str, unit: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let stem = unit.rsplit_once('.').map_or(unit, |(s, _)| s);
    let (prefix, instance) = match stem.split_once('@') {
        Some((p, i)) => (p, i),
        None => (stem, ""),
    };
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push_str(unit),
            Some('N') => out.push_str(stem),
            Some('p') => out.push_str(prefix),
            Some('i') | Some('I') => out.push_str(instance),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The environment of a unit: `Environment=` (reset by an empty one),
/// then the `EnvironmentFile=`s over it.
fn environment(loaded: &Loaded, unit: &Unit<'_>) -> Vec<Var> {
    let mut env: Vec<Var> = Vec::new();
    for (id, e) in unit.service("Environment") {
        if e.value.is_empty() {
            env.clear();
            continue;
        }
        for (w, _, _) in systemd::words(e.value, e.start) {
            if let Some((k, v)) = w.split_once('=') {
                env.push(Var {
                    key: k.to_string(),
                    value: specifiers(v, &unit.name),
                    span: Span::new(*id, e.line_start, e.end),
                });
            }
        }
    }
    for (id, e) in unit.service("EnvironmentFile") {
        let path = specifiers(e.value.trim_start_matches('-'), &unit.name);
        let Some(text) = read_beside(loaded, &unit.real, Path::new(&path)) else {
            continue;
        };
        for (k, v) in env_file(&text) {
            env.push(Var {
                key: k,
                value: v,
                span: Span::new(*id, e.line_start, e.end),
            });
        }
    }
    env
}

/// The assignments of an environment file: `KEY=value` lines, `#`/`;`
/// comments and lines without `=` ignored, an `export ` prefix and
/// surrounding quotes removed.
pub(crate) fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') {
                return None;
            }
            let (k, v) = line.split_once('=')?;
            let k = k.trim().trim_start_matches("export ").trim();
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            (!k.is_empty()).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// A file a unit names (an absolute path on the server): under `--root`
/// that path in the root; in a repository, a file of that name beside
/// the unit (units and their env files are usually kept together).
pub(crate) fn read_beside(loaded: &Loaded, unit: &Path, path: &Path) -> Option<String> {
    let fs = loaded.real_fs();
    let mut tries = Vec::new();
    if loaded.root.is_some() && path.is_absolute() {
        tries.push(path.to_path_buf());
    }
    if let (Some(dir), Some(name)) = (unit.parent(), path.file_name()) {
        let local = dir.join(name);
        let local = match &loaded.root {
            Some(root) => match local.strip_prefix(root) {
                Ok(r) => Path::new("/").join(r),
                Err(_) => local,
            },
            None => local,
        };
        tries.push(local);
    }
    tries.into_iter().find_map(|p| {
        let bytes = crate::vfs::Fs::read(&fs, &p).ok()?;
        String::from_utf8(bytes.to_vec()).ok()
    })
}

/// The file at `dir/path` (`dir` a path as loaded: in the checkout, or
/// under `--root`), through the run's file system.
pub(crate) fn read_beside_dir(loaded: &Loaded, dir: &Path, path: &Path) -> Option<String> {
    let real = crate::vfs::normalize(&dir.join(path));
    let at = match &loaded.root {
        Some(root) => match real.strip_prefix(root) {
            Ok(r) => Path::new("/").join(r),
            Err(_) => real,
        },
        None => real,
    };
    let bytes = crate::vfs::Fs::read(&loaded.real_fs(), &at).ok()?;
    String::from_utf8(bytes.to_vec()).ok()
}

/// The words of the unit's `ExecStart=` (after the last reset), prefixes
/// and the `@` argv\[0\] dropped, specifiers resolved, with the entry.
fn exec_start<'u>(unit: &'u Unit<'_>) -> Option<(Vec<String>, &'u (FileId, Entry<'u>))> {
    let mut current = None;
    for x in unit.service("ExecStart") {
        current = (!x.1.value.is_empty()).then_some(x);
    }
    let x = current?;
    let mut words: Vec<String> = systemd::words(x.1.value, 0)
        .into_iter()
        .map(|(w, _, _)| specifiers(&w, &unit.name))
        .collect();
    let first = words.first()?.clone();
    let bare = first.trim_start_matches(['@', '-', ':', '+', '!']);
    if first.starts_with('@') || first[..first.len() - bare.len()].contains('@') {
        // `@/usr/bin/app name args`: the second word is argv[0].
        if words.len() > 1 {
            words.remove(1);
        }
    }
    words[0] = bare.to_string();
    Some((words, x))
}

/// What a unit's server listens on, each endpoint with the line that
/// decides it: the `ExecStart=` when the port is written there, else the
/// `Environment=`/`EnvironmentFile=` line of the variable that holds it.
fn unit_listeners(loaded: &Loaded, unit: &Unit<'_>) -> Option<Vec<Listener>> {
    let (words, (id, exec)) = exec_start(unit)?;
    let env = environment(loaded, unit);
    let lookup = |k: &str| {
        env.iter()
            .rev()
            .find(|v| v.key == k)
            .map(|v| v.value.clone())
    };
    let exec_span = Span::new(*id, exec.line_start, exec.end);
    let any = |loopback: bool, port: u16| {
        let host = if loopback {
            Host::parse("127.0.0.1")
        } else {
            Host::Any
        };
        Endpoint::Tcp(host, port)
    };
    let (server, endpoints): (&'static str, Vec<Endpoint>) = match cmdline::listen(&words, &lookup)
    {
        Some(l) => (
            l.server,
            l.ports.into_iter().map(|p| any(l.loopback, p)).collect(),
        ),
        None => match lookup("ASPNETCORE_URLS") {
            Some(urls) => {
                let lo = urls.split(';').all(cmdline::is_loopback);
                let ports = cmdline::urls_ports(&urls);
                ("dotnet", ports.into_iter().map(|p| any(lo, p)).collect())
            }
            None => ("puma", puma_config(loaded, unit, &words, &lookup)?),
        },
    };
    let name: std::sync::Arc<str> = unit.name.as_str().into();
    Some(
        endpoints
            .into_iter()
            .map(|endpoint| {
                let key = match &endpoint {
                    Endpoint::Tcp(_, port) => port.to_string(),
                    Endpoint::Unix(p) => p.display().to_string(),
                };
                let written = words.iter().any(|w| w.contains(&key));
                let span = if written {
                    exec_span
                } else {
                    env.iter()
                        .rev()
                        .find(|v| v.value.contains(&key))
                        .map_or(exec_span, |v| v.span)
                };
                Listener {
                    endpoint,
                    kind: ListenerKind::Service(server),
                    name: name.clone(),
                    span: Some(span),
                    socket: None,
                    pool: None,
                    backend: None,
                }
            })
            .collect(),
    )
}

/// Puma started without `-b`/`-p`: its config file (`-C FILE`, else
/// `config/puma.rb`, Puma's default) under the unit's
/// `WorkingDirectory=`, when in view.
fn puma_config(
    loaded: &Loaded,
    unit: &Unit<'_>,
    words: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<Endpoint>> {
    let at = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("puma"))?;
    let args = &words[at + 1..];
    let config = args
        .iter()
        .position(|w| w == "-C" || w == "--config")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|w| w.strip_prefix("--config=").map(str::to_string))
        })
        .unwrap_or_else(|| "config/puma.rb".to_string());
    let workdir = unit
        .service("WorkingDirectory")
        .filter(|(_, e)| !e.value.is_empty())
        .last()
        .map(|(_, e)| specifiers(e.value.trim_start_matches('-'), &unit.name))?;
    let text = read_config(loaded, unit, &workdir, &config)?;
    let binds = super::puma_rb::binds(&text, env)?;
    Some(
        binds
            .into_iter()
            .filter_map(|b| match b {
                super::puma_rb::Bind::Tcp { port, loopback } => Some(Endpoint::Tcp(
                    if loopback {
                        Host::parse("127.0.0.1")
                    } else {
                        Host::Any
                    },
                    port,
                )),
                super::puma_rb::Bind::Unix(p) => {
                    crate::address::parse_host_port(&format!("unix:{p}"), None)
                }
            })
            .collect(),
    )
}

/// A file the service reads from its working directory: under `--root`
/// at its path on the server; else (a checkout that ships the unit, as
/// deployed by cloning the repository into the working directory) in
/// the nearest directory above the unit that holds it.
fn read_config(loaded: &Loaded, unit: &Unit<'_>, workdir: &str, config: &str) -> Option<String> {
    let abs = Path::new(workdir).join(config);
    if loaded.root.is_some()
        && let Ok(bytes) = crate::vfs::Fs::read(&loaded.real_fs(), &abs)
    {
        return String::from_utf8(bytes.to_vec()).ok();
    }
    let rel = abs.strip_prefix(workdir).ok()?;
    unit.real
        .ancestors()
        .skip(1)
        .take(4)
        .find_map(|dir| read_beside_dir(loaded, dir, rel))
}

/// `PHP_INI_SCAN_DIR` in the environment of a loaded unit that runs
/// php-fpm (`ExecStart=/usr/sbin/php-fpm8.2 …`).
pub fn fpm_scan_dir(loaded: &Loaded) -> Option<String> {
    units(loaded).into_iter().find_map(|u| {
        let (words, _) = exec_start(&u)?;
        let runs_fpm = words.first().is_some_and(|w| {
            w.rsplit('/')
                .next()
                .is_some_and(|b| b.starts_with("php-fpm"))
        });
        if !runs_fpm {
            return None;
        }
        environment(loaded, &u)
            .into_iter()
            .rev()
            .find(|v| v.key == "PHP_INI_SCAN_DIR")
            .map(|v| v.value)
    })
}

/// The open-file limit systemd starts nginx with, when its unit is in view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoFile {
    /// The soft limit; None for `infinity`.
    pub soft: Option<u64>,
    /// What sets it: `LimitNOFILE=65535`, or systemd's default when the unit
    /// sets none.
    pub setting: String,
    /// Where: `etc/systemd/system/nginx.service:12`.
    pub at: String,
    /// The line, when the unit is a loaded file.
    pub span: Option<Span>,
}

/// systemd's default soft RLIMIT_NOFILE for services since v240
/// (`DefaultLimitNOFILE=1024:524288`, systemd-system.conf(5); the soft
/// value stays 1024 so that select() keeps working).
pub const SYSTEMD_DEFAULT_NOFILE: u64 = 1024;

/// Where units live, most important first (systemd.unit(5), unit search
/// path of the system manager).
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];

/// `LimitNOFILE=` of nginx's unit (with its drop-ins), read from a loaded
/// `nginx.service` or, under `--root`, from the unit directories. None:
/// no nginx unit in view. `LimitNOFILE=N` or `SOFT:HARD`; `infinity`.
pub fn nginx_nofile(loaded: &Loaded) -> Option<NoFile> {
    if let Some(unit) = units(loaded)
        .into_iter()
        .find(|u| u.name == "nginx.service")
    {
        let at = |id: FileId, off: usize| {
            let f = loaded.sources.get(id);
            let line = f.text[..off.min(f.text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            format!("{}:{line}", f.real.display())
        };
        let entry = unit.service("LimitNOFILE").last();
        return Some(match entry {
            Some((id, e)) => NoFile {
                soft: parse_nofile(e.value)?,
                setting: format!("LimitNOFILE={}", e.value),
                at: at(*id, e.line_start),
                span: Some(Span::new(*id, e.line_start, e.end)),
            },
            None => default_nofile(unit.real.display().to_string()),
        });
    }
    loaded.root.as_ref()?;
    root_nofile(loaded)
}

fn default_nofile(at: String) -> NoFile {
    NoFile {
        soft: Some(SYSTEMD_DEFAULT_NOFILE),
        setting: "systemd's default soft limit: no LimitNOFILE=".to_string(),
        at,
        span: None,
    }
}

/// nginx's unit and drop-ins under `--root`: the first `nginx.service` of
/// the search path, then `nginx.service.d/*.conf` of every directory in
/// file-name order (a name in an earlier directory hides the later ones).
fn root_nofile(loaded: &Loaded) -> Option<NoFile> {
    let fs = loaded.real_fs();
    let read = |p: &Path| -> Option<String> {
        let b = crate::vfs::Fs::read(&fs, p).ok()?;
        String::from_utf8(b.to_vec()).ok()
    };
    let (unit_path, unit_text) = UNIT_DIRS.iter().find_map(|d| {
        let p = Path::new(d).join("nginx.service");
        read(&p).map(|t| (p, t))
    })?;
    let mut dropins: Vec<(String, PathBuf)> = Vec::new();
    for d in UNIT_DIRS {
        let pattern = Path::new(d).join("nginx.service.d/*.conf");
        for p in crate::vfs::Fs::glob(&fs, &pattern) {
            let name = file_name(&p);
            if !dropins.iter().any(|(n, _)| *n == name) {
                dropins.push((name, p));
            }
        }
    }
    dropins.sort();
    let mut found = None;
    for (path, text) in std::iter::once((unit_path.clone(), unit_text)).chain(
        dropins
            .into_iter()
            .filter_map(|(_, p)| read(&p).map(|t| (p, t))),
    ) {
        for e in systemd::parse(&text) {
            if e.section == "Service" && e.key == "LimitNOFILE" {
                let line = text[..e.line_start].matches('\n').count() + 1;
                found = Some((e.value.to_string(), format!("{}:{line}", path.display())));
            }
        }
    }
    Some(match found {
        Some((v, at)) => NoFile {
            soft: parse_nofile(&v)?,
            setting: format!("LimitNOFILE={v}"),
            at,
            span: None,
        },
        None => default_nofile(unit_path.display().to_string()),
    })
}

/// The soft value of `LimitNOFILE=`: `N`, `SOFT:HARD`, `infinity`. The
/// outer None: a value we do not read (the limit stays unknown).
fn parse_nofile(v: &str) -> Option<Option<u64>> {
    let soft = v.split(':').next().unwrap_or(v).trim();
    if soft.eq_ignore_ascii_case("infinity") {
        return Some(None);
    }
    soft.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_of_a_template_instance() {
        assert_eq!(
            specifiers("/run/%p/%i.sock", "app@3001.service"),
            "/run/app/3001.sock"
        );
        assert_eq!(specifiers("100%%", "a.service"), "100%");
        assert_eq!(specifiers("%h/x", "a.service"), "%h/x");
    }

    #[test]
    fn limit_nofile_values() {
        assert_eq!(parse_nofile("65535"), Some(Some(65535)));
        assert_eq!(parse_nofile("4096:524288"), Some(Some(4096)));
        assert_eq!(parse_nofile("infinity"), Some(None));
        assert_eq!(parse_nofile("lots"), None);
    }

    #[test]
    fn environment_files() {
        let text = "# comment\n; other\nPORT=3000\nexport HOST='0.0.0.0'\nRAILS_ENV=\"production\"\nnoise\n";
        assert_eq!(
            env_file(text),
            vec![
                ("PORT".to_string(), "3000".to_string()),
                ("HOST".to_string(), "0.0.0.0".to_string()),
                ("RAILS_ENV".to_string(), "production".to_string()),
            ]
        );
    }
}
