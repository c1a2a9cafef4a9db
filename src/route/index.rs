//! `route`'s index of the files it read: per walked file, its stat
//! fingerprint (size, mtime and ctime to the nanosecond, inode, device:
//! what git's index trusts) and its text, condensed to what a skeleton
//! keeps ([`super::condense`]) for nginx files. A run stats each walked
//! file and takes the unchanged ones from the index instead of opening
//! and reading them (on a VM, 10,000 opens and reads cost more than the
//! whole answer may); the rest are read as before, and the index is
//! rewritten when anything changed. It also keeps what the last run that
//! judged the tree found of its files ([`super::inert`]), and the stamps
//! of the files that run read beyond the walk, which a run must find
//! unchanged to trust those verdicts.
//!
//! One file per set of inputs under the cache directory, never inside
//! the linted tree. Whatever goes wrong with it (no directory, a file
//! cut short or corrupt, another version's, another run writing it)
//! leaves the run reading the files: the index makes a run faster, never
//! different.

use std::hash::{Hash, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

use rustc_hash::{FxHashMap, FxHasher};

use crate::discover::{Found, Held, Kind, Reuse};
use crate::load::Inputs;
use crate::vfs::FsError;

/// A file modified this close to a run's start is not trusted to the
/// index: timestamps are coarser than two writes (git's "racily clean"
/// files), so a change of the same size just after our read could keep
/// the stamp we saw.
const RACY_SECS: i64 = 2;

/// A record's flag: the file was found inert; its names are kept.
const INERT: u8 = 4;
/// A record's flag: the file holds an address's first or default server.
const KEYSTONE: u8 = 8;
/// A record's flag: a file read beyond the walk, its stamp alone kept
/// (its verdicts hold while it is unchanged).
const WATCHED: u8 = 16;

/// What a run found of a file ([`super::inert`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Inert, with its server names, one per line.
    Inert(Arc<str>),
    /// It holds an address's first or default server.
    Keystone,
}

/// Verdicts by the bytes of each file's normal path.
pub type Verdicts = FxHashMap<Box<[u8]>, Verdict>;

/// Files read beyond the walk, by the bytes of their real path, stamped.
type Watched = Vec<(Box<[u8]>, Stamp)>;

/// Where indexes live: `$NGINX_LINT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/nginx-lint`, else `~/.cache/nginx-lint`.
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("NGINX_LINT_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(Path::new(&d).join("nginx-lint"));
    }
    var("HOME").map(|h| Path::new(&h).join(".cache/nginx-lint"))
}

/// What identifies a file's content without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
            dev: m.dev(),
        }
    }
}

/// One file as an earlier run read it.
struct Entry {
    stamp: Stamp,
    /// [`Kind::Nginx`] or [`Kind::PhpFpm`]: the only kinds kept.
    nginx: bool,
    condensed: bool,
    text: Arc<[u8]>,
    /// What the last run that judged the tree found of the file.
    verdict: Option<Verdict>,
    /// This run took it (an entry no run takes is a file gone).
    taken: AtomicBool,
}

/// The index of one set of inputs, read at the start of a run; what the
/// run saw is written back by [`Index::save`].
pub struct Index {
    path: PathBuf,
    key: u64,
    old: FxHashMap<Box<[u8]>, Entry>,
    /// The files read (new, changed), by path: what replaces or joins
    /// `old`. A hit touches no lock: both cores stat files at once.
    fresh: Mutex<FxHashMap<Box<[u8]>, Entry>>,
    /// A file was read (or could not be kept): the index changes.
    changed: AtomicBool,
    /// Which files this run found inert, by the bytes of their normal
    /// path, and the files it read beyond the walk (see
    /// [`Index::judged`]); None: not judged, the index's verdicts stand.
    verdicts: Mutex<Option<(Verdicts, Watched)>>,
    /// The files the judging run read beyond the walk, with their stamps.
    watched: Watched,
    /// Whether each of them is unchanged (stat once, when first asked).
    watched_same: std::sync::OnceLock<bool>,
    /// A load read a file beyond the walk that the judging run did not:
    /// the tree is judged again.
    watch_missed: AtomicBool,
    /// Files taken from the index, and files read (for NGINX_LINT_TIMINGS).
    reused: AtomicUsize,
    read: AtomicUsize,
    /// Seconds since the epoch at the start of the run.
    started: i64,
}

impl Index {
    /// The index for `inputs` under `dir` (empty when there is none yet or
    /// it cannot be used). None for input from stdin.
    pub fn open(dir: &Path, inputs: &Inputs) -> Option<Index> {
        if inputs.stdin.is_some() {
            return None;
        }
        let key = inputs_key(inputs);
        let path = dir.join(format!("route-{key:016x}.idx"));
        let old = std::fs::read(&path)
            .ok()
            .and_then(|b| super::index_file::decode(&b, key))
            .unwrap_or_default();
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (watched, old): (Vec<_>, Vec<_>) =
            old.into_iter().partition(|(_, r)| r.flags & WATCHED != 0);
        Some(Index {
            path,
            key,
            old: old.into_iter().map(|(p, e)| (p, into_entry(e))).collect(),
            fresh: Mutex::default(),
            changed: AtomicBool::new(false),
            verdicts: Mutex::default(),
            watched: watched
                .into_iter()
                .map(|(p, r)| (p, into_entry(r).stamp))
                .collect(),
            watched_same: std::sync::OnceLock::new(),
            watch_missed: AtomicBool::new(false),
            reused: AtomicUsize::new(0),
            read: AtomicUsize::new(0),
            started,
        })
    }

    /// Write the index back if this run saw anything it does not hold
    /// (atomically: a temporary file renamed over it). Failing is silent.
    pub fn save(&self) {
        if std::env::var_os("NGINX_LINT_TIMINGS").is_some() {
            eprintln!(
                "route index: {} files reused, {} read",
                self.reused.load(Relaxed),
                self.read.load(Relaxed)
            );
        }
        if self.unchanged() {
            return;
        }
        let (Ok(fresh), Ok(mut verdicts)) = (self.fresh.lock(), self.verdicts.lock()) else {
            return;
        };
        let kept = self
            .old
            .iter()
            .filter(|(p, e)| e.taken.load(Relaxed) && !fresh.contains_key(*p));
        // A changed tree was judged anew, or not at all (a file read from
        // beyond the walk): no earlier verdict stands.
        let (verdicts, watched) = verdicts.take().unwrap_or_default();
        let verdict = |p: &[u8]| {
            let path = Path::new(std::ffi::OsStr::from_bytes(p));
            verdicts.get(crate::vfs::normalized(path).as_os_str().as_bytes())
        };
        let mut entries: Vec<(&[u8], super::index_file::Record<'_>)> = kept
            .chain(fresh.iter())
            .map(|(p, e)| {
                let mut r = to_record(e);
                match verdict(p).filter(|_| e.condensed) {
                    Some(Verdict::Inert(n)) => {
                        r.names = n.as_bytes();
                        r.flags |= INERT;
                    }
                    Some(Verdict::Keystone) => r.flags |= KEYSTONE,
                    None => {}
                }
                (&p[..], r)
            })
            .collect();
        entries.extend(watched.iter().map(|(p, s)| {
            let r = super::index_file::Record {
                stamp: stamp_words(s),
                flags: WATCHED,
                text: &[],
                names: &[],
            };
            (&p[..], r)
        }));
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let bytes = super::index_file::encode(self.key, &entries);
        let _ = write_atomically(&self.path, &bytes);
    }

    /// Record this run's verdicts ([`super::inert`]), which replace the
    /// index's when it is written, and the files it read beyond the walk
    /// (by real path), which later runs stat to trust them. A file there
    /// that cannot be stamped, or changed in the last seconds, leaves no
    /// verdict.
    pub fn judged(&self, inert: Verdicts, beyond_walk: &[PathBuf]) {
        let stamps: Option<Watched> = beyond_walk
            .iter()
            .map(|p| {
                let s = std::fs::metadata(p).ok().map(|m| Stamp::of(&m))?;
                (!self.racy(&s)).then(|| (p.as_os_str().as_bytes().into(), s))
            })
            .collect();
        let judged = stamps.map_or_else(Default::default, |w| (inert, w));
        if let Ok(mut v) = self.verdicts.lock() {
            *v = Some(judged);
        }
    }

    fn racy(&self, s: &Stamp) -> bool {
        s.mtime.0 + RACY_SECS >= self.started
    }

    /// Record a file read: counted once however many loads the run makes
    /// (`route` loads again to read a default server's file whole).
    fn note_read(&self, path: &Path, entry: Option<Entry>) {
        self.changed.store(true, Relaxed);
        let again = match (entry, self.fresh.lock()) {
            (Some(e), Ok(mut fresh)) => {
                let key: Box<[u8]> = path.as_os_str().as_bytes().into();
                fresh.insert(key, e).is_some()
            }
            _ => false,
        };
        if !again {
            self.read.fetch_add(1, Relaxed);
        }
    }
}

impl Reuse for Index {
    fn take(
        &self,
        path: &Path,
        ino: Option<u64>,
        read: &mut dyn FnMut() -> Result<Found, FsError>,
    ) -> Result<Found, FsError> {
        let Some(stamp) = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| Stamp::of(&m))
            .filter(|s| ino.is_none_or(|i| i == s.ino))
        else {
            self.note_read(path, None);
            return read();
        };
        if let Some(e) = self.old.get(path.as_os_str().as_bytes())
            && e.stamp == stamp
        {
            if !e.taken.swap(true, Relaxed) {
                self.reused.fetch_add(1, Relaxed);
            }
            return Ok(found(path, e));
        }
        let f = read()?;
        let keep = matches!(f.kind, Kind::Nginx | Kind::PhpFpm)
            && f.key == (stamp.dev, stamp.ino)
            && f.text.len() as u64 == stamp.size
            && !self.racy(&stamp);
        if matches!(f.kind, Kind::Other(_)) {
            // Not configuration (a README, a certificate): read again each
            // run, it changes neither the trees nor the index.
            self.read.fetch_add(1, Relaxed);
            return Ok(f);
        }
        if !keep {
            self.note_read(path, None);
            return Ok(f);
        }
        // The run goes on with what the index keeps, as the next run
        // will: a condensed text parses in a fraction of the file's time.
        let e = entry_of(&f, stamp);
        let out = found(path, &e);
        self.note_read(path, Some(e));
        Ok(out)
    }

    fn unchanged(&self) -> bool {
        let watched_same = || {
            *self.watched_same.get_or_init(|| {
                self.watched.iter().all(|(p, s)| {
                    let path = Path::new(std::ffi::OsStr::from_bytes(p));
                    std::fs::metadata(path).is_ok_and(|m| Stamp::of(&m) == *s)
                })
            })
        };
        !self.changed.load(Relaxed)
            && !self.watch_missed.load(Relaxed)
            && self.old.values().all(|e| e.taken.load(Relaxed))
            && watched_same()
    }

    fn watches(&self, read: &[PathBuf]) -> bool {
        // A file the judging run read that this load did not (an include
        // in a location of a file then wanted whole) changes nothing here.
        let watched: rustc_hash::FxHashSet<&[u8]> =
            self.watched.iter().map(|(p, _)| &p[..]).collect();
        let all = read
            .iter()
            .all(|p| watched.contains(p.as_os_str().as_bytes()));
        if !all {
            self.watch_missed.store(true, Relaxed);
        }
        all
    }
}

/// What the index keeps of a file read: an nginx file condensed when it
/// can be, anything else whole.
fn entry_of(f: &Found, stamp: Stamp) -> Entry {
    let nginx = f.kind == Kind::Nginx;
    let condensed = nginx.then(|| super::condense::condense(&f.text)).flatten();
    Entry {
        stamp,
        nginx,
        condensed: condensed.is_some(),
        text: condensed.map_or_else(|| f.text.clone(), Arc::from),
        verdict: None,
        taken: AtomicBool::new(false),
    }
}

fn found(path: &Path, e: &Entry) -> Found {
    Found {
        path: path.to_path_buf(),
        kind: if e.nginx { Kind::Nginx } else { Kind::PhpFpm },
        text: e.text.clone(),
        key: (e.stamp.dev, e.stamp.ino),
        held: match (&e.verdict, e.condensed) {
            (Some(Verdict::Inert(names)), true) => Held::Inert(names.clone()),
            (Some(Verdict::Keystone), true) => Held::Keystone,
            (_, true) => Held::Condensed,
            _ => Held::Whole,
        },
    }
}

fn stamp_words(s: &Stamp) -> [u64; 7] {
    [
        s.size,
        s.mtime.0 as u64,
        s.mtime.1 as u64,
        s.ctime.0 as u64,
        s.ctime.1 as u64,
        s.ino,
        s.dev,
    ]
}

fn to_record(e: &Entry) -> super::index_file::Record<'_> {
    super::index_file::Record {
        stamp: stamp_words(&e.stamp),
        flags: u8::from(e.nginx) | (u8::from(e.condensed) << 1),
        text: &e.text,
        names: &[],
    }
}

fn into_entry(r: super::index_file::Owned) -> Entry {
    let [size, ms, mn, cs, cn, ino, dev] = r.stamp;
    Entry {
        stamp: Stamp {
            size,
            mtime: (ms as i64, mn as i64),
            ctime: (cs as i64, cn as i64),
            ino,
            dev,
        },
        nginx: r.flags & 1 != 0,
        condensed: r.flags & 2 != 0,
        text: r.text,
        verdict: if r.flags & INERT != 0 {
            Some(Verdict::Inert(String::from_utf8_lossy(&r.names).into()))
        } else if r.flags & KEYSTONE != 0 {
            Some(Verdict::Keystone)
        } else {
            None
        },
        taken: AtomicBool::new(false),
    }
}

/// What decides what a run loads: the inputs (paths as given and
/// resolved, the options) and this binary (a new build may read files
/// otherwise). Each entry is checked against its file anyway: this only
/// keeps one tree's index from being overwritten by another's.
fn inputs_key(inputs: &Inputs) -> u64 {
    let mut h = FxHasher::default();
    "route index 2".hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    if let Some(m) = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
    {
        (m.size(), m.mtime(), m.mtime_nsec(), m.ino()).hash(&mut h);
    }
    format!("{inputs:?}").hash(&mut h);
    crate::vfs::host_root().hash(&mut h);
    for p in &inputs.paths {
        std::fs::canonicalize(p).ok().hash(&mut h);
    }
    h.finish()
}

/// Write `bytes` to `path` through a temporary file beside it, renamed
/// over it (a reader sees the old index or the new one, never half; of
/// two runs writing at once, one's index stands). The user's alone:
/// it holds configuration text (php-fpm pools whole, with their `env[]`).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_extension(format!("tmp{}-{nanos}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
