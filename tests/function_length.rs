//! No function under `src/` runs over 100 lines (physical lines from the
//! `fn` line to its closing brace, test code included), except the parsers'
//! `match`-over-grammar state machines listed in [`ALLOWED`] and the
//! generated tables in [`GENERATED`]. A long function is split into named
//! helpers that each do one job; a rule's diagnostic is built beside the
//! check, so the check reads as the logic.

use std::path::Path;

const LIMIT: usize = 100;

/// Functions allowed over the limit: (file under `src/`, function, reason).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "analysis/regex.rs",
        "run",
        "PCRE parser: one match arm per token of the pattern grammar",
    ),
    (
        "analysis/regex.rs",
        "group_open",
        "PCRE parser: one match arm per `(?…` group syntax",
    ),
    (
        "analysis/regex.rs",
        "escape",
        "PCRE parser: one match arm per backslash escape",
    ),
    (
        "nginx/parser.rs",
        "parse_in",
        "nginx parser: the state machine over tokens (directive, block, end)",
    ),
    (
        "fpm/parser.rs",
        "parse_line",
        "php-fpm ini parser: one match arm per line form, as php's scanner",
    ),
    (
        "fpm/parser.rs",
        "parse_value",
        "php-fpm ini parser: one match arm per value token, as php's scanner",
    ),
];

/// Generated files (by `build.rs` or a script): not read for length.
const GENERATED: &[&str] = &["nginx/schema_table.rs", "rules/tls/cipher_table.rs"];

#[path = "support/files.rs"]
mod files;
use files::rust_files;

/// The text with comments, string literals and char literals blanked
/// (newlines kept, so line numbers hold), so that only code braces remain.
fn masked(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            let end = text[i..].find('\n').map_or(b.len(), |e| i + e);
            blank(&mut out, i, end);
            i = end;
        } else if b[i..].starts_with(b"/*") {
            // Block comments nest in Rust.
            let (mut j, mut depth) = (i + 2, 1);
            while j < b.len() && depth > 0 {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (b[i] == b'r' || b[i..].starts_with(b"br")) && (i == 0 || !ident(b[i - 1])) && {
            let s = if b[i] == b'b' { i + 2 } else { i + 1 };
            let h = b[s..].iter().take_while(|&&c| c == b'#').count();
            b.get(s + h) == Some(&b'"')
        } {
            // Raw string: r"…", r#"…"#, br"…".
            let s = if b[i] == b'b' { i + 2 } else { i + 1 };
            let h = b[s..].iter().take_while(|&&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(h));
            let body = s + h + 1;
            let end = text[body..]
                .find(&close)
                .map_or(b.len(), |e| body + e + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{7f}', '{') or a lifetime ('a).
            if b.get(i + 1) == Some(&b'\\') {
                let end = text[i + 2..].find('\'').map_or(b.len(), |e| i + 2 + e + 1);
                blank(&mut out, i, end);
                i = end;
            } else if let Some(c) = text[i + 1..].chars().next()
                && b.get(i + 1 + c.len_utf8()) == Some(&b'\'')
            {
                let end = i + 1 + c.len_utf8() + 1;
                blank(&mut out, i, end);
                i = end;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Every function with a body: (name, first line, line count).
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let code = masked(text);
    let line_of = |at: usize| code[..at].iter().filter(|&&c| c == b'\n').count() + 1;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = code[i..]
        .windows(3)
        .position(|w| w == b"fn ")
        .map(|p| i + p)
    {
        i = at + 3;
        if at > 0 && ident(code[at - 1]) {
            continue;
        }
        let mut j = i;
        while j < code.len() && code[j] == b' ' {
            j += 1;
        }
        let start = j;
        while j < code.len() && ident(code[j]) {
            j += 1;
        }
        if j == start {
            continue; // `fn(` types and the like
        }
        let name = String::from_utf8_lossy(&code[start..j]).into_owned();
        // The body's `{`, unless a `;` at depth 0 ends a bodiless declaration.
        let mut depth = 0i32;
        let mut open = None;
        while j < code.len() {
            match code[j] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    open = Some(j);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let Some(open) = open else { continue };
        let mut depth = 0usize;
        let mut k = open;
        while k < code.len() {
            match code[k] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            k += 1;
        }
        let first = line_of(at);
        out.push((name, first, line_of(k) - first + 1));
    }
    out
}

#[test]
fn no_function_over_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut long = Vec::new();
    let mut allowed_seen = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if GENERATED.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (name, line, n) in functions(&text) {
            if n <= LIMIT {
                continue;
            }
            if ALLOWED.iter().any(|&(p, fun, _)| p == rel && fun == name) {
                allowed_seen.push((rel.clone(), name));
            } else {
                long.push(format!("src/{rel}:{line} `{name}`: {n} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {LIMIT} lines (split them into helpers that each do one job, \
         or add a parser's grammar `match` to ALLOWED with its reason):\n  {}",
        long.join("\n  ")
    );
    // An allowance whose function got short (or moved) is stale.
    for &(p, fun, _) in ALLOWED {
        assert!(
            allowed_seen.iter().any(|(q, g)| q == p && g == fun),
            "ALLOWED names src/{p} `{fun}`, which is no longer over {LIMIT} lines: drop it"
        );
    }
}

#[test]
fn the_scanner_counts_what_it_should() {
    let text = "fn a() {\n    let s = \"}\";\n    let c = '}';\n    // }\n    /* } */\n}\n\
                trait T { fn decl(&self) -> [u8; 2]; }\n\
                fn b<'x>(v: &'x str) -> &'x str {\n    let r = r#\"}\"#;\n    v\n}\n";
    let got = functions(text);
    assert_eq!(
        got,
        vec![("a".to_string(), 1, 6), ("b".to_string(), 8, 4)],
        "{got:?}"
    );
}
