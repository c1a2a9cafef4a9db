//! `route` against the real nginx: a generated configuration covering every
//! `server_name` form (exact, `*.x`, `.x`, `x.*`, regexes with captures,
//! caseless regexes, `""`, `default_server`, a conflicting name, per-port
//! defaults, a specific address beside the wildcard, IPv6, an address
//! listened only on one IP) and every location form (`=`, `^~`, prefix,
//! `~`, `~*`, nested prefixes and regexes, a named location reached by
//! `try_files`, a quoted name with a space, a name with a literal `%`,
//! `error_page` redirects to URIs and named locations),
//! each location answering its own marker. nginx runs it on loopback
//! ports; thousands of requests (hosts, addresses, ports, paths with
//! percent-escapes, dot segments, doubled slashes, bad escapes) go to it
//! over raw TCP, and our `route` must name the same answer: the marker of
//! the location (after `try_files`), the server's own marker when no
//! location matches, 400 when nginx refuses the request, "refused" when
//! nothing listens.
//!
//! Needs nginx (`.ci/run` installs nginx-full); `NGINX_LINT_SKIP_DIFFERENTIAL=1`
//! skips it where there is none.

#[path = "support/nginx.rs"]
mod harness;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nginx_lint::model::Model;
use nginx_lint::route::Engine;
use nginx_lint::route::request::Request;
use nginx_lint::route::run::{Handler, run};
use nginx_lint::route::server::Conn;
use nginx_lint::{Inputs, load};

/// The server blocks: listens (with `{P1}` … `{P3}` for the ports) and
/// names; an even index gets every location, an odd one all but `/` and
/// `= /` (so that some URIs match no location).
const SERVERS: &[(&str, &str)] = &[
    ("listen {P1};", "_"),
    ("listen {P1}; listen {P2};", "example.com www.example.com"),
    ("listen {P1};", "*.example.com"),
    ("listen {P1};", ".example.org"),
    ("listen {P1};", "www.*"),
    ("listen {P1};", "mail.example.*"),
    ("listen {P1};", r"~^(?<sub>[a-z]+)\.regex\.test$"),
    ("listen {P1};", r#"~^api\d+\.example\.net$ """#),
    ("listen {P1};", "*.a.example.com"),
    ("listen {P1} default_server;", "default.test"),
    ("listen {P1};", r"~^CASE\.test$"),
    ("listen {P1};", "www.example.com"),
    ("listen 127.0.0.2:{P1};", "example.com"),
    (
        "listen 127.0.0.2:{P1};",
        r"other.test ~^(www\.)?(?<d>.+)\.other$",
    ),
    ("listen [::1]:{P1};", "v6.test"),
    ("listen {P2} default_server;", "p2default.test"),
    ("listen [::1]:{P1} default_server;", "v6default.test"),
    ("listen 127.0.0.3:{P3};", "p3.test"),
    ("listen {P1};", r"~^(?<x>.+)\.tld$"),
    ("listen {P1};", "exact.tld *.star.tld"),
    ("listen {P1};", "star.*"),
    // "conflicting server name": the first holder keeps the name.
    ("listen {P1};", ".conflict.test"),
    ("listen {P1};", "conflict.test Star.Conflict.Test"),
    ("listen {P1};", "*.star.conflict.test"),
];

/// Locations: (marker number, text with `{M}` for the marker prefix).
const LOCATIONS: &[&str] = &[
    "location = / { return 200 \"{M}L0\"; }",
    "location / { return 200 \"{M}L1\"; }",
    "location /static/ { return 200 \"{M}L2\"; }",
    "location ^~ /static/img/ { return 200 \"{M}L3\"; }",
    r#"location ~ \.php$ { return 200 "{M}L4"; }"#,
    r#"location ~* \.(jpg|PNG)$ { return 200 "{M}L5"; }"#,
    concat!(
        "location /api/ { return 200 \"{M}L6\";\n",
        "  location ~ ^/api/v[0-9]+/ { return 200 \"{M}L7\"; }\n",
        "  location /api/admin/ { return 200 \"{M}L8\";\n",
        "    location = /api/admin/exact { return 200 \"{M}L9\"; }\n",
        "  }\n}"
    ),
    "location = /exact { return 200 \"{M}L10\"; }",
    "location /exact { return 200 \"{M}L11\"; }",
    r#"location ~ ^/(?<word>[a-z]+)/(\d+)$ { return 200 "{M}L12:$word:$2"; }"#,
    "location ^~ /noregex { return 200 \"{M}L13\"; }",
    "location \"/a b/\" { return 200 \"{M}L14\"; }",
    "location /try/ { try_files $uri $uri/ @named; }",
    "location @named { return 200 \"{M}L16\"; }",
    concat!(
        r#"location ~ ^/n/ { return 200 "{M}L17";"#,
        "\n",
        r#"  location ~ /deep$ { return 200 "{M}L18"; }"#,
        "\n}"
    ),
    "location /dots/ { return 200 \"{M}L19\"; }",
    "location ~ /caps/ { return 200 \"{M}L20\"; }",
    r#"location ~ \?x$ { return 200 "{M}L21"; }"#,
    "location /%41/ { return 200 \"{M}L22\"; }",
    "location /old/ { rewrite ^/old/(.*)$ /static/$1 last; }",
    "location /perm/ { rewrite ^/perm/(.*)$ /moved/$1 permanent; }",
    "location /if/ { if ($arg_v = yes) { return 200 \"{M}L24\"; } return 200 \"{M}L25:$args\"; }",
    "location /tf/ { try_files $uri /static/fallback?from=tf; }",
    // error_page: the server's `403 404 @none`, an own `=200` to a URI,
    // a second error not redirected (recursive_error_pages off), and a
    // redirect from a block with it on into one with it off.
    "location /ep/ { return 404; }",
    "location /ep2/ { error_page 404 =200 /ep2dest; return 404; }",
    "location = /ep2dest { return 200 \"{M}L26\"; }",
    "location /ep3/ { error_page 404 /ep3/x; return 404; }",
    "location /ep4/ { recursive_error_pages on; error_page 404 /ep4r; return 404; }",
    "location = /ep4r { return 404; }",
];

const HOSTS: &[Option<&str>] = &[
    Some("example.com"),
    Some("www.example.com"),
    Some("EXAMPLE.COM."),
    Some("example.com:8080"),
    Some("foo.example.com"),
    Some("x.a.example.com"),
    Some("a.example.com"),
    Some("example.org"),
    Some("deep.sub.example.org"),
    Some("www.foo.bar"),
    Some("www"),
    Some("mail.example.co.uk"),
    Some("mail.example"),
    Some("abc.regex.test"),
    Some("ABC.Regex.Test"),
    Some("1bc.regex.test"),
    Some("api12.example.net"),
    Some("api.example.net"),
    Some("case.test"),
    Some("CASE.TEST"),
    Some("unknown.invalid"),
    Some("default.test"),
    Some("other.test"),
    Some("www.site.other"),
    Some("v6.test"),
    Some("v6default.test"),
    Some("p2default.test"),
    Some("exact.tld"),
    Some("foo.tld"),
    Some("x.star.tld"),
    Some("star.tld"),
    Some("p3.test"),
    Some("conflict.test"),
    Some("star.conflict.test"),
    Some("a.star.conflict.test"),
    Some("bad..host"),
    Some("_"),
    Some("[::1]:8080"),
    None,
];

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/static/x.css",
    "/static/img/a.png",
    "/static/x.png",
    "/STATIC/x.PNG",
    "/x.php",
    "/x.PHP",
    "/dir/x.JPG",
    "/api/",
    "/api",
    "/api/v2/users",
    "/api/admin/x",
    "/api/admin/exact",
    "/api/admin/exact/",
    "/api/admin/x.php",
    "/exact",
    "/exact/",
    "/exactly",
    "/abc/123",
    "/abc/12a",
    "/noregex.php",
    "/noregex/x.jpg",
    "/a%20b/c",
    "/a%20b/",
    "/try/file",
    "/n/deep",
    "/n/deeper",
    "/caps/x",
    "/CAPS/x",
    "/dots/../static/x",
    "/dots/./x",
    "/static/..",
    "/static/%2e%2e/api/v1/",
    "/..",
    "/a/../../x",
    "/%2e%2e",
    "//static//img//b.jpg",
    "/static%2Fimg%2Fc.png",
    "/a%3Fx",
    "/%2541/x",
    "/%41pi/v1/",
    "/x%zz",
    "/x%00y",
    "/q?x=/static/",
    "/api/v1/x?y=1",
    "/static/img/../../x.php",
    "/n/%2E/deep",
    "/abc/42",
    "/old/x.css",
    "/old/../old/img/y.png",
    "/perm/a",
    "/if/?v=yes",
    "/if/?v=no&w=1",
    "/tf/x",
    "/ep/x",
    "/ep2/x",
    "/ep3/x",
    "/ep4/x",
];

fn free_port(v6_too: bool) -> u16 {
    loop {
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(a) = l.local_addr() else { continue };
        let p = a.port();
        drop(l);
        if p <= 20000 {
            continue;
        }
        let free = |addr: &str| TcpListener::bind(addr).is_ok();
        if free(&format!("0.0.0.0:{p}")) && (!v6_too || free(&format!("[::1]:{p}"))) {
            return p;
        }
    }
}

fn config(dir: &Path, ports: [u16; 3]) -> String {
    let mut servers = String::new();
    for (i, (listen, names)) in SERVERS.iter().enumerate() {
        let listen = listen
            .replace("{P1}", &ports[0].to_string())
            .replace("{P2}", &ports[1].to_string())
            .replace("{P3}", &ports[2].to_string());
        let m = format!("S{i}");
        let mut locs = String::new();
        for (j, l) in LOCATIONS.iter().enumerate() {
            if i % 2 == 1 && j < 2 {
                continue;
            }
            locs.push_str(&l.replace("{M}", &m));
            locs.push('\n');
        }
        servers.push_str(&format!(
            "server {{\n{listen}\nserver_name {names};\nerror_page 403 404 @none;\n\
             location @none {{ return 200 \"{m}:none\"; }}\n{locs}}}\n"
        ));
    }
    format!(
        "master_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\naccess_log off;\ntypes {{}}\ndefault_type text/plain;\nroot {d}/empty;\nserver_names_hash_bucket_size 128;\n{servers}}}\n",
        d = dir.display()
    )
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(nginx: &Path, dir: &Path, port: u16) -> Nginx {
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    let n = Nginx(child);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    n
}

/// nginx's answer: the body of a 200, else the status; "refused".
fn ask(ip: IpAddr, port: u16, host: Option<&str>, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&SocketAddr::new(ip, port), Duration::from_secs(2))
    else {
        return "refused".into();
    };
    let req = match host {
        Some(h) => format!("GET {path} HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
        None => format!("GET {path} HTTP/1.0\r\n\r\n"),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(req.as_bytes()).is_err() {
        return "write failed".into();
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).unwrap_or("").to_string();
    // `return 200 "marker"` answers text/plain (no `types` here), and so
    // does an `error_page` to the named location that returns one (with
    // the error's status); nginx's own error pages are text/html.
    match text.split_once("\r\n\r\n") {
        Some((head, body)) if head.contains("Content-Type: text/plain") => body.to_string(),
        _ => status,
    }
}

/// Our answer for the same request.
fn ours(engine: &Engine<'_, '_>, ip: IpAddr, port: u16, host: Option<&str>, path: &str) -> String {
    let req = Request {
        scheme: "http".into(),
        conn: Conn { ip: Some(ip), port },
        host: host.map(str::to_string),
        target: path.as_bytes().to_vec(),
        method: "GET".into(),
        headers: host
            .map(|h| vec![("host".to_string(), h.to_string())])
            .unwrap_or_default(),
        client_ip: None,
        // The files are looked at: the root is an empty directory.
        files: Some("/".into()),
        sni: None,
        hostname: None,
    };
    let out = run(engine, &req);
    match &out.handler {
        Handler::Status { code: 0, .. } if out.sel.socket.is_none() => "refused".into(),
        Handler::Status { code, .. } => code.to_string(),
        Handler::Return { code, .. } if *code != 200 => code.to_string(),
        Handler::Return {
            code: 200,
            text: Some(t),
            ..
        } => t.clone(),
        h => format!("{h:?}"),
    }
}

/// Differences we know of and why: (host, path, reason). None today.
const EXPLAINED: &[(&str, &str, &str)] = &[];

#[test]
fn route_names_what_nginx_answers() {
    let Some(nginx) = harness::require_nginx() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("empty")).expect("root dir");
    let ports = [free_port(true), free_port(false), free_port(false)];
    std::fs::write(dir.path().join("nginx.conf"), config(dir.path(), ports)).expect("write conf");
    let _n = start(&nginx, dir.path(), ports[0]);

    let loaded = load::load(&Inputs {
        paths: vec![dir.path().join("nginx.conf")],
        ..Inputs::default()
    })
    .expect("load the generated config");
    let model = Model::build(&loaded);
    let engine = Engine::new(&model);

    let lo = |s: &str| s.parse::<IpAddr>().expect("ip");
    let conns = [
        (lo("127.0.0.1"), ports[0], 1),
        (lo("127.0.0.2"), ports[0], 2),
        (lo("::1"), ports[0], 2),
        (lo("127.0.0.1"), ports[1], 3),
        (lo("127.0.0.3"), ports[2], 5),
        (lo("127.0.0.1"), ports[2], 7),
    ];
    let t0 = Instant::now();
    let (mut total, mut differences) = (0usize, Vec::new());
    let mut answers = std::collections::BTreeSet::new();
    for &(ip, port, every) in &conns {
        for (hi, host) in HOSTS.iter().enumerate() {
            for (pi, path) in PATHS.iter().enumerate() {
                if (hi + pi) % every != 0 {
                    continue;
                }
                total += 1;
                let theirs = ask(ip, port, *host, path);
                answers.insert(theirs.clone());
                let mine = ours(&engine, ip, port, *host, path);
                if theirs != mine {
                    differences.push(format!(
                        "{ip}:{port} Host {host:?} {path}: nginx {theirs:?}, route {mine:?}"
                    ));
                }
            }
        }
    }
    let unexplained: Vec<&String> = differences
        .iter()
        .filter(|d| {
            !EXPLAINED
                .iter()
                .any(|(h, p, _)| d.contains(&format!("Host Some({h:?}) {p}:")))
        })
        .collect();
    eprintln!(
        "route vs nginx: {total} requests, {} distinct answers, {} differences, {:.1} s",
        answers.len(),
        differences.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(total >= 2000, "only {total} requests");
    // The answers are markers of many locations, not one refusal.
    assert!(
        answers.len() > 150,
        "only {} distinct answers",
        answers.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(differences.len() * 1000 <= total, "agreement below 99.9%");
}
