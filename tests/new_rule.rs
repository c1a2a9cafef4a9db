//! `scripts/new-rule` on a copy of the parts of the tree it edits: it
//! writes a page whose front matter `build.rs` accepts, a rule file, the
//! `pub mod` line in sorted place and the `rules::all()` entry, and refuses
//! a bad id, an unknown category and an id that exists.

use std::path::Path;
use std::process::Command;

fn copy(from: &Path, to: &Path) {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::copy(from, to).expect("copy");
}

/// A scratch checkout with Cargo.toml, one page and the rule registry files.
fn scratch() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    for rel in [
        "Cargo.toml",
        "rules/tls-protocols.md",
        "src/rules/mod.rs",
        "src/rules/limits/mod.rs",
    ] {
        copy(&repo.join(rel), &dir.path().join(rel));
    }
    dir
}

fn new_rule(repo: &Path, args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/new-rule"))
        .args(args)
        .arg("--repo")
        .arg(repo)
        .output()
        .expect("python3 runs")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn scaffolds_page_file_and_registration() {
    let dir = scratch();
    let root = dir.path();
    let out = new_rule(
        root,
        &[
            "worker-demo-limit",
            "limits",
            "warning",
            "A demo limit rule",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let page = read(&root.join("rules/worker-demo-limit.md"));
    let front = page
        .strip_prefix("---\n")
        .and_then(|r| r.split_once("\n---\n"))
        .map(|(f, _)| f)
        .expect("front matter");
    for line in [
        "id: worker-demo-limit",
        "category: limits",
        "severity: warning",
        "summary: A demo limit rule",
    ] {
        assert!(front.lines().any(|l| l == line), "{line} in\n{front}");
    }
    assert!(page.contains("```nginx bad file=nginx.conf"));
    assert!(page.contains("```nginx good file=nginx.conf"));

    let src = read(&root.join("src/rules/limits/worker_demo_limit.rs"));
    assert!(src.contains("pub struct WorkerDemoLimit;"));
    assert!(src.contains("impl Rule for WorkerDemoLimit"));
    assert!(src.contains("&[ids::WORKER_DEMO_LIMIT]"));

    let mods: Vec<String> = read(&root.join("src/rules/limits/mod.rs"))
        .lines()
        .filter(|l| l.starts_with("pub mod "))
        .map(String::from)
        .collect();
    assert!(mods.contains(&"pub mod worker_demo_limit;".to_string()));
    let mut sorted = mods.clone();
    sorted.sort();
    assert_eq!(mods, sorted, "mod lines stay sorted");

    let all = read(&root.join("src/rules/mod.rs"));
    let entry = "        &limits::worker_demo_limit::WorkerDemoLimit,\n    ]\n}";
    assert!(all.contains(entry), "the entry ends rules::all()");
}

#[test]
fn refuses_what_it_cannot_do() {
    let dir = scratch();
    let root = dir.path();
    for args in [
        &["Bad_Id", "limits", "warning", "x"][..],
        &["ok-id", "nonsense", "warning", "x"][..],
        &["ok-id", "limits", "fatal", "x"][..],
        &["tls-protocols", "tls", "error", "exists"][..],
    ] {
        let out = new_rule(root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(!root.join("rules/ok-id.md").exists());
}
