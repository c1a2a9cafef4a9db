//! Inline suppression (`# nginx-lint: ignore=<id> -- reason`), end to end:
//! where a comment applies in nginx and php-fpm files, `ignore-file`, and
//! the two hygiene rules.

#[path = "support/cli.rs"]
mod cli;
use cli::{path, rules_at, tree};

fn r(rule: &str, line: u64) -> (String, u64) {
    (rule.to_string(), line)
}

#[test]
fn own_line_comment_covers_the_next_directive_only() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing -- generated\n    include gen/a.conf;\n    include gen/b.conf;\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t.path())]), vec![r("include-missing", 5)]);
}

#[test]
fn own_line_comment_before_a_block_covers_the_whole_block() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing -- generated\n    server {\n        listen 80;\n        include gen/a.conf;\n        location / { include gen/b.conf; }\n    }\n    include gen/c.conf;\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t.path())]), vec![r("include-missing", 9)]);
}

#[test]
fn trailing_comment_covers_its_line() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    include gen/a.conf; # nginx-lint: ignore=include-missing -- generated\n    include gen/b.conf;\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t.path())]), vec![r("include-missing", 4)]);
}

#[test]
fn several_ids_in_one_comment() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing,upstream-no-listener -- both\n    server { listen 80; include gen/a.conf; location / { proxy_pass http://127.0.0.1:3000; } }\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
}

#[test]
fn ignore_file_at_the_top_covers_the_file() {
    let t = tree(&[(
        "nginx.conf",
        "# managed by ansible\n# nginx-lint: ignore-file=include-missing -- generated at deploy\nevents {}\nhttp { server_tokens off;\n    include gen/a.conf;\n    include gen/b.conf;\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
}

#[test]
fn ignore_file_after_the_first_directive_is_invalid() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\n# nginx-lint: ignore-file=include-missing -- too late\nhttp { server_tokens off;\n    include gen/a.conf;\n}\n",
    )]);
    assert_eq!(
        rules_at(&[path(t.path())]),
        vec![r("invalid-suppression", 2), r("include-missing", 4)]
    );
}

#[test]
fn unused_and_unknown_ids() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing,tls-protocol -- stale\n    server { listen 80; }\n}\n",
    )]);
    let (code, list) = cli::findings(&[path(t.path())]);
    assert_eq!(code, Some(1));
    assert_eq!(
        list,
        vec![
            ("unused-suppression".into(), "warning".into(), 3),
            ("invalid-suppression".into(), "error".into(), 3),
        ]
    );
}

#[test]
fn unused_is_not_reported_for_rules_that_do_not_run() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing -- kept for prod\n    server { listen 80; }\n}\n",
    )]);
    let p = path(t.path());
    assert_eq!(rules_at(&[p]), vec![r("unused-suppression", 3)]);
    assert_eq!(rules_at(&["--ignore", "include-missing", p]), vec![]);
    assert_eq!(rules_at(&["--ignore", "suppression", p]), vec![]);
}

#[test]
fn syntax_errors_cannot_be_suppressed() {
    let t = tree(&[(
        "nginx.conf",
        "# nginx-lint: ignore-file=syntax -- please\nevents {}\nhttp { server_tokens off;\n    server { listen 80 }\n}\n",
    )]);
    let got = rules_at(&[path(t.path())]);
    assert!(got.contains(&r("syntax", 4)), "{got:?}");
    assert!(got.contains(&r("invalid-suppression", 1)), "{got:?}");
}

#[test]
fn require_reason_from_the_config_file() {
    let t = tree(&[
        (
            "nginx.conf",
            "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing\n    include gen/a.conf;\n    # nginx-lint: ignore=include-missing -- generated\n    include gen/b.conf;\n}\n",
        ),
        (".nginx-lint.toml", "require-reason = true\n"),
    ]);
    // The comment without a reason still suppresses; it is reported itself.
    assert_eq!(
        rules_at(&[path(t.path())]),
        vec![r("invalid-suppression", 3)]
    );
    let t2 = tree(&[(
        "nginx.conf",
        "events {}\nhttp { server_tokens off;\n    # nginx-lint: ignore=include-missing\n    include gen/a.conf;\n}\n",
    )]);
    assert_eq!(rules_at(&[path(t2.path())]), vec![]);
}

#[test]
fn malformed_comment_is_invalid() {
    let t = tree(&[(
        "nginx.conf",
        "events {}\n# nginx-lint: disable=include-missing\nhttp { include gen/a.conf; }\n",
    )]);
    assert_eq!(
        rules_at(&[path(t.path())]),
        vec![r("invalid-suppression", 2), r("include-missing", 3)]
    );
}

const POOL_OK: &str = "pm = ondemand\npm.max_children = 5\n";

#[test]
fn php_fpm_line_before_an_entry() {
    let pool = format!(
        "[www]\n; nginx-lint: ignore=fpm-user-root -- a container without other users\nuser = root\nlisten = /run/php/www.sock\n{POOL_OK}"
    );
    let t = tree(&[("nginx.conf", "events {}\n"), ("php/www.conf", &pool)]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
    let bare = format!("[www]\nuser = root\nlisten = /run/php/www.sock\n{POOL_OK}");
    let t = tree(&[("nginx.conf", "events {}\n"), ("php/www.conf", &bare)]);
    assert_eq!(rules_at(&[path(t.path())]), vec![r("fpm-user-root", 2)]);
}

#[test]
fn php_fpm_section_header_covers_the_section() {
    let pool = format!(
        "; nginx-lint: ignore=fpm-user-root,fpm-listen-exposed -- lab machine\n[www]\nuser = root\nlisten = 9000\n{POOL_OK}[other]\nuser = root\nlisten = 9001\n{POOL_OK}"
    );
    let t = tree(&[("nginx.conf", "events {}\n"), ("php/www.conf", &pool)]);
    assert_eq!(
        rules_at(&[path(t.path())]),
        vec![r("fpm-user-root", 8), r("fpm-listen-exposed", 9)]
    );
}

#[test]
fn php_fpm_end_of_line_and_ignore_file() {
    let pool = format!(
        "[www]\nuser = root ; nginx-lint: ignore=fpm-user-root -- lab\nlisten = /run/php/www.sock\n{POOL_OK}"
    );
    let t = tree(&[("nginx.conf", "events {}\n"), ("php/www.conf", &pool)]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
    let pool = format!(
        "; nginx-lint: ignore-file=fpm-user-root -- lab\n[www]\nuser = root\nlisten = /run/php/www.sock\n{POOL_OK}"
    );
    let t = tree(&[("nginx.conf", "events {}\n"), ("php/www.conf", &pool)]);
    assert_eq!(rules_at(&[path(t.path())]), vec![]);
}
