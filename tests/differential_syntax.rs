//! Syntax differential against the real nginx: every config of the
//! real-world corpus (`testdata/realworld/`) must be accepted by `nginx -t`
//! and get no finding from us; then hundreds of deterministic mutations of
//! it must get the same syntax verdict from us as from nginx.
//!
//! Needs nginx on PATH (`.ci/run` installs nginx-full); set
//! `NGINX_LINT_SKIP_DIFFERENTIAL=1` to skip.

#[path = "support/nginx.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{Verdict, lint, materialize, nginx_t, parallel, require_nginx};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld")
}

/// The corpus trees, sorted by name.
fn corpus() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_root())
        .expect("testdata/realworld exists")
        .map(|e| e.expect("read testdata/realworld").path())
        .filter(|p| p.join("nginx.conf").is_file())
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn corpus_is_accepted_by_nginx_and_clean_for_us() {
    if require_nginx().is_none() {
        return;
    }
    let trees = corpus();
    assert!(trees.len() >= 10, "the corpus has at least 10 configs");
    let problems: Vec<String> = parallel(&trees, 2, |tree| {
        let dir = harness::case_dir();
        materialize(tree, dir.path(), &[]);
        let mut out = Vec::new();
        if let Verdict::Err {
            message,
            file,
            line,
        } = nginx_t(dir.path())
        {
            out.push(format!(
                "{}: nginx rejects it: {message} in {}:{line}",
                name(tree),
                file.display()
            ));
        }
        for l in lint(dir.path()) {
            out.push(format!(
                "{}: we report {}[{}] {} at {}:{}",
                name(tree),
                l.severity.as_str(),
                l.rule,
                l.message,
                l.file.display(),
                l.line
            ));
        }
        out
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
