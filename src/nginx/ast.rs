//! The syntax tree of one nginx file: directives with their words, spans and
//! blocks, exactly as written (includes are linked, not copied).

use crate::finding::Finding;
use crate::nginx::lexer::Word;
use crate::source::{FileId, Span};

/// Fields in a fixed order (`repr(C)`): what every walk over the trees
/// reads of each directive (block, arguments, name id, include site)
/// comes first, so it is one cache line for most directives. In Rust's
/// order the block and the name id were on different lines; a large
/// tree is far bigger than the CPU's caches and each line is a trip to
/// memory.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Directive {
    /// Boxed: most directives have no block, and an inline one would add 32
    /// bytes to each of them.
    pub block: Option<Box<Block>>,
    /// Exactly as many as written (a boxed slice: no growth slack, and 8
    /// bytes less than a Vec in every directive).
    pub args: Box<[Word]>,
    /// The name's id in the directive table, found once when parsing (the
    /// structural rules ask for the specs of every directive).
    pub name_id: crate::nginx::schema::NameId,
    /// The highest numbered capture (`$1` … `$9`) its arguments refer to,
    /// 0 for none: found while the words are in cache, so rules matching
    /// captures to regexes read no argument of the other directives.
    pub max_capture: u8,
    /// For `include`: its index among its file's [`ParsedFile::include_sites`]
    /// ([`NO_SITE`] otherwise). What it brought in is kept with the file
    /// (read it with [`Directive::included`]): include expansion then
    /// works from the file's list of sites and writes nothing into the
    /// trees, which in a large run are no longer in the CPU's caches.
    pub include_site: u32,
    /// From the name to the terminating `;` or `{`, inclusive.
    pub span: Span,
    pub name: Word,
}

/// [`Directive::is_data_block`] by name id (walks that keep the ids beside
/// the directives need not read the directive for it).
pub fn is_data_block_id(id: crate::nginx::schema::NameId) -> bool {
    use crate::nginx::schema::known_id;
    id == known_id!("types")
        || id == known_id!("map")
        || id == known_id!("geo")
        || id == known_id!("split_clients")
        || id == known_id!("charset_map")
}

/// [`Directive::include_site`] of a directive that is not an `include`.
pub const NO_SITE: u32 = u32::MAX;

/// The highest `$1` … `$9` in a word, 0 for none.
pub fn max_capture(word: &str) -> u8 {
    word.as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'$' && w[1].is_ascii_digit() && w[1] != b'0')
        .map(|w| w[1] - b'0')
        .max()
        .unwrap_or(0)
}

impl Directive {
    pub fn name(&self) -> &str {
        &self.name.value
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|w| w.value.as_str())
    }

    pub fn is_include(&self) -> bool {
        // By id (set by the parser, the only maker of directives): include
        // expansion asks this of every directive.
        self.name_id == crate::nginx::schema::known_id!("include")
    }

    /// Whether its block holds data entries ([`crate::nginx::parser::is_data_block`]),
    /// told by name id: walks ask it of every block directive, and the
    /// name is on a cache line of its own.
    pub fn is_data_block(&self) -> bool {
        is_data_block_id(self.name_id)
    }

    /// The directive's span through its block's closing brace.
    pub fn full_span(&self) -> Span {
        match &self.block {
            Some(b) => match b.close {
                Some(c) => Span {
                    end: c + 1,
                    ..self.span
                },
                None => self.span,
            },
            None => self.span,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    /// Offset of `{`.
    pub open: u32,
    /// Offset of the closing `}`; None when the file ended first.
    pub close: Option<u32>,
    pub children: Vec<Directive>,
    /// The body is Lua (`*_by_lua_block`), skipped unparsed.
    pub lua: bool,
}

/// One parsed file.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub file: FileId,
    pub directives: Vec<Directive>,
    /// Every `#` comment, for inline suppression.
    pub comments: Vec<Span>,
    /// `syntax` findings.
    pub errors: Vec<Finding>,
    /// Directives in the tree, at every depth (the parser counts them, so
    /// sizing a run's walk needs no pass over every tree).
    pub size: usize,
    /// Where what its `include` directives brought in is kept in
    /// [`crate::nginx::include::Files`] (filled by include expansion).
    pub expanded: Expanded,
    /// The file's `include` directives, in document order, with what
    /// expanding them needs (found by the parser while the tree is in
    /// cache: include expansion reads these instead of the trees).
    pub include_sites: Vec<IncludeSite>,
    /// Where the first block nested deeper than the parser keeps
    /// ([`crate::nginx::parser::MAX_DEPTH`]) opens: what is inside is not
    /// checked (a note, see `load::depth_notes`).
    pub too_deep: Option<u32>,
    /// Parsed as a skeleton ([`crate::nginx::parser::parse_skeleton`]):
    /// its `server` blocks hold only what picks a server, not the whole
    /// of it. Lint runs never make one.
    pub skeleton: bool,
}

/// A file's share of the include tables of [`crate::nginx::include::Files`]:
/// its sites' files start at `targets` in the file list, site after site,
/// and its sites' ends are listed from `ends` on. Kept there, not in a
/// vector per file: that made two small allocations per file.
#[derive(Clone, Copy, Debug)]
pub struct Expanded {
    pub targets: u32,
    /// [`NOT_EXPANDED`] until the file's includes are expanded.
    pub ends: u32,
}

/// [`Expanded::ends`] of a file whose includes are not expanded (yet).
pub const NOT_EXPANDED: u32 = u32::MAX;

impl Default for Expanded {
    fn default() -> Self {
        Expanded {
            targets: 0,
            ends: NOT_EXPANDED,
        }
    }
}

/// An `include` directive as include expansion needs it.
#[derive(Clone, Debug)]
pub struct IncludeSite {
    /// The argument, when there is exactly one (`directive-args` reports
    /// the others, and nginx includes nothing for them here).
    pub arg: Option<(compact_str::CompactString, Span)>,
    /// The directive's own span.
    pub span: Span,
    /// Whether the block it stands in holds data entries (`types`, `map`,
    /// …: the included file is then read as data); None at the file's top
    /// level, where that is the file's own kind.
    pub in_data: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_capture_of_words_and_directives() {
        assert_eq!(max_capture("/x/$2/$1"), 2);
        assert_eq!(max_capture("$0 $ $a 9"), 0);
        assert_eq!(max_capture("$19"), 1);
        assert_eq!(max_capture("$"), 0);
        let pf = crate::nginx::parser::parse(FileId(0), b"rewrite ^(a)(b)$ /$2$1 last; root /x;");
        let got: Vec<u8> = pf.directives.iter().map(|d| d.max_capture).collect();
        assert_eq!(got, [2, 0]);
    }

    /// The tree is most of a run's memory (tens of directives per vhost):
    /// a field added inline grows every directive, so a new field
    /// belongs behind a Box or in a side table unless this limit is
    /// deliberately raised.
    #[test]
    fn directive_stays_small() {
        assert!(std::mem::size_of::<Directive>() <= 88);
        assert!(std::mem::size_of::<crate::providers::Listener>() <= 136);
    }
}
