//! `--format github`: GitHub Actions workflow commands, one a finding, so
//! the findings show as annotations on the pull request:
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::message`.

use std::fmt::Write as _;

use super::{ReportView, report_path};
use crate::finding::Severity;

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

pub fn render(view: &ReportView<'_>) -> String {
    let mut out = String::new();
    for f in view.findings {
        let file = view.sources.get(f.span.file);
        let (line, col, end_line, end_col) = super::json::position(view.sources, f.span);
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut msg = f.message.clone();
        if let Some(h) = &f.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        for r in &f.related {
            let rf = view.sources.get(r.span.file);
            let (l, c) = rf.line_col(r.span.start);
            let _ = write!(msg, "\n{}:{l}:{c}: {}", report_path(&rf.display), r.message);
        }
        let _ = writeln!(
            out,
            "::{cmd} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
            escape_property(report_path(&file.display)),
            escape_property(f.rule),
            escape_data(&msg)
        );
    }
    out
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
