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

/// The file tests of `if` (`-f`, `-d`, `-e`, `-x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileTest {
    /// `-f`: a regular file.
    Plain,
    /// `-d`: a directory.
    Dir,
    /// `-e`: a regular file or a directory.
    Exists,
    /// `-x`: the owner's execute bit.
    Exec,
}

impl FileTest {
    /// The test an `if` condition's first word names, and whether it is
    /// negated (`!-f`).
    pub fn parse(word: &str) -> Option<(FileTest, bool)> {
        let (negated, op) = match word.strip_prefix('!') {
            Some(w) => (true, w),
            None => (false, word),
        };
        let t = match op {
            "-f" => FileTest::Plain,
            "-d" => FileTest::Dir,
            "-e" => FileTest::Exists,
            "-x" => FileTest::Exec,
            _ => return None,
        };
        Some((t, negated))
    }
}

/// Whether `path` passes a file test of `if`, as
/// `ngx_http_script_file_code` (ngx_http_script.c, nginx 1.22) decides it:
/// it stats the path through `ngx_open_cached_file` (`of.test_only`,
/// symbolic links followed); a path that cannot be opened fails every test
/// (and passes its `!` form); `-f` wants `S_ISREG`, `-d` `S_ISDIR`, `-e`
/// either (a FIFO or a socket is not there for it), `-x` the owner's
/// execute bit (`ngx_is_exec`: `S_IXUSR`, a directory has it too). None:
/// not looked at (no `--root`/`--live`, a relative path) or an error other
/// than a missing file (no permission here says nothing of nginx's user).
pub fn test(root: Option<&Path>, path: &str, t: FileTest) -> Option<bool> {
    use std::os::unix::fs::PermissionsExt;
    let (Some(root), Some(rel)) = (root, path.strip_prefix('/')) else {
        return None;
    };
    let m = match std::fs::metadata(root.join(rel)) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(false),
        // ENOTDIR, ENAMETOOLONG: nginx's "not there" too.
        Err(e) if matches!(e.raw_os_error(), Some(20 | 36)) => return Some(false),
        Err(_) => return None,
    };
    Some(match t {
        FileTest::Plain => m.is_file(),
        FileTest::Dir => m.is_dir(),
        FileTest::Exists => m.is_file() || m.is_dir(),
        FileTest::Exec => m.permissions().mode() & 0o100 != 0,
    })
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

    #[test]
    fn file_tests_as_nginx() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let w = dir.path().join("w");
        std::fs::create_dir_all(w.join("d")).expect("mkdir");
        std::fs::write(w.join("f"), "x").expect("write");
        std::fs::write(w.join("x"), "x").expect("write");
        std::fs::set_permissions(w.join("x"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::os::unix::fs::symlink("f", w.join("lnk")).expect("symlink");
        std::os::unix::fs::symlink("nope", w.join("dangling")).expect("symlink");
        let root = Some(dir.path());
        let t = |p: &str, t| test(root, p, t);
        use FileTest::*;
        assert_eq!(t("/w/f", Plain), Some(true));
        assert_eq!(t("/w/f", Dir), Some(false));
        assert_eq!(t("/w/f", Exec), Some(false));
        assert_eq!(t("/w/d", Plain), Some(false));
        assert_eq!(t("/w/d", Dir), Some(true));
        assert_eq!(t("/w/d", Exists), Some(true));
        assert_eq!(t("/w/d", Exec), Some(true));
        assert_eq!(t("/w/x", Exec), Some(true));
        assert_eq!(t("/w/lnk", Plain), Some(true));
        assert_eq!(t("/w/dangling", Exists), Some(false));
        assert_eq!(t("/w/nope", Exists), Some(false));
        assert_eq!(t("/w/f/below", Exists), Some(false));
        assert_eq!(t("w/f", Plain), None);
        assert_eq!(test(None, "/w/f", Plain), None);
        assert_eq!(FileTest::parse("!-x"), Some((Exec, true)));
        assert_eq!(FileTest::parse("-e"), Some((Exists, false)));
        assert_eq!(FileTest::parse("-y"), None);
    }
}
