//! The binary as users run it: exit codes, formats, stdin, `nginx -T`
//! input, pre-commit mode, subcommands.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[path = "support/cli.rs"]
mod cli;
use cli::{bin, run, run_stdin, stdout, write_tree};

#[test]
fn clean_tree_exits_zero() {
    let o = run(&["testdata/php-site"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn findings_exit_one_and_concise_when_piped() {
    let o = run_stdin(
        &["-", "--stdin-filename", "site.conf"],
        "server {\n  listen 80\n}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with("site.conf:3:1: error[syntax] unexpected \"}\""),
        "{out}"
    );
}

#[test]
fn fail_level_and_exit_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(
        dir.path(),
        &[(
            "nginx.conf",
            "events {}\nhttp { server_tokens on; server { location / { return 200; } } }\n",
        )],
    );
    let p = dir.path().to_str().expect("utf-8 path");
    // A warning: exit 1 by default, 0 with --fail-level error or --exit-zero.
    assert_eq!(run(&[p]).status.code(), Some(1));
    assert_eq!(run(&["--fail-level", "error", p]).status.code(), Some(0));
    assert_eq!(run(&["--exit-zero", p]).status.code(), Some(0));
}

#[test]
fn run_failures_exit_two_with_one_line() {
    let o = run(&["/no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.trim(),
        "nginx-lint: /no/such/dir: no such file or directory"
    );
    assert_eq!(run(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(
        run(&["--nginx-version", "one", "testdata/php-site"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_is_one_document() {
    let o = run_stdin(
        &["--format", "json", "-"],
        "events {}\nhttp { include nope.conf; }\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["findings"][0]["rule"], "include-missing");
    assert_eq!(v["findings"][0]["line"], 2);
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn human_format_has_snippet_and_summary() {
    let o = run_stdin(
        &["--format", "human", "--stdin-filename", "x.conf", "-"],
        "events {}\nhttp {\n",
    );
    let out = stdout(&o);
    assert!(out.contains("nginx-lint(syntax)"), "{out}");
    assert!(out.contains("end of file"), "{out}");
    assert!(out.contains("1 error, 0 warnings in 1 file"), "{out}");
}

#[test]
fn nginx_t_output_maps_to_original_files() {
    let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
                # configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n    server_tokens off;\n    include /etc/nginx/conf.d/*.conf;\n}\n\n\
                # configuration file /etc/nginx/conf.d/app.conf:\nserver {\n    listen 80;\n    root /srv\n}\n\n";
    let o = run_stdin(&["--no-help", "-"], dump);
    assert_eq!(
        stdout(&o),
        "/etc/nginx/conf.d/app.conf:4:1: error[syntax] unexpected \"}\"\n"
    );
}

#[test]
fn named_file_is_judged_within_its_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(
        dir.path(),
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\n    include sites/*.conf;\n}\n",
            ),
            (
                "sites/a.conf",
                "server {\n    listen 80;\n    include snippets/missing.conf;\n}\n",
            ),
            (
                "sites/b.conf",
                "server {\n    listen 81;\n    include snippets/also-missing.conf;\n}\n",
            ),
        ],
    );
    let a = dir.path().join("sites/a.conf");
    let o = run(&["--no-help", a.to_str().expect("utf-8")]);
    let out = stdout(&o);
    // Relative to the tree's prefix (not the file): snippets/missing.conf is
    // looked up beside nginx.conf; only a.conf's finding is shown.
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("sites/a.conf:3:5: error[include-missing]"),
        "{out}"
    );
}

/// Pre-commit mode judges only the named file's directives, with the rest
/// of the tree as context: a log format defined in nginx.conf is known, a
/// module's first use elsewhere still counts as its first use, and another
/// file's unknown directive stays unreported.
#[test]
fn named_file_checks_use_the_tree_as_context() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(
        dir.path(),
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\n    server_tokens off;\n    log_format mine '$remote_addr';\n    include sites/*.conf;\n}\n",
            ),
            (
                "sites/a.conf",
                "server {\n    listen 80;\n    access_log /var/log/a.log mine;\n    access_log /var/log/b.log nosuch;\n    more_set_headers 'X: 1';\n    bogus_directive 1;\n}\n",
            ),
            (
                "sites/b.conf",
                "server {\n    listen 81;\n    more_set_headers 'Y: 2';\n    other_bogus 1;\n}\n",
            ),
        ],
    );
    let b = dir.path().join("sites/b.conf");
    let whole = stdout(&run(&["--no-help", dir.path().to_str().expect("utf-8")]));
    let o = run(&["--no-help", b.to_str().expect("utf-8")]);
    let out = stdout(&o);
    // Exactly the whole tree's findings that are in b.conf.
    let from_b: Vec<&str> = whole
        .lines()
        .filter(|l| l.contains("sites/b.conf"))
        .collect();
    let named: Vec<&str> = out.lines().collect();
    assert_eq!(named.len(), from_b.len(), "named:\n{out}\nwhole:\n{whole}");
    assert!(out.contains("error[unknown-directive]"), "{out}");
    assert!(
        !out.contains("module-assumed"),
        "first use is in a.conf:\n{out}"
    );
    let a = dir.path().join("sites/a.conf");
    let out = stdout(&run(&[a.to_str().expect("utf-8")]));
    assert!(out.contains("unknown log format \"nosuch\""), "{out}");
    assert!(!out.contains("\"mine\""), "defined in nginx.conf:\n{out}");
    assert!(out.contains("module-assumed"), "{out}");
}

#[test]
fn rules_explain_and_unknown_id() {
    let o = run(&["rules"]);
    // The severities each rule really reports (read off the code by
    // build.rs), not only the page's default: upstream-no-listener is an
    // error for a FastCGI target php-fpm does not serve, a warning where a
    // backend in view listens close by, an info when no backend is in view;
    // tls-protocols notes TLSv1.2-only as info.
    let table = stdout(&o);
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .map(|l| l.split_whitespace().nth(2).unwrap_or("").to_string())
    };
    assert_eq!(
        row("upstream-no-listener").as_deref(),
        Some("error/warning/info"),
        "{table}"
    );
    assert_eq!(
        row("tls-protocols").as_deref(),
        Some("warning/info"),
        "{table}"
    );
    assert_eq!(row("syntax").as_deref(), Some("error"), "{table}");
    let o = run(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v.as_array().is_some_and(|a| a.len() >= 10));
    let unl = v
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == "upstream-no-listener"))
        .expect("upstream-no-listener");
    assert_eq!(
        unl["severities"],
        serde_json::json!(["error", "warning", "info"])
    );
    let o = run(&["explain", "include-cycle"]);
    assert!(stdout(&o).starts_with("include-cycle: Includes that lead back"));
    let o = run(&["explain", "include-cycel"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("include-cycle"));
}

#[test]
fn dump_is_crossplane_shaped() {
    let o = run(&["dump", "testdata/php-site/nginx/nginx.conf"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["config"][0]["parsed"][0]["directive"], "user");
    assert_eq!(v["config"][0]["parsed"][0]["args"][0], "www-data");
    let http = v["config"][0]["parsed"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["directive"] == "http"))
        .expect("http");
    assert!(http["block"].as_array().is_some_and(|b| {
        b.iter()
            .any(|d| d["directive"] == "include" && d["includes"].is_array())
    }));
}

#[test]
fn graph_text_is_snapshotted_and_dot_renders() {
    let o = run(&["graph", "testdata/php-site"]);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("graph-php-site", stdout(&o)));
    let o = run(&["graph", "--format", "mermaid", "testdata/php-site"]);
    settings.bind(|| insta::assert_snapshot!("graph-php-site-mermaid", stdout(&o)));
    let o = run(&["graph", "--format", "json", "testdata/php-site"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["servers"][0]["routes"][1]["endpoints"][0]["status"], "ok");
    let dot_src = stdout(&run(&["graph", "--format", "dot", "testdata/php-site"]));
    let mut dot = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graphviz's dot is installed (.ci/run installs graphviz)");
    dot.stdin
        .take()
        .expect("stdin")
        .write_all(dot_src.as_bytes())
        .expect("write");
    let out = dot.wait_with_output().expect("dot runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

#[test]
fn broken_pipe_is_quiet() {
    let mut child = bin()
        .args(["graph", "--format", "dot", "testdata/php-site"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("waits");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("internal error"));
}

#[test]
fn live_checks_what_really_listens() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("www.sock");
    write_tree(
        dir.path(),
        &[
            (
                "nginx.conf",
                &format!(
                    "events {{}}\nhttp {{\n server {{\n  location / {{ proxy_pass http://127.0.0.1:{port}; }}\n  location ~ \\.php$ {{ include fastcgi.conf; fastcgi_pass unix:{}; }}\n }}\n}}\n",
                    sock.display()
                ),
            ),
            (
                "fastcgi.conf",
                "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\nfastcgi_param REQUEST_METHOD $request_method;\n",
            ),
            (
                "php/www.conf",
                &format!(
                    "[www]\nuser = nobody\nlisten = {}\nlisten.owner = nobody\npm = ondemand\npm.max_children = 2\n",
                    sock.display()
                ),
            ),
        ],
    );
    let p = dir.path().to_str().expect("utf-8");
    // Without --live: the proxy target is unknown (warning), the pool is configured.
    let out = stdout(&run(&[p]));
    assert!(
        out.contains(&format!("proxy_pass 127.0.0.1:{port}: nothing listens")),
        "{out}"
    );
    assert!(!out.contains("www.sock"), "{out}");
    // With --live: the port really listens; the pool's socket does not exist.
    let out = stdout(&run(&["--live", p]));
    assert!(!out.contains(&format!("127.0.0.1:{port}")), "{out}");
    assert!(
        out.contains("is configured to listen there, but nothing listens now (--live)"),
        "{out}"
    );
    drop(listener);
}

/// Regression: a named capture whose `if` reads the capture itself
/// (`if ($x ~ (?<x>…))`) recursed forever in the taint tracker; found by
/// the syntax differential's mutations.
#[test]
fn self_referencing_named_capture_terminates() {
    let conf = "events {}\nhttp {\n server {\n  location / {\n   if ($x ~ (?<x>^/a)) { return 302 http://example.com/$x; }\n   proxy_pass http://127.0.0.1:1/$x;\n  }\n }\n}\n";
    let o = run_stdin(&["--format", "json", "-"], conf);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("one JSON document");
}

#[test]
fn timings_go_to_stderr_only_when_asked() {
    let quiet = run(&["testdata/php-site"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains(" ms"));
    let o = bin()
        .env("NGINX_LINT_TIMINGS", "1")
        .args(["testdata/php-site"])
        .output()
        .expect("runs");
    let err = cli::stderr(&o);
    for phase in ["discover", "parse", "includes", "php-fpm", "model", "rules"] {
        assert!(
            err.lines()
                .any(|l| l.trim_start().starts_with(&format!("{phase}:")) && l.ends_with(" ms")),
            "no `{phase}` line in:\n{err}"
        );
    }
    assert_eq!(stdout(&o), stdout(&quiet), "timings never touch stdout");
}

/// A run that analysed nothing fails loudly (exit 2) and says what it
/// passed over, instead of passing a check that never ran.
#[test]
fn nothing_to_lint_exits_two() {
    let empty = tempfile::tempdir().expect("tempdir");
    let o = run(&[cli::path(empty.path())]);
    assert_eq!(o.status.code(), Some(2), "{}", cli::stderr(&o));
    assert!(
        cli::stderr(&o).starts_with(&format!(
            "nginx-lint: no configuration found in {}",
            empty.path().display()
        )),
        "{}",
        cli::stderr(&o)
    );
    let docs = cli::tree(&[("README.md", "# docs\n"), ("cert.pem", "-----BEGIN X\n")]);
    let o = run(&[cli::path(docs.path())]);
    assert_eq!(o.status.code(), Some(2));
    let err = cli::stderr(&o);
    assert!(err.contains("no configuration found in"), "{err}");
    assert!(err.contains("(2 files skipped: "), "{err}");
    assert!(
        err.contains("README.md") && err.contains("cert.pem"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn mistyped_subcommand_is_suggested() {
    for (typo, meant) in [
        ("explane", "explain"),
        ("rule", "rules"),
        ("grpah", "graph"),
    ] {
        let o = run(&[typo, "x"]);
        assert_eq!(o.status.code(), Some(2), "{typo}");
        let err = cli::stderr(&o);
        assert!(err.contains(&format!("did you mean '{meant}'?")), "{err}");
    }
    // An existing path of that name is linted, not corrected.
    let dir = cli::tree(&[("rule/nginx.conf", "events {}\nhttp {}\n")]);
    let o = cli::run_in(dir.path(), &["rule"]);
    assert!(
        !cli::stderr(&o).contains("did you mean"),
        "{}",
        cli::stderr(&o)
    );
}

#[test]
fn stdin_filename_implies_stdin() {
    let o = run_stdin(
        &["--stdin-filename", "site.conf"],
        "server {\n  listen 80\n}\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", cli::stderr(&o));
    assert!(
        stdout(&o).starts_with("site.conf:3:1: error[syntax]"),
        "{}",
        stdout(&o)
    );
    let o = run_stdin(&["--stdin-filename", "a.conf", "testdata/php-site"], "");
    assert_eq!(o.status.code(), Some(2));
}

/// On a terminal, stdin is refused rather than waited on (run under
/// `script`, which gives the binary a pseudo-terminal).
#[test]
fn stdin_on_a_terminal_fails() {
    let cmd = format!(
        "{} --stdin-filename a.conf",
        env!("CARGO_BIN_EXE_nginx-lint")
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux's script is installed");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("stdin is a terminal"), "{}", stdout(&o));
}

#[test]
fn module_path_and_unknown_versions_are_usage_errors() {
    for args in [
        &["--module", "/etc/nginx", "testdata/php-site"][..],
        &["--module", "site.conf", "testdata/php-site"],
        &["--php-version", "9", "testdata/php-site"],
        &["--php-version", "8.2.1", "testdata/php-site"],
        &["--nginx-version", "1.16", "testdata/php-site"],
        &["--nginx-version", "2.0", "testdata/php-site"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = cli::stderr(&o);
        if args[0] != "--module" {
            assert!(err.contains(" to "), "the known range: {err}");
        }
    }
    let o = run(&["--php-version", "9", "testdata/php-site"]);
    assert!(
        cli::stderr(&o).contains("PHP 7.4 to 8.4"),
        "{}",
        cli::stderr(&o)
    );
    for ok in [
        &["--php-version", "8.2", "testdata/php-site"][..],
        &["--nginx-version", "1.25.3", "testdata/php-site"],
        &["--module", "lua", "testdata/php-site"],
    ] {
        let o = run(ok);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{ok:?}: {}",
            cli::stderr(&o)
        );
    }
}

/// Concise output: each finding's help on the next line, indented
/// (`--no-help` drops it), and the summary on stderr.
#[test]
fn concise_help_lines_and_summary_on_stderr() {
    let conf = "server {\n  listen 80\n}\n";
    let o = run_stdin(&["--stdin-filename", "a.conf", "-"], conf);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("a.conf:"), "{out}");
    assert!(lines[1].starts_with("    help: "), "{out}");
    let err = cli::stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("1 error, 0 warnings in 1 file · nginx "),
        "{err}"
    );
    let o = run_stdin(&["--no-help", "--stdin-filename", "a.conf", "-"], conf);
    assert!(
        stdout(&o).lines().all(|l| l.starts_with("a.conf:")),
        "{}",
        stdout(&o)
    );
}

/// `--statistics`: one line per rule, most findings first, not the findings.
#[test]
fn statistics_count_findings_per_rule() {
    let o = run(&["--statistics", "testdata/formats"]);
    assert_eq!(o.status.code(), Some(1), "the exit code is the run's");
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 3, "{out}");
    let first: Vec<&str> = out
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(first[..3], ["1", "listen-conflict", "error"], "{out}");
    assert!(!out.contains("testdata/formats/nginx.conf:"), "{out}");
    let o = run(&["--statistics", "--format", "json", "testdata/formats"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v[0]["rule"], "listen-conflict");
    assert_eq!(v[0]["count"], 1);
}

/// A UTF-8 byte order mark stays an error (nginx refuses the file) whose
/// message names it, instead of `unknown directive "\u{feff}events"`.
#[test]
fn byte_order_mark_is_named() {
    let dir = cli::tree(&[("nginx.conf", "\u{feff}events {}\nhttp {}\n")]);
    let o = run(&["--no-help", cli::path(dir.path())]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("nginx.conf:1:1: error[unknown-directive]"),
        "{out}"
    );
    assert!(out.contains("byte order mark"), "{out}");
    assert!(!out.contains('\u{feff}'), "{out}");
}

/// Each finding points at its rule's page: a `see:` line in human output,
/// a `url` in JSON (the link SARIF gives as `helpUri`).
#[test]
fn findings_point_at_their_rule_page() {
    let conf = "events {}\nhttp {\n";
    let o = run_stdin(
        &["--format", "human", "--stdin-filename", "x.conf", "-"],
        conf,
    );
    assert!(
        stdout(&o).contains("\n  see: nginx-lint explain syntax\n"),
        "{}",
        stdout(&o)
    );
    let o = run_stdin(&["--format", "json", "-"], conf);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let url = v["findings"][0]["url"].as_str().unwrap_or_default();
    assert!(url.ends_with("/rules/syntax.md"), "{url}");
}

/// The summary ends with the versions judged against and where they came
/// from: option > config file > detected (live runs) > default.
#[test]
fn versions_in_force_end_the_summary() {
    use nginx_lint::fpm::PhpVersion;
    use nginx_lint::nginx::schema::NEWEST_STABLE;
    let default = format!(
        "nginx {}.{} (default) · PHP {} (default)",
        NEWEST_STABLE.0,
        NEWEST_STABLE.1,
        PhpVersion::DEFAULT
    );
    // A repository run never asks the machine, even with nginx installed.
    let o = run(&["--format", "human", "--no-color", "testdata/php-site"]);
    let last = stdout(&o).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with(&format!(" · {default}")), "{last}");
    let o = run(&["testdata/php-site"]);
    assert!(
        cli::stderr(&o).trim_end().ends_with(&default),
        "{}",
        cli::stderr(&o)
    );

    let dir = cli::tree(&[
        ("nginx.conf", "events {}\nhttp { server_tokens off; }\n"),
        (
            ".nginx-lint.toml",
            "nginx-version = \"1.24\"\nphp-version = \"8.1\"\n",
        ),
    ]);
    let p = cli::path(dir.path());
    let o = run(&[p]);
    assert!(
        cli::stderr(&o).ends_with("· nginx 1.24 (config) · PHP 8.1 (config)\n"),
        "{}",
        cli::stderr(&o)
    );
    let o = run(&["--nginx-version", "1.25.1", p]);
    assert!(
        cli::stderr(&o).ends_with("· nginx 1.25.1 (option) · PHP 8.1 (config)\n"),
        "{}",
        cli::stderr(&o)
    );
    let o = run(&["--format", "json", "--php-version", "8.2", p]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let s = &v["summary"];
    assert_eq!(s["nginx_version"], "1.24.0");
    assert_eq!(s["php_version"], "8.2");
    assert_eq!(s["versions_from"]["nginx"], "config");
    assert_eq!(s["versions_from"]["php"], "option");
}

/// The version of nginx on PATH (`nginx -v`), as the summary shows it.
fn installed_nginx() -> Option<String> {
    let o = Command::new("nginx").arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = text.split("nginx/").nth(1)?.split_whitespace().next()?;
    let mut it = v.split('.');
    Some(format!("{}.{}", it.next()?, it.next()?))
}

/// On the host's own /etc/nginx the versions come from the machine: nginx
/// from `nginx -v`, PHP from the php-fpm tree's path (/etc/php/8.2/fpm).
/// CI installs nginx-full and php8.2-fpm (nginx 1.22, PHP 8.2 on Debian 12).
#[test]
fn live_run_detects_versions() {
    let Some(nginx) = installed_nginx() else {
        eprintln!("skipped: no nginx on PATH");
        return;
    };
    if !Path::new("/etc/nginx").is_dir() {
        eprintln!("skipped: no /etc/nginx");
        return;
    }
    let php: Vec<String> = std::fs::read_dir("/etc/php")
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().join("fpm").is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let o = run(&["--format", "human", "--no-color", "/etc/nginx"]);
    let last = stdout(&o).lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains(&format!(" · nginx {nginx} (detected) · PHP ")),
        "{last}"
    );
    if let [one] = &php[..] {
        assert!(last.ends_with(&format!("PHP {one} (detected)")), "{last}");
    }
    // --live on a repository asks the machine too; an option still wins.
    let o = run(&["--live", "--nginx-version", "1.26", "testdata/php-site"]);
    let err = cli::stderr(&o);
    assert!(err.contains("· nginx 1.26 (option) · PHP "), "{err}");
    if !php.is_empty() {
        assert!(err.trim_end().ends_with("(detected)"), "{err}");
    }
}

/// No help advises a directive the nginx version in force refuses: every
/// `directive …;` a help writes out, and every "did you mean", names a
/// directive that version has; on probes that draw such advice and on the
/// test trees, at versions on both sides of the gates.
#[test]
fn help_never_advises_what_the_version_refuses() {
    use nginx_lint::nginx::schema;
    let probes = cli::tree(&[
        (
            "hdr/nginx.conf",
            "events {}\nhttp {\n add_header X-Frame-Options DENY;\n server { listen 80; location / { add_header X-A b; } }\n}\n",
        ),
        (
            "cert/nginx.conf",
            "events {}\nhttp { server { listen 443 ssl; server_name a.example; } }\n",
        ),
        (
            "quic/nginx.conf",
            "events {}\nhttp { server { listen 443 quic; } server { listen 80 bogus; } }\n",
        ),
        (
            "h2/nginx.conf",
            "events {}\nhttp { server { listen 443 ssl http2; ssl_certificate a; ssl_certificate_key b; } }\n",
        ),
    ]);
    let mut trees: Vec<String> = ["hdr", "cert", "quic", "h2"]
        .iter()
        .map(|d| cli::path(&probes.path().join(d)).to_string())
        .collect();
    for dir in [
        "testdata/realworld",
        "testdata/scenarios",
        "testdata/stacks",
    ] {
        for e in std::fs::read_dir(dir).expect("testdata").flatten() {
            if e.path().is_dir() {
                trees.push(e.path().display().to_string());
            }
        }
    }
    trees.push("testdata/debian/etc/nginx".into());
    let mut checked = 0;
    for version in ["1.18", "1.19.3", "1.22", "1.24", "1.25.0", "1.29.2", "1.30"] {
        let v = schema::Version::parse_known(version).expect("known version");
        for tree in &trees {
            let o = run(&["--format", "json", "--nginx-version", version, tree]);
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(&stdout(&o)) else {
                continue;
            };
            for f in doc["findings"].as_array().into_iter().flatten() {
                let help = f["help"].as_str().unwrap_or_default();
                let mut rest = help;
                while let Some(i) = rest.find('`') {
                    let before = &help[..help.len() - rest.len() + i];
                    let Some(j) = rest[i + 1..].find('`') else {
                        break;
                    };
                    let span = &rest[i + 1..i + 1 + j];
                    rest = &rest[i + 2 + j..];
                    let name = span.split_whitespace().next().unwrap_or_default();
                    // "remove `ssl on;`" names what to take out, not advice.
                    let advised = (span.trim_end().ends_with(';') && !before.ends_with("remove "))
                        || before.ends_with("did you mean ");
                    let specs = schema::lookup(name);
                    if advised && !specs.is_empty() {
                        checked += 1;
                        assert!(
                            specs.iter().any(|s| s.available_in(v)),
                            "nginx {version}, {tree}: help advises `{span}`: {help}"
                        );
                    }
                }
                if v < schema::Version(1, 25, 0) && tree.ends_with("quic") {
                    assert!(!help.contains("quic"), "nginx {version}: {help}");
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} pieces of advice checked");
}

/// One finding per root cause: an include whose file is missing is the
/// finding; what that file would have provided (a log format, an
/// upstream, a certificate, fastcgi_params, server_tokens, HSTS) is not
/// reported again as missing elsewhere.
#[test]
fn a_missing_include_raises_no_knock_on_findings() {
    // The FastCGI target is a php-fpm pool, so the pass itself is sound.
    let dir = cli::tree(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n    include gone/http.conf;\n    server {\n        listen 443 ssl;\n        server_name a.example;\n        include gone/ssl.conf;\n        access_log /var/log/a.log main2;\n        location / {\n            include gone/fastcgi_params;\n            fastcgi_pass 127.0.0.1:9000;\n        }\n        location /b {\n            proxy_pass http://backend;\n        }\n    }\n}\n",
        ),
        (
            "fpm/www.conf",
            "[www]\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\npm.max_children = 5\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n",
        ),
    ]);
    let o = cli::run_in(dir.path(), &["--no-help", "."]);
    let out = stdout(&o);
    let rules: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once('[')?.1.split_once(']').map(|(r, _)| r))
        .collect();
    assert_eq!(
        rules,
        ["include-missing", "include-missing", "include-missing"],
        "{out}"
    );
    // A buffer on stdin that includes a file it cannot reach: the same.
    let o = run_stdin(
        &["--no-help", "-"],
        "server {\n    listen 80;\n    location ~ \\.php$ {\n        include fastcgi_params;\n        fastcgi_pass 127.0.0.1:9000;\n    }\n}\n",
    );
    assert!(
        !stdout(&o).contains("fastcgi-params-missing"),
        "{}",
        stdout(&o)
    );
}

/// `--color auto|always|never`, with NO_COLOR and CLICOLOR_FORCE read as
/// ruff reads them; `--no-color` stays `--color never`.
#[test]
fn color_flag_and_environment() {
    let args = ["--format", "human", "testdata/formats"];
    let colored = |o: &std::process::Output| stdout(o).contains('\u{1b}');
    assert!(!colored(&run(&args)), "piped: no colour by default");
    let o = cli::bin()
        .args(["--color", "always"])
        .args(args)
        .output()
        .expect("runs");
    assert!(colored(&o));
    let o = cli::bin()
        .env("CLICOLOR_FORCE", "1")
        .args(args)
        .output()
        .expect("runs");
    assert!(colored(&o), "CLICOLOR_FORCE colours a pipe");
    let o = cli::bin()
        .env("CLICOLOR_FORCE", "1")
        .args(["--color", "never"])
        .args(args)
        .output()
        .expect("runs");
    assert!(!colored(&o));
    let o = cli::bin()
        .env("CLICOLOR_FORCE", "1")
        .args(["--no-color"])
        .args(args)
        .output()
        .expect("runs");
    assert!(!colored(&o));
}

/// Help is wrapped at spaces outside code spans only: the suggested
/// `ssl_ciphers …;` (a 170-character word with hyphens) stays on one line,
/// whole and copyable; miette broke it at its hyphens.
#[test]
fn help_code_spans_are_never_wrapped() {
    let dir = cli::tree(&[(
        "nginx.conf",
        "events {}\nhttp {\n    server_tokens off;\n    server {\n        listen 443 ssl;\n        server_name a;\n        ssl_certificate /etc/ssl/a.pem;\n        ssl_certificate_key /etc/ssl/a.key;\n        add_header Strict-Transport-Security \"max-age=63072000\" always;\n        ssl_ciphers RC4:HIGH;\n    }\n}\n",
    )]);
    let o = cli::run_in(
        dir.path(),
        &["--format", "human", "--no-color", "nginx.conf"],
    );
    let out = stdout(&o);
    let span = "`ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;`";
    assert!(
        out.lines().any(|l| l.trim() == span || l.contains(span)),
        "{out}"
    );
}

/// nginx has no block nesting limit (1.22 accepts 10,000 nested
/// locations): 200 levels are no error of ours, only a note that the
/// inside is not checked.
#[test]
fn deep_nesting_nginx_accepts_is_no_error() {
    let n = 200;
    let body = format!(
        "events {{}}\nhttp {{\n    server_tokens off;\n    server {{\n        listen 8080;\n{}        return 200;\n{}    }}\n}}\n",
        "        location /a {\n".repeat(n),
        "        }\n".repeat(n)
    );
    let dir = cli::tree(&[("nginx.conf", &body)]);
    let o = cli::run_in(
        dir.path(),
        &["--format", "human", "--verbose", "nginx.conf"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        cli::stderr(&o)
    );
    assert!(
        stdout(&o).contains(
            "nginx.conf:132: blocks nested deeper than 128 levels: what is inside is not checked"
        ),
        "{}",
        stdout(&o)
    );
}
