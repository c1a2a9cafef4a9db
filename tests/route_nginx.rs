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
//! A second configuration ([`GAPS`]) checks, through curl with openssl's
//! certificates, the requests nginx refuses before its phases and the
//! `error_page` answering them, `if (-f …)` and its kin on real files, and
//! `ssl_verify_client` with and without client certificates.
//!
//! Needs nginx (`.ci/run` installs nginx-full); `NGINX_LINT_SKIP_DIFFERENTIAL=1`
//! skips it where there is none.

#[path = "support/route_forms.rs"]
mod forms;
#[path = "support/nginx.rs"]
mod harness;
#[path = "support/loopback.rs"]
mod loopback;

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use loopback::{ask, free_port, start};
use nginx_lint::model::Model;
use nginx_lint::route::Engine;
use nginx_lint::route::request::{ClientCert, HttpVersion, Request};
use nginx_lint::route::run::{Handler, Outcome, run};
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

/// Our answer for the same request.
fn ours(engine: &Engine<'_, '_>, ip: IpAddr, port: u16, host: Option<&str>, path: &str) -> String {
    let req = Request {
        scheme: "http".into(),
        conn: Conn { ip: Some(ip), port },
        host: host.map(str::to_string),
        target: path.as_bytes().to_vec(),
        absolute: None,
        // `ask` sends a request without Host as HTTP/1.0.
        version: match host {
            Some(_) => HttpVersion::V11,
            None => HttpVersion::V10,
        },
        method: "GET".into(),
        headers: host
            .map(|h| vec![("host".to_string(), h.to_string())])
            .unwrap_or_default(),
        client_ip: None,
        // The files are looked at: the root is an empty directory.
        files: Some("/".into()),
        sni: None,
        hostname: None,
        client_cert: None,
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

/// The second configuration: requests nginx refuses before its phases
/// (an invalid Host, a refused target) and the default server's
/// `error_page`; `if` file tests on real files; `ssl_verify_client` with
/// and without client certificates, 495/496/497/421 and their
/// `error_page`; requests without Host and in the absolute form ([`FORMS`],
/// [`TLS_FORMS`]). `{D}` is the directory, `{P1}` … `{P5}` the ports.
const GAPS: &str = r#"
server { listen {P1} default_server; server_name a.test;
  error_page 400 /bad; location = /bad { return 200 "A-bad $host"; }
  location / { return 200 "A:$host"; } }
server { listen {P1}; server_name b.test;
  error_page 400 =200 /bad; location = /bad { return 200 "B-bad $host"; }
  location / { return 200 "B:$host:$http_host:$request_uri"; } }
server { listen {P1}; server_name noh.test "";
  error_page 400 /bad; location = /bad { return 200 "N-bad $host"; }
  location / { return 200 "N:$host"; } }
server { listen {P4} default_server; server_name d.test;
  error_page 400 https://elsewhere.test/; location / { return 200 "D:$host"; } }
server { listen {P2} default_server; server_name files.test; root {D}/www;
  location /t/ {
    if (-f $document_root/$arg_p) { return 200 "f:$arg_p"; }
    if (-d $document_root/$arg_p) { return 200 "d:$arg_p"; }
    if (-e $document_root/$arg_p) { return 200 "e:$arg_p"; }
    return 200 "none:$arg_p"; }
  location /x/ {
    if (-x $document_root/$arg_p) { return 200 "x:$arg_p"; }
    if (!-x $document_root/$arg_p) { return 200 "notx:$arg_p"; } }
  location /n/ {
    if (!-f $document_root/$arg_p) { return 200 "notf:$arg_p"; }
    if (!-d $document_root/$arg_p) { return 200 "notd:$arg_p"; }
    if (!-e $document_root/$arg_p) { return 200 "note:$arg_p"; }
    return 200 "all:$arg_p"; }
  location /rf/ {
    if (!-e $request_filename) { return 200 "missing:$request_filename"; }
    return 200 "there:$request_filename"; } }
ssl_certificate {D}/srv.pem; ssl_certificate_key {D}/srv.key;
ssl_client_certificate {D}/ca.pem;
server { listen {P3} ssl default_server; server_name on.test;
  ssl_verify_client on; location / { return 200 "on:$ssl_client_verify"; } }
server { listen {P3} ssl; server_name onep.test; ssl_verify_client on;
  error_page 496 /nocert; error_page 495 =403 /certerr;
  error_page 497 https://$host:{P3}$request_uri; error_page 400 /four;
  location = /nocert { return 200 "onep-nocert:$ssl_client_verify"; }
  location = /certerr { return 200 "onep-certerr"; }
  location = /four { return 200 "onep-four"; }
  location / { return 200 "onep:$ssl_client_verify"; } }
server { listen {P3} ssl; server_name opt.test; ssl_verify_client optional;
  error_page 421 /mis; location = /mis { return 200 "opt-mis"; }
  location / { return 200 "opt:$ssl_client_verify"; } }
server { listen {P3} ssl; server_name noca.test; ssl_verify_client optional_no_ca;
  location / { return 200 "noca:$ssl_client_verify"; } }
server { listen {P3} ssl; server_name nov.test;
  location / { return 200 "nov:$ssl_client_verify"; } }
server { listen {P3} ssl; server_name p497.test; error_page 400 /four;
  error_page 497 /p497; location = /p497 { return 200 "p497"; }
  location = /four { return 200 "p-four"; } }
server { listen {P5} ssl default_server; server_name s0.test;
  error_page 400 /bad; location = /bad { return 200 "S0-bad $host"; }
  location / { return 200 "S0:$host"; } }
server { listen {P5} ssl; server_name s1.test; location / { return 200 "S1:$host"; } }
server { listen {P5} ssl; server_name sv.test; ssl_verify_client optional;
  location / { return 200 "SV:$host"; } }
"#;

/// Run `cmd`, failing the test with its output when it fails.
fn sh(cmd: &mut Command) {
    let o = cmd.output().expect("run a command");
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA, a server certificate, a client certificate the CA signed and a
/// self-signed one (`untrusted`), with openssl; and the files the `if`
/// tests look at: a file, a directory, an executable, a symbolic link to
/// the file, a dangling one, a FIFO.
fn gaps_files(d: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let req = |name: &str, subj: &str| {
        let mut c = Command::new("openssl");
        c.current_dir(d)
            .arg("req")
            .args(ec)
            .args(["-keyout", &format!("{name}.key")]);
        c.args(["-subj", subj]);
        c
    };
    sh(req("ca", "/CN=route test CA").args(["-x509", "-days", "2", "-out", "ca.pem"]));
    sh(req("self", "/CN=untrusted").args(["-x509", "-days", "2", "-out", "self.pem"]));
    for name in ["srv", "cli"] {
        sh(req(name, &format!("/CN={name}")).args(["-out", &format!("{name}.csr")]));
        sh(Command::new("openssl")
            .current_dir(d)
            .args([
                "x509",
                "-req",
                "-days",
                "2",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
            ])
            .args([
                "-in",
                &format!("{name}.csr"),
                "-out",
                &format!("{name}.pem"),
            ]));
    }
    let w = d.join("www");
    std::fs::create_dir_all(w.join("d")).expect("mkdir");
    std::fs::write(w.join("f"), "f").expect("write");
    std::fs::write(w.join("x"), "x").expect("write");
    let exec = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(w.join("x"), exec).expect("chmod");
    std::os::unix::fs::symlink("f", w.join("lnk")).expect("symlink");
    std::os::unix::fs::symlink("nope", w.join("dangling")).expect("symlink");
    sh(Command::new("mkfifo").arg(w.join("fifo")));
}

/// One request: URL, extra headers, client certificate.
type Case = (String, Vec<&'static str>, Option<ClientCert>);

fn gaps_cases(ports: [u16; 5]) -> Vec<Case> {
    let [p1, p2, p3, p4, _] = ports;
    let mut v: Vec<Case> = Vec::new();
    let mut add = |url: String, h: &[&'static str], c| v.push((url, h.to_vec(), c));
    add(format!("http://b.test:{p1}/x"), &["Host: bad..host"], None);
    add(format!("http://b.test:{p1}/x"), &["Host: bad/host"], None);
    add(format!("http://b.test:{p1}/x%00"), &[], None);
    add(format!("http://b.test:{p1}/../x"), &[], None);
    add(format!("http://b.test:{p1}/x"), &[], None);
    add(format!("http://d.test:{p4}/x"), &["Host: bad..host"], None);
    for p in ["f", "d", "x", "lnk", "dangling", "fifo", "nope", "f/below"] {
        for l in ["t", "x", "n"] {
            add(format!("http://files.test:{p2}/{l}/?p={p}"), &[], None);
        }
    }
    add(format!("http://files.test:{p2}/rf/a"), &[], None);
    add(format!("http://files.test:{p2}/rf/d"), &[], None);
    for h in ["on", "onep", "opt", "noca", "nov"] {
        for c in [None, Some(ClientCert::Sent), Some(ClientCert::Untrusted)] {
            add(format!("https://{h}.test:{p3}/p"), &[], c);
        }
    }
    for h in ["on", "onep", "p497"] {
        add(format!("http://{h}.test:{p3}/p?q=1"), &[], None);
    }
    // SNI opt.test, Host on.test (ssl_verify_client): 421 in opt.test.
    add(format!("https://opt.test:{p3}/p"), &["Host: on.test"], None);
    v
}

/// nginx's answer through curl: the status, and the body of a
/// text/plain response or the Location of a redirect.
fn curl(d: &Path, (url, headers, cert): &Case) -> String {
    let mut c = Command::new("curl");
    c.args(["-sk", "--path-as-is", "-D", "-", "--max-time", "5"]);
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    if let Some((name, port)) = host.rsplit_once(':') {
        c.args(["--resolve", &format!("{name}:{port}:127.0.0.1")]);
    }
    for h in headers {
        c.args(["-H", h]);
    }
    match cert {
        Some(ClientCert::Sent) => c.args(["--cert", "cli.pem", "--key", "cli.key"]),
        Some(ClientCert::Untrusted) => c.args(["--cert", "self.pem", "--key", "self.key"]),
        None => &mut c,
    };
    let o = c.current_dir(d).arg(url).output().expect("run curl");
    response(&String::from_utf8_lossy(&o.stdout))
}

/// A response as the status, and the body of a text/plain response or
/// the Location of a redirect.
fn response(text: &str) -> String {
    let text = text.replace('\r', "");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap_or("").to_string();
    let header = |n: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(n))
            .map(|v| v.trim().to_string())
    };
    if let Some(loc) = header("Location:") {
        return format!("{status} {loc}");
    }
    match header("Content-Type:") {
        Some(t) if t == "text/plain" => format!("{status} {body}"),
        _ => status,
    }
}

/// Requests curl does not send as written (it puts its Host first and
/// sends one): the method and the headers in order, to `/x` on `{P1}`.
const RAW: &[(&str, &[&str])] = &[
    ("GET", &["Host: b.test", "Host: a.test"]),
    (
        "GET",
        &["Host: b.test", "Content-Length: 1", "Content-Length: 1"],
    ),
    (
        "GET",
        &["Content-Length: 1", "Content-Length: 1", "Host: b.test"],
    ),
    // (A duplicate If-Match is the 400 too, but the error page's response
    // then meets the not-modified filter's 412: route does not model
    // conditional requests.)
    (
        "GET",
        &[
            "Host: b.test",
            "If-Modified-Since: a",
            "If-Modified-Since: b",
        ],
    ),
    (
        "GET",
        &["Authorization: a", "Host: b.test", "Authorization: b"],
    ),
    ("GET", &["Host: b.test", "Content-Length: x"]),
    ("GET", &["Host: b.test", "Transfer-Encoding: gzip"]),
    (
        "GET",
        &[
            "Host: b.test",
            "Transfer-Encoding: chunked",
            "Content-Length: 0",
        ],
    ),
    ("TRACE", &["Host: b.test"]),
    ("CONNECT", &["Host: b.test"]),
];

/// nginx's answer to a [`RAW`] request over TCP.
fn raw(port: u16, method: &str, headers: &[&str]) -> String {
    forms::raw_line(port, &format!("{method} /x HTTP/1.1"), headers)
}

/// route's answer for the same request, in the same form.
fn ours_gaps(engine: &Engine<'_, '_>, (url, headers, cert): &Case) -> String {
    ours_method(engine, "GET", (url, headers, cert))
}

fn ours_method(
    engine: &Engine<'_, '_>,
    method: &str,
    (url, headers, cert): (&String, &Vec<&'static str>, &Option<ClientCert>),
) -> String {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut req = Request::from_url(url, method, &headers, None).expect("url");
    req.files = Some("/".into());
    req.client_cert = *cert;
    shown(&run(engine, &req))
}

/// An outcome in the form of [`response`]: the status and the text of a
/// `return`.
fn shown(out: &Outcome) -> String {
    match &out.handler {
        Handler::Return {
            code,
            text: Some(t),
            ..
        } => format!("{} {t}", out.status.unwrap_or(*code)),
        Handler::Status { code, .. } => code.to_string(),
        h => format!("{h:?}"),
    }
}

/// Checked by hand first (nginx 1.22.1, curl): an invalid Host answers
/// the default server's `error_page 400` page with 400 and `$host` its
/// name; `error_page 400` does not catch 496/497; a 496 page without
/// `=code` answers 400; optional_no_ca lets any certificate through with
/// $ssl_client_verify SUCCESS or FAILED:…, which route does not compute
/// (its answer keeps the variable's name: the one difference, explained
/// below).
#[test]
fn early_errors_file_tests_and_client_certificates_as_nginx() {
    let Some(nginx) = harness::require_nginx() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    gaps_files(d);
    let ports = [
        free_port(false),
        free_port(false),
        free_port(false),
        free_port(false),
        free_port(false),
    ];
    let mut http = GAPS.replace("{D}", &d.display().to_string());
    for (i, p) in ports.iter().enumerate() {
        http = http.replace(&format!("{{P{}}}", i + 1), &p.to_string());
    }
    let conf = format!(
        "master_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\nhttp {{\naccess_log off;\ntypes {{}}\n\
         default_type text/plain;\n{http}}}\n",
        d = d.display()
    );
    std::fs::write(d.join("nginx.conf"), conf).expect("write conf");
    let _n = start(&nginx, d, ports[2]);
    let loaded = load::load(&Inputs {
        paths: vec![d.join("nginx.conf")],
        ..Inputs::default()
    })
    .expect("load the generated config");
    let model = Model::build(&loaded);
    let engine = Engine::new(&model);
    let (mut differences, mut explained_n) = (Vec::new(), 0);
    let cases = gaps_cases(ports);
    for (method, headers) in RAW {
        let url = format!("http://b.test:{}/x", ports[0]);
        let theirs = raw(ports[0], method, headers);
        let mine = ours_method(&engine, method, (&url, &headers.to_vec(), &None));
        if theirs != mine {
            differences.push(format!(
                "{method} {headers:?}: nginx {theirs:?}, route {mine:?}"
            ));
        }
    }
    for case in &cases {
        let (theirs, mine) = (curl(d, case), ours_gaps(&engine, case));
        // optional_no_ca with a certificate: SUCCESS or FAILED:<OpenSSL's
        // reason>, not known to route (no chain is checked).
        let explained = theirs.starts_with("200 noca:") && mine == "200 noca:$ssl_client_verify";
        explained_n += usize::from(theirs != mine && explained);
        if theirs != mine && !explained {
            differences.push(format!("{case:?}: nginx {theirs:?}, route {mine:?}"));
        }
    }
    let (forms_n, forms_diffs) = forms::differences(&engine, d, ports);
    differences.extend(forms_diffs);
    eprintln!(
        "route vs nginx (early errors, file tests, client certificates, no Host, absolute form): {} requests, {explained_n} explained differences",
        cases.len() + RAW.len() + forms_n
    );
    assert!(explained_n <= 2, "{explained_n} explained differences");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
