//! Docker Compose: `compose.yaml`, `docker-compose.yml` and their
//! overrides. Each service is reachable from the other containers by its
//! name (and `container_name`, network `aliases`) on its container ports;
//! published `ports` listen on the host.
//!
//! From the Compose specification: `ports` short form
//! `[HOST:]CONTAINER[/PROTOCOL]` or `HOST_IP:HOST:CONTAINER`, long form
//! `target`/`published`/`host_ip`/`protocol`; `expose` lists container
//! ports; `networks.<net>.aliases` adds names; `network_mode` (`host`,
//! `service:x`) replaces the container's own network namespace. Container
//! ports not written in the file come from the image's `EXPOSE` for the
//! official images nginx (80), httpd (80) and php `*-fpm` (9000), or from a
//! `PORT` environment variable (the convention of Node and most PaaS apps).

use std::path::{Path, PathBuf};

use super::yaml::{self, Node, Y};
use super::{Backend, Container, Listener, ListenerKind, ListenerProvider, file_name};
use crate::address::{Endpoint, Host};
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, Span};
use crate::vfs::normalize;

pub struct Compose;

const NAME: &str = "compose";
const KIND: ListenerKind = ListenerKind::Service("compose service");

impl ListenerProvider for Compose {
    fn name(&self) -> &'static str {
        NAME
    }

    fn claims(&self, path: &Path, head: &str, explicit: bool) -> bool {
        let name = file_name(path);
        let yaml_ext = name.ends_with(".yml") || name.ends_with(".yaml");
        let compose_name = name.starts_with("compose") || name.starts_with("docker-compose");
        ((yaml_ext && compose_name) || explicit)
            && head.lines().any(|l| l.trim_end() == "services:")
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        let mut compose_files = super::files_of(loaded, NAME).peekable();
        if compose_files.peek().is_none() {
            return;
        }
        // The analysed nginx files, to recognise a container that mounts
        // them (listed only when there is a Compose file: normalising every
        // path of a large tree is not free).
        let nginx_files: Vec<PathBuf> = loaded
            .files
            .iter()
            .map(|pf| normalize(&loaded.sources.get(pf.file).real))
            .collect();
        for (id, f, text) in compose_files {
            let Some(root) = yaml::parse(text) else {
                continue;
            };
            let Some(services) = root.get("services") else {
                continue;
            };
            let dir = f.real.parent().map(Path::to_path_buf).unwrap_or_default();
            for (k, svc) in services.entries() {
                let Some(name) = k.as_str() else { continue };
                service(id, &dir, name, k, svc, &nginx_files, out);
            }
        }
    }
}

fn span(id: FileId, n: &Node) -> Span {
    Span::new(id, n.start, n.end.max(n.start))
}

/// A scalar as text (numbers come as their digits).
fn scalar(n: &Node) -> Option<&str> {
    n.as_str()
}

fn service(
    id: FileId,
    dir: &Path,
    name: &str,
    key: &Node,
    svc: &Node,
    nginx_files: &[PathBuf],
    out: &mut Vec<Listener>,
) {
    let image = svc.get("image");
    let image_name = image
        .and_then(scalar)
        .unwrap_or_default()
        .to_ascii_lowercase();
    // `nginx:1.27-alpine`, `nginxinc/nginx-unprivileged`, `openresty/openresty`.
    let repo = image_name.split([':', '@']).next().unwrap_or_default();
    let base = repo.rsplit('/').next().unwrap_or_default();
    let nginx_image = base.starts_with("nginx") || base == "openresty";
    let backend = backend(id, dir, name, svc, nginx_image, nginx_files);
    let names = reach_names(name, svc);
    // Container ports, with the line that tells.
    let (mut container_ports, published) = written_ports(id, svc);
    if let Some(p) = env_port(id, svc) {
        container_ports.push(p);
    }
    if container_ports.is_empty()
        && let Some(i) = image
    {
        let default = if nginx_image || base == "httpd" {
            Some(80)
        } else if base == "php" && image_name.contains("fpm") {
            Some(9000)
        } else {
            None
        };
        if let Some(p) = default {
            container_ports.push((p, span(id, i)));
        }
    }
    let mut seen = Vec::new();
    for (port, sp) in container_ports {
        if seen.contains(&port) {
            continue;
        }
        seen.push(port);
        for n in &names {
            out.push(Listener {
                endpoint: Endpoint::Tcp(Host::Name(n.clone()), port),
                kind: KIND,
                name: name.into(),
                span: Some(sp),
                socket: None,
                pool: None,
                backend: Some(Box::new(backend.clone())),
            });
        }
    }
    for (host, port, sp) in published {
        out.push(Listener {
            endpoint: Endpoint::Tcp(host, port),
            kind: KIND,
            name: format!("{name} (published)").into(),
            span: Some(sp),
            socket: None,
            pool: None,
            backend: Some(Box::new(backend.clone())),
        });
    }
    let _ = key;
}

/// The service as a backend: its container, whether it runs nginx (an
/// nginx image, or a volume mounting the analysed nginx files) and whether
/// it has its own network namespace.
fn backend(
    id: FileId,
    dir: &Path,
    name: &str,
    svc: &Node,
    nginx_image: bool,
    nginx_files: &[PathBuf],
) -> Backend {
    let image = svc.get("image");
    let mount = svc
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|v| mounts_nginx(dir, v, nginx_files));
    let runs_nginx = nginx_image || mount.is_some();
    let nginx_span = mount
        .map(|m| span(id, m))
        .or_else(|| nginx_image.then(|| image.map(|i| span(id, i))).flatten());
    let network_mode = svc.get("network_mode").and_then(scalar);
    Backend {
        request_timeout: None,
        keepalive: None,
        container: Some(Container {
            service: name.to_string(),
            runs_nginx,
            own_network: network_mode.is_none(),
            nginx_span,
        }),
    }
}

/// Names other containers reach the service by: its name, its
/// `container_name` and its network aliases.
fn reach_names(name: &str, svc: &Node) -> Vec<String> {
    let mut names = vec![name.to_ascii_lowercase()];
    if let Some(c) = svc.get("container_name").and_then(scalar) {
        names.push(c.to_ascii_lowercase());
    }
    if let Some(nets) = svc.get("networks") {
        for (_, net) in nets.entries() {
            for a in net.get("aliases").map(Node::items).unwrap_or_default() {
                if let Some(a) = scalar(a) {
                    names.push(a.to_ascii_lowercase());
                }
            }
        }
    }
    names.dedup();
    names
}

/// A port published on the host: address, port, and where it is written.
type Published = (Host, u16, Span);

/// The ports written in `expose` and `ports`: container ports, and ports
/// published on the host (address, port), each with its span.
fn written_ports(id: FileId, svc: &Node) -> (Vec<(u16, Span)>, Vec<Published>) {
    let mut container_ports: Vec<(u16, Span)> = Vec::new();
    let mut published: Vec<Published> = Vec::new();
    for p in svc.get("expose").map(Node::items).unwrap_or_default() {
        if let Some(port) = scalar(p)
            .and_then(|s| s.split('/').next())
            .and_then(|s| s.parse().ok())
        {
            container_ports.push((port, span(id, p)));
        }
    }
    for p in svc.get("ports").map(Node::items).unwrap_or_default() {
        match &p.y {
            Y::Scalar(s) => {
                if let Some((host, hport, cport)) = short_port(s) {
                    container_ports.push((cport, span(id, p)));
                    if let Some(hp) = hport {
                        published.push((host, hp, span(id, p)));
                    }
                }
            }
            Y::Map(_) => {
                if p.get("protocol")
                    .and_then(scalar)
                    .is_some_and(|x| x != "tcp")
                {
                    continue;
                }
                let Some(target) = p
                    .get("target")
                    .and_then(scalar)
                    .and_then(|t| t.parse().ok())
                else {
                    continue;
                };
                container_ports.push((target, span(id, p)));
                if let Some(hp) = p
                    .get("published")
                    .and_then(scalar)
                    .and_then(|x| x.parse().ok())
                {
                    let host = p
                        .get("host_ip")
                        .and_then(scalar)
                        .map_or(Host::Any, Host::parse);
                    published.push((host, hp, span(id, p)));
                }
            }
            Y::Seq(_) => {}
        }
    }
    (container_ports, published)
}

/// The port of a `PORT` environment variable (map or list form).
fn env_port(id: FileId, svc: &Node) -> Option<(u16, Span)> {
    let env = svc.get("environment")?;
    let port = match &env.y {
        Y::Map(_) => env
            .get("PORT")
            .and_then(|v| scalar(v).map(|s| (s.to_string(), v))),
        Y::Seq(items) => items.iter().find_map(|i| {
            scalar(i)
                .and_then(|s| s.strip_prefix("PORT="))
                .map(|p| (p.to_string(), i))
        }),
        Y::Scalar(_) => None,
    };
    let (p, n) = port?;
    let p = p.trim().parse().ok()?;
    Some((p, span(id, n)))
}

/// `3000`, `8080:3000`, `127.0.0.1:8080:3000`, `[::1]:8080:3000`,
/// `8080:3000/tcp`. Ranges and UDP are skipped. Returns (host address,
/// published port, container port).
fn short_port(s: &str) -> Option<(Host, Option<u16>, u16)> {
    let (s, proto) = s.split_once('/').unwrap_or((s, "tcp"));
    if proto != "tcp" || s.contains('-') {
        return None;
    }
    let (rest, container) = s.rsplit_once(':').unwrap_or(("", s));
    let container: u16 = container.parse().ok()?;
    if rest.is_empty() {
        return Some((Host::Any, None, container));
    }
    let (host, published) = match rest.rsplit_once(':') {
        Some((h, p)) => (Host::parse(h), p),
        None => (Host::Any, rest),
    };
    // `127.0.0.1::3000`: a random host port.
    let published = if published.is_empty() {
        None
    } else {
        Some(published.parse().ok()?)
    };
    Some((host, published, container))
}

/// Whether a volume mounts one of the analysed nginx files (or a directory
/// holding one) into the container.
fn mounts_nginx(dir: &Path, v: &Node, nginx_files: &[PathBuf]) -> bool {
    let source = match &v.y {
        Y::Scalar(s) => {
            let mut parts = s.splitn(3, ':');
            let src = parts.next().unwrap_or_default();
            let target = parts.next().unwrap_or_default();
            if !target.contains("nginx") {
                return false;
            }
            src.to_string()
        }
        Y::Map(_) => {
            let target = v.get("target").and_then(scalar).unwrap_or_default();
            if !target.contains("nginx") {
                return false;
            }
            v.get("source")
                .and_then(scalar)
                .unwrap_or_default()
                .to_string()
        }
        Y::Seq(_) => return false,
    };
    if !(source.starts_with('.') || source.starts_with('/')) {
        return false; // a named volume
    }
    let host = normalize(&dir.join(&source));
    nginx_files.iter().any(|f| f.starts_with(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ports() {
        assert_eq!(short_port("3000"), Some((Host::Any, None, 3000)));
        assert_eq!(short_port("8080:80"), Some((Host::Any, Some(8080), 80)));
        assert_eq!(
            short_port("127.0.0.1:8080:80"),
            Some((Host::parse("127.0.0.1"), Some(8080), 80))
        );
        assert_eq!(short_port("53:53/udp"), None);
        assert_eq!(short_port("8000-8010:8000-8010"), None);
    }
}
