//! Hostile input (issue 10): the binary never crashes, never hangs, never
//! lies. Every case runs the real binary in a throwaway directory and checks:
//!
//! - it ends on its own: a wall-clock deadline ([`HANG`]) kills it and fails
//!   the case (a generous deadline, since CI machines are shared; the speed
//!   requirement is checked on CPU time instead, see [`CPU_LIMIT`]);
//! - exit code 0, 1 or 2, never a signal;
//! - no panic message on stderr;
//! - with `--format json` and exit 0/1, exactly one JSON document on stdout;
//!   with exit 2, nothing on stdout and a `nginx-lint: ...` reason on stderr;
//! - peak RSS (VmHWM of the child, polled every 2 ms) under a bound;
//! - user+system CPU time under [`CPU_LIMIT`];
//! - the directory it ran in is unchanged (nothing written, nothing removed);
//! - a file that could not be read shows up, as a finding or a skipped note.
//!
//! Permission bits: CI runs as root, where `chmod 000` does not stop a read.
//! The unreadable-file case checks the finding only when not root; the
//! message path itself is covered for everyone by
//! `unreadable_include_surfaces_through_fs`, which uses a file system that
//! refuses the read.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Wall clock after which a run counts as hung.
const HANG: Duration = Duration::from_secs(60);
/// CPU time (user + system) a case may use: "each finishing in < 2 s", for
/// an optimised build (`cargo test --release --test hostile`). The binary
/// of a debug test build is unoptimised (5 to 20 times slower), so there the
/// limit only catches blow-ups: 2 s × 10.
const CPU_LIMIT: Duration = Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 2 });
/// Default peak RSS bound, in KiB.
const MEM_DEFAULT_KB: u64 = 256 * 1024;

struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    cpu: Duration,
    /// Peak RSS in KiB: the highest VmHWM seen while polling.
    peak_kb: u64,
}

impl Outcome {
    /// Exactly one JSON document (and nothing but whitespace after it).
    /// Without serde_json's recursion limit: `dump` of a tree nested to the
    /// parser's cap is deeper than 128 levels, which is valid JSON.
    fn json(&self) -> Value {
        use serde::Deserialize;
        let mut de = serde_json::Deserializer::from_slice(&self.stdout);
        de.disable_recursion_limit();
        let doc = Value::deserialize(&mut de).expect("one valid JSON document on stdout");
        de.end().expect("nothing after the JSON document");
        doc
    }
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Run the binary in `dir` with `args` (and `stdin`), enforcing the deadline,
/// and measure CPU time and peak RSS of exactly this child.
// The child is reaped by `libc::wait4` (which also gives its CPU time), not
// by `Child::wait`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_in(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nginx-lint"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawns");
    let pid = child.id() as libc::pid_t;
    let writer = stdin.map(|data| {
        let mut w = child.stdin.take().expect("stdin");
        // A closed pipe (input over the cap) is the binary's right.
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        })
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let mut peak_kb = 0;
    let (status, usage) = loop {
        if let Some(kb) = vm_hwm(pid) {
            peak_kb = peak_kb.max(kb);
        }
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (status, ru);
        }
        assert!(r >= 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if start.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hung: killed after {HANG:?} (args {args:?})");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out_t.join().expect("stdout reader");
    let stderr = String::from_utf8_lossy(&err_t.join().expect("stderr reader")).into_owned();
    assert!(
        libc::WIFEXITED(status),
        "killed by signal {} (args {args:?}); stderr: {stderr}",
        libc::WTERMSIG(status)
    );
    Outcome {
        code: libc::WEXITSTATUS(status),
        stdout,
        stderr,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_kb,
    }
}

/// The child's peak RSS so far (VmHWM, KiB), once it runs our binary.
/// `ru_maxrss` from wait4 cannot be used: Linux carries the forking
/// process's high-water mark across exec, so every child would report this
/// (large) test process's peak.
fn vm_hwm(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut lines = status.lines();
    // Before exec the child is still a copy of us.
    if lines.next()? != "Name:\tnginx-lint" {
        return None;
    }
    let line = lines.find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a directory holds, without following symlinks: to prove a run
/// wrote, removed and changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p, (m.len(), m.modified().ok(), m.mode()));
        }
    }
    out
}

/// The checks every case shares. Returns the JSON document (None on exit 2).
fn check(name: &str, dir: &Path, o: &Outcome, mem_kb: u64) -> Option<Value> {
    // Shown with --nocapture: the numbers behind the limits.
    eprintln!(
        "{name}: exit {}, {:.3} s CPU, peak RSS {} KiB",
        o.code,
        o.cpu.as_secs_f64(),
        o.peak_kb
    );
    assert!(
        (0..=2).contains(&o.code),
        "{name}: exit code {} (stderr: {})",
        o.code,
        o.stderr
    );
    assert!(
        !o.stderr.contains("internal error") && !o.stderr.contains("panicked"),
        "{name}: panic: {}",
        o.stderr
    );
    assert!(
        o.cpu < CPU_LIMIT,
        "{name}: used {:?} of CPU (limit {CPU_LIMIT:?})",
        o.cpu
    );
    assert!(
        o.peak_kb < mem_kb,
        "{name}: peak RSS {} KiB (limit {mem_kb} KiB)",
        o.peak_kb
    );
    let _ = dir;
    if o.code == 2 {
        assert!(o.stdout.is_empty(), "{name}: exit 2 with output on stdout");
        assert!(
            o.stderr.starts_with("nginx-lint: "),
            "{name}: exit 2 without a reason: {}",
            o.stderr
        );
        return None;
    }
    Some(o.json())
}

/// A throwaway directory with `files` written into it.
fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    dir
}

/// Run `--format json --no-discover ARGS` in `dir` with all the checks;
/// also that the directory is unchanged.
fn lint(name: &str, dir: &Path, args: &[&str], mem_kb: u64) -> (Outcome, Option<Value>) {
    lint_stdin(name, dir, args, None, mem_kb)
}

fn lint_stdin(
    name: &str,
    dir: &Path,
    args: &[&str],
    stdin: Option<Vec<u8>>,
    mem_kb: u64,
) -> (Outcome, Option<Value>) {
    let before = snapshot(dir);
    let mut all = vec!["--format", "json", "--no-discover"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all, stdin);
    let doc = check(name, dir, &o, mem_kb);
    if let Some(doc) = &doc {
        assert_eq!(doc["version"], 1, "{name}");
        assert!(doc["findings"].is_array(), "{name}");
    }
    assert!(before == snapshot(dir), "{name}: the tree changed");
    (o, doc)
}

fn messages(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| format!("{}: {}", f["rule"].as_str().unwrap_or(""), f["message"]))
                .collect()
        })
        .unwrap_or_default()
}

fn skipped(doc: &Value) -> Vec<String> {
    doc["skipped"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| format!("{}: {}", s["path"], s["reason"]))
                .collect()
        })
        .unwrap_or_default()
}

fn has_finding(doc: &Value, rule: &str, needle: &str) -> bool {
    doc["findings"].as_array().is_some_and(|a| {
        a.iter()
            .any(|f| f["rule"] == rule && f["message"].as_str().is_some_and(|m| m.contains(needle)))
    })
}

fn has_skipped(doc: &Value, needle: &str) -> bool {
    skipped(doc).iter().any(|s| s.contains(needle))
}

/// A named file either counts as linted or is listed as skipped.
fn surfaced(doc: &Value) -> bool {
    doc["summary"]["files"].as_u64().unwrap_or(0) > 0 || !skipped(doc).is_empty()
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// Watch a FIFO: a thread blocks opening its write end, which only returns
/// once someone opens the read end. `finish` releases the thread and tells
/// whether anyone (the binary) opened it meanwhile.
struct FifoWatch {
    opened: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    path: PathBuf,
}

impl FifoWatch {
    fn new(path: &Path) -> FifoWatch {
        let opened = Arc::new(AtomicBool::new(false));
        let flag = opened.clone();
        let p = path.to_path_buf();
        let thread = std::thread::spawn(move || {
            if let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&p) {
                flag.store(true, Ordering::SeqCst);
                let _ = w.write_all(b"events {}\n");
            }
        });
        // Let the thread reach its blocking open.
        std::thread::sleep(Duration::from_millis(50));
        FifoWatch {
            opened,
            thread,
            path: path.to_path_buf(),
        }
    }

    fn finish(self) -> bool {
        let was_opened = self.opened.load(Ordering::SeqCst);
        if !was_opened {
            // Open the read end ourselves (non-blocking) so the writer's
            // open returns, then drop it.
            use std::os::unix::fs::OpenOptionsExt;
            let _r = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.path);
            let _ = self.thread.join();
        } else {
            let _ = self.thread.join();
        }
        was_opened
    }
}

// ---------------------------------------------------------------- contents

#[test]
fn empty_file() {
    let t = tree(&[("site.conf", b"")]);
    let (o, doc) = lint("empty", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 0);
    assert!(surfaced(&doc.expect("json")));
}

#[test]
fn only_comments() {
    let body = "# a comment\n#\n    # indented\n".repeat(1000);
    let t = tree(&[("site.conf", body.as_bytes())]);
    let (o, doc) = lint("comments", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 0);
    assert!(messages(&doc.expect("json")).is_empty());
}

#[test]
fn random_bytes() {
    for seed in 1..=8u64 {
        let body = noise(256 * 1024, seed);
        let t = tree(&[("site.conf", &body)]);
        let (o, doc) = lint("random (file)", t.path(), &["site.conf"], MEM_DEFAULT_KB);
        // Read as nginx, or passed over as binary: then the run fails
        // (nothing was linted) and says why.
        match doc {
            Some(doc) => assert!(surfaced(&doc), "seed {seed}"),
            None => assert!(
                o.stderr.contains("binary file"),
                "seed {seed}: {}",
                o.stderr
            ),
        }
        // Through stdin there is no classification: the parser sees it all.
        lint_stdin(
            "random (stdin)",
            t.path(),
            &["-"],
            Some(body),
            MEM_DEFAULT_KB,
        );
    }
}

#[test]
fn random_printable_bytes() {
    // Bytes nginx's lexer cares about, densely: braces, quotes, escapes.
    let alphabet = b"ab {};\"'\\$#\n\r\t()";
    for seed in 1..=8u64 {
        let body: Vec<u8> = noise(64 * 1024, seed)
            .into_iter()
            .map(|b| alphabet[b as usize % alphabet.len()])
            .collect();
        let t = tree(&[]);
        lint_stdin(
            "printable noise",
            t.path(),
            &["-"],
            Some(body),
            MEM_DEFAULT_KB,
        );
    }
}

#[test]
fn nul_bytes() {
    let body = [b"events {}\n".as_slice(), &[0u8; 4096], b"\nhttp {}\n"].concat();
    let t = tree(&[("site.conf", &body)]);
    // The only file named is passed over: the run fails and says why.
    let (o, doc) = lint("nul (file)", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert!(doc.is_none() && o.code == 2);
    assert!(
        o.stderr
            .contains("(1 file skipped: binary file: site.conf)"),
        "{}",
        o.stderr
    );
    lint_stdin("nul (stdin)", t.path(), &["-"], Some(body), MEM_DEFAULT_KB);
}

#[test]
fn utf16_with_bom() {
    let mut body = vec![0xff, 0xfe];
    for u in "server { listen 80; }\n".encode_utf16() {
        body.extend_from_slice(&u.to_le_bytes());
    }
    let t = tree(&[("site.conf", &body)]);
    let (o, doc) = lint("utf-16", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert!(doc.is_none() && o.code == 2);
    assert!(o.stderr.contains("UTF-16 text: site.conf"), "{}", o.stderr);
    lint_stdin(
        "utf-16 (stdin)",
        t.path(),
        &["-"],
        Some(body),
        MEM_DEFAULT_KB,
    );
}

#[test]
fn latin1() {
    // `café` in Latin-1, and a syntax error after it so a message and a
    // column are computed on the non-UTF-8 line.
    let body = b"server { server_name caf\xe9 ; listen 80 }\n";
    let t = tree(&[("site.conf", body)]);
    let (o, doc) = lint("latin-1", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 1);
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "syntax", "unexpected \"}\""),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn crlf_and_lone_cr() {
    let ok = b"events {}\r\nhttp {\r server { listen 80;\r}\r\n}\r\n";
    let t = tree(&[("nginx.conf", ok)]);
    let (o, doc) = lint("crlf", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    let doc = doc.expect("json");
    assert!(!has_finding(&doc, "syntax", ""), "{:?}", messages(&doc));
    assert_eq!(o.code, 0, "{:?}", messages(&doc));
    // An error after lone CRs: nginx counts lines by LF only.
    let bad = b"events {}\rhttp {\r\n listen 80\r}\r\n";
    let t = tree(&[("nginx.conf", bad)]);
    let (_, doc) = lint("lone cr", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    let doc = doc.expect("json");
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "syntax");
    assert_eq!(f["line"], 2, "{f}");
}

#[test]
fn token_of_16_mib() {
    let mut body = b"events {}\nhttp { server_name ".to_vec();
    body.resize(body.len() + 16 * 1024 * 1024, b'x');
    body.extend_from_slice(b"; }\n");
    let t = tree(&[("nginx.conf", &body)]);
    let (o, doc) = lint("16 MiB token", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 1);
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "syntax", "too long parameter"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn two_million_arguments() {
    let mut body = b"events {}\nhttp { server_name".to_vec();
    for _ in 0..2_000_000 {
        body.extend_from_slice(b" x");
    }
    body.extend_from_slice(b"; }\n");
    let t = tree(&[("nginx.conf", &body)]);
    lint("2M args", t.path(), &["nginx.conf"], 512 * 1024);
}

#[test]
fn nesting_100000_deep() {
    let body = "a {".repeat(100_000) + &"}".repeat(100_000);
    let t = tree(&[("site.conf", body.as_bytes())]);
    let (o, doc) = lint("deep", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 1);
    let doc = doc.expect("json");
    // nginx has no nesting limit: not a syntax error, a note that the
    // inside is not checked.
    assert!(
        !has_finding(&doc, "syntax", "nested deeper"),
        "{:?}",
        messages(&doc)
    );
    assert!(has_skipped(&doc, "nested deeper than 128"), "{doc}");
    // Unclosed, too.
    let body = "a {".repeat(100_000);
    let t = tree(&[("site.conf", body.as_bytes())]);
    lint("deep, unclosed", t.path(), &["site.conf"], MEM_DEFAULT_KB);
}

#[test]
fn siblings_100000() {
    let mut body = String::from("events {}\nhttp {\n");
    for i in 0..100_000 {
        body.push_str(&format!("server {{ listen {}; }}\n", 1024 + i % 60000));
    }
    body.push_str("}\n");
    let t = tree(&[("nginx.conf", body.as_bytes())]);
    lint("siblings", t.path(), &["nginx.conf"], 512 * 1024);
}

#[test]
fn unterminated_quote_at_eof() {
    for body in [
        "events {}\nhttp { add_header X \"abc",
        "a 'b",
        "\"",
        "a \"\\",
    ] {
        let t = tree(&[("nginx.conf", body.as_bytes())]);
        let (o, doc) = lint(
            "unterminated quote",
            t.path(),
            &["nginx.conf"],
            MEM_DEFAULT_KB,
        );
        assert_eq!(o.code, 1, "{body:?}");
        let doc = doc.expect("json");
        assert!(
            has_finding(&doc, "syntax", "unexpected end of file"),
            "{:?}",
            messages(&doc)
        );
    }
}

// ---------------------------------------------------------------- includes

fn include_case(name: &str, target: &str, setup: impl FnOnce(&Path)) -> (tempfile::TempDir, Value) {
    include_case_with(name, target, &[], setup)
}

/// [`include_case`] with more flags (`--live`: the host's files are read,
/// as on a server, instead of a repository's).
fn include_case_with(
    name: &str,
    target: &str,
    flags: &[&str],
    setup: impl FnOnce(&Path),
) -> (tempfile::TempDir, Value) {
    let conf = format!("events {{}}\nhttp {{ include {target}; }}\n");
    let t = tree(&[("nginx.conf", conf.as_bytes())]);
    setup(t.path());
    let mut args = flags.to_vec();
    args.push("nginx.conf");
    let (o, doc) = lint(name, t.path(), &args, MEM_DEFAULT_KB);
    assert_eq!(o.code, 1, "{name}: {}", o.stderr);
    (t, doc.expect("json"))
}

#[test]
fn include_dev_zero() {
    // Read as the host (--live): refused as a device.
    let (_t, doc) = include_case_with("include /dev/zero", "/dev/zero", &["--live"], |_| {});
    assert!(
        has_finding(&doc, "include-missing", "device"),
        "{:?}",
        messages(&doc)
    );
    // In a repository: outside it, never opened.
    let conf = b"events {}\nhttp { include /dev/zero; }\n";
    let t = tree(&[("nginx.conf", conf)]);
    let (_, doc) = lint(
        "include /dev/zero (repo)",
        t.path(),
        &["nginx.conf"],
        MEM_DEFAULT_KB,
    );
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "outside-repository", "/dev/zero"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn include_fifo_is_never_opened() {
    let t = tree(&[(
        "nginx.conf",
        b"events {}\nhttp { include fifo; include fifo*; }\n",
    )]);
    let fifo = t.path().join("fifo");
    mkfifo(&fifo);
    let watch = FifoWatch::new(&fifo);
    let (_, doc) = lint("include fifo", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    assert!(!watch.finish(), "the FIFO was opened");
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "include-missing", "FIFO"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn walked_fifo_is_never_opened() {
    let t = tree(&[("nginx.conf", b"events {}\n")]);
    let fifo = t.path().join("pipe.conf");
    mkfifo(&fifo);
    let watch = FifoWatch::new(&fifo);
    let (_, doc) = lint("walked fifo", t.path(), &["."], MEM_DEFAULT_KB);
    assert!(!watch.finish(), "the FIFO was opened");
    assert!(has_skipped(&doc.expect("json"), "pipe.conf"));
}

#[test]
fn named_fifo_fails_the_run_without_opening_it() {
    let t = tree(&[]);
    let fifo = t.path().join("pipe.conf");
    mkfifo(&fifo);
    let watch = FifoWatch::new(&fifo);
    let (o, _) = lint("named fifo", t.path(), &["pipe.conf"], MEM_DEFAULT_KB);
    assert!(!watch.finish(), "the FIFO was opened");
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("FIFO"), "{}", o.stderr);
}

/// A symlink into /proc was read as a regular file (size 0, then our own
/// environment): now refused by the file system it lands on.
#[test]
fn include_symlink_into_proc() {
    // Read as the host (--live): refused as a pseudo-file.
    let (_t, doc) = include_case_with("include /proc via symlink", "env.conf", &["--live"], |d| {
        std::os::unix::fs::symlink("/proc/self/environ", d.join("env.conf")).expect("symlink");
    });
    assert!(
        has_finding(&doc, "include-missing", "kernel pseudo-file"),
        "{:?}",
        messages(&doc)
    );
    // In a repository the link leaves it: never read.
    let conf = b"events {}\nhttp { include env.conf; }\n";
    let t = tree(&[("nginx.conf", conf)]);
    std::os::unix::fs::symlink("/proc/self/environ", t.path().join("env.conf")).expect("symlink");
    let (_, doc) = lint(
        "include /proc (repo)",
        t.path(),
        &["nginx.conf"],
        MEM_DEFAULT_KB,
    );
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "outside-repository", "env.conf"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn include_directory() {
    let (_t, doc) = include_case("include dir", "conf.d", |d| {
        std::fs::create_dir(d.join("conf.d")).expect("mkdir");
    });
    assert!(
        has_finding(&doc, "include-missing", "is a directory"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn include_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let conf = b"events {}\nhttp { include secret.conf; }\n";
    let t = tree(&[
        ("nginx.conf", conf),
        ("secret.conf", b"server { listen 80; }\n"),
    ]);
    let secret = t.path().join("secret.conf");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let (_, doc) = lint("no permission", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    let doc = doc.expect("json");
    if !is_root() {
        assert!(
            has_finding(&doc, "include-missing", "permission denied"),
            "{:?}",
            messages(&doc)
        );
    }
    // As root the read succeeds (permission bits do not bind root); see
    // unreadable_include_surfaces_through_fs for the message.
}

/// The unreadable-file path for everyone, root included: a file system that
/// refuses one read, as the kernel does for a user without permission.
#[test]
fn unreadable_include_surfaces_through_fs() {
    use nginx_lint::nginx::include::Loader;
    use nginx_lint::source::SourceMap;
    use nginx_lint::vfs::{Fs, FsError, MemFs};
    struct Deny(MemFs);
    impl Fs for Deny {
        fn read(&self, path: &Path) -> Result<Arc<[u8]>, FsError> {
            if path.ends_with("secret.conf") {
                return Err(FsError::PermissionDenied);
            }
            self.0.read(path)
        }
        fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
            self.0.glob(pattern)
        }
    }
    let mut mem = MemFs::new();
    mem.insert(
        "/etc/nginx/nginx.conf",
        "http { include secret.conf; include s*.conf; }",
    );
    mem.insert("/etc/nginx/secret.conf", "server {}");
    let fs = Deny(mem);
    let mut sources = SourceMap::new();
    let display = |p: &Path| p.display().to_string();
    let mut l = Loader::new(&fs, &mut sources, &display);
    let id = l.load(Path::new("/etc/nginx/nginx.conf")).expect("root");
    l.expand(id, Path::new("/etc/nginx"));
    let msgs: Vec<_> = l.findings.iter().map(|f| f.message.clone()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs.iter().all(|m| m.contains("permission denied")),
        "{msgs:?}"
    );
}

#[test]
fn include_itself() {
    let (_t, doc) = include_case("include self", "nginx.conf", |_| {});
    assert!(
        has_finding(&doc, "include-cycle", "already being included"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn include_symlink_loop() {
    let (_t, doc) = include_case("include loop", "loop1", |d| {
        std::os::unix::fs::symlink("loop2", d.join("loop1")).expect("symlink");
        std::os::unix::fs::symlink("loop1", d.join("loop2")).expect("symlink");
    });
    assert!(
        has_finding(&doc, "include-missing", "symlink loop"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn walked_symlink_loops() {
    let t = tree(&[("nginx.conf", b"events {}\n")]);
    std::os::unix::fs::symlink("loop2", t.path().join("loop1")).expect("symlink");
    std::os::unix::fs::symlink("loop1", t.path().join("loop2")).expect("symlink");
    std::fs::create_dir(t.path().join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", t.path().join("sub/up")).expect("symlink");
    let (_, doc) = lint("walked loops", t.path(), &["."], MEM_DEFAULT_KB);
    let doc = doc.expect("json");
    assert!(has_skipped(&doc, "loop1"), "{:?}", skipped(&doc));
    assert!(has_skipped(&doc, "symlink loop"), "{:?}", skipped(&doc));
}

/// A file included twice by a file included twice, 30 levels down: 2^30
/// visits if walked naively. The walk budget stops it, and says so.
#[test]
fn exponential_includes() {
    let t = tree(&[("nginx.conf", b"events {}\nhttp { include f0.conf; }\n")]);
    let n = 30;
    for i in 0..n {
        let body = format!("include f{}.conf; include f{}.conf;\n", i + 1, i + 1);
        std::fs::write(t.path().join(format!("f{i}.conf")), body).expect("write");
    }
    std::fs::write(t.path().join(format!("f{n}.conf")), "add_header X y;\n").expect("write");
    let (_, doc) = lint(
        "exponential includes",
        t.path(),
        &["nginx.conf"],
        MEM_DEFAULT_KB,
    );
    let doc = doc.expect("json");
    assert!(has_skipped(&doc, "only the first"), "{:?}", skipped(&doc));
}

#[test]
fn glob_matching_100000_files() {
    let t = tree(&[(
        "nginx.conf",
        b"events {}\nhttp { include conf.d/*.conf; }\n",
    )]);
    let d = t.path().join("conf.d");
    std::fs::create_dir(&d).expect("mkdir");
    for i in 0..100_000 {
        std::fs::File::create(d.join(format!("{i:06}.conf"))).expect("create");
    }
    std::fs::write(d.join("000000.conf"), "server { listen 80; }\n").expect("write");
    let (o, doc) = lint("glob 100k", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let doc = doc.expect("json");
    assert_eq!(doc["summary"]["files"], 100_001);
}

// ---------------------------------------------------------------- size cap

fn sparse(path: &Path, len: u64) {
    let f = std::fs::File::create(path).expect("create");
    f.set_len(len).expect("set_len");
}

#[test]
fn file_of_200_mib() {
    let t = tree(&[("nginx.conf", b"events {}\nhttp { include big.conf; }\n")]);
    sparse(&t.path().join("big.conf"), 200 * 1024 * 1024);
    // Included: a finding.
    let (o, doc) = lint("200 MiB include", t.path(), &["nginx.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 1);
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "include-missing", "over the 64 MiB limit"),
        "{:?}",
        messages(&doc)
    );
    // Walked: a skipped note.
    let (_, doc) = lint("200 MiB walked", t.path(), &["."], MEM_DEFAULT_KB);
    let doc = doc.expect("json");
    assert!(
        has_skipped(&doc, "over the 64 MiB limit"),
        "{:?}",
        skipped(&doc)
    );
    // Named: the run fails (exit 2) with the reason; never exit 0.
    let (o, _) = lint("200 MiB named", t.path(), &["big.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("over the 64 MiB limit"), "{}", o.stderr);
}

#[test]
fn stdin_over_the_cap() {
    let t = tree(&[]);
    let body = vec![b'#'; 64 * 1024 * 1024 + 10];
    let (o, _) = lint_stdin("stdin 64 MiB", t.path(), &["-"], Some(body), MEM_DEFAULT_KB);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("64 MiB"), "{}", o.stderr);
}

// ---------------------------------------------------------------- php-fpm

fn fpm_case(name: &str, files: &[(&str, &[u8])], mem_kb: u64) -> Value {
    let t = tree(files);
    std::fs::create_dir(t.path().join("nginx")).expect("mkdir");
    let (o, doc) = lint(
        name,
        t.path(),
        &["--php-fpm", "php-fpm.conf", "nginx"],
        mem_kb,
    );
    assert!(o.code <= 1, "{name}: {}", o.stderr);
    doc.expect("json")
}

#[test]
fn fpm_garbage_lines() {
    let mut body = b"[global]\npid = /run/php.pid\n[www]\nlisten = /run/www.sock\n".to_vec();
    for (i, line) in noise(200_000, 7).chunks(97).enumerate() {
        body.extend_from_slice(line);
        body.push(if i % 3 == 0 { b'\r' } else { b'\n' });
    }
    let doc = fpm_case("fpm garbage", &[("php-fpm.conf", &body)], MEM_DEFAULT_KB);
    assert!(has_finding(&doc, "fpm-syntax", ""), "{:?}", messages(&doc));
    let alphabet = b"[]=;\"'$ {}ab\n\r\t\\";
    let body: Vec<u8> = noise(100_000, 9)
        .into_iter()
        .map(|b| alphabet[b as usize % alphabet.len()])
        .collect();
    fpm_case(
        "fpm printable garbage",
        &[("php-fpm.conf", &body)],
        MEM_DEFAULT_KB,
    );
}

#[test]
fn fpm_include_itself() {
    let t = tree(&[]);
    let conf = format!(
        "[global]\ninclude = {}/php-fpm.conf\n[www]\nlisten = /run/a.sock\n",
        t.path().display()
    );
    std::fs::write(t.path().join("php-fpm.conf"), conf).expect("write");
    std::fs::create_dir(t.path().join("nginx")).expect("mkdir");
    let (_, doc) = lint(
        "fpm self include",
        t.path(),
        &["--php-fpm", "php-fpm.conf", "nginx"],
        MEM_DEFAULT_KB,
    );
    let doc = doc.expect("json");
    assert!(
        has_finding(&doc, "fpm-invalid-value", "includes itself"),
        "{:?}",
        messages(&doc)
    );
}

#[test]
fn fpm_include_fifo_and_dev_zero() {
    let t = tree(&[]);
    let conf = format!(
        "[global]\ninclude = {0}/pipe.conf\ninclude = /dev/zero\ninclude = {0}/big.conf\n[www]\nlisten = /run/a.sock\n",
        t.path().display()
    );
    std::fs::write(t.path().join("php-fpm.conf"), conf).expect("write");
    std::fs::create_dir(t.path().join("nginx")).expect("mkdir");
    mkfifo(&t.path().join("pipe.conf"));
    sparse(&t.path().join("big.conf"), 200 * 1024 * 1024);
    let watch = FifoWatch::new(&t.path().join("pipe.conf"));
    let (_, doc) = lint(
        "fpm include fifo",
        t.path(),
        // Read as the host: /dev/zero is the host's device.
        &["--live", "--php-fpm", "php-fpm.conf", "nginx"],
        MEM_DEFAULT_KB,
    );
    assert!(!watch.finish(), "the FIFO was opened");
    let doc = doc.expect("json");
    for needle in ["FIFO", "device", "over the 64 MiB limit"] {
        assert!(
            has_finding(&doc, "fpm-include-missing", needle),
            "{needle}: {:?}",
            messages(&doc)
        );
    }
}

/// 100,000 pools: the pool lookup and the duplicate-listen check were
/// quadratic (minutes); now linear.
#[test]
fn fpm_100000_pools() {
    let mut body = String::from("[global]\npid = /run/php.pid\n");
    for i in 0..100_000 {
        body.push_str(&format!(
            "[p{i}]\nuser = www-data\nlisten = /run/p{}.sock\npm = static\npm.max_children = 1\n",
            i % 50_000
        ));
    }
    let doc = fpm_case(
        "fpm 100k pools",
        &[("php-fpm.conf", body.as_bytes())],
        768 * 1024,
    );
    // Every pool of the second half reuses a socket of the first half:
    // 50,000 findings, reported as 1000 and one that counts the rest.
    let dups = doc["findings"].as_array().map_or(0, |a| {
        a.iter()
            .filter(|f| {
                f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("same address"))
            })
            .count()
    });
    assert_eq!(dups, 1000);
    assert!(
        has_finding(
            &doc,
            "fpm-invalid-value",
            "49000 more `fpm-invalid-value` findings"
        ),
        "{:?}",
        messages(&doc).last()
    );
}

/// A php-fpm include glob over 100,000 files: each file was looked up by a
/// linear scan of every file read so far.
#[test]
fn fpm_glob_100000_files() {
    let t = tree(&[]);
    let d = t.path().join("pool.d");
    std::fs::create_dir(&d).expect("mkdir");
    for i in 0..100_000 {
        std::fs::File::create(d.join(format!("{i:06}.conf"))).expect("create");
    }
    let conf = format!(
        "[global]\ninclude = {}/pool.d/*.conf\n[www]\nlisten = /run/a.sock\n",
        t.path().display()
    );
    std::fs::write(t.path().join("php-fpm.conf"), conf).expect("write");
    std::fs::create_dir(t.path().join("nginx")).expect("mkdir");
    lint(
        "fpm glob 100k",
        t.path(),
        &["--php-fpm", "php-fpm.conf", "nginx"],
        MEM_DEFAULT_KB,
    );
}

// ---------------------------------------------------------------- --root

/// Under --root, nothing outside the root is read: not through an include,
/// not through a symlink met while walking (absolute or relative, to a file
/// or to a directory).
#[test]
fn root_confinement() {
    let t = tree(&[(
        "etc/nginx/nginx.conf",
        b"events {}\nhttp { include /etc/nginx/sites-enabled/*; include /etc/nginx/hostetc/passwd; include ../../../../../../../../etc/passwd; }\n",
    )]);
    let se = t.path().join("etc/nginx/sites-enabled");
    std::fs::create_dir_all(&se).expect("mkdir");
    std::os::unix::fs::symlink("/etc/passwd", se.join("passwd")).expect("symlink");
    std::os::unix::fs::symlink("../../../../../../../../../etc/passwd", se.join("rel"))
        .expect("symlink");
    std::os::unix::fs::symlink("/etc", t.path().join("etc/nginx/hostetc")).expect("symlink");
    let (_, doc) = lint(
        "root confinement",
        t.path(),
        &["--root", ".", "etc/nginx"],
        MEM_DEFAULT_KB,
    );
    let doc = doc.expect("json");
    let text = doc.to_string();
    assert!(!text.contains("root:x:0:0"), "passwd content leaked");
    // Only nginx.conf itself was read.
    assert_eq!(
        doc["summary"]["files"],
        1,
        "{:?} {:?}",
        messages(&doc),
        skipped(&doc)
    );
    // --root is a faithful `/`: every link resolves under it as in a
    // chroot there (`..` stops at the root), to ./etc/passwd, which the
    // root lacks.
    assert!(
        has_finding(&doc, "include-missing", "no such file"),
        "{:?}",
        messages(&doc)
    );
    for name in ["passwd", "rel", "hostetc"] {
        assert!(
            skipped(&doc)
                .iter()
                .any(|s| s.contains(name) && s.contains("under --root")),
            "{name}: {:?}",
            skipped(&doc)
        );
    }
    // No finding points into the host's /etc.
    assert!(
        doc["findings"].as_array().is_some_and(|a| a
            .iter()
            .all(|f| f["file"].as_str().is_some_and(|p| p.contains("nginx.conf")))),
        "{:?}",
        messages(&doc)
    );
}

// ---------------------------------------------------------------- dump

/// `dump` prints one JSON document on the same hostile inputs.
#[test]
fn dump_on_hostile_input() {
    let deep = "a {".repeat(100_000);
    let noise_body = noise(64 * 1024, 3);
    let cases: Vec<(&str, &[u8])> = vec![
        ("deep", deep.as_bytes()),
        ("noise", &noise_body),
        ("quote", b"a \"b"),
        ("self", b"include nginx.conf;"),
    ];
    for (name, body) in cases {
        let t = tree(&[("nginx.conf", body)]);
        let before = snapshot(t.path());
        let o = run_in(t.path(), &["dump", "nginx.conf"], None);
        check(name, t.path(), &o, MEM_DEFAULT_KB);
        assert_eq!(o.code, 0, "{name}");
        assert!(before == snapshot(t.path()));
    }
}

// ---------------------------------------------------------------- floods

/// Millions of errors: a megabyte of `;` made a million findings, and each
/// column was counted from the start of the (one) line: quadratic, never
/// finished for 4 MB. Now 1000 per rule and file, plus one that counts the
/// rest, and columns from checkpoints.
#[test]
fn a_million_errors_on_one_line() {
    let t = tree(&[("site.conf", ";".repeat(4_000_000).as_bytes())]);
    let (o, doc) = lint("4M semicolons", t.path(), &["site.conf"], MEM_DEFAULT_KB);
    assert_eq!(o.code, 1);
    let doc = doc.expect("json");
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1001);
    assert!(
        findings[1000]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("3999000 more syntax errors")),
        "{}",
        findings[1000]
    );
    assert_eq!(findings[999]["column"], 1000);
}

/// The same for php-fpm: bad lines, and unknown entries (a rule's findings).
#[test]
fn fpm_floods() {
    let body = "[www]\nlisten = /run/a.sock\n".to_string() + &"x\n".repeat(500_000);
    let doc = fpm_case(
        "fpm bad lines",
        &[("php-fpm.conf", body.as_bytes())],
        MEM_DEFAULT_KB,
    );
    assert!(
        has_finding(&doc, "fpm-syntax", "499000 more lines"),
        "{:?}",
        messages(&doc).last()
    );
    let body = "[www]\nlisten = /run/a.sock\n".to_string() + &"zz = 1\n".repeat(100_000);
    let doc = fpm_case(
        "fpm unknown entries",
        &[("php-fpm.conf", body.as_bytes())],
        MEM_DEFAULT_KB,
    );
    assert!(
        has_finding(
            &doc,
            "fpm-unknown-directive",
            "99000 more `fpm-unknown-directive` findings"
        ),
        "{:?}",
        messages(&doc).last()
    );
}
