//! Differential test against the real php-fpm: mutate the testdata/fpm
//! fixtures into hundreds of complete configurations, run each through
//! `php-fpm8.2 -t -y FILE` and through our loader + rules, and compare.
//!
//! Agreement means: php-fpm rejects → we report at least one error, on the
//! line php-fpm names when it names one; php-fpm accepts → we report no
//! fpm-syntax / fpm-unknown-directive / fpm-invalid-value / fpm-pm-config.
//!
//! Known, deliberate disagreements (counted separately, see `STRICTER`):
//! - `listen.mode` that is not octal (`0999`, `abc`): `php-fpm -t` never
//!   looks at it; at start it does `strtoul(mode, 0, 8)` and creates the
//!   socket with mode 0 or a truncated mode. We report fpm-invalid-value.
//! - `-t` does not check `user = root` (only the real start does): we report
//!   fpm-user-root, which is outside the compared rules anyway.
//!
//! Needs php-fpm8.2 (Debian/Ubuntu package php8.2-fpm). Set
//! NGINX_LINT_SKIP_DIFFERENTIAL=1 to skip where it cannot be installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nginx_lint::finding::Severity;
use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
use nginx_lint::source::SourceMap;
use nginx_lint::vfs::RealFs;

const PHP_FPM: &str = "php-fpm8.2";
const COMPARED: [&str; 4] = [
    "fpm-syntax",
    "fpm-unknown-directive",
    "fpm-invalid-value",
    "fpm-pm-config",
];
/// Our findings that say php-fpm -t accepts the value on purpose.
const STRICTER: &str = "php-fpm -t accepts";

struct Case {
    name: String,
    /// The pool part; the [global] header is added per case directory.
    body: String,
}

fn php_fpm_available() -> bool {
    Command::new(PHP_FPM)
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Make a fixture runnable here: existing users, writable log paths,
/// sockets in the case directory, no [global] paths of its own.
fn prepare(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        let new = match key {
            "user" | "group" | "listen.owner" | "listen.group" => format!("{key} = www-data"),
            "listen" if line.contains('/') => "listen = @DIR@/$pool.sock".to_string(),
            "slowlog" | "access.log" => format!("{key} = @DIR@/$pool.{key}"),
            "pid" | "error_log" => continue,
            _ => line.to_string(),
        };
        out.push_str(&new);
        out.push('\n');
    }
    out
}

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fpm");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("testdata/fpm")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("conf"))
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("?")
                .to_string();
            (
                name,
                prepare(&std::fs::read_to_string(&p).expect("fixture")),
            )
        })
        .collect();
    v.sort();
    v
}

/// Index range (in lines) of the body of the first pool section.
fn first_pool(lines: &[String]) -> (usize, usize) {
    let start = lines
        .iter()
        .position(|l| l.starts_with('[') && !l.eq_ignore_ascii_case("[global]"))
        .map_or(0, |i| i + 1);
    let end = lines[start..]
        .iter()
        .position(|l| l.starts_with('['))
        .map_or(lines.len(), |i| start + i);
    (start, end)
}

fn edit_pool(body: &str, f: impl FnOnce(&mut Vec<String>)) -> String {
    let mut lines: Vec<String> = body.lines().map(String::from).collect();
    let (s, e) = first_pool(&lines);
    let mut pool: Vec<String> = lines[s..e].to_vec();
    f(&mut pool);
    lines.splice(s..e, pool);
    lines.join("\n") + "\n"
}

fn key_of(line: &str) -> &str {
    line.split('=').next().unwrap_or("").trim()
}

fn set(pool: &mut Vec<String>, key: &str, value: Option<&str>) {
    pool.retain(|l| key_of(l) != key);
    if let Some(v) = value {
        pool.push(format!("{key} = {v}"));
    }
}

fn typo(word: &str, how: usize) -> String {
    let mut b: Vec<char> = word.chars().collect();
    let i = (how / 3) % b.len().max(1);
    match how % 3 {
        0 if b.len() > 1 => {
            let j = if i + 1 < b.len() { i + 1 } else { i - 1 };
            b.swap(i, j);
        }
        1 => {
            b.remove(i);
        }
        _ => b.insert(i, b[i]),
    }
    b.into_iter().collect()
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |name: String, body: String| out.push(Case { name, body });
    for (fx, body) in fixtures() {
        add(format!("{fx}/base"), body.clone());
        // Typos in keys: every entry line of the first pool, two kinds.
        let lines: Vec<String> = body.lines().map(String::from).collect();
        let (s, e) = first_pool(&lines);
        for (n, i) in (s..e).enumerate() {
            let l = &lines[i];
            if !l.contains('=') || l.starts_with(';') || l.contains('[') {
                continue;
            }
            let k = key_of(l);
            for how in [n * 7, n * 7 + 4] {
                let t = typo(k, how);
                if t.eq_ignore_ascii_case(k) {
                    continue;
                }
                let mut m = lines.clone();
                m[i] = l.replacen(k, &t, 1);
                add(format!("{fx}/typo {k}->{t}"), m.join("\n") + "\n");
            }
        }
        // Time values.
        for v in [
            "30x", "30S", "30sec", "10ms", "1.5m", "", "m", "-5s", "2d", "45", "\"30s\"", "5 m",
            "1h",
        ] {
            add(
                format!("{fx}/time {v:?}"),
                edit_pool(&body, |p| set(p, "request_terminate_timeout", Some(v))),
            );
        }
        for v in ["0", "1s", "0s", "10"] {
            add(
                format!("{fx}/idle {v:?}"),
                edit_pool(&body, |p| {
                    set(p, "pm", Some("ondemand"));
                    set(p, "pm.process_idle_timeout", Some(v));
                }),
            );
        }
        // Missing listen, root, modes, # lines, quotes, pm values.
        add(
            format!("{fx}/no listen"),
            edit_pool(&body, |p| set(p, "listen", None)),
        );
        add(
            format!("{fx}/empty listen"),
            edit_pool(&body, |p| set(p, "listen", Some("\"\""))),
        );
        add(
            format!("{fx}/no user"),
            edit_pool(&body, |p| set(p, "user", None)),
        );
        add(
            format!("{fx}/user root"),
            edit_pool(&body, |p| set(p, "user", Some("root"))),
        );
        add(
            format!("{fx}/group root"),
            edit_pool(&body, |p| set(p, "group", Some("root"))),
        );
        for v in ["0660", "0666", "660", "0999", "abc", "rw-rw----", "0o660"] {
            add(
                format!("{fx}/mode {v}"),
                edit_pool(&body, |p| set(p, "listen.mode", Some(v))),
            );
        }
        for (n, ins) in ["# a comment", "#pm.max_requests = 5", "#", "  # indented"]
            .iter()
            .enumerate()
        {
            add(
                format!("{fx}/hash {n}"),
                edit_pool(&body, |p| p.insert(n.min(p.len()), ins.to_string())),
            );
        }
        for (k, v) in [
            ("user", "\"www-data"),
            ("group", "'www-data"),
            ("env[X]", "\"abc"),
            ("user", "www-data\""),
            ("php_value[include_path]", "\".:/usr/share/php\""),
            ("env[Y]", "'a b'"),
        ] {
            add(
                format!("{fx}/quote {k} {v}"),
                edit_pool(&body, |p| set(p, k, Some(v))),
            );
        }
        for v in [
            "dynamik",
            "Static",
            "ONDEMAND",
            "\"\"",
            "static dynamic",
            "yes",
        ] {
            add(
                format!("{fx}/pm {v}"),
                edit_pool(&body, |p| set(p, "pm", Some(v))),
            );
        }
        // Other values php-fpm parses.
        for (k, v) in [
            ("catch_workers_output", "maybe"),
            ("catch_workers_output", "On"),
            ("clear_env", "2"),
            ("pm.max_requests", "10k"),
            ("pm.max_requests", "-1"),
            ("rlimit_core", "-1"),
            ("rlimit_core", "Unlimited"),
            ("process.priority", "30"),
            ("process.priority", "-5"),
            ("pm.status_path", "status"),
            ("pm.status_path", "/st@tus"),
            ("ping.path", "/ping"),
            ("request_slowlog_timeout", "5s"),
            ("log_level", "debug"),
            ("env[]", "x"),
            ("ENV[X]", "x"),
            ("php_flag[display_errors]", "maybe"),
            ("php_admin_flag[log_errors]", "yes"),
            ("access.suppress_path[]", "/ping"),
            ("access.suppress_path[x]", "/ping"),
            ("user", "a=b"),
            ("[www2", ""),
        ] {
            add(
                format!("{fx}/value {k} {v}"),
                edit_pool(&body, |p| {
                    if v.is_empty() {
                        p.push(k.to_string());
                    } else {
                        set(p, k, Some(v));
                    }
                }),
            );
        }
        // Line endings and headers.
        add(format!("{fx}/crlf"), body.replace('\n', "\r\n"));
        add(
            format!("{fx}/lone cr"),
            edit_pool(&body, |p| p.push("env[A] = x\ry".into())),
        );
        add(
            format!("{fx}/indented header"),
            format!(" {}", body.trim_start()),
        );
        add(format!("{fx}/header junk"), body.replacen(']', "] junk", 1));
        add(
            format!("{fx}/header comment"),
            body.replacen(']', "] ; ok", 1),
        );
        add(
            format!("{fx}/reopen"),
            format!(
                "{body}[global]\nlog_level = notice\n{}",
                body.lines()
                    .find(|l| l.starts_with('[') && *l != "[global]")
                    .unwrap_or("[www]")
            ) + "\nrequest_terminate_timeout = 5x\n",
        );
        // Globals.
        for line in [
            "user = www-data",
            "log_level = loud",
            "log_limit = 100",
            "process_control_timeout = 10x",
            "emergency_restart_interval = 1m",
            "process.max = -1",
        ] {
            add(
                format!("{fx}/global {line}"),
                format!("[global]\n{line}\n{body}"),
            );
        }
    }
    // pm arithmetic, off by one both ways around every boundary.
    let body = fixtures()
        .into_iter()
        .find(|(n, _)| n == "debian-www")
        .map(|f| f.1)
        .expect("debian-www fixture");
    for (c, min, max, start) in pm_grid() {
        let b = edit_pool(&body, |p| {
            for k in [
                "pm",
                "pm.max_children",
                "pm.min_spare_servers",
                "pm.max_spare_servers",
                "pm.start_servers",
            ] {
                set(p, k, None);
            }
            p.push("pm = dynamic".into());
            p.push(format!("pm.max_children = {c}"));
            p.push(format!("pm.min_spare_servers = {min}"));
            p.push(format!("pm.max_spare_servers = {max}"));
            if let Some(s) = start {
                p.push(format!("pm.start_servers = {s}"));
            }
        });
        add(format!("pm c={c} min={min} max={max} start={start:?}"), b);
    }
    out
}

fn pm_grid() -> Vec<(i32, i32, i32, Option<i32>)> {
    let mut v = Vec::new();
    for c in [0, 1, 4] {
        for min in [0, 1, 2, c, c + 1] {
            for max in [min - 1, min, min + 1, c, c + 1] {
                for start in [
                    None,
                    Some(0),
                    Some(min - 1),
                    Some(min),
                    Some(max),
                    Some(max + 1),
                ] {
                    v.push((c, min, max, start));
                }
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

struct Verdict {
    accepted: bool,
    line: Option<usize>,
    output: String,
}

fn run_php_fpm(conf: &Path) -> Verdict {
    let out = Command::new(PHP_FPM)
        .arg("-t")
        .arg("-y")
        .arg(conf)
        .output()
        .expect("run php-fpm");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // "[/path/php-fpm.conf:12] ..." names a line of the file.
    let tag = format!("[{}:", conf.display());
    let line = text.find(&tag).and_then(|i| {
        let rest = &text[i + tag.len()..];
        rest[..rest.find(']')?].parse().ok()
    });
    Verdict {
        accepted: out.status.success(),
        line,
        output: text,
    }
}

struct Outcome {
    name: String,
    accepted: bool,
    named_line: bool,
    agree: bool,
    stricter: bool,
    detail: String,
}

fn judge(case: &Case, dir: &Path) -> Outcome {
    std::fs::create_dir_all(dir).expect("case dir");
    let d = dir.display().to_string();
    let text = format!(
        "[global]\nerror_log = {d}/error.log\npid = {d}/php-fpm.pid\nprocess_control_timeout = 10s\n{}",
        case.body.replace("@DIR@", &d)
    );
    let conf = dir.join("php-fpm.conf");
    std::fs::write(&conf, &text).expect("write case");
    let verdict = run_php_fpm(&conf);
    let mut map = SourceMap::new();
    let cfg = fpm::load(&RealFs::new(None), &mut map, &conf, &LoadOptions::default());
    let findings = nginx_lint::rules::php_fpm::check_config(&cfg, PhpVersion::new(8, 2));
    let line_of = |f: &nginx_lint::finding::Finding| map.start_of(f.span).0;
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let summary = findings
        .iter()
        .map(|f| format!("{}@{} {}", f.rule, line_of(f), f.message))
        .collect::<Vec<_>>()
        .join("\n    ");
    let (agree, stricter) = if verdict.accepted {
        let wrong: Vec<_> = errors
            .iter()
            .filter(|f| COMPARED.contains(&f.rule))
            .collect();
        let deliberate = !wrong.is_empty() && wrong.iter().all(|f| f.message.contains(STRICTER));
        (wrong.is_empty() || deliberate, deliberate)
    } else {
        let ok = match verdict.line {
            Some(l) => errors.iter().any(|f| line_of(f) == l),
            None => !errors.is_empty(),
        };
        (ok, false)
    };
    Outcome {
        name: case.name.clone(),
        accepted: verdict.accepted,
        named_line: verdict.line.is_some(),
        agree,
        stricter,
        detail: format!(
            "php-fpm {} (line {:?}): {}\n  ours:\n    {summary}\n  file:\n{text}",
            if verdict.accepted {
                "accepts"
            } else {
                "rejects"
            },
            verdict.line,
            verdict.output.trim()
        ),
    }
}

#[test]
fn differential_against_php_fpm() {
    if !php_fpm_available() {
        if std::env::var("NGINX_LINT_SKIP_DIFFERENTIAL").as_deref() == Ok("1") {
            eprintln!(
                "fpm differential: skipped (NGINX_LINT_SKIP_DIFFERENTIAL=1, {PHP_FPM} not installed)"
            );
            return;
        }
        panic!(
            "{PHP_FPM} is not installed: install it with `apt-get install php8.2-fpm` (CI does), or set NGINX_LINT_SKIP_DIFFERENTIAL=1 to skip this test"
        );
    }
    let started = Instant::now();
    let cases = cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let tmp = tempfile::tempdir().expect("tempdir");
    let root: PathBuf = tmp.path().to_path_buf();
    // Two worker threads: the machine has two cores.
    let chunks: Vec<Vec<(usize, &Case)>> = {
        let mut c = vec![Vec::new(), Vec::new()];
        for (i, case) in cases.iter().enumerate() {
            c[i % 2].push((i, case));
        }
        c
    };
    let mut outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let root = &root;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(i, c)| judge(c, &root.join(format!("case{i}"))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread"))
            .collect()
    });
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    let n = outcomes.len();
    let agree = outcomes.iter().filter(|o| o.agree).count();
    let stricter = outcomes.iter().filter(|o| o.stricter).count();
    let pct = 100.0 * agree as f64 / n as f64;
    println!(
        "fpm differential: {n} cases, {agree} agree ({pct:.1}%), of which {stricter} are deliberate strictness (listen.mode), {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let accepted = outcomes.iter().filter(|o| o.accepted).count();
    let named = outcomes.iter().filter(|o| o.named_line).count();
    println!(
        "  php-fpm accepted {accepted}, rejected {} ({named} naming a line)",
        n - accepted
    );
    for o in outcomes.iter().filter(|o| o.name.ends_with("/base")) {
        assert!(o.accepted, "fixture must be valid: {}", o.detail);
    }
    for o in outcomes.iter().filter(|o| !o.agree) {
        println!("DISAGREE {}: {}", o.name, o.detail);
    }
    assert!(pct >= 99.0, "agreement {pct:.1}% is below 99%");
}
