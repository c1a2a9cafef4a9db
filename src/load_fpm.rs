//! php-fpm files of a run: those the walk found (classified by content),
//! those named with `--php-fpm`, and on a live server the usual places
//! under /etc. Master configs (with `[global]`) are loaded first, with their
//! includes; pool files that no master included are loaded after them, as
//! config repositories often keep pool.d/ on its own.

use std::collections::HashSet;
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
/// LIVE_LOCATIONS that exist).
pub fn live_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/etc/php") {
        let mut versions: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path().join("fpm")))
            .collect();
        versions.sort();
        out.extend(versions.into_iter().filter(|p| p.is_dir()));
    }
    out.extend(
        LIVE_LOCATIONS
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.exists()),
    );
    out
}

fn is_master(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n')
        .any(|l| l.trim_ascii().eq_ignore_ascii_case(b"[global]"))
}

/// Load every php-fpm file into one configuration.
pub fn load(
    fs: &dyn Fs,
    sources: &mut SourceMap,
    files: &[PathBuf],
    prefix: &Path,
) -> Option<FpmConfig> {
    if files.is_empty() {
        return None;
    }
    let opts = LoadOptions {
        prefix: prefix.to_path_buf(),
    };
    let (masters, pools): (Vec<PathBuf>, Vec<PathBuf>) = files
        .iter()
        .cloned()
        .partition(|p| fs.read(p).is_ok_and(|t| is_master(&t)));
    let mut cfg = fpm::load_many(fs, sources, &masters, &opts);
    let seen: HashSet<PathBuf> = cfg
        .files
        .iter()
        .map(|id| canonical(&sources.get(*id).real))
        .collect();
    let rest: Vec<PathBuf> = pools
        .into_iter()
        .filter(|p| !seen.contains(&canonical(&fs.real_path(p))))
        .collect();
    if !rest.is_empty() {
        let more = fpm::load_many(fs, sources, &rest, &opts);
        merge(&mut cfg, more);
    }
    Some(cfg)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn merge(into: &mut FpmConfig, more: FpmConfig) {
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
