//! Statements → directives and blocks, with error recovery: after an error
//! the parser resyncs and goes on, so one run lists every problem of a file.
//! Nesting is handled with an explicit stack (no recursion), and blocks nested
//! deeper than [`MAX_DEPTH`] are skipped (noted, not an error: nginx has no
//! such limit).

use crate::finding::Finding;
use crate::nginx::ast::{Block, Directive, IncludeSite, NO_SITE, ParsedFile};
use crate::nginx::lexer::{LexError, LexErrorKind, Lexer, Statement, Terminator};
use crate::nginx::lua::skip_lua_block;
use crate::registry::ids;
use crate::source::{FileId, Span};

/// Deepest block nesting we keep. Real configs stay below 10; the cap keeps
/// every later recursive walk (and drop) safe on hostile input.
pub const MAX_DEPTH: usize = 128;

/// Blocks whose contents are data entries handled by a custom nginx handler,
/// which rejects any `{` inside ("unexpected "{"").
pub fn is_data_block(name: &str) -> bool {
    matches!(
        name,
        "types" | "map" | "geo" | "split_clients" | "charset_map"
    )
}

struct Frame {
    directive: Option<Directive>,
    children: Vec<Directive>,
    data: bool,
}

pub fn parse(file: FileId, src: &[u8]) -> ParsedFile {
    parse_in(file, src, false, Cut::Nothing)
}

/// What a skeleton keeps of a `server` block: the directives that decide
/// which socket and server take a request (`listen`, `server_name`), the
/// address's `merge_slashes` (read in its default server before the Host
/// is known), and `include` (which could bring in either).
pub const SKELETON: [&str; 4] = ["listen", "server_name", "merge_slashes", "include"];

/// Parse with each `server` block cut down to its [`SKELETON`]
/// directives: no locations, no other directives. What a request to one
/// host needs of the servers that cannot answer it; everything outside
/// the servers is parsed as [`parse`] does.
pub fn parse_skeleton(file: FileId, src: &[u8]) -> ParsedFile {
    parse_in(file, src, false, Cut::Skeleton)
}

/// Parse a file included inside a data block (`types`, `map`, `geo`, …):
/// nginx reads it with the block's handler still set, so a `{` anywhere in
/// it is `unexpected "{"`, as in the block itself.
pub fn parse_data(file: FileId, src: &[u8]) -> ParsedFile {
    parse_in(file, src, true, Cut::Nothing)
}

/// Parse a file's text without its top-level `server` blocks (skipped
/// whole): what an inert file adds to a `route` request none of its names
/// can answer (`crate::route::inert`): its upstreams, maps and the like.
pub fn parse_without_servers(file: FileId, src: &[u8]) -> ParsedFile {
    parse_in(file, src, false, Cut::Servers)
}

/// What a parse leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    Nothing,
    /// All but [`SKELETON`] in `server` blocks.
    Skeleton,
    /// The top-level `server` blocks.
    Servers,
}

fn parse_in(file: FileId, src: &[u8], data: bool, cut: Cut) -> ParsedFile {
    let skeleton = cut == Cut::Skeleton;
    let mut lexer = Lexer::new(file, src);
    let mut stmt = Statement::default();
    // Capped: a megabyte of `;` is a million errors.
    let mut errors = crate::finding::Capped::default();
    let mut stack: Vec<Frame> = vec![Frame {
        directive: None,
        children: Vec::new(),
        data,
    }];
    // Depth of `{` we are skipping past MAX_DEPTH (0 = not skipping).
    let mut skipping = 0usize;
    let mut too_deep: Option<u32> = None;

    loop {
        let term = match lexer.next_statement(&mut stmt) {
            Ok(t) => t,
            Err(e) => {
                let fatal = matches!(e.kind, LexErrorKind::UnexpectedEof);
                errors.push(lex_finding(file, src, &e, &stmt));
                if fatal {
                    break;
                }
                match recover(&mut lexer, &e) {
                    Some(t) => {
                        stmt.words.clear();
                        t
                    }
                    None => break,
                }
            }
        };
        if skipping > 0 {
            match term {
                Terminator::BlockStart(_) => skipping += 1,
                Terminator::BlockEnd(_) => skipping -= 1,
                Terminator::Eof => break,
                Terminator::Semicolon(_) => {}
            }
            continue;
        }
        match term {
            Terminator::Eof => break,
            Terminator::Semicolon(at) => {
                if stmt.words.is_empty() {
                    continue;
                }
                if skeleton && in_server(&stack) && !SKELETON.contains(&stmt.words[0].as_str()) {
                    continue;
                }
                let d = make_directive(file, &mut stmt, at, None);
                push_child(&mut stack, d);
            }
            Terminator::BlockStart(at) => {
                let in_data = stack.last().is_some_and(|f| f.data);
                if stmt.words.is_empty() || in_data {
                    // `{` with no name, or inside a data block: nginx stops
                    // here; we open an anonymous block to keep braces balanced.
                    if in_data && !stmt.words.is_empty() {
                        errors.push(
                            Finding::error(
                                ids::SYNTAX,
                                Span::new(file, at as usize, at as usize + 1),
                                "unexpected \"{\"",
                            )
                            .with_help(
                                "this block holds data entries (`key value;`), not nested blocks",
                            ),
                        );
                    }
                    stack.push(Frame {
                        directive: None,
                        children: Vec::new(),
                        data: true,
                    });
                    continue;
                }
                if stack.len() > MAX_DEPTH {
                    // nginx has no nesting limit (ngx_conf_parse recurses
                    // through each block's handler: 1.22 accepts 10,000
                    // nested locations and overflows its stack at
                    // 20,000): not an error, only what we do not check.
                    too_deep.get_or_insert(at);
                    skipping = 1;
                    continue;
                }
                if stmt.words[0].value.ends_with("_by_lua_block") {
                    let mut d = make_directive(file, &mut stmt, at, Some(at));
                    match skip_lua_block(src, at as usize + 1) {
                        Ok(close) => {
                            if let Some(b) = d.block.as_mut() {
                                b.close = Some(close as u32);
                                b.lua = true;
                            }
                            lexer.set_pos(close + 1);
                            push_child(&mut stack, d);
                        }
                        Err(off) => {
                            errors.push(
                                Finding::error(
                                    ids::SYNTAX,
                                    Span::new(file, off, (off + 1).min(src.len())),
                                    "unterminated Lua block",
                                )
                                .with_help(
                                    "a Lua string, long bracket or comment here is never closed",
                                )
                                .with_related(d.span, "the Lua block starts here"),
                            );
                            break;
                        }
                    }
                    continue;
                }
                if skeleton && in_server(&stack) {
                    // A location (or `if`) of a server: skipped whole.
                    skipping = 1;
                    continue;
                }
                if cut == Cut::Servers && stack.len() == 1 && stmt.words[0].as_str() == "server" {
                    skipping = 1;
                    continue;
                }
                let d = make_directive(file, &mut stmt, at, Some(at));
                // By name id (the parser's copy of the name was one more
                // string per block).
                let data = d.is_data_block();
                stack.push(Frame {
                    directive: Some(d),
                    children: Vec::new(),
                    data,
                });
            }
            Terminator::BlockEnd(at) => {
                if stack.len() == 1 {
                    // Already reported when recovering from `words }`.
                    let here = Span::new(file, at as usize, at as usize + 1);
                    if errors.last().is_some_and(|e: &Finding| e.span == here) {
                        continue;
                    }
                    errors.push(
                        Finding::error(
                            ids::SYNTAX,
                            Span::new(file, at as usize, at as usize + 1),
                            "unexpected \"}\"",
                        )
                        .with_help(
                            "this `}` closes no block: remove it, or look for a `{` missing above",
                        ),
                    );
                    continue;
                }
                close_frame(&mut stack, Some(at));
            }
        }
    }
    if stack.len() > 1 && skipping == 0 {
        let eof = src.len();
        let mut f = Finding::error(
            ids::SYNTAX,
            Span::new(file, eof, eof),
            "unexpected end of file, expecting \"}\"",
        )
        .with_help("a block is never closed: add the missing `}`");
        if let Some(d) = stack.last().and_then(|fr| fr.directive.as_ref()) {
            f = f.with_related(d.span, format!("`{}` block opened here", d.name()));
        }
        errors.push(f);
    }
    while stack.len() > 1 {
        close_frame(&mut stack, None);
    }
    let mut root = stack.pop().map(|f| f.children).unwrap_or_default();
    root.shrink_to_fit();
    // Counted and located now, while the tree is in the CPU's caches.
    let mut sites = Vec::new();
    let size = survey(&mut root, None, &mut sites);
    // Kept for the run: without growth slack (a site file with one include
    // kept room for four).
    sites.shrink_to_fit();
    ParsedFile {
        file,
        size,
        include_sites: sites,
        directives: root,
        comments: std::mem::take(&mut stmt.comments),
        errors: errors.finish(ids::SYNTAX, "syntax errors"),
        expanded: Default::default(),
        too_deep,
        skeleton: cut != Cut::Nothing,
    }
}

/// Whether the innermost open block is a `server` block.
fn in_server(stack: &[Frame]) -> bool {
    stack
        .last()
        .and_then(|f| f.directive.as_ref())
        .is_some_and(|d| d.name_id == crate::nginx::schema::known_id!("server"))
}

/// Directives in a tree, at every depth, and its `include` directives, in
/// document order, each told its index among them (recursion bounded by
/// MAX_DEPTH). `in_data`: whether `list`'s block holds data entries (None
/// at the top level).
fn survey(list: &mut [Directive], in_data: Option<bool>, sites: &mut Vec<IncludeSite>) -> usize {
    let mut size = 0;
    for d in list.iter_mut() {
        size += 1;
        let data = d.is_data_block();
        if let Some(b) = d.block.as_mut() {
            size += survey(&mut b.children, Some(data), sites);
        } else if d.is_include() {
            d.include_site = u32::try_from(sites.len()).unwrap_or(NO_SITE);
            let arg = match &*d.args {
                [a] => Some((a.value.clone(), a.span)),
                _ => None,
            };
            sites.push(IncludeSite {
                arg,
                span: d.span,
                in_data,
            });
        }
    }
    size
}

fn make_directive(
    file: FileId,
    stmt: &mut Statement,
    term_at: u32,
    block_at: Option<u32>,
) -> Directive {
    // Usually drain the statement's Vec instead of taking it: `args` is then
    // allocated with exactly its length (the lexer's buffer grows by
    // doubling; keeping that slack is a large share of the tree's memory), and the
    // buffer is reused for the next statement. A huge statement (hostile
    // input: millions of words) moves its buffer instead, so it is never
    // held twice.
    let (name, args) = if stmt.words.len() <= 64 {
        let mut words = stmt.words.drain(..);
        (words.next(), words.collect::<Box<[_]>>())
    } else {
        let mut words = std::mem::take(&mut stmt.words).into_iter();
        (words.next(), words.collect::<Box<[_]>>())
    };
    // Callers guarantee at least one word.
    let name = name.unwrap_or_else(|| crate::nginx::lexer::Word {
        value: Default::default(),
        span: Span::new(file, term_at as usize, term_at as usize),
        quote: crate::nginx::lexer::Quote::None,
    });
    let span = Span {
        file,
        start: name.span.start,
        end: term_at + 1,
    };
    Directive {
        name_id: crate::nginx::schema::name_id(&name.value),
        max_capture: args
            .iter()
            .map(|w| crate::nginx::ast::max_capture(&w.value))
            .max()
            .unwrap_or(0),
        name,
        args,
        span,
        block: block_at.map(|open| {
            Box::new(Block {
                open,
                ..Block::default()
            })
        }),
        include_site: NO_SITE,
    }
}

fn push_child(stack: &mut [Frame], d: Directive) {
    if let Some(top) = stack.last_mut() {
        top.children.push(d);
    }
}

fn close_frame(stack: &mut Vec<Frame>, close: Option<u32>) {
    let Some(mut frame) = stack.pop() else { return };
    if let Some(mut d) = frame.directive {
        if let Some(b) = d.block.as_mut() {
            // A block's children live as long as the run: drop the Vec's
            // growth slack (a `server { listen 80; }` kept room for four
            // directives, in every such block of the tree).
            frame.children.shrink_to_fit();
            b.children = frame.children;
            b.close = close;
        }
        push_child(stack, d);
    } else {
        // Anonymous block (error recovery): keep its directives visible.
        if let Some(top) = stack.last_mut() {
            top.children.extend(frame.children);
        }
    }
}

/// After a tokenizer error, skip to a point where nginx's grammar can start
/// again. Returns the terminator found there, or None at end of file.
fn recover(lexer: &mut Lexer<'_>, e: &LexError) -> Option<Terminator> {
    let src = lexer.src();
    let mut i = e.offset as usize;
    match e.kind {
        // `;` or `{` with no name, or `}` after words: the character itself
        // is the resync point.
        LexErrorKind::Unexpected(b';') => {
            lexer.set_pos(i + 1);
            return Some(Terminator::Semicolon(i as u32));
        }
        LexErrorKind::Unexpected(b'{') => {
            lexer.set_pos(i + 1);
            return Some(Terminator::BlockStart(i as u32));
        }
        LexErrorKind::Unexpected(b'}') => {
            lexer.set_pos(i + 1);
            return Some(Terminator::BlockEnd(i as u32));
        }
        _ => {}
    }
    // Otherwise drop the rest of the statement: up to the next `;`, `{` or
    // `}` outside quotes, or the end of the line.
    while i < src.len() {
        match src[i] {
            b';' => {
                lexer.set_pos(i + 1);
                return Some(Terminator::Semicolon(i as u32));
            }
            b'{' => {
                lexer.set_pos(i + 1);
                return Some(Terminator::BlockStart(i as u32));
            }
            b'}' => {
                lexer.set_pos(i + 1);
                return Some(Terminator::BlockEnd(i as u32));
            }
            b'\n' => {
                lexer.set_pos(i + 1);
                return Some(Terminator::Semicolon(i as u32));
            }
            _ => i += 1,
        }
    }
    lexer.set_pos(src.len());
    None
}

/// The end of the character starting at `at`: one byte, or a whole UTF-8
/// sequence, so a span never splits a character (found by the property
/// tests: `""é` gave `unexpected "\xc3"` a span ending inside `é`).
fn char_end(src: &[u8], at: usize) -> usize {
    let mut end = (at + 1).min(src.len());
    if src.get(at).is_some_and(|&b| b >= 0xc0) {
        while end < src.len() && end < at + 4 && src[end] & 0xc0 == 0x80 {
            end += 1;
        }
    }
    end
}

fn lex_finding(file: FileId, src: &[u8], e: &LexError, stmt: &Statement) -> Finding {
    let at = (e.offset as usize).min(src.len());
    let (start, end) = match e.word_start {
        Some(ws) => (ws as usize, char_end(src, ws as usize)),
        None if at >= src.len() => (src.len(), src.len()),
        None => (at, char_end(src, at)),
    };
    let mut f = Finding::error(ids::SYNTAX, Span::new(file, start, end), e.kind.message());
    let first = stmt.words.first().map(|w| (w.span, w.value.to_string()));
    match e.kind {
        LexErrorKind::UnexpectedEof => {
            f = f.with_help(
                "the file ends inside a directive: a `;` (or a closing quote) is missing",
            );
            if let Some((span, name)) = first {
                f = f.with_related(span, format!("`{name}` starts here"));
            }
        }
        LexErrorKind::Unexpected(b'}') => {
            f = f.with_help("the directive before this `}` has no `;`");
            if let Some((span, name)) = first {
                f = f.with_related(span, format!("`{name}` is not terminated"));
            }
        }
        LexErrorKind::Unexpected(b';') | LexErrorKind::Unexpected(b'{') => {
            f = f.with_help("there is no directive name before this character");
        }
        LexErrorKind::Unexpected(_) => {
            f = f.with_help("a closing quote must be followed by a space, `;`, `{` or `)`");
        }
        LexErrorKind::TooLong(Some(_)) => {
            f = f.with_help("a quote opened here is never closed");
        }
        LexErrorKind::TooLong(None) => {
            f = f.with_help("nginx reads words (and comments) of at most 4095 bytes");
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> ParsedFile {
        parse(FileId(0), src.as_bytes())
    }

    #[test]
    fn a_skeleton_keeps_what_picks_a_server() {
        let src = "http { upstream u { server a:1; } server { listen 80; root /x; \
                   server_name a b; location / { if ($x) { return 200 \"}\"; } } \
                   merge_slashes off; include n.conf; } map $a $b { default 1; } }";
        let whole = p(src);
        let sk = parse_skeleton(FileId(0), src.as_bytes());
        assert!(sk.skeleton && !whole.skeleton);
        let http = |f: &ParsedFile| f.directives[0].block.clone().unwrap().children;
        let names = |ds: &[Directive]| ds.iter().map(|d| d.name().to_string()).collect::<Vec<_>>();
        // Outside the servers nothing changes.
        assert_eq!(names(&http(&sk)), ["upstream", "server", "map"]);
        let server = http(&sk)[1].block.clone().unwrap().children;
        assert_eq!(
            names(&server),
            ["listen", "server_name", "merge_slashes", "include"]
        );
        assert_eq!(
            server[1].span,
            http(&whole)[1].block.clone().unwrap().children[2].span
        );
        assert_eq!(sk.include_sites.len(), 1);
        assert!(sk.errors.is_empty());
    }

    #[test]
    fn without_servers_keeps_what_stands_beside_them() {
        let src = "upstream u { server a:1; }\nserver { listen 80; server_name a; \
                   include s.conf; location / { return 200 \"}\"; } }\n\
                   map $a $b { default 1; }\nserver { listen 81; }\ninclude t.conf;\n";
        let whole = p(src);
        let out = parse_without_servers(FileId(0), src.as_bytes());
        let names = |ds: &[Directive]| ds.iter().map(|d| d.name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&out.directives), ["upstream", "map", "include"]);
        assert!(out.skeleton && out.errors.is_empty());
        // Where they stand in the file, and only their include sites.
        assert_eq!(out.directives[1].span, whole.directives[2].span);
        assert_eq!(out.include_sites.len(), 1);
        // A `server` inside a block (an upstream's, stream's) stays.
        let nested = parse_without_servers(FileId(0), b"stream { server { listen 9; } }");
        assert_eq!(
            nested.directives[0]
                .block
                .as_ref()
                .map(|b| b.children.len()),
            Some(1)
        );
    }

    #[test]
    fn include_sites_in_document_order_at_every_depth() {
        let f = p(
            "a; http { include x; server { include y; } include z; } include w; \
                   include v { }\n",
        );
        let sites: Vec<(&str, Option<bool>)> = f
            .include_sites
            .iter()
            .map(|s| (s.arg.as_ref().map_or("", |(a, _)| a.as_str()), s.in_data))
            .collect();
        assert_eq!(
            sites,
            [
                ("x", Some(false)),
                ("y", Some(false)),
                ("z", Some(false)),
                ("w", None)
            ]
        );
        assert_eq!(f.size, 8);
        // Each include knows its place among them.
        let http = &f.directives[1];
        let kids = &http.block.as_ref().unwrap().children;
        assert_eq!(kids[0].include_site, 0);
        assert_eq!(kids[2].include_site, 2);
        assert_eq!(f.directives[2].include_site, 3);
        assert_eq!(f.directives[0].include_site, NO_SITE);
        let data = p("types { include m; } include a b;");
        let got: Vec<_> = data
            .include_sites
            .iter()
            .map(|s| (s.in_data, s.arg.is_some()))
            .collect();
        assert_eq!(got, [(Some(true), true), (None, false)]);
    }

    #[test]
    fn nested_blocks() {
        let f = p("events {}\nhttp { server { listen 80; location / { root /x; } } }\n");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.directives.len(), 2);
        let http = &f.directives[1];
        let server = &http.block.as_ref().unwrap().children[0];
        assert_eq!(server.name(), "server");
        let loc = &server.block.as_ref().unwrap().children[1];
        assert_eq!(loc.arg(0), Some("/"));
    }

    #[test]
    fn recovers_and_reports_every_error() {
        let f = p("a \"b\"c;\nd;\n;\ne f }\n}\ng;");
        let msgs: Vec<_> = f.errors.iter().map(|e| e.message.clone()).collect();
        assert_eq!(
            msgs,
            vec![
                "unexpected \"c\"",
                "unexpected \";\"",
                "unexpected \"}\"",
                "unexpected \"}\""
            ]
        );
        let names: Vec<_> = f.directives.iter().map(|d| d.name().to_string()).collect();
        assert!(
            names.contains(&"d".to_string()) && names.contains(&"g".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn unclosed_block() {
        let f = p("http {\n server {\n");
        assert_eq!(f.errors.len(), 1);
        assert_eq!(
            f.errors[0].message,
            "unexpected end of file, expecting \"}\""
        );
        assert_eq!(f.directives.len(), 1);
    }

    #[test]
    fn lua_block_is_skipped() {
        let f = p("location / { content_by_lua_block { ngx.say(\"}\") } }\nx;");
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        let loc = &f.directives[0];
        let lua = &loc.block.as_ref().unwrap().children[0];
        assert!(lua.block.as_ref().unwrap().lua);
        assert_eq!(f.directives[1].name(), "x");
    }

    #[test]
    fn brace_in_data_block() {
        let f = p("map $a $b { x { } }");
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].message, "unexpected \"{\"");
    }

    /// Found by the differential test: a file included inside `geo` gets
    /// nginx's `unexpected "{"` at the brace, not an unclosed block at EOF.
    #[test]
    fn brace_in_file_included_in_data_block() {
        let f = parse_data(FileId(0), b"10.0.0.0/8 1;\n{ 1.2.3.4 1;\nx {\n");
        let msgs: Vec<_> = f.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs[..2], ["unexpected \"{\"", "unexpected \"{\""]);
        assert_eq!(f.errors[0].span.start, 14);
        assert!(parse_data(FileId(0), b"a 1;\nb 2;\n").errors.is_empty());
    }

    /// Found by tests/properties.rs (pipeline_on_nginx_t): the span of
    /// `unexpected "\xc3"` ended inside the two-byte `é`.
    #[test]
    fn error_span_covers_the_whole_character() {
        let src = "\"\"é ;".as_bytes();
        let f = parse(FileId(0), src);
        assert_eq!(f.errors[0].message, "unexpected \"\\xc3\"");
        assert_eq!((f.errors[0].span.start, f.errors[0].span.end), (2, 4));
    }

    /// Without a cap, a file of nothing but `;` made a finding per `;`:
    /// memory and time grew with the file.
    #[test]
    fn syntax_errors_are_capped_per_file() {
        let f = p(&";".repeat(5000));
        assert_eq!(f.errors.len(), crate::finding::Capped::MAX + 1);
        assert!(
            f.errors[crate::finding::Capped::MAX]
                .message
                .starts_with("4000 more syntax errors")
        );
        assert_eq!(f.errors[crate::finding::Capped::MAX].span.start, 1000);
    }

    #[test]
    fn deep_nesting_is_capped_without_overflow() {
        let depth = 100_000;
        let src = "a {".repeat(depth) + &"}".repeat(depth);
        let f = p(&src);
        assert!(f.errors.is_empty(), "nginx has no nesting limit");
        assert_eq!(
            f.too_deep,
            Some(MAX_DEPTH as u32 * 3 + 2),
            "the `{{` of block 129"
        );
    }
}
