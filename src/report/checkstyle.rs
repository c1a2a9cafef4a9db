//! `--format checkstyle`: Checkstyle XML, read by Jenkins (warnings-ng),
//! reviewdog (`-f=checkstyle`) and many CI dashboards. One `<file>` per
//! file with findings, one `<error>` per finding.

use std::fmt::Write as _;

use super::{ReportView, report_path};

/// Text for an XML attribute: markup characters escaped, characters XML 1.0
/// forbids (most C0 controls) replaced.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(view: &ReportView<'_>) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    let mut current: Option<&str> = None;
    for f in view.findings {
        let file = view.sources.get(f.span.file);
        let path = report_path(&file.display);
        if current != Some(path) {
            if current.is_some() {
                out.push_str("  </file>\n");
            }
            let _ = writeln!(out, "  <file name=\"{}\">", escape(path));
            current = Some(path);
        }
        let (line, col) = file.line_col(f.span.start);
        let mut msg = f.message.clone();
        if let Some(h) = &f.help {
            msg.push_str(" (help: ");
            msg.push_str(h);
            msg.push(')');
        }
        let _ = writeln!(
            out,
            "    <error line=\"{line}\" column=\"{col}\" severity=\"{}\" message=\"{}\" source=\"nginx-lint.{}\"/>",
            f.severity.as_str(),
            escape(&msg),
            escape(f.rule)
        );
    }
    if current.is_some() {
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            super::escape("a<b & \"c\" 'd'\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;\u{FFFD}&#10;"
        );
    }
}
