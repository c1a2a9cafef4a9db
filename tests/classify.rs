//! What a directory walk reads as nginx, as php-fpm, or not at all: each
//! file users keep beside their configuration in a repository (Dockerfile,
//! run script, supervisord.conf, logrotate file, notes) is skipped, and
//! php-fpm pools are read as php-fpm even with `;` comments after values or
//! a broken line. Each case is a minimal copy of a file from the real-world
//! corpus (testdata/realworld/) that used to be linted as nginx.

#[path = "support/cli.rs"]
mod cli;
use cli::{json_findings, path, run, run_in, stdout, tree};

/// A vhost that passes PHP to a pool's socket; the trees below add one
/// file beside it.
const SITE: &str = "server {\n    listen 80;\n    server_name example.com;\n    root /srv/www;\n    location ~ \\.php$ {\n        include fastcgi_params;\n        fastcgi_pass unix:/run/php-fpm.sock;\n    }\n}\n";

/// Every finding of a run over `dir`: (file, rule, category).
fn findings_in(dir: &std::path::Path, extra: &[&str]) -> Vec<(String, String, String)> {
    let mut args = vec!["--format", "json", "--no-config"];
    args.extend_from_slice(extra);
    args.push(path(dir));
    let o = run(&args);
    // A tree with no configuration at all (every file hidden or not
    // configuration) fails the run loudly: it has no findings.
    if o.status.code() == Some(2)
        && String::from_utf8_lossy(&o.stderr).contains("no configuration found")
    {
        return Vec::new();
    }
    json_findings(&o, &["file", "rule", "category"])
        .into_iter()
        .map(|f| (f[0].clone(), f[1].clone(), f[2].clone()))
        .collect()
}

/// No finding in the file named `name` of a tree holding it and SITE.
fn assert_not_linted(name: &str, body: &str) {
    let dir = tree(&[("site.conf", SITE), (name, body)]);
    let found = findings_in(dir.path(), &[]);
    let inside: Vec<_> = found.iter().filter(|(f, _, _)| f.ends_with(name)).collect();
    assert!(inside.is_empty(), "{name} was linted: {inside:?}");
}

/// An application's own sources beside its deployment files: C#, CSS and
/// source maps have nginx's braces and semicolons (dockersamples'
/// atsea-sample-shop-app gave 1,368 errors from them).
#[test]
fn source_code_and_stylesheets_are_not_nginx() {
    assert_not_linted(
        "Controllers/AccountController.cs",
        "\u{feff}using System;\nusing System.Web.Http;\nnamespace AtSea.Api {\n    public class AccountController {\n        private int x;\n    }\n}\n",
    );
    assert_not_linted(
        "Content/bootstrap.css",
        "html {\n  font-family: sans-serif;\n}\nbody {\n  margin: 0;\n}\n",
    );
    assert_not_linted(
        "Scripts/jquery.min.map",
        "{\"version\":3,\"file\":\"jquery.min.js\",\"mappings\":\";;;AAAA\"}\n",
    );
    assert_not_linted("Main.java", "package x;\nclass Main {\n  int a;\n}\n");
    assert_not_linted(
        "initdb/01.sql",
        "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n",
    );
    assert_not_linted(
        "Caddyfile.example",
        "example.com {\n    reverse_proxy web:8000;\n    encode gzip;\n}\n",
    );
}

#[test]
fn a_dockerfile_is_not_nginx() {
    let body = "FROM nginx:1.27-alpine\nCOPY site.conf /etc/nginx/conf.d/default.conf\nRUN apk add --no-cache curl; \\\n    rm -rf /var/cache/apk/*\nEXPOSE 80\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n";
    let dir = tree(&[("site.conf", SITE), ("Dockerfile", body)]);
    let found = findings_in(dir.path(), &[]);
    // Its COPY deploys site.conf under the image's nginx.conf, whose
    // missing server_tokens is shown at the COPY line
    // (tests/deployment_mappings.rs); nothing else is about the Dockerfile.
    let inside: Vec<_> = found
        .iter()
        .filter(|(f, r, _)| f.ends_with("Dockerfile") && r != "version-disclosure")
        .collect();
    assert!(inside.is_empty(), "Dockerfile was linted: {inside:?}");
}

#[test]
fn a_run_script_is_not_nginx() {
    assert_not_linted(
        "service/nginx/run",
        "#!/bin/sh -e\n\n# pipe stderr to stdout\nexec 2>&1\nexec nginx -g 'daemon off;'\n",
    );
}

#[test]
fn supervisord_conf_is_not_nginx() {
    assert_not_linted(
        "supervisord.conf",
        "[supervisord]\nnodaemon=true\nuser=root\t\t     ;\n\n[program:nginx]\ncommand=/usr/sbin/nginx -g \"daemon off;\"\nautorestart=true\n",
    );
}

#[test]
fn a_logrotate_file_is_not_nginx() {
    assert_not_linted(
        "logrotate.d/php-fpm",
        "/var/log/php*-fpm*.log {\n\trotate 1\n\tdaily\n\tmissingok\n\tcompress\n}\n",
    );
}

#[test]
fn a_notes_file_is_not_nginx() {
    assert_not_linted(
        "NOTES",
        "Reload nginx after editing the vhost.\nThe certificate renews on the first of the month\n",
    );
    // No name hint: the content alone says it is prose.
    assert_not_linted(
        "handover",
        "Reload nginx after editing the vhost.\nThe certificate renews on the first of the month\n",
    );
}

/// Not configuration is counted in the human summary and listed with
/// `--verbose`.
#[test]
fn skipped_files_are_counted_and_listed_when_verbose() {
    let dir = tree(&[
        ("site.conf", SITE),
        ("Dockerfile", "FROM nginx:1.27-alpine\nEXPOSE 80\n"),
        ("README.md", "# hi\n"),
    ]);
    let o = run(&["--format", "human", "--no-config", path(dir.path())]);
    let out = stdout(&o);
    assert!(out.contains("2 files skipped: not configuration"), "{out}");
    assert!(!out.contains("Dockerfile"), "{out}");
    let o = run(&[
        "--format",
        "human",
        "--no-config",
        "--verbose",
        path(dir.path()),
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("Dockerfile: not configuration: Dockerfile"),
        "{out}"
    );
}

/// `pm.process_idle_timeout = 10s;`: php's INI scanner ends the value at
/// `;`. The pool is php-fpm's, listens where the vhost sends, and nothing
/// in it is judged as nginx.
#[test]
fn a_pool_with_trailing_semicolon_comments_is_php_fpm() {
    let pool = "[global]\nerror_log = /dev/stderr\n\n[www]\nuser = nobody\ngroup = nobody\nlisten = /run/php-fpm.sock\npm = ondemand\npm.max_children = 10\npm.process_idle_timeout = 10s;\npm.max_requests = 1000\n";
    let dir = tree(&[("site.conf", SITE), ("fpm-pool.conf", pool)]);
    let found = findings_in(dir.path(), &[]);
    let wrong: Vec<_> = found
        .iter()
        .filter(|(f, _, c)| f.ends_with("fpm-pool.conf") && c != "php-fpm")
        .collect();
    assert!(wrong.is_empty(), "pool read as nginx: {wrong:?}");
    let unheard: Vec<_> = found
        .iter()
        .filter(|(_, r, _)| r == "upstream-no-listener")
        .collect();
    assert!(
        unheard.is_empty(),
        "the pool's socket was not seen: {unheard:?}"
    );
}

/// A broken line does not make a pool nginx: php-fpm's parser reports it.
#[test]
fn a_pool_with_a_syntax_error_stays_php_fpm() {
    let pool = "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php-fpm.sock\npm = dynamic\npm.max_children 5\n";
    let dir = tree(&[("site.conf", SITE), ("www.conf", pool)]);
    let found = findings_in(dir.path(), &[]);
    let in_pool: Vec<_> = found
        .iter()
        .filter(|(f, _, _)| f.ends_with("www.conf"))
        .collect();
    assert!(
        in_pool.iter().any(|(_, r, _)| r == "fpm-syntax"),
        "{in_pool:?}"
    );
    assert!(
        in_pool.iter().all(|(_, _, c)| c == "php-fpm"),
        "pool read as nginx: {in_pool:?}"
    );
}

/// The name nginx.conf keeps a file nginx's even when it holds only blocks
/// a main file would include.
#[test]
fn nginx_conf_of_server_blocks_is_nginx() {
    let dir = tree(&[(
        "nginx.conf",
        "upstream app {\n    server 127.0.0.1:8000;\n}\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://app;\n    }\n}\n",
    )]);
    let o = run(&["dump", "--no-config", path(dir.path())]);
    assert!(stdout(&o).contains("\"upstream\""), "{}", stdout(&o));
}

/// Over the real-world corpus's repositories: nothing is reported in a
/// Dockerfile, a shell script, supervisord.conf or a logrotate file, and
/// the pools with `;` after values are read as php-fpm.
#[test]
fn realworld_repositories_lint_only_configuration() {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld");
    let mut projects: Vec<_> = std::fs::read_dir(&base)
        .expect("testdata/realworld")
        .filter_map(|e| e.ok().map(|e| e.path().join("repo")))
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    assert!(projects.len() >= 30, "corpus missing: {projects:?}");
    let mut wrong = Vec::new();
    for repo in &projects {
        for (file, rule, category) in findings_in(repo, &[]) {
            let name = file
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let not_config = name.starts_with("dockerfile")
                || name.ends_with(".dockerfile")
                || name.ends_with(".sh")
                || name == "supervisord.conf"
                || file.contains("/logrotate");
            let pool = file.ends_with("trafex-docker-php-nginx/repo/config/fpm-pool.conf")
                || file.ends_with(
                    "erseco-alpine-php-webserver/repo/rootfs/etc/php85/php-fpm.d/www.conf",
                );
            // template-placeholder is about the file, nginx or php-fpm alike.
            let neutral = rule == "template-placeholder";
            if not_config || (pool && category != "php-fpm" && !neutral) {
                wrong.push(format!("{file}: {rule}"));
            }
        }
    }
    for slug in ["trafex-docker-php-nginx", "erseco-alpine-php-webserver"] {
        let repo = base.join(slug).join("repo");
        for (file, rule, _) in findings_in(&repo, &[]) {
            if rule == "upstream-no-listener" {
                wrong.push(format!("{file}: {rule} (the pool's socket was not seen)"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `.gitignore` (inside a git repository) and `.ignore` keep files out of
/// the walk; an include still reaches an ignored file.
#[test]
fn gitignore_and_ignore_files_are_respected() {
    let broken = "server {\n    listen 80\n}\n";
    let dir = tree(&[
        (
            ".gitignore",
            "/local/\n*.rendered.conf\n!keep.rendered.conf\n",
        ),
        ("site.conf", SITE),
        ("local/broken.conf", broken),
        ("a.rendered.conf", broken),
        ("keep.rendered.conf", broken),
        ("sub/.ignore", "scratch.conf\n"),
        ("sub/scratch.conf", broken),
        (
            "main/nginx.conf",
            "events {}\nhttp {\n    include ../local/*.conf;\n}\n",
        ),
    ]);
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    let found = findings_in(dir.path(), &[]);
    let files: Vec<&str> = found.iter().map(|(f, _, _)| f.as_str()).collect();
    assert!(
        files.iter().any(|f| f.ends_with("keep.rendered.conf")),
        "{found:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with("/a.rendered.conf")),
        "{found:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with("scratch.conf")),
        "{found:?}"
    );
    // Not walked, but nginx.conf includes it: linted through the include.
    assert!(
        files.iter().any(|f| f.ends_with("local/broken.conf")),
        "{found:?}"
    );

    // Outside a git repository `.gitignore` is not git's business.
    std::fs::remove_dir(dir.path().join(".git")).expect("rmdir .git");
    let found = findings_in(dir.path(), &[]);
    assert!(
        found
            .iter()
            .any(|(f, _, _)| f.ends_with("/a.rendered.conf")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(f, _, _)| f.ends_with("scratch.conf")),
        "{found:?}"
    );
}

/// Files of a run in `dir` (cwd) over `.`, by the name they end with.
fn linted_in(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)));
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|f| f["file"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.dedup();
    files
}

/// ruff's `exclude` / `extend-exclude`: the file's `exclude` replaces the
/// default list, `extend-exclude` adds to it, `--exclude` replaces both
/// lists of the file; patterns with `/` are paths from the config file's
/// directory (from the current directory for flags), others match names.
#[test]
fn exclude_and_extend_exclude() {
    let broken = "server {\n    listen 80\n}\n";
    let dir = tree(&[
        ("site.conf", SITE),
        ("legacy/old.conf", broken),
        ("sub/legacy/kept.conf", broken),
        ("node_modules/pkg/nginx.conf", broken),
        ("x.bak.conf", broken),
    ]);
    let has = |files: &[String], name: &str| files.iter().any(|f| f.ends_with(name));
    // Defaults: node_modules is left out; nothing else.
    let files = linted_in(dir.path(), &["--no-config", "."]);
    assert!(!has(&files, "pkg/nginx.conf"), "{files:?}");
    assert!(
        has(&files, "legacy/old.conf") && has(&files, "x.bak.conf"),
        "{files:?}"
    );

    std::fs::write(
        dir.path().join(".nginx-lint.toml"),
        "extend-exclude = [\"legacy/*.conf\", \"*.bak.conf\"]\n",
    )
    .expect("write");
    let files = linted_in(dir.path(), &["."]);
    // Anchored to the config file's directory: sub/legacy/ is kept.
    assert!(!has(&files, "legacy/old.conf"), "{files:?}");
    assert!(has(&files, "sub/legacy/kept.conf"), "{files:?}");
    assert!(
        !has(&files, "x.bak.conf") && !has(&files, "pkg/nginx.conf"),
        "{files:?}"
    );

    std::fs::write(
        dir.path().join(".nginx-lint.toml"),
        "exclude = [\"legacy\"]\n",
    )
    .expect("write");
    let files = linted_in(dir.path(), &["."]);
    // The default list is replaced: node_modules is linted again.
    assert!(has(&files, "pkg/nginx.conf"), "{files:?}");
    assert!(
        !has(&files, "old.conf") && !has(&files, "kept.conf"),
        "{files:?}"
    );

    // --exclude replaces the file's list; --extend-exclude adds.
    let files = linted_in(
        dir.path(),
        &[".", "--exclude", "*.bak.conf", "--extend-exclude", "sub"],
    );
    assert!(
        has(&files, "legacy/old.conf") && has(&files, "pkg/nginx.conf"),
        "{files:?}"
    );
    assert!(
        !has(&files, "x.bak.conf") && !has(&files, "kept.conf"),
        "{files:?}"
    );
}

/// A file named on the command line is linted even when excluded (a
/// pre-commit hook names what changed), unless `--force-exclude`.
#[test]
fn named_files_are_linted_unless_force_exclude() {
    let broken = "server {\n    listen 80\n}\n";
    let dir = tree(&[("x.bak.conf", broken)]);
    let args = ["--no-config", "--exclude", "*.bak.conf", "x.bak.conf"];
    assert_eq!(linted_in(dir.path(), &args).len(), 1);
    let mut forced = args.to_vec();
    forced.push("--force-exclude");
    assert!(linted_in(dir.path(), &forced).is_empty());
    let bad = run_in(dir.path(), &["--no-config", "--exclude", "a[", "."]);
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
}

/// A vhost file named nginx.conf (meant for conf.d/ or sites-enabled/, as
/// django-on-docker and mastodon ship theirs) is read at http level, not
/// as a main configuration whose every block is "not allowed here"; a file
/// named nginx.conf with `events`/`http` stays the main one.
#[test]
fn vhost_named_nginx_conf_is_http_level() {
    let vhost = "upstream app {\n    server 127.0.0.1:8000;\n}\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://app;\n    }\n}\n";
    let dir = tree(&[("nginx/nginx.conf", vhost)]);
    let found = findings_in(dir.path(), &[]);
    assert!(
        !found.iter().any(|(_, rule, _)| rule == "directive-context"),
        "{found:?}"
    );
    let main = "events {}\nserver {\n    listen 80;\n}\n";
    let dir = tree(&[("nginx.conf", main)]);
    let found = findings_in(dir.path(), &[]);
    assert!(
        found.iter().any(|(_, rule, _)| rule == "directive-context"),
        "{found:?}"
    );
}
