//! nginx's tokenizer, rule for rule as in `ngx_conf_read_token`
//! (src/core/ngx_conf_file.c): one call reads one statement, i.e. the words
//! up to the `;`, `{` or `}` that ends it.
//!
//! Facts mirrored from that function:
//! - whitespace is space, tab, CR and LF; nothing else;
//! - `#` starts a comment only where a new word would start (`a#b` is a word);
//! - a quote opens a word only at its start, and after the closing quote only
//!   whitespace, `;`, `{` or `)` may follow;
//! - a backslash escapes the next byte; `\" \' \\ \t \r \n` are translated
//!   in the word's value, other escapes keep the backslash;
//! - `${` keeps a word going (`${var}` is one word), `}` inside a word is
//!   part of it;
//! - a word (or comment) that reaches 4096 bytes is "too long"; see
//!   [`too_long`] for the exact, buffer-driven condition.
//!
//! The scanning of plain runs uses nom's `take_till` so the per-byte state
//! machine only runs on the bytes that matter.

use compact_str::CompactString;
use nom::bytes::complete::take_till;

use crate::source::{FileId, Span};

/// nginx reads configs through a 4096-byte buffer; a word that fills it is
/// an error ("too long parameter").
pub const NGX_CONF_BUFFER: usize = 4096;

/// nginx's "too long parameter" condition. nginx keeps a `start` pointer to
/// the word being read; it only moves when a byte is read *between* words.
/// When the buffer runs out and `start` still points 4096 bytes back, nginx
/// fails, but only if the file has more bytes (otherwise it reports the end
/// of file). So the bytes that count are not just the word's: they run from
/// `start` to `resume`, the first byte that moves `start` again (or ends the
/// statement). That includes the blank that ends an unquoted word, and the
/// closing quote and a blank after it: a 4095-byte word followed by a space
/// is too long, followed by `;` it is not. (A comment's newline is read as a
/// blank between words, so a comment may have 4095 bytes.)
/// Checked against nginx 1.22.1 byte for byte; see the unit test.
fn too_long(start: usize, resume: usize, len: usize) -> bool {
    start + NGX_CONF_BUFFER <= resume && start + NGX_CONF_BUFFER < len
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quote {
    None,
    Single,
    Double,
}

/// One word of a statement: its unescaped value and the span of its source
/// text (including quotes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: CompactString,
    pub span: Span,
    pub quote: Quote,
}

impl Word {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// What ended a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    /// `;` at this byte offset.
    Semicolon(u32),
    /// `{` at this byte offset.
    BlockStart(u32),
    /// `}` at this byte offset (the statement has no words).
    BlockEnd(u32),
    /// End of the file (the statement has no words).
    Eof,
}

/// A tokenizer error, at the byte where nginx notices it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub offset: u32,
    /// The byte where the offending word started, when it matters (too long).
    pub word_start: Option<u32>,
    pub kind: LexErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexErrorKind {
    /// `unexpected "X"`: a character where nginx wants whitespace, or a `;`/`{`
    /// with no directive name before it, or a `}` after words.
    Unexpected(u8),
    /// End of file in the middle of a statement.
    UnexpectedEof,
    /// `too long parameter`; `Some(q)` when an unterminated quote `q` is the
    /// likely cause.
    TooLong(Option<u8>),
}

impl LexErrorKind {
    /// nginx's own wording, so users can match it against `nginx -t`.
    pub fn message(&self) -> String {
        match self {
            LexErrorKind::Unexpected(c) => format!("unexpected \"{}\"", printable(*c)),
            LexErrorKind::UnexpectedEof => {
                "unexpected end of file, expecting \";\" or \"}\"".into()
            }
            LexErrorKind::TooLong(Some(q)) => format!(
                "too long parameter, probably missing terminating \"{}\" character",
                *q as char
            ),
            LexErrorKind::TooLong(None) => "too long parameter (4096 bytes or more)".into(),
        }
    }
}

fn printable(c: u8) -> String {
    if c.is_ascii_graphic() || c == b' ' {
        (c as char).to_string()
    } else {
        format!("\\x{c:02x}")
    }
}

/// A statement: the words and what ended it.
#[derive(Debug, Default)]
pub struct Statement {
    pub words: Vec<Word>,
    pub comments: Vec<Span>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Byte that ends a plain run inside an unquoted word (anything that needs
/// the state machine's attention).
fn is_word_special(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'\\' | b'$')
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    file: FileId,
}

impl<'a> Lexer<'a> {
    pub fn new(file: FileId, src: &'a [u8]) -> Lexer<'a> {
        Lexer { src, pos: 0, file }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    pub fn src(&self) -> &'a [u8] {
        self.src
    }

    /// Read one statement into `out` (cleared first). Returns its terminator.
    pub fn next_statement(&mut self, out: &mut Statement) -> Result<Terminator, LexError> {
        out.words.clear();
        let src = self.src;
        loop {
            // Between words: skip whitespace quickly.
            let rest = &src[self.pos..];
            let skip = rest
                .iter()
                .position(|&c| !is_space(c))
                .unwrap_or(rest.len());
            self.pos += skip;
            let Some(&ch) = src.get(self.pos) else {
                if out.words.is_empty() {
                    return Ok(Terminator::Eof);
                }
                return Err(self.err(src.len(), LexErrorKind::UnexpectedEof));
            };
            let start = self.pos;
            match ch {
                b';' | b'{' => {
                    if out.words.is_empty() {
                        return Err(self.err(start, LexErrorKind::Unexpected(ch)));
                    }
                    self.pos += 1;
                    return Ok(if ch == b';' {
                        Terminator::Semicolon(start as u32)
                    } else {
                        Terminator::BlockStart(start as u32)
                    });
                }
                b'}' => {
                    if !out.words.is_empty() {
                        return Err(self.err(start, LexErrorKind::Unexpected(b'}')));
                    }
                    self.pos += 1;
                    return Ok(Terminator::BlockEnd(start as u32));
                }
                b'#' => {
                    let end = memchr_nl(&src[start..]).map_or(src.len(), |i| start + i);
                    // The newline ends the comment and is itself read as a
                    // blank between words, which moves nginx's `start`.
                    if too_long(start, end, src.len()) {
                        return Err(LexError {
                            offset: (start + NGX_CONF_BUFFER) as u32,
                            word_start: Some(start as u32),
                            kind: LexErrorKind::TooLong(None),
                        });
                    }
                    out.comments.push(Span::new(self.file, start, end));
                    self.pos = end;
                }
                b'"' | b'\'' => {
                    let word = self.quoted(start, ch)?;
                    out.words.push(word);
                    // need_space: whitespace, `)`, or a terminator must follow.
                    match src.get(self.pos) {
                        None => return Err(self.err(src.len(), LexErrorKind::UnexpectedEof)),
                        Some(&c) if is_space(c) => {}
                        Some(b')') => {
                            // nginx accepts `)` and starts a new word right after it.
                        }
                        Some(b';') => {
                            self.pos += 1;
                            return Ok(Terminator::Semicolon(self.pos as u32 - 1));
                        }
                        Some(b'{') => {
                            self.pos += 1;
                            return Ok(Terminator::BlockStart(self.pos as u32 - 1));
                        }
                        Some(&c) => return Err(self.err(self.pos, LexErrorKind::Unexpected(c))),
                    }
                }
                _ => {
                    let (word, term) = self.unquoted(start)?;
                    out.words.push(word);
                    match term {
                        Some(b';') => return Ok(Terminator::Semicolon(self.pos as u32 - 1)),
                        Some(b'{') => return Ok(Terminator::BlockStart(self.pos as u32 - 1)),
                        _ => {}
                    }
                }
            }
        }
    }

    /// "too long parameter" for the word starting at `start` (its opening
    /// quote, if any), noticed at `at`; `quote` when nginx is still inside
    /// that quote.
    fn too_long_err(&self, start: usize, at: usize, quote: Option<u8>) -> LexError {
        LexError {
            offset: at as u32,
            word_start: Some(start as u32),
            kind: LexErrorKind::TooLong(quote),
        }
    }

    fn err(&self, offset: usize, kind: LexErrorKind) -> LexError {
        LexError {
            offset: offset as u32,
            word_start: None,
            kind,
        }
    }

    /// An unquoted word starting at `start`. Returns the word and the
    /// terminating byte when it was `;` or `{` (consumed).
    fn unquoted(&mut self, start: usize) -> Result<(Word, Option<u8>), LexError> {
        let src = self.src;
        let mut i = start;
        let mut escaped = false;
        // `$` at the word's start counts as variable too.
        let mut variable = false;
        let end;
        let term;
        loop {
            if too_long(start, i, src.len()) {
                return Err(self.too_long_err(start, i, None));
            }
            let Some(&c) = src.get(i) else {
                return Err(self.err(src.len(), LexErrorKind::UnexpectedEof));
            };
            if i == start {
                // First byte: a backslash escapes the next, `$` starts a variable.
                i += 1;
                match c {
                    b'\\' => {
                        escaped = true;
                        if i < src.len() {
                            i += 1;
                        }
                    }
                    b'$' => variable = true,
                    _ => {}
                }
                continue;
            }
            if c == b'{' && variable {
                // `${` keeps the word going (nginx leaves the flag set, so
                // `${{` does too).
                i += 1;
                continue;
            }
            variable = false;
            match c {
                b'\\' => {
                    escaped = true;
                    i += 2;
                    if i > src.len() {
                        return Err(self.err(src.len(), LexErrorKind::UnexpectedEof));
                    }
                }
                b'$' => {
                    variable = true;
                    i += 1;
                }
                b' ' | b'\t' | b'\r' | b'\n' => {
                    end = i;
                    term = None;
                    i += 1;
                    break;
                }
                b';' | b'{' => {
                    end = i;
                    term = Some(c);
                    i += 1;
                    break;
                }
                _ => {
                    // Fast path over ordinary bytes.
                    let run: nom::IResult<&[u8], &[u8]> = take_till(is_word_special)(&src[i..]);
                    match run {
                        Ok((_, taken)) if !taken.is_empty() => i += taken.len(),
                        _ => i += 1,
                    }
                }
            }
        }
        // A blank that ends the word does not move nginx's `start` either
        // (`i` is past it; `;` and `{` end the statement instead).
        if term.is_none() && too_long(start, i, src.len()) {
            return Err(self.too_long_err(start, i, None));
        }
        self.pos = i;
        let raw = &src[start..end];
        let value = if escaped { unescape(raw) } else { lossy(raw) };
        Ok((
            Word {
                value,
                span: Span::new(self.file, start, end),
                quote: Quote::None,
            },
            term,
        ))
    }

    /// A quoted word whose opening quote `q` is at `start`.
    fn quoted(&mut self, start: usize, q: u8) -> Result<Word, LexError> {
        let src = self.src;
        let body = start + 1;
        let mut i = body;
        let mut escaped = false;
        loop {
            if too_long(body, i, src.len()) {
                return Err(self.too_long_err(start, i, Some(q)));
            }
            let Some(&c) = src.get(i) else {
                return Err(self.err(src.len(), LexErrorKind::UnexpectedEof));
            };
            if c == b'\\' {
                escaped = true;
                i += 2;
                if i > src.len() {
                    return Err(self.err(src.len(), LexErrorKind::UnexpectedEof));
                }
                continue;
            }
            if c == q {
                break;
            }
            // Skip to the next byte that matters.
            let limit = (body + NGX_CONF_BUFFER).min(src.len());
            let run = src[i..limit].iter().position(|&b| b == q || b == b'\\');
            i = match run {
                Some(0) => i + 1,
                Some(n) => i + n,
                None => limit,
            };
        }
        // nginx's `start` is the first byte inside the quotes and stays
        // there through the closing quote and, when a blank follows, the
        // blank too (`;` or `{` there ends the statement, `)` moves it).
        let resume = match src.get(i + 1) {
            Some(&c) if is_space(c) => i + 2,
            _ => i + 1,
        };
        if too_long(body, resume, src.len()) {
            return Err(self.too_long_err(start, resume, None));
        }
        let raw = &src[body..i];
        self.pos = i + 1;
        let value = if escaped { unescape(raw) } else { lossy(raw) };
        Ok(Word {
            value,
            span: Span::new(self.file, start, i + 1),
            quote: if q == b'"' {
                Quote::Double
            } else {
                Quote::Single
            },
        })
    }
}

fn memchr_nl(s: &[u8]) -> Option<usize> {
    s.iter().position(|&c| c == b'\n')
}

fn lossy(raw: &[u8]) -> CompactString {
    match std::str::from_utf8(raw) {
        Ok(s) => CompactString::new(s),
        Err(_) => CompactString::new(String::from_utf8_lossy(raw)),
    }
}

/// nginx's escape translation: `\" \' \\` drop the backslash, `\t \r \n`
/// become the control character, any other `\x` stays as written.
pub fn unescape(raw: &[u8]) -> CompactString {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            match raw.get(i + 1) {
                Some(b'"') | Some(b'\'') | Some(b'\\') => {
                    out.push(raw[i + 1]);
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'r') => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                Some(b'n') => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    lossy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<(Vec<String>, Terminator)> {
        let mut lx = Lexer::new(FileId(0), src.as_bytes());
        let mut st = Statement::default();
        let mut out = Vec::new();
        loop {
            let t = lx.next_statement(&mut st).expect("lexes");
            out.push((st.words.iter().map(|w| w.value.to_string()).collect(), t));
            if t == Terminator::Eof {
                break;
            }
        }
        out
    }

    fn error(src: &str) -> LexError {
        let mut lx = Lexer::new(FileId(0), src.as_bytes());
        let mut st = Statement::default();
        loop {
            match lx.next_statement(&mut st) {
                Err(e) => return e,
                Ok(Terminator::Eof) => panic!("no error in {src:?}"),
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn simple_statement() {
        let w = words("worker_processes auto;\n");
        assert_eq!(w[0].0, vec!["worker_processes", "auto"]);
        assert_eq!(w[0].1, Terminator::Semicolon(21));
        assert_eq!(w[1].1, Terminator::Eof);
    }

    #[test]
    fn hash_inside_word_is_not_a_comment() {
        let w = words("a b#c; # comment\n");
        assert_eq!(w[0].0, vec!["a", "b#c"]);
    }

    #[test]
    fn brace_inside_word_and_dollar_brace() {
        let w = words("set $a ${b}c}d;");
        assert_eq!(w[0].0, vec!["set", "$a", "${b}c}d"]);
    }

    #[test]
    fn quotes_and_escapes() {
        let w = words(r#"add_header X "a\"b\n" 'c\'d' e\\f g\x;"#);
        assert_eq!(
            w[0].0,
            vec!["add_header", "X", "a\"b\n", "c'd", "e\\f", "g\\x"]
        );
    }

    #[test]
    fn quote_mid_word_is_literal() {
        let w = words(r#"a b"c";"#);
        assert_eq!(w[0].0, vec!["a", "b\"c\""]);
    }

    #[test]
    fn closing_quote_then_paren() {
        let w = words(r#"if ($a = "b") { }"#);
        assert_eq!(w[0].0, vec!["if", "($a", "=", "b", ")"]);
    }

    #[test]
    fn closing_quote_needs_space() {
        let e = error(r#"a "b"c;"#);
        assert_eq!(e.kind, LexErrorKind::Unexpected(b'c'));
        assert_eq!(e.offset, 5);
    }

    #[test]
    fn crlf() {
        let w = words("a b;\r\nc d;\r\n");
        assert_eq!(w[1].0, vec!["c", "d"]);
    }

    #[test]
    fn errors() {
        assert_eq!(error(";").kind, LexErrorKind::Unexpected(b';'));
        assert_eq!(error("a }").kind, LexErrorKind::Unexpected(b'}'));
        assert_eq!(error("a b").kind, LexErrorKind::UnexpectedEof);
        assert_eq!(error("a \"b;").kind, LexErrorKind::UnexpectedEof);
        let long = format!("a {};", "x".repeat(4096));
        assert_eq!(error(&long).kind, LexErrorKind::TooLong(None));
        let ok = format!("a {};", "x".repeat(4095));
        assert_eq!(words(&ok)[0].0[1].len(), 4095);
    }

    /// Found by the differential test against nginx 1.22: the byte that
    /// ends a word counts towards nginx's 4096-byte buffer unless it is `;`
    /// or `{`, and the limit only applies when the file goes on.
    #[test]
    fn too_long_counts_the_byte_that_ends_the_word() {
        let x = |n: usize| "x".repeat(n);
        // Unquoted: 4095 bytes then `;` fits, then a blank does not.
        assert!(words(&format!("a {};\nb;", x(4095))).len() == 3);
        let e = error(&format!("a {} c;", x(4095)));
        assert_eq!(e.kind, LexErrorKind::TooLong(None));
        assert_eq!(e.word_start, Some(2));
        // ... unless the file ends right after the blank.
        assert_eq!(
            error(&format!("a {}\n", x(4095))).kind,
            LexErrorKind::UnexpectedEof
        );
        // A 4096-byte word that ends the file is an unexpected end of file.
        assert_eq!(
            error(&format!("a {}", x(4096))).kind,
            LexErrorKind::UnexpectedEof
        );
        // Quoted: the closing quote and a blank after it count too.
        assert!(words(&format!("a \"{}\";", x(4094))).len() == 2);
        assert!(words(&format!("a \"{}\" b;", x(4093))).len() == 2);
        let e = error(&format!("a \"{}\" b;", x(4094)));
        assert_eq!(e.kind, LexErrorKind::TooLong(None));
        assert_eq!(e.word_start, Some(2));
        assert_eq!(
            error(&format!("a \"{}\";", x(4095))).kind,
            LexErrorKind::TooLong(None)
        );
        assert_eq!(
            error(&format!("a \"{} b;", x(4096))).kind,
            LexErrorKind::TooLong(Some(b'"'))
        );
        // `)` after the closing quote starts a new word: it does not count.
        assert_eq!(
            error(&format!("a \"{}\")", x(4094))).kind,
            LexErrorKind::UnexpectedEof
        );
        assert_eq!(
            error(&format!("a \"{}\")", x(4095))).kind,
            LexErrorKind::TooLong(None)
        );
        // Comments: up to 4095 bytes with the `#`; the newline does not count,
        // and a comment that ends the file is never too long.
        assert!(words(&format!("#{}\na;", x(4094))).len() == 2);
        assert_eq!(
            error(&format!("#{}\na;", x(4095))).kind,
            LexErrorKind::TooLong(None)
        );
        assert!(words(&format!("a;\n#{}", x(4095))).len() == 2);
    }

    #[test]
    fn non_utf8_is_accepted() {
        let src = b"a \xff\xfe;";
        let mut lx = Lexer::new(FileId(0), src);
        let mut st = Statement::default();
        assert!(lx.next_statement(&mut st).is_ok());
        assert_eq!(st.words.len(), 2);
    }
}
