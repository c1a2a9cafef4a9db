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
