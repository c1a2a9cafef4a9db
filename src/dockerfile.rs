//! A Dockerfile, as far as what a container listens on and runs goes:
//! `FROM` (stages), `ENV`, `EXPOSE`, `CMD`, `ENTRYPOINT`, `COPY`/`ADD`,
//! each with its line. From the Dockerfile reference
//! (docs.docker.com/reference/dockerfile): instructions are
//! case-insensitive, a line ending in `\` continues, `#` starts a comment
//! line; `CMD`/`ENTRYPOINT` take the exec form (a JSON array) or the shell
//! form; a stage (`FROM image AS name`) starts afresh but inherits the
//! `ENV`, `EXPOSE`, `CMD` and `USER` of a stage it is built `FROM`.
//! `COPY --from=...` copies from another stage or image, not from the build
//! context. Used by the Compose provider (what a service runs and listens
//! on) and by the php-fpm loader (the user an image runs php-fpm as).

use std::path::{Path, PathBuf};

/// One stage's facts, after inheritance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stage {
    pub name: Option<String>,
    /// The image or stage it is built from, and its line.
    pub from: String,
    pub from_line: usize,
    pub env: Vec<(String, String, usize)>,
    /// `EXPOSE` ports (tcp), with their line.
    pub expose: Vec<(u16, usize)>,
    /// The command words and the line (`ENTRYPOINT` then `CMD`).
    pub entrypoint: Option<(Vec<String>, usize)>,
    pub cmd: Option<(Vec<String>, usize)>,
    /// `COPY`/`ADD` sources (relative to the context) and destination.
    pub copies: Vec<(Vec<String>, String, usize)>,
    /// The last `USER` (the part before `:group`) and its line. `USER` is
    /// image metadata: the last one is the user the container's processes
    /// start as, wherever `CMD` or `ENTRYPOINT` stands.
    pub user: Option<(String, usize)>,
    /// Absolute paths a `RUN rm` deletes from the image (`RUN rm
    /// /etc/nginx/conf.d/default.conf`), as written.
    pub removes: Vec<String>,
}

impl Stage {
    /// The base image's name, lower case, without tag or digest
    /// (`nginx`, `php`, `nginxinc/nginx-unprivileged`).
    #[cfg(test)]
    pub fn base_image(&self) -> String {
        image_repo(&self.from)
    }

    /// The command the container runs: the entrypoint's words then the
    /// command's, and the line of the last of them.
    pub fn command(&self) -> Option<(Vec<String>, usize)> {
        match (&self.entrypoint, &self.cmd) {
            (Some((e, l)), Some((c, l2))) => Some(([e.clone(), c.clone()].concat(), (*l).max(*l2))),
            (Some(e), None) => Some(e.clone()),
            (None, Some(c)) => Some(c.clone()),
            (None, None) => None,
        }
    }

    #[cfg(test)]
    pub fn env_value(&self, key: &str) -> Option<(&str, usize)> {
        self.env
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, l)| (v.as_str(), *l))
    }
}

/// `nginx:1.27-alpine` → `nginx`, `docker.io/library/php:8-fpm` → `php`,
/// `--platform=$X python:3` is handled by the caller.
pub fn image_repo(image: &str) -> String {
    let repo = image.split(['@']).next().unwrap_or_default();
    // A tag follows the last `:` after the last `/` (a registry port
    // comes before a `/`).
    let repo = match (repo.rfind(':'), repo.rfind('/')) {
        (Some(c), Some(s)) if c > s => &repo[..c],
        (Some(c), None) => &repo[..c],
        _ => repo,
    };
    let repo = repo
        .strip_prefix("docker.io/")
        .unwrap_or(repo)
        .strip_prefix("library/")
        .unwrap_or(repo.strip_prefix("docker.io/").unwrap_or(repo));
    repo.to_ascii_lowercase()
}

/// The image tag (`1.27-alpine`, `8.2-fpm`), empty when none.
pub fn image_tag(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or_default();
    match (repo.rfind(':'), repo.rfind('/')) {
        (Some(c), Some(s)) if c > s => repo[c + 1..].to_ascii_lowercase(),
        (Some(c), None) => repo[c + 1..].to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Logical lines: (first line number, text with continuations joined).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if cur.is_none() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if cur.is_some() && t.starts_with('#') {
            continue;
        }
        let (n, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        match t.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                cur = Some((n, acc));
            }
            None => {
                acc.push_str(t);
                out.push((n, acc));
            }
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}

/// The words of `CMD`/`ENTRYPOINT`: the exec form's strings, or the shell
/// form split on blanks (as `sh -c` would, quotes removed).
fn command_words(arg: &str) -> Vec<String> {
    let arg = arg.trim();
    if arg.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(arg)
    {
        return v;
    }
    let mut words = vec!["sh".to_string(), "-c".to_string()];
    words.push(arg.to_string());
    words
}

/// `ENV A=1 B="x y"` or the legacy `ENV A 1`.
fn env_pairs(arg: &str) -> Vec<(String, String)> {
    let arg = arg.trim();
    let first = arg.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        let (k, v) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
        return vec![(k.to_string(), v.trim().to_string())];
    }
    shell_words(arg)
        .into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Blank-separated words, quotes removed (no expansion).
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every stage of a Dockerfile, in order, each with what it inherits from
/// an earlier stage it is built `FROM`.
pub fn parse(text: &str) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for (line, l) in logical_lines(text) {
        let (instr, arg) = l.split_once(char::is_whitespace).unwrap_or((&l, ""));
        let instr = instr.to_ascii_uppercase();
        if instr == "FROM" {
            stages.push(from_stage(&stages, arg, line));
            continue;
        }
        let Some(st) = stages.last_mut() else {
            continue;
        };
        match instr.as_str() {
            "ENV" => {
                for (k, v) in env_pairs(arg) {
                    st.env.push((k, v, line));
                }
            }
            "EXPOSE" => {
                for w in arg.split_whitespace() {
                    let (p, proto) = w.split_once('/').unwrap_or((w, "tcp"));
                    if let (Ok(p), true) = (p.parse(), proto.eq_ignore_ascii_case("tcp")) {
                        st.expose.push((p, line));
                    }
                }
            }
            "CMD" => st.cmd = Some((command_words(arg), line)),
            "RUN" => st.removes.extend(removed_paths(arg)),
            "USER" => {
                let user = arg.split(':').next().unwrap_or("").trim().to_string();
                st.user = Some((user, line));
            }
            "ENTRYPOINT" => {
                st.entrypoint = Some((command_words(arg), line));
                // ENTRYPOINT resets a CMD inherited from the base.
                st.cmd = None;
            }
            "COPY" | "ADD" => {
                let words: Vec<String> = if arg.trim_start().starts_with('[') {
                    serde_json::from_str(arg.trim()).unwrap_or_default()
                } else {
                    shell_words(arg)
                };
                let words: Vec<String> =
                    words.into_iter().filter(|w| !w.starts_with("--")).collect();
                // `--from=stage` copies from another stage, not the context.
                if arg.contains("--from=") {
                    continue;
                }
                if let Some((dest, srcs)) = words.split_last()
                    && !srcs.is_empty()
                {
                    st.copies.push((srcs.to_vec(), dest.clone(), line));
                }
            }
            _ => {}
        }
    }
    stages
}

/// The absolute paths the `rm` commands of a shell-form `RUN` name (the
/// commands split at `&&`, `||`, `;`; options and variables left out).
fn removed_paths(arg: &str) -> Vec<String> {
    arg.split("&&")
        .flat_map(|c| c.split("||"))
        .flat_map(|c| c.split(';'))
        .filter_map(|c| {
            let words = shell_words(c);
            (words.first().map(String::as_str) == Some("rm")).then_some(words)
        })
        .flat_map(|w| w.into_iter().skip(1))
        .filter(|w| w.starts_with('/') && !w.contains('$'))
        .collect()
}

/// A `FROM [--platform=…] image [AS name]` stage, inheriting from an
/// earlier stage of that name.
fn from_stage(stages: &[Stage], arg: &str, line: usize) -> Stage {
    let words: Vec<&str> = arg
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    let from = words.first().copied().unwrap_or_default().to_string();
    let name = match words.as_slice() {
        [_, as_, n, ..] if as_.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
        _ => None,
    };
    let parent = stages
        .iter()
        .rev()
        .find(|s| s.name.as_deref() == Some(from.to_ascii_lowercase().as_str()));
    match parent {
        Some(p) => Stage {
            name,
            from_line: line,
            copies: Vec::new(),
            ..p.clone()
        },
        None => Stage {
            name,
            from,
            from_line: line,
            ..Stage::default()
        },
    }
}

/// The stage a build uses: the named `target`, else the last.
pub fn stage<'s>(stages: &'s [Stage], target: Option<&str>) -> Option<&'s Stage> {
    match target {
        Some(t) => stages
            .iter()
            .find(|s| s.name.as_deref() == Some(t.to_ascii_lowercase().as_str())),
        None => stages.last(),
    }
}

impl Stage {
    /// The user the container starts as, when the Dockerfile sets one
    /// that is known (no `$VAR`) and not root.
    pub fn non_root_user(&self) -> Option<&(String, usize)> {
        self.user
            .as_ref()
            .filter(|(u, _)| !u.is_empty() && !u.contains('$') && u != "root" && u != "0")
    }

    /// Whether the stage copies `file` (a path under `context`, the build
    /// context directory) in: named, in a copied directory, or matched by
    /// a wildcard source.
    pub fn copies_in(&self, context: &Path, file: &Path) -> bool {
        let Ok(rel) = file.strip_prefix(context) else {
            return false;
        };
        let rel = Path::new("/").join(rel);
        self.copies.iter().flat_map(|(srcs, _, _)| srcs).any(|s| {
            if s.contains('$') || s.contains("://") {
                return false;
            }
            let src = crate::vfs::normalize(&Path::new("/").join(s.trim_start_matches("./")));
            if crate::vfs::is_glob(s) {
                return globset::Glob::new(&src.to_string_lossy())
                    .is_ok_and(|g| g.compile_matcher().is_match(&rel));
            }
            rel.starts_with(&src)
        })
    }
}

/// Who an image starts its processes as, and where the Dockerfile says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageUser {
    /// A non-root `USER`, and `Dockerfile:LINE` of it.
    User(String, String),
    /// No `USER` (or `USER root`): Docker starts it as root;
    /// `Dockerfile:LINE` of the `FROM` or `USER` that says so.
    Root(String),
}

/// The user an image built by one of `dockerfiles` runs as, when that
/// image copies any of `files` in from its build context (the
/// Dockerfile's directory). None when no such image is in view, or images
/// disagree.
pub fn image_user(dockerfiles: &[PathBuf], files: &[PathBuf]) -> Option<ImageUser> {
    let mut found: Option<ImageUser> = None;
    for df in dockerfiles {
        let Some(context) = df.parent() else { continue };
        let Ok(text) = crate::vfs::read_regular(df) else {
            continue;
        };
        let stages = parse(&String::from_utf8_lossy(&text));
        let Some(img) = stage(&stages, None) else {
            continue;
        };
        if !files.iter().any(|f| img.copies_in(context, f)) {
            continue;
        }
        let this = match img.non_root_user() {
            Some((user, line)) => ImageUser::User(user.clone(), format!("{}:{line}", df.display())),
            None => {
                let line = img.user.as_ref().map_or(img.from_line, |u| u.1);
                ImageUser::Root(format!("{}:{line}", df.display()))
            }
        };
        match (&found, &this) {
            (None, _) => found = Some(this),
            (Some(ImageUser::User(a, _)), ImageUser::User(b, _)) if a == b => {}
            (Some(ImageUser::Root(_)), ImageUser::Root(_)) => {}
            _ => return None,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_rm_paths() {
        let st = parse(
            "FROM nginx\nRUN rm /etc/nginx/conf.d/default.conf\nRUN apk add x && rm -rf /var/cache/apk/* /tmp/$X; echo rm /not\n",
        );
        assert_eq!(
            st[0].removes,
            ["/etc/nginx/conf.d/default.conf", "/var/cache/apk/*"]
        );
    }

    #[test]
    fn stages_inherit_and_targets_choose() {
        let text = "# syntax=docker/dockerfile:1.4\nFROM --platform=$BUILDPLATFORM python:3.10-alpine AS builder\nENV FLASK_RUN_PORT 8000\nENV A=1 B=\"x y\"\nEXPOSE 8000 53/udp\nCMD [\"flask\", \"run\"]\n\nFROM builder AS dev-envs\nCMD flask run \\\n  --port 9000\nFROM nginx:1.27 AS web\nCOPY --chown=nginx:nginx conf /etc/nginx/conf.d/default.conf\nCOPY --from=builder /x /y\n";
        let st = parse(text);
        assert_eq!(st.len(), 3);
        let b = stage(&st, Some("builder")).expect("builder");
        assert_eq!(b.base_image(), "python");
        assert_eq!(b.env_value("FLASK_RUN_PORT"), Some(("8000", 3)));
        assert_eq!(b.env_value("B"), Some(("x y", 4)));
        assert_eq!(b.expose, vec![(8000, 5)]);
        assert_eq!(b.command(), Some((vec!["flask".into(), "run".into()], 6)));
        let d = stage(&st, Some("dev-envs")).expect("dev");
        assert_eq!(d.expose, vec![(8000, 5)]);
        let words = d.command().map(|c| c.0).unwrap_or_default();
        assert_eq!(words[..2], ["sh", "-c"]);
        assert_eq!(shell_words(&words[2]), ["flask", "run", "--port", "9000"]);
        let w = stage(&st, None).expect("last");
        assert_eq!(w.base_image(), "nginx");
        assert_eq!(
            w.copies,
            vec![(
                vec!["conf".to_string()],
                "/etc/nginx/conf.d/default.conf".to_string(),
                12
            )]
        );
        assert_eq!(image_repo("docker.io/library/php:8.2-fpm"), "php");
        assert_eq!(image_tag("php:8.2-fpm-alpine"), "8.2-fpm-alpine");
        assert_eq!(
            image_repo("registry:5000/team/app"),
            "registry:5000/team/app"
        );
    }

    fn last(text: &str) -> Stage {
        stage(&parse(text), None).cloned().unwrap_or_default()
    }

    #[test]
    fn final_stage_user_and_sources() {
        let img = last(
            "FROM alpine AS build\nUSER builder\nCOPY src/ /src\n\nFROM php:8.2-fpm\nCMD [\"php-fpm\"]\n# USER root\nCOPY --chown=nobody conf/php-fpm-pool.conf \\\n  /usr/local/etc/php-fpm.d/www.conf\nCOPY --from=build /out /x\nADD [\"a b.conf\", \"/etc/\"]\nuser 1001:0\n",
        );
        assert_eq!(img.user, Some(("1001".into(), 12)));
        let sources: Vec<&String> = img.copies.iter().flat_map(|c| &c.0).collect();
        assert_eq!(sources, ["conf/php-fpm-pool.conf", "a b.conf"]);
        assert!(img.non_root_user().is_some());
        let ctx = Path::new("/r");
        assert!(img.copies_in(ctx, Path::new("/r/conf/php-fpm-pool.conf")));
        assert!(!img.copies_in(ctx, Path::new("/r/conf/other.conf")));
        let all = last("FROM x\nCOPY --chown=nobody rootfs/ /\nCOPY ./*.conf /etc/\nUSER root\n");
        assert!(all.copies_in(ctx, Path::new("/r/rootfs/etc/php85/php-fpm.d/www.conf")));
        assert!(all.copies_in(ctx, Path::new("/r/www.conf")));
        assert!(all.non_root_user().is_none());
        let inherit = last("FROM x AS base\nUSER app\nFROM base\nCOPY . /app\n");
        assert_eq!(inherit.non_root_user(), Some(&("app".to_string(), 2)));
        assert!(last("FROM x\nUSER ${APP_USER}\n").non_root_user().is_none());
    }
}
