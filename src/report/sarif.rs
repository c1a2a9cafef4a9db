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

/// GitHub code scanning ranks security alerts by the rule's
/// `properties.security-severity`, a score from 0.1 to 10.0 given as a
/// string (over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, below low), and
/// counts a rule as a security query only when its tags include `security`
/// (docs.github.com, "SARIF support for code scanning", reportingDescriptor
/// object). The score is the harm of the finding when it holds, judged per
/// rule: a category alone would rank `invalid-regex` (nginx refuses to
/// start) or `proxy-buffering-off` (latency) as vulnerabilities. Rules not
/// listed carry no score and stay quality findings.
pub const SECURITY_SEVERITY: &[(&str, &str)] = &[
    // Code execution or arbitrary files served.
    ("php-arbitrary-execution", "9.0"),
    ("fpm-listen-exposed", "8.5"),
    ("ssrf", "8.0"),
    ("alias-traversal", "7.5"),
    ("filesystem-root-exposure", "7.5"),
    // Injection, access control that does not hold, spoofing.
    ("allow-without-deny", "6.5"),
    ("return-bypasses-access", "6.5"),
    ("http-splitting", "6.5"),
    ("fpm-limit-extensions", "6.5"),
    ("host-spoofing", "6.0"),
    ("origins", "6.0"),
    ("tls-upstream-verify", "6.0"),
    ("tls-protocols", "5.5"),
    ("tls-ciphers", "5.5"),
    ("status-page-exposed", "5.0"),
    ("proxy-set-header-redefinition", "5.0"),
    ("resolver-external", "5.0"),
    ("regex-redos", "5.0"),
    ("tls-listen-without-ssl", "5.0"),
    ("nginx-advisory", "5.0"),
    ("valid-referers", "4.0"),
    ("unanchored-regex", "4.0"),
    ("add-header-redefinition", "4.0"),
    // Hardening and information disclosure.
    ("add-header-multiline", "3.0"),
    ("version-disclosure", "3.0"),
    ("hsts-missing", "3.0"),
    ("error-log-off", "3.0"),
    ("default-server-missing", "2.0"),
    ("hash-without-default", "2.0"),
];

/// The rule's security-severity score, when it is a security rule.
pub fn security_severity(id: &str) -> Option<&'static str> {
    SECURITY_SEVERITY
        .iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, score)| *score)
}

fn rule(m: &RuleMeta) -> Value {
    let mut properties = json!({"category": m.category, "tags": [m.category]});
    if let Some(score) = security_severity(m.id) {
        properties["security-severity"] = json!(score);
        if m.category != "security" {
            properties["tags"] = json!([m.category, "security"]);
        }
    }
    json!({
        "id": m.id,
        "name": m.id,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": full_description(m)},
        "helpUri": rule_url(m.id),
        "help": {"text": page_body(m.page), "markdown": page_body(m.page)},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": properties,
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
    use crate::registry;

    #[test]
    fn security_severity_names_real_rules_with_valid_scores() {
        for (id, score) in super::SECURITY_SEVERITY {
            assert!(
                registry::RULES.iter().any(|m| m.id == *id),
                "{id} is no rule"
            );
            let n: f64 = score.parse().expect("a number");
            assert!(n > 0.0 && n <= 10.0, "{id}: {score}");
        }
    }

    #[test]
    fn security_rules_carry_score_and_tag() {
        let by_id = |id: &str| {
            let m = registry::RULES.iter().find(|m| m.id == id).expect("rule");
            super::rule(m)
        };
        let fpm = by_id("fpm-listen-exposed");
        assert_eq!(fpm["properties"]["security-severity"], "8.5");
        assert_eq!(
            fpm["properties"]["tags"],
            serde_json::json!(["php-fpm", "security"])
        );
        assert_eq!(
            by_id("alias-traversal")["properties"]["tags"],
            serde_json::json!(["security"])
        );
        // A startup error filed under security is no vulnerability.
        assert!(by_id("invalid-regex")["properties"]["security-severity"].is_null());
    }

    #[test]
    fn uris_are_encoded() {
        assert_eq!(super::uri("./a b/c.conf"), "a%20b/c.conf");
        assert_eq!(super::uri("/etc/nginx/x"), "file:///etc/nginx/x");
    }
}
