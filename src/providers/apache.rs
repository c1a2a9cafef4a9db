//! Apache httpd: `Listen` (ports.conf, httpd.conf) and `<VirtualHost
//! addr:port>` as listeners, with `KeepAliveTimeout` (httpd 2.4 core:
//! default 5 seconds, `KeepAlive On` by default; a value may end in `ms`).
//! Directive names are case-insensitive; `Listen [addr:]port [protocol]`.

use std::path::Path;

use super::{Backend, Limit, Listener, ListenerKind, ListenerProvider, file_name};
use crate::address::{Endpoint, Host, parse_host_port};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};

pub struct Apache;

const NAME: &str = "apache";
const KIND: ListenerKind = ListenerKind::Service("Apache");
/// httpd 2.4: KeepAliveTimeout 5.
const DEFAULT_KEEPALIVE_SECS: u64 = 5;

impl ListenerProvider for Apache {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        // `<Tag` at a line's start is never nginx; `Listen 80` without `;`
        // only in httpd's own files.
        // Cheap test first: most files have no `<` at all (discovery asks
        // every provider about every file).
        let tags = head.contains('<')
            && head.lines().any(|l| {
                let t = l.trim_start();
                ["<virtualhost", "<ifmodule", "<directory", "<location"]
                    .iter()
                    .any(|p| t.get(..p.len()).is_some_and(|x| x.eq_ignore_ascii_case(p)))
            });
        let named = matches!(name.as_str(), "httpd.conf" | "apache2.conf" | "ports.conf");
        let listen = (named || explicit)
            && head.lines().any(|l| {
                let t = l.trim();
                t.len() > 7
                    && t.get(..7)
                        .is_some_and(|x| x.eq_ignore_ascii_case("listen "))
                    && !t.ends_with(';')
            });
        tags || ((named || explicit) && listen)
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        let mut files = Vec::new();
        let mut keepalive_on = true;
        let mut keepalive: Option<(u64, Span)> = None;
        for (id, _f, text) in super::files_of(loaded, NAME) {
            let conf = parse(id, text);
            if let Some(on) = conf.keepalive_on {
                keepalive_on = on;
            }
            if conf.keepalive.is_some() {
                keepalive = conf.keepalive;
            }
            files.push(conf);
        }
        let limit = |ka: Option<(u64, Span)>, on: bool| {
            on.then(|| {
                let (ms, span) =
                    ka.map_or((DEFAULT_KEEPALIVE_SECS * 1000, None), |(m, s)| (m, Some(s)));
                Limit {
                    ms,
                    setting: "KeepAliveTimeout",
                    span,
                }
            })
            .filter(|l| l.ms > 0)
        };
        for conf in files {
            for (ep, span) in conf.listens {
                out.push(Listener {
                    endpoint: ep,
                    kind: KIND,
                    name: "httpd".into(),
                    span: Some(span),
                    socket: None,
                    pool: None,
                    backend: Some(Box::new(Backend {
                        request_timeout: None,
                        keepalive: limit(keepalive, keepalive_on),
                        container: None,
                    })),
                });
            }
            for v in conf.vhosts {
                for (ep, span) in v.addrs {
                    out.push(Listener {
                        endpoint: ep,
                        kind: KIND,
                        name: v.name.as_deref().unwrap_or("httpd vhost").into(),
                        span: Some(span),
                        socket: None,
                        pool: None,
                        backend: Some(Box::new(Backend {
                            request_timeout: None,
                            keepalive: limit(
                                v.keepalive.or(keepalive),
                                v.keepalive_on.unwrap_or(keepalive_on),
                            ),
                            container: None,
                        })),
                    });
                }
            }
        }
    }
}

struct VHost {
    addrs: Vec<(Endpoint, Span)>,
    name: Option<String>,
    keepalive: Option<(u64, Span)>,
    keepalive_on: Option<bool>,
}

#[derive(Default)]
struct Conf {
    listens: Vec<(Endpoint, Span)>,
    vhosts: Vec<VHost>,
    keepalive: Option<(u64, Span)>,
    keepalive_on: Option<bool>,
}

/// `Listen` / `<VirtualHost>` addresses: `80`, `*:80`, `[::]:80`,
/// `_default_:443`, `127.0.0.1:8080`. An address without a port (a
/// VirtualHost matching every Listen port) is skipped.
fn address(a: &str) -> Option<Endpoint> {
    let a = a.trim_end_matches('>');
    let a = a
        .strip_prefix("_default_")
        .map_or(a.to_string(), |r| format!("*{r}"));
    match parse_host_port(&a, None)? {
        Endpoint::Tcp(Host::Name(n), p) if n == "_default_" => Some(Endpoint::Tcp(Host::Any, p)),
        ep @ Endpoint::Tcp(..) => Some(ep),
        Endpoint::Unix(_) => None,
    }
}

/// `5`, `500ms` → milliseconds.
fn timeout_ms(v: &str) -> Option<u64> {
    let v = v.trim();
    match v.strip_suffix("ms") {
        Some(ms) => ms.trim().parse().ok(),
        None => v.parse::<u64>().ok().map(|s| s.saturating_mul(1000)),
    }
}

fn parse(id: FileId, text: &str) -> Conf {
    let mut conf = Conf::default();
    let mut vhost: Option<VHost> = None;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        let at = pos + (line.len() - t.len());
        pos += raw.len();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut words = t.split_whitespace();
        let Some(head) = words.next() else { continue };
        let lower = head.to_ascii_lowercase();
        let line_span = Span::new(id, at, at + t.trim_end().len());
        match lower.as_str() {
            "<virtualhost" => {
                let addrs = words
                    .filter_map(|w| address(w).map(|ep| (ep, line_span)))
                    .collect();
                vhost = Some(VHost {
                    addrs,
                    name: None,
                    keepalive: None,
                    keepalive_on: None,
                });
            }
            "</virtualhost>" => {
                if let Some(v) = vhost.take() {
                    conf.vhosts.push(v);
                }
            }
            "listen" => {
                if let Some(ep) = words.next().and_then(address) {
                    conf.listens.push((ep, line_span));
                }
            }
            "servername" => {
                if let Some(v) = vhost.as_mut() {
                    v.name = words.next().map(str::to_string);
                }
            }
            "keepalivetimeout" => {
                let ka = words.next().and_then(timeout_ms).map(|ms| (ms, line_span));
                match vhost.as_mut() {
                    Some(v) => v.keepalive = ka,
                    None => conf.keepalive = ka,
                }
            }
            "keepalive" => {
                let on = words.next().map(|w| w.eq_ignore_ascii_case("on"));
                match vhost.as_mut() {
                    Some(v) => v.keepalive_on = on,
                    None => conf.keepalive_on = on,
                }
            }
            _ => {}
        }
    }
    if let Some(v) = vhost {
        conf.vhosts.push(v);
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_vhosts() {
        let src = "Listen 127.0.0.1:8080\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\nKeepAliveTimeout 15\n<VirtualHost *:8080>\n  ServerName shop.example\n</VirtualHost>\n";
        let c = parse(FileId(0), src);
        assert_eq!(c.listens.len(), 2);
        assert_eq!(c.listens[1].0, Endpoint::Tcp(Host::Any, 443));
        assert_eq!(c.keepalive.map(|k| k.0), Some(15_000));
        assert_eq!(c.vhosts[0].name.as_deref(), Some("shop.example"));
        assert_eq!(
            address("_default_:443"),
            Some(Endpoint::Tcp(Host::Any, 443))
        );
        assert!(Apache.claims(Path::new("ports.conf"), "Listen 80\n", false));
        assert!(!Apache.claims(Path::new("default"), "server {\n listen 80;\n}\n", false));
    }
}
