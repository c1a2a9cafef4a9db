//! PATH arguments → the files to analyse: directories walked (sorted, hidden
//! entries skipped, symlinks followed with loops cut), each file classified
//! by its content, and the named files of a pre-commit run placed inside the
//! tree they belong to.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use std::sync::Arc;

use crate::loaded::Skipped;
pub use crate::source::Held;
use crate::vfs::{FileKey, FsError, open_regular};

/// How much of a file [`classify`] looks at.
const CLASSIFY_BYTES: u64 = 8192;

/// Files one directory walk reads at most; a symlink to `/usr` or `/` in a
/// config tree would otherwise have us read the whole machine.
pub const MAX_WALK_FILES: usize = 200_000;

/// What a file holds, judged from its name and first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Nginx,
    PhpFpm,
    /// Another service's configuration, claimed by the named listener
    /// provider (gunicorn, uwsgi, compose, apache, pm2).
    Service(&'static str),
    /// Not a configuration we read (binary, certificate, other INI, docs).
    Other(&'static str),
}

/// A file found on disk, as the user will see it named.
#[derive(Clone, Debug)]
pub struct Found {
    /// The path as walked from the user's argument (relative stays relative).
    pub path: PathBuf,
    pub kind: Kind,
    /// The bytes, read once here and handed on to the parser.
    pub text: Arc<[u8]>,
    pub key: FileKey,
    /// What `text` holds: the file, or only what a skeleton keeps
    /// ([`Reuse`]).
    pub held: Held,
}

/// Files a run may take from what an earlier run read instead of reading
/// them (`route`'s index, `crate::route::index`).
pub trait Reuse: Send + Sync {
    /// The file at `path` (`ino`: the walk's inode, when it gave one):
    /// from the earlier run when unchanged, else what `read` gives.
    fn take(
        &self,
        path: &Path,
        ino: Option<u64>,
        read: &mut dyn FnMut() -> Result<Found, FsError>,
    ) -> Result<Found, FsError>;

    /// Every file the walk met so far came from the earlier run unchanged,
    /// none of that run's is missing, and the files it read beyond the
    /// walk are unchanged: asked once the walk is done, this says
    /// [`Held::Inert`] may be trusted.
    fn unchanged(&self) -> bool;

    /// Whether `read` (the files a load read beyond the walk, by real
    /// path) are all among those the earlier run read there.
    fn watches(&self, read: &[PathBuf]) -> bool;
}

impl std::fmt::Debug for dyn Reuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reuse")
    }
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Found>,
    pub skipped: Vec<Skipped>,
    /// Pre-commit mode: only findings in these files are reported.
    pub report_only: Option<Vec<PathBuf>>,
    /// `--root`, canonicalised: a symlink met while walking must resolve
    /// inside it (a config repository must not lead us to the host's
    /// /etc/shadow through an absolute link).
    pub confine: Option<PathBuf>,
    /// The directories walked, listed (include globs are answered from
    /// them instead of reading the directories again).
    pub listings: crate::vfs::Listings,
    /// Entries the walk passed over on purpose (`.gitignore`, `exclude`),
    /// with the reason: listed with `--verbose`.
    pub passed: Vec<Skipped>,
    /// What the walk leaves out (`exclude`, `extend-exclude`).
    pub exclude: Option<Arc<Exclude>>,
    /// Where walked files may come from instead of the disk.
    pub reuse: Option<Arc<dyn Reuse>>,
}

/// Directories no configuration lives in, passed over by default (ruff's
/// `exclude`): hidden ones (`.git`, `.venv`) are skipped anyway.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    "node_modules",
    "vendor",
    "venv",
    "__pycache__",
    "site-packages",
];

/// `exclude` patterns, as ruff reads them: a pattern without `/` matches an
/// entry's name at any depth (`node_modules`, `*.bak`); one with `/` is a
/// path relative to where it was given (the config file's directory, or
/// the current directory for flags), matched against the whole path.
#[derive(Debug, Clone)]
pub struct Exclude {
    names: globset::GlobSet,
    name_patterns: Vec<String>,
    paths: globset::GlobSet,
    path_patterns: Vec<String>,
}

impl Exclude {
    /// From (pattern, the directory it is relative to).
    pub fn new(patterns: &[(String, PathBuf)]) -> Result<Exclude, String> {
        let mut names = globset::GlobSetBuilder::new();
        let mut paths = globset::GlobSetBuilder::new();
        let (mut name_patterns, mut path_patterns) = (Vec::new(), Vec::new());
        let glob = |p: &str| {
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("exclude: `{p}`: {e}"))
        };
        for (pat, base) in patterns {
            let trimmed = pat.trim_end_matches('/');
            if trimmed.contains('/') {
                let abs = std::path::absolute(base.join(trimmed))
                    .map_err(|e| format!("exclude: `{pat}`: {e}"))?;
                paths.add(glob(&abs.to_string_lossy())?);
                path_patterns.push(pat.clone());
            } else {
                names.add(glob(trimmed)?);
                name_patterns.push(pat.clone());
            }
        }
        let build = |b: globset::GlobSetBuilder| b.build().map_err(|e| format!("exclude: {e}"));
        Ok(Exclude {
            names: build(names)?,
            name_patterns,
            paths: build(paths)?,
            path_patterns,
        })
    }

    /// The pattern that excludes `path`, if one does.
    pub fn matching(&self, path: &Path) -> Option<&str> {
        let name = Path::new(std::ffi::OsStr::from_bytes(entry_name(path)));
        // `is_match` first: `matches` allocates, and nearly every entry
        // matches nothing.
        if self.names.is_match(name) {
            let i = self.names.matches(name).first().copied()?;
            return self.name_patterns.get(i).map(String::as_str);
        }
        if self.paths.is_empty() {
            return None;
        }
        let abs = std::path::absolute(path).ok()?;
        let abs = crate::vfs::normalize(&abs);
        self.paths
            .matches(&abs)
            .first()
            .and_then(|i| self.path_patterns.get(*i))
            .map(String::as_str)
    }
}

/// Extensions that are never nginx or php-fpm configuration. Source code,
/// stylesheets and web assets are decided by name alone: C#, Java, Go or
/// CSS has the braces and semicolons nginx has, so its content would pass
/// for nginx (an application repository with a Compose stack was linted
/// into 1,368 errors from its .cs, .css and .map files).
const NOT_CONFIG_EXT: &[&str] = &[
    "md",
    "txt",
    "rst",
    "html",
    "htm",
    "json",
    "yml",
    "yaml",
    "toml",
    "xml",
    "sh",
    "py",
    "rb",
    "pl",
    "lua",
    "js",
    "php",
    "pem",
    "crt",
    "cer",
    "key",
    "csr",
    "der",
    "p12",
    "pfx",
    "gz",
    "zip",
    "tar",
    "tgz",
    "bz2",
    "xz",
    "png",
    "jpg",
    "gif",
    "ico",
    "svg",
    "so",
    "pid",
    "log",
    "swp",
    "orig",
    "rej",
    "ini",
    "service",
    "socket",
    "lock", // source code
    "go",
    "cs",
    "java",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "rs",
    "ts",
    "tsx",
    "jsx",
    "mjs",
    "cjs",
    "vue",
    "kt",
    "kts",
    "swift",
    "scala",
    "groovy",
    "gradle",
    "dart",
    "ex",
    "exs",
    "sql",
    "cshtml",
    "razor",
    "aspx",
    "ascx",
    "asax",
    "csproj",
    "sln",
    "resx",
    "erb",
    "haml",
    "twig",
    // stylesheets and web assets
    "css",
    "scss",
    "sass",
    "less",
    "map",
    "webmanifest",
    "woff",
    "woff2",
    "ttf",
    "eot",
    "otf",
    "jpeg",
    "webp",
    "bmp",
    "pdf",
    "wasm",
    "csv",
    "tsv",
    "properties",
    "mod",
    "sum",
    // binaries
    "jar",
    "war",
    "class",
    "pyc",
    "o",
    "a",
    "dll",
    "exe",
];

/// The reasons of skipped files that get a note even without `--verbose`
/// (the user may not know the file is unreadable to us).
pub const BINARY: &str = "binary file";
pub const UTF16: &str = "UTF-16 text";

/// Classify by content: php-fpm INI, nginx, or something else. The name
/// only hints: a hint (Dockerfile, `*.sh`, supervisord.conf, …) lowers the
/// weight of the content needed to skip a file, never skips nginx-looking
/// content on its own.
pub fn classify(path: &Path, text: &[u8]) -> Kind {
    let head = &text[..text.len().min(CLASSIFY_BYTES as usize)];
    // UTF-16 before the NUL test: its ASCII characters come with NUL bytes,
    // and "UTF-16 text" tells the user what to do (convert it to UTF-8).
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Kind::Other(UTF16);
    }
    if head.contains(&0) {
        return Kind::Other(BINARY);
    }
    if head.starts_with(b"-----BEGIN") {
        return Kind::Other("not configuration: PEM certificate or key");
    }
    if let Some(provider) = crate::providers::classify(path, head, false) {
        return Kind::Service(provider);
    }
    // Neither nginx nor php-fpm reads a `#!` line as anything but a comment,
    // and no configuration of theirs starts with one: a script.
    if head.starts_with(b"#!") {
        return Kind::Other("not configuration: script (#! line)");
    }
    let name = entry_name(path);
    let hint = name_hint(name);
    // A complete head is judged to its last line; a cut one without the
    // line it ends inside. A head that is all one line (a generated or
    // hostile file) gives no lines to weigh: it is judged as before
    // evidence, by name and extension, else nginx.
    let judged = if text.len() > head.len() {
        head.iter().rposition(|&b| b == b'\n').map(|i| &head[..i])
    } else {
        Some(head)
    };
    let Some(judged) = judged else {
        return by_name_only(path, name);
    };
    let ev = Evidence::scan(judged);
    if ev.is_php_fpm() {
        return Kind::PhpFpm;
    }
    if ev.is_other_ini() {
        return Kind::Other("not configuration: INI file that is not php-fpm's");
    }
    if let Some(kind) = by_name(path, name) {
        return kind;
    }
    if ev.is_nginx(hint.is_some()) {
        return Kind::Nginx;
    }
    if let Some(hint) = hint {
        return Kind::Other(hint);
    }
    if ev.docker > 0 {
        return Kind::Other(DOCKERFILE);
    }
    Kind::Other("not configuration: no nginx or php-fpm syntax")
}

/// A file whose content cannot be weighed: nginx unless its name says
/// otherwise.
fn by_name_only(path: &Path, name: &[u8]) -> Kind {
    by_name(path, name).unwrap_or_else(|| name_hint(name).map_or(Kind::Nginx, Kind::Other))
}

/// What a file's name decides by itself: `nginx.conf` is nginx, an
/// extension that is never configuration is not.
fn by_name(path: &Path, name: &[u8]) -> Option<Kind> {
    if name == b"nginx.conf" {
        return Some(Kind::Nginx);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some(ext) = ext
        && NOT_CONFIG_EXT.contains(&ext.as_str())
    {
        return Some(Kind::Other("not configuration (by its extension)"));
    }
    None
}

/// What a file's name suggests it is, when that is not configuration we
/// read (the reason given if the content agrees).
fn name_hint(name: &[u8]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower
        .iter()
        .rposition(|&b| b == b'.')
        .map(|i| &lower[i + 1..]);
    if lower.starts_with(b"dockerfile")
        || lower.starts_with(b"containerfile")
        || ext == Some(b"dockerfile")
    {
        return Some(DOCKERFILE);
    }
    if lower == b"makefile" || lower == b"gnumakefile" || ext == Some(b"mk") {
        return Some("not configuration: Makefile");
    }
    if lower.starts_with(b"supervisord") || lower == b"supervisor.conf" {
        return Some("not configuration: supervisord configuration");
    }
    if lower.starts_with(b"logrotate") {
        return Some("not configuration: logrotate configuration");
    }
    if matches!(ext, Some(b"sh" | b"bash" | b"zsh" | b"ps1" | b"bat")) || lower == b"run" {
        return Some("not configuration: script");
    }
    if lower.starts_with(b"caddyfile") {
        return Some("not configuration: Caddyfile");
    }
    if ext.is_none()
        && [
            &b"readme"[..],
            b"notes",
            b"todo",
            b"changelog",
            b"changes",
            b"license",
            b"copying",
            b"authors",
            b"news",
            b"install",
        ]
        .iter()
        .any(|n| lower.starts_with(n))
    {
        return Some("not configuration: notes");
    }
    None
}

/// Why a Dockerfile is not read as configuration (the load reads it for
/// the image's user, see `crate::dockerfile`).
pub const DOCKERFILE: &str = "not configuration: Dockerfile";

/// Dockerfile instructions: upper case by convention, and no nginx
/// directive is spelled like one.
const DOCKER_INSTRUCTIONS: &[&[u8]] = &[
    b"FROM",
    b"RUN",
    b"COPY",
    b"ADD",
    b"ENV",
    b"ARG",
    b"WORKDIR",
    b"EXPOSE",
    b"CMD",
    b"ENTRYPOINT",
    b"USER",
    b"LABEL",
    b"VOLUME",
    b"HEALTHCHECK",
    b"ONBUILD",
    b"STOPSIGNAL",
    b"SHELL",
    b"MAINTAINER",
];

/// Line counts of the kinds of syntax a head shows; one pass, no
/// allocation.
#[derive(Debug, Default)]
struct Evidence {
    /// `[section]` lines.
    headers: usize,
    /// `key = value` lines (a `;` comment after the value allowed).
    kv: usize,
    /// Of those, keys php-fpm knows (and `[global]` headers).
    fpm: usize,
    /// `name[key] = value` lines of php-fpm's arrays (`env[PATH]`): INI,
    /// but a file of nothing else is a fragment a pool includes, not a
    /// pool, so they count for neither side of the php-fpm test.
    arrays: usize,
    /// Lines that end a statement or open or close a block: `;`, `{`, `}`.
    terminated: usize,
    /// Lines that do not (a statement going on, or not nginx at all).
    open: usize,
    /// Statements that start with a directive nginx (or a module) knows.
    known: usize,
    /// Lines starting with a Dockerfile instruction.
    docker: usize,
}

impl Evidence {
    fn scan(head: &[u8]) -> Evidence {
        let mut ev = Evidence::default();
        // Whether the line before ended a statement: a directive name only
        // counts at the start of one.
        let mut at_start = true;
        // Inside a statement a known directive began and a line did not end
        // (`resolver` over three lines, a long `log_format`): its lines go
        // on to the one that ends it, whatever they look like (`valid=60s;`
        // is not INI there). A blank line gives up on it.
        let mut continued = false;
        for raw in head.split(|&b| b == b'\n') {
            let line = trim(raw);
            if line.is_empty() {
                continued = false;
                at_start = true;
                continue;
            }
            if line[0] == b'#' || line[0] == b';' {
                continue;
            }
            if continued {
                if statement_end(line) {
                    ev.terminated += 1;
                    continued = false;
                    at_start = true;
                }
                continue;
            }
            // Most lines of most files are plain nginx statements
            // (`fastcgi_param A $a;`): a known directive that is no INI key
            // and a line ending in `;` or `{` settle it without the INI
            // tests.
            let word_end = line
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b';' || b == b'{')
                .unwrap_or(line.len());
            let word = &line[..word_end];
            let known = at_start
                && !trim(&line[word_end..]).starts_with(b"=")
                && std::str::from_utf8(word)
                    .is_ok_and(|w| !crate::nginx::schema::lookup(w).is_empty());
            if known && matches!(line.last(), Some(b';' | b'{')) {
                ev.known += 1;
                ev.terminated += 1;
                // Sixteen nginx statements and nothing else: the rest of
                // the head would not change the verdict (a vhost is read
                // on the walk's hot path; the parser reads it all anyway).
                if ev.known >= 16 && ev.open + ev.docker + ev.headers + ev.kv + ev.arrays == 0 {
                    break;
                }
                continue;
            }
            let uncommented = trim(before_semicolon_comment(line));
            if uncommented.len() > 1 && uncommented[0] == b'[' && uncommented.ends_with(b"]") {
                if !uncommented.contains(&b' ') {
                    ev.headers += 1;
                    if uncommented == b"[global]" {
                        ev.fpm += 1;
                    }
                    continue;
                }
            } else if let Some(key) = ini_key(uncommented) {
                match fpm_key(key) {
                    FpmKey::Plain => {
                        ev.kv += 1;
                        ev.fpm += 1;
                    }
                    FpmKey::Array => ev.arrays += 1,
                    FpmKey::No => ev.kv += 1,
                }
                continue;
            }
            if word_end < line.len() && DOCKER_INSTRUCTIONS.contains(&word) {
                ev.docker += 1;
            }
            if known {
                ev.known += 1;
            }
            let ends = statement_end(line);
            if ends {
                ev.terminated += 1;
            } else if known {
                continued = true;
            } else {
                ev.open += 1;
            }
            at_start = ends;
        }
        ev
    }

    /// php-fpm's INI: its own keys make up at least half of the `key =
    /// value` lines (supervisord's `user=` alone does not make a pool), and
    /// INI lines outnumber nginx statements. A pool with a broken line
    /// stays a pool: the broken line counts for neither.
    fn is_php_fpm(&self) -> bool {
        self.fpm >= 1
            && self.fpm * 2 >= self.kv
            && self.headers + self.kv + self.arrays > self.known
    }

    /// INI (php.ini, supervisord, an env file of `KEY=value`) rather than
    /// anything nginx reads.
    fn is_other_ini(&self) -> bool {
        let ini = self.headers + self.kv + self.arrays;
        ini > 0 && ini >= self.terminated + self.open
    }

    /// nginx: statements ending in `;` and blocks make up at least as many
    /// lines as anything else (continuation lines of a long `log_format`
    /// are few beside them). A file whose name says it is something else
    /// also needs a directive nginx knows and a majority of such lines.
    /// A file with nothing but comments is nginx (an emptied vhost).
    fn is_nginx(&self, hinted: bool) -> bool {
        let content = self.terminated + self.open + self.headers + self.kv + self.arrays;
        if content == 0 {
            return !hinted;
        }
        let other = self.open + self.docker + self.headers + self.kv + self.arrays;
        if hinted {
            self.known >= 1 && self.terminated > other
        } else {
            self.terminated >= 1
                && self.terminated >= other
                && (self.known >= 1 || self.docker == 0)
        }
    }
}

/// A line ends an nginx statement (or opens or closes a block), a `#`
/// comment after it aside.
fn statement_end(line: &[u8]) -> bool {
    let ends = |l: &[u8]| matches!(trim(l).last(), Some(b';' | b'{' | b'}'));
    if ends(line) {
        return true;
    }
    // `listen 80; # public`: the comment starts at a `#` after a blank.
    line.windows(2)
        .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#')
        .is_some_and(|i| ends(&line[..i]))
}

/// An INI line without its `;` comment (php's INI scanner ends a value at
/// `;` outside quotes: `pm.process_idle_timeout = 10s;` is `10s`).
fn before_semicolon_comment(line: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The key of a `key = value` line: one word before the `=` (no blank,
/// no brace, no `$` or quote, which nginx's `if ($a = b)` and `set $a`
/// have).
fn ini_key(line: &[u8]) -> Option<&[u8]> {
    let eq = line.iter().position(|&b| b == b'=')?;
    let key = trim(&line[..eq]);
    let ok = !key.is_empty()
        && key.iter().all(|&b| {
            !b.is_ascii_whitespace()
                && !matches!(b, b'{' | b'}' | b'$' | b'"' | b'\'' | b'(' | b'~')
        });
    ok.then_some(key)
}

enum FpmKey {
    /// A key of `[global]` or of a pool.
    Plain,
    /// One of its arrays: `env[NAME]`, `php_admin_value[memory_limit]`.
    Array,
    No,
}

fn fpm_key(key: &[u8]) -> FpmKey {
    let Ok(key) = std::str::from_utf8(key) else {
        return FpmKey::No;
    };
    if let Some(open) = key.find('[') {
        return if key.ends_with(']') && crate::fpm::schema::lookup_array(&key[..open]).is_some() {
            FpmKey::Array
        } else {
            FpmKey::No
        };
    }
    use crate::fpm::schema::{SectionKind, lookup};
    if lookup(SectionKind::Pool, key).is_some() || lookup(SectionKind::Global, key).is_some() {
        FpmKey::Plain
    } else {
        FpmKey::No
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// The name of a walked entry: the bytes after its path's last `/` (what
/// `Path::file_name` gives for the paths walkdir makes, a directory joined
/// with a name read from it, without parsing the path's components, which
/// sorting a directory of 10,000 sites did 260,000 times).
fn entry_name(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    let b = path.as_os_str().as_bytes();
    match b.iter().rposition(|&c| c == b'/') {
        Some(i) => &b[i + 1..],
        None => b,
    }
}

/// Walk a directory: sorted, hidden entries skipped, symlinks followed (loops
/// are cut by walkdir and noted).
pub fn walk_dir(dir: &Path, out: &mut Discovery) {
    let rerooted = Rerooted::default();
    let confine = out.confine.clone();
    let mut pass = PassOver {
        ignores: crate::gitignore::Stack::new(dir),
        exclude: out.exclude.clone(),
    };
    let mut walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by(|a, b| entry_name(a.path()).cmp(entry_name(b.path())))
        .into_iter()
        .filter_entry(|e| walk_into(e, confine.as_deref(), &rerooted));
    // Files are read while the walk goes on: each batch of listed files
    // becomes a task for the thread pool, and this thread keeps walking
    // (walking 11,000 entries alone took 11 ms with both cores idle).
    // Batches come back in any order and are put in walk order after.
    let read: std::sync::Mutex<Vec<(usize, Discovery)>> = std::sync::Mutex::new(Vec::new());
    let mut listed = 0usize;
    let mut overflow = false;
    let mut lister = Lister::default();
    let reuse = out.reuse.clone();
    rayon::in_place_scope(|scope| {
        let mut batch: Vec<(PathBuf, Option<u64>)> = Vec::with_capacity(READ_BATCH);
        let mut batches = 0usize;
        let mut send = |batch: &mut Vec<(PathBuf, Option<u64>)>| {
            if batch.is_empty() {
                return;
            }
            let files = std::mem::replace(batch, Vec::with_capacity(READ_BATCH));
            let (at, read, reuse) = (batches, &read, reuse.as_deref());
            batches += 1;
            scope.spawn(move |_| {
                let d = read_listed(&files, reuse);
                if let Ok(mut done) = read.lock() {
                    done.push((at, d));
                }
            });
        };
        while let Some(entry) = walker.next() {
            match &entry {
                Ok(e) => {
                    lister.entry(e, &mut out.listings);
                    if let Some(reason) = pass.judge(e) {
                        if e.file_type().is_dir() {
                            // Listed in its parent, but not read: its own
                            // listing would be empty, not complete.
                            walker.skip_current_dir();
                            lister.not_read();
                        }
                        out.passed.push(skipped(e.path(), reason));
                        continue;
                    }
                }
                Err(err) => lister.missed(err.depth(), &mut out.listings),
            }
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if listed == MAX_WALK_FILES {
                        overflow = true;
                        break;
                    }
                    listed += 1;
                    // A plain entry's d_type already says "regular file":
                    // its inode stands in for the stat before opening. A
                    // followed symlink is checked by path.
                    use walkdir::DirEntryExt;
                    let ino = (!e.path_is_symlink()).then(|| e.ino());
                    batch.push((e.into_path(), ino));
                    if batch.len() == READ_BATCH {
                        send(&mut batch);
                    }
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => out
                    .skipped
                    .push(skipped(e.path(), "not a regular file".into())),
                Err(err) => {
                    if !rerooted.take_dangling(confine.as_deref(), &err) {
                        out.skipped.push(walk_error(&err));
                    }
                }
            }
        }
        send(&mut batch);
    });
    if overflow {
        // The directories still open were not listed to the end.
        lister.open.clear();
    }
    lister.finish(&mut out.listings);
    let read = read
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    rerooted.finish(out);
    close_walk(dir, overflow, read, out);
}

/// The notes of a finished walk (the file cap reached) and its read
/// batches, in walk order.
fn close_walk(dir: &Path, overflow: bool, mut read: Vec<(usize, Discovery)>, out: &mut Discovery) {
    if overflow {
        out.skipped.push(Skipped {
            path: dir.display().to_string(),
            reason: format!(
                "holds more than {MAX_WALK_FILES} files (a symlink to a system directory?); only the first {MAX_WALK_FILES} were read"
            ),
        });
    }
    read.sort_unstable_by_key(|(at, _)| *at);
    for (_, mut d) in read {
        out.files.append(&mut d.files);
        out.skipped.append(&mut d.skipped);
    }
}

/// Symlinks under --root that lead elsewhere when resolved as in a chroot
/// there than on the host (an absolute target such as Debian's
/// sites-enabled/default): the file they lead to there is read, never the
/// host's; what cannot be read is noted.
#[derive(Default)]
struct Rerooted {
    refused: std::cell::RefCell<Vec<Skipped>>,
    files: std::cell::RefCell<Vec<(PathBuf, PathBuf)>>,
}

impl Rerooted {
    fn take(&self, link: &Path, faithful: Result<PathBuf, FsError>) {
        let refuse = |reason: String| {
            self.refused.borrow_mut().push(Skipped {
                path: link.display().to_string(),
                reason,
            })
        };
        match faithful {
            Ok(p) if p.is_file() => self.files.borrow_mut().push((link.to_path_buf(), p)),
            Ok(_) => refuse(
                "symlink to a directory elsewhere under --root; not walked (includes still reach it)"
                    .into(),
            ),
            Err(err) => refuse(format!("symlink under --root: {err}")),
        }
    }

    /// A link dangling on the host (walkdir could not follow it) that
    /// resolves under --root: taken, and not an error of the walk.
    fn take_dangling(&self, confine: Option<&Path>, err: &walkdir::Error) -> bool {
        if let (Some(root), Some(p)) = (confine, err.path())
            && std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
            && let Some(faithful) = reroot(root, p)
        {
            self.take(p, faithful);
            return true;
        }
        false
    }

    /// After the walk: the notes, and the files the links lead to. A link
    /// taken here is an entry its directory's listing lacks.
    fn finish(self, out: &mut Discovery) {
        let refused = self.refused.into_inner();
        for r in &refused {
            if let Some(dir) = Path::new(&r.path).parent() {
                out.listings.forget(dir);
            }
        }
        out.skipped.extend(refused);
        for (link, file) in self.files.into_inner() {
            if let Some(dir) = link.parent() {
                out.listings.forget(dir);
            }
            add_file(&file, out);
        }
    }
}

/// Whether the walk goes into an entry: hidden entries are skipped, and a
/// symlink under `confine` (--root) that leads elsewhere when resolved as
/// in a chroot there is taken by `rerooted` instead of followed.
fn walk_into(e: &walkdir::DirEntry, confine: Option<&Path>, rerooted: &Rerooted) -> bool {
    if e.depth() == 0 {
        return true;
    }
    if e.file_name().to_string_lossy().starts_with('.') {
        return false;
    }
    if let Some(root) = confine
        && e.path_is_symlink()
        && let Some(faithful) = reroot(root, e.path())
    {
        rerooted.take(e.path(), faithful);
        return false;
    }
    true
}

/// Read a batch of listed files (path, inode when the listing gave it).
fn read_listed(files: &[(PathBuf, Option<u64>)], reuse: Option<&dyn Reuse>) -> Discovery {
    let mut d = Discovery::default();
    for (p, ino) in files {
        add_listed_file(p, *ino, &mut d, reuse);
    }
    d
}

fn skipped(path: &Path, reason: String) -> Skipped {
    Skipped {
        path: path.display().to_string(),
        reason,
    }
}

/// Why the walk could not go on at an entry.
fn walk_error(err: &walkdir::Error) -> Skipped {
    let path = err
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let reason = if err.loop_ancestor().is_some() {
        "symlink loop; not followed".to_string()
    } else {
        match err.io_error() {
            Some(e) if e.raw_os_error() == Some(libc::ELOOP) => FsError::SymlinkLoop.to_string(),
            Some(e) => e.to_string(),
            None => err.to_string(),
        }
    };
    Skipped { path, reason }
}

/// Where a symlink met under `root` (canonical) leads when resolved as in
/// a chroot there, if that differs from where the host would lead it.
fn reroot(root: &Path, link: &Path) -> Option<Result<PathBuf, FsError>> {
    let parent = std::fs::canonicalize(link.parent()?).ok()?;
    let rel = parent.strip_prefix(root).ok()?.join(link.file_name()?);
    let faithful = crate::vfs::resolve_in_root(root, &Path::new("/").join(rel));
    match (&faithful, std::fs::canonicalize(link)) {
        (Ok(f), Ok(h)) if *f == h => None,
        _ => Some(faithful),
    }
}

/// What the walk passes over on purpose: `exclude` patterns, then
/// `.gitignore` / `.ignore` files (read as directories are entered).
struct PassOver {
    ignores: crate::gitignore::Stack,
    exclude: Option<Arc<Exclude>>,
}

impl PassOver {
    /// Why `e` is passed over, if it is; keeps the ignore files in force
    /// in step with the walk.
    fn judge(&mut self, e: &walkdir::DirEntry) -> Option<String> {
        self.ignores.leave_to(e.depth());
        let is_dir = e.file_type().is_dir();
        if e.depth() > 0 {
            if let Some(pattern) = self.exclude.as_deref().and_then(|x| x.matching(e.path())) {
                return Some(format!("excluded by `{pattern}`"));
            }
            if let Some(by) = self.ignores.ignored_by(e.path(), is_dir) {
                return Some(format!("ignored by {by}"));
            }
        }
        if is_dir {
            self.ignores.enter(e.path(), e.depth());
        }
        None
    }
}

/// Builds the listings of the directories a walk goes through. walkdir
/// gives each directory's entries in order, interleaved with those of its
/// subdirectories, each with its depth: the directory an entry is in is
/// the last one opened one level up.
#[derive(Default)]
struct Lister {
    /// The directories open at each depth: path, entries so far, and
    /// whether nothing was missed in them.
    open: Vec<(PathBuf, crate::vfs::Listing, bool)>,
}

impl Lister {
    fn entry(&mut self, e: &walkdir::DirEntry, done: &mut crate::vfs::Listings) {
        let depth = e.depth();
        self.close_to(depth, done);
        let is_dir = e.file_type().is_dir();
        if depth > 0 {
            match self.open.last_mut() {
                Some(parent) => parent.1.push((e.file_name().to_os_string(), is_dir)),
                // Its directory was not opened: nothing to list it in.
                None => return,
            }
        }
        if is_dir {
            self.open.push((e.path().to_path_buf(), Vec::new(), true));
        }
    }

    /// An entry at `depth` could not be listed (a broken or looping
    /// symlink, an unreadable directory): the listing of the directory it
    /// is in is incomplete, and is not kept.
    fn missed(&mut self, depth: usize, done: &mut crate::vfs::Listings) {
        self.close_to(depth, done);
        if depth > 0
            && let Some(parent) = self.open.last_mut()
        {
            parent.2 = false;
        }
    }

    /// The directory just entered is not walked: its listing is not kept.
    fn not_read(&mut self) {
        if let Some(dir) = self.open.last_mut() {
            dir.2 = false;
        }
    }

    /// The walk is over: keep the listings still open.
    fn finish(&mut self, done: &mut crate::vfs::Listings) {
        self.close_to(0, done);
    }

    /// Close the directories deeper than `depth - 1` (those an entry at
    /// `depth` is not inside).
    fn close_to(&mut self, depth: usize, done: &mut crate::vfs::Listings) {
        while self.open.len() > depth {
            if let Some((dir, entries, complete)) = self.open.pop()
                && complete
            {
                done.insert(dir, entries);
            }
        }
    }
}

/// Files per read task during a walk: enough to outweigh a task's cost,
/// few enough that reading starts early and both cores get work.
const READ_BATCH: usize = 64;

/// Read just enough of a file to classify it (its first 8 KiB), then the
/// whole of it only when it is configuration.
pub fn add_file(path: &Path, out: &mut Discovery) {
    add_listed_file(path, None, out, None)
}

fn add_listed_file(path: &Path, ino: Option<u64>, out: &mut Discovery, reuse: Option<&dyn Reuse>) {
    let mut read = || read_found(path, ino);
    let found = match reuse {
        Some(r) => r.take(path, ino, &mut read),
        None => read(),
    };
    match found {
        Ok(found) => {
            // Certificates, docs and php.ini are expected beside configs and
            // passed over silently; a binary or UTF-16 file is worth a note.
            if let Kind::Other(reason @ (BINARY | UTF16)) = found.kind {
                out.skipped.push(Skipped {
                    path: path.display().to_string(),
                    reason: reason.into(),
                });
            }
            out.files.push(found);
        }
        Err(e) => out.skipped.push(Skipped {
            path: path.display().to_string(),
            reason: skip_reason(&e),
        }),
    }
}

/// Read and classify one file.
fn read_found(path: &Path, ino: Option<u64>) -> Result<Found, FsError> {
    let mut f = open_regular(path, ino)?;
    let (head, complete) = f.read_head(CLASSIFY_BYTES)?;
    let key = f.key;
    let kind = classify(path, &head);
    let text: Arc<[u8]> = match kind {
        // Not ours: the bytes are not needed (a walk that meets /usr
        // kept 5 GB of them).
        Kind::Other(_) => Arc::from(&b""[..]),
        _ if complete => Arc::from(head),
        _ => f.read_rest(head)?,
    };
    Ok(Found {
        path: path.to_path_buf(),
        kind,
        text,
        key,
        held: Held::Whole,
    })
}

fn skip_reason(e: &FsError) -> String {
    e.to_string()
}

/// For a file named on the command line: the directory above it that holds
/// the nginx.conf of its tree, if any (pre-commit mode).
pub fn tree_root_above(file: &Path) -> Option<PathBuf> {
    dir_above_with(file, "nginx.conf")
}

/// For a file named on the command line: the directory above it that holds
/// php-fpm.conf (the master that includes its pools), if any.
pub fn fpm_root_above(file: &Path) -> Option<PathBuf> {
    dir_above_with(file, "php-fpm.conf")
}

/// The nearest directory above `file` holding a file `name` (other than
/// `file` itself), in the user's terms.
fn dir_above_with(file: &Path, name: &str) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    let mut dir = abs.parent();
    while let Some(d) = dir {
        if d.join(name).is_file() && d.join(name) != abs {
            // Give it back in the user's terms: relative when they were.
            return Some(relative_like(file, &abs, d));
        }
        dir = d.parent();
    }
    None
}

/// Express `target` (an ancestor of `abs`) the way `user` names paths.
fn relative_like(user: &Path, abs: &Path, target: &Path) -> PathBuf {
    if user.is_absolute() {
        return target.to_path_buf();
    }
    // Count how many components of abs lie below target, and walk up from
    // the user's path by as many.
    let below = abs.components().count() - target.components().count();
    let mut p = user.to_path_buf();
    for _ in 0..below {
        if !p.pop() {
            p.push("..");
        }
    }
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_content() {
        let p = Path::new("x.conf");
        assert_eq!(
            classify(p, b"[www]\nlisten = /run/php.sock\n"),
            Kind::PhpFpm
        );
        assert_eq!(classify(p, b"[global]\npid = /run/php.pid\n"), Kind::PhpFpm);
        assert_eq!(classify(p, b"server { listen 80; }\n"), Kind::Nginx);
        assert_eq!(classify(p, b"set $a = b;\n"), Kind::Nginx);
        assert!(matches!(
            classify(p, b"[PHP]\nengine = On\n"),
            Kind::Other(_)
        ));
        assert!(matches!(classify(p, b"\x00\x01"), Kind::Other(_)));
        assert!(matches!(
            classify(Path::new("a.pem"), b"-----BEGIN CERT"),
            Kind::Other(_)
        ));
        assert!(matches!(
            classify(Path::new("README.md"), b"# hi\n"),
            Kind::Other(_)
        ));
        assert_eq!(
            classify(Path::new("default"), b"# comment\nserver {}\n"),
            Kind::Nginx
        );
    }

    /// The evidence behind each call: the look-alikes of the real-world
    /// corpus (testdata/realworld/) on both sides.
    #[test]
    fn classifies_on_evidence() {
        let other = |name: &str, text: &str| {
            matches!(classify(Path::new(name), text.as_bytes()), Kind::Other(_))
        };
        let kind = |name: &str, text: &str| classify(Path::new(name), text.as_bytes());
        // A `;` comment after a value, and a broken line, keep a pool a pool.
        assert_eq!(
            kind(
                "fpm-pool.conf",
                "[global]\nerror_log = /dev/stderr\n[www]\npm = ondemand\npm.process_idle_timeout = 10s;\n"
            ),
            Kind::PhpFpm
        );
        assert_eq!(
            kind(
                "www.conf",
                "[www]\nlisten = /run/php.sock\npm = dynamic\npm.max_children 5\n"
            ),
            Kind::PhpFpm
        );
        // Keys of a pool without a header (a file a pool includes).
        assert_eq!(
            kind(
                "x.pool.conf",
                "user = www-data\nlisten = 9000\npm = static\n"
            ),
            Kind::PhpFpm
        );
        // Arrays alone: a fragment, not a pool.
        assert!(other("env.conf", "env[PATH] = $PATH\nenv[HOME] = $HOME\n"));
        // supervisord's `user=` is not enough to make it php-fpm's.
        assert!(other(
            "supervisord.conf",
            "[supervisord]\nnodaemon=true\nuser=root ;\n[program:x]\ncommand=php-fpm -F\nautostart=true\n"
        ));
        assert!(other(
            "Dockerfile",
            "FROM nginx:alpine\nRUN a; \\\n  b\nCMD [\"nginx\"]\n"
        ));
        assert!(other("build", "FROM nginx:alpine\nCOPY a /b\nRUN rm x\n"));
        assert!(other("run", "#!/bin/sh\nexec nginx -g 'daemon off;'\n"));
        assert!(other(
            "php-fpm",
            "/var/log/php-fpm.log {\n  daily\n  rotate 4\n  missingok\n}\n"
        ));
        assert!(other("env.template", "export A=1\nexport B=2\n"));
        assert!(other("TODO", "reload nginx\n"));
        assert!(other(
            "main.go",
            "package main\n\nfunc main() {\n\tprintln(1)\n}\n"
        ));
        // nginx, including statements over several lines and fragments.
        assert_eq!(
            kind(
                "ocsp.conf",
                "ssl_stapling on;\nresolver\n  # (1)\n  1.1.1.1\n  valid=60s;\nresolver_timeout 2s;\n"
            ),
            Kind::Nginx
        );
        assert_eq!(
            kind("nginx.conf", "server {\n listen 80;\n}\n"),
            Kind::Nginx
        );
        assert_eq!(
            kind("map.conf", "\"~bot\" 1;\n\"~crawl\" 1;\n"),
            Kind::Nginx
        );
        assert_eq!(kind("empty.conf", "# nothing yet\n"), Kind::Nginx);
        // One line longer than the head: nothing to weigh, nginx by default.
        let long = "a {".repeat(10_000);
        assert_eq!(kind("deep.conf", &long), Kind::Nginx);
        assert!(other("Dockerfile", &long));
        assert_eq!(
            kind(
                "site",
                "log_format main '$remote_addr'\n    '$status'\n    '$body_bytes_sent';\n"
            ),
            Kind::Nginx
        );
        // A hinted name needs content that agrees: a Dockerfile-named
        // vhost is still nginx.
        assert_eq!(
            kind("Dockerfile.conf", "server {\n listen 80;\n root /srv;\n}\n"),
            Kind::Nginx
        );
    }

    /// A tree for the listing tests: files, a subdirectory, a symlink to
    /// it, a hidden file, and (when asked) a broken symlink.
    fn listing_tree(broken: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        for f in ["b.conf", "a.conf", "c.txt", ".hidden.conf"] {
            std::fs::write(p.join(f), "# x\n").expect("write");
        }
        std::fs::create_dir(p.join("sub.conf")).expect("mkdir");
        std::fs::write(p.join("sub.conf/inner.conf"), "# y\n").expect("write");
        std::os::unix::fs::symlink(p.join("sub.conf"), p.join("link.d")).expect("symlink");
        if broken {
            std::os::unix::fs::symlink(p.join("nowhere"), p.join("sub.conf/gone.conf"))
                .expect("symlink");
        }
        dir
    }

    /// Each walked directory is listed as glob(3) sees it: every entry but
    /// the hidden ones, in byte order, directories (symlinked ones too)
    /// marked.
    #[test]
    fn walked_directories_are_listed() {
        let dir = listing_tree(false);
        let mut d = Discovery::default();
        walk_dir(dir.path(), &mut d);
        let top = d.listings.get(dir.path()).expect("top listed");
        let got: Vec<(String, bool)> = top
            .iter()
            .map(|(n, is_dir)| (n.to_string_lossy().into_owned(), *is_dir))
            .collect();
        let want = [
            ("a.conf", false),
            ("b.conf", false),
            ("c.txt", false),
            ("link.d", true),
            ("sub.conf", true),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(n, k)| (n.to_string(), *k)).collect();
        assert_eq!(got, want);
        let inner = d
            .listings
            .get(&dir.path().join("sub.conf"))
            .expect("sub listed");
        assert_eq!(inner.len(), 1);
        assert_eq!(d.listings.len(), 3, "top, sub.conf and link.d");
    }

    /// A directory with an entry the walk could not follow (a broken
    /// symlink) keeps no listing: its globs read the directory itself.
    #[test]
    fn a_directory_with_a_missed_entry_is_not_listed() {
        let dir = listing_tree(true);
        let mut d = Discovery::default();
        walk_dir(dir.path(), &mut d);
        assert!(d.listings.get(&dir.path().join("sub.conf")).is_none());
        assert!(d.listings.get(dir.path()).is_some());
    }

    /// An ignored directory stays in its parent's listing (glob(3) sees
    /// it) but keeps none of its own: it was not read.
    #[test]
    fn an_ignored_directory_is_listed_but_not_read() {
        let dir = listing_tree(false);
        std::fs::write(dir.path().join(".ignore"), "sub.conf/\n").expect("write");
        let mut d = Discovery::default();
        walk_dir(dir.path(), &mut d);
        let top = d.listings.get(dir.path()).expect("top listed");
        assert!(top.iter().any(|(n, _)| n == "sub.conf"));
        assert!(d.listings.get(&dir.path().join("sub.conf")).is_none());
        assert!(
            d.files
                .iter()
                .all(|f| !f.path.starts_with(dir.path().join("sub.conf")))
        );
        assert_eq!(d.passed.len(), 1, "{:?}", d.passed);
    }

    /// Globs answered from the listings give what reading the directories
    /// gives, and the listings are what answers them: a file created after
    /// the walk is not seen in a listed directory.
    #[test]
    fn globs_from_listings_match_globs_from_disk() {
        use crate::vfs::{Fs, RealFs};
        let dir = listing_tree(true);
        let mut d = Discovery::default();
        walk_dir(dir.path(), &mut d);
        let listed = RealFs::new(None).with_listings(d.listings);
        let disk = RealFs::new(None);
        for pat in [
            "*.conf",
            "*",
            "*/*.conf",
            "*.d/*",
            ".*",
            "sub.conf/*",
            "[ab].conf",
        ] {
            let pattern = dir.path().join(pat);
            assert_eq!(listed.glob(&pattern), disk.glob(&pattern), "{pat}");
        }
        std::fs::write(dir.path().join("after.conf"), "# z\n").expect("write");
        let pattern = dir.path().join("*.conf");
        assert_eq!(disk.glob(&pattern).len(), listed.glob(&pattern).len() + 1);
    }

    /// Files are read in batches while the walk goes on; they come out in
    /// walk order whatever order the batches finish in.
    #[test]
    fn walk_order_survives_batched_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..(READ_BATCH * 5 + 3) {
            std::fs::write(dir.path().join(format!("f{i:04}.conf")), format!("# {i}\n"))
                .expect("write");
        }
        let mut d = Discovery::default();
        walk_dir(dir.path(), &mut d);
        let names: Vec<String> = d
            .files
            .iter()
            .filter_map(|f| f.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names.len(), READ_BATCH * 5 + 3);
        assert_eq!(names, sorted);
    }

    /// A walk that met /usr (through a symlink) kept every file's bytes:
    /// 8 GB. Files that are not configuration keep none, and only their
    /// head is read.
    #[test]
    fn files_that_are_not_config_keep_no_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("blob");
        let mut body = vec![0u8; 100_000];
        body[..6].copy_from_slice(b"events");
        std::fs::write(&bin, &body).unwrap();
        let conf = dir.path().join("big.conf");
        let text = "a b;\n".repeat(5000);
        std::fs::write(&conf, &text).unwrap();
        let mut d = Discovery::default();
        add_file(&bin, &mut d);
        add_file(&conf, &mut d);
        assert_eq!(d.files[0].kind, Kind::Other("binary file"));
        assert!(d.files[0].text.is_empty());
        // Configuration longer than the classified head is read whole.
        assert_eq!(d.files[1].kind, Kind::Nginx);
        assert_eq!(d.files[1].text.len(), text.len());
    }

    #[test]
    fn entry_name_is_the_file_name() {
        for p in [
            "/etc/nginx/sites/a.conf",
            "sites/b",
            "c",
            "/d",
            "/etc/x.y/.z",
        ] {
            let want = std::path::Path::new(p)
                .file_name()
                .map(|n| n.as_encoded_bytes().to_vec());
            assert_eq!(
                Some(entry_name(std::path::Path::new(p)).to_vec()),
                want,
                "{p}"
            );
        }
    }

    #[test]
    fn relative_like_walks_up() {
        let abs = Path::new("/r/a/b/c.conf");
        assert_eq!(
            relative_like(Path::new("a/b/c.conf"), abs, Path::new("/r/a")),
            PathBuf::from("a")
        );
        assert_eq!(
            relative_like(Path::new("c.conf"), abs, Path::new("/r/a")),
            PathBuf::from("..")
        );
    }
}
