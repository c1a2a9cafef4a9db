//! `--format gitlab`: a GitLab Code Quality report (a JSON array), for
//! `artifacts: reports: codequality`. Severities: error → `critical` (nginx
//! refuses the config or requests fail), warning → `minor`, info → `info`;
//! `blocker` and `major` are not used. Fingerprints hash the rule, the
//! file and the offending text, not the line, so a finding keeps its
//! identity when lines are inserted above it.

use serde::Serialize;

use super::{ReportView, fingerprints, report_path};
use crate::finding::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

pub fn render(view: &ReportView<'_>) -> String {
    let fps = fingerprints(view);
    let issues: Vec<Issue> = view
        .findings
        .iter()
        .zip(fps)
        .map(|(f, fingerprint)| {
            let file = view.sources.get(f.span.file);
            let (begin, _) = file.line_col(f.span.start);
            let (end, _) = file.line_col(f.span.end);
            Issue {
                description: format!("{} [{}]", f.message, f.rule),
                check_name: f.rule,
                fingerprint,
                severity: severity(f.severity),
                location: Location {
                    path: report_path(&file.display),
                    lines: Lines {
                        begin,
                        end: end.max(begin),
                    },
                },
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
