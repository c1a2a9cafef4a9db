//! `zone-undefined` against the real nginx: each reference nginx cannot
//! resolve at start-up makes `nginx -t` fail with the message we give, and
//! each look-alike passes both.

#[path = "support/nginx.rs"]
mod harness;

use harness::{Verdict, case_dir, lint, nginx_t, require_nginx, substitute, substitutions};

/// A complete tree around `http_body`.
fn tree(http_body: &str) -> String {
    format!(
        "events {{}}\nhttp {{\n    access_log off;\n    \
         proxy_cache_path /var/cache/nginx/p keys_zone=pages:1m;\n    \
         limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/s;\n{http_body}\n}}\n"
    )
}

fn server(location: &str) -> String {
    format!(
        "    server {{\n        listen 127.0.0.1:8080;\n        location / {{\n{location}\n        }}\n    }}"
    )
}

/// nginx's verdict and our zone-undefined messages for one tree.
fn judge(text: &str) -> (Verdict, Vec<String>) {
    let dir = case_dir();
    let text = substitute(text.as_bytes(), &substitutions(dir.path()));
    std::fs::write(dir.path().join("nginx.conf"), text).expect("write nginx.conf");
    let ours = lint(dir.path())
        .into_iter()
        .filter(|l| l.rule == "zone-undefined")
        .map(|l| l.message)
        .collect();
    (nginx_t(dir.path()), ours)
}

#[test]
fn unresolved_zones_fail_nginx_with_our_message() {
    if require_nginx().is_none() {
        return;
    }
    let cases = [
        (
            "proxy_pass http://127.0.0.1:1; proxy_cache page;",
            "\"proxy_cache\" zone \"page\" is unknown",
        ),
        (
            "fastcgi_pass 127.0.0.1:1; fastcgi_cache pages;",
            "the shared memory zone \"pages\" is already declared for a different use",
        ),
        (
            "limit_req zone=per_ip;",
            "zero size shared memory zone \"per_ip\"",
        ),
        (
            "limit_req zone=$binary_remote_addr;",
            "zero size shared memory zone \"$binary_remote_addr\"",
        ),
        (
            "limit_conn perip 1;",
            "the shared memory zone \"perip\" is already declared for a different use",
        ),
        (
            "limit_conn addr 1;",
            "zero size shared memory zone \"addr\"",
        ),
    ];
    for (location, message) in cases {
        let (verdict, ours) = judge(&tree(&server(location)));
        match &verdict {
            Verdict::Err { message: m, .. } => assert_eq!(m, message, "{location}"),
            Verdict::Ok => panic!("nginx accepts `{location}`"),
        }
        assert_eq!(ours, vec![message.to_string()], "{location}");
    }
}

#[test]
fn resolvable_references_pass_both() {
    if require_nginx().is_none() {
        return;
    }
    let cases = [
        "proxy_pass http://127.0.0.1:1; proxy_cache pages; limit_req zone=perip;",
        "proxy_pass http://127.0.0.1:1; proxy_cache $host;",
        "proxy_pass http://127.0.0.1:1; proxy_cache off;",
        // Defined after the reference, below.
        "limit_conn addr 1;",
    ];
    for location in cases {
        let body = format!(
            "{}\n    limit_conn_zone $binary_remote_addr zone=addr:1m;",
            server(location)
        );
        let (verdict, ours) = judge(&tree(&body));
        assert!(verdict.is_ok(), "{location}: {verdict:?}");
        assert!(ours.is_empty(), "{location}: {ours:?}");
    }
}
