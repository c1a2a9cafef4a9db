//! Real trees that must lint clean: Debian's stock nginx + php-fpm
//! configuration (mirrored under testdata/debian) and the generated
//! 1,000-vhost benchmark tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use nginx_lint::{Inputs, Options};

fn lint(paths: Vec<PathBuf>, root: Option<PathBuf>) -> Vec<String> {
    // As the command line does: --root also names where certificate files
    // are read.
    let settings = nginx_lint::settings::Settings {
        files_root: root.clone(),
        ..Default::default()
    };
    let opts = Options {
        inputs: Inputs {
            paths,
            root,
            ..Inputs::default()
        },
        settings,
    };
    let out = nginx_lint::run(&opts).expect("runs");
    out.findings
        .iter()
        .map(|f| {
            let file = out.loaded.sources.get(f.span.file);
            let (l, c) = file.line_col(f.span.start);
            format!(
                "{}:{l}:{c}: {}[{}] {}",
                file.display,
                f.severity.as_str(),
                f.rule,
                f.message
            )
        })
        .collect()
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn debian_stock_tree() {
    let root = manifest().join("testdata/debian");
    let findings = lint(vec![root.join("etc")], Some(root));
    // Debian's nginx.conf still enables TLSv1 and TLSv1.1: exactly one
    // tls-protocols finding, at its ssl_protocols line; nothing else.
    let protocols: Vec<_> = findings
        .iter()
        .filter(|f| f.contains("[tls-protocols]"))
        .collect();
    assert_eq!(protocols.len(), 1, "{findings:#?}");
    assert!(
        protocols[0].starts_with("/etc/nginx/nginx.conf:33:")
            || protocols[0].contains("etc/nginx/nginx.conf:33:"),
        "{protocols:#?}"
    );
    let unexpected: Vec<_> = findings
        .iter()
        .filter(|f| !f.contains("[tls-protocols]"))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
}

#[test]
fn generated_thousand_vhost_tree() {
    let gen_script = manifest().join("../shared/bench/gen_synth.py");
    if !gen_script.exists() {
        panic!("gen_synth.py not found beside the checkout (../shared/bench)");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("python3")
        .arg(&gen_script)
        .arg(dir.path())
        .arg("1000")
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let findings = lint(vec![dir.path().to_path_buf()], None);
    assert!(findings.is_empty(), "{findings:#?}");
}
