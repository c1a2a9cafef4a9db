//! Deployment mappings (ARCHITECTURE: "One deployment view"): a
//! repository run places the files a Compose service running the official
//! nginx image bind-mounts (`volumes:`, short and long syntax) or its
//! Dockerfile `COPY`s into `/etc/nginx`, where the container sees them,
//! inside the image's stock layout ([`crate::stock`]: its `nginx.conf`,
//! `conf.d/default.conf`, `mime.types`, ...). The container's nginx reads
//! `/etc/nginx/nginx.conf` (the image's `CMD ["nginx", "-g", "daemon off;"]`
//! names no `-c`), so that file is the main file of one more unit, and the
//! repository's files reached from it are analysed in the context the
//! deployment gives them. Files no mapping places stay analysed as before.
//!
//! Docker's semantics (docs.docker.com, "Bind mounts" and the Dockerfile
//! reference, `COPY`): a bind mount hides what the image has at its
//! target (a directory mounted over `conf.d/` replaces the stock
//! `default.conf`); `COPY dir dest` copies the directory's contents into
//! `dest`, beside what the image already has there; `COPY file dir/`
//! places the file under its own name.
//!
//! One deployment per run: the first Compose service (files in walk
//! order, services in file order) that places files, else the first
//! Dockerfile built `FROM nginx` that copies files in.

mod fs;
mod placements;

pub use fs::DeployedFs;
pub use placements::find;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::loaded::Unit;
use crate::nginx::context::Ctx;
use crate::nginx::include::Loader;
use crate::source::{FileId, Span};

/// The image's conf prefix, where mounts and copies place files.
pub const ETC_NGINX: &str = "/etc/nginx";

/// One repository file or directory placed in the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Where the container sees it (absolute, normal, under /etc/nginx).
    pub target: PathBuf,
    /// The repository path, as walked (relative stays relative).
    pub source: PathBuf,
    /// A bind mount hides what the image has under its target; a copied
    /// directory merges into it.
    pub hides: bool,
}

/// How one service's container sees /etc/nginx.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub mounts: Vec<Mount>,
    /// What the image's build deletes under /etc/nginx (`RUN rm
    /// /etc/nginx/conf.d/default.conf`): absolute, possibly with
    /// wildcards. A mount or copy still places files there.
    pub removed: Vec<PathBuf>,
    /// The Compose file or Dockerfile that declares it, as walked.
    pub declared_in: PathBuf,
    pub text: Arc<[u8]>,
    /// The byte range of the mount (or `build:`, or `COPY` line) that
    /// placed the files: findings inside the image's own files are shown
    /// there.
    pub site: (usize, usize),
}

/// Load and expand the deployed main file (the repository's file mounted
/// over `/etc/nginx/nginx.conf`, else the image's), with `/etc/nginx` as
/// the conf prefix. Returns the declaring file's id (added to the sources,
/// so findings can point at it) and the unit.
pub fn expand(loader: &mut Loader<'_>, d: &Deployment) -> (FileId, Option<Unit>) {
    let decl = loader.sources.add(
        d.declared_in.display().to_string(),
        d.declared_in.clone(),
        d.text.clone(),
    );
    let main = Path::new(ETC_NGINX).join("nginx.conf");
    let Ok(id) = loader.load(&main) else {
        return (decl, None);
    };
    if loader.is_stock(id) {
        loader
            .stock_sites
            .insert(id, Span::new(decl, d.site.0, d.site.1));
    }
    loader.expand(id, Path::new(ETC_NGINX));
    let unit = Unit {
        file: id,
        context: Ctx::Main,
        standalone: false,
    };
    (decl, Some(unit))
}
