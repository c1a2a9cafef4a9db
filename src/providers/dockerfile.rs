//! A Dockerfile, as far as what a container listens on and runs goes:
//! `FROM` (stages), `ENV`, `EXPOSE`, `CMD`, `ENTRYPOINT`, `COPY`/`ADD`,
//! each with its line. From the Dockerfile reference
//! (docs.docker.com/reference/dockerfile): instructions are
//! case-insensitive, a line ending in `\` continues, `#` starts a comment
//! line; `CMD`/`ENTRYPOINT` take the exec form (a JSON array) or the shell
//! form; a stage (`FROM image AS name`) starts afresh but inherits the
//! `ENV`, `EXPOSE` and `CMD` of a stage it is built `FROM`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
