//! `file:line:col: severity[rule] message`, one line a finding: for grep,
//! editors and logs.

use std::fmt::Write as _;

use super::ReportView;

/// `help`: each finding's help below it, indented, so a line-based tool
/// (grep, an editor's error list) still sees one finding a line.
pub fn render(view: &ReportView<'_>, help: bool) -> String {
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
        if help && let Some(h) = &f.help {
            for line in h.lines() {
                let _ = writeln!(out, "    help: {line}");
            }
        }
    }
    for s in view.skipped {
        let _ = writeln!(out, "{}: note: skipped: {}", s.path, s.reason);
    }
    out
}
