//! `filesystem-root-exposure`: `root /` (or an `alias` to `/`) serves the
//! whole file system: `/etc/passwd`, keys, application source.

use crate::analysis::{LocKind, location_match};
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct FilesystemRootExposure;

impl Rule for FilesystemRootExposure {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FILESYSTEM_ROOT_EXPOSURE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (sid, d) in cx.model.named(&["root", "alias"]) {
            let s = &cx.model.scopes[sid];
            let name = d.name();
            let Some(w) = d.args.first() else { continue };
            let path = w.as_str();
            if path.contains('$') || !is_fs_root(path) {
                continue;
            }
            if name == "alias" {
                // In a regex or exact location the alias is the whole
                // file; under `/files/` an alias `/.` gives `/.etc`.
                let loc = s.directive.and_then(location_match);
                match loc {
                    Some((LocKind::Prefix | LocKind::PrefixNoRegex, p, _)) => {
                        if p.ends_with('/') && !path.ends_with('/') {
                            continue;
                        }
                    }
                    _ => continue,
                }
            }
            out.push(
                Finding::warning(
                    ids::FILESYSTEM_ROOT_EXPOSURE,
                    d.span,
                    format!("`{name} {path}` serves the file system root: any file the workers can read (/etc/passwd, keys, source) is one request away"),
                )
                .with_help("point it at a directory that holds only what you publish (or remove it where the location only proxies)"),
            );
        }
    }
}

/// Does an absolute path name `/` (`/`, `//`, `/./`, `/usr/..`)?
fn is_fs_root(p: &str) -> bool {
    if !p.starts_with('/') {
        return false;
    }
    let mut depth: i32 = 0;
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => depth = (depth - 1).max(0),
            _ => depth += 1,
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn roots() {
        for p in ["/", "//", "/./", "/usr/..", "/a/b/../../"] {
            assert!(super::is_fs_root(p), "{p}");
        }
        for p in ["/var/www", "/usr/../var", "relative", "/a/b/.."] {
            assert!(!super::is_fs_root(p), "{p}");
        }
    }
}
