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
        && same(&skeleton, text, &again, &out);
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

/// Whether two skeletons read the same: each word's value, quoting and
/// position (line, column), each statement's end, each block's braces.
fn same(a: &ParsedFile, ta: &[u8], b: &ParsedFile, tb: &[u8]) -> bool {
    let sa = SourceFile::new(String::new(), Default::default(), Arc::from(ta));
    let sb = SourceFile::new(String::new(), Default::default(), Arc::from(tb));
    let at = |x: u32, y: u32| sa.line_col(x) == sb.line_col(y);
    // Pairs of sibling lists still to compare (no recursion: depth is
    // the file's).
    let mut todo: Vec<(&[Directive], &[Directive])> = vec![(&a.directives, &b.directives)];
    while let Some((xs, ys)) = todo.pop() {
        if xs.len() != ys.len() {
            return false;
        }
        for (x, y) in xs.iter().zip(ys) {
            let words = x.args.len() == y.args.len()
                && std::iter::once((&x.name, &y.name))
                    .chain(x.args.iter().zip(y.args.iter()))
                    .all(|(v, w)| {
                        v.value == w.value
                            && v.quote == w.quote
                            && at(v.span.start, w.span.start)
                            && at(v.span.end, w.span.end)
                    });
            if !words || !at(x.span.end, y.span.end) {
                return false;
            }
            match (&x.block, &y.block) {
                (None, None) => {}
                (Some(p), Some(q)) => {
                    let closes = match (p.close, q.close) {
                        (Some(c), Some(d)) => at(c, d),
                        (None, None) => true,
                        _ => false,
                    };
                    if p.lua != q.lua || !closes || !at(p.open, q.open) {
                        return false;
                    }
                    todo.push((&p.children, &q.children));
                }
                _ => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_statements_keep_their_lines_and_columns() {
        let text = "# vhost\nserver {\n    listen 80;   # web\n    root /srv;\n    location / {\n        return 200;\n    }\n  \u{e9}\u{e9} server_name\n        a.test # first\n        b.test;\n}\nmap $a $b { default 1; }\n";
        let out = condense(text.as_bytes()).expect("condenses");
        assert!(out.len() < text.len(), "{}", String::from_utf8_lossy(&out));
        let a = parse_skeleton(FileId(0), text.as_bytes());
        let b = parse_skeleton(FileId(0), &out);
        assert!(same(&a, text.as_bytes(), &b, &out));
        // A word moved by one column is not the same.
        let moved = String::from_utf8_lossy(&out).replacen("listen", " listen", 1);
        let c = parse_skeleton(FileId(0), moved.as_bytes());
        assert!(!same(&a, text.as_bytes(), &c, moved.as_bytes()));
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
