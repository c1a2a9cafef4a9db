//! Every error nginx-lint reports on the real-world corpus is accounted for.
//!
//! `scripts/realworld/baseline.py --errors` lints each project of
//! testdata/realworld twice (the repository as checked out, and the tree
//! deploy.py builds the way the project deploys it) and lists every error,
//! classified by hand as true (nginx or php-fpm rejects it too, or a real
//! problem) or false. testdata/realworld/errors.tsv is that list as it should
//! be. A new error fails this test: fix it, or, when it is real, add its row
//! with class `true` and why. A row that no longer comes out fails it too:
//! remove the row when a false error was fixed; a true row that went is a
//! finding lost.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The identity of an error: project, run, rule, file, line.
fn keys(tsv: &str) -> BTreeSet<String> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').take(5).collect::<Vec<_>>().join("\t"))
        .collect()
}

#[test]
fn corpus_errors_are_the_listed_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("nl-realworld-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let out = Command::new("python3")
        .arg(root.join("scripts/realworld/baseline.py"))
        .arg("--errors")
        .arg(env!("CARGO_BIN_EXE_nginx-lint"))
        .arg(tmp.join("json"))
        .env("NL_DEPLOY_DIR", tmp.join("dep"))
        .output()
        .expect("python3 runs baseline.py");
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        out.status.success(),
        "baseline.py --errors failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = keys(&String::from_utf8_lossy(&out.stdout));
    let listed = std::fs::read_to_string(root.join("testdata/realworld/errors.tsv"))
        .expect("testdata/realworld/errors.tsv");
    let want = keys(&listed);
    let new: Vec<_> = got.difference(&want).collect();
    let gone: Vec<_> = want.difference(&got).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "errors on the corpus differ from testdata/realworld/errors.tsv\n\
         new (fix them, or list a real one as true):\n  {}\n\
         gone (remove fixed false rows; a true row gone is a lost finding):\n  {}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        gone.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
    );
}

#[test]
fn the_listed_errors_say_true_or_false_and_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = std::fs::read_to_string(root.join("testdata/realworld/errors.tsv"))
        .expect("testdata/realworld/errors.tsv");
    for l in listed.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<_> = l.split('\t').collect();
        assert_eq!(cols.len(), 7, "{l}");
        assert!(matches!(cols[5], "true" | "false"), "{l}");
        assert!(!cols[6].is_empty() && cols[6] != "UNCLASSIFIED", "{l}");
    }
}
