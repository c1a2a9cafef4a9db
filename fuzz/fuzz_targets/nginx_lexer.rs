//! The tokenizer alone: ends, makes progress, spans inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nginx_lint::nginx::lexer::{Lexer, Statement, Terminator};
use nginx_lint::source::FileId;

fuzz_target!(|src: &[u8]| {
    let mut lx = Lexer::new(FileId(0), src);
    let mut st = Statement::default();
    for _ in 0..src.len() + 2 {
        let before = lx.pos();
        match lx.next_statement(&mut st) {
            Ok(Terminator::Eof) => return,
            Ok(_) => {
                for w in &st.words {
                    assert!(w.span.start <= w.span.end && w.span.end as usize <= src.len());
                }
            }
            Err(e) => {
                assert!(e.offset as usize <= src.len());
                let p = (e.offset as usize + 1).min(src.len());
                lx.set_pos(p.max(lx.pos()));
            }
        }
        assert!(lx.pos() > before || lx.pos() == src.len(), "no progress");
        if lx.pos() >= src.len() {
            return;
        }
    }
});
