//! Reporters: one finding list, many formats. Every format reads the same
//! sorted findings; nothing here decides what is a problem.

pub mod checkstyle;
pub mod concise;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod page;
pub mod sarif;

use crate::finding::{Finding, Severity};
use crate::loaded::Skipped;
use crate::source::SourceMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Snippets with labels (miette), colour on a terminal
    Human,
    /// `file:line:col: severity[rule] message`
    Concise,
    /// One JSON document (docs/CLI.md: "JSON")
    Json,
    /// SARIF 2.1.0 (GitHub code scanning, IDEs)
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// GitLab Code Quality report
    Gitlab,
    /// Checkstyle XML (Jenkins, reviewdog)
    Checkstyle,
}

/// What every reporter needs.
pub struct ReportView<'a> {
    pub sources: &'a SourceMap,
    pub findings: &'a [Finding],
    pub skipped: &'a [Skipped],
    /// Walked files passed over as not configuration (listed in `skipped`
    /// only with `--verbose`).
    pub not_config: usize,
    /// Files analysed (nginx and php-fpm).
    pub files: usize,
    /// Run time, shown in the human summary; None in snapshots.
    pub elapsed_ms: Option<f64>,
    /// The nginx and PHP versions judged against and where they came from,
    /// ending the human and concise summaries and in JSON's summary; None
    /// when the caller does not know them (library use, snapshots).
    pub versions: Option<crate::versions::InForce>,
}

/// Presentation options (most for `human`).
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
    pub unicode: bool,
    /// `concise`: each finding's help on the line below it, indented
    /// (`--no-help` turns it off).
    pub help: bool,
}

pub fn render(view: &ReportView<'_>, format: Format, style: HumanStyle) -> String {
    match format {
        Format::Human => human::render(view, style),
        Format::Concise => concise::render(view, style.help),
        Format::Json => json::render(view),
        Format::Sarif => sarif::render(view),
        Format::Github => github::render(view),
        Format::Gitlab => gitlab::render(view),
        Format::Checkstyle => checkstyle::render(view),
    }
}

/// A path for machine formats: as shown, without a leading `./`.
pub fn report_path(display: &str) -> &str {
    display.strip_prefix("./").unwrap_or(display)
}

/// Fingerprints that survive re-runs and lines inserted above a finding:
/// a hash of the rule id, the file, the offending source text (whitespace
/// collapsed) and the finding's index among findings with the same three,
/// never the line number. One per finding, in order.
pub fn fingerprints(view: &ReportView<'_>) -> Vec<String> {
    let mut seen: std::collections::HashMap<u128, usize> = std::collections::HashMap::new();
    view.findings
        .iter()
        .map(|f| {
            let file = view.sources.get(f.span.file);
            let text = file.slice(f.span);
            let norm: Vec<&str> = text.split_whitespace().collect();
            let mut h = Fnv128::new();
            h.write(f.rule.as_bytes());
            h.write(&[0]);
            h.write(report_path(&file.display).as_bytes());
            h.write(&[0]);
            h.write(norm.join(" ").as_bytes());
            let key = h.0;
            let n = seen.entry(key).or_insert(0);
            let occurrence = *n;
            *n += 1;
            h.write(&[0]);
            h.write(occurrence.to_string().as_bytes());
            format!("{:032x}", h.0)
        })
        .collect()
}

/// FNV-1a, 128 bits: stable across versions and platforms (unlike std's
/// hasher), no dependency.
struct Fnv128(u128);

impl Fnv128 {
    fn new() -> Fnv128 {
        Fnv128(0x6c62272e07bb014262b821756295c58d)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u128::from(*b);
            self.0 = self.0.wrapping_mul(0x0000000001000000000000000000013B);
        }
    }
}

/// "2 errors, 1 warning in 12 files".
pub fn summary_counts(findings: &[Finding]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for f in findings {
        match f.severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
            Severity::Info => c.2 += 1,
        }
    }
    c
}

/// "1 error, 0 warnings in 1 file (3 ms) · nginx 1.26 (default) · PHP 8.3
/// (default)": the summary of `human` (on stdout) and `concise` (on
/// stderr, so the findings stay one per line on stdout). `time`: the run
/// time, when [`ReportView::elapsed_ms`] has it.
pub fn summary_line(view: &ReportView<'_>, time: bool) -> String {
    let (e, w, i) = summary_counts(view.findings);
    let mut parts = vec![plural(e, "error"), plural(w, "warning")];
    if i > 0 {
        parts.push(plural(i, "info"));
    }
    let mut line = format!("{} in {}", parts.join(", "), plural(view.files, "file"));
    if time && let Some(ms) = view.elapsed_ms {
        line.push_str(&format!(" ({ms:.0} ms)"));
    }
    if let Some(v) = &view.versions {
        line.push_str(" · ");
        line.push_str(&v.line());
    }
    line
}

/// `--statistics`: how many findings each rule has, most first (then by
/// id), as `ruff --statistics` prints them: a table, or a JSON array.
pub fn statistics(view: &ReportView<'_>, json: bool) -> String {
    let mut counts: Vec<(&str, Severity, usize)> = Vec::new();
    for f in view.findings {
        match counts
            .iter_mut()
            .find(|(r, s, _)| *r == f.rule && *s == f.severity)
        {
            Some(c) => c.2 += 1,
            None => counts.push((f.rule, f.severity, 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(b.1.cmp(&a.1)));
    let summary = |id: &str| crate::rules::meta(id).map_or("", |m| m.summary);
    if json {
        let list: Vec<serde_json::Value> = counts
            .iter()
            .map(|(rule, sev, n)| {
                serde_json::json!({"rule": rule, "severity": sev, "count": n, "summary": summary(rule)})
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
        s.push('\n');
        return s;
    }
    let width = counts.iter().map(|(r, _, _)| r.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (rule, sev, n) in &counts {
        out.push_str(&format!(
            "{n:>5}  {rule:<width$}  {:<7}  {}\n",
            sev.as_str(),
            summary(rule)
        ));
    }
    out
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Link to a rule's page.
pub fn rule_url(id: &str) -> String {
    format!("https://github.com/nginx-lint/nginx-lint/blob/main/rules/{id}.md")
}
