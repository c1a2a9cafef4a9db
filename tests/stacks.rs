//! Realistic stacks, one per service provider (`testdata/stacks/<name>/`):
//! each resolves cleanly, and its broken variant (`<name>-broken/`) gives
//! exactly the findings snapshotted in `snapshots/stack-<name>-broken.snap`
//! (JSON). The clean stacks' `graph` is snapshotted too, to show how the
//! services are named.

use std::path::{Path, PathBuf};

use nginx_lint::report::{self, Format, HumanStyle, ReportView};
use nginx_lint::{Inputs, Options};

/// How each stack is linted, as on the command line: `--root` (a stack
/// that mirrors a server), the nginx path, and `--service` paths, all
/// relative to the stack.
struct Stack {
    name: &'static str,
    root: bool,
    paths: &'static [&'static str],
    services: &'static [&'static str],
}

const STACKS: &[Stack] = &[
    // Django behind Gunicorn, socket-activated by systemd.
    Stack {
        name: "django-gunicorn",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/systemd/system"],
    },
    // Flask under a uWSGI vassal.
    Stack {
        name: "flask-uwsgi",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/uwsgi/apps-enabled/flaskapp.ini"],
    },
    // A Compose project: nginx, node and php-fpm containers (found by the walk).
    Stack {
        name: "compose",
        root: false,
        paths: &["."],
        services: &[],
    },
    // nginx in front of Apache httpd.
    Stack {
        name: "apache",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/apache2"],
    },
    // Node apps run by pm2 (the ecosystem file is found by the walk).
    Stack {
        name: "pm2",
        root: false,
        paths: &["."],
        services: &[],
    },
];

const STYLE: HumanStyle = HumanStyle {
    color: false,
    width: 100,
    unicode: true,
    help: false,
};

fn options(dir: &Path, s: &Stack) -> Options {
    let join = |p: &&str| -> PathBuf {
        if *p == "." {
            dir.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    Options {
        inputs: Inputs {
            paths: s.paths.iter().map(join).collect(),
            root: s.root.then(|| dir.to_path_buf()),
            services: s.services.iter().map(join).collect(),
            no_discover: true,
            ..Inputs::default()
        },
        settings: Default::default(),
    }
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), text));
}

fn stack_dir(name: &str) -> PathBuf {
    // Relative, so the snapshots do not depend on where the checkout lives.
    PathBuf::from("testdata/stacks").join(name)
}

#[test]
fn clean_stacks_resolve_without_findings() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("cd");
    let mut failures = Vec::new();
    for s in STACKS {
        let dir = stack_dir(s.name);
        let opts = options(&dir, s);
        let outcome = nginx_lint::run(&opts).expect("stack runs");
        if !outcome.findings.is_empty() {
            let view = outcome.view();
            failures.push(format!(
                "{}: expected no finding, got:\n{}",
                s.name,
                report::render(&view, Format::Concise, STYLE)
            ));
        }
        let graph = nginx_lint::graph(&opts, nginx_lint::graph::GraphFormat::Text).expect("graph");
        snapshot(&format!("stack-{}-graph", s.name), &graph);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_stacks_give_exactly_the_expected_findings() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("cd");
    for s in STACKS {
        let name = format!("{}-broken", s.name);
        let dir = stack_dir(&name);
        let outcome = nginx_lint::run(&options(&dir, s)).expect("stack runs");
        assert!(!outcome.findings.is_empty(), "{name}: no finding");
        let view = ReportView {
            sources: &outcome.loaded.sources,
            findings: &outcome.findings,
            skipped: &[],
            not_config: 0,
            files: outcome.loaded.file_count(),
            elapsed_ms: None,
            versions: None,
        };
        let json = report::render(&view, Format::Json, STYLE);
        snapshot(&format!("stack-{name}"), &json);
    }
}
