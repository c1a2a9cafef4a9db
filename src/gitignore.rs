//! `.gitignore` and `.ignore` files, as git (and ripgrep, ruff) read them,
//! for the directory walk: a file the repository ignores (a local
//! override, a rendered copy, a dependency) is not linted.
//!
//! Implemented on `globset` rather than with the `ignore` crate's walker:
//! the walk must keep recording every entry of the directories it lists
//! (include globs are answered from those listings, ignored files
//! included), which a walker that never yields ignored entries cannot do.
//!
//! Covered: comments, `\#` and `\!` escapes, trailing blanks, `!`
//! negation (the last matching line wins), a trailing `/` for directories
//! only, a `/` elsewhere anchoring the pattern to the file's directory,
//! `**`; deeper files over shallower ones, `.ignore` over `.gitignore` in
//! the same directory. `.gitignore` counts inside a git repository only
//! (as in git and ripgrep), `.ignore` everywhere.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The rules of one ignore file.
#[derive(Debug)]
pub struct IgnoreFile {
    /// The directory its patterns are relative to.
    dir: PathBuf,
    /// What to show as the reason (`.gitignore`, `sub/.ignore`).
    name: String,
    set: GlobSet,
    /// For a file above the walked directory: (the walked directory as
    /// the user named it, its path below this file's directory).
    lead: Option<(PathBuf, PathBuf)>,
    /// Per glob of `set`: (negated, directories only).
    rules: Vec<(bool, bool)>,
}

/// What an ignore file says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ignored,
    /// A `!pattern` re-includes it.
    Kept,
    Unmatched,
}

impl IgnoreFile {
    /// Parse `text`, the content of an ignore file in `dir`.
    pub fn parse(dir: &Path, name: String, text: &str) -> Option<IgnoreFile> {
        let mut builder = GlobSetBuilder::new();
        let mut rules = Vec::new();
        for raw in text.lines() {
            let line = trim_trailing_blanks(raw);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, line) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line.strip_prefix('\\').unwrap_or(line)),
            };
            let (dir_only, line) = match line.strip_suffix('/') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            if line.is_empty() {
                continue;
            }
            // A `/` at the start or in the middle anchors the pattern to
            // this directory; a bare name matches at any depth.
            let glob = if line.contains('/') {
                line.trim_start_matches('/').to_string()
            } else {
                format!("**/{line}")
            };
            let Ok(g) = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            else {
                // git ignores a line it cannot read; so do we.
                continue;
            };
            builder.add(g);
            rules.push((negated, dir_only));
        }
        if rules.is_empty() {
            return None;
        }
        let set = builder.build().ok()?;
        Some(IgnoreFile {
            dir: dir.to_path_buf(),
            name,
            set,
            lead: None,
            rules,
        })
    }

    /// Read `dir/name`, if there is one.
    pub fn read(dir: &Path, name: &str) -> Option<IgnoreFile> {
        let path = dir.join(name);
        // Bounded and regular only, like every file the walk reads.
        let text = crate::vfs::read_regular(&path).ok()?;
        let text = String::from_utf8_lossy(&text);
        IgnoreFile::parse(dir, path.display().to_string(), &text)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verdict of the last line matching `path` (below `self.dir`).
    pub fn verdict(&self, path: &Path, is_dir: bool) -> Verdict {
        let joined;
        let rel = match &self.lead {
            Some((root, sub)) => match path.strip_prefix(root) {
                Ok(rest) => {
                    joined = sub.join(rest);
                    joined.as_path()
                }
                Err(_) => return Verdict::Unmatched,
            },
            None => match path.strip_prefix(&self.dir) {
                Ok(rel) => rel,
                Err(_) => return Verdict::Unmatched,
            },
        };
        let mut last = Verdict::Unmatched;
        for i in self.set.matches(rel) {
            let (negated, dir_only) = self.rules.get(i).copied().unwrap_or((false, false));
            if dir_only && !is_dir {
                continue;
            }
            // `matches` gives indices in ascending order: the last wins.
            last = if negated {
                Verdict::Kept
            } else {
                Verdict::Ignored
            };
        }
        last
    }
}

fn trim_trailing_blanks(s: &str) -> &str {
    // git keeps a trailing blank escaped with a backslash.
    let t = s.trim_end_matches([' ', '\t', '\r']);
    if t.ends_with('\\') && t.len() < s.trim_end_matches('\r').len() {
        &s[..t.len() + 1]
    } else {
        t
    }
}

/// Whether `dir` is inside a git repository (a `.git` in it or above).
pub fn in_git_repo(dir: &Path) -> bool {
    let Ok(abs) = std::path::absolute(dir) else {
        return false;
    };
    abs.ancestors().any(|d| d.join(".git").exists())
}

/// The ignore files of one directory, `.ignore` first (it wins over
/// `.gitignore` there).
pub fn read_dir_files(dir: &Path, git: bool) -> Vec<IgnoreFile> {
    let mut out = Vec::new();
    if let Some(f) = IgnoreFile::read(dir, ".ignore") {
        out.push(f);
    }
    if git && let Some(f) = IgnoreFile::read(dir, ".gitignore") {
        out.push(f);
    }
    out
}

/// The ignore files of the directories above `dir`, up to the top of its
/// git repository, deepest first (none outside a repository).
pub fn parents_of(dir: &Path, git: bool) -> Vec<IgnoreFile> {
    let mut out = Vec::new();
    let Ok(abs) = std::path::absolute(dir) else {
        return out;
    };
    if !git {
        return out;
    }
    for d in abs.ancestors().skip(1) {
        for mut f in read_dir_files(d, true) {
            // Walked paths start with `dir` as the user wrote it: matched
            // as `dir`'s place below `d` followed by the rest.
            let sub = abs
                .strip_prefix(d)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            f.lead = Some((dir.to_path_buf(), sub));
            out.push(f);
        }
        if d.join(".git").exists() {
            break;
        }
    }
    out
}

/// The ignore files in force during a walk: a stack by depth.
#[derive(Default)]
pub struct Stack {
    /// (depth of the directory holding them, its files), shallowest first.
    levels: Vec<(usize, Vec<IgnoreFile>)>,
    /// Files above the walked directory, deepest first.
    parents: Vec<IgnoreFile>,
    pub git: bool,
}

impl Stack {
    pub fn new(root: &Path) -> Stack {
        let git = in_git_repo(root);
        Stack {
            levels: Vec::new(),
            parents: parents_of(root, git),
            git,
        }
    }

    /// An entry at `depth` comes: the directories it is not inside are
    /// left.
    pub fn leave_to(&mut self, depth: usize) {
        while self.levels.last().is_some_and(|(d, _)| *d >= depth) {
            self.levels.pop();
        }
    }

    /// A directory at `depth` is entered.
    pub fn enter(&mut self, dir: &Path, depth: usize) {
        let files = read_dir_files(dir, self.git);
        if !files.is_empty() {
            self.levels.push((depth, files));
        }
    }

    /// The ignore file that ignores `path`, if one does (the deepest
    /// matching file decides).
    pub fn ignored_by(&self, path: &Path, is_dir: bool) -> Option<&str> {
        let here = self.levels.iter().rev().flat_map(|(_, f)| f);
        for f in here.chain(self.parents.iter()) {
            match f.verdict(path, is_dir) {
                Verdict::Ignored => return Some(f.name()),
                Verdict::Kept => return None,
                Verdict::Unmatched => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> IgnoreFile {
        IgnoreFile::parse(Path::new("repo"), ".gitignore".into(), text).expect("rules")
    }

    #[test]
    fn gitignore_semantics() {
        let f = file(
            "# local overrides\n*.local.conf\n!keep.local.conf\n/rendered.conf\nbuild/\nsites/*.bak\n\\#hash\n",
        );
        let v = |p: &str, d: bool| f.verdict(Path::new(p), d);
        assert_eq!(v("repo/a.local.conf", false), Verdict::Ignored);
        assert_eq!(v("repo/deep/x/a.local.conf", false), Verdict::Ignored);
        assert_eq!(v("repo/keep.local.conf", false), Verdict::Kept);
        assert_eq!(v("repo/rendered.conf", false), Verdict::Ignored);
        // Anchored: not below.
        assert_eq!(v("repo/sub/rendered.conf", false), Verdict::Unmatched);
        assert_eq!(v("repo/build", true), Verdict::Ignored);
        // `build/` is for directories only.
        assert_eq!(v("repo/build", false), Verdict::Unmatched);
        assert_eq!(v("repo/sites/a.bak", false), Verdict::Ignored);
        assert_eq!(v("repo/sites/deeper/a.bak", false), Verdict::Unmatched);
        assert_eq!(v("repo/#hash", false), Verdict::Ignored);
        assert_eq!(v("repo/site.conf", false), Verdict::Unmatched);
        assert!(IgnoreFile::parse(Path::new("r"), "x".into(), "# only\n\n").is_none());
    }
}
