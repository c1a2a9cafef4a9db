//! From PATH arguments to parsed, include-expanded nginx trees: discovery,
//! reading through the right file system, root detection, standalone files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::discover::{self, Discovery, Kind};
use crate::loaded::{Loaded, ServiceFile, Skipped, Unit};
use crate::nginx::ast::ParsedFile;
use crate::nginx::context::{self, Ctx};
use crate::nginx::include::{Files, Loader, Whole};
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
    load_for(inputs, None)
}

/// [`load`], with `whole` deciding which files are parsed whole; the rest
/// are skeletons ([`crate::nginx::include::Loader::whole`]). For `route`,
/// never for a lint.
pub fn load_for(inputs: &Inputs, whole: Option<Whole<'_>>) -> Result<Loaded, InputError> {
    load_reusing(inputs, whole, None)
}

/// [`load_for`], the walked files taken through `reuse` (`route`'s index:
/// the files unchanged since it was written are not read).
pub fn load_reusing(
    inputs: &Inputs,
    whole: Option<Whole<'_>>,
    reuse: Option<std::sync::Arc<dyn discover::Reuse>>,
) -> Result<Loaded, InputError> {
    let mut loaded = load_inputs(inputs, whole, reuse)?;
    loaded.declared = inputs.listeners.clone();
    let mut notes = budget_notes(&loaded);
    notes.append(&mut depth_notes(&loaded));
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

/// Blocks nested deeper than the parser keeps: nginx accepts them (it has
/// no nesting limit), so they are a note on what is not checked, never an
/// error (an error here was one no suppression could silence).
fn depth_notes(loaded: &Loaded) -> Vec<Skipped> {
    loaded
        .files
        .iter()
        .filter_map(|pf| {
            let at = pf.too_deep?;
            let src = loaded.sources.get(pf.file);
            let (line, _) = src.line_col(at);
            Some(Skipped {
                path: format!("{}:{line}", src.display),
                reason: format!(
                    "blocks nested deeper than {} levels: what is inside is not checked",
                    crate::nginx::parser::MAX_DEPTH
                ),
            })
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

fn load_inputs(
    inputs: &Inputs,
    whole: Option<Whole<'_>>,
    reuse: Option<std::sync::Arc<dyn discover::Reuse>>,
) -> Result<Loaded, InputError> {
    let mut inputs = inputs.clone();
    // A buffer named after a file of a tree is linted as that file in its
    // tree (what an editor sends with --stdin-filename).
    let buffer = match inputs.stdin.take() {
        Some((name, text)) => match stdin_in_tree(&name, &text, &inputs) {
            Some(path) => {
                inputs.paths = vec![path.clone()];
                Some((path, std::sync::Arc::<[u8]>::from(text)))
            }
            None => return Ok(load_stdin(&name, &text)),
        },
        None => None,
    };
    // Tests stand a tempdir in for the host's `/`: the host's own
    // configuration is then read as under --root there.
    let host = crate::vfs::host_root();
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
        reuse,
        ..Discovery::default()
    };
    let mut phase = crate::timings::Phases::new();
    let mut named = Named {
        buffer,
        ..Named::default()
    };
    if let Some(dump) = discover_paths(inputs, &mut disc, &mut named)? {
        return Ok(dump);
    }
    // On a live server, php-fpm sits beside nginx under /etc; so it does
    // under `--root DIR` given alone.
    let live = !inputs.no_discover
        && !named.live_fpm
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
    let mut out = load_trees(inputs, &mut disc, view, whole);
    phase.mark("nginx trees");
    keep_notes(&mut out, &mut disc);
    if named.placed {
        out.report_only = Some(reported_ids(&out, &named));
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
    /// Directories named: all their files are reported.
    dirs: Vec<PathBuf>,
    /// Whether a named file brought its tree in as context: then only the
    /// named files (and named directories) are reported.
    placed: bool,
    /// The context directories walked, absolute and normal (each once).
    walked: HashSet<PathBuf>,
    /// php-fpm's directories under --root were walked as context.
    live_fpm: bool,
    /// `--stdin-filename NAME`: the path and the buffer that stands for it.
    buffer: Option<(PathBuf, std::sync::Arc<[u8]>)>,
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
        let is_buffer = named.buffer.as_ref().is_some_and(|(b, _)| b == p);
        // The buffer's file need not exist yet (an editor's new file).
        let is_dir = !is_buffer
            && std::fs::metadata(p)
                .map_err(|e| InputError(format!("{}: {}", p.display(), io_reason(&e))))?
                .is_dir();
        // A named file's tree is the directory it is in.
        named.trees.push(if is_dir {
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
        if is_dir {
            named.dirs.push(p.clone());
            discover::walk_dir(p, disc);
            continue;
        }
        if !is_buffer {
            // A file the user named and we cannot read (a FIFO such as
            // `<(cmd)`, a device, a file over the size cap) fails the run:
            // a skipped note with exit 0 would pass a check that never ran.
            let text = crate::vfs::read_regular(p).map_err(|e| named_unreadable(p, &e))?;
            if nginx_t::is_nginx_t(&text) {
                return Ok(Some(load_dump(&text)));
            }
        }
        place_named_file(inputs, p, disc, named);
    }
    if let Some((path, text)) = &named.buffer {
        put_buffer(disc, path, text);
    }
    Ok(None)
}

/// Changed-file mode: a named file is judged within its trees, as the
/// whole run would judge it: the nginx tree above it (the directory with
/// the nginx.conf that includes it), and its php-fpm tree (the directory
/// with php-fpm.conf above it); under `--root` the server's own trees
/// (`etc/nginx` and php-fpm's directories, what `--root DIR` alone lints).
/// Only the named files' findings are reported then.
fn place_named_file(inputs: &Inputs, p: &Path, disc: &mut Discovery, named: &mut Named) {
    named.files.push(p.to_path_buf());
    let root = inputs.root.as_deref();
    let inside = |d: &PathBuf| root.is_none_or(|r| within(d, r));
    let mut context: Vec<PathBuf> = discover::tree_root_above(p)
        .into_iter()
        .chain(discover::fpm_root_above(p))
        .filter(inside)
        .collect();
    if let Some(root) = root {
        named.placed = true;
        let nginx = root.join("etc/nginx");
        if nginx.join("nginx.conf").is_file() {
            context.push(nginx);
        }
        if !named.live_fpm && !inputs.no_discover {
            named.live_fpm = true;
            discover_live_fpm(inputs, disc);
        }
    }
    for dir in context {
        named.placed = true;
        if named.walked.insert(absolute_normal(&dir)) {
            named.trees.push(dir.clone());
            discover::walk_dir(&dir, disc);
        }
    }
    // Named, so linted even if the walk passed over it (excluded, or in
    // an ignored directory).
    let is_buffer = named.buffer.as_ref().is_some_and(|(b, _)| b == p);
    if !is_buffer && find_walked(disc, p).is_none() {
        discover::add_file(p, disc);
    }
}

/// The walked entry for `p`, by normal path.
fn find_walked(disc: &Discovery, p: &Path) -> Option<usize> {
    let want = crate::vfs::normalize(p);
    disc.files
        .iter()
        .position(|f| crate::vfs::normalized(&f.path) == want.as_path())
}

/// A path made absolute (against the working directory) and normal.
fn absolute_normal(p: &Path) -> PathBuf {
    crate::vfs::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// Whether `dir` lies inside `root` (both resolved).
fn within(dir: &Path, root: &Path) -> bool {
    match (std::fs::canonicalize(dir), std::fs::canonicalize(root)) {
        (Ok(d), Ok(r)) => d.starts_with(r),
        _ => false,
    }
}

/// `--stdin-filename NAME` in a tree: the buffer stands for NAME's file
/// (read from disk by the walk, or new), classified by its own content.
fn put_buffer(disc: &mut Discovery, path: &Path, text: &std::sync::Arc<[u8]>) {
    let kind = discover::classify(path, text);
    match find_walked(disc, path) {
        Some(i) => {
            disc.files[i].kind = kind;
            disc.files[i].text = text.clone();
        }
        None => disc.files.push(discover::Found {
            path: path.to_path_buf(),
            kind,
            text: text.clone(),
            // No file on disk has it: the buffer is a file of its own.
            key: (u64::MAX, u64::MAX),
            held: crate::source::Held::Whole,
        }),
    }
}

/// The path a buffer on stdin stands for, when it has a tree to be judged
/// in: NAME lies below an nginx.conf or a php-fpm.conf, or under --root.
/// An `nginx -T` dump and an unnamed buffer are read on their own.
fn stdin_in_tree(name: &str, text: &[u8], inputs: &Inputs) -> Option<PathBuf> {
    if name == "<stdin>" || nginx_t::is_nginx_t(text) {
        return None;
    }
    let path = PathBuf::from(name);
    let placed = inputs.root.is_some()
        || discover::tree_root_above(&path).is_some()
        || discover::fpm_root_above(&path).is_some();
    placed.then_some(path)
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
                            "--service {}: not a configuration nginx-lint reads (Gunicorn unit or config, systemd service unit, uWSGI ini/yaml, Compose file, Apache config, pm2 ecosystem file, supervisord program, runit/s6 run script)",
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
fn load_trees(
    inputs: &Inputs,
    disc: &mut Discovery,
    view: crate::vfs::View,
    whole: Option<Whole<'_>>,
) -> Loaded {
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
    let dockerfiles: Vec<PathBuf> = disc
        .files
        .iter()
        .filter(|f| f.kind == Kind::Other(discover::DOCKERFILE))
        .map(|f| f.path.clone())
        .collect();
    let disc = &*disc;
    let (mut out, (fpm_sources, fpm)) = rayon::join(
        || load_tree(&fs, disc, inputs, whole),
        || {
            let mut phase = crate::timings::Phases::new();
            let mut sources = crate::source::SourceMap::starting_at(crate::source::SIDE_BASE);
            let cfg =
                crate::load_fpm::load(&fpm_fs, &mut sources, &fpm_files, &fpm_prefix, &dockerfiles);
            let ini = cfg.as_ref().map(|c| {
                let root = inputs.root.as_deref();
                crate::php_ini::load(&fpm_fs, &mut sources, c, &|p| config_path(p, root))
            });
            // Printed when done, among the tree phases it ran beside.
            phase.mark("php-fpm");
            (sources, (cfg, ini))
        },
    );
    let (fpm, php_ini) = fpm;
    out.php_ini = php_ini.unwrap_or_default();
    out.sources.absorb(fpm_sources);
    out.view = view;
    out.root = inputs.root.clone();
    if let Some(cfg) = &fpm {
        out.skipped.extend(cfg.not_loaded.iter().map(|p| Skipped {
            path: crate::vfs::Fs::display(&fs, p),
            reason: "php-fpm does not read it: the main php-fpm.conf does not include it".into(),
        }));
    }
    out.fpm = fpm;
    out.fpm_files = fpm_files;
    scan_dir(&fs, &mut out);
    user_inis(&fs, &mut out);
    out
}

/// `PHP_INI_SCAN_DIR` from the php-fpm unit's `Environment=`, applied to
/// the ini sets when php-fpm pools are in view.
fn scan_dir(fs: &RealFs, out: &mut Loaded) {
    let pools = out.fpm.as_ref().map_or(0, |c| c.pools.len());
    if pools == 0 {
        return;
    }
    if let Some(v) = crate::providers::units::fpm_scan_dir(out) {
        let mut inis = std::mem::take(&mut out.php_ini);
        crate::php_ini::apply_scan_dir(&mut inis, fs, &mut out.sources, &v, pools);
        out.php_ini = inis;
    }
}

/// The `.user.ini` files of the document roots nginx names (static,
/// absolute `root` values), when php-fpm pools are in view.
fn user_inis(fs: &RealFs, out: &mut Loaded) {
    if out.fpm.as_ref().is_none_or(|c| c.pools.is_empty()) {
        return;
    }
    let Some(name) = out.php_ini.user_ini_name() else {
        return;
    };
    let mut roots = Vec::new();
    let mut stack: Vec<&crate::nginx::ast::Directive> =
        out.files.iter().flat_map(|f| f.directives.iter()).collect();
    while let Some(d) = stack.pop() {
        if d.name() == "root"
            && let Some(r) = d.arg(0)
            && r.starts_with('/')
            && !r.contains('$')
        {
            roots.push(PathBuf::from(r));
        }
        if let Some(b) = &d.block {
            stack.extend(b.children.iter());
        }
    }
    roots.sort();
    roots.dedup();
    let found = crate::php_ini::load_user_inis(fs, &mut out.sources, &roots, &name);
    out.php_ini.user_inis = found;
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

/// Changed-file mode: the ids of the files named on the command line and
/// of the files under the directories named beside them.
fn reported_ids(out: &Loaded, named: &Named) -> HashSet<FileId> {
    let wanted: HashSet<PathBuf> = named
        .files
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let dirs: Vec<PathBuf> = named
        .dirs
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    // Canonicalize only the files whose name matches one asked for: a
    // thousand realpath calls cost more than linting the named file.
    let names: HashSet<&std::ffi::OsStr> = wanted.iter().filter_map(|p| p.file_name()).collect();
    let buffer = named.buffer.as_ref().map(|(p, _)| absolute_normal(p));
    out.sources
        .iter()
        .filter(|(_, f)| {
            // The buffer's file may not exist (a new file).
            if buffer
                .as_ref()
                .is_some_and(|b| absolute_normal(&f.real) == *b)
            {
                return true;
            }
            let by_name = f.real.file_name().is_some_and(|n| names.contains(n));
            if !by_name && dirs.is_empty() {
                return false;
            }
            std::fs::canonicalize(&f.real)
                .is_ok_and(|c| wanted.contains(&c) || dirs.iter().any(|d| c.starts_with(d)))
        })
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

fn load_tree(fs: &RealFs, disc: &Discovery, inputs: &Inputs, whole: Option<Whole<'_>>) -> Loaded {
    // An earlier run's verdict that a file adds nothing holds only for the
    // tree it judged: every walked file unchanged, none gone, none new,
    // and the files read from beyond the walk (an include outside the
    // walked paths) the same, unchanged.
    let reuse = disc.reuse.as_ref();
    let trust_inert = reuse.is_some_and(|r| r.unchanged());
    let loaded = load_tree_trusting(fs, disc, inputs, whole, trust_inert);
    if trust_inert && !reuse.is_some_and(|r| r.watches(&loaded.read_beyond_walk)) {
        return load_tree_trusting(fs, disc, inputs, whole, false);
    }
    loaded
}

/// [`load_tree`], parsing the files held as [`crate::source::Held::Inert`]
/// only when `whole` wants them if `trust_inert`, else as condensed.
fn load_tree_trusting(
    fs: &RealFs,
    disc: &Discovery,
    inputs: &Inputs,
    whole: Option<Whole<'_>>,
    trust_inert: bool,
) -> Loaded {
    use crate::vfs::Fs;
    let deployment = deployment_of(fs, disc);
    let dfs = crate::deploy_view::DeployedFs {
        inner: fs,
        deployment: deployment.as_ref(),
    };
    let display = |p: &Path| -> String { dfs.display(p) };
    let mut sources = SourceMap::new();
    let mut loader = Loader::new(&dfs, &mut sources, &display);
    loader.whole = whole;
    let mut walked: Vec<FileId> = Vec::new();
    let mut findings = Vec::new();
    let (nginx_files, service_files) = walked_files(disc, inputs, trust_inert);
    let mut phase = crate::timings::Phases::new();
    walked.extend(loader.add_many(nginx_files));
    let read_by_walk = loader.sources.len();
    phase.mark("parse");
    walked.dedup();
    let mut units = Vec::new();
    let mut declared = None;
    if let Some(d) = &deployment {
        let (decl, unit) = crate::deploy_view::expand(&mut loader, d);
        declared = Some((d.declared_in.clone(), decl));
        units.extend(unit);
    }
    // A file the deployment already expanded (the repository's nginx.conf
    // mounted over the image's) is not a root again.
    let roots: Vec<FileId> = find_roots(&loader.files, &loader, &walked)
        .into_iter()
        .filter(|&r| !loader.expanded(r))
        .collect();
    let prefix_for = |id: FileId, l: &Loader| -> PathBuf {
        if let Some(p) = &inputs.prefix {
            return p.clone();
        }
        let real = &l.sources.get(id).real;
        let cfg = config_path(real, inputs.root.as_deref());
        cfg.parent().map(Path::to_path_buf).unwrap_or_default()
    };
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
    let read_beyond_walk = beyond_walk(&loader, read_by_walk);
    drop(loader);
    let services = add_services(&mut sources, service_files, declared);
    Loaded {
        sources,
        files,
        units,
        findings,
        services,
        stock_sites,
        unknown_includes,
        read_beyond_walk,
        ..Loaded::default()
    }
}

/// The files the loader read from disk after the walked ones (the first
/// `walked` ids): includes beyond the walk. Stock copies are not on disk.
fn beyond_walk(loader: &Loader<'_>, walked: usize) -> Vec<PathBuf> {
    (walked..loader.sources.len())
        .map(|i| FileId(i as u32))
        .filter(|&id| !loader.is_stock(id))
        .map(|id| loader.sources.get(id).real.clone())
        .collect()
}

/// The walked nginx files, as the loader takes them (an inert one as
/// condensed unless `trust_inert`), and the service files.
fn walked_files<'d>(
    disc: &'d Discovery,
    inputs: &Inputs,
    trust_inert: bool,
) -> (
    Vec<crate::nginx::include::Item>,
    Vec<(&'static str, &'d discover::Found)>,
) {
    let mut nginx_files = Vec::new();
    let mut service_files = Vec::new();
    for f in &disc.files {
        match f.kind {
            Kind::Nginx => {
                let held = match &f.held {
                    crate::source::Held::Inert(_) if !trust_inert => crate::source::Held::Condensed,
                    h => h.clone(),
                };
                let cfg = config_path(&f.path, inputs.root.as_deref());
                nginx_files.push((cfg, f.text.clone(), Some(f.key), held));
            }
            Kind::Service(provider) => service_files.push((provider, f)),
            // php-fpm files are loaded beside the trees (fpm_entry_files).
            Kind::PhpFpm | Kind::Other(_) => {}
        }
    }
    (nginx_files, service_files)
}

/// A repository deployed by Compose or a Dockerfile: its files are also
/// read where the container sees them (not under --root, which is the
/// deployed tree already).
fn deployment_of(fs: &RealFs, disc: &Discovery) -> Option<crate::deploy_view::Deployment> {
    use crate::vfs::Fs;
    (fs.root.is_none() && fs.hermetic())
        .then(|| crate::deploy_view::find(&disc.files, fs))
        .flatten()
}

/// The service files, each once, in the source map (the deployment's
/// Compose file is there already: `declared`).
fn add_services(
    sources: &mut SourceMap,
    service_files: Vec<(&'static str, &discover::Found)>,
    declared: Option<(PathBuf, FileId)>,
) -> Vec<ServiceFile> {
    let mut services = Vec::new();
    let mut seen = HashSet::new();
    for (provider, f) in service_files {
        if !seen.insert(f.key) {
            continue;
        }
        let file = match &declared {
            Some((path, id)) if *path == f.path => *id,
            _ => sources.add(f.path.display().to_string(), f.path.clone(), f.text.clone()),
        };
        services.push(ServiceFile { provider, file });
    }
    services
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
    let unknown_includes = std::mem::take(&mut loader.unknown_sites);
    drop(loader);
    Loaded {
        sources,
        files,
        units,
        findings,
        unknown_includes,
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
