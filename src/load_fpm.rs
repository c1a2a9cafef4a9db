//! php-fpm files of a run: those the walk found (classified by content),
//! those named with `--php-fpm`, and on a live server the usual places
//! under /etc. Master configs (with `[global]`) are loaded first, with their
//! includes; pool files that no master included are loaded after them, as
//! config repositories often keep pool.d/ on its own, and as drop-ins: a
//! file that starts with pool settings and no header continues a pool
//! defined elsewhere (see `fpm::load_drop_ins`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::fpm::{self, FpmConfig, LoadOptions};
use crate::source::SourceMap;
use crate::vfs::Fs;

/// Where php-fpm lives on common systems, for `nginx-lint /etc/nginx`.
pub const LIVE_LOCATIONS: &[&str] = &[
    "/etc/php-fpm.conf",
    "/etc/php-fpm.d",
    "/usr/local/etc/php-fpm.conf",
    "/usr/local/etc/php-fpm.d",
];

/// The php-fpm directories of a live server (`/etc/php/*/fpm` and the
/// LIVE_LOCATIONS that exist), under `base` (`/`, or `--root`).
pub fn live_dirs(base: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(base.join("etc/php")) {
        let mut versions: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path().join("fpm")))
            .collect();
        versions.sort();
        out.extend(versions.into_iter().filter(|p| p.is_dir()));
    }
    out.extend(
        LIVE_LOCATIONS
            .iter()
            .map(|l| base.join(l.trim_start_matches('/')))
            .filter(|p| p.exists()),
    );
    out
}

fn is_master(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n')
        .any(|l| l.trim_ascii().eq_ignore_ascii_case(b"[global]"))
}

/// A main file as php-fpm's default `-y` names it: `php-fpm.conf` that
/// opens with a section header (a section-less file of that name is a
/// drop-in, as invoiceninja's).
fn is_main(p: &Path, text: &[u8]) -> bool {
    let first = text
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty() && !l.starts_with(b";"));
    p.file_name().is_some_and(|n| n == "php-fpm.conf") && first.is_some_and(|l| l.starts_with(b"["))
}

/// Load every php-fpm file into one configuration; `dockerfiles` (host
/// paths) and the tree may say which user starts it (`fpm_master`).
///
/// A main `php-fpm.conf` that defines a pool and whose includes were all
/// followed is what php-fpm reads: the files below its directory that it does not reach (the php
/// image's php-fpm.d/ under a replaced php-fpm.conf, as pterodactyl's) are
/// never read by php-fpm, so they are left out (`not_loaded`) instead of
/// merged into its pools.
pub fn load(
    fs: &dyn Fs,
    sources: &mut SourceMap,
    files: &[PathBuf],
    prefix: &Path,
    dockerfiles: &[PathBuf],
) -> Option<FpmConfig> {
    if files.is_empty() {
        return None;
    }
    let opts = LoadOptions {
        prefix: prefix.to_path_buf(),
    };
    let mut dirs = HashMap::new();
    let (mains, others): (Vec<PathBuf>, Vec<PathBuf>) = files
        .iter()
        .cloned()
        .partition(|p| fs.read(p).is_ok_and(|t| is_main(p, &t)));
    let mut cfg = fpm::load_many(fs, sources, &mains, &opts);
    let mut others = unread(fs, sources, &cfg, others, &mut dirs);
    // A main without a pool of its own (php-fpm would refuse it alone) is
    // more likely a repository's that keeps pool.d/ beside it.
    if !mains.is_empty() && !cfg.open_includes && !cfg.pools.is_empty() {
        let (out, keep): (Vec<PathBuf>, Vec<PathBuf>) = others.into_iter().partition(|p| {
            mains
                .iter()
                .any(|m| m.parent().is_some_and(|d| p.starts_with(d)))
        });
        let mut once = HashSet::new();
        cfg.not_loaded = out
            .into_iter()
            .filter(|p| once.insert(canonical(&fs.real_path(p), &mut dirs)))
            .collect();
        others = keep;
    }
    let (masters, pools): (Vec<PathBuf>, Vec<PathBuf>) = others
        .into_iter()
        .partition(|p| fs.read(p).is_ok_and(|t| is_master(&t)));
    merge(&mut cfg, fpm::load_many(fs, sources, &masters, &opts));
    let rest = unread(fs, sources, &cfg, pools, &mut dirs);
    if !rest.is_empty() {
        let more = fpm::load_drop_ins(fs, sources, &rest, &opts);
        merge(&mut cfg, more);
    }
    let real: Vec<PathBuf> = cfg
        .files
        .iter()
        .map(|id| canonical(&sources.get(*id).real, &mut dirs))
        .collect();
    let dockerfiles: Vec<PathBuf> = dockerfiles
        .iter()
        .map(|d| canonical(d, &mut dirs))
        .collect();
    cfg.container = crate::fpm_master::container(&dockerfiles, &real);
    match crate::fpm_master::master(fs, &dockerfiles, &real) {
        Some(crate::fpm_master::Master::User(run_as)) => cfg.run_as = Some(run_as),
        Some(crate::fpm_master::Master::Root(why)) => cfg.master_root = Some(why),
        None => {}
    }
    Some(cfg)
}

/// The files of `candidates` that `cfg` has not read.
fn unread(
    fs: &dyn Fs,
    sources: &SourceMap,
    cfg: &FpmConfig,
    candidates: Vec<PathBuf>,
    dirs: &mut HashMap<PathBuf, PathBuf>,
) -> Vec<PathBuf> {
    let seen: HashSet<PathBuf> = cfg
        .files
        .iter()
        .map(|id| canonical(&sources.get(*id).real, dirs))
        .collect();
    candidates
        .into_iter()
        .filter(|p| !seen.contains(&canonical(&fs.real_path(p), dirs)))
        .collect()
}

/// The canonical path of `p`. A file that is not a symlink is its
/// directory's canonical path (asked once per directory) plus its name: a
/// thousand pools in one pool.d/ cost a thousand lstat calls, not the five
/// readlink calls per path of a full canonicalize.
fn canonical(p: &Path, dirs: &mut HashMap<PathBuf, PathBuf>) -> PathBuf {
    let full = || std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
        return full();
    };
    if dir.as_os_str().is_empty()
        || std::fs::symlink_metadata(p).map_or(true, |m| m.file_type().is_symlink())
    {
        return full();
    }
    let canon_dir = dirs
        .entry(dir.to_path_buf())
        .or_insert_with(|| std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
    canon_dir.join(name)
}

fn merge(into: &mut FpmConfig, more: FpmConfig) {
    into.open_includes |= more.open_includes;
    into.files.extend(more.files);
    into.entry_files.extend(more.entry_files);
    into.pools.extend(more.pools);
    into.findings.extend(more.findings);
    into.outlines.extend(more.outlines);
    if into.global.header_span.is_none() {
        into.global.header_span = more.global.header_span;
    }
    into.global.settings.extend(more.global.settings);
}
