//! Gunicorn: systemd units that start it (`ExecStart=… gunicorn --bind …`),
//! its config files (`gunicorn.conf.py`: plain assignments), and systemd
//! `.socket` units (socket activation). Each bind is a listener carrying
//! Gunicorn's `timeout` (sync workers) and `keepalive` (other workers).
//!
//! Defaults, from gunicorn/config.py (checked against 26.1): `bind`
//! `['127.0.0.1:8000']`, `timeout` 30, `keepalive` 2, `worker_class`
//! `sync`, `threads` 1 (a sync worker with threads > 1 becomes `gthread`),
//! `umask` 0. For non-sync workers `timeout` is only a liveness heartbeat,
//! "not tied to the length of time required to handle a single request";
//! the sync worker "does not support persistent connections and will
//! ignore" `keepalive`. A unix socket Gunicorn binds itself gets mode
//! `0777 & ~umask` and the `user`/`group` settings as owner (sock.py).
//! systemd creates a `.socket` unit's socket as `SocketUser`:`SocketGroup`
//! (root by default) with `SocketMode` (default 0666).

use std::path::{Component, Path, PathBuf};

use super::lit::{self, Lit};
use super::systemd;
use super::{Backend, Limit, Listener, ListenerKind, ListenerProvider, SocketAccess, file_name};
use crate::address::{Endpoint, parse_host_port};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Gunicorn;

const NAME: &str = "gunicorn";
const KIND: ListenerKind = ListenerKind::Service("gunicorn");
const DEFAULT_BIND: &str = "127.0.0.1:8000";
const DEFAULT_TIMEOUT: u64 = 30;
const DEFAULT_KEEPALIVE: u64 = 2;
/// systemd.socket(5): SocketMode= defaults to 0666.
const SOCKET_UNIT_MODE: u32 = 0o666;

impl ListenerProvider for Gunicorn {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        if name.ends_with(".service") || (explicit && head.contains("ExecStart")) {
            return systemd::parse(head)
                .iter()
                .any(|e| e.key == "ExecStart" && gunicorn_argv(e.value, 0).is_some());
        }
        if name.ends_with(".socket") {
            return head.contains("[Socket]") && head.contains("ListenStream");
        }
        let conf_name = name.ends_with(".py") || name.ends_with(".conf");
        if (conf_name && name.contains("gunicorn")) || explicit {
            return lit::python_assignments(head).iter().any(|(k, _, _)| {
                matches!(
                    k.as_str(),
                    "bind" | "workers" | "worker_class" | "timeout" | "keepalive" | "wsgi_app"
                )
            });
        }
        false
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        let mut services = Vec::new();
        let mut sockets = Vec::new();
        let mut confs = Vec::new();
        for (id, f, text) in super::files_of(loaded, NAME) {
            let name = file_name(&f.real);
            if name.ends_with(".socket") {
                sockets.push(socket_unit(id, &f.real, text));
            } else if name.ends_with(".service") || text.contains("ExecStart") {
                if let Some(s) = service_unit(id, &f.real, text) {
                    services.push(s);
                }
            } else {
                confs.push((f.real.clone(), conf_file(id, text)));
            }
        }
        let mut used_confs = vec![false; confs.len()];
        let mut used_sockets = vec![false; sockets.len()];
        for svc in &services {
            let settings = service_settings(svc, &confs, &mut used_confs);
            service_listeners(svc, &settings, &sockets, &mut used_sockets, out);
        }
        // Config files no unit starts: Gunicorn run some other way
        // (`gunicorn -c FILE` in a Procfile, a container, a script).
        for (i, (real, settings)) in confs.iter().enumerate() {
            if !used_confs[i] {
                conf_listeners(real, settings, out);
            }
        }
        // Socket units of other services.
        for (i, s) in sockets.iter().enumerate() {
            if !used_sockets[i] {
                socket_listeners(s, out);
            }
        }
    }
}

/// A service's settings: its command line over its config file (`-c`,
/// else ./gunicorn.conf.py in the working directory, Gunicorn's default;
/// marked used in `used_confs`), user and group from the unit when unset.
fn service_settings(
    svc: &Service,
    confs: &[(PathBuf, Settings)],
    used_confs: &mut [bool],
) -> Settings {
    let conf_ref = svc
        .cli
        .config
        .as_ref()
        .map(|(p, _)| p.clone())
        .unwrap_or_else(|| "gunicorn.conf.py".into());
    let conf_path = match &svc.workdir {
        Some(w) if !conf_ref.starts_with('/') => Path::new(w).join(&conf_ref),
        _ => PathBuf::from(&conf_ref),
    };
    let conf = confs
        .iter()
        .position(|(real, _)| same_file(real, &conf_path));
    let mut settings = svc.cli.clone();
    if let Some(i) = conf {
        used_confs[i] = true;
        settings = settings.over(&confs[i].1);
    }
    if settings.user.is_none() {
        settings.user = svc.user.clone();
    }
    if settings.group.is_none() {
        settings.group = svc.group.clone().or_else(|| svc.user.clone());
    }
    settings
}

/// A service's listeners: the sockets of its socket units (same stem, or
/// required; marked used in `used_sockets`), then its binds not already
/// given (the default bind when it has neither).
fn service_listeners(
    svc: &Service,
    settings: &Settings,
    sockets: &[SocketUnit],
    used_sockets: &mut [bool],
    out: &mut Vec<Listener>,
) {
    let linked: Vec<usize> = sockets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.stem == svc.stem || svc.requires.contains(&s.unit))
        .map(|(i, _)| i)
        .collect();
    let backend = backend(settings);
    let mut emitted: Vec<Endpoint> = Vec::new();
    for &i in &linked {
        used_sockets[i] = true;
        for (ep, span) in &sockets[i].listens {
            emitted.push(ep.clone());
            out.push(Listener {
                endpoint: ep.clone(),
                kind: KIND,
                name: svc.unit.as_str().into(),
                span: Some(*span),
                socket: matches!(ep, Endpoint::Unix(_))
                    .then(|| Box::new(sockets[i].access.clone())),
                pool: None,
                backend: Some(Box::new(backend.clone())),
            });
        }
    }
    for (bind, span) in binds(settings, linked.is_empty()) {
        let Some(ep) = bind_endpoint(&bind) else {
            continue;
        };
        if emitted.contains(&ep) {
            continue;
        }
        let socket = matches!(ep, Endpoint::Unix(_)).then(|| own_socket(settings, span));
        emitted.push(ep.clone());
        out.push(Listener {
            endpoint: ep,
            kind: KIND,
            name: svc.unit.as_str().into(),
            span: span.or(Some(svc.exec_span)),
            socket: socket.map(Box::new),
            pool: None,
            backend: Some(Box::new(backend.clone())),
        });
    }
}

/// The binds of some settings, each with its span; the default bind
/// (without a span) when there is none and `or_default`.
fn binds(settings: &Settings, or_default: bool) -> Vec<(String, Option<Span>)> {
    if settings.binds.is_empty() && or_default {
        vec![(DEFAULT_BIND.to_string(), None)]
    } else {
        settings
            .binds
            .iter()
            .map(|(b, s)| (b.clone(), Some(*s)))
            .collect()
    }
}

/// The listeners of a config file no unit starts, named after the file.
fn conf_listeners(real: &Path, settings: &Settings, out: &mut Vec<Listener>) {
    let name = file_name(real);
    let backend = backend(settings);
    for (bind, span) in binds(settings, true) {
        let Some(ep) = bind_endpoint(&bind) else {
            continue;
        };
        let socket = matches!(ep, Endpoint::Unix(_)).then(|| own_socket(settings, span));
        out.push(Listener {
            endpoint: ep,
            kind: KIND,
            name: name.as_str().into(),
            span,
            socket: socket.map(Box::new),
            pool: None,
            backend: Some(Box::new(backend.clone())),
        });
    }
}

/// The listeners of a socket unit no Gunicorn service uses.
fn socket_listeners(s: &SocketUnit, out: &mut Vec<Listener>) {
    for (ep, span) in &s.listens {
        out.push(Listener {
            endpoint: ep.clone(),
            kind: ListenerKind::Service("systemd socket"),
            name: s.unit.as_str().into(),
            span: Some(*span),
            socket: matches!(ep, Endpoint::Unix(_)).then(|| Box::new(s.access.clone())),
            pool: None,
            backend: None,
        });
    }
}

/// Gunicorn settings as one source (command line or config file) sets them.
#[derive(Clone, Debug, Default)]
struct Settings {
    binds: Vec<(String, Span)>,
    timeout: Option<(u64, Span)>,
    keepalive: Option<(u64, Span)>,
    worker_class: Option<String>,
    threads: Option<u64>,
    user: Option<String>,
    group: Option<String>,
    umask: Option<(u32, Span)>,
    config: Option<(String, Span)>,
}

impl Settings {
    /// These settings over `base` (the command line wins over the file).
    fn over(self, base: &Settings) -> Settings {
        Settings {
            binds: if self.binds.is_empty() {
                base.binds.clone()
            } else {
                self.binds
            },
            timeout: self.timeout.or(base.timeout),
            keepalive: self.keepalive.or(base.keepalive),
            worker_class: self.worker_class.or_else(|| base.worker_class.clone()),
            threads: self.threads.or(base.threads),
            user: self.user.or_else(|| base.user.clone()),
            group: self.group.or_else(|| base.group.clone()),
            umask: self.umask.or(base.umask),
            config: self.config,
        }
    }
}

fn backend(s: &Settings) -> Backend {
    let class = s.worker_class.as_deref().unwrap_or("sync");
    let sync = (class == "sync" || class.ends_with("SyncWorker")) && s.threads.unwrap_or(1) <= 1;
    let limit = |v: Option<(u64, Span)>, default: u64, name: &'static str| {
        let (secs, span) = v.map_or((default, None), |(n, sp)| (n, Some(sp)));
        (secs > 0).then(|| Limit::secs(secs, name, span))
    };
    Backend {
        request_timeout: if sync {
            limit(s.timeout, DEFAULT_TIMEOUT, "timeout")
        } else {
            None
        },
        keepalive: if sync {
            None
        } else {
            limit(s.keepalive, DEFAULT_KEEPALIVE, "keepalive")
        },
        container: None,
    }
}

/// A socket Gunicorn creates itself: owner `user`:`group`, mode
/// 0777 & ~umask.
fn own_socket(s: &Settings, bind_span: Option<Span>) -> SocketAccess {
    let umask = s.umask.map_or(0, |(m, _)| m);
    SocketAccess {
        owner: s.user.clone(),
        group: s.group.clone(),
        mode: 0o777 & !umask,
        acl_users: Vec::new(),
        acl_groups: Vec::new(),
        span: s.umask.map(|(_, sp)| sp).or(bind_span),
    }
}

/// `unix:PATH`, `HOST:PORT`, `HOST` (port 8000), `fd://N` (skipped).
fn bind_endpoint(bind: &str) -> Option<Endpoint> {
    if bind.starts_with("fd://") {
        return None;
    }
    let bind = bind.strip_prefix("tcp://").unwrap_or(bind);
    if let Some(path) = bind.strip_prefix("unix://") {
        return parse_host_port(&format!("unix:{path}"), None);
    }
    parse_host_port(bind, Some(8000))
}

/// The words after `gunicorn` in a command line (None: not a gunicorn
/// command).
fn gunicorn_argv(value: &str, offset: usize) -> Option<Vec<(String, usize, usize)>> {
    let words = systemd::words(value, offset);
    // `/venv/bin/gunicorn …`, `python3 -m gunicorn …`.
    let pos = words.iter().position(|(w, _, _)| {
        let w = w.trim_start_matches(['-', '@', '+', '!', ':']);
        let base = w.rsplit('/').next().unwrap_or(w);
        base == "gunicorn" || base == "gunicorn3"
    })?;
    Some(words[pos + 1..].to_vec())
}

fn parse_cli(file: FileId, argv: &[(String, usize, usize)]) -> Settings {
    let mut s = Settings::default();
    let mut i = 0;
    while i < argv.len() {
        let (w, ws, we) = &argv[i];
        let (opt, inline) = match w.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_string(), Some(v.to_string())),
            _ => match w.as_str() {
                short
                    if short.len() > 2
                        && short.starts_with('-')
                        && !short.starts_with("--")
                        && matches!(
                            short.get(..2).unwrap_or_default(),
                            "-b" | "-t" | "-k" | "-u" | "-g" | "-m" | "-c" | "-w"
                        ) =>
                {
                    (short[..2].to_string(), Some(short[2..].to_string()))
                }
                _ => (w.clone(), None),
            },
        };
        let takes_value = matches!(
            opt.as_str(),
            "-b" | "--bind"
                | "-t"
                | "--timeout"
                | "--keep-alive"
                | "-k"
                | "--worker-class"
                | "--threads"
                | "-u"
                | "--user"
                | "-g"
                | "--group"
                | "-m"
                | "--umask"
                | "-c"
                | "--config"
                | "-w"
                | "--workers"
        );
        if !takes_value {
            i += 1;
            continue;
        }
        let (value, span) = match inline {
            Some(v) => {
                let vstart = we - v.len();
                (v, Span::new(file, vstart, *we))
            }
            None => match argv.get(i + 1) {
                Some((v, vs, ve)) => {
                    i += 1;
                    (v.clone(), Span::new(file, *vs, *ve))
                }
                None => break,
            },
        };
        let _ = ws;
        match opt.as_str() {
            "-b" | "--bind" => s.binds.push((value, span)),
            "-t" | "--timeout" => s.timeout = value.parse().ok().map(|n| (n, span)),
            "--keep-alive" => s.keepalive = value.parse().ok().map(|n| (n, span)),
            "-k" | "--worker-class" => s.worker_class = Some(value),
            "--threads" => s.threads = value.parse().ok(),
            "-u" | "--user" => s.user = Some(value),
            "-g" | "--group" => s.group = Some(value),
            "-m" | "--umask" => s.umask = parse_umask(&value).map(|m| (m, span)),
            "-c" | "--config" => {
                let v = value.strip_prefix("file:").unwrap_or(&value).to_string();
                if !v.starts_with("python:") {
                    s.config = Some((v, span));
                }
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// `int(value, 0)`: `0o007`, `0x1f`, `7`; Gunicorn also accepts `007`.
fn parse_umask(v: &str) -> Option<u32> {
    let v = v.trim();
    if let Some(o) = v.strip_prefix("0o").or_else(|| v.strip_prefix("0O")) {
        return u32::from_str_radix(o, 8).ok();
    }
    if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    if v.len() > 1 && v.starts_with('0') {
        return u32::from_str_radix(v, 8).ok();
    }
    v.parse().ok()
}

struct Service {
    unit: String,
    stem: String,
    cli: Settings,
    user: Option<String>,
    group: Option<String>,
    workdir: Option<String>,
    requires: Vec<String>,
    exec_span: Span,
}

fn unit_stem(real: &Path) -> (String, String) {
    let unit = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = unit
        .rsplit_once('.')
        .map_or(unit.clone(), |(s, _)| s.to_string());
    (unit, stem)
}

fn service_unit(id: FileId, real: &Path, text: &str) -> Option<Service> {
    let entries = systemd::parse(text);
    let exec = entries
        .iter()
        .filter(|e| e.section == "Service" && e.key == "ExecStart")
        .find_map(|e| gunicorn_argv(e.value, e.start).map(|a| (a, e)))?;
    let get = |k: &str| {
        entries
            .iter()
            .rev()
            .find(|e| e.section == "Service" && e.key == k)
            .map(|e| e.value.to_string())
            .filter(|v| !v.is_empty())
    };
    let requires = entries
        .iter()
        .filter(|e| {
            matches!(
                e.key,
                "Requires" | "Wants" | "Sockets" | "After" | "BindsTo"
            )
        })
        .flat_map(|e| e.value.split_whitespace().map(str::to_string))
        .filter(|u| u.ends_with(".socket"))
        .collect();
    let (unit, stem) = unit_stem(real);
    Some(Service {
        unit,
        stem,
        cli: parse_cli(id, &exec.0),
        user: get("User"),
        group: get("Group"),
        workdir: get("WorkingDirectory").map(|w| w.trim_start_matches('-').to_string()),
        requires,
        exec_span: Span::new(id, exec.1.line_start, exec.1.end),
    })
}

struct SocketUnit {
    unit: String,
    stem: String,
    listens: Vec<(Endpoint, Span)>,
    access: SocketAccess,
}

fn socket_unit(id: FileId, real: &Path, text: &str) -> SocketUnit {
    let entries = systemd::parse(text);
    let get = |k: &str| {
        entries
            .iter()
            .rev()
            .find(|e| e.section == "Socket" && e.key == k)
    };
    let listens = entries
        .iter()
        .filter(|e| e.section == "Socket" && e.key == "ListenStream")
        .filter_map(|e| {
            let v = e.value;
            let ep = if v.starts_with('/') {
                parse_host_port(&format!("unix:{v}"), None)
            } else {
                parse_host_port(v, None)
            }?;
            Some((ep, Span::new(id, e.start, e.end)))
        })
        .collect();
    let mode_entry = get("SocketMode");
    let access = SocketAccess {
        owner: get("SocketUser").map(|e| e.value.to_string()),
        group: get("SocketGroup").map(|e| e.value.to_string()),
        mode: mode_entry
            .and_then(|e| u32::from_str_radix(e.value, 8).ok())
            .unwrap_or(SOCKET_UNIT_MODE),
        acl_users: Vec::new(),
        acl_groups: Vec::new(),
        span: mode_entry
            .or(get("SocketUser"))
            .or(get("SocketGroup"))
            .map(|e| Span::new(id, e.line_start, e.end)),
    };
    let (unit, stem) = unit_stem(real);
    SocketUnit {
        unit,
        stem,
        listens,
        access,
    }
}

fn conf_file(id: FileId, text: &str) -> Settings {
    let mut s = Settings::default();
    for (key, _, v) in lit::python_assignments(text) {
        let span = Span::new(id, v.start, v.end);
        let num = || v.as_u64().map(|n| (n, span));
        match key.as_str() {
            "bind" => {
                s.binds = match &v.lit {
                    Lit::Str(b) => vec![(b.clone(), span)],
                    Lit::Arr(_) => v
                        .items()
                        .iter()
                        .filter_map(|i| {
                            i.as_str()
                                .map(|b| (b.to_string(), Span::new(id, i.start, i.end)))
                        })
                        .collect(),
                    _ => Vec::new(),
                }
            }
            "timeout" => s.timeout = num(),
            "keepalive" => s.keepalive = num(),
            "worker_class" => s.worker_class = v.as_str().map(str::to_string),
            "threads" => s.threads = v.as_u64(),
            "user" => s.user = v.as_str().map(str::to_string),
            "group" => s.group = v.as_str().map(str::to_string),
            "umask" => {
                s.umask = match &v.lit {
                    Lit::Num(_) => v.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Lit::Str(m) => parse_umask(m),
                    // `0o007` parses as a number word.
                    _ => None,
                }
                .map(|m| (m, span))
            }
            _ => {}
        }
    }
    s
}

/// Whether a loaded file is the one a unit names. Paths in units are
/// absolute on the server, the loaded file lives in a checkout: compare
/// from the end, requiring the file name and (when the reference has one)
/// its parent directory to agree.
fn same_file(real: &Path, reference: &Path) -> bool {
    let norm = |p: &Path| -> Vec<String> {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let a = norm(real);
    let b = norm(reference);
    let common = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let need = b.len().clamp(1, 2);
    common >= need && common > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_options() {
        let cmd = "/srv/venv/bin/gunicorn --workers 3 -b unix:/run/gunicorn.sock --bind=127.0.0.1:8001 -t 120 --keep-alive 5 -k gthread --umask 007 app.wsgi";
        let argv = gunicorn_argv(cmd, 0).expect("gunicorn");
        let s = parse_cli(FileId(0), &argv);
        let binds: Vec<&str> = s.binds.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(binds, ["unix:/run/gunicorn.sock", "127.0.0.1:8001"]);
        assert_eq!(s.timeout.map(|t| t.0), Some(120));
        assert_eq!(s.keepalive.map(|t| t.0), Some(5));
        assert_eq!(s.umask.map(|t| t.0), Some(0o007));
        let b = backend(&s);
        assert_eq!(b.request_timeout, None);
        assert_eq!(b.keepalive.map(|k| k.ms), Some(5000));
        assert!(gunicorn_argv("/usr/bin/python3 -m gunicorn app:app", 0).is_some());
        assert!(gunicorn_argv("/usr/bin/uwsgi --ini app.ini", 0).is_none());
        let spans = &s.binds[1].1;
        assert_eq!(
            &cmd[spans.start as usize..spans.end as usize],
            "127.0.0.1:8001"
        );
    }

    #[test]
    fn defaults() {
        let b = backend(&Settings::default());
        assert_eq!(
            b.request_timeout.map(|t| (t.ms, t.span)),
            Some((30_000, None))
        );
        assert_eq!(b.keepalive, None);
        assert_eq!(bind_endpoint("0.0.0.0"), parse_host_port("*:8000", None));
    }
}
