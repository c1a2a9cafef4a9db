//! uWSGI: `[uwsgi]` ini files and `uwsgi:` yaml (vassals under
//! `/etc/uwsgi/apps-enabled`, project ini files). Every `socket`,
//! `uwsgi-socket`, `http-socket` and `http` is a listener with uWSGI's
//! `harakiri` and the socket's ownership and mode.
//!
//! From uWSGI's core/uwsgi.c and core/socket.c: `socket` (`-s`) binds with
//! the default (uwsgi) protocol, `http-socket` with HTTP, `harakiri` (`-t`)
//! kills a worker whose request runs longer (0 or unset: never);
//! `chmod-socket` (`-C`) without a value, or `1`, makes unix sockets 0666,
//! with a three-digit octal value that mode; `chown-socket` sets
//! `user[:group]`. Without `chmod-socket` the socket keeps the mode bind()
//! gives it: 0777 less the umask (`umask` option, else the process's,
//! 022 for a system service). uWSGI binds before dropping privileges
//! (`uid`/`gid`), so an unowned socket belongs to the user that started it
//! (root for the emperor or a system unit).

use std::path::Path;

use super::yaml::{self, Y};
use super::{Backend, Limit, Listener, ListenerKind, ListenerProvider, SocketAccess, file_name};
use crate::address::{Endpoint, parse_host_port};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Uwsgi;

const NAME: &str = "uwsgi";
const KIND: ListenerKind = ListenerKind::Service("uWSGI");
/// The umask of a process started by systemd (UMask= default 0022).
const DEFAULT_UMASK: u32 = 0o022;

impl ListenerProvider for Uwsgi {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        let ini = name.ends_with(".ini") || explicit;
        let yml = name.ends_with(".yaml") || name.ends_with(".yml") || explicit;
        if !ini && !yml {
            return false;
        }
        head.lines().any(|l| {
            let l = l.trim_end();
            (ini && l.trim_start() == "[uwsgi]") || (yml && l == "uwsgi:")
        })
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for (id, f, text) in super::files_of(loaded, NAME) {
            let opts = if text.lines().any(|l| l.trim() == "[uwsgi]") {
                ini_options(id, text)
            } else {
                yaml_options(id, text)
            };
            let name = f
                .real
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "uwsgi".into());
            instance(&name, &opts, out);
        }
    }
}

/// An option as written: its name (dashes), value and spans.
struct Opt {
    key: String,
    value: String,
    /// The value, for findings.
    span: Span,
    /// The whole line.
    line: Span,
}

fn ini_options(id: FileId, text: &str) -> Vec<Opt> {
    let mut out = Vec::new();
    let mut in_uwsgi = false;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if t.starts_with('[') {
            in_uwsgi = t.trim_end() == "[uwsgi]";
        } else if in_uwsgi
            && !t.starts_with('#')
            && !t.starts_with(';')
            && let Some(eq) = t.find('=')
        {
            let key = t[..eq].trim().replace('_', "-");
            let raw_v = &t[eq + 1..];
            let lead = raw_v.len() - raw_v.trim_start().len();
            let value = raw_v.trim();
            let vstart = pos + indent + eq + 1 + lead;
            out.push(Opt {
                key,
                value: value.trim_matches('"').to_string(),
                span: Span::new(id, vstart, vstart + value.len()),
                line: Span::new(id, pos + indent, pos + line.len()),
            });
        } else if in_uwsgi && !t.is_empty() && !t.starts_with('#') && !t.starts_with(';') {
            // A bare option (`master`, `chmod-socket`): a flag.
            let key = t.trim().replace('_', "-");
            let at = pos + indent;
            out.push(Opt {
                key,
                value: String::new(),
                span: Span::new(id, at, at + t.trim().len()),
                line: Span::new(id, at, at + t.trim().len()),
            });
        }
        pos += raw.len();
    }
    out
}

fn yaml_options(id: FileId, text: &str) -> Vec<Opt> {
    let mut out = Vec::new();
    let Some(root) = yaml::parse(text) else {
        return out;
    };
    let Some(u) = root.get("uwsgi") else {
        return out;
    };
    for (k, v) in u.entries() {
        let Some(key) = k.as_str() else { continue };
        let key = key.replace('_', "-");
        let values: Vec<&yaml::Node> = match &v.y {
            Y::Seq(items) => items.iter().collect(),
            _ => vec![v],
        };
        for item in values {
            let value = item.as_str().unwrap_or_default().to_string();
            out.push(Opt {
                key: key.clone(),
                value,
                span: Span::new(id, item.start, item.end),
                line: Span::new(id, k.start, item.end.max(k.end)),
            });
        }
    }
    out
}

fn instance(name: &str, opts: &[Opt], out: &mut Vec<Listener>) {
    let last = |keys: &[&str]| opts.iter().rev().find(|o| keys.contains(&o.key.as_str()));
    let harakiri = last(&["harakiri", "t"]).and_then(|o| {
        let secs: u64 = o.value.trim().parse().ok()?;
        (secs > 0).then(|| Limit::secs(secs, "harakiri", Some(o.span)))
    });
    let backend = Backend {
        request_timeout: harakiri,
        keepalive: None,
        container: None,
    };
    let chmod = last(&["chmod-socket", "chmod", "C"]);
    let chown = last(&["chown-socket"]);
    let umask = last(&["umask"]).and_then(|o| u32::from_str_radix(o.value.trim(), 8).ok());
    let mode = match chmod {
        Some(o) if o.value.is_empty() || o.value == "1" || o.value == "true" => 0o666,
        Some(o) => u32::from_str_radix(o.value.trim(), 8).unwrap_or(0o666),
        None => 0o777 & !umask.unwrap_or(DEFAULT_UMASK),
    };
    let (owner, group) = match chown.map(|o| o.value.as_str()) {
        Some(v) if !v.is_empty() => match v.split_once(':') {
            Some((u, g)) => (Some(u.to_string()), Some(g.to_string())),
            None => (Some(v.to_string()), None),
        },
        _ => (None, None),
    };
    let access = SocketAccess {
        owner,
        group,
        mode,
        acl_users: Vec::new(),
        acl_groups: Vec::new(),
        span: chmod.or(chown).map(|o| o.line),
    };
    for o in opts {
        if !matches!(
            o.key.as_str(),
            "socket" | "s" | "uwsgi-socket" | "http-socket" | "http11-socket" | "http"
        ) {
            continue;
        }
        let Some(ep) = endpoint(&o.value) else {
            continue;
        };
        out.push(Listener {
            socket: matches!(ep, Endpoint::Unix(_)).then(|| Box::new(access.clone())),
            endpoint: ep,
            kind: KIND,
            name: name.into(),
            span: Some(o.line),
            pool: None,
            backend: Some(Box::new(backend.clone())),
        });
    }
}

/// A uWSGI socket address: a path, `:port` (every address), `host:port`.
/// Placeholders (`%(var)`, `%d`, `$(ENV)`) and abstract sockets are skipped.
fn endpoint(v: &str) -> Option<Endpoint> {
    let v = v.trim().split(',').next()?.trim();
    if v.is_empty() || v.contains('%') || v.contains("$(") || v.starts_with('@') {
        return None;
    }
    if v.starts_with('/') || v.starts_with('.') || !v.contains(':') {
        if v.contains('/') || v.ends_with(".sock") {
            return parse_host_port(&format!("unix:{v}"), None);
        }
        return None;
    }
    parse_host_port(v, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_and_yaml() {
        let ini = "[uwsgi]\nmodule = app:app\nmaster = true\nsocket = /run/uwsgi/app.sock\nchmod-socket = 660\nchown-socket = www-data:www-data\nharakiri = 90\nhttp-socket = :9090\n";
        let mut out = Vec::new();
        instance("app", &ini_options(FileId(0), ini), &mut out);
        assert_eq!(out.len(), 2);
        let s = out[0].socket.as_ref().expect("socket");
        assert_eq!((s.owner.as_deref(), s.mode), (Some("www-data"), 0o660));
        assert_eq!(
            out[0]
                .backend
                .as_ref()
                .and_then(|b| b.request_timeout.as_ref())
                .map(|l| l.ms),
            Some(90_000)
        );
        assert_eq!(
            out[1].endpoint,
            Endpoint::Tcp(crate::address::Host::Any, 9090)
        );
        let yml = "uwsgi:\n  socket:\n    - 127.0.0.1:3031\n  chmod-socket: 666\n";
        let mut out = Vec::new();
        instance("y", &yaml_options(FileId(0), yml), &mut out);
        assert_eq!(out.len(), 1);
        let mut out = Vec::new();
        instance(
            "d",
            &ini_options(FileId(0), "[uwsgi]\nsocket = /run/a.sock\n"),
            &mut out,
        );
        assert_eq!(out[0].socket.as_ref().map(|s| s.mode), Some(0o755));
    }
}
