//! What a run has loaded: the files read (source map), the nginx trees
//! parsed and include-expanded, the php-fpm configuration, other services'
//! files, and what was passed over. Built by [`crate::load`], read by the
//! model, the resolver, the providers and the rules.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::finding::Finding;
use crate::nginx::context::Ctx;
use crate::nginx::include::Files;
use crate::source::{FileId, SourceMap};

/// One nginx tree to analyse: its top file and the context of that file.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    pub file: FileId,
    pub context: Ctx,
    /// Not reached from any nginx.conf: linted on its own.
    pub standalone: bool,
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub files: Files,
    pub units: Vec<Unit>,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Walked files that are not configuration nginx-lint reads (a
    /// Dockerfile, a script, docs, php.ini), with the reason: counted in
    /// the summary, listed with `--verbose`.
    pub not_config: Vec<Skipped>,
    /// Walked entries passed over on purpose (`.gitignore`, `.ignore`,
    /// `exclude`): listed with `--verbose`.
    pub passed: Vec<Skipped>,
    /// php-fpm files found by the walk (config paths).
    pub fpm_files: Vec<PathBuf>,
    /// The php-fpm configuration, when any php-fpm file was found.
    pub fpm: Option<crate::fpm::FpmConfig>,
    /// php.ini and conf.d/*.ini beside the php-fpm configuration, and the
    /// installation each pool runs under.
    pub php_ini: crate::php_ini::PhpInis,
    /// Pre-commit mode: only findings in these files are reported.
    pub report_only: Option<HashSet<FileId>>,
    /// Listeners declared in the config file (`[[listener]]`).
    pub declared: Vec<crate::settings::DeclaredListener>,
    /// Other services' configuration files (Gunicorn, uWSGI, Compose,
    /// Apache, pm2), in the source map; their providers parse them.
    pub services: Vec<ServiceFile>,
    /// For each stock copy an include brought in (files the repository
    /// lacks): the user's include that did. Findings inside a copy are
    /// shown there.
    pub stock_sites: rustc_hash::FxHashMap<FileId, crate::source::Span>,
    /// Include directives (by span) whose files lie outside what the run
    /// may read: what they bring in is unknown (see
    /// `rules::util::UnknownBlocks`).
    pub unknown_includes: rustc_hash::FxHashSet<crate::source::Span>,
    /// The files of the trees read from disk other than by the walk (an
    /// include outside the walked paths), by real path.
    pub read_beyond_walk: Vec<PathBuf>,
    /// Which file system the run read: the host or a repository.
    pub view: crate::vfs::View,
    /// `--root`, when given (or the test host root).
    pub root: Option<PathBuf>,
    /// See [`Loaded::walk_budget`].
    pub(crate) budget: std::sync::OnceLock<usize>,
    /// See [`Loaded::unit_sizes`].
    pub(crate) unit_sizes: std::sync::OnceLock<Vec<usize>>,
}

impl Loaded {
    /// The run's file system, for what the rules and the resolver read
    /// after loading (socket owners, certificates): the same decision as
    /// the includes'.
    pub fn real_fs(&self) -> crate::vfs::RealFs {
        crate::vfs::RealFs::new(self.root.clone()).with_view(self.view.clone())
    }

    /// How many files the run read (stock copies are not the user's
    /// files, and are not counted).
    pub fn file_count(&self) -> usize {
        self.sources.len().saturating_sub(self.stock_sites.len())
    }

    /// Show findings inside a stock copy at the include that brought the
    /// copy in (it has no path in the repository).
    pub fn relocate_stock(&self, findings: &mut [Finding]) {
        if self.stock_sites.is_empty() {
            return;
        }
        for f in findings {
            if let Some(site) = self.stock_sites.get(&f.span.file) {
                let shown = &self.sources.get(f.span.file).display;
                // The site is an include, or a deployment's mount (a
                // Compose or Dockerfile line) over the image's files.
                let how = if self.files.get(site.file).is_some() {
                    "included here"
                } else {
                    "the image's file this deployment runs under"
                };
                f.message = format!("{} (in {shown}, {how})", f.message);
                f.span = *site;
            }
            for r in &mut f.related {
                if let Some(site) = self.stock_sites.get(&r.span.file) {
                    r.span = *site;
                }
            }
        }
    }

    /// Whether findings in `file` are reported (all files, except in
    /// pre-commit mode). Checks whose findings stay in the file they look
    /// at skip the others: a commit touching one site file of a thousand
    /// needs the other 999 only as context.
    pub fn reported(&self, file: FileId) -> bool {
        self.report_only
            .as_ref()
            .is_none_or(|only| only.contains(&file))
    }

    /// How many directives a walk of one unit visits at most
    /// ([`crate::nginx::include::walk_budget`]), computed once.
    pub fn walk_budget(&self) -> usize {
        *self
            .budget
            .get_or_init(|| crate::nginx::include::walk_budget(&self.files))
    }

    /// Directives in each unit's include-expanded tree (by unit index),
    /// computed once from the parsed sizes, without walking.
    pub fn unit_sizes(&self) -> &[usize] {
        self.unit_sizes.get_or_init(|| {
            let mut memo = Vec::new();
            self.units
                .iter()
                .map(|u| crate::nginx::include::expanded_size(&self.files, u.file, &mut memo))
                .collect()
        })
    }

    /// How many entries a walk of every unit holds (each unit cut at its
    /// budget): what the run's walk tables reserve, so they are allocated
    /// once instead of grown (a grown table's old copy stayed resident:
    /// up to 11 MB more at peak at 10,000 vhosts, depending on timing).
    pub fn walk_size(&self) -> usize {
        let budget = self.walk_budget();
        self.unit_sizes().iter().map(|&n| n.min(budget)).sum()
    }
}

/// A service configuration file found by the walk or named by `--service`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceFile {
    /// The provider that claimed it (`ListenerProvider::name`).
    pub provider: &'static str,
    pub file: FileId,
}

/// A file we passed over, and why (shown as a note, never silently lost).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}
