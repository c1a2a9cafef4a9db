//! php-fpm files read the way the deployment reads them: drop-ins that
//! continue a pool defined elsewhere, the user the image runs php-fpm as,
//! and files php-fpm never reads.

#[path = "support/cli.rs"]
mod cli;
use cli::{findings, path, rules_at, tree};

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
        findings(&["--no-config", path(dir.path())]).1
    };
    let error = [("fpm-user-root".to_string(), "error".to_string(), 1)];
    let info = [("fpm-user-root".to_string(), "info".to_string(), 1)];
    assert!(
        with("FROM php:8.2-fpm\nCMD [\"php-fpm\"]\nCOPY ./www.conf /usr/local/etc/php-fpm.d/zz-docker.conf\nUSER www\n")
            .is_empty()
    );
    // The image copies the pool in and starts as root: php-fpm refuses it.
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY ./www.conf /usr/local/etc/php-fpm.d/zz-docker.conf\n"),
        error
    );
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY www.conf /usr/local/etc/php-fpm.d/\nUSER www\nUSER root\n"),
        error
    );
    // An image that does not copy this pool says nothing of its master.
    assert_eq!(
        with("FROM php:8.2-fpm\nCOPY other.conf /usr/local/etc/php-fpm.d/\nUSER www\n"),
        info
    );
}

/// trafex/docker-php-nginx, erseco/alpine-php-webserver and cachethq/docker
/// as deployed (`--root` on the image's file system, no Dockerfile in it):
/// their pools set no user because the images run php-fpm as `USER nobody`
/// / `www-data`. Who starts php-fpm's master is known only from evidence in
/// view; without any, a pool without `user` is an info that says what was
/// assumed, not an error. php-fpm8.2 -t on such a pool: as root "ALERT:
/// [pool www] user has not been defined", as nobody "test is successful"
/// (php-src fpm_conf.c checks the user only when `fpm_globals.is_root`).
#[test]
fn a_pool_without_user_is_an_error_only_when_the_master_is_known_to_be_root() {
    let pool = "[www]\nlisten = /run/php/www.sock\npm = static\npm.max_children = 2\n";
    let rooted = |files: &[(&str, &str)]| {
        let dir = tree(files);
        let etc = dir.path().join("etc");
        findings(&["--no-config", "--root", path(dir.path()), path(&etc)]).1
    };
    let sev = |files: &[(&str, &str)]| -> Vec<String> {
        rooted(files)
            .into_iter()
            .filter(|f| f.0 == "fpm-user-root")
            .map(|f| f.1)
            .collect()
    };
    let alpine = "etc/php85/php-fpm.d/www.conf";
    assert_eq!(sev(&[(alpine, pool)]), ["info"], "nothing in view");
    // A systemd unit without User= starts it as root (Debian's
    // php8.2-fpm.service has none); with User= it is that user.
    let unit = "[Service]\nExecStart=/usr/sbin/php-fpm85 --nodaemonize\n";
    let unit_path = "lib/systemd/system/php-fpm85.service";
    assert_eq!(sev(&[(alpine, pool), (unit_path, unit)]), ["error"]);
    let as_user = "[Service]\nUser=nobody\nExecStart=/usr/sbin/php-fpm85 --nodaemonize\n";
    assert_eq!(
        sev(&[(alpine, pool), (unit_path, as_user)]),
        Vec::<String>::new()
    );
    let drop_in = "etc/systemd/system/php-fpm85.service.d/user.conf";
    assert_eq!(
        sev(&[
            (alpine, pool),
            (unit_path, unit),
            (drop_in, "[Service]\nUser=app\n")
        ]),
        Vec::<String>::new()
    );
    // An init script (SysV, OpenRC) starts it as root.
    assert_eq!(
        sev(&[
            (alpine, pool),
            ("etc/init.d/php-fpm85", "#!/sbin/openrc-run\n")
        ]),
        ["error"]
    );
    // Debian's package layout: a true error on a Debian server's pool.
    let debian = "etc/php/8.2/fpm/pool.d/www.conf";
    assert_eq!(sev(&[(debian, pool)]), ["error"]);
    // The same in a repository that mirrors /etc, and in one that does not.
    let dir = tree(&[(debian, pool)]);
    assert_eq!(
        findings(&["--no-config", path(dir.path())]).1,
        [("fpm-user-root".to_string(), "error".to_string(), 1)]
    );
    let dir = tree(&[("php/www.conf", pool)]);
    assert_eq!(
        findings(&["--no-config", path(dir.path())]).1,
        [("fpm-user-root".to_string(), "info".to_string(), 1)]
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

/// A php-fpm container listening on every interface: an info while the
/// Compose network is the only way in, a warning when Compose publishes
/// the FastCGI port on a host address other than loopback.
#[test]
fn published_fastcgi_port_is_an_exposure() {
    let pool = "[www]\nuser = www-data\nlisten = 9000\npm = static\npm.max_children = 4\n";
    let dockerfile = "FROM php:8.3-fpm\nCOPY www.conf /usr/local/etc/php-fpm.d/www.conf\n";
    let severity = |ports: &str| {
        let compose = format!("services:\n  php:\n    build: ./php\n{ports}");
        let dir = tree(&[
            ("app/php/www.conf", pool),
            ("app/php/Dockerfile", dockerfile),
            ("app/compose.yml", &compose),
        ]);
        findings(&["--no-config", path(dir.path())])
            .1
            .into_iter()
            .filter(|(rule, _, _)| rule == "fpm-listen-exposed")
            .map(|(_, sev, line)| (sev, line))
            .collect::<Vec<_>>()
    };
    let info = [("info".to_string(), 3)];
    let warning = [("warning".to_string(), 3)];
    assert_eq!(severity(""), info);
    assert_eq!(severity("    expose:\n      - \"9000\"\n"), info);
    assert_eq!(
        severity("    ports:\n      - \"127.0.0.1:9000:9000\"\n"),
        info
    );
    assert_eq!(severity("    ports:\n      - \"9000:9000\"\n"), warning);
    assert_eq!(
        severity("    ports:\n      - target: 9000\n        published: 19000\n"),
        warning
    );
}
