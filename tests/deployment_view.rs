//! The deployment view (ARCHITECTURE: "One deployment view"): stock files
//! the repository does not ship, repository runs that never read the
//! host, and `--root` as a faithful `/`.

use std::path::Path;

#[path = "support/cli.rs"]
mod cli;
use cli::{Finding, all_findings, bin, path, stdout, tree, write_tree};

/// (rule, severity, file, line, message) of every finding, through
/// `--format json`, with `env` set for the run.
fn json(args: &[&str], env: &[(&str, &Path)]) -> Vec<Finding> {
    let mut c = bin();
    c.args(["--format", "json", "--no-config"]).args(args);
    c.env_remove("NGINX_LINT_TEST_HOST_ROOT");
    for (k, v) in env {
        c.env(k, v);
    }
    all_findings(&c.output().expect("runs"))
}

const PHP_SITE: &str = "events {}\nhttp {\n    server {\n        listen 80;\n        root /var/www/html;\n        location ~ \\.php$ {\n            include fastcgi_params;\n            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n            fastcgi_pass 127.0.0.1:9000;\n        }\n    }\n}\n";

/// A repository without nginx's fastcgi_params: the include resolves to the
/// stock copy with one info, and the PHP location has REQUEST_METHOD from
/// it (no include-missing, no fastcgi-params-missing knock-on).
#[test]
fn missing_fastcgi_params_is_the_stock_copy() {
    let dir = tree(&[("nginx/nginx.conf", PHP_SITE)]);
    let got = json(&[path(dir.path()), "--select", "syntax,resolution"], &[]);
    let rules: Vec<(&str, &str, u64)> = got
        .iter()
        .filter(|f| f.0 != "upstream-no-listener")
        .map(|(r, s, _, l, _)| (r.as_str(), s.as_str(), *l))
        .collect();
    assert_eq!(rules, [("stock-file-assumed", "info", 7)], "{got:#?}");
    assert!(
        got.iter()
            .any(|f| f.4.contains("nginx 1.22.1 conf/fastcgi_params")),
        "{got:#?}"
    );
}

/// Debian's snippets/fastcgi-php.conf already has try_files: a second one
/// beside it is a duplicate nginx rejects. Found against the stock copy,
/// and shown in the user's file (at the include, when the duplicate is the
/// copy's own line).
#[test]
fn duplicate_try_files_against_debian_snippet() {
    let dir = tree(&[(
        "nginx.conf",
        "events {}\nhttp {\n    server {\n        listen 80;\n        root /var/www/html;\n        location ~ \\.php$ {\n            try_files $uri =404;\n            include snippets/fastcgi-php.conf;\n            fastcgi_pass 127.0.0.1:9000;\n        }\n    }\n}\n",
    )]);
    let got = json(&[path(dir.path())], &[]);
    let dup: Vec<_> = got
        .iter()
        .filter(|f| f.0 == "directive-duplicate")
        .collect();
    assert_eq!(dup.len(), 1, "{got:#?}");
    assert_eq!(dup[0].3, 8, "{got:#?}");
    assert!(dup[0].4.contains("fastcgi-php.conf"), "{got:#?}");
    // One note for the snippet (its own include of fastcgi.conf is part
    // of it), and every finding is in the repository's file.
    let notes = got.iter().filter(|f| f.0 == "stock-file-assumed").count();
    assert_eq!(notes, 1, "{got:#?}");
    assert!(got.iter().all(|f| f.2.ends_with("nginx.conf")), "{got:#?}");
}

/// A repository run reads nothing of the host: a fake host full of
/// conflicting files (a broken mime.types and conf.d, a passwd without
/// www-data) changes nothing, and what lies outside the repository is one
/// info per path, never an error.
#[test]
fn repository_runs_are_hermetic() {
    let repo = tree(&[
        (
            "nginx.conf",
            "user www-data;\nevents {}\nhttp {\n    include /etc/nginx/mime.types;\n    include /etc/nginx/conf.d/*.conf;\n    include /etc/nginx/extra.conf;\n    include /etc/nginx/extra.conf;\n    server { listen 80; location / { fastcgi_pass unix:/run/php/php-fpm.sock; include fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; } }\n}\n",
        ),
        (
            "php-fpm.d/www.conf",
            "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php-fpm.sock\nlisten.owner = www-data\nlisten.group = www-data\nlisten.mode = 0600\npm = static\npm.max_children = 2\ninclude = /etc/php/extra/*.conf\n",
        ),
    ]);
    let host = tree(&[
        ("etc/nginx/mime.types", "types { broken\n"),
        ("etc/nginx/conf.d/evil.conf", "server { listen 80 }\n"),
        ("etc/nginx/extra.conf", "nonsense_directive on;\n"),
        ("etc/nginx/fastcgi_params", "fastcgi_param X 1;\n"),
        ("etc/php/extra/x.conf", "[other]\nlisten = 9000\n"),
        ("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
        ("etc/group", "root:x:0:\n"),
    ]);
    let args = [path(repo.path())];
    let clean = json(&args, &[]);
    let faked = json(&args, &[("NGINX_LINT_TEST_HOST_ROOT", host.path())]);
    assert_eq!(clean, faked);
    assert!(clean.iter().all(|f| f.1 == "info"), "{clean:#?}");
    let outside: Vec<_> = clean
        .iter()
        .filter(|f| f.0 == "outside-repository")
        .map(|f| f.3)
        .collect();
    // conf.d/*.conf, extra.conf (once for both includes), php-fpm's glob.
    assert_eq!(outside, [5, 6, 10], "{clean:#?}");
}

/// The host's own configuration is still read as the host (here a fake
/// host standing for `/`): an absolute include reads the host's file.
#[test]
fn the_host_is_still_read_as_the_host() {
    let host = tree(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp { include /etc/nginx/broken.conf; }\n",
        ),
        ("etc/nginx/broken.conf", "server { listen 80 }\n"),
    ]);
    let got = json(&[], &[("NGINX_LINT_TEST_HOST_ROOT", host.path())]);
    assert!(
        got.iter()
            .any(|f| f.0 == "syntax" && f.2.ends_with("etc/nginx/broken.conf")),
        "{got:#?}"
    );
}

/// `--root` is a faithful `/`: absolute symlinks (Debian's
/// sites-enabled/default and modules-enabled/*.conf) resolve under it, in
/// the walk and in includes; `--root DIR` alone lints DIR/etc/nginx and its
/// php-fpm; every path is shown as it exists from here.
#[test]
fn root_is_a_faithful_slash() {
    let root = tree(&[
        (
            "etc/nginx/nginx.conf",
            "include /etc/nginx/modules-enabled/*.conf;\nevents {}\nhttp {\n    include /etc/nginx/sites-enabled/*;\n}\n",
        ),
        (
            "etc/nginx/sites-available/default",
            "server {\n    listen 80 default_server;\n    location ~ \\.php$ {\n        include snippets/fastcgi-php.conf;\n        fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n    }\n}\n",
        ),
        (
            "etc/nginx/sites-available/nginx-lint-test-only-here",
            "server {\n    listen 8080;\n}\n",
        ),
        (
            "usr/share/nginx/modules-available/mod-x.conf",
            "worker_processes 2;\n",
        ),
        (
            "etc/php/8.2/fpm/php-fpm.conf",
            "[global]\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
        ),
        (
            "etc/php/8.2/fpm/pool.d/www.conf",
            "[www]\nuser = root\nlisten = /run/php/php8.2-fpm.sock\nlisten.owner = nobody\nlisten.group = nogroup\npm = static\npm.max_children = 2\n",
        ),
    ]);
    let r = root.path();
    std::fs::create_dir_all(r.join("etc/nginx/sites-enabled")).expect("mkdir");
    std::fs::create_dir_all(r.join("etc/nginx/modules-enabled")).expect("mkdir");
    std::os::unix::fs::symlink(
        "/etc/nginx/sites-available/default",
        r.join("etc/nginx/sites-enabled/default"),
    )
    .expect("symlink");
    // A link that dangles on this machine (walkdir cannot follow it).
    std::os::unix::fs::symlink(
        "/etc/nginx/sites-available/nginx-lint-test-only-here",
        r.join("etc/nginx/sites-enabled/nginx-lint-test-only-here"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(
        "/usr/share/nginx/modules-available/mod-x.conf",
        r.join("etc/nginx/modules-enabled/50-mod-x.conf"),
    )
    .expect("symlink");
    let got = json(&["--root", path(r)], &[]);
    let errors: Vec<_> = got
        .iter()
        .filter(|f| f.1 == "error" && f.0 != "fpm-user-root")
        .collect();
    assert!(errors.is_empty(), "{got:#?}");
    // The pool is found under the root and shown where it is.
    let pool = got
        .iter()
        .find(|f| f.0 == "fpm-user-root")
        .unwrap_or_else(|| panic!("{got:#?}"));
    assert!(Path::new(&pool.2).is_file(), "{got:#?}");
    assert!(pool.2.starts_with(path(r)), "{got:#?}");
    // Every file shown exists as shown.
    for f in &got {
        assert!(Path::new(&f.2).is_file(), "{f:?}");
    }
    // The snippet (stock) and its fastcgi.conf reached through the link.
    assert!(got.iter().any(|f| f.0 == "stock-file-assumed"), "{got:#?}");
    // No link was skipped: each resolved under the root.
    let o = bin()
        .args(["--format", "json", "--no-config", "--root", path(r)])
        .env_remove("NGINX_LINT_TEST_HOST_ROOT")
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["skipped"], serde_json::json!([]), "{v:#}");
    write_tree(r, &[]);
}

/// What an include outside the repository brings in is unknown: an
/// upstream, a certificate or the fastcgi_params it may hold are not
/// reported missing (one info per path, no knock-on errors).
#[test]
fn unknown_includes_are_not_missing_things() {
    let dir = tree(&[(
        "nginx.conf",
        "events {}\nhttp {\n    include /etc/nginx/conf.d/upstreams.conf;\n    server {\n        listen 443 ssl;\n        include /etc/nginx/ssl/site.conf;\n        location / { proxy_pass http://app; }\n        location ~ \\.php$ {\n            include /etc/nginx/php_params;\n            fastcgi_pass 127.0.0.1:9000;\n        }\n    }\n}\n",
    )]);
    let got = json(&[path(dir.path())], &[]);
    let errors: Vec<_> = got.iter().filter(|f| f.1 == "error").collect();
    assert!(errors.is_empty(), "{got:#?}");
    let outside = got.iter().filter(|f| f.0 == "outside-repository").count();
    assert_eq!(outside, 3, "{got:#?}");
}

/// Certificates are read through the same view: under --root an absolute
/// symlink (certbot's live/ names, a secret mounted elsewhere) is followed
/// under the root, not on this machine.
#[test]
fn certificates_follow_symlinks_under_root() {
    let root = tree(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n    server {\n        listen 443 ssl;\n        ssl_certificate /etc/ssl/site.pem;\n        ssl_certificate_key /etc/ssl/site.key;\n    }\n}\n",
        ),
        ("etc/ssl/archive/site.pem", "not a certificate\n"),
        ("etc/ssl/site.key", "not a key either\n"),
    ]);
    std::os::unix::fs::symlink(
        "/etc/ssl/archive/site.pem",
        root.path().join("etc/ssl/site.pem"),
    )
    .expect("symlink");
    let got = json(
        &[
            "--root",
            path(root.path()),
            "--select",
            "tls-certificate-file",
        ],
        &[],
    );
    assert!(
        got.iter().any(|f| f.4.contains("holds no PEM certificate")),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|f| f.4.contains("does not exist")),
        "{got:#?}"
    );
}
