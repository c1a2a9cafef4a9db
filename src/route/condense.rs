//! A file's text cut down to what its skeleton keeps
//! ([`parse_skeleton`]): every kept statement at its own line and column,
//! the rest blank. Parsed as a skeleton, it gives the same directives,
//! words and positions as the file does; a vhost of 40 lines becomes a
//! few hundred bytes, which is what `route`'s index keeps of it.
//!
//! [`parse_skeleton`]: crate::nginx::parser::parse_skeleton

use std::sync::Arc;

use crate::nginx::ast::{Directive, ParsedFile};
use crate::nginx::parser::parse_skeleton;
use crate::source::{FileId, SourceFile};

/// The condensed text of `text`, or None when it cannot stand for the
/// file (syntax errors, blocks nested too deep: those files are kept
/// whole), checked by parsing it again.
pub fn condense(text: &[u8]) -> Option<Vec<u8>> {
    let skeleton = parse_skeleton(FileId(0), text);
    if !skeleton.errors.is_empty() || skeleton.too_deep.is_some() {
        return None;
    }
    let mut kept = Vec::new();
    kept_ranges(&skeleton.directives, &mut kept);
    let out = blank_outside(text, &kept);
    let again = parse_skeleton(FileId(0), &out);
    let same = again.errors.is_empty()
        && again.too_deep.is_none()
        && again.size == skeleton.size
        && again.include_sites.len() == skeleton.include_sites.len()
        && shape(&again, &out) == shape(&skeleton, text);
    same.then_some(out)
}

/// The byte ranges a skeleton's directives stand on, in document order:
/// each statement from its name to its `;` or `{`, a block's children and
/// its closing `}` (a Lua block, unparsed, whole).
fn kept_ranges(ds: &[Directive], out: &mut Vec<(usize, usize)>) {
    for d in ds {
        let (start, end) = (d.span.start as usize, d.span.end as usize);
        match &d.block {
            Some(b) if b.lua => {
                out.push((start, d.full_span().end as usize));
            }
            Some(b) => {
                out.push((start, end));
                kept_ranges(&b.children, out);
                if let Some(c) = b.close {
                    out.push((c as usize, c as usize + 1));
                }
            }
            None => out.push((start, end)),
        }
    }
}

/// `text` with the bytes outside `kept` blanked: newlines stay, a
/// character before kept bytes on its line becomes one space (columns
/// count characters), and what follows the last kept byte of a line is
/// dropped.
fn blank_outside(text: &[u8], kept: &[(usize, usize)]) -> Vec<u8> {
    let mut mask = vec![false; text.len()];
    for &(s, e) in kept {
        if let Some(m) = mask.get_mut(s..e.min(text.len())) {
            m.fill(true);
        }
    }
    let mut out = Vec::with_capacity(kept.iter().map(|(s, e)| e - s).sum::<usize>() * 2);
    let mut line = 0;
    while line < text.len() {
        let end = text[line..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |p| line + p);
        if let Some(last) = (line..end).rev().find(|&i| mask[i]) {
            for i in line..=last {
                if mask[i] {
                    out.push(text[i]);
                } else if text[i] & 0xC0 != 0x80 {
                    out.push(b' ');
                }
            }
        }
        if end < text.len() {
            out.push(b'\n');
        }
        line = end + 1;
    }
    out
}

/// What of a skeleton the model and the answer read: each word's value,
/// quoting and position (line, column), each statement's end, each
/// block's braces.
fn shape(pf: &ParsedFile, text: &[u8]) -> Vec<(String, usize, usize)> {
    let src = SourceFile::new(String::new(), Default::default(), Arc::from(text));
    let mut out = Vec::new();
    let mut stack: Vec<&Directive> = pf.directives.iter().rev().collect();
    while let Some(d) = stack.pop() {
        let at = |off: u32, what: String| {
            let (l, c) = src.line_col(off);
            (what, l, c)
        };
        out.push(at(d.name.span.start, d.name.value.to_string()));
        for w in d.args.iter() {
            out.push(at(w.span.start, format!("{:?} {}", w.quote, w.value)));
            out.push(at(w.span.end, String::new()));
        }
        out.push(at(d.span.end, ";".into()));
        if let Some(b) = &d.block {
            out.push(at(b.open, format!("{{ {}", b.lua)));
            match b.close {
                Some(c) => out.push(at(c, "}".into())),
                None => out.push(("no }".into(), 0, 0)),
            }
            stack.extend(b.children.iter().rev());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8], pf: &ParsedFile) -> Vec<(String, usize, usize)> {
        shape(pf, text)
    }

    #[test]
    fn kept_statements_keep_their_lines_and_columns() {
        let text = "# vhost\nserver {\n    listen 80;   # web\n    root /srv;\n    location / {\n        return 200;\n    }\n  \u{e9}\u{e9} server_name\n        a.test # first\n        b.test;\n}\nmap $a $b { default 1; }\n";
        let out = condense(text.as_bytes()).expect("condenses");
        assert!(out.len() < text.len(), "{}", String::from_utf8_lossy(&out));
        let a = parse_skeleton(FileId(0), text.as_bytes());
        let b = parse_skeleton(FileId(0), &out);
        assert_eq!(lines(&out, &b), lines(text.as_bytes(), &a));
        // What no skeleton keeps is gone: `root`, the location, comments
        // after the kept statements.
        let s = String::from_utf8_lossy(&out);
        assert!(
            !s.contains("root") && !s.contains("return") && !s.contains("web"),
            "{s}"
        );
        assert!(s.contains("map $a $b { default 1; }"), "{s}");
    }

    #[test]
    fn a_file_with_errors_is_kept_whole() {
        assert!(condense(b"server { listen 80;\n").is_none());
        assert!(condense(b"server { listen 80; } }\n").is_none());
    }

    #[test]
    fn lua_blocks_are_kept_unparsed() {
        let text =
            b"server {\n    listen 80;\n}\ninit_by_lua_block {\n    local t = { a = 1 }\n}\n";
        let out = condense(text).expect("condenses");
        assert!(String::from_utf8_lossy(&out).contains("local t = { a = 1 }"));
    }
}
