//! A file that nothing includes is read in the context its directives
//! allow (the narrowest the schema admits for all of them), never where
//! nginx would refuse one: minimal copies of the corpus's fragments
//! (testdata/realworld/) that used to get "not allowed here".

#[path = "support/cli.rs"]
mod cli;
use cli::{json_findings, path, run, tree};

/// (file, rule, message) of every finding of a repository run over `dir`.
fn findings(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let o = run(&["--format", "json", "--no-config", path(dir)]);
    json_findings(&o, &["file", "rule", "message"])
        .into_iter()
        .map(|f| (f[0].clone(), f[1].clone(), f[2].clone()))
        .collect()
}

fn context_errors(files: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let dir = tree(files);
    findings(dir.path())
        .into_iter()
        .filter(|(_, rule, _)| rule == "directive-context")
        .collect()
}

/// best-nginx-conf's microcache.conf: `set` and `if` at its top level, an
/// `add_header` inside an `if`, included in a PHP location by the vhost.
/// `set`/`if` are not allowed at http level, `add_header` not in a
/// server's `if`: the file is location-level.
#[test]
fn a_file_of_set_and_if_with_add_header_is_location_level() {
    let microcache = "set $no_cache \"\";\nif ($request_method !~ ^(GET|HEAD)$) {\n    set $no_cache \"1\";\n}\nif ($no_cache = \"1\") {\n    add_header X-Microcachable \"0\";\n}\n";
    let found = context_errors(&[("nginx/microcache.conf", microcache)]);
    assert_eq!(found, Vec::new());
    // Without the add_header it may stand in a server: still no error.
    let found = context_errors(&[(
        "nginx/nocache.conf",
        "set $no_cache \"\";\nif ($request_method = POST) {\n    set $no_cache 1;\n}\n",
    )]);
    assert_eq!(found, Vec::new());
}

/// h5bp's basic.conf holds only includes of location snippets and
/// add_header files; template vhosts include it inside a server that
/// nothing enables. Read on its own it is server-level, as what it
/// includes is.
#[test]
fn a_file_of_includes_takes_the_context_of_what_they_bring() {
    let found = context_errors(&[
        // The main file sets the prefix the includes are relative to.
        (
            "nginx.conf",
            "events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
        ),
        (
            "h5bp/basic.conf",
            "include h5bp/security/x.conf;\ninclude h5bp/location/files.conf;\n",
        ),
        (
            "h5bp/security/x.conf",
            "add_header X-Content-Type-Options nosniff always;\n",
        ),
        (
            "h5bp/location/files.conf",
            "location ~* /\\.(?!well-known\\/) {\n    deny all;\n}\n",
        ),
    ]);
    assert_eq!(found, Vec::new());
}

/// Directives that fit no context together are still reported: the
/// inference never hides a real misplacement.
#[test]
fn directives_that_fit_nowhere_together_are_still_reported() {
    let found = context_errors(&[(
        "conf.d/mixed.conf",
        "worker_processes 2;\nlocation / {\n    return 204;\n}\n",
    )]);
    assert_eq!(found.len(), 1, "{found:?}");
}

/// A snippet of PHP locations (or a vhost) that nothing includes inherits
/// `fastcgi_param` and `resolver` from the blocks it is deployed in, which
/// are not in view (an http-level `include fastcgi.conf;`, `resolver` in
/// nginx.conf): nothing is claimed missing. A `fastcgi_param` in the
/// snippet replaces every inherited one, so a set that lacks
/// SCRIPT_FILENAME is still reported there; in a full nginx.conf both are
/// reported as before.
#[test]
fn what_a_fragment_inherits_is_unknown_not_missing() {
    let rules = |files: &[(&str, &str)]| -> Vec<String> {
        let dir = tree(files);
        findings(dir.path())
            .into_iter()
            .map(|f| f.1)
            .filter(|r| r == "fastcgi-params-missing" || r == "proxy-pass-variable-resolver")
            .collect()
    };
    let snippet = "location ~ \\.php$ {\n    fastcgi_pass 127.0.0.1:9000;\n}\nlocation /api/ {\n    proxy_pass http://$arg_host;\n}\n";
    assert!(rules(&[("snippets/php.conf", snippet)]).is_empty());
    let vhost = format!("server {{\n    listen 80;\n{snippet}}}\n");
    assert!(rules(&[("conf.d/app.conf", &vhost)]).is_empty());
    let own = "location ~ \\.php$ {\n    fastcgi_param APP_ENV prod;\n    fastcgi_pass 127.0.0.1:9000;\n}\n";
    assert_eq!(
        rules(&[("snippets/php.conf", own)]),
        ["fastcgi-params-missing"]
    );
    let main = format!("events {{}}\nhttp {{\n{vhost}}}\n");
    assert_eq!(
        rules(&[("nginx.conf", &main)]),
        ["fastcgi-params-missing", "proxy-pass-variable-resolver"]
    );
}

/// proxy_ssl_verify unset in a file nothing includes may be set on in the
/// http block it is deployed in: not reported there; an explicit `off` is.
#[test]
fn upstream_verification_unset_in_a_fragment_is_unknown() {
    let rules = |text: &str| -> Vec<String> {
        let dir = tree(&[("snippets/api.conf", text)]);
        findings(dir.path())
            .into_iter()
            .map(|f| f.1)
            .filter(|r| r == "tls-upstream-verify")
            .collect()
    };
    assert!(rules("location /api/ {\n    proxy_pass https://api.example.com;\n}\n").is_empty());
    assert_eq!(
        rules(
            "location /api/ {\n    proxy_ssl_verify off;\n    proxy_pass https://api.example.com;\n}\n"
        ),
        ["tls-upstream-verify"]
    );
}

/// Before nginx 1.27.3 an unset ssl_protocols enables TLS 1.0 and 1.1; a
/// vhost file nothing includes may inherit ssl_protocols from its http
/// block, so the default is not claimed there; in a full config it is.
#[test]
fn default_tls_protocols_of_a_fragment_are_unknown() {
    let vhost = "server {\n    listen 443 ssl;\n    ssl_certificate /c.pem;\n    ssl_certificate_key /c.key;\n}\n";
    let rules = |files: &[(&str, &str)]| -> Vec<String> {
        let dir = tree(files);
        let o = run(&[
            "--format",
            "json",
            "--no-config",
            "--nginx-version",
            "1.24",
            path(dir.path()),
        ]);
        json_findings(&o, &["rule"])
            .into_iter()
            .map(|f| f[0].clone())
            .filter(|r| r == "tls-protocols")
            .collect()
    };
    assert!(rules(&[("conf.d/site.conf", vhost)]).is_empty());
    let main = format!("events {{}}\nhttp {{\n{vhost}}}\n");
    assert_eq!(rules(&[("nginx.conf", &main)]), ["tls-protocols"]);
}

/// A vhost file nothing includes may get its certificate from the http
/// block it is deployed into (one wildcard certificate for every server):
/// a server without one is an info there, and an error in a full config,
/// where nginx -t fails with no "ssl_certificate" is defined.
#[test]
fn a_certificate_a_fragment_may_inherit_is_not_claimed_missing() {
    let vhost = "server {\n    listen 443 ssl;\n    server_name example.org;\n}\n";
    let severities = |files: &[(&str, &str)]| -> Vec<String> {
        let dir = tree(files);
        let o = run(&["--format", "json", "--no-config", path(dir.path())]);
        json_findings(&o, &["rule", "severity"])
            .into_iter()
            .filter(|f| f[0] == "tls-missing-certificate")
            .map(|f| f[1].clone())
            .collect()
    };
    assert_eq!(severities(&[("sites-available/site", vhost)]), ["info"]);
    let main = format!("events {{}}\nhttp {{\n{vhost}}}\n");
    assert_eq!(severities(&[("nginx.conf", &main)]), ["error"]);
}
