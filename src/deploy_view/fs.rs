//! The repository's file system with one deployment's /etc/nginx laid
//! over it: container paths under /etc/nginx answer from the repository
//! files mounted or copied there, else from the image's stock files, else
//! they are unknown (a named volume, a file the image's build writes).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::{Deployment, ETC_NGINX, Mount};
use crate::stock::{self, StockFile};
use crate::vfs::{FileKey, Fs, FsError, component_matches, is_glob, normalized};

/// See the module comment. Without a deployment every call goes to
/// `inner` unchanged.
pub struct DeployedFs<'a> {
    pub inner: &'a dyn Fs,
    pub deployment: Option<&'a Deployment>,
}

/// Where a path is, in the deployment.
enum Place {
    /// Not under /etc/nginx, or no deployment: the repository's view.
    Inner,
    /// A repository path placed there (it may not exist: a mounted
    /// directory hides the image's files).
    Host(PathBuf),
    /// The image's own stock file.
    Image,
    /// Under /etc/nginx, but neither placed nor the image's.
    Unknown,
    /// The image's, deleted by its build (`RUN rm`).
    Removed,
}

impl DeployedFs<'_> {
    fn place(&self, path: &Path) -> Place {
        let Some(d) = self.deployment else {
            return Place::Inner;
        };
        let path = normalized(path);
        let Ok(rel) = path.strip_prefix(ETC_NGINX) else {
            return Place::Inner;
        };
        // The deepest mount first; among equals, the later one (Compose
        // mounts and Dockerfile layers apply in order).
        let mut covering: Vec<&Mount> = d
            .mounts
            .iter()
            .filter(|m| path.starts_with(&m.target))
            .collect();
        covering.reverse();
        covering.sort_by_key(|m| std::cmp::Reverse(m.target.components().count()));
        for m in covering {
            let host = match path.strip_prefix(&m.target) {
                Ok(r) if !r.as_os_str().is_empty() => m.source.join(r),
                _ => m.source.clone(),
            };
            if m.hides || std::fs::symlink_metadata(&host).is_ok() {
                return Place::Host(host);
            }
        }
        if d.removed.iter().any(|r| removes(r, &path)) {
            return Place::Removed;
        }
        let rel = rel.to_str().unwrap_or_default();
        match image_files().find(|f| f.rel == rel) {
            Some(_) => Place::Image,
            None => Place::Unknown,
        }
    }

    /// A glob under /etc/nginx: what the mounts and the image's files
    /// hold there, sorted, each where [`Self::place`] puts it.
    fn glob_deployed(&self, d: &Deployment, pattern: &Path) -> Vec<PathBuf> {
        let pat: Vec<Component> = pattern.components().collect();
        let mut out = Vec::new();
        for m in &d.mounts {
            let target: Vec<Component> = m.target.components().collect();
            if target.len() > pat.len() || !components_match(&pat[..target.len()], &target) {
                continue;
            }
            if target.len() == pat.len() {
                out.push(m.target.clone());
                continue;
            }
            let rest: PathBuf = pat[target.len()..].iter().collect();
            for h in self.inner.glob(&m.source.join(&rest)) {
                if let Ok(r) = h.strip_prefix(&m.source) {
                    out.push(m.target.join(r));
                }
            }
        }
        for f in image_files() {
            let p = Path::new(ETC_NGINX).join(f.rel);
            let comps: Vec<Component> = p.components().collect();
            if comps.len() == pat.len() && components_match(&pat, &comps) {
                out.push(p);
            }
        }
        out.sort();
        out.dedup();
        out.retain(|p| match self.place(p) {
            Place::Host(h) => std::fs::metadata(&h).is_ok_and(|m| m.is_file()),
            Place::Image => true,
            Place::Inner | Place::Unknown | Place::Removed => false,
        });
        out
    }

    /// Whether anything of the deployment lies at or under `dir`.
    fn known(&self, d: &Deployment, dir: &Path) -> bool {
        !matches!(self.place(dir), Place::Unknown)
            || d.mounts.iter().any(|m| m.target.starts_with(dir))
            || image_files().any(|f| Path::new(ETC_NGINX).join(f.rel).starts_with(dir))
    }
}

/// The stock files the official image ships in /etc/nginx (the nginx
/// distribution's conf files, its nginx.conf and conf.d/default.conf; not
/// Debian's snippets).
fn image_files() -> impl Iterator<Item = &'static StockFile> {
    stock::FILES.iter().filter(|f| f.in_nginx_image())
}

/// Whether `rm removed` deletes `path`: the path itself, a match of its
/// wildcards, or something under a deleted directory (`rm -rf`).
fn removes(removed: &Path, path: &Path) -> bool {
    let r: Vec<Component> = removed.components().collect();
    let p: Vec<Component> = path.components().collect();
    r.len() <= p.len() && components_match(&r, &p[..r.len()])
}

/// glob(3) component by component: a leading dot only matched literally.
fn components_match(pattern: &[Component], path: &[Component]) -> bool {
    pattern.len() == path.len()
        && pattern.iter().zip(path).all(|(p, c)| {
            let (p, c) = (
                p.as_os_str().as_encoded_bytes(),
                c.as_os_str().as_encoded_bytes(),
            );
            (c.first() != Some(&b'.') || p.first() == Some(&b'.')) && component_matches(p, c)
        })
}

impl Fs for DeployedFs<'_> {
    fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError> {
        self.read_identified(path).map(|(t, _)| t)
    }

    fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
        match (self.deployment, self.place(pattern)) {
            (Some(d), Place::Host(_) | Place::Image | Place::Unknown | Place::Removed) => {
                self.glob_deployed(d, pattern)
            }
            _ => self.inner.glob(pattern),
        }
    }

    fn real_path(&self, path: &Path) -> PathBuf {
        match self.place(path) {
            Place::Host(h) => self.inner.real_path(&h),
            _ => self.inner.real_path(path),
        }
    }

    fn read_identified(&self, path: &Path) -> Result<(Arc<[u8]>, Option<FileKey>), FsError> {
        match self.place(path) {
            Place::Inner => self.inner.read_identified(path),
            Place::Host(h) => self.inner.read_identified(&h),
            // The loader takes the stock copy (see `image_has`).
            Place::Image | Place::Removed => Err(FsError::NotFound),
            Place::Unknown => Err(FsError::OutsideRepository),
        }
    }

    fn hermetic(&self) -> bool {
        self.inner.hermetic()
    }

    fn outside(&self, path: &Path) -> bool {
        let Some(d) = self.deployment else {
            return self.inner.outside(path);
        };
        let literal: PathBuf = path
            .components()
            .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
            .collect();
        match self.place(&literal) {
            Place::Inner => self.inner.outside(path),
            _ => !self.known(d, &literal),
        }
    }

    fn display(&self, path: &Path) -> String {
        match self.place(path) {
            Place::Host(h) => self.inner.display(&h),
            _ => self.inner.display(path),
        }
    }

    fn image_has(&self, path: &Path) -> Option<bool> {
        match self.place(path) {
            Place::Image => Some(true),
            Place::Host(_) | Place::Removed => Some(false),
            Place::Inner | Place::Unknown => None,
        }
    }
}
