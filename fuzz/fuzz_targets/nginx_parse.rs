//! The parser and the printer: no panic, deterministic, spans inside the
//! file, and an error-free parse prints to text that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_lint::nginx::ast::Directive;
use nginx_lint::nginx::parser::parse;
use nginx_lint::nginx::print::print_file;
use nginx_lint::source::{FileId, SourceFile};

#[derive(Debug, PartialEq)]
struct Shape(String, Vec<String>, Option<(bool, Vec<Shape>)>);

fn shape(list: &[Directive]) -> Vec<Shape> {
    list.iter()
        .map(|d| {
            Shape(
                d.name.value.to_string(),
                d.args.iter().map(|a| a.value.to_string()).collect(),
                d.block.as_ref().map(|b| (b.lua, shape(&b.children))),
            )
        })
        .collect()
}

/// A word so long that quoting may push it over nginx's 4095-byte limit
/// (see `print::push_word`): the round trip is not required there.
fn has_long_word(list: &[Directive]) -> bool {
    list.iter().any(|d| {
        std::iter::once(&d.name)
            .chain(&d.args)
            .any(|w| w.value.len() >= 4000)
            || d.block.as_ref().is_some_and(|b| has_long_word(&b.children))
    })
}

fuzz_target!(|src: &[u8]| {
    let pf = parse(FileId(0), src);
    let again = parse(FileId(0), src);
    assert_eq!(
        format!("{:?}", pf.directives),
        format!("{:?}", again.directives)
    );
    let sf = SourceFile::new("f".into(), "f".into(), src.into());
    for e in &pf.errors {
        assert!(e.span.end as usize <= src.len());
        assert!(sf.line_col(e.span.start).0 <= sf.line_count() + 1);
    }
    let printed = print_file(&pf, src);
    let reparsed = parse(FileId(0), printed.as_bytes());
    if pf.errors.is_empty() && !has_long_word(&pf.directives) {
        assert!(
            reparsed.errors.is_empty(),
            "{:?}\n{printed}",
            reparsed.errors
        );
        assert_eq!(shape(&reparsed.directives), shape(&pf.directives));
    }
});
