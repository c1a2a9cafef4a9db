//! SourceMap: every file we read, its bytes, and a line index built when first needed.
//!
//! Spans are byte ranges into one file; line and column are computed on demand
//! from the line index (binary search), columns count characters.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same file assumed; otherwise `self`).
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One file's content and identity.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user would recognise it: as named on the command line,
    /// or the in-config path for `nginx -T` input.
    pub display: String,
    /// Where the bytes really came from (may differ with `--root` or `-T`).
    pub real: PathBuf,
    pub text: Arc<[u8]>,
    /// Built when a line or column is first asked for: only files with
    /// findings or suppression comments need one (indexing every file
    /// costs memory and a pass over all the text).
    lines: std::sync::OnceLock<LineIndex>,
}

#[derive(Debug)]
struct LineIndex {
    starts: Vec<u32>,
    /// For lines longer than [`CHECKPOINT`] bytes: (byte offset, characters
    /// from its line's start), every CHECKPOINT bytes, so a column costs at
    /// most CHECKPOINT bytes of counting. Without them, many errors on one
    /// long line cost the square of its length (a megabyte of `;` never
    /// finished).
    checkpoints: Vec<(u32, u32)>,
}

/// Spacing of column checkpoints inside long lines.
const CHECKPOINT: usize = 4096;

/// Characters in `bytes` as `String::from_utf8_lossy` would count them (one
/// U+FFFD per invalid sequence), without allocating.
fn lossy_chars(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum()
}

impl LineIndex {
    fn new(text: &[u8]) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in text.iter().enumerate() {
            if *b == b'\n' {
                starts.push(i as u32 + 1);
            }
        }
        starts.shrink_to_fit();
        let mut checkpoints = Vec::new();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(text.len(), |&n| n as usize);
            let (mut pos, mut chars) = (start as usize, 0usize);
            while end - pos > CHECKPOINT {
                // Checkpoints sit on a character's first byte, where lossy
                // counting of the two halves adds up to the whole.
                let mut next = pos + CHECKPOINT;
                while next < end && next < pos + CHECKPOINT + 3 && text[next] & 0xc0 == 0x80 {
                    next += 1;
                }
                chars += lossy_chars(&text[pos..next]);
                checkpoints.push((next as u32, chars as u32));
                pos = next;
            }
        }
        LineIndex {
            starts,
            checkpoints,
        }
    }
}

impl SourceFile {
    pub fn new(display: String, real: PathBuf, text: Arc<[u8]>) -> SourceFile {
        SourceFile {
            display,
            real,
            text,
            lines: std::sync::OnceLock::new(),
        }
    }

    fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let lines = self.lines();
        let offset = offset.min(self.text.len() as u32);
        let line = match lines.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = lines.starts[line];
        let (from, base) = match lines.checkpoints.partition_point(|&(o, _)| o <= offset) {
            0 => (start, 0),
            i => match lines.checkpoints[i - 1] {
                (o, c) if o > start => (o, c as usize),
                _ => (start, 0),
            },
        };
        let col = base + lossy_chars(&self.text[from as usize..offset as usize]);
        (line + 1, col + 1)
    }

    /// Byte offset where a 1-based line starts (clamped to the file).
    pub fn line_start(&self, line: usize) -> u32 {
        let starts = &self.lines().starts;
        let idx = line.saturating_sub(1).min(starts.len() - 1);
        starts[idx]
    }

    pub fn line_count(&self) -> usize {
        self.lines().starts.len()
    }

    /// The text of a span, lossily decoded.
    pub fn slice(&self, span: Span) -> std::borrow::Cow<'_, str> {
        let s = (span.start as usize).min(self.text.len());
        let e = (span.end as usize).min(self.text.len()).max(s);
        String::from_utf8_lossy(&self.text[s..e])
    }
}

/// All files of one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// First file with each real path: [`SourceMap::find_real`] was a linear
    /// scan, and php-fpm's loader asks it once per included file (quadratic
    /// in a glob of many pool files).
    by_real: rustc_hash::FxHashMap<PathBuf, FileId>,
    /// Id of `files[0]`: a map filled on another thread at the same time
    /// ([`SourceMap::starting_at`]) hands out ids that cannot collide.
    base: u32,
    /// Such maps, taken over whole by [`SourceMap::absorb`].
    others: Vec<SourceMap>,
}

/// Where the ids of a map filled beside the main one start: far above any
/// file count a run reaches (discovery stops at a few hundred thousand).
pub const SIDE_BASE: u32 = 1 << 30;

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// An empty map whose first id is `base`, for files read on another
    /// thread while the main map fills; [`SourceMap::absorb`] joins them.
    pub fn starting_at(base: u32) -> SourceMap {
        SourceMap {
            base,
            ..SourceMap::default()
        }
    }

    /// Take over a map filled beside this one: its files keep their ids.
    pub fn absorb(&mut self, other: SourceMap) {
        self.others.push(other);
    }

    pub fn add(&mut self, display: String, real: PathBuf, text: Arc<[u8]>) -> FileId {
        self.push(SourceFile::new(display, real, text))
    }

    /// Add a file made with [`SourceFile::new`] (possibly on another thread).
    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.base + self.files.len() as u32);
        self.by_real.entry(file.real.clone()).or_insert(id);
        self.files.push(file);
        id
    }

    /// Put the file's whole text in place of the one it was added with
    /// (a condensed text, `nginx::include::Loader::add_many`).
    pub fn replace_text(&mut self, id: FileId, text: Arc<[u8]>) {
        if let Some(f) = self.files.get_mut(id.0.wrapping_sub(self.base) as usize) {
            *f = SourceFile::new(
                std::mem::take(&mut f.display),
                std::mem::take(&mut f.real),
                text,
            );
        }
    }

    fn lookup(&self, id: FileId) -> Option<&SourceFile> {
        let own = self.files.get(id.0.wrapping_sub(self.base) as usize);
        own.or_else(|| self.others.iter().find_map(|o| o.lookup(id)))
    }

    /// The file of an id this map handed out (an id from elsewhere is a
    /// bug in nginx-lint, not in the input).
    pub fn get(&self, id: FileId) -> &SourceFile {
        match self.lookup(id) {
            Some(f) => f,
            None => panic!("{id:?} is not a file of this run"),
        }
    }

    pub fn len(&self) -> usize {
        self.files.len() + self.others.iter().map(SourceMap::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = (FileId, &SourceFile)> + '_> {
        let own = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(self.base + i as u32), f));
        Box::new(own.chain(self.others.iter().flat_map(SourceMap::iter)))
    }

    pub fn find_real(&self, real: &Path) -> Option<FileId> {
        self.by_real
            .get(real)
            .copied()
            .or_else(|| self.others.iter().find_map(|o| o.find_real(real)))
    }

    /// (line, column) of a span's start, both 1-based.
    pub fn start_of(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.start)
    }

    /// (line, column) of a span's end (exclusive end turned into the last
    /// character's following position), both 1-based.
    pub fn end_of(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.end)
    }
}

/// What suppression needs of one file: its comments and its statements
/// (head: the statement itself; full: through the end of its block or
/// section), in file order.
#[derive(Clone, Debug, Default)]
pub struct Outline {
    pub file: FileId,
    /// The comment character: `#` (nginx) or `;` (php-fpm).
    pub marker: u8,
    /// Each comment from its marker to the end of its line.
    pub comments: Vec<Span>,
    pub units: Vec<(Span, Span)>,
}

/// What a file's text, as read for a run, holds of the file
/// (`crate::discover::Found`, `crate::nginx::include::Item`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Held {
    /// The file's bytes.
    #[default]
    Whole,
    /// Only what a skeleton keeps (`route`'s index): a file wanted whole
    /// is read again.
    Condensed,
    /// Condensed, from a file that an earlier run of the same unchanged
    /// tree found to add nothing for a request its server names (these,
    /// one per line) cannot answer (`crate::route::inert`): such a
    /// request need not parse it.
    Inert(Arc<str>),
    /// Condensed, from a file that an earlier run found holding an
    /// address's first or default server, where a request no name takes
    /// ends (`crate::route::inert`): read whole at once rather than after
    /// a first load finds it chosen.
    Keystone,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut map = SourceMap::new();
        let id = map.add("t".into(), "t".into(), Arc::from("ab\né€x\n".as_bytes()));
        let f = map.get(id);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'x' follows two multi-byte characters: column 3
        let x = "ab\né€".len() as u32;
        assert_eq!(f.line_col(x), (2, 3));
        assert_eq!(f.line_start(2), 3);
    }

    /// Columns in long lines (checkpoints) match counting from the line's
    /// start, also with multi-byte and invalid UTF-8 across checkpoints.
    #[test]
    fn long_line_columns_match_plain_counting() {
        let mut text = b"a;\n".to_vec();
        for i in 0..5000 {
            text.extend_from_slice(match i % 4 {
                0 => "é".as_bytes(),
                1 => b"\xff",
                2 => "€x".as_bytes(),
                _ => b"\xe2\x82",
            });
        }
        text.extend_from_slice(b"\nz");
        let f = SourceFile::new("t".into(), "t".into(), Arc::from(&text[..]));
        assert!(!f.lines().checkpoints.is_empty());
        let start = 3;
        for off in (start..text.len())
            .step_by(97)
            .chain([text.len() - 2, text.len()])
        {
            let line_end = text.len() - 2;
            let (line, col) = f.line_col(off as u32);
            if off <= line_end {
                let want = String::from_utf8_lossy(&text[start..off]).chars().count() + 1;
                assert_eq!((line, col), (2, want), "offset {off}");
            } else {
                assert_eq!(line, 3);
            }
        }
    }

    /// A map filled on another thread keeps its ids when absorbed, after
    /// the main map's own files in iteration order.
    #[test]
    fn side_map_ids_survive_absorb() {
        let mut main = SourceMap::new();
        let a = main.add("a".into(), "/a".into(), Arc::from(&b"a"[..]));
        let mut side = SourceMap::starting_at(SIDE_BASE);
        let b = side.add("b".into(), "/b".into(), Arc::from(&b"b\nb"[..]));
        assert_ne!(a, b);
        main.absorb(side);
        let c = main.add("c".into(), "/c".into(), Arc::from(&b"c"[..]));
        assert_eq!(main.get(b).display, "b");
        assert_eq!(main.get(b).line_count(), 2);
        assert_eq!(main.get(c).display, "c");
        assert_eq!(main.find_real(Path::new("/b")), Some(b));
        assert_eq!(main.len(), 3);
        let order: Vec<FileId> = main.iter().map(|(id, _)| id).collect();
        assert_eq!(order, [a, c, b]);
    }

    #[test]
    fn crlf_lines() {
        let mut map = SourceMap::new();
        let id = map.add("t".into(), "t".into(), Arc::from(&b"a;\r\nb;\r\n"[..]));
        assert_eq!(map.get(id).line_col(4), (2, 1));
    }
}
