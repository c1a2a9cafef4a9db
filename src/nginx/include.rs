//! Include expansion, as nginx does it (ngx_conf_include): relative paths
//! resolve against the conf prefix (the directory of the main nginx.conf),
//! never against the including file; globs expand sorted, skip dotfiles and
//! may match nothing; a literal path must exist. Each file is read and parsed
//! once, even when it is included from several places; the include
//! directive records which files it brought in, so walking the tree visits
//! included directives in the context of the including block.

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::finding::Finding;
use crate::nginx::ast::{Directive, IncludeSite, NO_SITE, ParsedFile};
use crate::nginx::parser;
use crate::registry::ids;
use crate::source::{FileId, Held, SourceMap, Span};
use crate::vfs::{FileKey, Fs, FsError, is_glob, normalize, normalized};

/// Include chains deeper than this are cut (nginx would recurse until it
/// runs out of file descriptors or stack).
pub const MAX_INCLUDE_DEPTH: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Expanding,
    Done,
}

/// Every parsed nginx file of a run, indexed by FileId, with what their
/// include directives brought in.
#[derive(Default, Debug)]
pub struct Files {
    parsed: Vec<Option<ParsedFile>>,
    /// The files every include site brought in, file after file (each
    /// file's share is its [`ParsedFile::expanded`]), site after site.
    site_targets: Vec<FileId>,
    /// Where each site's files end in `site_targets`.
    site_ends: Vec<u32>,
}

impl Files {
    pub fn get(&self, id: FileId) -> Option<&ParsedFile> {
        self.parsed.get(id.0 as usize).and_then(|p| p.as_ref())
    }

    fn get_mut(&mut self, id: FileId) -> Option<&mut ParsedFile> {
        self.parsed.get_mut(id.0 as usize).and_then(|p| p.as_mut())
    }

    fn put(&mut self, pf: ParsedFile) {
        let i = pf.file.0 as usize;
        if self.parsed.len() <= i {
            self.parsed.resize_with(i + 1, || None);
        }
        self.parsed[i] = Some(pf);
    }

    /// The files a file's include directives brought in, once per
    /// directive that brought them, in order.
    pub fn includes_of(&self, pf: &ParsedFile) -> &[FileId] {
        let n = pf.include_sites.len();
        match n.checked_sub(1).and_then(|last| self.site_end(pf, last)) {
            Some(end) => self.targets(pf.expanded.targets, end),
            None => &[],
        }
    }

    /// For an `include` directive: the files it brought in, in nginx's
    /// order (none for a missing file or a cut cycle, or before include
    /// expansion).
    pub fn included(&self, d: &Directive) -> &[FileId] {
        if d.include_site == NO_SITE {
            return &[];
        }
        self.site_files(d.span.file, d.include_site)
    }

    /// The files include site `k` of file `id` brought in.
    pub fn site_files(&self, id: FileId, k: u32) -> &[FileId] {
        let Some(pf) = self.get(id) else { return &[] };
        let k = k as usize;
        let Some(end) = self.site_end(pf, k) else {
            return &[];
        };
        let start = match k.checked_sub(1) {
            Some(prev) => self.site_end(pf, prev).unwrap_or(end),
            None => pf.expanded.targets,
        };
        self.targets(start, end)
    }

    /// Where site `k` of an expanded file ends in `site_targets`.
    fn site_end(&self, pf: &ParsedFile, k: usize) -> Option<u32> {
        let e = pf.expanded;
        if e.ends == crate::nginx::ast::NOT_EXPANDED || k >= pf.include_sites.len() {
            return None;
        }
        self.site_ends.get(e.ends as usize + k).copied()
    }

    fn targets(&self, start: u32, end: u32) -> &[FileId] {
        self.site_targets
            .get(start as usize..end as usize)
            .unwrap_or(&[])
    }

    /// Keep what file `id`'s sites brought in: `targets`, site after site,
    /// and where each site's end in it (`ends`, relative).
    fn record(&mut self, id: FileId, targets: &[FileId], ends: &[u32]) {
        let base = u32::try_from(self.site_targets.len()).unwrap_or(u32::MAX);
        let expanded = crate::nginx::ast::Expanded {
            targets: base,
            ends: u32::try_from(self.site_ends.len()).unwrap_or(u32::MAX),
        };
        self.site_targets.extend_from_slice(targets);
        self.site_ends
            .extend(ends.iter().map(|&e| base.saturating_add(e)));
        if let Some(pf) = self.get_mut(id) {
            pf.expanded = expanded;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &ParsedFile> {
        self.parsed.iter().filter_map(|p| p.as_ref())
    }
}

/// Reads, parses and links nginx files through a file system.
pub struct Loader<'a> {
    pub fs: &'a dyn Fs,
    pub sources: &'a mut SourceMap,
    pub files: Files,
    pub findings: Vec<Finding>,
    /// Keyed by the normalised path's bytes (hashing a PathBuf walks its
    /// components, which showed up in profiles).
    by_path: FxHashMap<std::ffi::OsString, FileId>,
    by_identity: FxHashMap<FileKey, FileId>,
    /// By FileId (ids are dense); None: not expanded yet.
    state: Vec<Option<State>>,
    /// How a config path is shown to the user.
    display: &'a (dyn Fn(&Path) -> String + Sync),
    /// What each include argument resolved to under `resolved_under`: its
    /// target paths and, once asked, what loading each gave. A hosting
    /// tree has `include fastcgi_params;` in every vhost; joining,
    /// normalising and looking it up each time was a third of include
    /// expansion.
    resolved: FxHashMap<String, usize>,
    /// The targets of each resolved argument, by the index `resolved` gives.
    resolved_args: Vec<Vec<Resolved>>,
    resolved_under: PathBuf,
    /// While expanding: the files the sites of the files being expanded
    /// brought in, and where each site's end (relative to its file's
    /// start here), as a stack (an expansion adds above its includer's and
    /// takes its share off when done).
    scratch_targets: Vec<FileId>,
    scratch_ends: Vec<u32>,
    /// Stock copies loaded for files the tree lacks (hermetic runs only).
    stock_of: FxHashMap<FileId, &'static crate::stock::StockFile>,
    /// For each stock copy: the include in the user's files that brought
    /// it in (through other stock files, if need be). Findings inside the
    /// copy are shown there.
    pub stock_sites: FxHashMap<FileId, Span>,
    /// Stock copies that are a deployment's image's own files (known, not
    /// assumed: no note).
    image_files: rustc_hash::FxHashSet<FileId>,
    /// Paths and patterns already noted as outside the repository (one
    /// note per path, however many includes name it).
    outside_told: rustc_hash::FxHashSet<PathBuf>,
    /// Include directives (by span) whose files this run may not read:
    /// what they bring in is unknown, and rules that would miss it
    /// (an upstream, a fastcgi_param, a certificate) cannot check.
    pub unknown_sites: rustc_hash::FxHashSet<Span>,
    /// None: every file is parsed whole (a lint). Some: each file is
    /// parsed as a skeleton ([`parser::parse_skeleton`]), and again whole
    /// when this says the file (its real path and skeleton) is wanted
    /// whole (`route`, which needs only the servers that can answer).
    pub whole: Option<Whole<'a>>,
}

/// Which skeletons a run wants parsed whole, by real path and skeleton.
pub type Whole<'a> = &'a dyn Wanted;

/// What decides whether a file is parsed whole (see [`Loader::whole`]).
pub trait Wanted: Sync {
    /// By the file's real path and skeleton.
    fn file(&self, real: &Path, skeleton: &ParsedFile) -> bool;
    /// By the real path and server names (one per line) of a file held
    /// as [`Held::Inert`]: false leaves it unparsed.
    fn names(&self, real: &Path, names: &str) -> bool;
}

/// A file parsed as `whole` asks (see [`Loader::whole`]).
fn parse_as(whole: Option<Whole<'_>>, id: FileId, real: &Path, text: &[u8]) -> ParsedFile {
    let Some(wanted) = whole else {
        return parser::parse(id, text);
    };
    let skeleton = parser::parse_skeleton(id, text);
    if wanted.file(real, &skeleton) {
        parser::parse(id, text)
    } else {
        skeleton
    }
}

/// A file read for [`Loader::add_many`]: its path, text, identity, and
/// what the text holds.
pub type Item = (PathBuf, Arc<[u8]>, Option<FileKey>, Held);

/// A condensed text ([`Loader::add_many`]) parsed as a skeleton; when
/// `whole` wants the file, it is read again and parsed whole (with the
/// text read, which then stands for the file). An inert file no request
/// of the run's may reach is parsed without its servers (most often
/// nothing is left); a keystone file is read whole at once.
fn parse_condensed(
    whole: Option<Whole<'_>>,
    fs: &dyn Fs,
    id: FileId,
    key: &Path,
    real: &Path,
    (text, held): (&[u8], &Held),
) -> (ParsedFile, Option<Arc<[u8]>>) {
    let wanted = match held {
        Held::Inert(names) => whole.is_some_and(|w| w.names(real, names)),
        Held::Keystone => whole.is_some(),
        Held::Whole | Held::Condensed => false,
    };
    if !wanted {
        let skeleton = match held {
            Held::Inert(_) => parser::parse_without_servers(id, text),
            _ => parser::parse_skeleton(id, text),
        };
        if matches!(held, Held::Inert(_)) || !whole.is_some_and(|w| w.file(real, &skeleton)) {
            return (skeleton, None);
        }
    }
    match fs.read_identified(key) {
        Ok((full, _)) => (parser::parse(id, &full), Some(full)),
        // Gone since the walk saw it: what the walk saw stands.
        Err(_) => (parser::parse_skeleton(id, text), None),
    }
}

/// One target path of an include argument, loaded when first needed.
struct Resolved {
    path: PathBuf,
    loaded: Option<Result<FileId, FsError>>,
}

impl<'a> Loader<'a> {
    pub fn new(
        fs: &'a dyn Fs,
        sources: &'a mut SourceMap,
        display: &'a (dyn Fn(&Path) -> String + Sync),
    ) -> Loader<'a> {
        Loader {
            fs,
            sources,
            files: Files::default(),
            findings: Vec::new(),
            by_path: FxHashMap::default(),
            by_identity: FxHashMap::default(),
            state: Vec::new(),
            display,
            resolved: FxHashMap::default(),
            resolved_args: Vec::new(),
            resolved_under: PathBuf::new(),
            scratch_targets: Vec::new(),
            scratch_ends: Vec::new(),
            stock_of: FxHashMap::default(),
            stock_sites: FxHashMap::default(),
            image_files: Default::default(),
            outside_told: Default::default(),
            unknown_sites: Default::default(),
            whole: None,
        }
    }

    /// The FileId of a config path already loaded.
    pub fn loaded(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(normalized(path).as_os_str()).copied()
    }

    /// Read and parse a file once; later calls return the same id.
    pub fn load(&mut self, path: &Path) -> Result<FileId, FsError> {
        let key = normalized(path);
        if let Some(id) = self.by_path.get(key.as_os_str()) {
            return Ok(*id);
        }
        let key = key.into_owned();
        let (text, identity) = match self.fs.read_identified(&key) {
            Ok(read) => read,
            Err(e @ (FsError::NotFound | FsError::OutsideRepository)) if self.fs.hermetic() => {
                // Asked only for a file the tree lacks: a tree that ships
                // its fastcgi_params never gets here.
                let in_image = self.fs.image_has(&key);
                if in_image == Some(false) {
                    return Err(e);
                }
                let Some(stock) = crate::stock::lookup(&key, &self.resolved_under) else {
                    return Err(e);
                };
                let id = self.add_stock(key, stock);
                if in_image == Some(true) {
                    self.image_files.insert(id);
                }
                return Ok(id);
            }
            Err(e) => return Err(e),
        };
        self.add(key, text, identity)
    }

    /// Register the stock copy that stands for `key`.
    fn add_stock(&mut self, key: PathBuf, stock: &'static crate::stock::StockFile) -> FileId {
        let shown = crate::stock::display(stock);
        let text: std::sync::Arc<[u8]> = std::sync::Arc::from(stock.text);
        let id = self
            .sources
            .add(shown.clone(), PathBuf::from(shown), text.clone());
        self.files.put(parser::parse(id, &text));
        self.by_path.insert(key.into_os_string(), id);
        self.stock_of.insert(id, stock);
        id
    }

    /// Whether a file is a stock copy (not the user's).
    pub fn is_stock(&self, id: FileId) -> bool {
        self.stock_of.contains_key(&id)
    }

    /// Register many files already read (discovery reads each file once to
    /// classify it): parsing runs on all cores. Returns the
    /// ids in the same order.
    /// An item's last field says what its text holds
    /// ([`crate::discover::Found::held`]): a condensed file wanted whole
    /// is read again.
    pub fn add_many(&mut self, items: Vec<Item>) -> Vec<FileId> {
        use rayon::prelude::*;
        // Decide sequentially which items are new (cheap hash lookups).
        let mut fresh: Vec<Item> = Vec::new();
        let mut order: Vec<Result<FileId, usize>> = Vec::with_capacity(items.len());
        // By the normal path's bytes, as `by_path` (hashing a PathBuf
        // parses its components, which showed in profiles).
        let mut pending_keys: FxHashMap<std::ffi::OsString, usize> = FxHashMap::default();
        let mut pending_ids: FxHashMap<FileKey, usize> = FxHashMap::default();
        for (key, text, identity, held) in items {
            let key = normal_owned(key);
            if let Some(id) = self.by_path.get(key.as_os_str()) {
                order.push(Ok(*id));
                continue;
            }
            if let Some(id) = identity.as_ref().and_then(|i| self.by_identity.get(i)) {
                order.push(Ok(*id));
                continue;
            }
            if let Some(i) = pending_keys
                .get(key.as_os_str())
                .or_else(|| identity.as_ref().and_then(|k| pending_ids.get(k)))
            {
                order.push(Err(*i));
                continue;
            }
            pending_keys.insert(key.as_os_str().to_os_string(), fresh.len());
            if let Some(k) = identity {
                pending_ids.insert(k, fresh.len());
            }
            order.push(Err(fresh.len()));
            fresh.push((key, text, identity, held));
        }
        let display = self.display;
        let fs = self.fs;
        let files: Vec<crate::source::SourceFile> = fresh
            .par_iter()
            .map(|(key, text, _, _)| {
                crate::source::SourceFile::new(display(key), fs.real_path(key), text.clone())
            })
            .collect();
        let ids: Vec<FileId> = files.into_iter().map(|f| self.sources.push(f)).collect();
        let whole = self.whole;
        let sources = &*self.sources;
        let parsed: Vec<(ParsedFile, Option<Arc<[u8]>>)> = ids
            .par_iter()
            .zip(fresh.par_iter())
            .map(|(id, (key, text, _, held))| {
                let real = &sources.get(*id).real;
                if *held != Held::Whole {
                    parse_condensed(whole, fs, *id, key, real, (text, held))
                } else {
                    (parse_as(whole, *id, real, text), None)
                }
            })
            .collect();
        for (pf, text) in parsed {
            if let Some(text) = text {
                self.sources.replace_text(pf.file, text);
            }
            self.files.put(pf);
        }
        for ((key, _, identity, _), id) in fresh.into_iter().zip(&ids) {
            self.by_path.insert(key.into_os_string(), *id);
            if let Some(i) = identity {
                self.by_identity.insert(i, *id);
            }
        }
        order
            .into_iter()
            .map(|r| match r {
                Ok(id) => id,
                Err(i) => ids[i],
            })
            .collect()
    }

    /// Register a file already read; same caching as [`Loader::load`].
    pub fn add(
        &mut self,
        key: PathBuf,
        text: std::sync::Arc<[u8]>,
        identity: Option<FileKey>,
    ) -> Result<FileId, FsError> {
        let key = normal_owned(key);
        if let Some(id) = self.by_path.get(key.as_os_str()) {
            return Ok(*id);
        }
        if let Some(id) = identity
            .as_ref()
            .and_then(|i| self.by_identity.get(i))
            .copied()
        {
            self.by_path.insert(key.into_os_string(), id);
            return Ok(id);
        }
        let display = (self.display)(&key);
        let real = self.fs.real_path(&key);
        let id = self.sources.add(display, real, text.clone());
        let pf = parse_as(self.whole, id, &self.sources.get(id).real, &text);
        self.files.put(pf);
        self.by_path.insert(key.into_os_string(), id);
        if let Some(i) = identity {
            self.by_identity.insert(i, id);
        }
        Ok(id)
    }

    /// Register text that did not come from the file system (stdin).
    pub fn load_text(
        &mut self,
        display: String,
        path: &Path,
        text: std::sync::Arc<[u8]>,
    ) -> FileId {
        let id = self.sources.add(display, path.to_path_buf(), text.clone());
        let pf = parser::parse(id, &text);
        self.files.put(pf);
        self.by_path.insert(normalize(path).into_os_string(), id);
        id
    }

    /// Whether a file was expanded: a root given to [`Loader::expand`] or a
    /// file their includes reached (each expanded once), known without
    /// walking the trees again.
    pub fn expanded(&self, id: FileId) -> bool {
        self.state_of(id) == Some(State::Done)
    }

    fn state_of(&self, id: FileId) -> Option<State> {
        self.state.get(id.0 as usize).copied().flatten()
    }

    fn set_state(&mut self, id: FileId, s: State) {
        let at = id.0 as usize;
        if self.state.len() <= at {
            self.state.resize(at + 1, None);
        }
        self.state[at] = Some(s);
    }

    /// Expand every include reachable from `root`, with `prefix` as the
    /// conf prefix for relative paths.
    pub fn expand(&mut self, root: FileId, prefix: &Path) {
        if self.resolved_under != prefix {
            self.resolved.clear();
            self.resolved_args.clear();
            self.resolved_under = prefix.to_path_buf();
        }
        let mut open = Vec::new();
        self.expand_file(root, prefix, &mut open, None, false);
    }

    fn expand_file(
        &mut self,
        id: FileId,
        prefix: &Path,
        open: &mut Vec<(FileId, Span)>,
        via: Option<Span>,
        data: bool,
    ) {
        // Done, or being expanded (a cycle: reported by the includer).
        if self.state_of(id).is_some() {
            return;
        }
        if data {
            // Included inside `types`/`map`/`geo`/…: nginx parses the file
            // with the block's handler set, so parse it again that way (it
            // was parsed as an ordinary file when it was loaded).
            let text = self.sources.get(id).text.clone();
            self.files.put(parser::parse_data(id, &text));
        }
        // The sites are taken out while loading may add files.
        let Some(sites) = self
            .files
            .get_mut(id)
            .map(|pf| std::mem::take(&mut pf.include_sites))
        else {
            return;
        };
        self.set_state(id, State::Expanding);
        if let Some(v) = via {
            open.push((id, v));
        }
        let (t0, e0) = (self.scratch_targets.len(), self.scratch_ends.len());
        for site in &sites {
            let in_data = site.in_data.unwrap_or(data);
            self.expand_include(site, prefix, open, id, in_data);
            let end = self.scratch_targets.len() - t0;
            self.scratch_ends
                .push(u32::try_from(end).unwrap_or(u32::MAX));
        }
        if via.is_some() {
            open.pop();
        }
        if let Some(pf) = self.files.get_mut(id) {
            pf.include_sites = sites;
        }
        self.files.record(
            id,
            self.scratch_targets.get(t0..).unwrap_or(&[]),
            self.scratch_ends.get(e0..).unwrap_or(&[]),
        );
        self.scratch_targets.truncate(t0);
        self.scratch_ends.truncate(e0);
        self.set_state(id, State::Done);
    }

    /// Expand one include site of file `current`, adding the files it
    /// brings in to the scratch stack.
    fn expand_include(
        &mut self,
        site: &IncludeSite,
        prefix: &Path,
        open: &mut Vec<(FileId, Span)>,
        current: FileId,
        data: bool,
    ) {
        let Some((raw, arg_span)) = &site.arg else {
            return; // directive-args reports it
        };
        let raw = raw.as_str();
        let arg = self.resolve(raw, prefix);
        let count = self.resolved_args.get(arg).map_or(0, Vec::len);
        if count == 0 && self.fs.hermetic() {
            self.note_outside_glob(site, *arg_span, raw, prefix, current);
        }
        for k in 0..count {
            if open.len() >= MAX_INCLUDE_DEPTH {
                self.findings.push(
                    Finding::error(ids::INCLUDE_CYCLE, site.span, format!("includes nested more than {MAX_INCLUDE_DEPTH} deep"))
                        .with_help("this chain of includes is far deeper than any real configuration; it is cut here"),
                );
                break;
            }
            let id = match self.load_target(arg, k) {
                Ok(id) => id,
                Err((target, e)) => {
                    // Outside the repository or missing: what the file
                    // brings in is unknown, so rules stay quiet about what it
                    // would have provided (one finding per root cause).
                    self.unknown_sites.insert(site.span);
                    if let Some(at) = self.user_site(current, site.span.to(*arg_span)) {
                        self.report_unreadable(at, &target, raw, e);
                    }
                    continue;
                }
            };
            if let Some(stock) = self.stock_of.get(&id).copied()
                && !self.stock_sites.contains_key(&id)
            {
                let here = site.span.to(*arg_span);
                let user = self.user_site(current, here);
                if let Some(at) = user {
                    self.stock_sites.insert(id, at);
                }
                // One note per copy, at the user's include; a copy that
                // another copy includes (Debian's snippet includes
                // fastcgi.conf) is part of that one.
                if !self.is_stock(current) && !self.image_files.contains(&id) {
                    self.findings.push(
                        Finding::info(
                            ids::STOCK_FILE_ASSUMED,
                            here,
                            format!(
                                "include \"{raw}\": not in the repository; assumed the stock copy of {} (what packages and images install)",
                                stock.name()
                            ),
                        )
                        .with_help("ship the file in the repository if your image's copy differs, or lint the deployed tree with --root"),
                    );
                }
            }
            if id == current
                || open.iter().any(|(f, _)| *f == id)
                || self.state_of(id) == Some(State::Expanding)
            {
                let target = self
                    .resolved_args
                    .get(arg)
                    .and_then(|r| r.get(k))
                    .map(|r| r.path.clone())
                    .unwrap_or_default();
                let mut f = Finding::error(
                    ids::INCLUDE_CYCLE,
                    site.span,
                    format!("include cycle: \"{}\" is already being included", (self.display)(&normalize(&target))),
                )
                .with_help("nginx would include these files forever and crash; remove the include that closes the loop");
                for (_, via) in open.iter() {
                    f = f.with_related(*via, "included here");
                }
                self.findings.push(f);
                continue;
            }
            self.scratch_targets.push(id);
            self.expand_file(id, prefix, open, Some(site.span), data);
        }
    }

    /// Resolve an include argument against the conf prefix (a glob
    /// expands sorted), once per argument; returns its index in
    /// `resolved_args`.
    fn resolve(&mut self, raw: &str, prefix: &Path) -> usize {
        if let Some(&at) = self.resolved.get(raw) {
            return at;
        }
        let path = if Path::new(raw).is_absolute() {
            PathBuf::from(raw)
        } else {
            prefix.join(raw)
        };
        let targets: Vec<Resolved> = if is_glob(raw) {
            self.fs.glob(&path)
        } else {
            vec![path]
        }
        .into_iter()
        .map(|path| Resolved { path, loaded: None })
        .collect();
        let at = self.resolved_args.len();
        self.resolved_args.push(targets);
        self.resolved.insert(raw.to_string(), at);
        at
    }

    /// Load target `k` of resolved argument `arg` (once: later asks get
    /// the same answer); an error comes with the path it was for.
    fn load_target(&mut self, arg: usize, k: usize) -> Result<FileId, (PathBuf, FsError)> {
        let Some(r) = self.resolved_args.get(arg).and_then(|r| r.get(k)) else {
            return Err((PathBuf::new(), FsError::NotFound));
        };
        let loaded = match &r.loaded {
            Some(Ok(id)) => return Ok(*id),
            Some(Err(e)) => return Err((r.path.clone(), e.clone())),
            // Read already (by discovery, usually): no copy of the path.
            None => match self.loaded(&r.path) {
                Some(id) => Ok(id),
                None => {
                    let path = r.path.clone();
                    self.load(&path)
                }
            },
        };
        let Some(r) = self.resolved_args.get_mut(arg).and_then(|r| r.get_mut(k)) else {
            return Err((PathBuf::new(), FsError::NotFound));
        };
        r.loaded = Some(loaded.clone());
        loaded.map_err(|e| (r.path.clone(), e))
    }

    /// Where a finding about an include in file `current` is shown: the
    /// include itself, or for one inside a stock copy, the user's include
    /// that brought the copy in (None: a stock copy no user file reached).
    fn user_site(&self, current: FileId, here: Span) -> Option<Span> {
        if self.is_stock(current) {
            self.stock_sites.get(&current).copied()
        } else {
            Some(here)
        }
    }

    /// A glob that matched nothing because it lies outside the repository:
    /// unknown, not empty (one note per include directive).
    fn note_outside_glob(
        &mut self,
        site: &IncludeSite,
        arg_span: Span,
        raw: &str,
        prefix: &Path,
        current: FileId,
    ) {
        let path = if Path::new(raw).is_absolute() {
            PathBuf::from(raw)
        } else {
            prefix.join(raw)
        };
        if !is_glob(raw) || !self.fs.outside(&path) || self.is_stock(current) {
            return;
        }
        self.unknown_sites.insert(site.span);
        if !self.outside_told.insert(path) {
            return;
        }
        self.findings.push(
            Finding::info(
                ids::OUTSIDE_REPOSITORY,
                site.span.to(arg_span),
                format!(
                    "include \"{raw}\": outside the repository; what it matches is not known here"
                ),
            )
            .with_help("lint the deployed tree with --root DIR to read it"),
        );
    }

    /// `span`: the include directive through its argument.
    fn report_unreadable(&mut self, span: Span, target: &Path, raw: &str, e: FsError) {
        let shown = (self.display)(&normalize(target));
        if e == FsError::OutsideRepository {
            if !self.outside_told.insert(normalize(target)) {
                return;
            }
            self.findings.push(
                Finding::info(
                    ids::OUTSIDE_REPOSITORY,
                    span,
                    format!("include \"{raw}\": {shown} is outside the repository; not read"),
                )
                .with_help("what it holds is not known here: lint the deployed tree with --root DIR, or add the file to the repository"),
            );
            return;
        }
        let (msg, help) = match e {
            FsError::NotFound => (
                format!("include \"{raw}\": no such file ({shown})"),
                if Path::new(raw).is_absolute() {
                    "create the file, or fix the path; with a config repository that mirrors /, pass --root".to_string()
                } else {
                    "relative include paths resolve against the directory of nginx.conf (the conf prefix), not the including file".to_string()
                },
            ),
            other => (
                format!("include \"{raw}\": {shown} {other}"),
                "nginx cannot read this file either and refuses to start".to_string(),
            ),
        };
        self.findings
            .push(Finding::error(ids::INCLUDE_MISSING, span, msg).with_help(help));
    }
}

/// A path made normal, reusing it when it already is.
fn normal_owned(path: PathBuf) -> PathBuf {
    match normalized(&path) {
        std::borrow::Cow::Borrowed(_) => path,
        std::borrow::Cow::Owned(n) => n,
    }
}

/// A tree that includes the same file over and over multiplies; stop after
/// this many visits instead of running for hours. The largest real trees
/// expand to well under a million directives; an exponential include tree
/// far over this budget takes seconds in release and far longer in a debug
/// build. A run's budget is [`walk_budget`], at most this; a tree over it
/// gets a skipped note (see `load::budget_notes`).
pub const WALK_BUDGET: usize = 5_000_000;

/// The least budget a run gets, however small its files.
pub const MIN_WALK_BUDGET: usize = 1_000_000;

/// How much include expansion may multiply the parsed directives. Real
/// trees include snippets a few times per server (a tenfold expansion is
/// already a lot); only files included over and over reach this.
const MAX_EXPANSION: usize = 64;

/// The walk budget of a run: [`MAX_EXPANSION`] times the directives parsed,
/// between [`MIN_WALK_BUDGET`] and [`WALK_BUDGET`]. The walk is kept in
/// memory once per run (`model::walk::Visits`), so a few kilobytes of
/// exponential includes must not fill five million entries.
pub fn walk_budget(files: &Files) -> usize {
    let parsed: usize = files.iter().map(|pf| pf.size).sum();
    parsed
        .saturating_mul(MAX_EXPANSION)
        .clamp(MIN_WALK_BUDGET, WALK_BUDGET)
}

/// How many directives a walk from `id` visits (includes expanded),
/// saturating at `usize::MAX`; memoised per file, so exponential include
/// trees cost linear time. Include edges form a DAG (cycles are cut when
/// expanding), and the recursion depth is bounded by MAX_INCLUDE_DEPTH
/// times the parser's MAX_DEPTH.
/// `memo` is indexed by FileId (ids are dense).
pub fn expanded_size(files: &Files, id: FileId, memo: &mut Vec<Option<usize>>) -> usize {
    let at = id.0 as usize;
    if let Some(&Some(n)) = memo.get(at) {
        return n;
    }
    if memo.len() <= at {
        memo.resize(at + 1, None);
    }
    // Guard against an unexpected cycle: count the file as empty while it
    // is being counted.
    memo[at] = Some(0);
    // The file's own directives and, per include directive, what its
    // files expand to: no pass over the trees.
    let n = files.get(id).map_or(0, |pf| {
        files.includes_of(pf).iter().fold(pf.size, |n, &inc| {
            n.saturating_add(expanded_size(files, inc, memo))
        })
    });
    memo[at] = Some(n);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::flatten::walk;
    use crate::vfs::MemFs;

    fn run(fs: &MemFs, root: &str) -> (Loader<'static>, FileId) {
        let fs: &'static MemFs = Box::leak(Box::new(fs.clone()));
        let sources: &'static mut SourceMap = Box::leak(Box::new(SourceMap::new()));
        let display: &'static (dyn Fn(&Path) -> String + Sync) =
            &|p: &Path| p.display().to_string();
        let mut l = Loader::new(fs, sources, display);
        let id = l.load(Path::new(root)).expect("root loads");
        l.expand(id, Path::new("/etc/nginx"));
        (l, id)
    }

    fn names(l: &Loader, root: FileId) -> Vec<String> {
        let mut out = Vec::new();
        let pf = l.files.get(root).expect("root");
        walk(&l.files, &pf.directives, &mut |d, parents| {
            out.push(format!("{}{}", "  ".repeat(parents.len()), d.name()));
        });
        out
    }

    #[test]
    fn relative_to_prefix_and_globs_sorted() {
        let mut fs = MemFs::new();
        fs.insert(
            "/etc/nginx/nginx.conf",
            "http { include conf.d/*.conf; include mime.types; }",
        );
        fs.insert("/etc/nginx/conf.d/b.conf", "server { listen 81; }");
        fs.insert("/etc/nginx/conf.d/a.conf", "server { listen 80; }");
        fs.insert("/etc/nginx/mime.types", "types { text/html html; }");
        let (l, root) = run(&fs, "/etc/nginx/nginx.conf");
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        assert_eq!(
            names(&l, root),
            vec![
                "http",
                "  include",
                "  server",
                "    listen",
                "  server",
                "    listen",
                "  include",
                "  types",
                "    text/html"
            ]
        );
    }

    /// Include arguments are resolved once per conf prefix: the same
    /// argument under another root's prefix is another file.
    #[test]
    fn same_argument_under_two_prefixes() {
        let mut fs = MemFs::new();
        fs.insert("/a/nginx.conf", "http { include params; }");
        fs.insert("/a/params", "a_only on;");
        fs.insert("/b/nginx.conf", "http { include params; include params; }");
        fs.insert("/b/params", "b_only on;");
        let mut sources = SourceMap::new();
        let display = |p: &Path| p.display().to_string();
        let mut l = Loader::new(&fs, &mut sources, &display);
        let a = l.load(Path::new("/a/nginx.conf")).expect("a loads");
        l.expand(a, Path::new("/a"));
        let b = l.load(Path::new("/b/nginx.conf")).expect("b loads");
        l.expand(b, Path::new("/b"));
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        assert_eq!(names(&l, a), ["http", "  include", "  a_only"]);
        assert_eq!(
            names(&l, b),
            ["http", "  include", "  b_only", "  include", "  b_only"]
        );
    }

    /// Found by the differential test: nginx parses a file included in a
    /// `geo` block with geo's handler, so its `{` is `unexpected "{"`.
    #[test]
    fn file_included_in_data_block_is_parsed_as_data() {
        let mut fs = MemFs::new();
        fs.insert(
            "/etc/nginx/nginx.conf",
            "http { geo $a { default 0; include nets.conf; } }",
        );
        fs.insert("/etc/nginx/nets.conf", "10.0.0.0/8 1;\n{\n1.2.3.4 1;\n");
        let (l, _) = run(&fs, "/etc/nginx/nginx.conf");
        let nets = l.loaded(Path::new("/etc/nginx/nets.conf")).expect("loaded");
        let errors = &l.files.get(nets).expect("parsed").errors;
        assert_eq!(errors[0].message, "unexpected \"{\"");
        assert_eq!(errors[0].span.start, 14);
    }

    #[test]
    fn missing_literal_and_empty_glob() {
        let mut fs = MemFs::new();
        fs.insert(
            "/etc/nginx/nginx.conf",
            "include nothere.conf;\ninclude none/*.conf;\n",
        );
        let (l, _) = run(&fs, "/etc/nginx/nginx.conf");
        assert_eq!(l.findings.len(), 1);
        assert_eq!(l.findings[0].rule, ids::INCLUDE_MISSING);
    }

    #[test]
    fn cycle_is_cut_and_reported_once() {
        let mut fs = MemFs::new();
        fs.insert("/etc/nginx/nginx.conf", "include a.conf;");
        fs.insert("/etc/nginx/a.conf", "include b.conf;");
        fs.insert("/etc/nginx/b.conf", "include a.conf;");
        let (l, root) = run(&fs, "/etc/nginx/nginx.conf");
        assert_eq!(l.findings.len(), 1);
        assert_eq!(l.findings[0].rule, ids::INCLUDE_CYCLE);
        assert_eq!(l.findings[0].related.len(), 2);
        assert_eq!(names(&l, root).len(), 3);
    }

    #[test]
    fn self_include() {
        let mut fs = MemFs::new();
        fs.insert("/etc/nginx/nginx.conf", "include nginx.conf;");
        let (l, _) = run(&fs, "/etc/nginx/nginx.conf");
        assert_eq!(l.findings.len(), 1);
        assert_eq!(l.findings[0].rule, ids::INCLUDE_CYCLE);
    }

    #[test]
    fn shared_file_parsed_once() {
        let mut fs = MemFs::new();
        fs.insert(
            "/etc/nginx/nginx.conf",
            "http { server { include s.conf; } server { include s.conf; } }",
        );
        fs.insert("/etc/nginx/s.conf", "listen 80;");
        let (l, root) = run(&fs, "/etc/nginx/nginx.conf");
        assert!(l.findings.is_empty());
        assert_eq!(l.sources.len(), 2);
        assert_eq!(
            names(&l, root)
                .iter()
                .filter(|n| n.trim() == "listen")
                .count(),
            2
        );
    }
}
