//! runit and s6 `run` scripts (best effort): `/etc/sv/NAME/run`,
//! `/etc/service/NAME/run`, `/etc/services.d/NAME/run`,
//! `/etc/s6-overlay/s6-rc.d/NAME/run`. The service is the script's
//! directory; what it runs is its last `exec` line (an execline script's
//! last line), read by the command-line reader after the privilege and
//! environment wrappers (`chpst -u USER`, `s6-setuidgid USER`,
//! `with-contenv`, `fdmove`), which it skips as words before the server.
//! Variables come from the script's own `export K=V` / `K=V` lines; a
//! container environment (`with-contenv`, `chpst -e DIR`) is not in view,
//! so a port read from it stays unknown.

use std::path::Path;

use super::{Listener, ListenerKind, ListenerProvider, cmdline, file_name};
use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct RunScript;

const NAME: &str = "run-script";

impl ListenerProvider for RunScript {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        (file_name(path) == "run" || explicit)
            && head.starts_with("#!")
            && script(head, FileId(0)).is_some_and(|s| cmdline::runs_server(&s.words))
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for (id, f, text) in super::files_of(loaded, NAME) {
            let Some(s) = script(text, id) else { continue };
            let service = f
                .real
                .parent()
                .and_then(Path::file_name)
                .map_or_else(|| "run".to_string(), |n| n.to_string_lossy().into_owned());
            let lookup = |k: &str| {
                s.env
                    .iter()
                    .rev()
                    .find(|(n, _, _)| n == k)
                    .map(|(_, v, _)| v.clone())
            };
            let Some(l) = cmdline::listen(&s.words, &lookup) else {
                continue;
            };
            let host = if l.loopback {
                Host::parse("127.0.0.1")
            } else {
                Host::Any
            };
            for port in l.ports {
                let ps = port.to_string();
                let span = if s.words.iter().any(|w| w.contains(&ps)) {
                    s.span
                } else {
                    s.env
                        .iter()
                        .rev()
                        .find(|(_, v, _)| v.contains(&ps))
                        .map_or(s.span, |(_, _, sp)| *sp)
                };
                out.push(Listener {
                    endpoint: Endpoint::Tcp(host.clone(), port),
                    kind: ListenerKind::Service(l.server),
                    name: service.as_str().into(),
                    span: Some(span),
                    socket: None,
                    pool: None,
                    backend: None,
                });
            }
        }
    }
}

/// A run script's command (its words and line) and variables.
struct Script {
    words: Vec<String>,
    span: Span,
    env: Vec<(String, String, Span)>,
}

fn script(text: &str, id: FileId) -> Option<Script> {
    let mut env = Vec::new();
    let mut last: Option<(String, Span)> = None;
    let mut pos = 0;
    let mut pending: Option<(String, usize)> = None;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (mut joined, from) = pending.take().unwrap_or((String::new(), start));
        if let Some(cont) = line.strip_suffix('\\') {
            joined.push_str(cont);
            joined.push(' ');
            pending = Some((joined, from));
            continue;
        }
        joined.push_str(line);
        let t = joined.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let span = Span::new(id, from, start + line.len());
        let assign = t.strip_prefix("export ").unwrap_or(t);
        if let Some((k, v)) = assign.split_once('=')
            && !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let v = v.trim().trim_matches(['"', '\'']);
            env.push((k.to_string(), v.to_string(), span));
            continue;
        }
        let is_exec = t.starts_with("exec ");
        if is_exec || last.as_ref().is_none_or(|(l, _)| !l.starts_with("exec ")) {
            last = Some((t.to_string(), span));
        }
    }
    let (line, span) = last?;
    let words = crate::dockerfile::shell_words(line.strip_prefix("exec ").unwrap_or(&line));
    Some(Script { words, span, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runit_and_s6_scripts() {
        let runit = "#!/bin/sh\nexport PORT=3000\ncd /srv/app\nexec 2>&1\nexec chpst -u app:app \\\n  /usr/bin/node server.js\n";
        let s = script(runit, FileId(0)).expect("script");
        assert_eq!(
            s.words,
            ["chpst", "-u", "app:app", "/usr/bin/node", "server.js"]
        );
        let e = |k: &str| s.env.iter().find(|x| x.0 == k).map(|x| x.1.clone());
        assert_eq!(
            cmdline::listen(&s.words, &e).map(|l| l.ports),
            Some(vec![3000])
        );
        let s6 = "#!/command/execlineb -P\ns6-setuidgid www-data\n/srv/venv/bin/uvicorn app:app --host 0.0.0.0 --port 8001\n";
        let s = script(s6, FileId(0)).expect("script");
        assert_eq!(
            cmdline::listen(&s.words, &|_: &str| None).map(|l| l.ports),
            Some(vec![8001])
        );
    }
}
