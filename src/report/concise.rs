//! `file:line:col: severity[rule] message`, one line a finding: for grep,
//! editors and logs.

use std::fmt::Write as _;

use super::ReportView;

pub fn render(view: &ReportView<'_>) -> String {
    let mut out = String::new();
    for f in view.findings {
        let file = view.sources.get(f.span.file);
        let (line, col) = file.line_col(f.span.start);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.display,
            line,
            col,
            f.severity.as_str(),
            f.rule,
            f.message
        );
    }
    for s in view.skipped {
        let _ = writeln!(out, "{}: note: skipped: {}", s.path, s.reason);
    }
    out
}
