//! Running the binary from integration tests (tests/config.rs,
//! tests/formats.rs, tests/suppression.rs):
//!
//! ```ignore
//! #[path = "support/cli.rs"]
//! mod cli;
//! ```
//!
//! Every run gets an empty `XDG_CONFIG_HOME` so a developer's own config
//! never leaks into a test, and a cache directory of the tests' own.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nginx-lint"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c.env_remove("CLICOLOR_FORCE");
    c.env_remove("GITHUB_STEP_SUMMARY");
    c.env("XDG_CONFIG_HOME", "/nonexistent/nginx-lint-tests");
    // `route` keeps an index of the files it read: never in the
    // developer's ~/.cache.
    c.env(
        "NGINX_LINT_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("nginx-lint-cache"),
    );
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

pub fn run_stdin(args: &[&str], input: &str) -> Output {
    feed(bin(), args, input)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
}

/// A temporary tree.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), files);
    dir
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (rule, severity, line) of every finding, through `--format json`.
pub fn findings(args: &[&str]) -> (Option<i32>, Vec<(String, String, u64)>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(&o), stderr(&o)));
    let list = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    (o.status.code(), list)
}

/// Just the rule ids with their lines.
pub fn rules_at(args: &[&str]) -> Vec<(String, u64)> {
    findings(args)
        .1
        .into_iter()
        .map(|(r, _, l)| (r, l))
        .collect()
}

/// [`run_stdin`] in another working directory.
pub fn run_stdin_in(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut c = bin();
    c.current_dir(dir);
    feed(c, args, input)
}

fn feed(mut c: Command, args: &[&str], input: &str) -> Output {
    let mut child = c
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    child.wait_with_output().expect("waits")
}

/// The findings of a `--format json` run, each as the string values of
/// `fields` ("" where absent); panics with the output when it is not JSON.
pub fn json_findings(o: &Output, fields: &[&str]) -> Vec<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)));
    v["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| {
                    fields
                        .iter()
                        .map(|k| f[*k].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One finding of a `--format json` run: (rule, severity, file, line,
/// message).
pub type Finding = (String, String, String, u64, String);

/// Every finding of a `--format json` run as a [`Finding`]; panics with
/// stdout and stderr when the output is not JSON.
pub fn all_findings(o: &Output) -> Vec<Finding> {
    let v: serde_json::Value = serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", stdout(o), stderr(o)));
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("rule"),
                s("severity"),
                s("file"),
                f["line"].as_u64().unwrap_or_default(),
                s("message"),
            )
        })
        .collect()
}
