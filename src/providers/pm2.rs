//! pm2: ecosystem files (`ecosystem.config.js` with `module.exports = {
//! apps: [...] }`, `.json`, `.yaml`). pm2 itself opens no port: the app
//! does, and by convention reads it from `PORT`. An app's port is its
//! `env.PORT` (else the first `env_<name>.PORT`), else `--port N` / `-p N`
//! in `args`; `env.HOST` narrows the address (Node listens on every
//! address by default). Failing those, another `*PORT` variable of its
//! environment (`APP_PORT`, `HTTP_PORT`, …) when the app is seen to read
//! it: its script (beside the ecosystem file, or under `cwd`) reads
//! `process.env.KEY`, or its `args` name it; a name of the listening
//! kind (`APP_PORT`, `HTTP_PORT`, `SERVER_PORT`, `WEB_PORT`, `LISTEN_PORT`,
//! `NODE_PORT`) is enough when the script is not in view. A client's port
//! (`DB_PORT`, `REDIS_PORT`) is never taken for the app's.

use std::path::Path;

use super::lit::{self, Lit};
use super::yaml::{self, Y};
use super::{Listener, ListenerKind, ListenerProvider, file_name};
use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Pm2;

const NAME: &str = "pm2";
const KIND: ListenerKind = ListenerKind::Service("pm2 app");

impl ListenerProvider for Pm2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        let ext_ok = [".js", ".cjs", ".mjs", ".json", ".yaml", ".yml"]
            .iter()
            .any(|e| name.ends_with(e));
        let named =
            name.starts_with("ecosystem") || name.starts_with("pm2.") || name == "process.json";
        ext_ok && (named || explicit) && head.contains("apps")
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for (id, f, text) in super::files_of(loaded, NAME) {
            let name = file_name(&f.real);
            let apps = if name.ends_with(".yaml") || name.ends_with(".yml") {
                yaml_apps(id, text)
            } else {
                js_apps(id, text)
            };
            for app in apps {
                let Some((port, span)) = app.port.or_else(|| other_port(loaded, &f.real, &app))
                else {
                    continue;
                };
                let host = app.host.as_deref().map_or(Host::Any, Host::parse);
                out.push(Listener {
                    endpoint: Endpoint::Tcp(host, port),
                    kind: KIND,
                    name: app.name.as_deref().unwrap_or("app").into(),
                    span: Some(span),
                    socket: None,
                    pool: None,
                    backend: None,
                });
            }
        }
    }
}

#[derive(Debug, Default)]
struct App {
    name: Option<String>,
    port: Option<(u16, Span)>,
    host: Option<String>,
    script: Option<String>,
    cwd: Option<String>,
    /// The `args`, as written (words joined).
    args: String,
    /// Numeric `*PORT` variables of `env` and `env_*` other than `PORT`.
    port_vars: Vec<(String, u16, Span)>,
}

/// Names that say the app listens on the port (not a client's port).
const LISTEN_NAMES: &[&str] = &[
    "APP_PORT",
    "HTTP_PORT",
    "SERVER_PORT",
    "WEB_PORT",
    "LISTEN_PORT",
    "NODE_PORT",
];

/// The port of an app from a `*PORT` variable other than `PORT`: one its
/// script reads or its args name; else, without the script in view, one
/// named like a listening port.
fn other_port(loaded: &Loaded, eco: &Path, app: &App) -> Option<(u16, Span)> {
    if app.port_vars.is_empty() {
        return None;
    }
    let script = app.script.as_deref().and_then(|s| {
        let dir = eco.parent()?;
        let base = match app.cwd.as_deref() {
            Some(c) => dir.join(c),
            None => dir.to_path_buf(),
        };
        super::units::read_beside_dir(loaded, &base, Path::new(s))
    });
    let reads = |k: &str| {
        let named = app.args.contains(k);
        match &script {
            Some(t) => {
                named
                    || t.contains(&format!("process.env.{k}"))
                    || t.contains(&format!("process.env['{k}']"))
                    || t.contains(&format!("process.env[\"{k}\"]"))
            }
            None => named || LISTEN_NAMES.contains(&k),
        }
    };
    app.port_vars
        .iter()
        .find(|(k, _, _)| reads(k))
        .map(|(_, p, sp)| (*p, *sp))
}

/// The numeric `*PORT` variables (other than `PORT`) of an env object.
fn js_port_vars(id: FileId, env: &lit::Node, out: &mut Vec<(String, u16, Span)>) {
    if let Lit::Obj(entries) = &env.lit {
        for (k, _, v) in entries {
            if k != "PORT"
                && k.ends_with("PORT")
                && let Some(p) = v.as_u64().and_then(|n| u16::try_from(n).ok())
            {
                out.push((k.clone(), p, Span::new(id, v.start, v.end)));
            }
        }
    }
}

/// `--port 3000`, `--port=3000`, `-p 3000` in an argument list.
fn port_in_args(words: &[(String, Span)]) -> Option<(u16, Span)> {
    for (i, (w, sp)) in words.iter().enumerate() {
        if let Some(v) = w.strip_prefix("--port=") {
            return v.parse().ok().map(|p| (p, *sp));
        }
        if (w == "--port" || w == "-p")
            && let Some((v, vs)) = words.get(i + 1)
        {
            return v.parse().ok().map(|p| (p, *vs));
        }
    }
    None
}

/// Split an `args` string into words, each spanning its place in the file
/// (`base` is where the string's text starts).
fn split_args(s: &str, id: FileId, base: usize) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                out.push((s[st..i].to_string(), Span::new(id, base + st, base + i)));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

fn js_apps(id: FileId, text: &str) -> Vec<App> {
    let Some(root) = lit::js_exports(text) else {
        return Vec::new();
    };
    let list: Vec<&lit::Node> = match (&root.lit, root.get("apps")) {
        (_, Some(apps)) => match &apps.lit {
            Lit::Arr(items) => items.iter().collect(),
            Lit::Obj(_) => vec![apps],
            _ => Vec::new(),
        },
        (Lit::Arr(items), None) => items.iter().collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|a| {
            let span = |n: &lit::Node| Span::new(id, n.start, n.end);
            let env_port = |env: &lit::Node| {
                env.get("PORT").and_then(|p| {
                    p.as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .map(|n| (n, span(p)))
                })
            };
            let mut port = a.get("env").and_then(env_port);
            let mut host = a
                .get("env")
                .and_then(|e| e.get("HOST"))
                .and_then(|h| h.as_str())
                .map(str::to_string);
            if port.is_none()
                && let Lit::Obj(entries) = &a.lit
            {
                for (k, _, v) in entries {
                    if k.starts_with("env_")
                        && let Some(p) = env_port(v)
                    {
                        port = Some(p);
                        host = host
                            .or_else(|| v.get("HOST").and_then(|h| h.as_str()).map(str::to_string));
                        break;
                    }
                }
            }
            if port.is_none()
                && let Some(args) = a.get("args")
            {
                let words: Vec<(String, Span)> = match &args.lit {
                    // The string's text starts after its opening quote.
                    Lit::Str(s) => split_args(s, id, args.start + 1),
                    Lit::Arr(items) => items
                        .iter()
                        .filter_map(|i| match &i.lit {
                            Lit::Str(s) => Some((s.clone(), span(i))),
                            Lit::Num(_) => i.as_u64().map(|n| (n.to_string(), span(i))),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                port = port_in_args(&words);
            }
            let mut port_vars = Vec::new();
            if let Lit::Obj(entries) = &a.lit {
                for (k, _, v) in entries {
                    if k == "env" || k.starts_with("env_") {
                        js_port_vars(id, v, &mut port_vars);
                    }
                }
            }
            let args = match a.get("args").map(|n| &n.lit) {
                Some(Lit::Str(s)) => s.clone(),
                Some(Lit::Arr(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            App {
                name: a.get("name").and_then(|n| n.as_str()).map(str::to_string),
                port,
                host,
                script: a.get("script").and_then(|n| n.as_str()).map(str::to_string),
                cwd: a.get("cwd").and_then(|n| n.as_str()).map(str::to_string),
                args,
                port_vars,
            }
        })
        .collect()
}

fn yaml_apps(id: FileId, text: &str) -> Vec<App> {
    let Some(root) = yaml::parse(text) else {
        return Vec::new();
    };
    let Some(apps) = root.get("apps") else {
        return Vec::new();
    };
    apps.items()
        .iter()
        .map(|a| {
            let span = |n: &yaml::Node| Span::new(id, n.start, n.end);
            let env_port = |env: &yaml::Node| {
                env.get("PORT")
                    .and_then(|p| p.as_str()?.trim().parse::<u16>().ok().map(|n| (n, span(p))))
            };
            let mut port = a.get("env").and_then(env_port);
            if port.is_none() {
                port = a
                    .entries()
                    .iter()
                    .filter(|(k, _)| k.as_str().is_some_and(|k| k.starts_with("env_")))
                    .find_map(|(_, v)| env_port(v));
            }
            if port.is_none()
                && let Some(args) = a.get("args")
            {
                let words: Vec<(String, Span)> = match &args.y {
                    Y::Scalar(s) => {
                        let quoted = text
                            .as_bytes()
                            .get(args.start)
                            .is_some_and(|b| matches!(b, b'"' | b'\''));
                        split_args(s, id, args.start + usize::from(quoted))
                    }
                    Y::Seq(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().map(|s| (s.to_string(), span(i))))
                        .collect(),
                    Y::Map(_) => Vec::new(),
                };
                port = port_in_args(&words);
            }
            App {
                name: a.get("name").and_then(|n| n.as_str()).map(str::to_string),
                port,
                host: a
                    .get("env")
                    .and_then(|e| e.get("HOST"))
                    .and_then(|h| h.as_str())
                    .map(str::to_string),
                ..App::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_json_yaml() {
        let js = "module.exports = {\n  apps: [\n    { name: 'web', script: 'server.js', env: { PORT: 3000 } },\n    { name: 'admin', script: 'admin.js', args: '--port 4000 --verbose' },\n    { name: 'jobs', script: 'jobs.js' },\n  ],\n};\n";
        let apps = js_apps(FileId(0), js);
        assert_eq!(apps.len(), 3);
        let (p, sp) = apps[1].port.expect("port");
        assert_eq!(p, 4000);
        assert_eq!(&js[sp.start as usize..sp.end as usize], "4000");
        assert!(apps[2].port.is_none());
        let json = r#"{"apps": [{"name": "api", "env": {"PORT": "8080", "HOST": "127.0.0.1"}}]}"#;
        let apps = js_apps(FileId(0), json);
        assert_eq!(apps[0].port.map(|p| p.0), Some(8080));
        let yml = "apps:\n  - name: api\n    script: app.js\n    args: [\"--port\", \"5000\"]\n";
        let apps = yaml_apps(FileId(0), yml);
        assert_eq!(apps[0].port.map(|p| p.0), Some(5000));
    }

    #[test]
    fn other_port_variables() {
        let js = "module.exports = { apps: [\n  { name: 'api', script: 'gone.js', env: { DB_PORT: 5432, APP_PORT: '8081' } },\n  { name: 'db-client', script: 'gone.js', env: { DB_PORT: 5432 } },\n] };\n";
        let apps = js_apps(FileId(0), js);
        let vars: Vec<&str> = apps[0].port_vars.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(vars, ["DB_PORT", "APP_PORT"]);
        assert!(apps[1].port.is_none());
    }
}
