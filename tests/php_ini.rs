//! php.ini beside php-fpm: which files are read for a pool, in which order,
//! what wins, and rust-ini as an oracle for the values read from real
//! php.ini files.

use std::path::{Path, PathBuf};

use nginx_lint::fpm::{self, LoadOptions};
use nginx_lint::php_ini::{self, Origin, PhpInis};
use nginx_lint::source::SourceMap;
use nginx_lint::vfs::MemFs;

const POOL: &str =
    "[www]\nuser = www-data\nlisten = /run/php/fpm.sock\npm = static\npm.max_children = 2\n";

fn load(files: &[(&str, &str)], entry: &str) -> (fpm::FpmConfig, PhpInis) {
    let mut fs = MemFs::new();
    for (p, t) in files {
        fs.insert(*p, *t);
    }
    let mut map = SourceMap::new();
    let cfg = fpm::load_many(
        &fs,
        &mut map,
        &[PathBuf::from(entry)],
        &LoadOptions::default(),
    );
    let inis = php_ini::load(&fs, &mut map, &cfg, &|p: &Path| p.to_path_buf());
    (cfg, inis)
}

fn value(cfg: &fpm::FpmConfig, inis: &PhpInis, key: &str) -> Option<(String, Origin)> {
    inis.effective(cfg, 0, key).map(|e| (e.value, e.origin))
}

#[test]
fn debian_layout_conf_d_after_php_ini_in_name_order() {
    let (cfg, inis) = load(
        &[
            ("/etc/php/8.2/fpm/pool.d/www.conf", POOL),
            (
                "/etc/php/8.2/fpm/php.ini",
                "[PHP]\npost_max_size = 8M\nupload_max_filesize = 2M\nmax_execution_time = 30\n",
            ),
            (
                "/etc/php/8.2/fpm/conf.d/99-uploads.ini",
                "post_max_size = 64M\n",
            ),
            (
                "/etc/php/8.2/fpm/conf.d/20-uploads.ini",
                "post_max_size = 32M\n",
            ),
        ],
        "/etc/php/8.2/fpm/pool.d/www.conf",
    );
    assert_eq!(
        value(&cfg, &inis, "post_max_size"),
        Some(("64M".into(), Origin::Ini))
    );
    assert_eq!(
        value(&cfg, &inis, "upload_max_filesize"),
        Some(("2M".into(), Origin::Ini))
    );
    assert_eq!(
        value(&cfg, &inis, "memory_limit"),
        Some(("128M".into(), Origin::Default))
    );
    assert_eq!(inis.sets.len(), 1);
    assert_eq!(inis.sets[0].files.len(), 3);
}

#[test]
fn docker_image_layout_reads_php_conf_d() {
    let (cfg, inis) = load(
        &[
            ("/usr/local/etc/php-fpm.d/www.conf", POOL),
            (
                "/usr/local/etc/php/conf.d/uploads.ini",
                "upload_max_filesize = \"100M\" ; quoted\n",
            ),
        ],
        "/usr/local/etc/php-fpm.d/www.conf",
    );
    assert_eq!(
        value(&cfg, &inis, "upload_max_filesize"),
        Some(("100M".into(), Origin::Ini))
    );
    assert_eq!(
        value(&cfg, &inis, "post_max_size"),
        Some(("8M".into(), Origin::Default))
    );
}

#[test]
fn pool_values_win_admin_over_plain() {
    let pool = format!(
        "{POOL}php_admin_value[post_max_size] = 20M\nphp_value[post_max_size] = 10M\nphp_value[memory_limit] = 1G\n"
    );
    let (cfg, inis) = load(
        &[
            ("/etc/php84/php-fpm.d/www.conf", pool.as_str()),
            (
                "/etc/php84/php.ini",
                "post_max_size = 8M\nmemory_limit = 256M\n",
            ),
        ],
        "/etc/php84/php-fpm.d/www.conf",
    );
    assert_eq!(
        value(&cfg, &inis, "post_max_size"),
        Some(("20M".into(), Origin::Pool))
    );
    let e = inis.effective(&cfg, 0, "memory_limit");
    assert_eq!(
        e.map(|e| (e.value, e.written)),
        Some(("1G".into(), "php_value[memory_limit]".into()))
    );
}

#[test]
fn per_directory_sections_and_environment_are_unknown() {
    let (cfg, inis) = load(
        &[
            ("/etc/php84/php-fpm.d/www.conf", POOL),
            (
                "/etc/php84/php.ini",
                "post_max_size = 8M\nmemory_limit = ${PHP_MEMORY}\n[PATH=/var/www/big]\npost_max_size = 1G\n",
            ),
        ],
        "/etc/php84/php-fpm.d/www.conf",
    );
    assert_eq!(value(&cfg, &inis, "post_max_size"), None);
    assert_eq!(value(&cfg, &inis, "memory_limit"), None);
    assert_eq!(
        value(&cfg, &inis, "max_execution_time"),
        Some(("30".into(), Origin::Default))
    );
}

#[test]
fn no_ini_beside_the_pool_is_php_defaults() {
    let (cfg, inis) = load(
        &[("/srv/app/docker/www.conf", POOL)],
        "/srv/app/docker/www.conf",
    );
    assert!(inis.sets.is_empty());
    assert_eq!(
        value(&cfg, &inis, "upload_max_filesize"),
        Some(("2M".into(), Origin::Default))
    );
}

/// Real php.ini files: Debian's stock one when installed here, and the
/// corpus's kanboard conf.d file. For each key we read, our value must be
/// rust-ini's (last occurrence in the file, quotes removed).
#[test]
fn real_php_ini_files_agree_with_rust_ini() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths =
        vec![root.join("testdata/realworld/kanboard/repo/docker/etc/php84/conf.d/local.ini")];
    let host = Path::new("/etc/php/8.2/fpm/php.ini");
    if host.exists() {
        paths.push(host.to_path_buf());
    }
    let mut compared = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("php.ini is UTF-8");
        let (cfg, inis) = load(
            &[
                ("/etc/php84/php-fpm.d/www.conf", POOL),
                ("/etc/php84/php.ini", text.as_str()),
            ],
            "/etc/php84/php-fpm.d/www.conf",
        );
        let theirs = ini::Ini::load_from_str(&text).expect("rust-ini parses it");
        for (key, _) in php_ini::KEYS {
            let want = theirs
                .iter()
                .filter_map(|(_, props)| props.get_all(key).next_back())
                .next_back();
            let Some(want) = want else { continue };
            let got = inis.sets[0].get(key).map(|v| v.value.clone());
            assert_eq!(got.as_deref(), Some(want), "{}: {key}", path.display());
            assert!(value(&cfg, &inis, key).is_some());
            compared += 1;
        }
    }
    assert!(compared >= 3, "compared {compared} values");
}

#[path = "support/cli.rs"]
mod cli;

/// kanboard's repository (testdata/realworld/kanboard): nginx.conf, the
/// php-fpm.conf with its pool and conf.d/local.ini under docker/etc/php84,
/// copied so that one line can be edited.
fn kanboard(edit: Option<(&str, &str, &str)>) -> (tempfile::TempDir, serde_json::Value) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld/kanboard/repo/docker");
    let dir = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&src)
        .arg(dir.path())
        .status()
        .expect("cp");
    assert!(status.success());
    if let Some((file, from, to)) = edit {
        let p = dir.path().join("docker").join(file);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{file} has {from:?}");
        std::fs::write(&p, text.replace(from, to)).expect("write");
    }
    let out = cli::run_in(dir.path(), &["--format", "json", "--no-config", "docker"]);
    let json = serde_json::from_slice(&out.stdout).expect("json");
    (dir, json)
}

fn of_rule<'a>(json: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn kanboard_as_published_limits_agree() {
    // nginx 32M, local.ini post_max_size/upload_max_filesize 32M: quiet
    // (with PHP's default 8M assumed it would not be).
    let (_d, json) = kanboard(None);
    assert!(of_rule(&json, "upload-size-mismatch").is_empty(), "{json}");
    assert!(
        of_rule(&json, "fastcgi-timeout-mismatch").is_empty(),
        "{json}"
    );
}

#[test]
fn kanboard_post_max_size_lowered_is_caught_at_nginx_with_the_ini_line() {
    let (_d, json) = kanboard(Some((
        "etc/php84/conf.d/local.ini",
        "post_max_size = 32M",
        "post_max_size = 8M",
    )));
    let f = of_rule(&json, "upload-size-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["line"], 31);
    assert!(
        f[0]["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("nginx/nginx.conf"))
    );
    let related = &f[0]["related"][0];
    assert!(
        related["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("conf.d/local.ini")),
        "{f:?}"
    );
    assert_eq!(related["line"], 8);
}

#[test]
fn kanboard_max_execution_time_in_local_ini_is_caught_with_its_file_line() {
    let (_d, json) = kanboard(Some((
        "etc/php84/conf.d/local.ini",
        "date.timezone = UTC",
        "date.timezone = UTC\nmax_execution_time = 300",
    )));
    let f = of_rule(&json, "fastcgi-timeout-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert!(
        f[0]["help"]
            .as_str()
            .is_some_and(|h| h.contains("conf.d/local.ini:7")),
        "{f:?}"
    );
}

/// Under `--root`, the ini files are found from the pool's in-config path
/// (/etc/php/8.2/fpm/pool.d) and read under the root.
#[test]
fn root_run_reads_php_ini_under_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n    server {\n        listen 80;\n        client_max_body_size 64m;\n        location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n    }\n}\n",
        ),
        (
            "etc/php/8.2/fpm/php-fpm.conf",
            "[global]\ninclude = /etc/php/8.2/fpm/pool.d/*.conf\n",
        ),
        (
            "etc/php/8.2/fpm/pool.d/www.conf",
            "[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = static\npm.max_children = 2\n",
        ),
        (
            "etc/php/8.2/fpm/php.ini",
            "[PHP]\npost_max_size = 16M\nupload_max_filesize = 16M\n",
        ),
    ];
    for (p, t) in files {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, t).expect("write");
    }
    let root = dir.path().display().to_string();
    let out = cli::run(&[
        "--format",
        "json",
        "--no-config",
        "--root",
        &root,
        &format!("{root}/etc/nginx"),
        "--php-fpm",
        &format!("{root}/etc/php/8.2/fpm"),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = of_rule(&json, "upload-size-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["severity"], "warning");
    assert!(
        f[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("post_max_size 16M")),
        "{f:?}"
    );
    assert!(
        f[0]["related"][0]["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("etc/php/8.2/fpm/php.ini")),
        "{f:?}"
    );
}

/// A `.user.ini` in nginx's document root raises PHP's limits for every
/// script there (PERDIR/ALL settings), over php.ini and `php_value`, not
/// over `php_admin_value`; `user_ini.filename =` (empty) turns it off.
#[test]
fn user_ini_in_the_document_root() {
    let run = |user_ini: Option<&str>, php_ini: &str, pool_extra: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = format!(
            "[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = static\npm.max_children = 2\n{pool_extra}"
        );
        let mut files = vec![
            (
                "etc/nginx/nginx.conf".to_string(),
                "events {}\nhttp {\n    server {\n        listen 80;\n        root /var/www/app;\n        client_max_body_size 64m;\n        location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n    }\n}\n".to_string(),
            ),
            (
                "etc/php/8.2/fpm/php-fpm.conf".to_string(),
                "[global]\ninclude = /etc/php/8.2/fpm/pool.d/*.conf\n".to_string(),
            ),
            ("etc/php/8.2/fpm/pool.d/www.conf".to_string(), pool),
            ("etc/php/8.2/fpm/php.ini".to_string(), php_ini.to_string()),
        ];
        if let Some(u) = user_ini {
            files.push(("var/www/app/.user.ini".to_string(), u.to_string()));
        }
        for (p, t) in &files {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, t).expect("write");
        }
        let root = dir.path().display().to_string();
        let out = cli::run(&[
            "--format",
            "json",
            "--no-config",
            "--root",
            &root,
            &format!("{root}/etc/nginx"),
            "--php-fpm",
            &format!("{root}/etc/php/8.2/fpm"),
        ]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        of_rule(&json, "upload-size-mismatch")
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    let php_ini = "[PHP]\npost_max_size = 16M\nupload_max_filesize = 16M\n";
    let user = "; per directory\nupload_max_filesize = 64M\npost_max_size = 64M\n";
    // php.ini's 16M against nginx's 64m: reported...
    assert_eq!(run(None, php_ini, "").len(), 1);
    // ...but the document root's .user.ini raises both to 64M.
    assert!(run(Some(user), php_ini, "").is_empty());
    // php_value does not stop it (the .user.ini applies per request)...
    assert!(run(Some(user), php_ini, "php_value[post_max_size] = 16M\n").is_empty());
    // ...php_admin_value does, and names the pool's line.
    let f = run(
        Some(user),
        php_ini,
        "php_admin_value[post_max_size] = 16M\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    // An empty user_ini.filename turns the files off.
    let off = format!("{php_ini}user_ini.filename =\n");
    assert_eq!(run(Some(user), &off, "").len(), 1);
    // A lower .user.ini value is named with its file and line.
    let low = run(Some("post_max_size = 4M\n"), php_ini, "");
    assert_eq!(low.len(), 1);
    assert!(
        low[0]["related"][0]["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("var/www/app/.user.ini")),
        "{low:?}"
    );
}

/// `PHP_INI_SCAN_DIR` in the php-fpm unit's `Environment=` replaces the
/// scanned directory: its files raise the limits php.ini sets.
#[test]
fn php_ini_scan_dir_from_the_fpm_unit() {
    let run = |with_unit: bool| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = vec![
            (
                "etc/nginx/nginx.conf",
                "events {}\nhttp {\n    server {\n        listen 80;\n        client_max_body_size 64m;\n        location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n    }\n}\n",
            ),
            (
                "etc/php/8.2/fpm/php-fpm.conf",
                "[global]\ninclude = /etc/php/8.2/fpm/pool.d/*.conf\n",
            ),
            (
                "etc/php/8.2/fpm/pool.d/www.conf",
                "[www]\nuser = www-data\nlisten = /run/php/php8.2-fpm.sock\npm = static\npm.max_children = 2\n",
            ),
            (
                "etc/php/8.2/fpm/php.ini",
                "[PHP]\npost_max_size = 16M\nupload_max_filesize = 16M\n",
            ),
            (
                "etc/php/custom.d/uploads.ini",
                "post_max_size = 64M\nupload_max_filesize = 64M\n",
            ),
        ];
        if with_unit {
            files.push((
                "etc/systemd/system/php8.2-fpm.service",
                "[Service]\nType=notify\nEnvironment=PHP_INI_SCAN_DIR=/etc/php/custom.d\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf\n",
            ));
        }
        for (p, t) in &files {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, t).expect("write");
        }
        let root = dir.path().display().to_string();
        let mut args = vec![
            "--format".to_string(),
            "json".into(),
            "--no-config".into(),
            "--root".into(),
            root.clone(),
            format!("{root}/etc/nginx"),
            "--php-fpm".into(),
            format!("{root}/etc/php/8.2/fpm"),
        ];
        if with_unit {
            args.push("--service".into());
            args.push(format!("{root}/etc/systemd/system/php8.2-fpm.service"));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cli::run(&a);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        of_rule(&json, "upload-size-mismatch").len()
    };
    assert_eq!(run(false), 1);
    assert_eq!(run(true), 0);
}
