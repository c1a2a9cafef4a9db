//! From PATH arguments to parsed, include-expanded nginx trees: discovery,
//! reading through the right file system, root detection, standalone files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::discover::{self, Discovery, Kind};
use crate::loaded::{Loaded, ServiceFile, Skipped, Unit};
use crate::nginx::ast::ParsedFile;
use crate::nginx::context::{self, Ctx};
use crate::nginx::include::{Files, Loader};
use crate::nginx_t;
use crate::source::{FileId, SourceMap};
use crate::vfs::{MemFs, RealFs};

/// What the user asked to lint.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub paths: Vec<PathBuf>,
    /// Text of `-` (stdin), with the name to show.
    pub stdin: Option<(String, Vec<u8>)>,
    pub root: Option<PathBuf>,
    pub prefix: Option<PathBuf>,
    /// php-fpm configuration named explicitly (`--php-fpm`).
    pub php_fpm: Vec<PathBuf>,
    /// php-fpm's install prefix for relative includes (`--php-fpm-prefix`).
    pub php_fpm_prefix: Option<PathBuf>,
    /// Do not look for php-fpm under /etc on a live server.
    pub no_discover: bool,
    /// Services outside the analysed configs (`[[listener]]`).
    pub listeners: Vec<crate::settings::DeclaredListener>,
    /// Other backends' configuration named explicitly (`--service`).
    pub services: Vec<PathBuf>,
    /// `--live`: the run checks this machine, so it reads the host.
    pub live: bool,
    /// What the walk leaves out, each pattern with the directory it is
    /// relative to: `exclude` (None: [`discover::DEFAULT_EXCLUDE`]) and
    /// `extend-exclude`, from the config file and the flags.
    pub exclude: Option<Vec<(String, PathBuf)>>,
    pub extend_exclude: Vec<(String, PathBuf)>,
    /// Leave out excluded files even when named on the command line.
    pub force_exclude: bool,
}

/// Why the run itself failed (exit 2).
#[derive(Debug)]
pub struct InputError(pub String);

pub fn load(inputs: &Inputs) -> Result<Loaded, InputError> {
    let mut loaded = load_inputs(inputs)?;
    loaded.declared = inputs.listeners.clone();
    let mut notes = budget_notes(&loaded);
    loaded.skipped.append(&mut notes);
    Ok(loaded)
}

/// A tree whose includes multiply (a file included twice by a file
/// included twice, …) is walked only up to its budget of directives; say so
/// instead of passing it silently.
fn budget_notes(loaded: &Loaded) -> Vec<Skipped> {
    let budget = loaded.walk_budget();
    loaded
        .units
        .iter()
        .zip(loaded.unit_sizes())
        .filter(|&(_, &size)| size > budget)
        .map(|(u, _)| Skipped {
            path: loaded.sources.get(u.file).display.clone(),
            reason: format!(
                "its include-expanded tree has more than {budget} directives (files included over and over); only the first {budget} are checked"
            ),
        })
        .collect()
}

/// Where the host's own configuration lives: a PATH below one of these
/// (of [`crate::vfs::host_root`]) is the host's, read as the host.
const HOST_DIRS: &[&str] = &[
    "etc",
    "usr/local/etc",
    "usr/local/nginx",
    "usr/local/openresty",
];

/// The run's view (ARCHITECTURE: one deployment view): the host when it
/// lints the host's own configuration (no PATH, or PATHs under /etc and
/// the other system places, or `--live`), otherwise the repository its
/// PATHs are in, read hermetically: nothing outside them and `--root`.
fn decide_view(inputs: &Inputs, paths: &[PathBuf], trees: &[PathBuf]) -> crate::vfs::View {
    let host = crate::vfs::host_root();
    let on_host = inputs.root.is_none()
        && (inputs.live
            || paths.iter().all(|p| {
                let c = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                HOST_DIRS.iter().any(|d| c.starts_with(host.join(d)))
            }));
    if on_host {
        crate::vfs::View::Host
    } else {
        crate::vfs::View::repository(trees)
    }
}

fn load_inputs(inputs: &Inputs) -> Result<Loaded, InputError> {
    if let Some((name, text)) = &inputs.stdin {
        return Ok(load_stdin(name, text));
    }
    // Tests stand a tempdir in for the host's `/`: the host's own
    // configuration is then read as under --root there.
    let host = crate::vfs::host_root();
    let mut inputs = inputs.clone();
    let defaulted = default_paths(&mut inputs, &host);
    let view = decide_view(&inputs, &inputs.paths, &[]);
    if view == crate::vfs::View::Host && inputs.root.is_none() && host != Path::new("/") {
        inputs.root = Some(host.clone());
    }
    let inputs = &inputs;
    let mut disc = Discovery {
        confine: inputs
            .root
            .as_ref()
            .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone())),
        exclude: Some(exclude_of(inputs)?),
        ..Discovery::default()
    };
    let mut phase = crate::timings::Phases::new();
    let mut named = Named::default();
    if let Some(dump) = discover_paths(inputs, &mut disc, &mut named)? {
        return Ok(dump);
    }
    // On a live server, php-fpm sits beside nginx under /etc; so it does
    // under `--root DIR` given alone.
    let live = !inputs.no_discover
        && (defaulted
            || (inputs.root.is_none()
                && inputs.paths.iter().any(|p| p == Path::new("/etc/nginx"))));
    if live {
        discover_live_fpm(inputs, &mut disc);
    }
    // What the user named is theirs to read: php-fpm and service paths,
    // and an explicit conf prefix or php-fpm prefix.
    named.trees.extend(inputs.php_fpm.iter().cloned());
    named.trees.extend(inputs.services.iter().cloned());
    named.trees.extend(inputs.prefix.iter().cloned());
    named.trees.extend(inputs.php_fpm_prefix.iter().cloned());
    add_php_fpm_paths(inputs, &mut disc)?;
    add_service_paths(inputs, &mut disc)?;
    phase.mark("discover");
    let view = match view {
        crate::vfs::View::Host => view,
        crate::vfs::View::Repository { .. } => crate::vfs::View::repository(&named.trees),
    };
    let mut out = load_trees(inputs, &mut disc, view);
    phase.mark("nginx trees");
    keep_notes(&mut out, &mut disc);
    if !named.files.is_empty() {
        out.report_only = Some(reported_ids(&out, &named.files));
    }
    Ok(out)
}

/// With no PATH: `--root DIR` alone lints DIR's /etc/nginx, never the
/// host's; a DIR with only php-fpm (or services) in it lints those. Whether
/// the paths were defaulted.
fn default_paths(inputs: &mut Inputs, host: &Path) -> bool {
    if !inputs.paths.is_empty() {
        return false;
    }
    let base = inputs.root.clone().unwrap_or_else(|| host.to_path_buf());
    let nginx = base.join("etc/nginx");
    let other = !inputs.php_fpm.is_empty()
        || !inputs.services.is_empty()
        || !crate::load_fpm::live_dirs(&base).is_empty();
    if inputs.root.is_none() || nginx.exists() || !other {
        inputs.paths = vec![nginx];
    }
    true
}

/// The walk's exclude patterns: `exclude` (or the defaults) and
/// `extend-exclude`.
fn exclude_of(inputs: &Inputs) -> Result<std::sync::Arc<discover::Exclude>, InputError> {
    let mut patterns: Vec<(String, PathBuf)> = match &inputs.exclude {
        Some(list) => list.clone(),
        None => discover::DEFAULT_EXCLUDE
            .iter()
            .map(|p| (p.to_string(), PathBuf::new()))
            .collect(),
    };
    patterns.extend(inputs.extend_exclude.iter().cloned());
    Ok(std::sync::Arc::new(
        discover::Exclude::new(&patterns).map_err(InputError)?,
    ))
}

/// What the command line named: the trees a repository run may read, and
/// the files a pre-commit run reports on.
#[derive(Default)]
struct Named {
    trees: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

/// Discover each PATH: a directory is walked; a file is placed in its tree
/// (the directory above with an nginx.conf) or read alone. An `nginx -T`
/// dump is a tree of its own, returned at once.
fn discover_paths(
    inputs: &Inputs,
    disc: &mut Discovery,
    named: &mut Named,
) -> Result<Option<Loaded>, InputError> {
    let exclude = disc.exclude.clone();
    for p in &inputs.paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| InputError(format!("{}: {}", p.display(), io_reason(&e))))?;
        // A named file's tree is the directory it is in.
        named.trees.push(if meta.is_dir() {
            p.clone()
        } else {
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        });
        // A path named on the command line is linted even when excluded
        // (a pre-commit hook names what changed), unless --force-exclude.
        if inputs.force_exclude
            && let Some(pattern) = exclude.as_deref().and_then(|x| x.matching(p))
        {
            disc.passed.push(Skipped {
                path: p.display().to_string(),
                reason: format!("excluded by `{pattern}`"),
            });
            continue;
        }
        if meta.is_dir() {
            discover::walk_dir(p, disc);
            continue;
        }
        // A file the user named and we cannot read (a FIFO such as
        // `<(cmd)`, a device, a file over the size cap) fails the run:
        // a skipped note with exit 0 would pass a check that never ran.
        let text = crate::vfs::read_regular(p).map_err(|e| named_unreadable(p, &e))?;
        if nginx_t::is_nginx_t(&text) {
            return Ok(Some(load_dump(&text)));
        }
        match discover::tree_root_above(p) {
            Some(dir) if inputs.root.is_none() => {
                named.trees.push(dir.clone());
                named.files.push(p.clone());
                discover::walk_dir(&dir, disc);
                // Named, so linted even if the walk passed over it
                // (excluded, or in an ignored directory).
                let want = crate::vfs::normalize(p);
                if !disc
                    .files
                    .iter()
                    .any(|f| crate::vfs::normalized(&f.path) == want.as_path())
                {
                    discover::add_file(p, disc);
                }
            }
            _ => discover::add_file(p, disc),
        }
    }
    Ok(None)
}

/// php-fpm's directories on a live server (under --root when given).
fn discover_live_fpm(inputs: &Inputs, disc: &mut Discovery) {
    let base = inputs.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    for dir in crate::load_fpm::live_dirs(&base) {
        if dir.is_dir() {
            discover::walk_dir(&dir, disc);
        } else {
            discover::add_file(&dir, disc);
        }
    }
}

/// `--php-fpm` paths: read as php-fpm whatever their content looks like.
fn add_php_fpm_paths(inputs: &Inputs, disc: &mut Discovery) -> Result<(), InputError> {
    for p in &inputs.php_fpm {
        if p.is_dir() {
            discover::walk_dir(p, disc);
        } else if p.exists() {
            // Keep the whole text (discovery keeps none of a file it
            // classifies as something else).
            let text = crate::vfs::read_regular(p).map_err(|e| named_unreadable(p, &e))?;
            discover::add_file(p, disc);
            if let Some(f) = disc.files.last_mut() {
                f.kind = Kind::PhpFpm;
                f.text = text;
            }
        } else {
            return Err(InputError(format!(
                "--php-fpm {}: no such file or directory",
                p.display()
            )));
        }
    }
    Ok(())
}

/// `--service` paths: each must be a configuration a provider reads.
fn add_service_paths(inputs: &Inputs, disc: &mut Discovery) -> Result<(), InputError> {
    for p in &inputs.services {
        if p.is_dir() {
            discover::walk_dir(p, disc);
        } else if p.exists() {
            discover::add_file(p, disc);
            if let Some(f) = disc.files.last_mut() {
                let head = &f.text[..f.text.len().min(8192)];
                match crate::providers::classify(p, head, true) {
                    Some(provider) => f.kind = Kind::Service(provider),
                    None => {
                        return Err(InputError(format!(
                            "--service {}: not a configuration nginx-lint reads (Gunicorn unit or config, uWSGI ini/yaml, Compose file, Apache config, pm2 ecosystem file)",
                            p.display()
                        )));
                    }
                }
            }
        } else {
            return Err(InputError(format!(
                "--service {}: no such file or directory",
                p.display()
            )));
        }
    }
    Ok(())
}

/// Parse and expand the nginx trees, and load php-fpm beside them: they
/// share nothing but the file system (php-fpm gets ids of its own).
fn load_trees(inputs: &Inputs, disc: &mut Discovery, view: crate::vfs::View) -> Loaded {
    let fs = RealFs::new(inputs.root.clone())
        .with_view(view.clone())
        .with_listings(std::mem::take(&mut disc.listings));
    let fpm_prefix = inputs
        .php_fpm_prefix
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::fpm::DEFAULT_PREFIX));
    let known = disc
        .files
        .iter()
        .filter(|f| f.kind == Kind::PhpFpm)
        .map(|f| (config_path(&f.path, inputs.root.as_deref()), f.text.clone()))
        .collect();
    let fpm_fs = crate::vfs::Preread { inner: &fs, known };
    let fpm_files = fpm_entry_files(disc, inputs);
    let disc = &*disc;
    let (mut out, (fpm_sources, fpm)) = rayon::join(
        || load_tree(&fs, disc, inputs),
        || {
            let mut phase = crate::timings::Phases::new();
            let mut sources = crate::source::SourceMap::starting_at(crate::source::SIDE_BASE);
            let cfg = crate::load_fpm::load(&fpm_fs, &mut sources, &fpm_files, &fpm_prefix);
            // Printed when done, among the tree phases it ran beside.
            phase.mark("php-fpm");
            (sources, cfg)
        },
    );
    out.sources.absorb(fpm_sources);
    out.view = view;
    out.root = inputs.root.clone();
    out.fpm = fpm;
    out.fpm_files = fpm_files;
    out
}

/// What discovery passed over, as notes: skipped files, files left out on
/// purpose, files that are not configuration.
fn keep_notes(out: &mut Loaded, disc: &mut Discovery) {
    let mut skipped = disc.skipped.clone();
    skipped.append(&mut out.skipped);
    out.skipped = dedup_skipped(skipped);
    out.passed = std::mem::take(&mut disc.passed);
    out.not_config = dedup_skipped(
        disc.files
            .iter()
            .filter_map(|f| match f.kind {
                // Already a note of their own (see discover::add_listed_file).
                Kind::Other(discover::BINARY | discover::UTF16) => None,
                Kind::Other(reason) => Some(Skipped {
                    path: f.path.display().to_string(),
                    reason: reason.into(),
                }),
                _ => None,
            })
            .collect(),
    );
}

/// Pre-commit mode: the ids of the files named on the command line.
fn reported_ids(out: &Loaded, named_files: &[PathBuf]) -> HashSet<FileId> {
    let wanted: HashSet<PathBuf> = named_files
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    // Canonicalize only the files whose name matches one asked for: a
    // thousand realpath calls cost more than linting the named file.
    let names: HashSet<&std::ffi::OsStr> = wanted.iter().filter_map(|p| p.file_name()).collect();
    out.sources
        .iter()
        .filter(|(_, f)| f.real.file_name().is_some_and(|n| names.contains(n)))
        .filter(|(_, f)| std::fs::canonicalize(&f.real).is_ok_and(|c| wanted.contains(&c)))
        .map(|(id, _)| id)
        .collect()
}

fn named_unreadable(p: &Path, e: &crate::vfs::FsError) -> InputError {
    let hint = match e {
        crate::vfs::FsError::NotRegular(_) => " (to lint a stream, pipe it to `nginx-lint -`)",
        _ => "",
    };
    InputError(format!("{}: {e}{hint}", p.display()))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn dedup_skipped(mut s: Vec<Skipped>) -> Vec<Skipped> {
    let mut seen = HashSet::new();
    s.retain(|x| seen.insert(x.path.clone()));
    s
}

/// The in-config path of a walked file (under --root: `/` + the part below it).
fn config_path(host: &Path, root: Option<&Path>) -> PathBuf {
    match root {
        Some(r) => match host.strip_prefix(r) {
            Ok(rel) => Path::new("/").join(rel),
            Err(_) => host.to_path_buf(),
        },
        None => host.to_path_buf(),
    }
}

/// The php-fpm files discovery found, by in-config path, each once.
fn fpm_entry_files(disc: &Discovery, inputs: &Inputs) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    disc.files
        .iter()
        .filter(|f| f.kind == Kind::PhpFpm)
        .map(|f| config_path(&f.path, inputs.root.as_deref()))
        .filter(|cfg| seen.insert(cfg.clone()))
        .collect()
}

fn load_tree(fs: &RealFs, disc: &Discovery, inputs: &Inputs) -> Loaded {
    use crate::vfs::Fs;
    let display = |p: &Path| -> String { fs.display(p) };
    let mut sources = SourceMap::new();
    let mut loader = Loader::new(fs, &mut sources, &display);
    let mut walked: Vec<FileId> = Vec::new();
    let mut findings = Vec::new();
    let skipped = Vec::new();
    let mut nginx_files = Vec::new();
    let mut service_files = Vec::new();
    for f in &disc.files {
        let cfg = config_path(&f.path, inputs.root.as_deref());
        match f.kind {
            Kind::Nginx => nginx_files.push((cfg, f.text.clone(), Some(f.key))),
            Kind::Service(provider) => service_files.push((provider, f)),
            // php-fpm files are loaded beside the trees (fpm_entry_files).
            Kind::PhpFpm | Kind::Other(_) => {}
        }
    }
    let mut phase = crate::timings::Phases::new();
    walked.extend(loader.add_many(nginx_files));
    phase.mark("parse");
    walked.dedup();
    let roots = find_roots(&loader.files, &loader, &walked);
    let prefix_for = |id: FileId, l: &Loader| -> PathBuf {
        if let Some(p) = &inputs.prefix {
            return p.clone();
        }
        let real = &l.sources.get(id).real;
        let cfg = config_path(real, inputs.root.as_deref());
        cfg.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let mut units = Vec::new();
    for &r in &roots {
        let prefix = prefix_for(r, &loader);
        loader.expand(r, &prefix);
        units.push(Unit {
            file: r,
            context: Ctx::Main,
            standalone: false,
        });
    }
    phase.mark("includes");
    let default_prefix = roots.first().map(|&r| prefix_for(r, &loader));
    // What the roots reached, before the files left over are expanded
    // (one of those may include another: both are units of their own).
    let reached: Vec<bool> = walked.iter().map(|&id| loader.expanded(id)).collect();
    for (&id, reached) in walked.iter().zip(reached) {
        if reached {
            continue;
        }
        let prefix = default_prefix
            .clone()
            .unwrap_or_else(|| prefix_for(id, &loader));
        loader.expand(id, &prefix);
        let ctx = loader.files.get(id).map_or(Ctx::Main, |pf| {
            context::infer_expanded(&loader.files, &pf.directives)
        });
        units.push(Unit {
            file: id,
            context: ctx,
            standalone: true,
        });
    }
    phase.mark("standalone");
    findings.append(&mut loader.findings);
    let files = std::mem::take(&mut loader.files);
    let stock_sites = std::mem::take(&mut loader.stock_sites);
    let unknown_includes = std::mem::take(&mut loader.unknown_sites);
    drop(loader);
    let mut services = Vec::new();
    let mut seen = HashSet::new();
    for (provider, f) in service_files {
        if !seen.insert(f.key) {
            continue;
        }
        let file = sources.add(f.path.display().to_string(), f.path.clone(), f.text.clone());
        services.push(ServiceFile { provider, file });
    }
    Loaded {
        sources,
        files,
        units,
        findings,
        skipped,
        fpm_files: Vec::new(),
        fpm: None,
        report_only: None,
        declared: Vec::new(),
        services,
        stock_sites,
        unknown_includes,
        ..Loaded::default()
    }
}

/// Roots: files named nginx.conf first, then files with top-level `http` or
/// `events` that no earlier root includes.
/// A file of http-level blocks with no main-level directive: a vhost file,
/// whatever its name.
fn is_vhost(pf: &ParsedFile) -> bool {
    context::infer(&pf.directives) != Ctx::Main
        && pf.directives.iter().any(|d| {
            matches!(
                d.name(),
                "server"
                    | "upstream"
                    | "map"
                    | "geo"
                    | "split_clients"
                    | "proxy_cache_path"
                    | "fastcgi_cache_path"
                    | "limit_req_zone"
                    | "limit_conn_zone"
            )
        })
}

fn find_roots(files: &Files, loader: &Loader, walked: &[FileId]) -> Vec<FileId> {
    // A file named nginx.conf is a main configuration unless its content
    // says it is a vhost: http-level blocks (`server`, `upstream`, `map`,
    // …) and nothing of main's. Projects name their conf.d/ or
    // sites-enabled/ file nginx.conf (mastodon's dist/nginx.conf,
    // django-on-docker's nginx/nginx.conf): read as main, every block in it
    // was "not allowed here".
    let is_named = |id: FileId| {
        loader
            .sources
            .get(id)
            .real
            .file_name()
            .is_some_and(|n| n == "nginx.conf")
            && !files.get(id).is_some_and(is_vhost)
    };
    let is_main = |pf: &ParsedFile| {
        pf.directives
            .iter()
            .any(|d| matches!(d.name(), "http" | "events"))
    };
    let mut roots: Vec<FileId> = walked.iter().copied().filter(|&id| is_named(id)).collect();
    for &id in walked {
        if !roots.contains(&id) && files.get(id).is_some_and(is_main) {
            roots.push(id);
        }
    }
    roots
}

fn load_memfs(fs: &MemFs, first: &Path, prefix: Option<PathBuf>) -> Loaded {
    let display = |p: &Path| p.display().to_string();
    let mut sources = SourceMap::new();
    let mut loader = Loader::new(fs, &mut sources, &display);
    let mut findings = Vec::new();
    let mut units = Vec::new();
    if let Ok(id) = loader.load(first) {
        let prefix =
            prefix.unwrap_or_else(|| first.parent().map(Path::to_path_buf).unwrap_or_default());
        loader.expand(id, &prefix);
        let ctx = loader.files.get(id).map_or(Ctx::Main, |pf| {
            if pf
                .directives
                .iter()
                .any(|d| matches!(d.name(), "http" | "events"))
            {
                Ctx::Main
            } else {
                context::infer_expanded(&loader.files, &pf.directives)
            }
        });
        units.push(Unit {
            file: id,
            context: ctx,
            standalone: ctx != Ctx::Main,
        });
    }
    findings.append(&mut loader.findings);
    let files = std::mem::take(&mut loader.files);
    drop(loader);
    Loaded {
        sources,
        files,
        units,
        findings,
        ..Loaded::default()
    }
}

fn load_dump(text: &[u8]) -> Loaded {
    let parts = nginx_t::split(text);
    let fs = nginx_t::to_memfs(&parts);
    match parts.first() {
        Some((first, _)) => load_memfs(&fs, first, None),
        None => Loaded::default(),
    }
}

fn load_stdin(name: &str, text: &[u8]) -> Loaded {
    if nginx_t::is_nginx_t(text) {
        return load_dump(text);
    }
    let mut fs = MemFs::new();
    let path = PathBuf::from(name);
    fs.insert(path.clone(), text.to_vec());
    load_memfs(&fs, &path, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that no nginx.conf reaches is a unit of its own, even when
    /// another such file includes it: what the roots reached is decided
    /// before the leftover files are expanded.
    #[test]
    fn leftover_files_are_units_even_when_one_includes_another() {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = dir.path().join("b.conf");
        std::fs::write(
            dir.path().join("a.conf"),
            format!("server {{ include {}; }}\n", b.display()),
        )
        .expect("write a");
        std::fs::write(&b, "location / { }\n").expect("write b");
        let inputs = Inputs {
            paths: vec![dir.path().to_path_buf()],
            no_discover: true,
            ..Inputs::default()
        };
        let loaded = load(&inputs).expect("load");
        let names: Vec<String> = loaded
            .units
            .iter()
            .map(|u| {
                let real = &loaded.sources.get(u.file).real;
                format!(
                    "{} {}",
                    real.file_name().unwrap_or_default().to_string_lossy(),
                    u.standalone
                )
            })
            .collect();
        assert_eq!(names, ["a.conf true", "b.conf true"]);
    }
}
