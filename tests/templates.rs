//! Files an entrypoint renders before nginx or php-fpm reads them: values
//! with placeholders are not judged, and each such file gets one info.
//! Minimal copies of the corpus's templates (testdata/realworld/:
//! erseco-alpine-php-webserver, cachethq-docker,
//! awesome-compose-nginx-wsgi-flask).

#[path = "support/cli.rs"]
mod cli;
use cli::{json_findings, path, run, tree};

/// (file name, rule, severity) of every finding of a repository run.
fn findings(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let o = run(&["--format", "json", "--no-config", path(dir)]);
    json_findings(&o, &["file", "rule", "severity"])
        .into_iter()
        .map(|f| {
            let name = f[0].rsplit('/').next().unwrap_or_default().to_string();
            (name, f[1].clone(), f[2].clone())
        })
        .collect()
}

#[test]
fn placeholders_are_not_judged_and_each_file_says_so_once() {
    let nginx = "events {}\nhttp {\n    server {\n        listen 8080;\n        client_max_body_size ${client_max_body_size};\n        fastcgi_read_timeout $fastcgi_read_timeout;\n        location / {\n            proxy_pass http://$FLASK_SERVER_ADDR;\n        }\n    }\n}\n";
    let pool = "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = {{PHP_MAX_CHILDREN}}\nclear_env = $clear_env\n";
    let dir = tree(&[("nginx.conf", nginx), ("php-fpm.d/www.conf", pool)]);
    let found = findings(dir.path());
    let loud: Vec<_> = found
        .iter()
        .filter(|(_, _, sev)| sev != "info")
        .filter(|(_, rule, _)| {
            matches!(
                rule.as_str(),
                "directive-value" | "proxy-pass-variable-resolver" | "fpm-invalid-value"
            )
        })
        .collect();
    assert!(loud.is_empty(), "{found:?}");
    let infos: Vec<_> = found
        .iter()
        .filter(|(_, rule, _)| rule == "template-placeholder")
        .map(|(name, _, _)| name.as_str())
        .collect();
    assert_eq!(infos, ["nginx.conf", "www.conf"], "{found:?}");
}

/// A value that is wrong with no placeholder in it is still an error.
#[test]
fn a_wrong_value_without_placeholder_is_still_reported() {
    let nginx = "events {}\nhttp {\n    server {\n        listen 8080;\n        client_max_body_size 10q;\n    }\n}\n";
    let dir = tree(&[("nginx.conf", nginx)]);
    let found = findings(dir.path());
    assert!(
        found
            .iter()
            .any(|(_, r, s)| r == "directive-value" && s == "error"),
        "{found:?}"
    );
    assert!(!found.iter().any(|(_, r, _)| r == "template-placeholder"));
}
