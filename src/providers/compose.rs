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
use std::sync::Arc;

use super::compose_networks;
use super::compose_vars::{self, VarCache};
use super::interpolation::{self, Unresolved, Vars};
use super::network::{Attached, Network, NetworkHost, NginxService, Ports, Profiles, VarNote};
use super::yaml::{self, Node, Y};
use super::{
    Backend, Container, Listener, ListenerKind, ListenerProvider, cmdline, file_name, images,
};
use crate::address::{Endpoint, Host};
use crate::dockerfile;
use crate::loaded::Loaded;
use crate::model::Model;
use crate::source::{FileId, SourceFile, Span};
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
            // A project file may hold only `include:`s (laradock's).
            && head
                .lines()
                .any(|l| matches!(l.trim_end(), "services:" | "include:"))
    }

    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for s in analyse(loaded).0 {
            s.listeners(out);
        }
    }
}

/// One service of one Compose file (with the base file's definition
/// behind an override's), as far as the network goes.
struct Service {
    name: String,
    project: Arc<Path>,
    names: Vec<String>,
    ports: Option<Ports>,
    /// Container ports with the line that tells (for listeners).
    container_ports: Vec<(u16, Option<Span>)>,
    published: Vec<Published>,
    /// The container runs php-fpm: an fpm image, or a build whose context
    /// is this directory (real path; matched against pool files).
    fpm_image: bool,
    build_context: Option<PathBuf>,
    backend: Backend,
    nginx: Option<NginxService>,
    /// `links: ["db:database"]`: another service reached by an alias.
    links: Vec<(String, String)>,
    networks: Option<Attached>,
    profiles: Profiles,
}

impl Service {
    fn listeners(&self, out: &mut Vec<Listener>) {
        for (port, sp) in &self.container_ports {
            for n in &self.names {
                out.push(Listener {
                    endpoint: Endpoint::Tcp(Host::Name(n.clone()), *port),
                    kind: KIND,
                    name: self.name.as_str().into(),
                    span: *sp,
                    socket: None,
                    pool: None,
                    backend: Some(Box::new(self.backend.clone())),
                });
            }
        }
        for (host, port, sp, _) in &self.published {
            out.push(Listener {
                endpoint: Endpoint::Tcp(host.clone(), *port),
                kind: KIND,
                name: format!("{} (published)", self.name).into(),
                span: Some(*sp),
                socket: None,
                pool: None,
                backend: Some(Box::new(self.backend.clone())),
            });
        }
    }
}

/// A container port Compose publishes on the host, of a service that runs
/// php-fpm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedFpm {
    pub service: String,
    pub container_port: u16,
    pub host_port: u16,
    /// The `ports` entry.
    pub span: Span,
}

/// The container ports published on the host (on an address other than
/// loopback) by services that run php-fpm: an fpm image (`php:8.3-fpm`, `wordpress:fpm`, …) or a build
/// whose context holds one of `fpm_files` (real paths).
pub fn published_fpm(loaded: &Loaded, fpm_files: &[PathBuf]) -> Vec<PublishedFpm> {
    let mut out = Vec::new();
    for s in analyse(loaded).0 {
        let builds_pool = s
            .build_context
            .as_ref()
            .is_some_and(|c| fpm_files.iter().any(|f| f.starts_with(c)));
        if !s.fpm_image && !builds_pool {
            continue;
        }
        // Published on the host's loopback only: not reachable from the
        // network.
        for (_, host_port, span, container_port) in
            s.published.iter().filter(|p| !p.0.is_loopback())
        {
            out.push(PublishedFpm {
                service: s.name.clone(),
                container_port: *container_port,
                host_port: *host_port,
                span: *span,
            });
        }
    }
    out
}

/// Every project's host names and nginx services (see [`super::network`]).
pub fn network(loaded: &Loaded) -> Network {
    let (services, notes, open) = analyse(loaded);
    let mut net = Network {
        notes,
        open,
        ..Network::default()
    };
    for s in &services {
        for n in &s.names {
            let known = net
                .hosts
                .iter_mut()
                .find(|h| h.project == s.project && &h.name == n);
            match known {
                // The same service in another file of the project (an
                // alternative such as docker-compose.prod.yml): what
                // either says it listens on.
                Some(h) => {
                    h.ports = union(h.ports.take(), s.ports.clone());
                    h.networks = join(h.networks.take(), s.networks.clone());
                    // Defined without profiles in one file: always enabled.
                    if s.profiles.names.is_empty() {
                        h.profiles = Profiles::default();
                    } else if !h.profiles.names.is_empty() {
                        h.profiles.names.extend(s.profiles.names.iter().cloned());
                    }
                }
                None => net.hosts.push(NetworkHost {
                    name: n.clone(),
                    service: s.name.as_str().into(),
                    project: s.project.clone(),
                    ports: s.ports.clone(),
                    networks: s.networks.clone(),
                    profiles: s.profiles.clone(),
                }),
            }
        }
    }
    for s in services {
        for (target, alias) in &s.links {
            let linked = net
                .hosts
                .iter()
                .find(|h| h.project == s.project && &h.name == target)
                .cloned();
            if let Some(h) = linked {
                net.hosts.push(NetworkHost {
                    name: alias.clone(),
                    ..h
                });
            }
        }
        net.nginx.extend(s.nginx);
    }
    net
}

/// The same service in two files of a project: on the networks either
/// lists (unknown when either is).
fn join(a: Option<Attached>, b: Option<Attached>) -> Option<Attached> {
    let (mut a, b) = (a?, b?);
    for n in b.names {
        if !a.names.contains(&n) {
            a.names.push(n);
        }
    }
    a.span = a.span.or(b.span);
    Some(a)
}

fn union(a: Option<Ports>, b: Option<Ports>) -> Option<Ports> {
    let (mut a, b) = (a?, b?);
    if a == b {
        return Some(a);
    }
    for p in b.ports {
        if !a.ports.contains(&p) {
            a.ports.push(p);
        }
    }
    a.evidence = format!("{}; {}", a.evidence, b.evidence);
    a.span = a.span.or(b.span);
    a.loopback = a.loopback && b.loopback;
    Some(a)
}

/// What one file's services are: an override file
/// (`compose.override.yaml`, `docker-compose.override.yml`) is read over
/// the base file of its directory, as `docker compose` merges them.
struct FileCx<'l> {
    loaded: &'l Loaded,
    id: FileId,
    f: &'l SourceFile,
    dir: PathBuf,
    /// The project's directory: the file's own, or that of the file that
    /// `include:`s it.
    project: PathBuf,
    nginx_files: &'l [PathBuf],
    /// Every analysed file (php-fpm pools and service configs too): an
    /// image built FROM nginx may copy those in beside nginx.
    all_files: &'l [PathBuf],
    /// Values interpolation left unknown, in every file.
    unknown: &'l [(FileId, Unresolved)],
    /// The networks the file declares `external`.
    external: Vec<String>,
}

/// Every file's services, the notes on its variables, and the projects
/// whose hosts are not all known.
fn analyse(loaded: &Loaded) -> (Vec<Service>, Vec<VarNote>, Vec<Arc<Path>>) {
    let raw: Vec<Parsed<'_>> = super::files_of(loaded, NAME)
        .map(|(id, f, text)| (id, f, yaml::parse(text)))
        .collect();
    if raw.is_empty() {
        return (Vec::new(), Vec::new(), Vec::new());
    }
    let mut included = includes(loaded, &raw);
    let (mut unknown, mut notes, mut cache) = (Vec::new(), Vec::new(), VarCache::default());
    let files: Vec<Parsed<'_>> = raw
        .into_iter()
        .map(|(id, f, root)| {
            let real = normalize(&f.real);
            let inc = included.iter().find(|i| i.real == real);
            let vars = cache.vars(loaded, &real, inc);
            let root = root
                .and_then(|n| compose_vars::interpolate(id, n, &vars, &mut unknown, &mut notes));
            (id, f, root)
        })
        .collect();
    // Projects with an include that cannot be read: hosts may be missing.
    let open: Vec<Arc<Path>> = included
        .iter()
        .filter(|i| i.missing)
        .map(|i| Arc::from(i.by.as_path()))
        .collect();
    let vars: Vec<Vars> = included
        .iter()
        .map(|i| cache.vars(loaded, &i.real, Some(i)))
        .collect();
    for (inc, vars) in included.iter_mut().zip(&vars) {
        // Not loaded by the run: only its host names are read, and no
        // note points into it.
        inc.doc = inc.doc.take().and_then(|n| {
            let mut r = interpolation::Report::default();
            interpolation::tree(n, vars, &mut Vec::new(), &mut r)
        });
    }
    let services = services(loaded, &files, &included, &unknown);
    (services, notes, open)
}

/// A file a project's `include:` names.
pub(super) struct Included {
    /// Its real path.
    real: PathBuf,
    /// The including file's directory.
    pub(super) by: PathBuf,
    /// The document, when the run did not load the file itself.
    doc: Option<Node>,
    /// `env_file:` of the include (real paths); none: the `.env` of its
    /// project directory.
    pub(super) env_files: Vec<PathBuf>,
    /// `project_directory:`: where its relative paths start (real path).
    pub(super) project_dir: Option<PathBuf>,
    /// Neither loaded nor readable: its services are unknown.
    missing: bool,
}

fn services(
    loaded: &Loaded,
    files: &[Parsed<'_>],
    included: &[Included],
    unknown: &[(FileId, Unresolved)],
) -> Vec<Service> {
    // The analysed nginx files, to recognise a container that mounts
    // them (listed only when there is a Compose file: normalising every
    // path of a large tree is not free).
    let nginx_files: Vec<PathBuf> = loaded
        .files
        .iter()
        .map(|pf| normalize(&loaded.sources.get(pf.file).real))
        .collect();
    let all_files: Vec<PathBuf> = loaded
        .sources
        .iter()
        .map(|(_, f)| normalize(&f.real))
        .collect();
    let mut out = Vec::new();
    for (id, f, root) in files {
        let Some(services) = root.as_ref().and_then(|r| r.get("services")) else {
            continue;
        };
        let real = normalize(&f.real);
        let inc = included.iter().find(|i| i.real == real);
        let dir = inc
            .and_then(|i| i.project_dir.clone())
            .or_else(|| f.real.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let project = inc.map_or_else(|| dir.clone(), |i| i.by.clone());
        let is_override = file_name(&f.real).contains(".override.");
        let bases: Vec<&Node> = files
            .iter()
            .filter(|(_, g, _)| {
                is_override
                    && g.real.parent() == f.real.parent()
                    && !file_name(&g.real).contains(".override.")
            })
            .filter_map(|(_, _, r)| r.as_ref()?.get("services"))
            .collect();
        let cx = FileCx {
            loaded,
            id: *id,
            f,
            dir,
            project,
            nginx_files: &nginx_files,
            all_files: &all_files,
            unknown,
            external: compose_networks::external(root.as_ref()),
        };
        for (k, svc) in services.entries() {
            let Some(name) = k.as_str() else { continue };
            let mut chain = vec![svc];
            chain.extend(bases.iter().filter_map(|b| b.get(name)));
            extends(&cx, services, files, &mut chain);
            out.push(service(&cx, name, &chain));
        }
    }
    // Included files the run did not load (not named like a Compose
    // file): their services are hosts of the project, ports unknown.
    for Included { by, doc, .. } in included {
        let Some(services) = doc.as_ref().and_then(|r| r.get("services")) else {
            continue;
        };
        for (k, svc) in services.entries() {
            let Some(name) = k.as_str() else { continue };
            out.push(Service {
                name: name.to_string(),
                project: Arc::from(by.as_path()),
                names: reach_names(name, &[svc]),
                ports: None,
                container_ports: Vec::new(),
                published: Vec::new(),
                fpm_image: false,
                build_context: None,
                backend: Backend::default(),
                nginx: None,
                links: Vec::new(),
                networks: None,
                // Not a loaded file: no line to point at.
                profiles: Profiles {
                    span: None,
                    ..compose_networks::profiles(FileId(0), &[svc])
                },
            });
        }
    }
    out
}

/// A parsed Compose file.
type Parsed<'l> = (FileId, &'l SourceFile, Option<Node>);

/// The files a project's `include:` names (`- path`, `- path: x` or a list
/// of paths; Compose specification, include): (real path, the including
/// file's directory, the document when the run did not load it itself).
fn includes(loaded: &Loaded, files: &[Parsed<'_>]) -> Vec<Included> {
    let mut out = Vec::new();
    for (_, f, root) in files {
        let dir = f.real.parent().map(Path::to_path_buf).unwrap_or_default();
        let entries = root
            .as_ref()
            .and_then(|r| r.get("include"))
            .map(Node::items)
            .unwrap_or_default();
        for e in entries {
            let paths: Vec<&str> = match e.get("path").map(|p| &p.y) {
                Some(Y::Scalar(p)) => vec![p.as_str()],
                Some(Y::Seq(items)) => items.iter().filter_map(Node::as_str).collect(),
                _ => e.as_str().into_iter().collect(),
            };
            let env_files: Vec<PathBuf> = match e.get("env_file").map(|p| &p.y) {
                Some(Y::Scalar(p)) => vec![normalize(&dir.join(p))],
                Some(Y::Seq(items)) => items
                    .iter()
                    .filter_map(Node::as_str)
                    .map(|p| normalize(&dir.join(p)))
                    .collect(),
                _ => Vec::new(),
            };
            let project_dir = e
                .get("project_directory")
                .and_then(Node::as_str)
                .map(|p| normalize(&dir.join(p)));
            for p in paths {
                let real = normalize(&dir.join(p));
                let loaded_already = files.iter().any(|(_, g, _)| normalize(&g.real) == real);
                let doc = if loaded_already {
                    None
                } else {
                    read(loaded, &real).and_then(|t| yaml::parse(&t))
                };
                out.push(Included {
                    missing: !loaded_already && doc.is_none(),
                    real,
                    by: dir.clone(),
                    doc,
                    env_files: env_files.clone(),
                    project_dir: project_dir.clone(),
                });
            }
        }
    }
    out
}

/// A file next to the Compose file, through the run's file system (its
/// view: the repository, or --root).
pub(super) fn read(loaded: &Loaded, real: &Path) -> Option<String> {
    let cfg = match &loaded.root {
        Some(root) => Path::new("/").join(real.strip_prefix(root).ok()?),
        None => real.to_path_buf(),
    };
    let bytes = crate::vfs::Fs::read(&loaded.real_fs(), &cfg).ok()?;
    String::from_utf8(bytes.to_vec()).ok()
}

/// The services a service `extends` (`extends: base`, or `service` and
/// `file` of a loaded Compose file), appended to its chain: what it does
/// not set, it inherits (a few levels deep).
fn extends<'n>(
    cx: &FileCx<'_>,
    services: &'n Node,
    files: &'n [Parsed<'_>],
    chain: &mut Vec<&'n Node>,
) {
    for _ in 0..4 {
        let Some(e) = chain.last().and_then(|n| n.get("extends")) else {
            return;
        };
        let (name, file) = match &e.y {
            Y::Scalar(s) => (s.as_str(), None),
            _ => (
                e.get("service").and_then(scalar).unwrap_or_default(),
                e.get("file").and_then(scalar),
            ),
        };
        let from = match file {
            None => Some(services),
            Some(f) => {
                let real = normalize(&cx.dir.join(f));
                files
                    .iter()
                    .find(|(_, g, _)| normalize(&g.real) == real)
                    .and_then(|(_, _, r)| r.as_ref()?.get("services"))
            }
        };
        match from.and_then(|s| s.get(name)) {
            Some(base) if !chain.iter().any(|c| std::ptr::eq(*c, base)) => chain.push(base),
            _ => return,
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

/// A key of a service, looked up along its chain (override first).
fn get<'n>(chain: &[&'n Node], key: &str) -> Option<&'n Node> {
    chain.iter().find_map(|n| n.get(key))
}

fn service(cx: &FileCx<'_>, name: &str, chain: &[&Node]) -> Service {
    let svc = chain[0];
    let image = get(chain, "image");
    let image_text = image.and_then(scalar).unwrap_or_default();
    let build = build_stage(cx, chain);
    // The build's base image (with `build:`, `image:` only names the
    // result), or the image's repository and tag.
    let from = build.as_ref().map_or(image_text, |b| b.stage.from.as_str());
    let (repo, tag) = (dockerfile::image_repo(from), dockerfile::image_tag(from));
    let nginx_image = images::is_nginx(&repo);
    let fpm_image = images::is_fpm(&repo, &tag);
    let env = environment(cx, chain, build.as_ref());
    let decisive = command_ports(cx, chain, build.as_ref(), &env);
    let (mut container_ports, published) = written_ports(cx.id, svc);
    let mut container_ports: Vec<(u16, Option<Span>)> = container_ports
        .drain(..)
        .map(|(p, s)| (p, Some(s)))
        .collect();
    let mut weak: Vec<String> = container_ports
        .iter()
        .filter_map(|(p, s)| Some(format!("{p} ({})", at(cx, (*s)?))))
        .collect();
    if let Some(p) = env_port(cx.id, svc) {
        weak.push(format!("PORT={} ({})", p.0, at(cx, p.1)));
        container_ports.push((p.0, Some(p.1)));
    }
    if let Some(b) = &build {
        for &(p, line) in &b.stage.expose {
            weak.push(format!("EXPOSE {p} ({}:{line})", b.display));
            container_ports.push((p, None));
        }
    }
    if container_ports.is_empty()
        && let Some((p, src)) = images::default_port(&repo, &tag)
    {
        weak.push(format!("{p} ({src})"));
        container_ports.push((p, image.map(|i| span(cx.id, i))));
    }
    let ports = match decisive {
        // A value interpolation left unknown may be what decides.
        _ if compose_vars::ports_unknown(cx.unknown, cx.id, name) => None,
        Some(d) => {
            container_ports = d.ports.iter().map(|&p| (p, d.span)).collect();
            Some(d)
        }
        None if container_ports.is_empty() => None,
        None => Some(Ports {
            ports: dedup(container_ports.iter().map(|c| c.0).collect()),
            evidence: weak.join(", "),
            span: container_ports.iter().find_map(|c| c.1),
            loopback: false,
        }),
    };
    let mut seen = Vec::new();
    container_ports.retain(|(p, _)| {
        !seen.contains(p) && {
            seen.push(*p);
            true
        }
    });
    let project: Arc<Path> = Arc::from(cx.project.as_path());
    let nginx = nginx_service(cx, name, chain, nginx_image, build.as_ref(), &project);
    let backend = backend(cx, name, chain, nginx.as_ref(), nginx_image);
    Service {
        name: name.to_string(),
        project,
        names: reach_names(name, chain),
        ports,
        container_ports,
        published,
        fpm_image,
        build_context: build.as_ref().map(|b| b.context.clone()),
        backend,
        nginx,
        links: links(chain),
        networks: compose_networks::attached(cx.id, chain),
        profiles: compose_networks::profiles(cx.id, chain),
    }
}

/// `external_links` (`CONTAINER` or `CONTAINER:ALIAS`): containers outside
/// the project the service reaches by these names (lower case).
fn external_links(chain: &[&Node]) -> Vec<String> {
    get(chain, "external_links")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .flat_map(|l| l.split(':'))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// `links` entries `SERVICE:ALIAS` (a bare `SERVICE` adds no name).
fn links(chain: &[&Node]) -> Vec<(String, String)> {
    get(chain, "links")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|l| l.as_str()?.split_once(':'))
        .map(|(s, a)| (s.to_ascii_lowercase(), a.to_ascii_lowercase()))
        .collect()
}

fn dedup(mut v: Vec<u16>) -> Vec<u16> {
    let mut seen = Vec::new();
    v.retain(|p| {
        !seen.contains(p) && {
            seen.push(*p);
            true
        }
    });
    v
}

/// `compose.yaml:12` for a span of the Compose file.
fn at(cx: &FileCx<'_>, s: Span) -> String {
    let (line, _) = cx.loaded.sources.start_of(s);
    format!("{}:{line}", cx.f.display)
}

/// A build's Dockerfile stage, and the Dockerfile as the user sees it.
struct Build {
    stage: dockerfile::Stage,
    display: String,
    /// The build context (real path).
    context: PathBuf,
}

/// The stage a `build:` makes (context, `dockerfile`, `target`), read
/// through the run's file system; None when there is no build or its
/// Dockerfile cannot be read.
fn build_stage(cx: &FileCx<'_>, chain: &[&Node]) -> Option<Build> {
    let b = get(chain, "build")?;
    let (context, file, target) = match &b.y {
        Y::Scalar(c) => (c.as_str(), "Dockerfile", None),
        Y::Map(_) => (
            b.get("context").and_then(scalar).unwrap_or("."),
            b.get("dockerfile").and_then(scalar).unwrap_or("Dockerfile"),
            b.get("target").and_then(scalar),
        ),
        Y::Seq(_) => return None,
    };
    if context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let context_real = normalize(&cx.dir.join(context));
    let real = normalize(&context_real.join(file));
    let text = read(cx.loaded, &real)?;
    let stages = dockerfile::parse(&text);
    let stage = dockerfile::stage(&stages, target)?.clone();
    let display_dir = Path::new(&cx.f.display)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let display = normalize(&display_dir.join(context).join(file))
        .display()
        .to_string();
    Some(Build {
        stage,
        display,
        context: context_real,
    })
}

/// The environment the container's command runs with: the Compose
/// `environment` over its `env_file`s over the image's `ENV`.
fn environment(cx: &FileCx<'_>, chain: &[&Node], build: Option<&Build>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(b) = build {
        env.extend(b.stage.env.iter().map(|(k, v, _)| (k.clone(), v.clone())));
    }
    let files: Vec<&str> = match get(chain, "env_file") {
        Some(n) => match &n.y {
            Y::Scalar(s) => vec![s.as_str()],
            Y::Seq(items) => items
                .iter()
                .filter_map(|i| i.as_str().or_else(|| i.get("path")?.as_str()))
                .collect(),
            Y::Map(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    for f in files {
        if let Some(text) = read(cx.loaded, &normalize(&cx.dir.join(f))) {
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with('#') {
                    continue;
                }
                if let Some((k, v)) = line.split_once('=') {
                    let v = v.trim().trim_matches(['"', '\'']);
                    env.push((k.trim().to_string(), v.to_string()));
                }
            }
        }
    }
    if let Some(e) = get(chain, "environment") {
        match &e.y {
            Y::Map(entries) => {
                for (k, v) in entries {
                    if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                        env.push((k.to_string(), v.to_string()));
                    }
                }
            }
            Y::Seq(items) => {
                for i in items {
                    if let Some((k, v)) = i.as_str().and_then(|s| s.split_once('=')) {
                        env.push((k.to_string(), v.to_string()));
                    }
                }
            }
            Y::Scalar(_) => {}
        }
    }
    env
}

/// The words of a Compose `command`/`entrypoint` (a list, or a string
/// split as a shell would, without running one).
fn compose_words(n: &Node) -> Vec<String> {
    match &n.y {
        Y::Scalar(s) => dockerfile::shell_words(s),
        Y::Seq(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Y::Map(_) => Vec::new(),
    }
}

/// What the container's command line (or `ASPNETCORE_URLS`) makes it
/// listen on: the strongest evidence, which decides alone.
fn command_ports(
    cx: &FileCx<'_>,
    chain: &[&Node],
    build: Option<&Build>,
    env: &[(String, String)],
) -> Option<Ports> {
    let lookup = |k: &str| {
        env.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let cmd = get(chain, "command");
    let entry = get(chain, "entrypoint");
    let stage = build.map(|b| &b.stage);
    // Compose's entrypoint replaces the image's and drops its CMD; its
    // command replaces the image's CMD only.
    let (words, span, where_) = match (entry, cmd) {
        (Some(e), c) => {
            let mut w = compose_words(e);
            w.extend(c.map(compose_words).unwrap_or_default());
            let s = span(cx.id, c.unwrap_or(e));
            (w, Some(s), at(cx, s))
        }
        (None, Some(c)) => {
            let mut w = stage
                .and_then(|s| s.entrypoint.as_ref())
                .map(|e| e.0.clone())
                .unwrap_or_default();
            w.extend(compose_words(c));
            let s = span(cx.id, c);
            (w, Some(s), at(cx, s))
        }
        (None, None) => {
            let (w, line) = stage.and_then(dockerfile::Stage::command)?;
            (
                w,
                None,
                format!("{}:{line}", build.map_or("", |b| b.display.as_str())),
            )
        }
    };
    if let Some(l) = cmdline::listen(&words, &lookup) {
        let mut evidence = format!("`{}` ({where_})", l.words);
        // The variables the server read its port or host from.
        for key in [
            "FLASK_RUN_PORT",
            "FLASK_RUN_HOST",
            "UVICORN_PORT",
            "UVICORN_HOST",
        ] {
            if l.server.starts_with(&key[..4].to_ascii_lowercase())
                && let Some(v) = lookup(key)
            {
                let sep = if evidence.contains(" with ") {
                    ","
                } else {
                    " with"
                };
                let origin = env_origin(cx, chain, build, key);
                evidence.push_str(&format!("{sep} {key}={v}{origin}"));
            }
        }
        return Some(Ports {
            ports: l.ports,
            evidence,
            span,
            loopback: l.loopback,
        });
    }
    let urls = lookup("ASPNETCORE_URLS")?;
    let ports = cmdline::urls_ports(&urls);
    let span = env_span(cx, chain, "ASPNETCORE_URLS");
    let where_ = span
        .map(|s| format!(" ({})", at(cx, s)))
        .unwrap_or_default();
    (!ports.is_empty()).then(|| Ports {
        ports,
        evidence: format!("ASPNETCORE_URLS={urls}{where_}"),
        span,
        loopback: urls.split(';').all(cmdline::is_loopback),
    })
}

/// ` (compose.yaml:12)` or ` (backend/Dockerfile:15)`: where a variable
/// the command reads is set, when the Compose file or the Dockerfile does.
fn env_origin(cx: &FileCx<'_>, chain: &[&Node], build: Option<&Build>, key: &str) -> String {
    if let Some(s) = env_span(cx, chain, key) {
        return format!(" ({})", at(cx, s));
    }
    build
        .and_then(|b| {
            let (_, _, line) = b.stage.env.iter().rev().find(|(k, _, _)| k == key)?;
            Some(format!(" ({}:{line})", b.display))
        })
        .unwrap_or_default()
}

/// Where the Compose `environment` sets `key` (map or list form).
fn env_span(cx: &FileCx<'_>, chain: &[&Node], key: &str) -> Option<Span> {
    let env = get(chain, "environment")?;
    let n = match &env.y {
        Y::Map(_) => env.get(key),
        Y::Seq(items) => items.iter().find(|i| {
            i.as_str()
                .and_then(|s| s.split_once('='))
                .is_some_and(|(k, _)| k == key)
        }),
        Y::Scalar(_) => None,
    }?;
    Some(span(cx.id, n))
}

/// The service when it runs the analysed nginx: its image is nginx (or
/// built `FROM nginx`) and it mounts or copies analysed nginx files.
fn nginx_service(
    cx: &FileCx<'_>,
    name: &str,
    chain: &[&Node],
    nginx_image: bool,
    build: Option<&Build>,
    project: &Arc<Path>,
) -> Option<NginxService> {
    let mut files: Vec<PathBuf> = get(chain, "volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| mounted_nginx(&cx.dir, v, cx.nginx_files))
        .collect();
    if let Some(b) = build.filter(|_| nginx_image) {
        // Through copies_in, so a wildcard source (`COPY ./nginx/*.conf
        // /etc/nginx/conf.d/`) counts as well as a named file or directory.
        files.extend(
            cx.all_files
                .iter()
                .filter(|f| b.stage.copies_in(&b.context, f))
                .cloned(),
        );
    }
    if files.is_empty() {
        return None;
    }
    let mut extra_hosts = external_links(chain);
    extra_hosts.extend(match get(chain, "extra_hosts").map(|n| &n.y) {
        Some(Y::Seq(items)) => items
            .iter()
            .filter_map(|i| i.as_str()?.split([':', '=']).next())
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        Some(Y::Map(entries)) => entries
            .iter()
            .filter_map(|(k, _)| k.as_str().map(str::to_ascii_lowercase))
            .collect(),
        _ => Vec::new(),
    });
    Some(NginxService {
        project: project.clone(),
        service: name.to_string(),
        files,
        own_network: get(chain, "network_mode").is_none(),
        extra_hosts,
        networks: compose_networks::attached(cx.id, chain),
        external: compose_networks::attached(cx.id, chain)
            .is_some_and(|a| a.names.iter().any(|n| cx.external.contains(n))),
        profiles: compose_networks::profiles(cx.id, chain),
    })
}

/// The service as a backend: its container, whether it runs nginx (an
/// nginx image, built `FROM nginx`, or a volume mounting the analysed
/// nginx files) and whether it has its own network namespace.
fn backend(
    cx: &FileCx<'_>,
    name: &str,
    chain: &[&Node],
    nginx: Option<&NginxService>,
    nginx_image: bool,
) -> Backend {
    let image = get(chain, "image");
    let mount = get(chain, "volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|v| mounted_nginx(&cx.dir, v, cx.nginx_files).is_some());
    let runs_nginx = nginx_image || mount.is_some() || nginx.is_some();
    let nginx_span = mount.map(|m| span(cx.id, m)).or_else(|| {
        nginx_image
            .then(|| {
                image
                    .or_else(|| get(chain, "build"))
                    .map(|i| span(cx.id, i))
            })
            .flatten()
    });
    let network_mode = get(chain, "network_mode").and_then(scalar);
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
/// `container_name`, its `hostname`, its network aliases.
fn reach_names(name: &str, chain: &[&Node]) -> Vec<String> {
    let mut names = vec![name.to_ascii_lowercase()];
    for key in ["container_name", "hostname"] {
        if let Some(c) = get(chain, key).and_then(scalar) {
            names.push(c.to_ascii_lowercase());
        }
    }
    if let Some(nets) = get(chain, "networks") {
        for (_, net) in nets.entries() {
            for a in net.get("aliases").map(Node::items).unwrap_or_default() {
                if let Some(a) = scalar(a) {
                    names.push(a.to_ascii_lowercase());
                }
            }
        }
    }
    let mut seen = Vec::new();
    names.retain(|n| {
        !seen.contains(n) && {
            seen.push(n.clone());
            true
        }
    });
    names
}

/// A port published on the host: address, port, where it is written, and
/// the container port it forwards to.
type Published = (Host, u16, Span, u16);

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
                        published.push((host, hp, span(id, p), cport));
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
                    published.push((host, hp, span(id, p), target));
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

/// The host path of a volume that mounts one of the analysed nginx files
/// (or a directory holding one) into the container.
fn mounted_nginx(dir: &Path, v: &Node, nginx_files: &[PathBuf]) -> Option<PathBuf> {
    let source = match &v.y {
        Y::Scalar(s) => {
            let mut parts = s.splitn(3, ':');
            let src = parts.next().unwrap_or_default();
            let target = parts.next().unwrap_or_default();
            if !target.contains("nginx") {
                return None;
            }
            src.to_string()
        }
        Y::Map(_) => {
            let target = v.get("target").and_then(scalar).unwrap_or_default();
            if !target.contains("nginx") {
                return None;
            }
            v.get("source")
                .and_then(scalar)
                .unwrap_or_default()
                .to_string()
        }
        Y::Seq(_) => return None,
    };
    if !(source.starts_with('.') || source.starts_with('/')) {
        return None; // a named volume
    }
    let host = normalize(&dir.join(&source));
    nginx_files
        .iter()
        .any(|f| f.starts_with(&host))
        .then_some(host)
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
