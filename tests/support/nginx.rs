//! Differential-test harness: run the real `nginx -t` and our linter on the
//! same throwaway config tree and compare.
//!
//! Use it from an integration test (each file directly under `tests/` is its
//! own crate; `tests/support/` is not a test target) with:
//!
//! ```ignore
//! #[path = "support/nginx.rs"]
//! mod harness;
//! use harness::{Verdict, nginx_t, lint};
//! ```
//!
//! The API (kept small and stable; other test files rely on it):
//!
//! - [`require_nginx`]: call first in every differential test. Returns the
//!   binary; when nginx is missing it panics with how to install it, unless
//!   `NGINX_LINT_SKIP_DIFFERENTIAL=1`, then it returns `None` (skip the test).
//! - [`nginx_binary`]: `nginx` on `PATH`, if any.
//! - [`case_dir`]: a fresh, empty, canonical temporary prefix directory.
//! - [`materialize`]: copy a config tree (e.g. `testdata/realworld/<name>`)
//!   into a prefix, substituting placeholders (see [`substitutions`]).
//! - [`nginx_t`]: `nginx -t` on `DIR/nginx.conf` with `-p DIR/`, parsed into
//!   a [`Verdict`] (the first `[emerg]` line: message, file, line).
//! - [`make_cert`]: a self-signed certificate and key (generated once per
//!   run with openssl, cached under the cargo target dir), copied into a dir.
//! - [`lint`]: our findings on `DIR` as [`Lint`] rows (rule, file, line, …).
//! - [`parallel`]: run N cases on a bounded number of threads, in order.
//!
//! A prefix directory's layout: the config files at the top (`nginx.conf`
//! and whatever it includes, relative includes resolve against `DIR`), and a
//! hidden `DIR/.run/` (skipped by the linter's directory walk) that holds
//! what nginx writes or reads at `-t` time: pid file, logs, cache dirs, the
//! certificate. As root (CI), `nginx -t` opens log files, creates temp and
//! cache paths and resolves `user`; configs used here must point those
//! inside `DIR` (write `__RUN__/…`, or the Debian paths `/var/log/nginx/` and
//! `/var/cache/nginx/`, which [`materialize`] rewrites into `DIR/.run/`).
//! nginx's compiled-in temp paths (`/var/lib/nginx/*`) exist once the
//! nginx-full package is installed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use nginx_lint::finding::Severity;
use nginx_lint::{Inputs, Options};

/// Set to `1` to skip differential tests when nginx is not installed.
pub const SKIP_ENV: &str = "NGINX_LINT_SKIP_DIFFERENTIAL";

/// `nginx` found on `PATH` (or `/usr/sbin/nginx`, which is not on every
/// user's `PATH`).
pub fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// The nginx binary, or `None` when the test should be skipped
/// (`NGINX_LINT_SKIP_DIFFERENTIAL=1`). Panics when nginx is missing and
/// skipping was not asked for: a differential test must not pass silently.
pub fn require_nginx() -> Option<PathBuf> {
    if let Some(p) = nginx_binary() {
        return Some(p);
    }
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("nginx not found; differential test skipped ({SKIP_ENV}=1)");
        return None;
    }
    panic!(
        "nginx not found on PATH: differential tests need the real nginx. \
         Install it with `apt-get install nginx-full` (.ci/run does), \
         or set {SKIP_ENV}=1 to skip these tests."
    );
}

/// What `nginx -t` said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The first `[emerg]` message. `file`/`line` come from its
    /// `in FILE:LINE` suffix; they are empty/0 when it has none.
    Err {
        message: String,
        file: PathBuf,
        line: usize,
    },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok)
    }

    /// A rejection by nginx's tokenizer/parser (ngx_conf_read_token and
    /// ngx_conf_parse), as opposed to a directive handler.
    pub fn is_syntax(&self) -> bool {
        match self {
            Verdict::Ok => false,
            Verdict::Err { message, .. } => is_syntax_message(message),
        }
    }
}

/// nginx's tokenizer/parser messages: `unexpected "X"`, `unexpected end of
/// file, expecting …`, `too long parameter…`, `unexpected end of parameter…`.
pub fn is_syntax_message(message: &str) -> bool {
    message.starts_with("unexpected \"")
        || message.starts_with("unexpected end of file")
        || message.starts_with("unexpected end of parameter")
        || message.starts_with("too long parameter")
}

/// A fresh temporary prefix directory (canonical path, so that the paths
/// nginx prints and the ones we print compare equal). Deleted on drop.
pub fn case_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("nginx-lint-diff-")
        .tempdir()
        .expect("create a temporary directory")
}

/// Canonical path of a directory (for comparing with nginx's paths).
pub fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// `DIR/.run`, created with its `logs/` and `cache/` subdirectories.
pub fn run_dir(prefix_dir: &Path) -> PathBuf {
    let run = canonical(prefix_dir).join(".run");
    for sub in ["logs", "cache"] {
        std::fs::create_dir_all(run.join(sub)).expect("create DIR/.run");
    }
    run
}

/// Run `nginx -t -q -p DIR/ -c DIR/nginx.conf`. A `-g "pid DIR/.run/nginx.pid;"`
/// is added unless nginx.conf has its own `pid` line (nginx rejects a
/// duplicate). The compiled-in error log is stderr, so messages land there.
pub fn nginx_t(prefix_dir: &Path) -> Verdict {
    let nginx = nginx_binary().expect("nginx is installed (call require_nginx first)");
    let dir = canonical(prefix_dir);
    let run = run_dir(&dir);
    let conf = dir.join("nginx.conf");
    let text = std::fs::read(&conf).unwrap_or_default();
    let has_pid = String::from_utf8_lossy(&text).lines().any(|l| {
        let t = l.trim_start();
        t.strip_prefix("pid")
            .is_some_and(|r| r.starts_with([' ', '\t']))
    });
    let mut cmd = Command::new(nginx);
    cmd.arg("-t").arg("-q");
    cmd.arg("-p").arg(format!("{}/", dir.display()));
    cmd.arg("-c").arg(&conf);
    if !has_pid {
        cmd.arg("-g")
            .arg(format!("pid {};", run.join("nginx.pid").display()));
    }
    let out = cmd.output().expect("run nginx -t");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        return Verdict::Ok;
    }
    parse_emerg(&stderr).unwrap_or_else(|| Verdict::Err {
        message: stderr.trim().to_string(),
        file: PathBuf::new(),
        line: 0,
    })
}

/// Parse the first `[emerg]` line of nginx's stderr:
/// `2024/01/01 00:00:00 [emerg] 12#12: MESSAGE in FILE:LINE` (or
/// `nginx: [emerg] MESSAGE in FILE:LINE`).
pub fn parse_emerg(stderr: &str) -> Option<Verdict> {
    let line = stderr.lines().find(|l| l.contains("[emerg] "))?;
    let (_, rest) = line.split_once("[emerg] ")?;
    // Drop the `PID#TID: ` part when present.
    let rest = match rest.split_once(": ") {
        Some((pid, msg)) if pid.bytes().all(|b| b.is_ascii_digit() || b == b'#') => msg,
        _ => rest,
    };
    if let Some((message, loc)) = rest.rsplit_once(" in ")
        && let Some((file, line)) = loc.rsplit_once(':')
        && let Ok(line) = line.trim().parse::<usize>()
    {
        return Some(Verdict::Err {
            message: message.to_string(),
            file: PathBuf::from(file),
            line,
        });
    }
    Some(Verdict::Err {
        message: rest.to_string(),
        file: PathBuf::new(),
        line: 0,
    })
}

/// A certificate and its key.
#[derive(Clone, Debug)]
pub struct Cert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The self-signed pair, generated once (and reused across runs while it
/// is less than a day old) under the cargo target dir.
fn cached_cert() -> &'static Cert {
    static CERT: OnceLock<Cert> = OnceLock::new();
    CERT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nginx-lint-cert");
        std::fs::create_dir_all(&dir).expect("create the certificate cache dir");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let fresh = std::fs::metadata(&cert)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() < 86_400)
            && key.is_file();
        if !fresh {
            // Generate beside, then rename: other test binaries may be
            // doing the same at the same time.
            let tag = std::process::id();
            let (tc, tk) = (
                dir.join(format!("cert.{tag}")),
                dir.join(format!("key.{tag}")),
            );
            let out = Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
                .args(["-subj", "/CN=test", "-days", "2"])
                .arg("-keyout")
                .arg(&tk)
                .arg("-out")
                .arg(&tc)
                .output()
                .expect("run openssl (needed for TLS test configs)");
            assert!(
                out.status.success(),
                "openssl req failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::rename(&tk, &key).expect("store key");
            std::fs::rename(&tc, &cert).expect("store cert");
        }
        Cert { cert, key }
    })
}

/// Copy the cached self-signed certificate and key into `dir` (as
/// `cert.pem`/`key.pem`) and return their paths.
pub fn make_cert(dir: &Path) -> Cert {
    let c = cached_cert();
    std::fs::create_dir_all(dir).expect("create the certificate dir");
    let out = Cert {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::copy(&c.cert, &out.cert).expect("copy cert");
    std::fs::copy(&c.key, &out.key).expect("copy key");
    out
}

/// The placeholders [`materialize`] replaces, for a prefix `dir`:
/// `__DIR__` (the prefix), `__RUN__` (`DIR/.run`), `__CERT__`/`__KEY__` (a
/// self-signed pair in `DIR/.run/tls`), and the Debian paths
/// `/var/log/nginx/` and `/var/cache/nginx/` (into `DIR/.run/`). No
/// replacement contains a newline, so line numbers are kept.
pub fn substitutions(dir: &Path) -> Vec<(String, String)> {
    let dir = canonical(dir);
    let run = run_dir(&dir);
    let cert = make_cert(&run.join("tls"));
    vec![
        ("__DIR__".into(), dir.display().to_string()),
        ("__RUN__".into(), run.display().to_string()),
        ("__CERT__".into(), cert.cert.display().to_string()),
        ("__KEY__".into(), cert.key.display().to_string()),
        (
            "/var/log/nginx/".into(),
            format!("{}/", run.join("logs").display()),
        ),
        (
            "/var/cache/nginx/".into(),
            format!("{}/", run.join("cache").display()),
        ),
    ]
}

/// Replace every `from` with `to`, on bytes (CRLF and non-UTF-8 survive).
pub fn substitute(text: &[u8], subs: &[(String, String)]) -> Vec<u8> {
    let mut out = text.to_vec();
    for (from, to) in subs {
        let from = from.as_bytes();
        if from.is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(from) {
                next.extend_from_slice(to.as_bytes());
                i += from.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

/// Every file under `src` (relative paths, sorted), hidden entries included.
pub fn tree_files(src: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read a config tree")
            .map(|e| e.expect("read a directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(base, &p, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(src, src, &mut out);
    out
}

/// Copy the config tree `src` into the prefix `dst`, applying
/// [`substitutions`]. `replace` gives new contents (before substitution) for
/// some relative paths, e.g. a mutated file.
pub fn materialize(src: &Path, dst: &Path, replace: &[(PathBuf, Vec<u8>)]) {
    let subs = substitutions(dst);
    for rel in tree_files(src) {
        let text = match replace.iter().find(|(p, _)| *p == rel) {
            Some((_, t)) => t.clone(),
            None => std::fs::read(src.join(&rel)).expect("read a corpus file"),
        };
        let to = dst.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("create a config dir");
        }
        std::fs::write(&to, substitute(&text, &subs)).expect("write a config file");
    }
}

/// One of our findings, flattened for comparison with nginx.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    pub rule: String,
    /// The file as we display it (absolute when `DIR` is).
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based line of the span's end (nginx names the line of a
    /// directive's `;` or `{`, the last line of a multi-line directive).
    pub end_line: usize,
    /// Related locations (file, 1-based line).
    pub related: Vec<(PathBuf, usize)>,
    pub severity: Severity,
    pub message: String,
}

/// The installed nginx's version (`nginx -v`), so that our linter judges
/// with the directive table of the nginx it is compared with.
pub fn installed_version() -> Option<nginx_lint::nginx::schema::Version> {
    static V: OnceLock<Option<nginx_lint::nginx::schema::Version>> = OnceLock::new();
    *V.get_or_init(|| {
        let out = Command::new(nginx_binary()?).arg("-v").output().ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let v = text.split("nginx/").nth(1)?.split_whitespace().next()?;
        nginx_lint::settings::parse_version(v)
    })
}

/// Run our linter on the prefix `dir` (walked as a directory, conf prefix =
/// `dir`, as `nginx -p DIR/ -c DIR/nginx.conf` sees it), for the installed
/// nginx's version.
pub fn lint(dir: &Path) -> Vec<Lint> {
    let mut settings = nginx_lint::settings::Settings::default();
    if let Some(v) = installed_version() {
        settings.nginx_version = v;
    }
    lint_with(dir, settings)
}

/// [`lint`] with explicit settings.
pub fn lint_with(dir: &Path, settings: nginx_lint::settings::Settings) -> Vec<Lint> {
    let dir = canonical(dir);
    let opts = Options {
        inputs: Inputs {
            paths: vec![dir.clone()],
            prefix: Some(dir),
            ..Inputs::default()
        },
        settings,
    };
    let outcome = nginx_lint::run(&opts).expect("the linter runs");
    let sources = &outcome.loaded.sources;
    outcome
        .findings
        .iter()
        .map(|f| {
            let src = sources.get(f.span.file);
            Lint {
                rule: f.rule.to_string(),
                file: PathBuf::from(&src.display),
                line: src.line_col(f.span.start).0,
                end_line: src
                    .line_col(f.span.end.saturating_sub(1).max(f.span.start))
                    .0,
                related: f
                    .related
                    .iter()
                    .map(|r| {
                        let rs = sources.get(r.span.file);
                        (PathBuf::from(&rs.display), rs.line_col(r.span.start).0)
                    })
                    .collect(),
                severity: f.severity,
                message: f.message.clone(),
            }
        })
        .collect()
}

/// Run `f` on every item with at most `threads` threads (the test machines
/// have 2 cores); results come back in the items' order.
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, items.len().max(1));
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_emerg_lines() {
        let e = "2026/01/01 00:00:00 [emerg] 28746#28746: unexpected \"}\" in /tmp/x/nginx.conf:3\n\
                 nginx: configuration file /tmp/x/nginx.conf test failed\n";
        assert_eq!(
            parse_emerg(e),
            Some(Verdict::Err {
                message: "unexpected \"}\"".into(),
                file: "/tmp/x/nginx.conf".into(),
                line: 3
            })
        );
        let e = "nginx: [emerg] open() \"/x\" failed (2: No such file or directory)\n";
        assert!(matches!(parse_emerg(e), Some(Verdict::Err { line: 0, .. })));
    }
}
