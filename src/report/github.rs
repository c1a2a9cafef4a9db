//! `--format github`: GitHub Actions workflow commands, one a finding, so
//! the findings show as annotations on the pull request:
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::message`.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{ReportView, report_path};
use crate::finding::{Finding, Severity};

/// The message part: `%`, CR and LF escaped (GitHub's `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` and `,` (GitHub's `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Findings of one cause: the same rule, severity, message and help.
/// One cause in eight places was eight annotations (GitHub shows ten per
/// step); it is one, at the first place, listing the others.
struct Group<'f> {
    first: &'f Finding,
    more: Vec<&'f Finding>,
}

fn groups(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<(&str, Severity, &str, Option<&str>), usize> = HashMap::new();
    for f in findings {
        let key = (f.rule, f.severity, f.message.as_str(), f.help.as_deref());
        match index.get(&key) {
            Some(&i) => out[i].more.push(f),
            None => {
                index.insert(key, out.len());
                out.push(Group {
                    first: f,
                    more: Vec::new(),
                });
            }
        }
    }
    out
}

/// The places a group lists besides its first, at most this many.
const LISTED: usize = 20;

fn place(view: &ReportView<'_>, f: &Finding) -> String {
    let file = view.sources.get(f.span.file);
    let (line, col) = file.line_col(f.span.start);
    format!("{}:{line}:{col}", report_path(&file.display))
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(view: &ReportView<'_>) -> String {
    let mut out = String::new();
    for g in groups(view.findings) {
        let f = g.first;
        let file = view.sources.get(f.span.file);
        let (line, col, end_line, end_col) = super::json::position(view.sources, f.span);
        let mut msg = f.message.clone();
        if !g.more.is_empty() {
            let _ = write!(msg, " ({} places)", g.more.len() + 1);
        }
        if let Some(h) = &f.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        for r in &f.related {
            let rf = view.sources.get(r.span.file);
            let (l, c) = rf.line_col(r.span.start);
            let _ = write!(msg, "\n{}:{l}:{c}: {}", report_path(&rf.display), r.message);
        }
        if !g.more.is_empty() {
            msg.push_str("\nalso at:");
            for m in g.more.iter().take(LISTED) {
                let _ = write!(msg, "\n{}", place(view, m));
            }
            if g.more.len() > LISTED {
                let _ = write!(msg, "\nand {} more", g.more.len() - LISTED);
            }
        }
        let mut title = f.rule.to_string();
        if !g.more.is_empty() {
            let _ = write!(title, " (×{})", g.more.len() + 1);
        }
        let _ = writeln!(
            out,
            "::{} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
            command(f.severity),
            escape_property(report_path(&file.display)),
            escape_property(&title),
            escape_data(&msg)
        );
    }
    out
}

/// A Markdown job summary (for `$GITHUB_STEP_SUMMARY`): the run's summary
/// line, then one row per cause with its count and first place.
pub fn step_summary(view: &ReportView<'_>) -> String {
    let mut out = String::from("### nginx-lint\n\n");
    let _ = writeln!(out, "{}\n", super::summary_line(view, false));
    let groups = groups(view.findings);
    if groups.is_empty() {
        return out;
    }
    out.push_str("| severity | rule | count | first at | message |\n|---|---|---:|---|---|\n");
    for g in &groups {
        let f = g.first;
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | `{}` | {} |",
            f.severity.as_str(),
            f.rule,
            g.more.len() + 1,
            place(view, f),
            cell(&f.message)
        );
    }
    out
}

/// Text safe in a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_github() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
    }
}
