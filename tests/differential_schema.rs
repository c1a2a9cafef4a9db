//! Schema differential against the real nginx: structural mutations of the
//! real-world corpus (`testdata/realworld/`) — misspelt names, directives in
//! the wrong block, wrong argument counts, bad flag/size/time/number/enum
//! values, bad `listen`/`return`/`error_page` arguments, duplicated
//! directives, locations, default servers and upstreams, undefined upstream
//! names — each judged by `nginx -t` and by us.
//!
//! Agreement: nginx accepts ⇔ we report no error. When nginx rejects, one
//! of our errors must sit on the file:line nginx names. Known disagreements
//! are listed in [`KNOWN`] with their reason; any other one fails the test.
//!
//! The mutations are found with our own loader (so they land on real
//! directives in known contexts) and applied to the corpus text; nginx sees
//! the result through the harness's throwaway prefix.
//!
//! Needs nginx on PATH (`.ci/run` installs nginx-full); set
//! `NGINX_LINT_SKIP_DIFFERENTIAL=1` to skip.

#[path = "support/nginx.rs"]
mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harness::{Lint, Verdict, lint, materialize, nginx_t, parallel, require_nginx};
use nginx_lint::finding::Severity;
use nginx_lint::model::walk::Visits;
use nginx_lint::nginx::context::Ctx;
use nginx_lint::nginx::schema::{self, ValueKind};
use nginx_lint::{Inputs, load};

/// Disagreements we accept, by case id, with the reason. Every entry must
/// still disagree (a fixed one must be removed from here).
const KNOWN: &[(&str, &str)] = &[
    ("debian-php:nginx.conf:2:extra argument", GETGRNAM),
    ("magento:nginx.conf:3:extra argument", GETGRNAM),
    ("nextcloud:nginx.conf:2:extra argument", GETGRNAM),
    ("wordpress:nginx.conf:2:extra argument", GETGRNAM),
    (
        "reverse-proxy:nginx.conf:29:extra argument",
        "the directive table keeps one argument pattern per directive, the newest: upstream \
         `keepalive` takes an optional second argument from nginx 1.29.7 on (TAKE12), the \
         installed 1.22 allows one",
    ),
    (
        "reverse-proxy:nginx.conf:64:value 007",
        "`limit_req_status 007` passes ngx_atoi (7); the 400-599 range is a post handler \
         (ngx_conf_check_num_bounds) the directive table does not record",
    ),
    (
        "tls-site:nginx.conf:41:duplicate",
        "a second `ssl_certificate` without a second `ssl_certificate_key`: nginx pairs \
         certificates with keys by count when merging servers; not a schema check (the TLS \
         rules own certificates)",
    ),
];

const GETGRNAM: &str = "nginx looks the `user` directive's group up in the system group \
    database (getgrnam): whether `extra` is a group depends on the machine, not on the \
    configuration, so it is not checked";

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld")
}

fn corpus() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_root())
        .expect("testdata/realworld exists")
        .map(|e| e.expect("read testdata/realworld").path())
        .filter(|p| p.join("nginx.conf").is_file())
        .collect();
    v.sort();
    v
}

/// One mutated tree.
#[derive(Clone, Debug)]
struct Case {
    /// Stable id: `tree:file:line:kind`.
    id: String,
    tree: PathBuf,
    file: PathBuf,
    text: Vec<u8>,
}

/// What the loader tells us about one directive of the original corpus.
#[derive(Clone, Debug)]
struct Site {
    file: PathBuf,
    name: String,
    ctx: Ctx,
    /// Byte range of the name, of the whole statement (through `;`/`{`), and
    /// of the full directive (through a block's `}`).
    name_span: (usize, usize),
    stmt: (usize, usize),
    full: (usize, usize),
    args: Vec<(usize, usize, String)>,
    /// Offset just after the block's `{`, and the context inside.
    inner: Option<(usize, Ctx)>,
    parent: Option<String>,
    line: usize,
}

fn sites(tree: &Path) -> Vec<Site> {
    let loaded = load::load(&Inputs {
        paths: vec![tree.to_path_buf()],
        prefix: Some(tree.to_path_buf()),
        ..Inputs::default()
    })
    .expect("load the corpus tree");
    let mut out = Vec::new();
    Visits::build(&loaded).walk(&mut |v| {
        if v.ctx == Ctx::Data {
            return;
        }
        let d = v.directive;
        let src = loaded.sources.get(d.span.file);
        let Ok(file) = src.real.strip_prefix(tree) else {
            return;
        };
        let full = d.full_span();
        let inner = d.block.as_ref().and_then(|b| {
            let c = v.ctx.enter(d.name());
            (!b.lua && c != Ctx::Data).then_some((b.open as usize + 1, c))
        });
        out.push(Site {
            file: file.to_path_buf(),
            name: d.name().to_string(),
            ctx: v.ctx,
            name_span: (d.name.span.start as usize, d.name.span.end as usize),
            stmt: (d.span.start as usize, d.span.end as usize),
            full: (full.start as usize, full.end as usize),
            args: d
                .args
                .iter()
                .map(|w| {
                    (
                        w.span.start as usize,
                        w.span.end as usize,
                        w.as_str().to_string(),
                    )
                })
                .collect(),
            inner,
            parent: v.parents.last().map(|p| p.name().to_string()),
            line: src.line_col(d.span.start).0,
        });
    });
    out
}

fn splice(text: &[u8], at: usize, remove: usize, insert: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + insert.len());
    out.extend_from_slice(&text[..at]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&text[(at + remove).min(text.len())..]);
    out
}

/// Lines inserted into blocks of a given context: some wrong there, some
/// right (the verdicts must still agree).
fn insertions(ctx: Ctx) -> &'static [&'static str] {
    match ctx {
        Ctx::Main => &[
            "worker_connections 512;",
            "sendfile on;",
            "server { listen 8099; }",
            "worker_rlimit_nofile 4096;",
            "pcre_jit on;",
            "load_module modules/ngx_zz_missing_module.so;",
            "worker_processes two;",
            "worker_priority 99;",
            "env;",
        ],
        Ctx::Events => &["sendfile on;", "use epoll;", "worker_processes 2;"],
        Ctx::Http => &[
            "try_files $uri =404;",
            "proxy_pass http://127.0.0.1:9000;",
            "listen 8081;",
            "upstream u9 { server 127.0.0.1:9; }",
            "location /zz { }",
            "server_tokens off;",
            "keepalive 4;",
            "map $uri $zz_m { default 1; default 2; }",
            "map $uri $zz_m { ~^(/a 1; }",
            "geo $zz_g { default 1; default 2; }",
            "limit_req_zone $binary_remote_addr zone=zz_r:1k rate=1r/s;",
            "limit_req_zone $binary_remote_addr zone=zz_r:10m rate=1q/s;",
            "limit_req_zone $binary_remote_addr zone=zz_r:10m rate=30r/m;",
            "limit_conn_zone $binary_remote_addr zone=zz_c;",
        ],
        Ctx::Server => &[
            "proxy_pass http://127.0.0.1:9000;",
            "worker_connections 512;",
            "location /zz { return 204; }",
            "location /zz { return 204; } location /zz { return 204; }",
            "location = /zz { return 204; } location /zz { return 204; }",
            "upstream u9 { server 127.0.0.1:9; }",
            "return 1000;",
            "error_page 200 /x.html;",
            "error_page 404 =abc /x.html;",
            "error_page 404 =301 /x.html;",
            "if ($host) { return 403; }",
            "if ($host) { proxy_pass http://127.0.0.1:9000; }",
            "listen 8099 defualt_server;",
            "listen 99999;",
            "listen 8099 backlog=0;",
            "limit_except GET { deny all; }",
            "location ~ ^(/zz { }",
            "server_name ~^(zz;",
            "set zz 1;",
            "rewrite ^(/zz /x;",
        ],
        Ctx::Location => &[
            "listen 8081;",
            "server_name x.example;",
            "keepalive 4;",
            "return 302 /elsewhere;",
            "return https://example.com;",
            "return /relative;",
            "proxy_pass backend_without_scheme;",
            "proxy_pass http://undefined_upstream;",
            "fastcgi_pass undefined_pool;",
            "fastcgi_pass 127.0.0.1;",
            "if ($host) { proxy_pass http://127.0.0.1:9000; }",
            "limit_except GET { deny all; }",
            "location /zz/ { location /zz/a { } location /zz/a { } }",
            "proxy_cache zz_nozone;",
            "fastcgi_cache zz_nozone;",
            "limit_req zone=zz_nozone;",
            "limit_conn zz_nozone 1;",
            "limit_req zone=$zz;",
            "try_files $uri =404q;",
            "fastcgi_pass 127.0.0.1:9001q;",
            "proxy_pass http://127.0.0.1:9000q;",
            "if ($uri ~ \"(\") { return 403; }",
            "if ($uri = ) { return 403; }",
            "if ($uri x y) { return 403; }",
            "if (-q $uri) { return 403; }",
            "if (!-e $request_filename) { return 403; }",
            "if ( $uri != \"\" ) { return 403; }",
            "rewrite ^ /x bogusflag;",
            "expires 1q;",
            "add_header X-Zz 1 always extra;",
            "auth_basic_user_file;",
        ],
        Ctx::Upstream => &[
            "listen 80;",
            "server 127.0.0.1:9 weight=0;",
            "keepalive 8;",
            "proxy_pass http://127.0.0.1:9;",
            "server 127.0.0.1:9 max_fails=x;",
            "server 127.0.0.1:9q;",
            "server 127.0.0.1:9 weight=0x;",
            "hash;",
        ],
        Ctx::If => &["listen 80;", "return 404;", "root /tmp;", "set $zz 1;"],
        Ctx::Stream => &[
            "server_name x;",
            "proxy_pass 127.0.0.1:9;",
            "map $remote_addr $zz { default 1; }",
        ],
        Ctx::StreamServer => &[
            "proxy_pass undefined_pool;",
            "listen 99999;",
            "location / { }",
        ],
        _ => &[],
    }
}

/// Bad (and some good) values for a value kind.
fn values_for(kind: ValueKind) -> &'static [&'static str] {
    match kind {
        ValueKind::Flag => &["yes", "ON", "enabled"],
        ValueKind::Size => &["10mb", "1g", "1.5k", "64K"],
        ValueKind::Off => &["10mb", "2g", "1t"],
        ValueKind::Msec => &["10sec", "1y", "500ms", "1h30m"],
        ValueKind::Sec => &["500ms", "1y", "7d", "s"],
        ValueKind::Num => &["1k", "-1", "007"],
        ValueKind::Enum(_) => &["bogus"],
        ValueKind::Bitmask(_) => &["TLSv4", "tlsv1.2"],
        _ => &[],
    }
}

/// Typos of a directive name.
fn typos(name: &str, salt: usize) -> Vec<String> {
    let mut v = vec![format!("{name}s")];
    if name.len() > 3 {
        v.push(match salt % 3 {
            0 => name[..name.len() - 1].to_string(),
            1 => {
                let mut sw = name.as_bytes().to_vec();
                sw.swap(1, 2);
                String::from_utf8_lossy(&sw).into_owned()
            }
            _ => name.to_uppercase(),
        });
    }
    v.retain(|t| t != name);
    v
}

/// Every mutation of one tree.
fn tree_cases(tree: &Path) -> Vec<Case> {
    let tname = tree
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sites = sites(tree);
    let mut texts: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    for s in &sites {
        texts
            .entry(s.file.clone())
            .or_insert_with(|| std::fs::read(tree.join(&s.file)).expect("read corpus file"));
    }
    let mut out = Vec::new();
    let mut push = |s: &Site, kind: String, text: Vec<u8>| {
        out.push(Case {
            id: format!("{tname}:{}:{}:{kind}", s.file.display(), s.line),
            tree: tree.to_path_buf(),
            file: s.file.clone(),
            text,
        });
    };
    let mut seen_names: Vec<String> = Vec::new();
    for s in &sites {
        let Some(text) = texts.get(&s.file) else {
            continue;
        };
        let first_of_name = !seen_names.contains(&s.name);
        if first_of_name {
            seen_names.push(s.name.clone());
            // Typos, once per directive name per tree.
            for t in typos(&s.name, s.line) {
                let (a, b) = s.name_span;
                push(s, format!("typo {t}"), splice(text, a, b - a, t.as_bytes()));
            }
            // Argument counts.
            if s.inner.is_none() {
                if let Some(&(_, end, _)) = s.args.last() {
                    push(s, "extra argument".into(), splice(text, end, 0, b" extra"));
                    let from = s.name_span.1;
                    push(
                        s,
                        "no arguments".into(),
                        splice(text, from, end - from, b""),
                    );
                }
                // A block where none belongs.
                let semi = s.stmt.1 - 1;
                if text.get(semi) == Some(&b';') {
                    push(
                        s,
                        "block instead of ;".into(),
                        splice(text, semi, 1, b" { }"),
                    );
                }
                // Duplicated in the same block.
                let (a, b) = s.stmt;
                let mut dup = b"\n".to_vec();
                dup.extend_from_slice(&text[a..b]);
                push(s, "duplicate".into(), splice(text, b, 0, &dup));
            }
            // Values.
            let kinds: Vec<ValueKind> = schema::lookup(&s.name).iter().map(|x| x.value).collect();
            if let (Some(kind), Some((a, b, _))) = (kinds.first(), s.args.first())
                && s.inner.is_none()
            {
                for val in values_for(*kind) {
                    push(
                        s,
                        format!("value {val}"),
                        splice(text, *a, b - a, val.as_bytes()),
                    );
                }
            }
        }
        // A letter after a number or a port (`2048q`, `:9001q`): nginx's
        // number and port parsers refuse it.
        // Not on `listen`: nginx reads `8080q` as a host name and asks the
        // resolver (`host not found in "8080q"`), which depends on the
        // machine, as `user`'s group does.
        if first_of_name && s.inner.is_none() && s.name != "listen" {
            let numeric = s.args.iter().find(|(_, _, w)| {
                let digits = w.rsplit(':').next().unwrap_or(w);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            });
            if let (Some((_, end, _)), Some(text)) = (numeric, texts.get(&s.file)) {
                push(s, "number with letter".into(), splice(text, *end, 0, b"q"));
            }
        }
        // Blocks: insertions into every block kind, once per context and
        // file (bounded), plus duplicated locations and upstreams.
        if let Some((open, inner)) = s.inner {
            for (k, ins) in insertions(inner).iter().enumerate() {
                // Spread: each insertion goes into one block per tree/context.
                if (s.line + k) % 4 != 0 && inner != Ctx::Main {
                    continue;
                }
                let line = format!(" {ins}");
                push(
                    s,
                    format!("insert {ins:?} into {}", inner.as_str()),
                    splice(text, open, 0, line.as_bytes()),
                );
            }
        }
        if s.name == "location" {
            let (a, b) = s.full;
            let body = &text[a..b];
            let mut dup = b"\n".to_vec();
            dup.extend_from_slice(body);
            push(s, "duplicate location".into(), splice(text, b, 0, &dup));
            if let Some((x, y, uri)) = s.args.last()
                && s.args.len() == 1
                && !uri.starts_with('@')
            {
                let rel_x = x - a;
                let rel_y = y - a;
                for modifier in ["^~ ", "= "] {
                    let mut copy = body[..rel_x].to_vec();
                    copy.extend_from_slice(modifier.as_bytes());
                    copy.extend_from_slice(&body[rel_x..rel_y]);
                    copy.extend_from_slice(&body[rel_y..]);
                    let mut ins = b"\n".to_vec();
                    ins.extend_from_slice(&copy);
                    push(
                        s,
                        format!("duplicate location as {}", modifier.trim()),
                        splice(text, b, 0, &ins),
                    );
                }
            }
            // A location without its block.
            if let Some(&(_, end, _)) = s.args.last() {
                push(
                    s,
                    "location without block".into(),
                    splice(text, end, b - end, b";"),
                );
            }
        }
        if s.name == "upstream" && s.ctx == Ctx::Http {
            let (a, b) = s.full;
            let mut dup = b"\n".to_vec();
            let body = String::from_utf8_lossy(&text[a..b]).into_owned();
            let upper = match s.args.first() {
                Some((_, _, n)) => body.replacen(n.as_str(), &n.to_uppercase(), 1),
                None => body,
            };
            dup.extend_from_slice(upper.as_bytes());
            push(s, "duplicate upstream".into(), splice(text, b, 0, &dup));
        }
        if s.name == "listen"
            && s.ctx == Ctx::Server
            && let Some(&(a, b, ref addr)) = s.args.first()
        {
            if !s
                .args
                .iter()
                .any(|(_, _, p)| p == "default_server" || p == "default")
            {
                push(
                    s,
                    "add default_server".into(),
                    splice(text, b, 0, b" default_server"),
                );
            }
            push(s, "port 99999".into(), splice(text, a, b - a, b"99999"));
            push(
                s,
                "param defualt_server".into(),
                splice(text, b, 0, b" defualt_server"),
            );
            if addr.starts_with('[') {
                push(
                    s,
                    "ipv4 twin".into(),
                    splice(text, a, b - a, b"*:80 default_server"),
                );
            }
        }
        if matches!(
            s.name.as_str(),
            "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "grpc_pass" | "scgi_pass"
        ) && let Some((a, b, url)) = s.args.first()
        {
            // Undefined names: drop the port, or misspell the upstream.
            let scheme_end = url.find("://").map_or(0, |i| i + 3);
            let rest = &url[scheme_end..];
            let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
            let host = &rest[..host_end];
            let new = if let Some((h, _port)) = host.rsplit_once(':')
                && !host.starts_with("unix")
                && !host.starts_with('[')
            {
                Some((
                    format!("{}{h}{}", &url[..scheme_end], &rest[host_end..]),
                    "drop port",
                ))
            } else if !host.starts_with("unix") && !host.contains('$') && !host.is_empty() {
                Some((
                    format!("{}{host}x{}", &url[..scheme_end], &rest[host_end..]),
                    "misspell host",
                ))
            } else {
                None
            };
            if let Some((u, what)) = new {
                push(
                    s,
                    format!("{what} in {}", s.name),
                    splice(text, *a, b - a, u.as_bytes()),
                );
            }
        }
        let _ = &s.parent;
    }
    out
}

/// How one case came out.
struct Outcome {
    id: String,
    nginx: Verdict,
    ours: Vec<Lint>,
}

fn agrees(o: &Outcome) -> Result<(), String> {
    let errors: Vec<&Lint> = o
        .ours
        .iter()
        .filter(|l| l.severity == Severity::Error)
        .collect();
    match &o.nginx {
        Verdict::Ok if errors.is_empty() => Ok(()),
        Verdict::Ok => Err(format!(
            "nginx accepts; we report {}",
            errors
                .iter()
                .map(|l| format!(
                    "[{}] {} at {}:{}",
                    l.rule,
                    l.message,
                    l.file.display(),
                    l.line
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Verdict::Err {
            message,
            file,
            line,
        } => {
            // nginx names no line for what it checks after reading
            // (shared memory zones: `:0`) and the end of the `http` block
            // for a cache zone it cannot find; our error with nginx's own
            // message, at the directive, is the same verdict.
            let at = |l: &&Lint| {
                (l.file == *file && l.line <= *line && *line <= l.end_line)
                    || l.related.iter().any(|(f, n)| f == file && n == line)
                    || l.message == *message
            };
            if errors.iter().any(at) {
                Ok(())
            } else if errors.is_empty() {
                Err(format!(
                    "nginx rejects: {message} at {}:{line}; we report no error",
                    file.display()
                ))
            } else {
                Err(format!(
                    "nginx rejects: {message} at {}:{line}; our errors are elsewhere: {}",
                    file.display(),
                    errors
                        .iter()
                        .map(|l| format!(
                            "[{}] {} at {}:{}",
                            l.rule,
                            l.message,
                            l.file.display(),
                            l.line
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            }
        }
    }
}

/// Drop the throwaway prefix from paths in messages, so ids and reports
/// are stable.
fn relative(o: &mut Outcome, dir: &Path) {
    let dir = harness::canonical(dir);
    if let Verdict::Err { file, .. } = &mut o.nginx
        && let Ok(r) = file.strip_prefix(&dir)
    {
        *file = r.to_path_buf();
    }
    for l in &mut o.ours {
        if let Ok(r) = l.file.strip_prefix(&dir) {
            l.file = r.to_path_buf();
        }
        for (f, _) in &mut l.related {
            if let Ok(r) = f.strip_prefix(&dir) {
                *f = r.to_path_buf();
            }
        }
    }
}

#[test]
fn schema_verdicts_match_nginx() {
    if require_nginx().is_none() {
        return;
    }
    let trees = corpus();
    let mut cases: Vec<Case> = trees.iter().flat_map(|t| tree_cases(t)).collect();
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases.dedup_by(|a, b| a.id == b.id);
    assert!(cases.len() >= 500, "only {} cases", cases.len());
    let outcomes: Vec<Outcome> = parallel(&cases, 2, |c| {
        let dir = harness::case_dir();
        materialize(&c.tree, dir.path(), &[(c.file.clone(), c.text.clone())]);
        let mut o = Outcome {
            id: c.id.clone(),
            nginx: nginx_t(dir.path()),
            ours: lint(dir.path()),
        };
        relative(&mut o, dir.path());
        o
    });
    let mut agree = 0;
    let mut unexpected = Vec::new();
    let mut known_hit = Vec::new();
    let mut rejected = 0;
    for o in &outcomes {
        if !o.nginx.is_ok() {
            rejected += 1;
        }
        match agrees(o) {
            Ok(()) => agree += 1,
            Err(why) => match KNOWN.iter().find(|(id, _)| *id == o.id) {
                Some((_, reason)) => known_hit.push(format!("{}: {why} (known: {reason})", o.id)),
                None => unexpected.push(format!("{}: {why}", o.id)),
            },
        }
    }
    let n = outcomes.len();
    let pct = 100.0 * agree as f64 / n as f64;
    println!("schema differential: {n} cases, {agree} agree ({pct:.1}%)");
    println!("  nginx rejected {rejected}, accepted {}", n - rejected);
    for k in &known_hit {
        println!("  known disagreement: {k}");
    }
    let stale: Vec<&str> = KNOWN
        .iter()
        .filter(|(id, _)| !outcomes.iter().any(|o| o.id == *id && agrees(o).is_err()))
        .map(|(id, _)| *id)
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} unexpected disagreements:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "KNOWN entries that now agree (remove them): {stale:?}"
    );
    assert!(pct >= 99.0, "agreement {pct:.1}% < 99%");
}
