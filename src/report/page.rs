//! A rule page (`rules/<id>.md`) as `nginx-lint explain` prints it.

/// A rule page for a terminal: the front matter becomes a title line.
pub fn page_for_terminal(page: &str) -> String {
    let body = page
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|i| &rest[i + 5..]))
        .unwrap_or(page);
    let id = page
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or("");
    let summary = page
        .lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .unwrap_or("");
    format!("{id}: {summary}\n{}", body)
}

/// A rule page for `explain`: on a terminal, light markdown rendering
/// (headings emphasised, code fences dropped and their code indented, the
/// example's verdict and file name as a label); piped, the plain page
/// ([`page_for_terminal`]).
pub fn render_page(page: &str, terminal: bool, color: bool) -> String {
    let plain = page_for_terminal(page);
    if !terminal {
        return plain;
    }
    let (bold, dim, cyan, red, green, reset) = if color {
        (
            "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[0m",
        )
    } else {
        ("", "", "", "", "", "")
    };
    let mut out = String::new();
    let mut lines = plain.lines();
    if let Some(title) = lines.next() {
        out.push_str(&format!("{bold}{title}{reset}\n"));
    }
    let mut in_code = false;
    for line in lines {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            if in_code {
                in_code = false;
                continue;
            }
            in_code = true;
            let words: Vec<&str> = info.split_whitespace().collect();
            let file = words.iter().find_map(|w| w.strip_prefix("file="));
            let verdict = if words.contains(&"bad") {
                format!("{red}✗ bad{reset}")
            } else if words.contains(&"good") {
                format!("{green}✓ good{reset}")
            } else {
                String::new()
            };
            let label = match (verdict.is_empty(), file) {
                (false, Some(f)) => format!("{verdict}  {dim}{f}{reset}"),
                (false, None) => verdict,
                (true, Some(f)) => format!("{dim}{f}{reset}"),
                (true, None) => String::new(),
            };
            if !label.is_empty() {
                out.push_str(&format!("  {label}\n"));
            }
            continue;
        }
        if in_code {
            out.push_str(&format!("    {cyan}{line}{reset}\n"));
        } else if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            out.push_str(&format!("{bold}{}{reset}\n", h.to_uppercase()));
        } else if color {
            out.push_str(&inline_markup(line, bold, cyan, reset));
            out.push('\n');
        } else {
            out.push_str(&line.replace("**", ""));
            out.push('\n');
        }
    }
    out
}

/// `code` and **bold** spans with terminal attributes.
fn inline_markup(line: &str, bold: &str, code: &str, reset: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut in_bold = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
            out.push_str(if in_code { code } else { reset });
            rest = &rest[1..];
        } else if !in_code && rest.starts_with("**") {
            in_bold = !in_bold;
            out.push_str(if in_bold { bold } else { reset });
            rest = &rest[2..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if in_code || in_bold {
        out.push_str(reset);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{ids, meta};

    #[test]
    fn pages_render_for_a_terminal_and_stay_plain_when_piped() {
        let page = meta(ids::SYNTAX).map(|m| m.page).unwrap_or_default();
        let plain = render_page(page, false, false);
        assert!(plain.contains("```nginx"), "piped output is the markdown");
        let term = render_page(page, true, false);
        assert!(!term.contains("```"), "fences are dropped on a terminal");
        assert!(term.contains("WHAT IT FINDS"));
        assert!(term.contains("✗ bad"));
        assert!(term.lines().any(|l| l.starts_with("    ")));
        let colored = render_page(page, true, true);
        assert!(colored.contains("\x1b[1m"));
    }
}
