//! php-fpm files read the way the deployment reads them: drop-ins that
//! continue a pool defined elsewhere, the user the image runs php-fpm as,
//! and files php-fpm never reads.

#[path = "support/cli.rs"]
mod cli;
use cli::{path, rules_at, tree};

/// laradock's xlaravel.pool.conf (and invoiceninja's php-fpm.conf) in
/// short: pool settings without a `[pool]` header, copied into the php
/// image's php-fpm.d/ after www.conf, so php-fpm reads them into [www]
/// (`php-fpm8.2 -tt` shows `listen = 0.0.0.0:9000` under [www]). Linted
/// in the repository, where nothing includes it: no "no pool", no "no
/// listen address", no "unknown entry" for pool settings, and the values
/// it sets are still checked.
#[test]
fn section_less_pool_fragment_continues_a_pool_defined_elsewhere() {
    let fragment = "; Unix user/group of processes\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\npm.max_children = 20\nenv[DB_HOST] = $DB_HOST\ncatch_workers_output = maybe\n";
    let dir = tree(&[("php-fpm/xlaravel.pool.conf", fragment)]);
    let got = rules_at(&["--no-config", path(dir.path())]);
    assert_eq!(got, [("fpm-invalid-value".to_string(), 8)], "{got:?}");
    // One line, as invoiceninja's: nothing to say.
    let dir = tree(&[("debian/php/php-fpm.conf", "pm.max_children = 10\n")]);
    let got = rules_at(&["--no-config", path(dir.path())]);
    assert!(got.is_empty(), "{got:?}");
}

/// biodiversity's php-fpm-noroot-socket in short: the image copies the
/// pool in and runs as `USER www`, so php-fpm ignores `user` (php-src's
/// bug68391 test: "'user' directive is ignored when FPM is not running as
/// root") and the pool needs none. Without the USER, or when the image
/// does not copy this pool, the missing user is still reported.
#[test]
fn dockerfile_user_runs_php_fpm() {
    let pool = "[www]\nlisten = /run/php/www.sock\npm = static\npm.max_children = 2\n";
    let with = |dockerfile: &str| {
        let dir = tree(&[("www.conf", pool), ("Dockerfile", dockerfile)]);
        rules_at(&["--no-config", path(dir.path())])
    };
    let user_root = [("fpm-user-root".to_string(), 1)];
    assert!(
        with("FROM php:8.2-fpm\nCMD [\"php-fpm\"]\nCOPY ./www.conf /usr/local/etc/php-fpm.d/zz-docker.conf\nUSER www\n")
            .is_empty()
    );
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY ./www.conf /usr/local/etc/php-fpm.d/zz-docker.conf\n"),
        user_root
    );
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY other.conf /usr/local/etc/php-fpm.d/\nUSER www\n"),
        user_root
    );
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY www.conf /usr/local/etc/php-fpm.d/\nUSER www\nUSER root\n"),
        user_root
    );
}

/// pterodactyl in short: the image's php-fpm.conf is replaced by a bare
/// [www] pool that includes nothing, so the php image's php-fpm.d/ files
/// are never read (php-fpm8.2 -t on the deployed tree: ok). They are left
/// out, not merged into a second [www] that conflicts with the first.
#[test]
fn files_the_main_php_fpm_conf_does_not_include_are_not_read() {
    let main = "[www]\nuser = nginx\nlisten = 127.0.0.1:9000\npm = ondemand\npm.max_children = 9\n";
    let docker = "[global]\nerror_log = /proc/self/fd/2\n[www]\nlisten = 9000\ncatch_workers_output = maybe\n";
    let dir = tree(&[
        ("usr/local/etc/php-fpm.conf", main),
        ("usr/local/etc/php-fpm.d/docker.conf", docker),
        (
            "usr/local/etc/php-fpm.d/www.conf",
            "[www]\nlisten = 127.0.0.1:9000\n",
        ),
    ]);
    let etc = dir.path().join("usr/local/etc");
    let args = [
        "--no-config",
        "--root",
        path(dir.path()),
        "--php-fpm",
        path(&etc),
        "--php-fpm-prefix",
        "/usr/local",
    ];
    let got = rules_at(&args);
    assert!(got.is_empty(), "{got:?}");
    // Included, they are read (and the main's [www] after the include
    // sets the listen address last).
    let included = format!("[global]\ninclude = etc/php-fpm.d/*.conf\n{main}");
    cli::write_tree(dir.path(), &[("usr/local/etc/php-fpm.conf", &included)]);
    let got = rules_at(&args);
    assert_eq!(got, [("fpm-invalid-value".to_string(), 5)], "{got:?}");
}
