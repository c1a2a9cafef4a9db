//! Every output format on one tree (testdata/formats: one error, one
//! warning, one info), snapshotted; SARIF validated against the official
//! 2.1.0 schema; GitLab fingerprints stable when lines move.

#[path = "support/cli.rs"]
mod cli;
use cli::{run, stdout};

use std::path::Path;

const TREE: &str = "testdata/formats";

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn format(f: &str) -> String {
    let o = run(&["--format", f, TREE]);
    assert_eq!(o.status.code(), Some(1), "{}", cli::stderr(&o));
    stdout(&o)
}

#[test]
fn concise_and_json() {
    snapshot("format-concise", &format("concise"));
    let json = format("json").replace(env!("CARGO_PKG_VERSION"), "VERSION");
    snapshot("format-json", &json);
}

#[test]
fn human_without_color() {
    let o = run(&["--format", "human", "--no-color", TREE]);
    let text = stdout(&o);
    assert!(!text.contains('\u{1b}'), "no escape codes with --no-color");
    // The summary line's time varies; the versions are the defaults (not
    // a live run: nothing is detected).
    let text: String = text
        .lines()
        .map(|l| match (l.find(" ("), l.find(" ms) · ")) {
            (Some(i), Some(j)) if l.contains(" in 2 files (") => {
                format!("{}{}", &l[..i], &l[j + 4..])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let versions = format!(
        "nginx {}.{} (default) · PHP {} (default)",
        nginx_lint::nginx::schema::NEWEST_STABLE.0,
        nginx_lint::nginx::schema::NEWEST_STABLE.1,
        nginx_lint::fpm::PhpVersion::DEFAULT
    );
    assert!(
        text.ends_with(&format!(
            "1 error, 1 warning, 1 info in 2 files · {versions}"
        )),
        "{text}"
    );
    snapshot("format-human", &text);
}

/// The JSON document validates against the schema docs/CLI.md points to
/// (docs/nginx-lint.schema.json), with findings, related places and a skip.
#[test]
fn json_validates_against_the_published_schema() {
    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/nginx-lint.schema.json"),
    )
    .expect("docs/nginx-lint.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let doc: serde_json::Value = serde_json::from_str(&format("json")).expect("JSON");
    assert!(doc["findings"][0]["related"][0].is_object());
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "JSON does not validate:\n{}",
        errors.join("\n")
    );
    let mut broken = doc.clone();
    broken["findings"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["summary"]["versions_from"]["nginx"] = "guessed".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_is_valid_and_snapshotted() {
    let text = format("sarif");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json"),
    )
    .expect("schema fixture");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
    // A document that breaks the schema must fail, or the check proves nothing.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));

    let run0 = &doc["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), nginx_lint::rules::RULES.len());
    for r in rules {
        assert!(r["helpUri"].as_str().is_some_and(|u| u.ends_with(".md")));
        assert!(
            r["fullDescription"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
    }
    let results = run0["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["relatedLocations"].is_array()));
    assert!(
        results
            .iter()
            .all(|r| r["partialFingerprints"]["nginxLint/v1"].is_string())
    );
    // Snapshot the results; the catalog changes with every rule page.
    let mut snap = doc.clone();
    snap["runs"][0]["tool"]["driver"]["rules"] =
        serde_json::json!(format!("{} rules", rules.len()));
    let text = serde_json::to_string_pretty(&snap)
        .expect("json")
        .replace(env!("CARGO_PKG_VERSION"), "VERSION");
    snapshot("format-sarif", &text);
}

#[test]
fn github_annotations() {
    let text = format("github");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("::error file=testdata/formats/nginx.conf,line=4,col=9,endLine=4,")
    );
    assert!(lines[1].starts_with("::warning "));
    assert!(lines[2].starts_with("::notice "));
    assert!(lines.iter().all(|l| l.contains(",title=")));
    snapshot("format-github", &text);
}

/// One cause in several places is one annotation listing the others
/// (GitHub shows ten a step: eight of one cause hid the rest), and with
/// `$GITHUB_STEP_SUMMARY` set a Markdown table of causes is appended there.
#[test]
fn github_groups_one_cause_and_writes_the_job_summary() {
    let dir = cli::tree(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n    server_tokens off;\n    server { listen 80; location / { proxy_pass http://127.0.0.1:3000; } }\n    server { listen 81; location / { proxy_pass http://127.0.0.1:3000; } }\n    server { listen 82; location / { proxy_pass http://127.0.0.1:3000; } }\n    server { listen 83; location / { proxy_pass http://127.0.0.1:3001; } }\n}\n",
        ),
        // A backend in view a few ports off makes each one a warning.
        (
            ".nginx-lint.toml",
            "[[listener]]\naddress = \"127.0.0.1:3005\"\n",
        ),
    ]);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write");
    let o = cli::bin()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--format", "github", "nginx.conf"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1), "{}", cli::stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("::warning file=nginx.conf,line=4,col=38,endLine=4,endColumn=71,title=upstream-no-listener (×3)::proxy_pass 127.0.0.1:3000: nothing listens on this address in the analysed configuration (3 places)%0Ahelp: "),
        "{text}"
    );
    assert!(
        lines[0].ends_with("%0Aalso at:%0Anginx.conf:5:38%0Anginx.conf:6:38"),
        "{text}"
    );
    assert!(lines[1].contains("title=upstream-no-listener::proxy_pass 127.0.0.1:3001"));
    let md = std::fs::read_to_string(&summary).expect("summary written");
    assert!(
        md.starts_with("earlier step\n### nginx-lint\n\n0 errors, 4 warnings in 1 file"),
        "{md}"
    );
    assert!(
        md.contains("| warning | `upstream-no-listener` | 3 | `nginx.conf:4:38` | proxy_pass 127.0.0.1:3000: nothing listens on this address in the analysed configuration |\n"),
        "{md}"
    );
    assert!(
        md.contains("| warning | `upstream-no-listener` | 1 | `nginx.conf:7:38` |"),
        "{md}"
    );
}

#[test]
fn gitlab_code_quality() {
    let text = format("gitlab");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let issues = v.as_array().expect("array");
    let sev: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["severity"].as_str())
        .collect();
    assert_eq!(sev, ["critical", "minor", "info"]);
    for i in issues {
        assert!(i["description"].is_string() && i["check_name"].is_string());
        assert_eq!(i["location"]["path"], "testdata/formats/nginx.conf");
        assert!(
            i["location"]["lines"]["begin"]
                .as_u64()
                .is_some_and(|l| l > 0)
        );
        assert_eq!(i["fingerprint"].as_str().map(str::len), Some(32));
    }
    snapshot("format-gitlab", &text);
}

#[test]
fn checkstyle_xml() {
    let text = format("checkstyle");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle"));
    assert_eq!(text.matches("<error ").count(), 3);
    assert!(!text.contains("\"binds"), "quotes in messages are escaped");
    snapshot("format-checkstyle", &text);
}

fn fingerprints(dir: &Path) -> Vec<(String, u64, String)> {
    let o = run(&["--format", "gitlab", dir.to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap_or_default().to_string(),
                i["location"]["lines"]["begin"].as_u64().unwrap_or_default(),
                i["fingerprint"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn gitlab_fingerprints_survive_runs_and_line_shifts() {
    let conf = "events {}\nhttp { server_tokens off;\n    include gen/a.conf;\n    include gen/a.conf;\n    server { listen 80; location / { proxy_pass http://127.0.0.1:3000; } }\n}\n";
    let t = cli::tree(&[("nginx.conf", conf)]);
    let before = fingerprints(t.path());
    assert_eq!(before.len(), 3);
    assert_eq!(before, fingerprints(t.path()), "stable across runs");
    // The same include twice: two findings, two fingerprints.
    assert_ne!(before[0].2, before[1].2);
    let shifted = format!("# a comment\n\n# and another\n{conf}");
    std::fs::write(t.path().join("nginx.conf"), shifted).expect("write");
    let after = fingerprints(t.path());
    assert_eq!(after.len(), 3);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.1, b.1 + 3, "the finding moved down");
        assert_eq!(a.2, b.2, "its fingerprint did not change");
    }
}
