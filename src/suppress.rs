//! Inline suppression:
//!
//! ```text
//! # nginx-lint: ignore=tls-protocols -- old POS terminals, until 2027-03
//! ssl_protocols TLSv1 TLSv1.2 TLSv1.3;
//! ```
//!
//! A comment on its own line covers the next directive (a block directive:
//! the whole block; in php-fpm, a section header: the whole section); at the
//! end of a line it covers that line's directive; `ignore-file=<id>` before
//! the first directive covers the file. php-fpm files use `;` comments.
//! Syntax errors cannot be suppressed: a file nginx cannot parse is never
//! fine, and after an error the parser's view of the file (and of its
//! comments) is a guess.
//!
//! Suppressions that hide nothing are `unused-suppression`; malformed ones
//! (unknown rule, syntax rules, missing reason under `require-reason`,
//! `ignore-file` after the first directive) are `invalid-suppression`.

use std::collections::HashMap;

use crate::finding::Finding;
use crate::loaded::Loaded;
use crate::nginx::ast::Directive;
use crate::registry::ids;
use crate::settings::Policy;
use crate::source::{FileId, Outline, SourceMap, Span};

/// The nginx files' outlines.
pub fn nginx_outlines(loaded: &Loaded) -> Vec<Outline> {
    loaded
        .files
        .iter()
        // Outlines cost a pass over the file's directives: only for files
        // with a comment that can be a suppression (most comments are not).
        .filter(|pf| {
            let text = &loaded.sources.get(pf.file).text;
            pf.comments.iter().any(|c| {
                text.get(c.start as usize..c.end as usize)
                    .is_some_and(|t| t.windows(PREFIX.len()).any(|w| w == PREFIX.as_bytes()))
            })
        })
        .map(|pf| {
            let mut units = Vec::new();
            collect(&pf.directives, &mut units);
            units.sort_by_key(|(h, _): &(Span, Span)| h.start);
            Outline {
                file: pf.file,
                marker: b'#',
                comments: pf.comments.clone(),
                units,
            }
        })
        .collect()
}

fn collect(list: &[Directive], out: &mut Vec<(Span, Span)>) {
    for d in list {
        out.push((d.span, d.full_span()));
        if let Some(b) = &d.block {
            collect(&b.children, out);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    File,
    Targets,
}

#[derive(Debug)]
struct Suppression {
    scope: Scope,
    /// Valid rule ids with the span of each in the comment, and whether it
    /// hid something.
    ids: Vec<(&'static str, Span, bool)>,
    targets: Vec<Span>,
}

const PREFIX: &str = "nginx-lint:";

/// Rules whose findings no comment can hide.
fn unsuppressible(id: &str) -> bool {
    id == ids::SYNTAX || id == ids::FPM_SYNTAX
}

fn contains(target: Span, at: Span) -> bool {
    at.start >= target.start && at.start < target.end.max(target.start + 1)
}

/// Parse the suppression comments of one file; bad ones become findings.
fn parse_file(
    o: &Outline,
    sources: &SourceMap,
    policy: &Policy,
    bad: &mut Vec<Finding>,
) -> Vec<Suppression> {
    let src = sources.get(o.file);
    let text = &src.text;
    let first_unit = o.units.iter().map(|(h, _)| h.start).min();
    let mut out = Vec::new();
    for &c in &o.comments {
        let (s, e) = (c.start as usize, (c.end as usize).min(text.len()));
        if s >= e {
            continue;
        }
        let raw = &text[s..e];
        // Skip the comment markers and blanks.
        let mut i = 0;
        while i < raw.len() && (raw[i] == o.marker || raw[i] == b' ' || raw[i] == b'\t') {
            i += 1;
        }
        let Ok(body) = std::str::from_utf8(&raw[i..]) else {
            continue;
        };
        let Some(rest) = body.strip_prefix(PREFIX) else {
            continue;
        };
        let base = s + i + PREFIX.len();
        let comment_span = c;
        let (spec, reason) = match rest.find("--") {
            Some(k) => (&rest[..k], Some(rest[k + 2..].trim())),
            None => (rest, None),
        };
        let lead = spec.len() - spec.trim_start().len();
        let spec_t = spec.trim();
        let spec_at = base + lead;
        let (scope, list, list_at) = if let Some(l) = spec_t.strip_prefix("ignore-file=") {
            (Scope::File, l, spec_at + "ignore-file=".len())
        } else if let Some(l) = spec_t.strip_prefix("ignore=") {
            (Scope::Targets, l, spec_at + "ignore=".len())
        } else {
            bad.push(
                Finding::error(
                    ids::INVALID_SUPPRESSION,
                    comment_span,
                    format!(
                        "`nginx-lint:` comment without `ignore=` or `ignore-file=`: {spec_t:?}"
                    ),
                )
                .with_help("write `nginx-lint: ignore=<rule-id> -- reason`"),
            );
            continue;
        };
        if policy.require_reason && reason.is_none_or(str::is_empty) {
            bad.push(
                Finding::error(
                    ids::INVALID_SUPPRESSION,
                    comment_span,
                    "this suppression gives no reason, and the configuration requires one",
                )
                .with_help("say why after `--`, e.g. `# nginx-lint: ignore=tls-protocols -- old POS terminals, until 2027-03`"),
            );
        }
        if scope == Scope::File && first_unit.is_some_and(|f| c.start > f) {
            bad.push(
                Finding::error(
                    ids::INVALID_SUPPRESSION,
                    comment_span,
                    "`ignore-file` after the first directive has no effect",
                )
                .with_help(
                    "move it to the top of the file, or use `ignore=` to cover the next directive",
                ),
            );
            continue;
        }
        let ids_ok = parse_ids(o.file, list, list_at, bad);
        let targets = match scope {
            Scope::File => Vec::new(),
            Scope::Targets => targets(o, src, c),
        };
        out.push(Suppression {
            scope,
            ids: ids_ok,
            targets,
        });
    }
    out
}

/// The rule ids of a suppression's comma-separated list (written at
/// `list_at`), each with its span; empty, unknown and unsuppressible ids
/// become findings in `bad`.
fn parse_ids(
    file: FileId,
    list: &str,
    list_at: usize,
    bad: &mut Vec<Finding>,
) -> Vec<(&'static str, Span, bool)> {
    let mut ids_ok = Vec::new();
    let mut off = 0usize;
    for piece in list.split(',') {
        let lead = piece.len() - piece.trim_start().len();
        let id = piece.trim();
        let at = list_at + off + lead;
        off += piece.len() + 1;
        let span = Span::new(file, at, at + id.len().max(1));
        if id.is_empty() {
            bad.push(
                Finding::error(
                    ids::INVALID_SUPPRESSION,
                    span,
                    "empty rule id in a suppression",
                )
                .with_help("list rule ids separated by commas: `ignore=a,b`"),
            );
            continue;
        }
        match suppressible_id(id, span) {
            Ok(id) => ids_ok.push((id, span, false)),
            Err(f) => bad.push(f),
        }
    }
    ids_ok
}

/// A rule id a comment may hide, or the finding saying why not (no such
/// rule, or a syntax rule).
fn suppressible_id(id: &str, span: Span) -> Result<&'static str, Finding> {
    match crate::registry::meta(id) {
        Some(m) if unsuppressible(m.id) => Err(Finding::error(
            ids::INVALID_SUPPRESSION,
            span,
            format!("`{id}` cannot be suppressed: the server refuses a file with a syntax error"),
        )
        .with_help("fix the syntax error; a comment cannot make nginx or php-fpm load the file")),
        Some(m) => Ok(m.id),
        None => Err(
            Finding::error(ids::INVALID_SUPPRESSION, span, format!("no rule `{id}`")).with_help(
                format!(
                    "did you mean {}? (`nginx-lint rules` lists them all)",
                    crate::registry::nearest(id, 2)
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
            ),
        ),
    }
}

/// What a comment covers: on its own line, the next statement (through
/// its block); at the end of a line, that line and the statements that
/// start or end on it.
fn targets(o: &Outline, src: &crate::source::SourceFile, c: Span) -> Vec<Span> {
    let (line, _) = src.line_col(c.start);
    let line_start = src.line_start(line);
    let own_line = src.text[line_start as usize..c.start as usize]
        .iter()
        .all(|b| *b == b' ' || *b == b'\t');
    if own_line {
        return o
            .units
            .iter()
            .find(|(h, _)| h.start >= c.end)
            .map(|(_, full)| vec![*full])
            .unwrap_or_default();
    }
    let on_line = Span {
        file: o.file,
        start: line_start,
        end: c.start,
    };
    let mut out = vec![on_line];
    for (h, full) in &o.units {
        let last = Span {
            start: h.end.saturating_sub(1).max(h.start),
            ..*h
        };
        if contains(on_line, *h) || contains(on_line, last) {
            out.push(*full);
        }
    }
    out
}

/// Drop the findings that suppression comments cover; add
/// `unused-suppression` and `invalid-suppression` findings.
pub fn apply(
    loaded: &Loaded,
    policy: &Policy,
    mut findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<Finding>) {
    let mut outlines = nginx_outlines(loaded);
    if let Some(fpm) = &loaded.fpm {
        outlines.extend(
            fpm.outlines
                .iter()
                .filter(|o| !o.comments.is_empty())
                .cloned(),
        );
    }
    let mut extra = Vec::new();
    let mut by_file: HashMap<FileId, Vec<Suppression>> = HashMap::new();
    for o in &outlines {
        let s = parse_file(o, &loaded.sources, policy, &mut extra);
        if !s.is_empty() {
            by_file.entry(o.file).or_default().extend(s);
        }
    }
    if by_file.is_empty() {
        return (findings, extra);
    }
    findings.retain(|f| {
        if unsuppressible(f.rule) {
            return true;
        }
        let Some(list) = by_file.get_mut(&f.span.file) else {
            return true;
        };
        let mut hidden = false;
        for s in list.iter_mut() {
            let covers = match s.scope {
                Scope::File => true,
                Scope::Targets => s.targets.iter().any(|t| contains(*t, f.span)),
            };
            if !covers {
                continue;
            }
            for (id, _, used) in s.ids.iter_mut() {
                if *id == f.rule {
                    *used = true;
                    hidden = true;
                }
            }
        }
        !hidden
    });
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort_by_key(|(f, _)| *f);
    for (_, list) in files {
        for s in list {
            for (id, span, used) in s.ids {
                // A rule that does not run in this configuration cannot be
                // judged: the comment may matter where it does.
                if !used && policy.is_enabled(id) {
                    extra.push(
                        Finding::warning(
                            ids::UNUSED_SUPPRESSION,
                            span,
                            format!("`{id}` is suppressed here but reports nothing"),
                        )
                        .with_help(format!("remove `{id}` from the comment")),
                    );
                }
            }
        }
    }
    (findings, extra)
}
