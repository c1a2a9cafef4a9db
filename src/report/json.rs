//! `--format json`: one document on stdout, described in docs/CLI.md ("Output
//! formats", "JSON"); `snapshots/format-json.snap` shows one.

use serde::Serialize;

use super::{ReportView, summary_counts};
use crate::finding::{Finding, Severity};
use crate::registry;
use crate::source::{SourceMap, Span};

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    skipped: &'a [crate::loaded::Skipped],
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// The versions judged against (`1.22.1`, `8.2`) and where each came
    /// from; absent when the caller does not know them.
    #[serde(skip_serializing_if = "Option::is_none")]
    nginx_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    php_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    versions_from: Option<VersionsFrom>,
}

#[derive(Serialize)]
struct VersionsFrom {
    nginx: crate::versions::Source,
    php: crate::versions::Source,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    category: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    /// The rule's page (the link SARIF's `helpUri` gives).
    url: String,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

/// Position of a span for machine formats: 1-based, end exclusive.
pub fn position(sources: &SourceMap, span: Span) -> (usize, usize, usize, usize) {
    let f = sources.get(span.file);
    let (l, c) = f.line_col(span.start);
    let (el, ec) = f.line_col(span.end);
    (l, c, el, ec)
}

fn convert<'a>(sources: &'a SourceMap, f: &'a Finding) -> JsonFinding<'a> {
    let (line, column, end_line, end_column) = position(sources, f.span);
    JsonFinding {
        rule: f.rule,
        category: registry::meta(f.rule).map_or("", |m| m.category),
        severity: f.severity,
        message: &f.message,
        file: &sources.get(f.span.file).display,
        line,
        column,
        end_line,
        end_column,
        help: f.help.as_deref(),
        url: super::rule_url(f.rule),
        related: f
            .related
            .iter()
            .map(|r| {
                let (line, column) = sources.get(r.span.file).line_col(r.span.start);
                JsonRelated {
                    file: &sources.get(r.span.file).display,
                    line,
                    column,
                    message: &r.message,
                }
            })
            .collect(),
    }
}

pub fn render(view: &ReportView<'_>) -> String {
    let (errors, warnings, infos) = summary_counts(view.findings);
    let doc = Doc {
        version: 1,
        tool: Tool {
            name: "nginx-lint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: view
            .findings
            .iter()
            .map(|f| convert(view.sources, f))
            .collect(),
        skipped: view.skipped,
        summary: Summary {
            files: view.files,
            errors,
            warnings,
            infos,
            nginx_version: view.versions.map(|v| v.nginx.to_string()),
            php_version: view.versions.map(|v| v.php.to_string()),
            versions_from: view.versions.map(|v| VersionsFrom {
                nginx: v.nginx_from,
                php: v.php_from,
            }),
        },
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
