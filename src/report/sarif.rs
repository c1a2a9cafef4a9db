//! `--format sarif`: SARIF 2.1.0 (OASIS), for GitHub code scanning and
//! IDEs. One run; `tool.driver.rules` is the whole catalog (id, summary,
//! the page's "What it finds" as full description, the page itself as
//! help, the link to it, default level); results carry the rule, level,
//! message, location, related locations and a partial fingerprint that does
//! not depend on line numbers. Validated against the official schema in
//! the tests (tests/fixtures/sarif-schema-2.1.0.json).

use serde_json::{Value, json};

use super::{ReportView, fingerprints, report_path, rule_url};
use crate::finding::Severity;
use crate::registry::{self, RuleMeta};
use crate::source::{SourceMap, Span};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our partial fingerprint.
pub const FINGERPRINT_KEY: &str = "nginxLint/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference; an absolute one as a file URI.
pub fn uri(path: &str) -> String {
    let path = report_path(path);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The page's "What it finds" section, as plain paragraphs.
fn full_description(m: &RuleMeta) -> String {
    let mut out = Vec::new();
    let mut inside = false;
    for line in m.page.lines() {
        if line.starts_with("## ") {
            if inside {
                break;
            }
            inside = line.trim() == "## What it finds";
            continue;
        }
        if inside {
            out.push(line);
        }
    }
    let text = out.join("\n").trim().to_string();
    if text.is_empty() {
        m.summary.to_string()
    } else {
        text
    }
}

/// The page without its front matter.
fn page_body(page: &str) -> &str {
    page.strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|i| &rest[i + 5..]))
        .unwrap_or(page)
}

fn rule(m: &RuleMeta) -> Value {
    json!({
        "id": m.id,
        "name": m.id,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": full_description(m)},
        "helpUri": rule_url(m.id),
        "help": {"text": page_body(m.page), "markdown": page_body(m.page)},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {"category": m.category, "tags": [m.category]},
    })
}

fn physical(sources: &SourceMap, span: Span) -> Value {
    let f = sources.get(span.file);
    let (l, c) = f.line_col(span.start);
    let (el, ec) = f.line_col(span.end);
    let (el, ec) = if (el, ec) < (l, c) { (l, c) } else { (el, ec) };
    json!({
        "artifactLocation": {"uri": uri(&f.display)},
        "region": {"startLine": l, "startColumn": c, "endLine": el, "endColumn": ec},
    })
}

pub fn render(view: &ReportView<'_>) -> String {
    let fps = fingerprints(view);
    let results: Vec<Value> = view
        .findings
        .iter()
        .zip(fps)
        .map(|(f, fp)| {
            let mut text = f.message.clone();
            if let Some(h) = &f.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [{"physicalLocation": physical(view.sources, f.span)}],
                "partialFingerprints": {FINGERPRINT_KEY: fp},
            });
            if let Some(i) = registry::RULES.iter().position(|m| m.id == f.rule) {
                r["ruleIndex"] = json!(i);
            }
            if !f.related.is_empty() {
                r["relatedLocations"] = Value::Array(
                    f.related
                        .iter()
                        .enumerate()
                        .map(|(i, rel)| {
                            json!({
                                "id": i + 1,
                                "physicalLocation": physical(view.sources, rel.span),
                                "message": {"text": rel.message},
                            })
                        })
                        .collect(),
                );
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nginx-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/nginx-lint/nginx-lint",
                "rules": registry::RULES.iter().map(rule).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri("./a b/c.conf"), "a%20b/c.conf");
        assert_eq!(super::uri("/etc/nginx/x"), "file:///etc/nginx/x");
    }
}
