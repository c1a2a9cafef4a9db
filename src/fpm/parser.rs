//! Span-preserving parser for the INI dialect php-fpm reads.
//!
//! php-fpm does not hand a whole file to the Zend INI parser: in
//! `fpm_conf_load_ini_file` (php-src `sapi/fpm/fpm/fpm_conf.c`) it reads one
//! line at a time, appends `\n` and calls `zend_parse_ini_string(...,
//! ZEND_INI_SCANNER_NORMAL)` on that line alone. So nothing spans lines (no
//! multi-line quoted values), each line is its own syntax unit, and an error
//! names the line php-fpm was on. What this module models of the scanner
//! (`Zend/zend_ini_scanner.l`), checked against `php-fpm8.2 -t`:
//!
//! - `;` starts a comment anywhere outside quotes; `#` is no comment since
//!   PHP 7.0: `#foo` is a key without value, `# a = b` an unknown key.
//! - `[name]` must start in column 1; after `]` only blanks and a comment.
//! - `key = value`, `key[index] = value`; a line without `=` is an error
//!   ("value is NULL for a ZEND_INI_PARSER_ENTRY").
//! - A value is a run of pieces: bare text (trimmed), `"double quoted"`
//!   (only `\"` and `\\` are escapes, `${VAR}` expands), `'single quoted'`
//!   (raw). Pieces are concatenated without the blanks between them.
//! - A bare `=` in a value is a syntax error.
//! - The bare words yes/on/true become `1`, no/off/false/none/null become
//!   the empty string (that is how php-fpm's booleans see them).
//! - A lone CR ends a line for the scanner; a NUL ends the C string.

use crate::finding::Finding;
use crate::source::{FileId, Span};

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniFile {
    pub file: FileId,
    /// In file order. Entries before the first header go in a section with an
    /// empty name: php-fpm applies them to whatever section is current, which
    /// is `[global]` in the main file and the including section in an
    /// included file (its pool state is global, not per file).
    pub sections: Vec<Section>,
    /// `fpm-syntax` findings, one per bad line (at most
    /// [`crate::finding::Capped::MAX`], then one that counts the rest).
    pub errors: Vec<Finding>,
    /// Every `;` comment (from `;` to the end of its line), for inline
    /// suppression.
    pub comments: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Between the brackets, as written (php-fpm keeps inner blanks).
    pub name: String,
    pub name_span: Span,
    /// The whole `[name]` header (empty span for the implicit section).
    pub header_span: Span,
    pub entries: Vec<Entry>,
}

impl Section {
    /// True for the implicit section before any header.
    pub fn is_implicit(&self) -> bool {
        self.header_span.is_empty() && self.name.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key without its `[index]`, e.g. `php_admin_value`.
    pub key: String,
    pub key_span: Span,
    /// `memory_limit` in `php_admin_value[memory_limit]`, `""` for `name[]`.
    pub index: Option<String>,
    /// The value as php-fpm receives it: unquoted, escapes applied, booleans
    /// folded. `$pool` and `${ENV}` are kept as written.
    pub value: String,
    pub value_span: Span,
    /// The whole line (without its line break).
    pub span: Span,
    /// Some piece was quoted (so no boolean folding happened).
    pub quoted: bool,
    /// Contains `${...}`: the real value depends on php-fpm's environment.
    pub has_env: bool,
}

impl Entry {
    /// `key[index]` as written in the file (for messages).
    pub fn display_key(&self) -> String {
        match &self.index {
            Some(i) => format!("{}[{}]", self.key, i),
            None => self.key.clone(),
        }
    }
}

/// Parse one file. Never panics; every malformed line becomes one
/// `fpm-syntax` error and is otherwise skipped (php-fpm stops at the first,
/// we report them all).
pub fn parse(file: FileId, text: &[u8]) -> IniFile {
    let mut out = IniFile {
        file,
        sections: Vec::new(),
        errors: Vec::new(),
        comments: Vec::new(),
    };
    // Bad lines beyond the cap: counted, reported as one finding.
    let mut dropped: Option<(usize, Span)> = None;
    let mut pos = 0usize;
    while pos < text.len() {
        let end = memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        // NUL ends the C string php-fpm hands to the scanner.
        let line_end = memchr(0, &text[pos..end]).map_or(end, |i| pos + i);
        // A CR splits a line for the scanner; a trailing one is just noise.
        let mut start = pos;
        while start <= line_end {
            let piece_end = memchr(b'\r', &text[start..line_end]).map_or(line_end, |i| start + i);
            parse_line(&mut out, text, start, piece_end);
            if out.errors.len() > crate::finding::Capped::MAX
                && let Some(e) = out.errors.pop()
            {
                let d = dropped.get_or_insert((0, e.span));
                d.0 += 1;
            }
            start = piece_end + 1;
        }
        pos = end + 1;
    }
    if let Some((n, span)) = dropped {
        syntax(
            &mut out,
            span,
            &format!(
                "{n} more lines php-fpm rejects in this file {} {} are)",
                crate::finding::NOT_REPORTED,
                crate::finding::Capped::MAX
            ),
            "fix the ones above first; is this file really php-fpm configuration?",
        );
    }
    out
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct LineCtx<'a> {
    text: &'a [u8],
    file: FileId,
}

impl LineCtx<'_> {
    fn span(&self, s: usize, e: usize) -> Span {
        Span::new(self.file, s, e)
    }
}

fn syntax(out: &mut IniFile, span: Span, msg: &str, help: &str) {
    out.errors
        .push(Finding::error(crate::registry::ids::FPM_SYNTAX, span, msg).with_help(help));
}

fn current_section(out: &mut IniFile) -> &mut Section {
    if out.sections.is_empty() {
        out.sections.push(Section {
            name: String::new(),
            name_span: Span::new(out.file, 0, 0),
            header_span: Span::new(out.file, 0, 0),
            entries: Vec::new(),
        });
    }
    let last = out.sections.len() - 1;
    &mut out.sections[last]
}

fn parse_line(out: &mut IniFile, text: &[u8], start: usize, end: usize) {
    let cx = LineCtx {
        text,
        file: out.file,
    };
    let line = &text[start..end];
    let line_span = cx.span(start, end);
    // Trim trailing blanks for spans.
    let mut tail = end;
    while tail > start && is_blank(text[tail - 1]) {
        tail -= 1;
    }
    if line.first() == Some(&b'[') {
        parse_header(out, &cx, start, tail);
        return;
    }
    let mut p = start;
    while p < tail && is_blank(text[p]) {
        p += 1;
    }
    if p < tail && text[p] == b';' {
        out.comments.push(cx.span(p, tail));
    }
    if p == tail || text[p] == b';' {
        return;
    }
    let stmt_span = cx.span(p, tail);
    if text[p] == b'#' {
        syntax(
            out,
            stmt_span,
            "`#` does not start a comment in php-fpm configuration (since PHP 7.0); php-fpm refuses this line",
            "use `;` for comments",
        );
        return;
    }
    if text[p] == b'[' {
        syntax(
            out,
            stmt_span,
            "a section header must start at the beginning of the line; php-fpm reports a syntax error",
            "remove the blanks before `[`",
        );
        return;
    }
    // Key: up to `=`, `[` or a comment.
    let key_start = p;
    while p < tail && !matches!(text[p], b'=' | b'[' | b';') {
        p += 1;
    }
    let mut key_end = p;
    while key_end > key_start && is_blank(text[key_end - 1]) {
        key_end -= 1;
    }
    let key = lossy(&text[key_start..key_end]);
    let key_span = cx.span(key_start, key_end);
    let mut index = None;
    if p < tail && text[p] == b'[' {
        let open = p;
        let Some(close) = memchr(b']', &text[open..tail]).map(|i| open + i) else {
            syntax(
                out,
                stmt_span,
                "unterminated `[` in the key; php-fpm reports a syntax error",
                "close the index with `]`, e.g. `php_admin_value[memory_limit] = 256M`",
            );
            return;
        };
        index = Some(unquote_index(&text[open + 1..close]));
        p = close + 1;
        while p < tail && is_blank(text[p]) {
            p += 1;
        }
    }
    if p >= tail || text[p] != b'=' {
        let what = if key.is_empty() {
            "this line"
        } else {
            "the key"
        };
        syntax(
            out,
            stmt_span,
            &format!(
                "`{}` has no `=`: php-fpm fails with \"value is NULL for a ZEND_INI_PARSER_ENTRY\"",
                String::from_utf8_lossy(&text[key_start..tail])
            ),
            &format!("write {what} as `name = value`, or comment it out with `;`"),
        );
        return;
    }
    if key_start == key_end {
        syntax(
            out,
            stmt_span,
            "`=` without a key before it; php-fpm reports a syntax error",
            "write the entry as `name = value`",
        );
        return;
    }
    p += 1;
    match parse_value(&cx, p, tail) {
        Ok(v) => {
            if let Some(c) = v.comment {
                out.comments.push(c);
            }
            let entry = Entry {
                key,
                key_span,
                index,
                value: v.value,
                value_span: v.span,
                span: line_span.to(stmt_span),
                quoted: v.quoted,
                has_env: v.has_env,
            };
            current_section(out).entries.push(entry);
        }
        Err((span, msg, help)) => syntax(out, span, &msg, help),
    }
}

fn parse_header(out: &mut IniFile, cx: &LineCtx, start: usize, tail: usize) {
    let text = cx.text;
    let Some(close) = memchr(b']', &text[start..tail]).map(|i| start + i) else {
        syntax(
            out,
            cx.span(start, tail),
            "unterminated section header; php-fpm reports a syntax error (\"expecting ']'\")",
            "close the header with `]`, e.g. `[www]`",
        );
        return;
    };
    let mut p = close + 1;
    while p < tail && is_blank(text[p]) {
        p += 1;
    }
    if p < tail && text[p] == b';' {
        out.comments.push(cx.span(p, tail));
    }
    if p < tail && text[p] != b';' {
        syntax(
            out,
            cx.span(start, tail),
            "text after a section header: php-fpm fails with \"value is NULL for a ZEND_INI_PARSER_ENTRY\"",
            "put only `[name]` on the line; move the rest to its own line or comment it out with `;`",
        );
        return;
    }
    let raw = &text[start + 1..close];
    let name = unquote_index(raw);
    out.sections.push(Section {
        name,
        name_span: cx.span(start + 1, close),
        header_span: cx.span(start, close + 1),
        entries: Vec::new(),
    });
}

/// An index or section name: surrounding quotes dropped, otherwise raw.
fn unquote_index(raw: &[u8]) -> String {
    let s = lossy(raw);
    let t = s.trim_matches(|c| c == ' ' || c == '\t');
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_string();
        }
    }
    // Section names keep their blanks (`[ x ]` is pool " x "); indexes are
    // trimmed by the scanner. Callers that care use the raw span.
    if raw.first().is_some_and(|b| is_blank(*b)) || raw.last().is_some_and(|b| is_blank(*b)) {
        return s;
    }
    t.to_string()
}

struct Value {
    value: String,
    span: Span,
    quoted: bool,
    has_env: bool,
    /// A `;` comment after the value.
    comment: Option<Span>,
}

type ValueErr = (Span, String, &'static str);

fn parse_value(cx: &LineCtx, mut p: usize, tail: usize) -> Result<Value, ValueErr> {
    let text = cx.text;
    let mut value: Vec<u8> = Vec::new();
    let mut quoted = false;
    let mut has_env = false;
    let mut first: Option<usize> = None;
    let mut last = p;
    let mut bare_pieces = 0usize;
    let mut pieces = 0usize;
    loop {
        while p < tail && is_blank(text[p]) {
            p += 1;
        }
        if p >= tail || text[p] == b';' {
            break;
        }
        first.get_or_insert(p);
        pieces += 1;
        match text[p] {
            b'"' => {
                quoted = true;
                let open = p;
                p += 1;
                let mut closed = false;
                while p < tail {
                    match text[p] {
                        b'\\' if p + 1 < tail && matches!(text[p + 1], b'"' | b'\\') => {
                            value.push(text[p + 1]);
                            p += 2;
                        }
                        b'"' => {
                            closed = true;
                            p += 1;
                            break;
                        }
                        b'$' if text.get(p + 1) == Some(&b'{') => {
                            has_env = true;
                            value.push(b'$');
                            p += 1;
                        }
                        b => {
                            value.push(b);
                            p += 1;
                        }
                    }
                }
                if !closed {
                    return Err((
                        cx.span(open, tail),
                        "unterminated double quote: php-fpm reports a syntax error and refuses the file".into(),
                        "close the quoted value with `\"` on the same line (php-fpm reads one line at a time)",
                    ));
                }
            }
            b'\'' => {
                quoted = true;
                let open = p;
                let Some(close) = memchr(b'\'', &text[p + 1..tail]).map(|i| p + 1 + i) else {
                    return Err((
                        cx.span(open, tail),
                        "unterminated single quote: php-fpm reports a syntax error and refuses the file".into(),
                        "close the quoted value with `'` on the same line",
                    ));
                };
                value.extend_from_slice(&text[open + 1..close]);
                p = close + 1;
            }
            b'=' => {
                return Err((
                    cx.span(p, p + 1),
                    "unexpected `=` in a value: php-fpm reports a syntax error".into(),
                    "quote the value, e.g. `key = \"a=b\"`",
                ));
            }
            _ => {
                bare_pieces += 1;
                let s = p;
                while p < tail && !matches!(text[p], b'"' | b'\'' | b';' | b'=') {
                    p += 1;
                }
                let mut e = p;
                while e > s && is_blank(text[e - 1]) {
                    e -= 1;
                }
                let piece = &text[s..e];
                if piece.windows(2).any(|w| w == b"${") {
                    has_env = true;
                }
                value.extend_from_slice(piece);
                last = e;
                continue;
            }
        }
        last = p;
    }
    let comment = (p < tail && text[p] == b';').then(|| cx.span(p, tail));
    let start = first.unwrap_or(p.min(tail));
    let span = cx.span(start, last.max(start));
    let mut value = lossy(&value);
    if pieces == 1
        && bare_pieces == 1
        && let Some(folded) = fold_bool(&value)
    {
        value = folded.to_string();
    }
    Ok(Value {
        value,
        span,
        quoted,
        has_env,
        comment,
    })
}

/// The scanner's boolean and null keywords (case-insensitive).
fn fold_bool(v: &str) -> Option<&'static str> {
    const TRUE: [&str; 3] = ["yes", "on", "true"];
    const FALSE: [&str; 5] = ["no", "off", "false", "none", "null"];
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Some("1")
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        Some("")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> IniFile {
        parse(FileId(0), s.as_bytes())
    }

    fn kv(f: &IniFile) -> Vec<(String, String, String)> {
        f.sections
            .iter()
            .flat_map(|s| {
                s.entries
                    .iter()
                    .map(|e| (s.name.clone(), e.display_key(), e.value.clone()))
            })
            .collect()
    }

    #[test]
    fn sections_and_entries() {
        let f =
            p("; c\npid = /run/x.pid\n[www]\nuser = www-data ; trailing\n  listen=/run/a.sock\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.sections.len(), 2);
        assert!(f.sections[0].is_implicit());
        assert_eq!(f.sections[1].name, "www");
        assert_eq!(
            kv(&f),
            vec![
                ("".into(), "pid".into(), "/run/x.pid".into()),
                ("www".into(), "user".into(), "www-data".into()),
                ("www".into(), "listen".into(), "/run/a.sock".into()),
            ]
        );
        let e = &f.sections[1].entries[0];
        let src = "; c\npid = /run/x.pid\n[www]\nuser = www-data ; trailing\n";
        assert_eq!(
            &src[e.value_span.start as usize..e.value_span.end as usize],
            "www-data"
        );
        assert_eq!(
            &src[e.key_span.start as usize..e.key_span.end as usize],
            "user"
        );
    }

    #[test]
    fn quoting_like_php() {
        let f = p(
            "[a]\nx = \"a b\" ; c\ny = a\"b\"c\nz = \"2\" \"3\"\nw = 'raw ${X}'\nv = \"q\\\"q\\\\\"\nu = \"a\\tb\"\nt = abc # x\n",
        );
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let vals: Vec<String> = kv(&f).into_iter().map(|t| t.2).collect();
        assert_eq!(
            vals,
            ["a b", "abc", "23", "raw ${X}", "q\"q\\", "a\\tb", "abc # x"]
        );
    }

    #[test]
    fn booleans_fold() {
        let f = p("[a]\na = Yes\nb = off\nc = \"yes\"\nd = none\ne = NULL\n");
        let vals: Vec<String> = kv(&f).into_iter().map(|t| t.2).collect();
        assert_eq!(vals, ["1", "", "yes", "", ""]);
    }

    #[test]
    fn arrays() {
        let f = p("[a]\nphp_admin_value[memory_limit] = 128M\nenv[\"PATH\"] = /bin\nenv[] = x\n");
        let e = &f.sections[0].entries;
        assert_eq!(e[0].key, "php_admin_value");
        assert_eq!(e[0].index.as_deref(), Some("memory_limit"));
        assert_eq!(e[1].index.as_deref(), Some("PATH"));
        assert_eq!(e[2].index.as_deref(), Some(""));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "#comment",
            "# a = b",
            "user",
            "user = \"abc",
            "user = 'abc",
            "user = abc\"",
            "user = a=b",
            "[www",
            " [www]",
            "[www] x",
            "env[X = 1",
            "= x",
            "user = a\rb",
        ] {
            let f = p(bad);
            assert_eq!(f.errors.len(), 1, "{bad:?}: {:?}", f.errors);
            assert_eq!(f.errors[0].rule, "fpm-syntax");
        }
    }

    #[test]
    fn env_and_empty() {
        let f = p("[a]\nuser = ${USER}\nx =\ny = \"\"\n");
        let e = &f.sections[0].entries;
        assert!(e[0].has_env);
        assert_eq!(e[1].value, "");
        assert_eq!(e[2].value, "");
        assert!(e[2].quoted);
    }

    #[test]
    fn never_panics_on_junk() {
        let mut junk: Vec<u8> = Vec::new();
        for i in 0..4096u32 {
            junk.push((i.wrapping_mul(2654435761) >> 13) as u8);
        }
        for n in 0..junk.len() {
            let _ = parse(FileId(0), &junk[..n.min(300)]);
            let _ = parse(FileId(0), &junk[n.saturating_sub(64)..n]);
        }
        for s in [
            "[", "]", "=", "\"", "'", "[\r]", "a[", "a[]", "a[]=", "\0", "\r\n", "a=\"\\",
        ] {
            let _ = p(s);
        }
    }

    /// 500,000 bad lines made 500,000 findings (566 MB for a 1 MB file).
    #[test]
    fn syntax_errors_are_capped_per_file() {
        let f = p(&"x\n".repeat(3000));
        assert_eq!(f.errors.len(), crate::finding::Capped::MAX + 1);
        assert!(
            f.errors[crate::finding::Capped::MAX]
                .message
                .starts_with("2000 more lines")
        );
    }

    #[test]
    fn crlf_and_nul() {
        let f = p("[a]\r\nx = 1\r\ny = 2\0junk\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.sections[0].entries.len(), 2);
        assert_eq!(f.sections[0].entries[1].value, "2");
    }
}
