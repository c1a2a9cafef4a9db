//! Changed-file mode (what a pre-commit hook and an editor run): every
//! named file's findings are reported, nginx and php-fpm alike, and each
//! file is judged within its tree, with `--root` / `root =` too, and for a
//! buffer on stdin named by `--stdin-filename`.

#[path = "support/cli.rs"]
mod cli;

use cli::{run_in, run_stdin_in, stderr, stdout, write_tree};
use std::path::Path;

fn php_site(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/php-site")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// testdata/php-site as a repository lays it out (nginx/, php/), or
/// mirrored under etc/ as the server does (for `--root`).
fn site_tree(mirrored: bool, pool_user: &str) -> tempfile::TempDir {
    let (n, p) = if mirrored {
        ("etc/nginx", "etc/php/8.2/fpm")
    } else {
        ("nginx", "php")
    };
    let pool = php_site("php/pool.d/shop.conf").replace("user = shop", pool_user);
    let files: Vec<(String, String)> = vec![
        (format!("{n}/nginx.conf"), php_site("nginx/nginx.conf")),
        (format!("{n}/mime.types"), php_site("nginx/mime.types")),
        (
            format!("{n}/fastcgi_params"),
            php_site("nginx/fastcgi_params"),
        ),
        (
            format!("{n}/sites-enabled/shop"),
            php_site("nginx/sites-enabled/shop"),
        ),
        (format!("{p}/php-fpm.conf"), php_site("php/php-fpm.conf")),
        (format!("{p}/pool.d/shop.conf"), pool),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_tree(dir.path(), &refs);
    dir
}

fn shown(o: &std::process::Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o))
}

/// The usual commit that moves a socket touches a site and a pool: the
/// pool's findings were dropped (a pool running as root passed the hook).
#[test]
fn a_site_and_a_pool_named_together_report_both() {
    let dir = site_tree(false, "user = root");
    let o = run_in(
        dir.path(),
        &[
            "--no-help",
            "nginx/sites-enabled/shop",
            "php/pool.d/shop.conf",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert_eq!(
        stdout(&o),
        "php/pool.d/shop.conf:2:1: error[fpm-user-root] pool shop runs its workers with user root: any PHP bug becomes full control of the machine; php-fpm refuses to start with \"[pool shop] please specify user and group other than root\" unless run with -R\n"
    );
}

/// A pool named alone is judged with its php-fpm tree (php-fpm.conf above
/// it) and the site named alone with its nginx tree: the clean tree stays
/// clean file by file.
#[test]
fn each_named_file_alone_is_judged_in_its_tree() {
    let dir = site_tree(false, "user = shop");
    for f in ["php/pool.d/shop.conf", "nginx/sites-enabled/shop"] {
        let o = run_in(dir.path(), &["--no-help", "--php-fpm", "php", f]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", shown(&o));
    }
}

/// Under `--root` (a repository that mirrors the server) a changed file
/// was read alone: a false stock-file-assumed, a false upstream-undefined
/// and a php-fpm warning for a tree whose pool is right there.
#[test]
fn root_places_a_changed_file_in_the_servers_tree() {
    let dir = site_tree(true, "user = shop");
    let whole = run_in(dir.path(), &["--root", "."]);
    assert_eq!(whole.status.code(), Some(0), "{}", shown(&whole));
    let o = run_in(dir.path(), &["--root", ".", "etc/nginx/sites-enabled/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    assert_eq!(stdout(&o), "");
    // The same with `root = "."` in the config file.
    std::fs::write(dir.path().join(".nginx-lint.toml"), "root = \".\"\n").expect("write");
    let o = run_in(dir.path(), &["etc/nginx/sites-enabled/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    // The pool is context too: a socket it does not listen on is an error
    // that names it.
    let site = dir.path().join("etc/nginx/sites-enabled/shop");
    let text = std::fs::read_to_string(&site).expect("read");
    std::fs::write(&site, text.replace("shop.sock", "other.sock")).expect("write");
    let o = run_in(dir.path(), &["etc/nginx/sites-enabled/shop"]);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let out = stdout(&o);
    assert!(out.contains("error[upstream-no-listener]"), "{out}");
    assert!(out.contains("shop.sock"), "{out}");
    // And a pool named alone under the root is reported.
    std::fs::write(&site, text).expect("write");
    let pool = dir.path().join("etc/php/8.2/fpm/pool.d/shop.conf");
    let p = std::fs::read_to_string(&pool).expect("read");
    std::fs::write(&pool, p.replace("user = shop", "user = root")).expect("write");
    let o = run_in(
        dir.path(),
        &[
            "--no-help",
            "etc/nginx/sites-enabled/shop",
            "etc/php/8.2/fpm/pool.d/shop.conf",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert!(
        stdout(&o).starts_with("etc/php/8.2/fpm/pool.d/shop.conf:2:1: error[fpm-user-root]"),
        "{}",
        shown(&o)
    );
    assert_eq!(stdout(&o).lines().count(), 1, "{}", shown(&o));
}

/// An editor pipes the unsaved buffer with `--stdin-filename`: it is
/// judged in NAME's tree (the upstream `api` of nginx.conf is known), and
/// the buffer, not the file on disk, is what is linted.
#[test]
fn stdin_filename_places_the_buffer_in_its_tree() {
    let dir = site_tree(false, "user = shop");
    let text = php_site("nginx/sites-enabled/shop");
    let args = ["--no-help", "--stdin-filename", "nginx/sites-enabled/shop"];
    let o = run_stdin_in(dir.path(), &args, &text);
    // The pool is not named: only the php-fpm warning of a tree without it.
    let out = stdout(&o);
    assert!(!out.contains("upstream-undefined"), "{}", shown(&o));
    assert!(!out.contains("stock-file-assumed"), "{}", shown(&o));
    let edited = text.replace("proxy_pass http://api;", "proxy_pass http://apii;");
    let o = run_stdin_in(dir.path(), &args, &edited);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert!(
        stdout(&o).contains("nginx/sites-enabled/shop:13:9: error[upstream-undefined] host not found in upstream \"apii\""),
        "{}",
        shown(&o)
    );
    // Under a root, with the pool as context.
    let dir = site_tree(true, "user = shop");
    let args = [
        "--no-help",
        "--root",
        ".",
        "--stdin-filename",
        "etc/nginx/sites-enabled/shop",
    ];
    let o = run_stdin_in(dir.path(), &args, &text);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    let o = run_stdin_in(dir.path(), &args, &text.replace("shop.sock", "other.sock"));
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert!(
        stdout(&o).contains("error[upstream-no-listener]"),
        "{}",
        shown(&o)
    );
}
