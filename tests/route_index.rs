//! `route`'s index of the files it read (`route::index`): a second run
//! takes the unchanged files from it, and whatever changed on disk (a
//! file edited, deleted, added) or in the cache directory (an index cut
//! short or corrupt, a directory that cannot be written) gives the
//! answer a run without it gives. `NGINX_LINT_TIMINGS` says how many
//! files each run took from the index and how many it read.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

#[path = "support/cli.rs"]
mod cli;
use cli::{bin, stdout};

const SITES: usize = 12;

fn site(k: usize, name: &str) -> String {
    format!(
        "server {{\n    listen 80;\n    server_name {name};\n    location / {{ return 200 \"site {k}\"; }}\n}}\n"
    )
}

/// A tree of SITES vhosts, its files an hour old (a file modified in the
/// last seconds is not trusted to the index).
fn tree(dir: &Path) -> PathBuf {
    let nginx = dir.join("nginx");
    std::fs::create_dir_all(nginx.join("sites")).unwrap();
    std::fs::write(
        nginx.join("nginx.conf"),
        "events {}\nhttp {\n    include sites/*.conf;\n}\n",
    )
    .unwrap();
    for k in 0..SITES {
        write_old(
            &nginx.join(format!("sites/s{k:02}.conf")),
            &site(k, &format!("s{k:02}.test")),
            3600,
        );
    }
    age(&nginx.join("nginx.conf"), 3600);
    nginx
}

/// Write `text`, then set the file's mtime `secs` seconds back.
fn write_old(path: &Path, text: &str, secs: u64) {
    std::fs::write(path, text).unwrap();
    age(path, secs);
}

fn age(path: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs))
        .unwrap();
}

fn route(cache: &Path, url: &str, nginx: &Path, extra: &[&str]) -> Output {
    let mut c = bin();
    c.env("NGINX_LINT_CACHE_DIR", cache)
        .env("NGINX_LINT_TIMINGS", "1")
        .arg("route")
        .arg(url)
        .arg(nginx)
        .args(["--format", "json"])
        .args(extra);
    let o = c.output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// (files reused, files read) as the run printed them.
fn counts(o: &Output) -> (usize, usize) {
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("route index: "))
        .unwrap_or_else(|| panic!("no index line in {err}"));
    let n: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches(',').parse().ok())
        .collect();
    (n[0], n[1])
}

/// The answer of a run that reads every file.
fn uncached(url: &str, nginx: &Path) -> String {
    let none = tempfile::tempdir().unwrap();
    stdout(&route(none.path(), url, nginx, &["--no-cache"]))
}

const FILES: usize = SITES + 1;

#[test]
fn a_second_run_reads_nothing_and_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    let url = "http://s05.test/x";
    let first = route(&cache, url, &nginx, &[]);
    assert_eq!(counts(&first), (0, FILES));
    let second = route(&cache, url, &nginx, &[]);
    assert_eq!(counts(&second), (FILES, 0));
    // Another host: its vhost was kept condensed, and is read whole again.
    let other = route(&cache, "http://s07.test/x", &nginx, &[]);
    assert_eq!(counts(&other), (FILES, 0));
    let expect = uncached(url, &nginx);
    assert_eq!(stdout(&first), expect);
    assert_eq!(stdout(&second), expect);
    assert_eq!(stdout(&other), uncached("http://s07.test/x", &nginx));
    assert!(stdout(&other).contains("site 7"), "{}", stdout(&other));
}

#[test]
fn an_edit_of_the_same_size_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    let url = "http://mov.test/";
    route(&cache, url, &nginx, &[]);
    let before = route(&cache, url, &nginx, &[]);
    assert_eq!(counts(&before), (FILES, 0));
    // s03's name becomes mov.test: the same size, the same mtime (put
    // back, as `cp -p` or an unpacked archive would): the ctime tells.
    let s03 = nginx.join("sites/s03.conf");
    let mtime = std::fs::metadata(&s03).unwrap().modified().unwrap();
    std::fs::write(&s03, site(3, "mov.test")).unwrap();
    let f = std::fs::File::options().write(true).open(&s03).unwrap();
    f.set_modified(mtime).unwrap();
    assert_eq!(
        std::fs::metadata(&s03).unwrap().len(),
        site(3, "s03.test").len() as u64
    );
    let after = route(&cache, url, &nginx, &[]);
    assert_eq!(counts(&after), (FILES - 1, 1));
    assert_eq!(stdout(&after), uncached(url, &nginx));
    assert!(stdout(&after).contains("site 3"), "{}", stdout(&after));
    assert_ne!(stdout(&before), stdout(&after));
}

#[test]
fn a_deleted_file_and_a_new_file_are_seen() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    route(&cache, "http://s04.test/", &nginx, &[]);
    std::fs::remove_file(nginx.join("sites/s04.conf")).unwrap();
    write_old(
        &nginx.join("sites/zz.conf"),
        &site(99, "s04.test new.test"),
        3600,
    );
    for url in ["http://s04.test/", "http://new.test/", "http://s06.test/"] {
        let o = route(&cache, url, &nginx, &[]);
        assert_eq!(stdout(&o), uncached(url, &nginx), "{url}");
    }
    let o = route(&cache, "http://s04.test/", &nginx, &[]);
    assert!(stdout(&o).contains("site 99"), "{}", stdout(&o));
    assert_eq!(counts(&o), (FILES, 0));
}

fn index_file(cache: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_corrupt_or_cut_index_is_read_around_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    let url = "http://s02.test/";
    let expect = uncached(url, &nginx);
    route(&cache, url, &nginx, &[]);
    let idx = index_file(&cache);
    let good = std::fs::read(&idx).unwrap();
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    let damaged = [
        good[..good.len() / 3].to_vec(),
        flipped,
        b"not an index".to_vec(),
        Vec::new(),
    ];
    for bad in damaged {
        std::fs::write(&idx, &bad).unwrap();
        let o = route(&cache, url, &nginx, &[]);
        assert_eq!(stdout(&o), expect);
        assert_eq!(counts(&o), (0, FILES));
        // Rewritten: the next run reads nothing.
        let o = route(&cache, url, &nginx, &[]);
        assert_eq!(counts(&o), (FILES, 0));
        assert_eq!(stdout(&o), expect);
    }
}

#[test]
fn no_cache_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    let o = route(&cache, "http://s01.test/", &nginx, &["--no-cache"]);
    assert!(stdout(&o).contains("site 1"));
    assert!(!cache.exists());
    route(&cache, "http://s01.test/", &nginx, &[]);
    assert!(cache.exists());
}

#[test]
fn an_unwritable_cache_directory_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    // A directory below a file: nothing can be created there, whoever runs.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let cache = file.join("cache");
    let url = "http://s08.test/";
    for _ in 0..2 {
        let o = route(&cache, url, &nginx, &[]);
        assert_eq!(stdout(&o), uncached(url, &nginx));
        assert_eq!(counts(&o), (0, FILES));
    }
}

#[test]
fn the_index_lives_in_the_cache_directory_not_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = tree(dir.path());
    let cache = dir.path().join("cache");
    let before: Vec<_> = walk(&nginx);
    route(&cache, "http://s01.test/", &nginx, &[]);
    assert_eq!(walk(&nginx), before);
    // Configuration text: readable by its user alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(index_file(&cache))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The inert files left unparsed, as the run printed it.
fn unparsed(o: &Output) -> usize {
    let err = String::from_utf8_lossy(&o.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("route: "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no unparsed line in {err}"))
}

/// A host tree whose vhosts all include a file outside /etc/nginx, as
/// certbot's `include /etc/letsencrypt/options-ssl-nginx.conf;`: the walk
/// does not see it, so the index stamps it, and a change to it is a
/// change of the tree.
#[test]
fn a_file_read_beyond_the_walk_is_watched() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let nginx = root.join("etc/nginx");
    let le = root.join("etc/letsencrypt");
    std::fs::create_dir_all(nginx.join("sites")).unwrap();
    std::fs::create_dir_all(&le).unwrap();
    std::fs::create_dir_all(root.join("etc/extra")).unwrap();
    write_old(
        &nginx.join("nginx.conf"),
        "events {}\nhttp {\n    include /etc/nginx/sites/*.conf;\n    include /etc/extra/*.conf;\n}\n",
        3600,
    );
    let options = le.join("options-ssl-nginx.conf");
    write_old(&options, "ssl_session_cache shared:le:1m;\n", 3600);
    for k in 0..SITES {
        let text = format!(
            "server {{\n    listen 80;\n    server_name s{k:02}.test;\n    include /etc/letsencrypt/options-ssl-nginx.conf;\n    location / {{ return 200 \"site {k}\"; }}\n}}\n"
        );
        write_old(&nginx.join(format!("sites/s{k:02}.conf")), &text, 3600);
    }
    let cache = dir.path().join("cache");
    let run = |url: &str, extra: &[&str]| {
        let o = bin()
            .env("NGINX_LINT_CACHE_DIR", &cache)
            .env("NGINX_LINT_TIMINGS", "1")
            .args(["route", url, "--format", "json", "--root"])
            .arg(&root)
            .args(extra)
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    let url = "http://s05.test/x";
    let first = run(url, &[]);
    assert_eq!(
        unparsed(&first),
        0,
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // s00 holds the address's first (default) server; the others are
    // inert, the included file kept by s00.
    let warm = run(url, &[]);
    assert_eq!(
        unparsed(&warm),
        SITES - 2,
        "{}",
        String::from_utf8_lossy(&warm.stderr)
    );
    let expect = stdout(&run(url, &["--no-cache"]));
    assert_eq!(stdout(&warm), expect);
    // The included file changes: nothing is left unparsed, and the tree
    // is judged again.
    write_old(
        &options,
        "ssl_session_cache shared:le:2m;\nserver_name le.test;\n",
        3600,
    );
    let after = run(url, &[]);
    assert_eq!(unparsed(&after), 0);
    assert_eq!(stdout(&after), stdout(&run(url, &["--no-cache"])));
    assert_eq!(unparsed(&run(url, &[])), SITES - 2);
    // Every server has the included name now: a request for it reads
    // them all, and the first takes it.
    let le = run("http://le.test/x", &[]);
    assert_eq!(unparsed(&le), 0);
    assert!(stdout(&le).contains("site 0"), "{}", stdout(&le));
    // A file beyond the walk that the judging run did not read (matched
    // by a glob now): nothing is trusted, the tree is judged again, and
    // the next run trusts it.
    write_old(
        &root.join("etc/extra/late.conf"),
        "server {\n    listen 80 default_server;\n    server_name late.test;\n    location / { return 200 late; }\n}\n",
        3600,
    );
    let late = run("http://nobody.test/", &[]);
    assert_eq!(unparsed(&late), 0);
    assert_eq!(
        stdout(&late),
        stdout(&run("http://nobody.test/", &["--no-cache"]))
    );
    assert!(stdout(&late).contains("\"200 late\""), "{}", stdout(&late));
    assert_eq!(unparsed(&run(url, &[])), SITES - 2);
}
