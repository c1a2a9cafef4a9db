//! Whether a file the request reaches is there, when `route` may look:
//! `--root DIR` reads the configuration's absolute paths under DIR,
//! `--live` on this machine. nginx opens the path and follows symbolic
//! links (`ngx_open_cached_file`); a missing file or a missing directory
//! on the way (ENOENT, ENOTDIR) is "not there", anything else (no
//! permission) is not known.

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    File,
    Dir,
    Missing,
    /// Not looked at (no `--root`/`--live`, a relative path) or not known.
    Unknown,
}

/// What is at `path` (an absolute path as nginx computes it) under
/// `root` (`/` for the machine itself).
pub fn probe(root: Option<&Path>, path: &str) -> Found {
    let (Some(root), Some(rel)) = (root, path.strip_prefix('/')) else {
        return Found::Unknown;
    };
    match std::fs::metadata(root.join(rel)) {
        Ok(m) if m.is_dir() => Found::Dir,
        Ok(_) => Found::File,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found::Missing,
        // ENOTDIR: a file where the path needs a directory.
        Err(e) if e.raw_os_error() == Some(20) => Found::Missing,
        Err(_) => Found::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_under_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("srv/d")).expect("mkdir");
        std::fs::write(dir.path().join("srv/f"), "x").expect("write");
        let root = Some(dir.path());
        assert_eq!(probe(root, "/srv/f"), Found::File);
        assert_eq!(probe(root, "/srv/d"), Found::Dir);
        assert_eq!(probe(root, "/srv/nope"), Found::Missing);
        assert_eq!(probe(root, "/srv/f/below"), Found::Missing);
        assert_eq!(probe(root, "html/x"), Found::Unknown);
        assert_eq!(probe(None, "/srv/f"), Found::Unknown);
    }
}
