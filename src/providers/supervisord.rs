//! supervisord programs: `[program:NAME]` sections whose `command=` runs a
//! server the command-line reader knows (`cmdline.rs`), with the
//! program's `environment=`.
//!
//! From supervisord's configuration documentation ("Configuration File",
//! `[program:x]` section settings): the file is Windows-INI style (Python
//! ConfigParser): `key=value` lines, a line starting with `;` or `#` is a
//! comment, and an inline `;` comment must be preceded by whitespace;
//! indented lines continue the value. `command` may use `%(ENV_X)s`
//! (supervisord's own environment, unknown here), `%(program_name)s` and
//! `%(process_num)d` expansions; it is not run by a shell. `environment`
//! is `KEY="val",KEY2="val2"` (quotes optional); `user` and `directory`
//! set the process's user and working directory.

use std::path::Path;

use super::{Listener, ListenerKind, ListenerProvider, cmdline, file_name};
use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Supervisord;

const NAME: &str = "supervisord";

impl ListenerProvider for Supervisord {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        let ini_name = name.ends_with(".conf") || name.ends_with(".ini");
        (ini_name || explicit)
            && head.contains("[program:")
            && programs(head, FileId(0)).iter().any(|p| {
                p.command
                    .as_ref()
                    .is_some_and(|c| cmdline::runs_server(&crate::dockerfile::shell_words(&c.0)))
            })
    }

    fn listeners(&self, _loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for (id, _, text) in super::files_of(_loaded, NAME) {
            for p in programs(text, id) {
                out.extend(program_listeners(&p));
            }
        }
    }
}

/// One `[program:NAME]` section: its command and environment, each value
/// with the span of its line.
#[derive(Debug, Default)]
struct Program {
    name: String,
    command: Option<(String, Span)>,
    environment: Vec<(String, String, Span)>,
    user: Option<String>,
    directory: Option<String>,
}

/// The programs of a supervisord file.
fn programs(text: &str, id: FileId) -> Vec<Program> {
    let mut out: Vec<Program> = Vec::new();
    let mut current: Option<Program> = None;
    let mut last_key: Option<String> = None;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = pos;
        pos += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let value = strip_comment(trimmed);
        let span = Span::new(id, line_start, line_start + line.len());
        if let Some(sec) = value.strip_prefix('[') {
            out.extend(current.take());
            last_key = None;
            if let Some(name) = sec.trim_end_matches(']').strip_prefix("program:") {
                current = Some(Program {
                    name: name.trim().to_string(),
                    ..Program::default()
                });
            }
            continue;
        }
        let Some(p) = current.as_mut() else { continue };
        // An indented line continues the previous value.
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last_key {
                set(p, k, value, span, true);
            }
            continue;
        }
        if let Some((k, v)) = value.split_once('=').or_else(|| value.split_once(':')) {
            let k = k.trim().to_ascii_lowercase();
            set(p, &k, v.trim(), span, false);
            last_key = Some(k);
        }
    }
    out.extend(current);
    out
}

/// `value ; comment` → `value` (the `;` must follow whitespace).
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    for i in 1..b.len() {
        if b[i] == b';' && b[i - 1].is_ascii_whitespace() {
            return s[..i].trim_end();
        }
    }
    s.trim_end()
}

fn set(p: &mut Program, key: &str, v: &str, span: Span, continued: bool) {
    match key {
        "command" => match (&mut p.command, continued) {
            (Some((c, sp)), true) => {
                c.push(' ');
                c.push_str(v);
                sp.end = span.end;
            }
            _ => p.command = Some((v.replace("%(program_name)s", &p.name), span)),
        },
        "environment" => {
            if !continued {
                p.environment.clear();
            }
            p.environment
                .extend(environment(v).into_iter().map(|(k, val)| (k, val, span)));
        }
        "user" => p.user = Some(v.to_string()),
        "directory" => p.directory = Some(v.to_string()),
        _ => {}
    }
}

/// `KEY="val",KEY2=val2`: commas inside quotes belong to the value.
fn environment(v: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut item = String::new();
    let mut quote: Option<char> = None;
    let mut items = Vec::new();
    for c in v.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => item.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => items.push(std::mem::take(&mut item)),
            (None, c) => item.push(c),
        }
    }
    items.push(item);
    for it in items {
        if let Some((k, val)) = it.split_once('=') {
            let k = k.trim();
            if !k.is_empty() {
                out.push((k.to_string(), val.trim().to_string()));
            }
        }
    }
    out
}

/// What a program's command listens on; the span is the `command=` line,
/// or the `environment=` line when the port comes from a variable.
fn program_listeners(p: &Program) -> Vec<Listener> {
    let Some((command, cmd_span)) = &p.command else {
        return Vec::new();
    };
    // `%(ENV_X)s`: supervisord's own environment, not in view.
    if command.contains("%(") {
        return Vec::new();
    }
    let words = crate::dockerfile::shell_words(command);
    let lookup = |k: &str| {
        p.environment
            .iter()
            .rev()
            .find(|(n, _, _)| n == k)
            .map(|(_, v, _)| v.clone())
    };
    let Some(l) = cmdline::listen(&words, &lookup) else {
        return Vec::new();
    };
    let host = if l.loopback {
        Host::parse("127.0.0.1")
    } else {
        Host::Any
    };
    let name: std::sync::Arc<str> = format!("program:{}", p.name).into();
    l.ports
        .into_iter()
        .map(|port| {
            let ps = port.to_string();
            let span = if command.contains(&ps) {
                *cmd_span
            } else {
                p.environment
                    .iter()
                    .rev()
                    .find(|(_, v, _)| v.contains(&ps))
                    .map_or(*cmd_span, |(_, _, s)| *s)
            };
            Listener {
                endpoint: Endpoint::Tcp(host.clone(), port),
                kind: ListenerKind::Service(l.server),
                name: name.clone(),
                span: Some(span),
                socket: None,
                pool: None,
                backend: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_and_environment() {
        let text = "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=/srv/venv/bin/uvicorn app:app --host 0.0.0.0 ; the api\n  --port %(ENV_X)s\nenvironment=PORT=\"8000\",APP_ENV='prod, eu'\nuser=www-data\ndirectory=/srv/app\n\n[program:worker]\ncommand=/srv/venv/bin/celery -A app worker\n";
        let ps = programs(text, FileId(0));
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].name, "web");
        let (cmd, _) = ps[0].command.as_ref().expect("command");
        assert_eq!(
            cmd,
            "/srv/venv/bin/uvicorn app:app --host 0.0.0.0 --port %(ENV_X)s"
        );
        let env: Vec<(&str, &str)> = ps[0]
            .environment
            .iter()
            .map(|(k, v, _)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, [("PORT", "8000"), ("APP_ENV", "prod, eu")]);
        assert_eq!(ps[0].user.as_deref(), Some("www-data"));
        let runs = |c: &str| cmdline::runs_server(&crate::dockerfile::shell_words(c));
        assert!(runs(cmd));
        assert!(!runs("/usr/sbin/php-fpm -F"));
    }
}
