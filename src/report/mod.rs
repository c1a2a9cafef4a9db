//! Reporters: one finding list, many formats. Every format reads the same
//! sorted findings; nothing here decides what is a problem.

pub mod concise;
pub mod human;
pub mod json;

use crate::discover::Skipped;
use crate::finding::{Finding, Severity};
use crate::source::SourceMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Concise,
    Json,
}

/// What every reporter needs.
pub struct ReportView<'a> {
    pub sources: &'a SourceMap,
    pub findings: &'a [Finding],
    pub skipped: &'a [Skipped],
    /// Files analysed (nginx and php-fpm).
    pub files: usize,
    /// Run time, shown in the human summary; None in snapshots.
    pub elapsed_ms: Option<f64>,
}

/// Human options.
#[derive(Clone, Copy, Debug)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
    pub unicode: bool,
}

pub fn render(view: &ReportView<'_>, format: Format, style: HumanStyle) -> String {
    match format {
        Format::Human => human::render(view, style),
        Format::Concise => concise::render(view),
        Format::Json => json::render(view),
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
