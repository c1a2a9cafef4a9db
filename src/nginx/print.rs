//! Write a parsed file back as nginx configuration, so that nginx's lexer
//! (and ours, [`crate::nginx::lexer`]) reads back the same words.
//!
//! Comments and the original layout are not kept: one directive per line,
//! blocks indented by four spaces. Words are written bare when the lexer
//! would read the bare text as exactly that value, otherwise in quotes
//! (double, or single when that needs fewer escapes) with the quote and `\`
//! escaped (the only escapes whose translation we need; tabs, CRs and
//! newlines stay raw inside the quotes). The bodies of
//! `*_by_lua_block` directives are copied from the source text, since the
//! parser keeps them unparsed.
//!
//! Include directives are printed as written (the tree of one file, not the
//! include-expanded tree).

use crate::nginx::ast::{Directive, ParsedFile};
use crate::nginx::lexer::Word;

/// The file as nginx configuration. `src` is the text it was parsed from
/// (for Lua block bodies).
pub fn print_file(pf: &ParsedFile, src: &[u8]) -> String {
    print_directives(&pf.directives, src)
}

/// Directives as nginx configuration, at the top level.
pub fn print_directives(list: &[Directive], src: &[u8]) -> String {
    let mut out = String::new();
    print_list(&mut out, list, src, 0);
    out
}

fn print_list(out: &mut String, list: &[Directive], src: &[u8], depth: usize) {
    for d in list {
        indent(out, depth);
        push_word(out, &d.name.value);
        for a in &d.args {
            out.push(' ');
            push_word(out, &a.value);
        }
        match &d.block {
            None => out.push_str(";\n"),
            Some(b) if b.lua => {
                // The Lua body, verbatim, between the braces.
                out.push_str(" {");
                let open = b.open as usize + 1;
                let body = b
                    .close
                    .map(|c| c as usize)
                    .filter(|&c| open <= c && c <= src.len())
                    .map(|c| &src[open..c])
                    .unwrap_or_default();
                out.push_str(&String::from_utf8_lossy(body));
                out.push_str("}\n");
            }
            Some(b) => {
                out.push_str(" {\n");
                print_list(out, &b.children, src, depth + 1);
                indent(out, depth);
                out.push_str("}\n");
            }
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("    ");
    }
}

/// A word as the lexer will read it back: bare when possible, else in the
/// quotes that need fewer escapes (double quotes on a tie).
///
/// Limitation: nginx reads words of at most 4095 bytes, and quoting adds
/// bytes, so a word within a few bytes of that limit may not fit once
/// printed; the round-trip tests skip such words.
pub fn push_word(out: &mut String, value: &str) {
    if is_bare(value) {
        out.push_str(value);
        return;
    }
    let doubles = value.bytes().filter(|&b| b == b'"').count();
    let singles = value.bytes().filter(|&b| b == b'\'').count();
    let q = if singles < doubles { '\'' } else { '"' };
    out.push(q);
    for c in value.chars() {
        if c == q || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(q);
}

/// A word's text as [`push_word`] writes it.
pub fn quote_word(word: &Word) -> String {
    let mut s = String::new();
    push_word(&mut s, &word.value);
    s
}

/// Would the lexer read `value`, written bare, as one word with exactly
/// this value? Mirrors `Lexer::unquoted`: a word cannot start with a quote,
/// `#` (comment), `;`, `{` or `}` (terminators); it ends at whitespace, `;`
/// or a `{` that does not follow `$` (`${` keeps the word going, and the
/// flag stays set across further `{`); a backslash would be an escape.
fn is_bare(value: &str) -> bool {
    let b = value.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if matches!(first, b'"' | b'\'' | b'#' | b';' | b'{' | b'}') {
        return false;
    }
    let mut variable = false;
    for &c in b {
        match c {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'\\' => return false,
            b'{' if !variable => return false,
            b'{' => {}
            b'$' => variable = true,
            _ => variable = false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::parser::parse;
    use crate::source::FileId;

    fn round(src: &str) -> String {
        let pf = parse(FileId(0), src.as_bytes());
        assert!(pf.errors.is_empty(), "{:?}", pf.errors);
        print_file(&pf, src.as_bytes())
    }

    #[test]
    fn prints_blocks_and_quotes() {
        let out = round("http{server{listen 80;add_header X \"a b\";set $a ${b}c;}}");
        assert_eq!(
            out,
            "http {\n    server {\n        listen 80;\n        add_header X \"a b\";\n        set $a ${b}c;\n    }\n}\n"
        );
    }

    #[test]
    fn words_that_need_quotes() {
        let mut s = String::new();
        for v in ["", "#x", "}", "a;b", "a{b", "a\\b", "'", "a b", "x\"y"] {
            push_word(&mut s, v);
            s.push(' ');
        }
        // A quote inside a word is literal: `x"y` stays bare.
        assert_eq!(s, r##""" "#x" "}" "a;b" "a{b" "a\\b" "'" "a b" x"y "##);
        let mut s = String::new();
        push_word(&mut s, "a\"b c");
        assert_eq!(s, "'a\"b c'");
        for v in ["a}b", "a#b", "${x}", "$${{", "a\"b", "(", ")"] {
            assert!(is_bare(v), "{v}");
        }
    }

    #[test]
    fn lua_body_is_copied() {
        let src = "location / { content_by_lua_block { ngx.say(\"}\") } }";
        let out = round(src);
        assert!(
            out.contains("content_by_lua_block { ngx.say(\"}\") }"),
            "{out}"
        );
        let again = parse(FileId(0), out.as_bytes());
        assert!(again.errors.is_empty());
    }
}
