//! PATH arguments → the files to analyse: directories walked (sorted, hidden
//! entries skipped, symlinks followed with loops cut), each file classified
//! by its content, and the named files of a pre-commit run placed inside the
//! tree they belong to.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use std::sync::Arc;

use crate::loaded::Skipped;
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
}

/// Extensions that are never nginx or php-fpm configuration.
const NOT_CONFIG_EXT: &[&str] = &[
    "md", "txt", "rst", "html", "htm", "json", "yml", "yaml", "toml", "xml", "sh", "py", "rb",
    "pl", "lua", "js", "php", "pem", "crt", "cer", "key", "csr", "der", "p12", "pfx", "gz", "zip",
    "tar", "tgz", "bz2", "xz", "png", "jpg", "gif", "ico", "svg", "so", "pid", "log", "swp",
    "orig", "rej", "ini", "service", "socket", "lock",
];

/// Classify by content: php-fpm INI, nginx, or something else.
pub fn classify(path: &Path, text: &[u8]) -> Kind {
    let head = &text[..text.len().min(CLASSIFY_BYTES as usize)];
    // UTF-16 before the NUL test: its ASCII characters come with NUL bytes,
    // and "UTF-16 text" tells the user what to do (convert it to UTF-8).
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Kind::Other("UTF-16 text");
    }
    if head.contains(&0) {
        return Kind::Other("binary file");
    }
    if head.starts_with(b"-----BEGIN") {
        return Kind::Other("PEM certificate or key");
    }
    if let Some(provider) = crate::providers::classify(path, head, false) {
        return Kind::Service(provider);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(kind) = ini_kind(head) {
        return kind;
    }
    if name == "nginx.conf" {
        return Kind::Nginx;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some(ext) = ext
        && NOT_CONFIG_EXT.contains(&ext.as_str())
    {
        return Kind::Other("not a configuration file (by its extension)");
    }
    Kind::Nginx
}

/// php-fpm files are INI: `[section]` headers and `key = value` lines. php.ini
/// is INI too but is not php-fpm's, so look for php-fpm's own keys.
fn ini_kind(head: &[u8]) -> Option<Kind> {
    let mut ini_lines = 0;
    let mut fpm = false;
    for raw in head.split(|&b| b == b'\n') {
        let line = trim(raw);
        if line.is_empty() || line[0] == b';' {
            continue;
        }
        if line[0] == b'#' {
            continue;
        }
        if line[0] == b'[' && line.ends_with(b"]") && !line.contains(&b' ') {
            ini_lines += 1;
            if line == b"[global]" {
                fpm = true;
            }
            continue;
        }
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            let key = trim(&line[..eq]);
            if !key.is_empty()
                && !key.contains(&b' ')
                && !key.contains(&b'{')
                && !line.ends_with(b";")
            {
                ini_lines += 1;
                if key == b"listen"
                    || key == b"pm"
                    || key.starts_with(b"pm.")
                    || key == b"include"
                    || key == b"pid"
                {
                    fpm = true;
                }
                continue;
            }
        }
        // A line that is neither: nginx syntax (or something else).
        return None;
    }
    if ini_lines == 0 {
        return None;
    }
    Some(if fpm {
        Kind::PhpFpm
    } else {
        Kind::Other("INI file that is not php-fpm's")
    })
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
/// sorting a large directory does many times per entry).
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
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by(|a, b| entry_name(a.path()).cmp(entry_name(b.path())))
        .into_iter()
        .filter_entry(|e| walk_into(e, confine.as_deref(), &rerooted));
    // Files are read while the walk goes on: each batch of listed files
    // becomes a task for the thread pool, and this thread keeps walking
    // (walking alone, then reading, leaves the other cores idle).
    // Batches come back in any order and are put in walk order after.
    let read: std::sync::Mutex<Vec<(usize, Discovery)>> = std::sync::Mutex::new(Vec::new());
    let mut listed = 0usize;
    let mut overflow = false;
    let mut lister = Lister::default();
    rayon::in_place_scope(|scope| {
        let mut batch: Vec<(PathBuf, Option<u64>)> = Vec::with_capacity(READ_BATCH);
        let mut batches = 0usize;
        let mut send = |batch: &mut Vec<(PathBuf, Option<u64>)>| {
            if batch.is_empty() {
                return;
            }
            let files = std::mem::replace(batch, Vec::with_capacity(READ_BATCH));
            let (at, read) = (batches, &read);
            batches += 1;
            scope.spawn(move |_| {
                let d = read_listed(&files);
                if let Ok(mut done) = read.lock() {
                    done.push((at, d));
                }
            });
        };
        for entry in walker {
            match &entry {
                Ok(e) => lister.entry(e, &mut out.listings),
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
                Ok(e) => out.skipped.push(Skipped {
                    path: e.path().display().to_string(),
                    reason: "not a regular file".into(),
                }),
                // A link dangling on the host (walkdir could not follow
                // it) that resolves under --root.
                Err(ref err)
                    if let (Some(root), Some(p)) = (&confine, err.path())
                        && std::fs::symlink_metadata(p)
                            .is_ok_and(|m| m.file_type().is_symlink())
                        && let Some(faithful) = reroot(root, p) =>
                {
                    rerooted.take(p, faithful);
                }
                Err(err) => out.skipped.push(walk_error(&err)),
            }
        }
        send(&mut batch);
    });
    if overflow {
        // The directories still open were not listed to the end.
        lister.open.clear();
    }
    lister.finish(&mut out.listings);
    rerooted.finish(out);
    if overflow {
        out.skipped.push(Skipped {
            path: dir.display().to_string(),
            reason: format!(
                "holds more than {MAX_WALK_FILES} files (a symlink to a system directory?); only the first {MAX_WALK_FILES} were read"
            ),
        });
    }
    merge_read(read, out);
}

/// The batches read beside the walk, put back in walk order.
fn merge_read(read: std::sync::Mutex<Vec<(usize, Discovery)>>, out: &mut Discovery) {
    let mut read = read
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
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
fn read_listed(files: &[(PathBuf, Option<u64>)]) -> Discovery {
    let mut d = Discovery::default();
    for (p, ino) in files {
        add_listed_file(p, *ino, &mut d);
    }
    d
}

/// The note for an entry the walk could not read: a symlink loop, or the
/// error opening it.
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
    add_listed_file(path, None, out)
}

fn add_listed_file(path: &Path, ino: Option<u64>, out: &mut Discovery) {
    let read = open_regular(path, ino).and_then(|mut f| {
        let (head, complete) = f.read_head(CLASSIFY_BYTES)?;
        let key = f.key;
        let kind = classify(path, &head);
        let text: Arc<[u8]> = match kind {
            // Not ours: the bytes are not needed (a walk that meets /usr
            // would keep gigabytes of them).
            Kind::Other(_) => Arc::from(&b""[..]),
            _ if complete => Arc::from(head),
            _ => f.read_rest(head)?,
        };
        Ok((text, key, kind))
    });
    match read {
        Ok((text, key, kind)) => {
            // Certificates, docs and php.ini are expected beside configs and
            // passed over silently; a binary or UTF-16 file is worth a note.
            if let Kind::Other(reason @ ("binary file" | "UTF-16 text")) = kind {
                out.skipped.push(Skipped {
                    path: path.display().to_string(),
                    reason: reason.into(),
                });
            }
            out.files.push(Found {
                path: path.to_path_buf(),
                kind,
                text,
                key,
            });
        }
        Err(e) => out.skipped.push(Skipped {
            path: path.display().to_string(),
            reason: skip_reason(&e),
        }),
    }
}

fn skip_reason(e: &FsError) -> String {
    e.to_string()
}

/// For a file named on the command line: the directory above it that holds
/// the nginx.conf of its tree, if any (pre-commit mode).
pub fn tree_root_above(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    let mut dir = abs.parent();
    while let Some(d) = dir {
        if d.join("nginx.conf").is_file() && d.join("nginx.conf") != abs {
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

    /// A walk that met /usr (through a symlink) kept every file's bytes,
    /// gigabytes. Files that are not configuration keep none, and only their
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
