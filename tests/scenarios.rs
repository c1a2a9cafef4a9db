//! The scenario trees under `testdata/scenarios/`: each folder is linted as
//! `nginx-lint --format json testdata/scenarios/<name>` would, and the JSON
//! is snapshotted into `snapshots/scenario-<name>.snap`.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use nginx_lint::report::{self, Format, HumanStyle, ReportView};
use nginx_lint::{Inputs, Options};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("testdata/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn json_for(dir: &Path) -> String {
    let name = dir
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    // Paths as a user in the repository would name them.
    let rel = PathBuf::from("testdata/scenarios").join(&name);
    let mut args = vec!["nginx-lint".to_string()];
    if let Ok(flags) = std::fs::read_to_string(dir.join("flags")) {
        args.extend(
            flags
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    let cli = nginx_lint::cli::Cli::try_parse_from(&args).expect("flags parse");
    let settings = cli.lint.settings().expect("settings");
    let opts = Options {
        inputs: Inputs {
            paths: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel)],
            ..Inputs::default()
        },
        settings,
    };
    let out = nginx_lint::run(&opts).expect("scenario runs");
    let view = ReportView {
        sources: &out.loaded.sources,
        findings: &out.findings,
        skipped: &[],
        not_config: 0,
        files: out.loaded.file_count(),
        elapsed_ms: None,
        versions: None,
    };
    let style = HumanStyle {
        color: false,
        width: 90,
        unicode: true,
        help: false,
    };
    let prefix = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    report::render(&view, Format::Json, style).replace(&prefix, "")
}

#[test]
fn every_scenario_is_snapshotted() {
    let all = scenarios();
    assert!(all.len() >= 4, "the four 502 scenarios exist");
    for dir in all {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let json = json_for(&dir);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("scenario-{name}"), json));
    }
}
