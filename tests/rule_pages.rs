//! Every rule page is a test: its `bad` examples must produce the rule, its
//! `good` examples must not, and the rendered diagnostics of the bad examples
//! are snapshotted into `snapshots/rule-<id>.snap`.
//!
//! An example tree is a fenced block marked `bad` or `good` (its `file=` names
//! the file) plus the unmarked fenced blocks with `file=` that follow it.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use nginx_lint::report::{self, Format, HumanStyle, ReportView};
use nginx_lint::{Inputs, Options};

#[derive(Debug)]
struct Example {
    verdict: Verdict,
    files: Vec<(String, String)>,
    /// Command-line flags on the marked block (`--nginx-version=1.24`,
    /// `--tls-profile=modern`, `--root`: the example tree is the root).
    flags: Vec<String>,
    /// Line of the marked block in the page, for failure messages.
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Bad,
    Good,
}

fn parse_page(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        if info.is_empty() {
            continue;
        }
        let words: Vec<&str> = info.split_whitespace().collect();
        let verdict = if words.contains(&"bad") {
            Some(Verdict::Bad)
        } else if words.contains(&"good") {
            Some(Verdict::Good)
        } else {
            None
        };
        let file = words
            .iter()
            .find_map(|w| w.strip_prefix("file="))
            .map(str::to_string);
        let flags: Vec<String> = words
            .iter()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.to_string())
            .collect();
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        let Some(file) = file else { continue };
        match verdict {
            Some(v) => {
                let mut files = std::mem::take(&mut pending);
                files.push((file, body));
                out.push(Example {
                    verdict: v,
                    files,
                    flags,
                    line: n + 1,
                });
            }
            None => match out.last_mut() {
                Some(ex) if pending.is_empty() => ex.files.push((file, body)),
                _ => pending.push((file, body)),
            },
        }
    }
    out
}

fn pages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("rules/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    v.sort();
    v
}

/// Run the pipeline on one example tree; returns (all findings rendered for
/// this rule, whether the rule fired, other errors).
fn run_example(id: &str, ex: &Example) -> (String, bool, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in &ex.files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, body).expect("write example");
    }
    // Flags on the example's fence, and the example's own `.nginx-lint.toml`
    // (options a rule reads), stacked as the binary stacks them.
    let mut args = vec!["nginx-lint".to_string()];
    for f in &ex.flags {
        if f == "--root" {
            args.push(format!("--root={}", dir.path().display()));
        } else {
            args.push(f.clone());
        }
    }
    args.push(dir.path().display().to_string());
    let cli = nginx_lint::cli::Cli::try_parse_from(&args)
        .unwrap_or_else(|e| panic!("{id}: example at line {}: flags {args:?}: {e}", ex.line));
    let mut inputs = Inputs {
        paths: vec![dir.path().to_path_buf()],
        root: cli.lint.input.root.clone(),
        ..Inputs::default()
    };
    let resolved = nginx_lint::cli::configure(&cli.lint.input, cli.lint.layer(), &mut inputs)
        .unwrap_or_else(|e| panic!("{id}: example at line {}: {e}", ex.line));
    let mut settings = resolved.settings;
    cli.lint.apply_system(&mut settings, inputs.root.as_deref());
    let opts = Options { inputs, settings };
    let outcome = nginx_lint::run(&opts).expect("example runs");
    // `nginx-lint rules` shows the severities a rule reports (build.rs
    // reads them off the code): every finding here must be one of them,
    // unless the example's config sets a rule's severity.
    let overridden = ex
        .files
        .iter()
        .any(|(name, body)| name.ends_with(".nginx-lint.toml") && body.contains("severity"));
    for f in outcome.findings.iter().filter(|_| !overridden) {
        let meta = nginx_lint::registry::meta(f.rule).expect("registered");
        assert!(
            meta.severities.contains(&f.severity),
            "{id}: example at line {}: {} reported as {:?}, but the registry lists {:?}",
            ex.line,
            f.rule,
            f.severity,
            meta.severities
        );
    }
    let mine: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == id)
        .cloned()
        .collect();
    let syntax: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == "syntax" && id != "syntax")
        .map(|f| f.message.clone())
        .collect();
    let view = ReportView {
        sources: &outcome.loaded.sources,
        findings: &mine,
        skipped: &[],
        not_config: 0,
        files: outcome.loaded.file_count(),
        elapsed_ms: None,
        versions: None,
    };
    let style = HumanStyle {
        color: false,
        width: 90,
        unicode: true,
        help: false,
    };
    let prefix = format!("{}/", dir.path().display());
    let text = report::render(&view, Format::Human, style).replace(&prefix, "");
    (text, !mine.is_empty(), syntax)
}

#[test]
fn every_rule_page_example_behaves_and_is_snapshotted() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let id = page
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&page).expect("read page");
        let examples = parse_page(&text);
        if !examples.iter().any(|e| e.verdict == Verdict::Bad)
            || !examples.iter().any(|e| e.verdict == Verdict::Good)
        {
            failures.push(format!(
                "{id}: the page needs at least one bad and one good example"
            ));
            continue;
        }
        let mut snap = String::new();
        for ex in &examples {
            checked += 1;
            let (rendered, fired, syntax) = run_example(&id, ex);
            match (ex.verdict, fired) {
                (Verdict::Bad, false) => failures.push(format!(
                    "{id}: bad example at line {} does not produce the rule",
                    ex.line
                )),
                (Verdict::Good, true) => failures.push(format!(
                    "{id}: good example at line {} produces the rule:\n{rendered}",
                    ex.line
                )),
                _ => {}
            }
            if !syntax.is_empty() {
                failures.push(format!(
                    "{id}: example at line {} has syntax errors: {syntax:?}",
                    ex.line
                ));
            }
            if ex.verdict == Verdict::Bad {
                let flags = if ex.flags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ex.flags.join(" "))
                };
                snap.push_str(&format!(
                    "── example at line {}{flags} ──\n{rendered}\n",
                    ex.line
                ));
            }
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("rule-{id}"), snap));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 0, "no examples found");
}

#[test]
fn page_parser_groups_supporting_files() {
    let page = "```nginx bad file=nginx.conf\na;\n```\n```ini file=x.conf\n[www]\n```\n```nginx good file=nginx.conf\nb;\n```\n";
    let ex = parse_page(page);
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0].files.len(), 2);
    assert_eq!(ex[1].files.len(), 1);
}

/// The rules whose verdict depends on what a fragment or a repository may
/// not show: inherited directives (`fastcgi_param`, `add_header`,
/// `resolver`, `ssl_certificate`, ...), the default server, the backend,
/// the process users, files on disk, the nginx or PHP version, modules.
/// Each page says, under this heading, what the rule assumes when that
/// context is unknown (issue 21: unknown is never reported as missing).
const UNKNOWN_CONTEXT_HEADING: &str = "## When the context is unknown";
const CONTEXT_DEPENDENT: &[&str] = &[
    "add-header-redefinition",
    "backend-protocol-mismatch",
    "container-loopback-target",
    "default-server-missing",
    "fastcgi-params-missing",
    "fastcgi-timeout-mismatch",
    "fpm-include-missing",
    "fpm-listen-missing",
    "fpm-no-pool",
    "fpm-unknown-directive",
    "fpm-user-root",
    "hsts-missing",
    "http2-listen-deprecated",
    "include-missing",
    "keepalive-timeout-order",
    "listen-conflict",
    "load-module-missing",
    "module-assumed",
    "nginx-advisory",
    "proxy-pass-variable-resolver",
    "proxy-set-header-redefinition",
    "proxy-timeout-mismatch",
    "socket-permission",
    "ssl-on-removed",
    "tls-certificate-file",
    "tls-missing-certificate",
    "tls-protocols",
    "tls-upstream-verify",
    "unknown-directive",
    "upload-size-mismatch",
    "upstream-no-listener",
    "upstream-undefined",
    "version-disclosure",
    "zone-undefined",
];

#[test]
fn context_dependent_rules_say_what_they_assume() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut missing = Vec::new();
    for id in CONTEXT_DEPENDENT {
        let text = std::fs::read_to_string(dir.join(format!("{id}.md")))
            .unwrap_or_else(|e| panic!("rules/{id}.md: {e}"));
        // The heading, followed by a paragraph before the next section.
        let body = text
            .split_once(UNKNOWN_CONTEXT_HEADING)
            .map(|(_, rest)| rest.split("\n## ").next().unwrap_or_default());
        if body.is_none_or(|b| b.trim().is_empty()) {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "these pages need a `{UNKNOWN_CONTEXT_HEADING}` section: {missing:?}"
    );
}
