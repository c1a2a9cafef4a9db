//! `load-module-missing` against the real nginx: a module file missing from
//! a modules directory that exists makes `nginx -t` fail with the message we
//! give; a present file passes both. Read as `--live` reads (files at their
//! own paths).

#[path = "support/nginx.rs"]
mod harness;

use harness::{Verdict, case_dir, lint_with, nginx_t, require_nginx};

/// nginx's verdict and our load-module-missing messages for a tree that
/// loads `module` (a path in the case directory's `modules/`).
fn judge(module: &str) -> (Verdict, Vec<String>) {
    let dir = case_dir();
    let mods = harness::canonical(dir.path()).join("modules");
    std::fs::create_dir_all(&mods).expect("mkdir modules");
    // Not a loadable object: nginx must fail on it for another reason
    // than a missing file, which is no business of this rule.
    std::fs::write(mods.join("present.so"), "").expect("write present.so");
    let conf = format!(
        "load_module {};\nevents {{}}\n",
        mods.join(module).display()
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).expect("write nginx.conf");
    let settings = nginx_lint::settings::Settings {
        files_root: Some("/".into()),
        ..Default::default()
    };
    let ours = lint_with(dir.path(), settings)
        .into_iter()
        .filter(|l| l.rule == "load-module-missing")
        .map(|l| l.message)
        .collect();
    (nginx_t(dir.path()), ours)
}

#[test]
fn missing_module_fails_nginx_with_our_message() {
    if require_nginx().is_none() {
        return;
    }
    let (verdict, ours) = judge("ngx_missing_module.so");
    let Verdict::Err { message, .. } = verdict else {
        panic!("nginx accepts a missing module");
    };
    assert!(message.starts_with("dlopen() \""), "{message}");
    assert!(
        message.ends_with("cannot open shared object file: No such file or directory)"),
        "{message}"
    );
    assert_eq!(ours, vec![message]);
}

#[test]
fn present_module_file_is_not_reported() {
    if require_nginx().is_none() {
        return;
    }
    let (verdict, ours) = judge("present.so");
    // nginx still refuses the empty file, but not because it is missing.
    if let Verdict::Err { message, .. } = &verdict {
        assert!(!message.contains("No such file"), "{message}");
    }
    assert!(ours.is_empty(), "{ours:?}");
}
