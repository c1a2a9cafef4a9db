//! The printer against the real nginx: every file of every real-world
//! config (`testdata/realworld/`) is parsed, printed back with
//! `nginx::print`, and the printed tree must be accepted by `nginx -t` and
//! parse to the same tree (names, argument values, blocks) as the original.
//!
//! Needs nginx on PATH (`.ci/run` installs nginx-full); set
//! `NGINX_LINT_SKIP_DIFFERENTIAL=1` to skip.

#[path = "support/nginx.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{Verdict, materialize, nginx_t, parallel, require_nginx, tree_files};
use nginx_lint::nginx::ast::Directive;
use nginx_lint::nginx::parser::parse;
use nginx_lint::nginx::print::print_file;
use nginx_lint::source::FileId;

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("testdata/realworld exists")
        .map(|e| e.expect("read testdata/realworld").path())
        .filter(|p| p.join("nginx.conf").is_file())
        .collect();
    v.sort();
    v
}

#[derive(Debug, PartialEq)]
struct Shape(String, Vec<String>, Option<(bool, Vec<Shape>)>);

fn shape(list: &[Directive]) -> Vec<Shape> {
    list.iter()
        .map(|d| {
            Shape(
                d.name.value.to_string(),
                d.args.iter().map(|a| a.value.to_string()).collect(),
                d.block.as_ref().map(|b| (b.lua, shape(&b.children))),
            )
        })
        .collect()
}

/// Every file of `tree` that parses cleanly, printed; the count of files
/// printed; and problems (a printed file that parses differently).
fn printed(tree: &Path) -> (Vec<(PathBuf, Vec<u8>)>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for rel in tree_files(tree) {
        let text = std::fs::read(tree.join(&rel)).expect("read a corpus file");
        let pf = parse(FileId(0), &text);
        if !pf.errors.is_empty() {
            continue; // not nginx syntax (none in the corpus today)
        }
        let p = print_file(&pf, &text);
        let again = parse(FileId(0), p.as_bytes());
        if !again.errors.is_empty() || shape(&again.directives) != shape(&pf.directives) {
            problems.push(format!(
                "{}: the printed file parses differently: {:?}",
                rel.display(),
                again.errors.first().map(|e| &e.message)
            ));
        }
        out.push((rel, p.into_bytes()));
    }
    (out, problems)
}

#[test]
fn printed_corpus_is_accepted_by_nginx() {
    if require_nginx().is_none() {
        return;
    }
    let trees = corpus();
    assert!(trees.len() >= 10, "the corpus has at least 10 configs");
    let results: Vec<(usize, Vec<String>)> = parallel(&trees, 2, |tree| {
        let (files, mut problems) = printed(tree);
        let dir = harness::case_dir();
        materialize(tree, dir.path(), &files);
        if let Verdict::Err {
            message,
            file,
            line,
        } = nginx_t(dir.path())
        {
            problems.push(format!(
                "{}: nginx rejects the printed tree: {message} in {}:{line}",
                tree.display(),
                file.display()
            ));
        }
        (files.len(), problems)
    });
    let printed_files: usize = results.iter().map(|r| r.0).sum();
    let problems: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    println!(
        "printer: {} real-world configs, {printed_files} files printed, {} accepted by nginx -t",
        trees.len(),
        trees.len() - problems.len().min(trees.len())
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
