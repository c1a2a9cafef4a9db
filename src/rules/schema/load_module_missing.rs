//! `load-module-missing`: a `load_module` whose file is not there. nginx
//! opens every module with dlopen() while it reads the configuration and
//! refuses to start without it (`dlopen() "…" failed (…: cannot open shared
//! object file: No such file or directory)`, ngx_load_module in
//! src/core/nginx.c; checked with nginx 1.22 `nginx -t`).
//!
//! Files are only judged with `--root` or `--live`, for an absolute path
//! whose directory is there: a relative path resolves against nginx's
//! build-time prefix (`/usr/share/nginx` on Debian, `/etc/nginx` on the
//! nginx.org packages), which the configuration does not say, and a root
//! without the modules directory is a partial copy, not a missing module.

use std::path::Path;

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::values::has_variable;
use crate::rules::{Check, Rule, ids};
use crate::vfs::{FsError, RealFs};

pub struct LoadModuleMissing;

impl Rule for LoadModuleMissing {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::LOAD_MODULE_MISSING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if cx.settings.files_root.is_none() {
            return;
        }
        let fs = cx.loaded.real_fs();
        cx.model.visits.walk_named(&["load_module"], &mut |v| {
            let d = v.directive;
            if v.ctx != Ctx::Main || d.name() != "load_module" {
                return;
            }
            let Some(name) = d.arg(0) else { return };
            if has_variable(name) || !Path::new(name).is_absolute() {
                return;
            }
            if let Some(f) = missing(&fs, d, name) {
                out.push(f);
            }
        });
    }
}

/// The finding when the module's directory is in view and the file is not
/// in it.
fn missing(fs: &RealFs, d: &Directive, name: &str) -> Option<Finding> {
    let path = Path::new(name);
    let shown_dir = path.parent()?;
    let dir = fs.place(shown_dir).ok()?;
    if !dir.is_dir() || !matches!(fs.place(path), Err(FsError::NotFound)) {
        return None;
    }
    let help = match nearest_module(&dir, path) {
        Some(near) => format!(
            "nginx refuses to start; {} has `{near}`: install the module's package or fix the name",
            shown_dir.display()
        ),
        None => format!(
            "nginx refuses to start; install the module's package (Debian: libnginx-mod-*, \
             Alpine: nginx-mod-*) or remove the line; {} has no module of a similar name",
            shown_dir.display()
        ),
    };
    Some(
        Finding::error(
            ids::LOAD_MODULE_MISSING,
            d.span,
            format!(
                "dlopen() \"{name}\" failed ({name}: cannot open shared object file: No such file or directory)"
            ),
        )
        .with_help(help),
    )
}

/// The module file in `dir` closest to the missing one (within three
/// edits), by name.
fn nearest_module(dir: &Path, missing: &Path) -> Option<String> {
    let want = missing.file_name()?.to_str()?;
    let mut best: Option<(usize, String)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !name.ends_with(".so") {
            continue;
        }
        let dist = crate::text::edit_distance(want, &name);
        if dist <= 3 && best.as_ref().is_none_or(|(b, n)| (dist, &name) < (*b, n)) {
            best = Some((dist, name));
        }
    }
    best.map(|(_, n)| n)
}
