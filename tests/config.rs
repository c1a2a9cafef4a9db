//! `.nginx-lint.toml` and the options that select and weigh rules: where the
//! file is found, every key README.md's configuration example lists, unknown keys, flags over the file.

#[path = "support/cli.rs"]
mod cli;
use cli::{bin, findings, path, rules_at, run, stderr, stdout, tree};

/// A tree with one warning: TLSv1 enabled.
const WARN_ONLY: &str = "events {}\nhttp { server_tokens off;\n    server {\n        listen 80;\n        ssl_protocols TLSv1 TLSv1.2;\n    }\n}\n";

/// One error (a missing include) and one warning.
const ERR_AND_WARN: &str = "events {}\nhttp { server_tokens off;\n    include gen/a.conf;\n    server {\n        listen 80;\n        ssl_protocols TLSv1 TLSv1.2;\n    }\n}\n";

fn code(args: &[&str]) -> Option<i32> {
    run(args).status.code()
}

#[test]
fn found_upward_from_the_first_path() {
    let t = tree(&[
        ("nginx.conf", WARN_ONLY),
        ("sites/a.conf", "server { listen 81; }\n"),
        (".nginx-lint.toml", "fail-level = \"error\"\n"),
    ]);
    assert_eq!(code(&[path(t.path())]), Some(0));
    // From a file below the tree, and from a sub-directory.
    assert_eq!(code(&[path(&t.path().join("sites/a.conf"))]), Some(0));
    assert_eq!(code(&[path(&t.path().join("sites"))]), Some(0));
    assert_eq!(code(&["--no-config", path(t.path())]), Some(1));
}

#[test]
fn xdg_config_home_is_the_fallback() {
    let t = tree(&[("nginx.conf", WARN_ONLY)]);
    let xdg = tree(&[("nginx-lint/config.toml", "fail-level = \"error\"\n")]);
    let o = bin()
        .env("XDG_CONFIG_HOME", xdg.path())
        .arg(path(t.path()))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    // A file in the tree wins over the user's.
    cli::write_tree(
        t.path(),
        &[(".nginx-lint.toml", "fail-level = \"warning\"\n")],
    );
    let o = bin()
        .env("XDG_CONFIG_HOME", xdg.path())
        .arg(path(t.path()))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn config_flag_names_the_file() {
    let t = tree(&[
        ("nginx.conf", WARN_ONLY),
        (".nginx-lint.toml", "fail-level = \"warning\"\n"),
        ("ci.toml", "fail-level = \"error\"\n"),
    ]);
    let ci = t.path().join("ci.toml");
    assert_eq!(code(&["--config", path(&ci), path(t.path())]), Some(0));
    let o = run(&["--config", "/no/such.toml", path(t.path())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such.toml: cannot read config"));
}

#[test]
fn unknown_keys_fail_with_the_closest_known_key() {
    let t = tree(&[
        ("nginx.conf", WARN_ONLY),
        (
            ".nginx-lint.toml",
            "nginx-version = \"1.26\"\nfail_level = \"error\"\n",
        ),
    ]);
    let o = run(&[path(t.path())]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(".nginx-lint.toml:2: unknown key `fail_level`; did you mean `fail-level`?"),
        "{err}"
    );
    for (body, hint) in [
        (
            "[load-balancer]\nidle_timeout = \"60s\"\n",
            "`idle-timeout`",
        ),
        ("[[listener]]\nadress = \"127.0.0.1:1\"\n", "`address`"),
        (
            "[[per-file-ignores]]\npaths = \"x\"\nignore = []\n",
            "`path`",
        ),
        ("[rules.syntax]\nseverty = \"info\"\n", "`severity`"),
        ("[rules.sintax]\nseverity = \"info\"\n", "closest: syntax"),
        ("selct = []\n", "`select`"),
    ] {
        cli::write_tree(t.path(), &[(".nginx-lint.toml", body)]);
        let o = run(&[path(t.path())]);
        assert_eq!(o.status.code(), Some(2), "{body}");
        assert!(stderr(&o).contains(hint), "{body}: {}", stderr(&o));
    }
    cli::write_tree(t.path(), &[(".nginx-lint.toml", "fail-level = [\n")]);
    assert_eq!(code(&[path(t.path())]), Some(2), "a TOML syntax error");
}

#[test]
fn every_value_is_checked() {
    let t = tree(&[("nginx.conf", WARN_ONLY)]);
    for (body, needle) in [
        ("nginx-version = \"one\"\n", "nginx-version one"),
        ("php-version = \"eight\"\n", "php-version eight"),
        // Outside what the schemas know: the range is given.
        (
            "php-version = \"9.1\"\n",
            "php-version 9.1: nginx-lint knows PHP 7.4 to 8.4",
        ),
        (
            "nginx-version = \"1.16\"\n",
            "nginx-version 1.16: nginx-lint knows nginx 1.18 to",
        ),
        ("tls-profile = \"old\"\n", "tls-profile old"),
        ("fail-level = \"loud\"\n", "fail-level loud"),
        (
            "[load-balancer]\nidle-timeout = \"soon\"\n",
            "idle-timeout soon",
        ),
        ("[rules.syntax]\nseverity = \"fatal\"\n", "severity fatal"),
        ("[[listener]]\naddress = \"app\"\n", "address \"app\""),
        (
            "[[per-file-ignores]]\npath = \"a/[\"\nignore = [\"syntax\"]\n",
            "per-file-ignores",
        ),
        (
            "select = [\"tls-protocolz\"]\n",
            "select: unknown rule or category",
        ),
        ("ignore = [\"php\"]\n", "ignore: unknown rule or category"),
        ("require-reason = \"yes\"\n", "require-reason"),
        ("modules = \"lua\"\n", "modules"),
        ("root = \"no-such-dir\"\n", "not a directory"),
    ] {
        cli::write_tree(t.path(), &[(".nginx-lint.toml", body)]);
        let o = run(&[path(t.path())]);
        assert_eq!(o.status.code(), Some(2), "{body}");
        assert!(stderr(&o).contains(needle), "{body}: {}", stderr(&o));
    }
    // Good values of the keys whose rules live elsewhere are accepted.
    cli::write_tree(
        t.path(),
        &[(
            ".nginx-lint.toml",
            "nginx-version = \"1.24\"\nphp-version = \"8.2\"\ntls-profile = \"modern\"\nmodules = [\"lua\", \"brotli\"]\n[load-balancer]\nidle-timeout = \"60s\"\n",
        )],
    );
    assert_eq!(code(&[path(t.path())]), Some(1));
}

#[test]
fn select_and_ignore_by_id_and_category() {
    let t = tree(&[("nginx.conf", ERR_AND_WARN)]);
    let p = path(t.path());
    let both = vec![
        ("include-missing".to_string(), 3),
        ("tls-protocols".to_string(), 6),
    ];
    assert_eq!(rules_at(&[p]), both);
    assert_eq!(rules_at(&["--select", "syntax", p]), both[..1]);
    assert_eq!(rules_at(&["--select", "tls,include-missing", p]), both);
    assert_eq!(rules_at(&["--ignore", "include-missing", p]), both[1..]);
    assert_eq!(
        rules_at(&["--select", "all", "--ignore", "tls", p]),
        both[..1]
    );
    let o = run(&["--select", "upstream-no-listner", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--select: unknown rule or category `upstream-no-listner`; closest: upstream-no-listener"), "{}", stderr(&o));
    assert_eq!(
        code(&["--ignore", "security,limits", p]),
        Some(1),
        "other categories leave the warning"
    );
    // The same from the file.
    cli::write_tree(
        t.path(),
        &[(
            ".nginx-lint.toml",
            "select = [\"all\"]\nignore = [\"tls-protocols\"]\n",
        )],
    );
    assert_eq!(rules_at(&[p]), both[..1]);
}

#[test]
fn flags_override_the_file() {
    let t = tree(&[
        ("nginx.conf", ERR_AND_WARN),
        (
            ".nginx-lint.toml",
            "fail-level = \"error\"\nselect = [\"tls\"]\n",
        ),
    ]);
    let p = path(t.path());
    assert_eq!(rules_at(&[p]), vec![("tls-protocols".to_string(), 6)]);
    assert_eq!(code(&[p]), Some(0), "a warning below fail-level error");
    assert_eq!(code(&["--fail-level", "warning", p]), Some(1));
    assert_eq!(rules_at(&["--select", "all", p]).len(), 2);
    // An error in a flag names the flag, not the file.
    let o = run(&["--select", "nope", p]);
    assert!(
        stderr(&o).starts_with("nginx-lint: --select:"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn severity_override_changes_severity_and_exit_code() {
    let t = tree(&[
        ("nginx.conf", WARN_ONLY),
        (
            ".nginx-lint.toml",
            "[rules.tls-protocols]\nseverity = \"info\"\n",
        ),
    ]);
    let (code, list) = findings(&[path(t.path())]);
    assert_eq!(code, Some(0));
    assert_eq!(list, vec![("tls-protocols".into(), "info".into(), 5)]);
    assert_eq!(
        self::code(&["--fail-level", "info", path(t.path())]),
        Some(1)
    );
    cli::write_tree(
        t.path(),
        &[(
            ".nginx-lint.toml",
            "[rules.tls-protocols]\nseverity = \"error\"\n",
        )],
    );
    assert_eq!(findings(&[path(t.path())]).1[0].1, "error");
}

#[test]
fn declared_listener_serves_a_target() {
    let proxy = "events {}\nhttp { server_tokens off;\n    server {\n        listen 80;\n        location / { proxy_pass http://127.0.0.1:3000; }\n    }\n}\n";
    let t = tree(&[
        ("nginx.conf", proxy),
        (
            ".nginx-lint.toml",
            "[[listener]]\naddress = \"127.0.0.1:3000\"\nname = \"node app (pm2)\"\n",
        ),
    ]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
    let o = run(&["graph", path(t.path())]);
    assert!(stdout(&o).contains("node app (pm2)"), "{}", stdout(&o));
    cli::write_tree(
        t.path(),
        &[(
            ".nginx-lint.toml",
            "[[listener]]\naddress = \"unix:/run/app.sock\"\n",
        )],
    );
    assert_eq!(rules_at(&[path(t.path())]).len(), 1);
}

#[test]
fn per_file_ignores_match_globs_relative_to_the_config() {
    let t = tree(&[
        (
            "nginx.conf",
            "events {}\nhttp { server_tokens off;\n    include legacy/*.conf;\n    include sites/*.conf;\n}\n",
        ),
        ("legacy/old.conf", "include gen/a.conf;\n"),
        ("sites/new.conf", "include gen/b.conf;\n"),
        (
            ".nginx-lint.toml",
            "[[per-file-ignores]]\npath = \"legacy/**\"\nignore = [\"include-missing\"]\n",
        ),
    ]);
    let o = run(&[path(t.path())]);
    let out = stdout(&o);
    assert!(
        out.contains("sites/new.conf:1:1: error[include-missing]"),
        "{out}"
    );
    assert!(!out.contains("legacy/"), "{out}");
}

#[test]
fn prefix_is_relative_to_the_config_file() {
    let t = tree(&[
        (
            "conf/nginx.conf",
            "events {}\nhttp { server_tokens off;\n    include snippets/a.conf;\n}\n",
        ),
        ("snippets/a.conf", "server { listen 80; }\n"),
    ]);
    let conf = t.path().join("conf");
    assert_eq!(
        rules_at(&[path(&conf)]),
        vec![("include-missing".to_string(), 3)]
    );
    cli::write_tree(t.path(), &[(".nginx-lint.toml", "prefix = \".\"\n")]);
    assert_eq!(rules_at(&[path(&conf)]), vec![]);
    // --prefix wins over the file.
    assert_eq!(rules_at(&["--prefix", path(&conf), path(&conf)]).len(), 1);
}

#[test]
fn root_is_relative_to_the_config_file() {
    let t = tree(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp { server_tokens off;\n    include /etc/nginx/nginx-lint-test-snippets/a.conf;\n}\n",
        ),
        (
            "etc/nginx/nginx-lint-test-snippets/a.conf",
            "server { listen 80; }\n",
        ),
    ]);
    let nginx = t.path().join("etc/nginx");
    assert_eq!(rules_at(&[path(&nginx)]).len(), 1);
    cli::write_tree(t.path(), &[(".nginx-lint.toml", "root = \".\"\n")]);
    assert_eq!(rules_at(&[path(&nginx)]), vec![]);
}

#[test]
fn php_fpm_paths_and_prefix() {
    let t = tree(&[
        ("nginx/nginx.conf", "events {}\n"),
        (
            "php/php-fpm.conf",
            "[global]\npid = /run/php-fpm.pid\ninclude = etc/pool.d/*.conf\n",
        ),
        (
            "fpm-prefix/etc/pool.d/www.conf",
            "[www]\nuser = root\nlisten = /run/php/www.sock\npm = ondemand\npm.max_children = 5\n",
        ),
    ]);
    let nginx = t.path().join("nginx");
    assert_eq!(rules_at(&[path(&nginx)]), vec![]);
    cli::write_tree(t.path(), &[(".nginx-lint.toml", "php-fpm = [\"php/\"]\n")]);
    let got = rules_at(&[path(&nginx)]);
    // Relative to /usr: outside the repository, so not read (an info).
    assert_eq!(
        got,
        vec![
            ("fpm-no-pool".to_string(), 1),
            ("outside-repository".to_string(), 3)
        ],
        "relative to /usr"
    );
    cli::write_tree(
        t.path(),
        &[(
            ".nginx-lint.toml",
            "php-fpm = [\"php/\"]\nphp-fpm-prefix = \"fpm-prefix\"\n",
        )],
    );
    let got = rules_at(&[path(&nginx)]);
    assert_eq!(got, vec![("fpm-user-root".to_string(), 2)]);
}

#[test]
fn quiet_drops_notes_and_summary() {
    let t = tree(&[("nginx.conf", WARN_ONLY), ("notes.txt", "\u{0}binary\u{0}")]);
    let p = path(t.path());
    let o = run(&["--format", "human", "--no-color", p]);
    assert!(stdout(&o).contains("1 warning in 1 file"), "{}", stdout(&o));
    let o = run(&["--format", "human", "--no-color", "--quiet", p]);
    let out = stdout(&o);
    assert!(!out.contains("in 1 file"), "{out}");
    assert!(!out.contains("note:"), "{out}");
    assert!(out.contains("tls-protocols"), "{out}");
    let o = run(&["-q", "--no-help", p]);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert_eq!(stderr(&o), "", "no summary on stderr either");
}

#[test]
fn help_gives_an_example_for_every_option() {
    for sub in [
        &["--help"][..],
        &["graph", "--help"],
        &["rules", "--help"],
        &["dump", "--help"],
        &["completions", "--help"],
    ] {
        let help = stdout(&run(sub));
        let missing = options_without_example(&help);
        assert!(
            missing.is_empty(),
            "{sub:?}: options without an example: {missing:?}\n{help}"
        );
    }
    let help = stdout(&run(&["--help"]));
    for opt in [
        "--config",
        "--select",
        "--ignore",
        "--tls-profile",
        "--fail-level",
        "--no-color",
    ] {
        assert!(help.contains(opt), "{opt} missing from --help");
    }
}

fn options_without_example(help: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut current: Option<String> = None;
    let mut has_example = false;
    for line in help.lines().chain(std::iter::once("  --end")) {
        let t = line.trim_start();
        if t.starts_with("--")
            || (t.starts_with('-') && t.chars().nth(1).is_some_and(char::is_alphabetic))
        {
            if let Some(opt) = current.take()
                && !has_example
                && !matches!(opt.as_str(), "--help" | "--version" | "-h," | "-V,")
            {
                missing.push(opt);
            }
            current = t.split_whitespace().next().map(str::to_string);
            has_example = false;
        }
        if t.contains("e.g.") {
            has_example = true;
        }
    }
    missing
}

#[test]
fn completions_and_manpage() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("--select"), "{shell}");
    }
    let o = run(&["manpage"]);
    assert_eq!(o.status.code(), Some(0));
    let man = stdout(&o);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "{man}");
    assert!(man.contains("\\-\\-fail\\-level") || man.contains("fail-level"));
}
