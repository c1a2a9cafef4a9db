//! The file system as the linter sees it: real files (optionally under a
//! `--root` that stands for `/`), or an in-memory set of files (the output of
//! `nginx -T`, tests, fuzzing). Include expansion and discovery only go
//! through this trait, so they never touch a device, a FIFO or a path
//! outside the root.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Files above this size are refused with a finding instead of being read.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a file could not be read. The `Display` text is shown to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    PermissionDenied,
    IsDirectory,
    NotRegular(&'static str),
    TooLarge(u64),
    OutsideRoot,
    /// A repository run reads nothing outside its trees and `--root`.
    OutsideRepository,
    SymlinkLoop,
    Other(String),
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FsError::NotFound => write!(f, "no such file"),
            FsError::PermissionDenied => write!(f, "permission denied"),
            FsError::IsDirectory => write!(f, "is a directory"),
            FsError::NotRegular(kind) => write!(f, "is a {kind}, not a regular file; not read"),
            FsError::TooLarge(n) => write!(
                f,
                "is {} MiB, over the {} MiB limit; not read",
                n / (1024 * 1024),
                MAX_FILE_SIZE / (1024 * 1024)
            ),
            FsError::OutsideRoot => write!(f, "resolves outside --root; not read"),
            FsError::OutsideRepository => write!(f, "is outside the repository; not read"),
            FsError::SymlinkLoop => write!(f, "is a symlink loop; not read"),
            FsError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl From<std::io::Error> for FsError {
    fn from(e: std::io::Error) -> FsError {
        match e.kind() {
            std::io::ErrorKind::NotFound => FsError::NotFound,
            std::io::ErrorKind::PermissionDenied => FsError::PermissionDenied,
            std::io::ErrorKind::IsADirectory => FsError::IsDirectory,
            _ if e.raw_os_error() == Some(libc::ELOOP) => FsError::SymlinkLoop,
            _ => FsError::Other(e.to_string()),
        }
    }
}

/// What the linter may do with files.
pub trait Fs: Sync {
    /// Read a whole regular file. `path` is the path as the config names it
    /// (absolute, in the config's view of the file system).
    fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError>;
    /// Expand a glob pattern (`*`, `?`, `[...]`) the way glob(3) does for
    /// nginx and php-fpm: sorted, a leading `.` only matched literally.
    fn glob(&self, pattern: &Path) -> Vec<PathBuf>;
    /// Where the bytes of `path` really are (for display beside the
    /// in-config path under `--root`).
    fn real_path(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
    /// Read a file and tell its identity (device and inode after following
    /// symlinks), so a file reached through two names (sites-enabled →
    /// sites-available) is parsed once. In-memory files have none.
    fn read_identified(&self, path: &Path) -> Result<(Arc<[u8]>, Option<FileKey>), FsError> {
        self.read(path).map(|t| (t, None))
    }
    /// Whether this is a repository as deployed rather than the host: a
    /// file the tree lacks may then be a stock file of the image or
    /// package (see [`crate::stock`]), and nothing outside it is read.
    fn hermetic(&self) -> bool {
        false
    }
    /// Whether `path` (a literal path or a glob pattern) lies outside
    /// what this run may read: then nothing is known of it, which is not
    /// the same as "missing".
    fn outside(&self, _path: &Path) -> bool {
        false
    }
    /// How an in-config path is shown: as the user would type it from the
    /// current directory (under `--root`, the root joined with it).
    fn display(&self, path: &Path) -> String {
        path.display().to_string()
    }
    /// For a path this file system lacks, in a deployment's image:
    /// Some(true) when the image ships the stock copy there (a known file,
    /// not an assumption), Some(false) when no stock copy may stand for it
    /// (a mount hides the image's), None when nothing is known (a stock
    /// copy is then an assumption, see [`crate::stock`]).
    fn image_has(&self, _path: &Path) -> Option<bool> {
        None
    }
}

/// The directory that stands for the host's `/`: `/`, except in tests,
/// which set `NGINX_LINT_TEST_HOST_ROOT` to a fake host (a tempdir with
/// its own /etc) to show that a repository run never reads the host.
/// Not a user option: it is read only to make that testable.
pub fn host_root() -> PathBuf {
    std::env::var_os("NGINX_LINT_TEST_HOST_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Which file system a run reads (ARCHITECTURE: one deployment view).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum View {
    /// The host itself: `nginx-lint /etc/nginx` on a server, `--live`,
    /// `nginx -T` output. Absolute paths are the host's.
    #[default]
    Host,
    /// A repository: only its trees (absolute, normal, and canonical) and
    /// `--root` are read; a file the tree lacks may be a stock file.
    Repository { trees: Vec<PathBuf> },
}

impl View {
    /// The view of a repository run over these trees (PATH arguments,
    /// `--php-fpm`, `--service`).
    pub fn repository(trees: &[PathBuf]) -> View {
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut out = Vec::new();
        for t in trees {
            let abs = normalize(&cwd.join(t));
            if let Ok(c) = std::fs::canonicalize(&abs)
                && c != abs
            {
                out.push(c);
            }
            out.push(abs);
        }
        View::Repository { trees: out }
    }

    /// Whether a host path lies in one of the trees (lexically).
    fn holds(&self, host: &Path) -> bool {
        match self {
            View::Host => true,
            View::Repository { trees } => {
                let abs = if host.is_absolute() {
                    normalize(host)
                } else {
                    normalize(&std::env::current_dir().unwrap_or_default().join(host))
                };
                trees.iter().any(|t| abs.starts_with(t))
            }
        }
    }
}

/// Resolve an in-config path under `root` the way the kernel would in a
/// chroot there: every symlink followed, an absolute target taken from
/// the root again (Debian's `sites-enabled/default ->
/// /etc/nginx/sites-available/default`), `..` stopping at the root.
/// Returns the host path of the file (which exists), inside the root by
/// construction.
pub fn resolve_in_root(root: &Path, path: &Path) -> Result<PathBuf, FsError> {
    use std::ffi::OsString;
    const MAX_LINKS: usize = 40; // Linux's MAXSYMLINKS
    fn push_parts(todo: &mut Vec<OsString>, p: &Path) {
        let parts: Vec<OsString> = p
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some(OsString::from("..")),
                _ => None,
            })
            .collect();
        todo.extend(parts.into_iter().rev());
    }
    let mut todo = Vec::new();
    push_parts(&mut todo, path);
    let mut done = root.to_path_buf();
    let mut depth = 0usize;
    let mut links = 0usize;
    while let Some(part) = todo.pop() {
        if part == ".." {
            if depth > 0 {
                done.pop();
                depth -= 1;
            }
            continue;
        }
        let next = done.join(&part);
        let meta = std::fs::symlink_metadata(&next)?;
        if !meta.file_type().is_symlink() {
            done = next;
            depth += 1;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(FsError::SymlinkLoop);
        }
        let target = std::fs::read_link(&next)?;
        if target.is_absolute() {
            done = root.to_path_buf();
            depth = 0;
        }
        push_parts(&mut todo, &target);
    }
    Ok(done)
}

/// A file's identity on the host: (device, inode).
pub type FileKey = (u64, u64);

/// A file system whose files already read (by discovery) are answered from
/// memory; everything else goes to the inner one. php-fpm's loader reads
/// every pool file the walk had just read (twice: once to tell masters from
/// pools).
pub struct Preread<'a> {
    pub inner: &'a dyn Fs,
    /// By the path as the config names it.
    pub known: std::collections::HashMap<PathBuf, Arc<[u8]>>,
}

impl Fs for Preread<'_> {
    fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError> {
        match self.known.get(path) {
            Some(t) => Ok(t.clone()),
            None => self.inner.read(path),
        }
    }

    fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
        self.inner.glob(pattern)
    }

    fn real_path(&self, path: &Path) -> PathBuf {
        self.inner.real_path(path)
    }

    fn read_identified(&self, path: &Path) -> Result<(Arc<[u8]>, Option<FileKey>), FsError> {
        self.inner.read_identified(path)
    }

    fn hermetic(&self) -> bool {
        self.inner.hermetic()
    }

    fn outside(&self, path: &Path) -> bool {
        self.inner.outside(path)
    }

    fn display(&self, path: &Path) -> String {
        self.inner.display(path)
    }

    fn image_has(&self, path: &Path) -> Option<bool> {
        self.inner.image_has(path)
    }
}

/// Lexical normalisation: remove `.`, resolve `..` without touching disk.
pub fn normalize(path: &Path) -> PathBuf {
    normalized(path).into_owned()
}

/// [`normalize`], borrowing a path that is already normal (most are: a
/// run looks up every discovered and included file by its normal path).
pub fn normalized(path: &Path) -> std::borrow::Cow<'_, Path> {
    if is_normal(path) {
        return std::borrow::Cow::Borrowed(path);
    }
    std::borrow::Cow::Owned(normalize_components(path))
}

/// No `.` or `..` component, no doubled or trailing `/`: what
/// [`normalize_components`] would give back unchanged.
fn is_normal(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let b = path.as_os_str().as_bytes();
    if b == b"/" {
        return true;
    }
    !b.ends_with(b"/")
        && b.split(|&c| c == b'/')
            .enumerate()
            .all(|(i, seg)| match seg {
                b"" => i == 0,
                b"." | b".." => false,
                _ => true,
            })
}

fn normalize_components(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// True when the pattern has glob metacharacters (nginx: `strpbrk("*?[")`).
pub fn is_glob(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// fnmatch(3) for one path component, without FNM_PERIOD handling (the caller
/// handles leading dots).
pub fn component_matches(pattern: &[u8], name: &[u8]) -> bool {
    // Iterative matcher with single-star backtracking: linear in practice.
    let (mut p, mut n) = (0usize, 0usize);
    let (mut star_p, mut star_n) = (usize::MAX, 0usize);
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star_p = p;
                    star_n = n;
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_matches(&pattern[p..], name[n]) {
                        if matched {
                            p += next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == name[n] {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        if star_p != usize::MAX {
            p = star_p + 1;
            star_n += 1;
            n = star_n;
            continue;
        }
        return false;
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// A `[...]` class at the start of `pat`: Some((matched, length)) or None
/// when the class is not terminated (then `[` is literal).
fn class_matches(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pat.len() {
        let ch = pat[i];
        if ch == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < pat.len() && pat[i + 1] == b'-' && pat[i + 2] != b']' {
            if ch <= c && c <= pat[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if ch == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// The real file system. With a root, every absolute path a config names is
/// looked up under that root, and symlinks that leave it are refused.
#[derive(Debug, Clone, Default)]
pub struct RealFs {
    pub root: Option<PathBuf>,
    /// The host, or a repository (then nothing outside its trees and the
    /// root is read).
    pub view: View,
    /// Directories discovery listed; globs read them from here.
    listings: Listings,
}

impl RealFs {
    pub fn new(root: Option<PathBuf>) -> RealFs {
        RealFs {
            root,
            view: View::Host,
            listings: Listings::default(),
        }
    }

    /// The file system of a run's view.
    pub fn with_view(self, view: View) -> RealFs {
        RealFs { view, ..self }
    }

    /// Where the bytes of an in-config path are on this machine, after
    /// the view's decision: under `--root` (symlinks re-rooted), in the
    /// repository's trees, on the host, or nowhere this run may read.
    pub fn place(&self, path: &Path) -> Result<PathBuf, FsError> {
        if let Some(root) = &self.root
            && path.is_absolute()
        {
            return resolve_in_root(root, path);
        }
        if let View::Repository { .. } = &self.view {
            if !self.view.holds(path) {
                return Err(FsError::OutsideRepository);
            }
            // Inside by name; a symlink may still leave the trees.
            match std::fs::canonicalize(path) {
                Ok(c) if self.view.holds(&c) => {}
                Ok(_) => return Err(FsError::OutsideRepository),
                Err(e) => {
                    let dangling =
                        std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                    let leaves = dangling
                        && std::fs::read_link(path).is_ok_and(|t| {
                            let t = path.parent().map_or(t.clone(), |d| d.join(&t));
                            !self.view.holds(&t)
                        });
                    return Err(if leaves {
                        FsError::OutsideRepository
                    } else {
                        e.into()
                    });
                }
            }
        }
        Ok(path.to_path_buf())
    }

    /// Answer globs in these directories from their listings instead of
    /// reading them again.
    pub fn with_listings(self, listings: Listings) -> RealFs {
        RealFs { listings, ..self }
    }

    /// The in-config path of a host path (below `--root`: `/` and the
    /// part below it).
    pub fn config_path(&self, host: &Path) -> PathBuf {
        match &self.root {
            Some(root) => match host.strip_prefix(root) {
                Ok(rel) => Path::new("/").join(rel),
                Err(_) => host.to_path_buf(),
            },
            None => host.to_path_buf(),
        }
    }

    /// Map an in-config path to where it is on this machine.
    pub fn host_path(&self, path: &Path) -> PathBuf {
        match &self.root {
            Some(root) if path.is_absolute() => {
                let rel = path.strip_prefix("/").unwrap_or(path);
                root.join(rel)
            }
            _ => path.to_path_buf(),
        }
    }
}

/// Read a regular file from the host, refusing devices, FIFOs, sockets,
/// directories and files over the cap, without ever opening the former.
pub fn read_regular(host: &Path) -> Result<Arc<[u8]>, FsError> {
    read_regular_identified(host).map(|(t, _)| t)
}

/// [`read_regular`], also returning the file's (device, inode).
pub fn read_regular_identified(host: &Path) -> Result<(Arc<[u8]>, FileKey), FsError> {
    let opened = open_regular(host, None)?;
    let key = opened.key;
    Ok((opened.read_rest(Vec::new())?, key))
}

/// The first `n` bytes of a regular file (same checks as [`read_regular`]),
/// its identity, and whether that was the whole file. Discovery classifies
/// files by their head, so a walk that meets /usr does not read gigabytes.
pub fn read_head_identified(host: &Path, n: u64) -> Result<(Vec<u8>, FileKey, bool), FsError> {
    let mut opened = open_regular(host, None)?;
    let (mut head, complete) = opened.read_head(n)?;
    head.truncate(n as usize);
    Ok((head, opened.key, complete))
}

/// A regular file opened for reading after [`open_regular`]'s checks.
pub struct Opened {
    file: std::fs::File,
    pub key: FileKey,
    /// The size fstat gave when the file was opened.
    len: u64,
}

impl Opened {
    /// The first bytes of the file (`n`, or `n + 1` when there is more: they
    /// stay, for [`Opened::read_rest`] to go on from), and whether they are
    /// the whole file.
    /// A file whose size fstat gave is read with no extra call to see the
    /// end (a tree of a thousand small files made two thousand reads).
    pub fn read_head(&mut self, n: u64) -> Result<(Vec<u8>, bool), FsError> {
        if self.len > 0 && self.len <= n {
            let mut buf = vec![0u8; self.len as usize];
            let mut got = 0;
            while got < buf.len() {
                match self.file.read(&mut buf[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            buf.truncate(got);
            // A file that grew since fstat: the rest is read by read_rest.
            let complete = got as u64 == self.len;
            return Ok((buf, complete));
        }
        // Size unknown (0: maybe a file system that does not say) or large.
        let mut buf = Vec::with_capacity((self.len.min(n) + 1) as usize);
        (&mut self.file).take(n + 1).read_to_end(&mut buf)?;
        let complete = buf.len() as u64 <= n;
        Ok((buf, complete))
    }

    /// The whole file, `head` being what was read of it so far.
    pub fn read_rest(mut self, mut head: Vec<u8>) -> Result<Arc<[u8]>, FsError> {
        head.reserve((self.len as usize).saturating_sub(head.len()));
        // `take` guards against a file that grows while we read it.
        let left = (MAX_FILE_SIZE + 1).saturating_sub(head.len() as u64);
        (&mut self.file).take(left).read_to_end(&mut head)?;
        if head.len() as u64 > MAX_FILE_SIZE {
            return Err(FsError::TooLarge(head.len() as u64));
        }
        Ok(Arc::from(head))
    }
}

/// Open a regular file after the checks (never opening a FIFO, device or
/// pseudo-file). `listed_ino` is the inode a directory listing gave for a
/// path that is not a symlink: its d_type already said "regular file", so
/// the stat before opening is skipped and the opened file must be that
/// inode (the same guarantee as the stat, one system call fewer per file).
pub fn open_regular(host: &Path, listed_ino: Option<u64>) -> Result<Opened, FsError> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let expected = match listed_ino {
        Some(ino) => Expected::Ino(ino),
        None => {
            let meta = std::fs::metadata(host)?;
            let ft = meta.file_type();
            if ft.is_dir() {
                return Err(FsError::IsDirectory);
            }
            if ft.is_fifo() {
                return Err(FsError::NotRegular("FIFO"));
            }
            if ft.is_char_device() || ft.is_block_device() {
                return Err(FsError::NotRegular("device"));
            }
            if ft.is_socket() {
                return Err(FsError::NotRegular("socket"));
            }
            if !ft.is_file() {
                return Err(FsError::NotRegular("special file"));
            }
            // /proc files claim size 0 but are endless or racy: never read
            // them, also when reached through a symlink
            // (`x.conf -> /proc/self/environ` would have put our environment
            // into diagnostics): ask the file system the path lands on.
            if host.starts_with("/proc")
                || host.starts_with("/sys")
                || on_pseudo_fs_cached(host, meta.dev())
            {
                return Err(FsError::NotRegular("kernel pseudo-file"));
            }
            if meta.len() > MAX_FILE_SIZE {
                return Err(FsError::TooLarge(meta.len()));
            }
            Expected::Key(meta.dev(), meta.ino())
        }
    };
    // The path was checked above, but it may be swapped for a FIFO before
    // we open it: open without blocking (a FIFO with no writer would hang
    // us), then check the opened file itself is the regular file we saw.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(host)?
    };
    let opened = file.metadata()?;
    let same = match expected {
        Expected::Key(dev, ino) => (opened.dev(), opened.ino()) == (dev, ino),
        Expected::Ino(ino) => opened.ino() == ino,
    };
    if !opened.file_type().is_file() || !same {
        return Err(FsError::Other(
            "changed while being read; not read".to_string(),
        ));
    }
    if listed_ino.is_some()
        && (host.starts_with("/proc")
            || host.starts_with("/sys")
            || on_pseudo_fs_cached(host, opened.dev()))
    {
        return Err(FsError::NotRegular("kernel pseudo-file"));
    }
    if opened.len() > MAX_FILE_SIZE {
        return Err(FsError::TooLarge(opened.len()));
    }
    Ok(Opened {
        file,
        key: (opened.dev(), opened.ino()),
        len: opened.len(),
    })
}

/// What the opened file must be.
enum Expected {
    /// (device, inode) from the stat before opening.
    Key(u64, u64),
    /// The inode of the directory entry.
    Ino(u64),
}

/// Is `path` (symlinks followed) on procfs, sysfs, debugfs, tracefs,
/// securityfs, cgroupfs or configfs?
/// [`on_pseudo_fs`], asked once per device: every file of a tree lives on
/// the same few file systems (a statfs call per file otherwise).
fn on_pseudo_fs_cached(path: &Path, dev: u64) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static BY_DEV: OnceLock<Mutex<HashMap<u64, bool>>> = OnceLock::new();
    let map = BY_DEV.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(m) = map.lock()
        && let Some(known) = m.get(&dev)
    {
        return *known;
    }
    let pseudo = on_pseudo_fs(path);
    if let Ok(mut m) = map.lock() {
        m.insert(dev, pseudo);
    }
    pseudo
}

fn on_pseudo_fs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const PSEUDO: &[i64] = &[
        0x9fa0,      // PROC_SUPER_MAGIC
        0x6265_6572, // SYSFS_MAGIC
        0x6462_6720, // DEBUGFS_MAGIC
        0x7472_6163, // TRACEFS_MAGIC
        0x7363_6673, // SECURITYFS_MAGIC
        0x0002_7828, // CGROUP_SUPER_MAGIC
        0x6367_7270, // CGROUP2_SUPER_MAGIC
        0x6265_6570, // CONFIGFS_MAGIC
    ];
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid C string and a zeroed out-parameter of the right type.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type is i64 or u32 by platform
    PSEUDO.contains(&(st.f_type as i64))
}

impl Fs for RealFs {
    fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError> {
        read_regular(&self.place(path)?)
    }

    fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
        if self.outside(pattern) {
            return Vec::new();
        }
        let mut out = Vec::new();
        match &self.root {
            Some(root) if pattern.is_absolute() => {
                // The literal directories before the first pattern
                // component are resolved as in a chroot (a symlinked
                // directory re-rooted), the rest is globbed there; the
                // matches are named under the literal part again.
                let comps: Vec<Component> = pattern.components().collect();
                let first_glob = comps
                    .iter()
                    .position(|c| is_glob(&c.as_os_str().to_string_lossy()))
                    .unwrap_or(comps.len().saturating_sub(1));
                let literal: PathBuf = comps[..first_glob].iter().collect();
                let rest: PathBuf = comps[first_glob..].iter().collect();
                let Ok(dir) = resolve_in_root(root, &literal) else {
                    return out;
                };
                glob_host(&dir.join(&rest), &self.listings, &mut out);
                out.into_iter()
                    .filter_map(|p| p.strip_prefix(&dir).ok().map(|r| literal.join(r)))
                    .collect()
            }
            _ => {
                glob_host(pattern, &self.listings, &mut out);
                out
            }
        }
    }

    fn real_path(&self, path: &Path) -> PathBuf {
        self.host_path(path)
    }

    fn read_identified(&self, path: &Path) -> Result<(Arc<[u8]>, Option<FileKey>), FsError> {
        read_regular_identified(&self.place(path)?).map(|(t, k)| (t, Some(k)))
    }

    fn hermetic(&self) -> bool {
        self.view != View::Host
    }

    fn outside(&self, path: &Path) -> bool {
        match (&self.root, &self.view) {
            (Some(_), _) if path.is_absolute() => false,
            (_, View::Repository { .. }) => {
                // The literal part of a pattern decides.
                let literal: PathBuf = path
                    .components()
                    .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
                    .collect();
                !self.view.holds(&literal)
            }
            _ => false,
        }
    }

    fn display(&self, path: &Path) -> String {
        self.host_path(path).display().to_string()
    }
}

/// Directories listed while discovery walked the trees (host paths, as
/// walked), each with its entries in byte order and whether each is a
/// directory (symlinks followed). Hidden entries are not walked, so they
/// are not here: only a glob component that cannot match them (one not
/// starting with `.`) is answered from a listing.
///
/// Without them, an include of `sites/*.conf` read and sorted again a
/// directory discovery had just read, inside the include expansion, which
/// runs on one core.
#[derive(Debug, Default, Clone)]
pub struct Listings(rustc_hash::FxHashMap<PathBuf, Listing>);

/// A directory's entries: name, and whether it is a directory.
pub type Listing = Vec<(std::ffi::OsString, bool)>;

impl Listings {
    /// Record a directory's complete listing (the first one recorded
    /// stays: a directory walked twice lists the same entries).
    pub fn insert(&mut self, dir: PathBuf, entries: Listing) {
        self.0.entry(dir).or_insert(entries);
    }

    /// Forget a directory: its listing missed an entry (one refused or
    /// unreadable while walking).
    pub fn forget(&mut self, dir: &Path) {
        self.0.remove(dir);
    }

    pub fn get(&self, dir: &Path) -> Option<&[(std::ffi::OsString, bool)]> {
        self.0.get(dir).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Expand a pattern component by component on the host, sorted like glob(3).
fn glob_host(pattern: &Path, listings: &Listings, out: &mut Vec<PathBuf>) {
    let mut bases: Vec<PathBuf> = vec![PathBuf::new()];
    let comps: Vec<Component> = pattern.components().collect();
    // Names that came from reading a directory exist; only a literal last
    // component must be looked up (a stat per match otherwise).
    let mut listed = false;
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let name = comp.as_os_str();
        let text = name.to_string_lossy();
        let mut next = Vec::new();
        listed = is_glob(&text);
        if !listed {
            for b in &bases {
                let p = b.join(name);
                if last || p.is_dir() {
                    next.push(p);
                }
            }
        } else {
            for b in &bases {
                let dir = if b.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    b.as_path()
                };
                if !text.starts_with('.')
                    && let Some(entries) = listings.get(dir)
                {
                    // Already sorted, and each entry's type known.
                    for (n, is_dir) in entries {
                        if (last || *is_dir)
                            && component_matches(text.as_bytes(), n.as_encoded_bytes())
                        {
                            next.push(b.join(n));
                        }
                    }
                    continue;
                }
                let Ok(rd) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<_> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name())
                    .filter(|n| {
                        let nb = n.as_encoded_bytes();
                        (nb.first() != Some(&b'.') || text.starts_with('.'))
                            && component_matches(text.as_bytes(), nb)
                    })
                    .collect();
                names.sort();
                for n in names {
                    let p = b.join(&n);
                    if last || p.is_dir() {
                        next.push(p);
                    }
                }
            }
        }
        bases = next;
        if bases.is_empty() {
            return;
        }
    }
    if listed {
        out.extend(bases);
        return;
    }
    // A literal final component must exist to count as a match.
    out.extend(
        bases
            .into_iter()
            .filter(|p| p.exists() || p.symlink_metadata().is_ok()),
    );
}

/// Files held in memory: `nginx -T` output, tests, fuzzing.
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    pub files: BTreeMap<PathBuf, Arc<[u8]>>,
}

impl MemFs {
    pub fn new() -> MemFs {
        MemFs::default()
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<Vec<u8>>) {
        let text: Vec<u8> = text.into();
        self.files.insert(normalize(&path.into()), Arc::from(text));
    }
}

impl Fs for MemFs {
    fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError> {
        let p = normalize(path);
        if let Some(t) = self.files.get(&p) {
            return Ok(t.clone());
        }
        if self.files.keys().any(|k| k.starts_with(&p)) {
            return Err(FsError::IsDirectory);
        }
        Err(FsError::NotFound)
    }

    fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
        let norm = normalize(pattern);
        let pat: Vec<Component> = norm.components().collect();
        self.files
            .keys()
            .filter(|k| {
                let comps: Vec<Component> = k.components().collect();
                comps.len() == pat.len()
                    && comps.iter().zip(&pat).all(|(c, p)| {
                        let cb = c.as_os_str().as_encoded_bytes();
                        let pb = p.as_os_str().as_encoded_bytes();
                        (cb.first() != Some(&b'.') || pb.first() == Some(&b'.'))
                            && component_matches(pb, cb)
                    })
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files around the classification head's size are read whole, with
    /// no byte lost or doubled where the head ends and the rest begins.
    #[test]
    fn head_then_rest_is_the_whole_file() {
        let dir = std::env::temp_dir().join(format!("nginx-lint-vfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for len in [0usize, 1, 100, 8191, 8192, 8193, 8194, 20_000] {
            let body: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let p = dir.join(format!("f{len}"));
            std::fs::write(&p, &body).expect("write");
            use std::os::unix::fs::MetadataExt;
            let ino = std::fs::metadata(&p).expect("meta").ino();
            for listed in [None, Some(ino)] {
                let mut f = open_regular(&p, listed).expect("open");
                let (head, complete) = f.read_head(8192).expect("head");
                assert_eq!(complete, len <= 8192, "len {len}");
                assert_eq!(&head[..head.len().min(8192)], &body[..len.min(8192)]);
                let all = f.read_rest(head).expect("rest");
                assert_eq!(&all[..], &body[..], "len {len} listed {listed:?}");
            }
        }
        // An inode that is not the file's: refused, not read.
        let p = dir.join("f100");
        assert!(open_regular(&p, Some(1)).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn fnmatch_basics() {
        assert!(component_matches(b"*.conf", b"a.conf"));
        assert!(!component_matches(b"*.conf", b"a.conf.bak"));
        assert!(component_matches(b"a?c", b"abc"));
        assert!(component_matches(b"[a-c]x", b"bx"));
        assert!(!component_matches(b"[!a-c]x", b"bx"));
        assert!(component_matches(b"*", b""));
        assert!(component_matches(b"a*b*c", b"aXXbYYc"));
        assert!(component_matches(b"[x", b"[x"));
    }

    #[test]
    fn memfs_glob_is_sorted_and_skips_dotfiles() {
        let mut fs = MemFs::new();
        fs.insert("/etc/nginx/conf.d/b.conf", "");
        fs.insert("/etc/nginx/conf.d/a.conf", "");
        fs.insert("/etc/nginx/conf.d/.hidden.conf", "");
        fs.insert("/etc/nginx/conf.d/sub/c.conf", "");
        let got = fs.glob(Path::new("/etc/nginx/conf.d/*.conf"));
        assert_eq!(
            got,
            vec![
                PathBuf::from("/etc/nginx/conf.d/a.conf"),
                PathBuf::from("/etc/nginx/conf.d/b.conf")
            ]
        );
    }

    #[test]
    fn realfs_refuses_fifo_and_dir() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.map(|s| s.success()).unwrap_or(false) {
            assert_eq!(
                RealFs::new(None).read(&fifo),
                Err(FsError::NotRegular("FIFO"))
            );
        }
        assert_eq!(
            RealFs::new(None).read(dir.path()),
            Err(FsError::IsDirectory)
        );
    }

    /// A symlink into /proc is a kernel pseudo-file too.
    #[test]
    fn realfs_refuses_proc_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("env.conf");
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        assert_eq!(
            RealFs::new(None).read(&link),
            Err(FsError::NotRegular("kernel pseudo-file"))
        );
    }

    #[test]
    fn normalize_removes_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }

    #[test]
    fn normal_paths_are_borrowed_and_agree_with_the_slow_path() {
        let cases = [
            "",
            "/",
            "//",
            "/a",
            "a",
            "a/b",
            "/a/b.conf",
            "/a//b",
            "/a/",
            "a/",
            "./a",
            "../a",
            "/a/.",
            "/a/..",
            "/a/./b",
            "/a/../b",
            "/.",
            "/..",
            ".",
            "..",
            "a/.b",
            "/a..b/c.",
            "/etc/nginx/sites/site-1.conf",
        ];
        for c in cases {
            let p = Path::new(c);
            let slow = normalize_components(p);
            assert_eq!(normalize(p), slow, "{c:?}");
            if matches!(normalized(p), std::borrow::Cow::Borrowed(_)) {
                assert_eq!(slow.as_os_str(), p.as_os_str(), "{c:?}");
            }
        }
        for normal in ["/", "/a", "a/b", "/etc/nginx/sites/site-1.conf", "a/.b"] {
            assert!(matches!(
                normalized(Path::new(normal)),
                std::borrow::Cow::Borrowed(_)
            ));
        }
    }
}
