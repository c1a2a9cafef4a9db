//! What a Dockerfile says about the image it builds: the files it copies
//! from the build context and the user the container runs as. Only what
//! the deployment view needs; nothing is executed or expanded.
//!
//! Docker's rules followed (docs.docker.com/reference/dockerfile): a `\`
//! at the end of a line continues it; `#` at the start of a line is a
//! comment; instructions are case-insensitive; each `FROM` starts a stage
//! and the last stage is the image; `FROM <earlier stage>` inherits that
//! stage's settings; `USER` is image metadata, so the last one of the
//! stage is the user the container's processes start as, wherever `CMD`
//! or `ENTRYPOINT` stands; `COPY --from=...` copies from another stage or
//! image, not from the build context.

use std::path::{Path, PathBuf};

/// The final image of one Dockerfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// The last `USER` (the part before `:group`) and its line (1-based).
    pub user: Option<(String, usize)>,
    /// Sources of `COPY`/`ADD` from the build context, as written.
    pub sources: Vec<String>,
}

impl Image {
    /// The user the container starts as, when the Dockerfile sets one
    /// that is known (no `$VAR`) and not root.
    pub fn non_root_user(&self) -> Option<&(String, usize)> {
        self.user
            .as_ref()
            .filter(|(u, _)| !u.is_empty() && !u.contains('$') && u != "root" && u != "0")
    }

    /// Whether the image copies `file` (a path under `context`, the build
    /// context directory) in: named, in a copied directory, or matched by
    /// a wildcard source.
    pub fn copies(&self, context: &Path, file: &Path) -> bool {
        let Ok(rel) = file.strip_prefix(context) else {
            return false;
        };
        self.sources.iter().any(|s| {
            if s.contains('$') || s.contains("://") {
                return false;
            }
            let src = crate::vfs::normalize(&Path::new("/").join(s.trim_start_matches("./")));
            let rel = Path::new("/").join(rel);
            if crate::vfs::is_glob(s) {
                return globset::Glob::new(&src.to_string_lossy())
                    .is_ok_and(|g| g.compile_matcher().is_match(&rel));
            }
            rel.starts_with(&src)
        })
    }
}

/// Logical lines: continuations joined, comments and blanks dropped, each
/// with the line it starts on.
fn lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.starts_with('#') || (t.is_empty() && cur.is_none()) {
            continue;
        }
        let (body, more) = match t.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (t, false),
        };
        let entry = cur.get_or_insert_with(|| (i + 1, String::new()));
        entry.1.push(' ');
        entry.1.push_str(body);
        if !more {
            out.extend(cur.take());
        }
    }
    out.extend(cur);
    out
}

/// The arguments of COPY/ADD after the flags: JSON array or words.
fn copy_args(rest: &str) -> Option<Vec<String>> {
    let mut words: Vec<&str> = rest.split_whitespace().collect();
    let flags = words.iter().take_while(|w| w.starts_with("--")).count();
    if words[..flags].iter().any(|w| w.starts_with("--from")) {
        return None;
    }
    words.drain(..flags);
    let joined = words.join(" ");
    if joined.starts_with('[') {
        return serde_json::from_str(&joined).ok();
    }
    Some(words.into_iter().map(str::to_string).collect())
}

/// The final stage of a Dockerfile.
pub fn parse(text: &str) -> Image {
    let mut stages: Vec<(Option<String>, Image)> = Vec::new();
    for (line, l) in lines(text) {
        let l = l.trim();
        let (word, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        let rest = rest.trim();
        match word.to_ascii_uppercase().as_str() {
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let base = words.first().map(|b| b.to_ascii_lowercase());
                let name = match words.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                    _ => None,
                };
                let inherited = stages
                    .iter()
                    .rev()
                    .find(|(n, _)| n.is_some() && *n == base)
                    .map(|(_, img)| img.clone())
                    .unwrap_or_default();
                stages.push((name, inherited));
            }
            "USER" => {
                if let Some((_, img)) = stages.last_mut() {
                    let user = rest.split(':').next().unwrap_or("").trim().to_string();
                    img.user = Some((user, line));
                }
            }
            "COPY" | "ADD" => {
                if let (Some((_, img)), Some(mut args)) = (stages.last_mut(), copy_args(rest))
                    && args.len() >= 2
                {
                    args.pop();
                    img.sources.extend(args);
                }
            }
            _ => {}
        }
    }
    stages.pop().map(|(_, img)| img).unwrap_or_default()
}

/// The non-root user an image built by one of `dockerfiles` runs as, when
/// that image copies any of `files` in from its build context (the
/// Dockerfile's directory): the user and `Dockerfile:LINE` for messages.
/// None when no such image is in view, or images disagree.
pub fn image_user(dockerfiles: &[PathBuf], files: &[PathBuf]) -> Option<(String, String)> {
    let mut found: Option<(String, String)> = None;
    for df in dockerfiles {
        let Some(context) = df.parent() else { continue };
        let Ok(text) = crate::vfs::read_regular(df) else {
            continue;
        };
        let img = parse(&String::from_utf8_lossy(&text));
        if !files.iter().any(|f| img.copies(context, f)) {
            continue;
        }
        // An image that copies these files in but runs as root: root.
        let (user, line) = img.non_root_user()?;
        let at = format!("{}:{line}", df.display());
        match &found {
            Some((u, _)) if u != user => return None,
            Some(_) => {}
            None => found = Some((user.clone(), at)),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stage_user_and_sources() {
        let img = parse(
            "FROM alpine AS build\nUSER builder\nCOPY src/ /src\n\nFROM php:8.2-fpm\nCMD [\"php-fpm\"]\n# USER root\nCOPY --chown=nobody conf/php-fpm-pool.conf \\\n  /usr/local/etc/php-fpm.d/www.conf\nCOPY --from=build /out /x\nADD [\"a b.conf\", \"/etc/\"]\nuser 1001:0\n",
        );
        assert_eq!(img.user, Some(("1001".into(), 12)));
        assert_eq!(img.sources, ["conf/php-fpm-pool.conf", "a b.conf"]);
        assert!(img.non_root_user().is_some());
        let ctx = Path::new("/r");
        assert!(img.copies(ctx, Path::new("/r/conf/php-fpm-pool.conf")));
        assert!(!img.copies(ctx, Path::new("/r/conf/other.conf")));
        let all = parse("FROM x\nCOPY --chown=nobody rootfs/ /\nCOPY ./*.conf /etc/\nUSER root\n");
        assert!(all.copies(ctx, Path::new("/r/rootfs/etc/php85/php-fpm.d/www.conf")));
        assert!(all.copies(ctx, Path::new("/r/www.conf")));
        assert!(all.non_root_user().is_none());
        let inherit = parse("FROM x AS base\nUSER app\nFROM base\nCOPY . /app\n");
        assert_eq!(inherit.non_root_user(), Some(&("app".to_string(), 2)));
        assert!(
            parse("FROM x\nUSER ${APP_USER}\n")
                .non_root_user()
                .is_none()
        );
    }
}
