//! The run on small configurations: file tests of `if`, the errors nginx
//! meets before the phases and their `error_page`, client certificates.
//! Each expectation was checked with nginx 1.22 and curl (see
//! tests/route_nginx.rs for the same against a running nginx).

use super::{Handler, Outcome, run};
use crate::Inputs;
use crate::model::Model;
use crate::route::Engine;
use crate::route::request::{ClientCert, HttpVersion, Request};

/// Load `conf` as the tree's nginx.conf and run `req` on it.
fn run_conf(conf: &str, req: &Request) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).expect("write");
    let loaded = crate::load::load(&Inputs {
        paths: vec![path],
        ..Inputs::default()
    })
    .expect("load");
    let model = Model::build(&loaded);
    run(&Engine::new(&model), req)
}

/// Run `url` (with `headers`) on `conf`, files looked at under `files`.
fn outcome(
    conf: &str,
    url: &str,
    headers: &[&str],
    files: Option<&std::path::Path>,
    cert: Option<ClientCert>,
) -> (Outcome, String) {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut req = Request::from_url(url, "GET", &headers, Some("127.0.0.1")).expect("url");
    req.files = files.map(|p| p.to_path_buf());
    req.client_cert = cert;
    let out = run_conf(conf, &req);
    let answer = answer(&out);
    (out, answer)
}

/// The status the client sees and the text of a `return`.
fn answer(out: &Outcome) -> String {
    match &out.handler {
        Handler::Return {
            code,
            text: Some(t),
            ..
        } => format!("{} {t}", out.status.unwrap_or(*code)),
        Handler::Return { code, .. } => out.status.unwrap_or(*code).to_string(),
        Handler::Status { code, why } => format!("{code} ({why})"),
        h => format!("{h:?}"),
    }
}

const FILES: &str = "events {}\nhttp {\n server {\n  listen 80;\n  root /srv;\n  location /t/ {\n   if (-x $document_root/$arg_p) { return 200 x; }\n   if (-f $document_root/$arg_p) { return 200 f; }\n   if (-d $document_root/$arg_p) { return 200 d; }\n   if (!-e $request_filename) { return 200 \"missing $request_filename\"; }\n   return 200 other;\n  }\n }\n}\n";

#[test]
fn file_tests_look_at_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("srv/t/d")).expect("mkdir");
    std::fs::write(dir.path().join("srv/f"), "x").expect("write");
    // A directory without its owner's x bit: `-x` fails, `-d` holds.
    std::fs::create_dir_all(dir.path().join("srv/t/nx")).expect("mkdir");
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o600);
    std::fs::set_permissions(dir.path().join("srv/t/nx"), mode).expect("chmod");
    let root = Some(dir.path());
    let ask = |p: &str, root| outcome(FILES, p, &[], root, None).1;
    assert_eq!(ask("http://a.test/t/?p=f", root), "200 f");
    // A directory has its owner's x bit: `-x` holds first.
    assert_eq!(ask("http://a.test/t/?p=t/d", root), "200 x");
    assert_eq!(ask("http://a.test/t/?p=t/nx", root), "200 d");
    // $request_filename is /srv/t/x: not there.
    assert_eq!(
        ask("http://a.test/t/x?p=nope", root),
        "200 missing /srv/t/x"
    );
    // Without --root/--live: not known, assumed false and listed.
    let (out, a) = outcome(FILES, "http://a.test/t/?p=f", &[], None, None);
    assert_eq!(a, "200 other");
    assert!(
        out.alternatives
            .iter()
            .any(|u| u.contains("`if (-f $document_root/$arg_p)` holds")),
        "{:?}",
        out.alternatives
    );
}

const EARLY: &str = "events {}\nhttp {\n server {\n  listen 80;\n  server_name a.test;\n  error_page 400 /bad;\n  location = /bad { return 200 \"bad $host\"; }\n }\n server {\n  listen 80;\n  server_name b.test;\n  error_page 400 =200 /bad;\n  location = /bad { return 200 B; }\n }\n server {\n  listen 443 ssl;\n  server_name c.test;\n  ssl_certificate c.pem;\n  ssl_certificate_key c.key;\n  error_page 400 /bad;\n  location = /bad { return 200 C; }\n }\n server {\n  listen 443 ssl;\n  server_name d.test;\n  ssl_certificate d.pem;\n  ssl_certificate_key d.key;\n  error_page 497 /p;\n  location = /p { return 200 D; }\n }\n}\n";

#[test]
fn early_errors_go_through_the_connections_error_page() {
    let ask = |url: &str, h: &[&str]| outcome(EARLY, url, h, None, None).1;
    // An invalid Host: the address's default server (a.test), status 400
    // kept, $host its name.
    assert_eq!(ask("http://x/", &["Host: bad..host"]), "400 bad a.test");
    // A refused request target too, even with b.test's Host: the request
    // line is read in the default server.
    assert_eq!(ask("http://b.test/%00", &[]), "400 bad a.test");
    assert_eq!(ask("http://b.test/../x", &[]), "400 bad a.test");
    // Plain HTTP on an ssl listen is 497: `error_page 400` does not catch
    // it, `error_page 497` does and answers 400.
    assert_eq!(
        ask("http://c.test:443/x", &[]),
        "400 (The plain HTTP request was sent to HTTPS port)"
    );
    assert_eq!(ask("http://d.test:443/x", &[]), "400 D");
}

const CERTS: &str = "events {}\nhttp {\n ssl_certificate s.pem;\n ssl_certificate_key s.key;\n ssl_client_certificate ca.pem;\n server {\n  listen 443 ssl;\n  server_name on.test;\n  ssl_verify_client on;\n  return 200 \"on $ssl_client_verify\";\n }\n server {\n  listen 443 ssl;\n  server_name page.test;\n  ssl_verify_client on;\n  error_page 495 /e495;\n  error_page 496 =403 /e496;\n  location = /e495 { return 200 e495; }\n  location = /e496 { return 200 e496; }\n  location / { return 200 \"page $ssl_client_verify\"; }\n }\n server {\n  listen 443 ssl;\n  server_name opt.test;\n  ssl_verify_client optional;\n  return 200 \"opt $ssl_client_verify\";\n }\n server {\n  listen 443 ssl;\n  server_name noca.test;\n  ssl_verify_client optional_no_ca;\n  return 200 \"noca $ssl_client_verify\";\n }\n server {\n  listen 443 ssl;\n  server_name plain.test;\n  return 200 \"plain $ssl_client_verify\";\n }\n}\n";

#[test]
fn client_certificates_as_ssl_verify_client_decides() {
    use ClientCert::{Sent, Untrusted};
    let ask = |host: &str, cert| outcome(CERTS, &format!("https://{host}/"), &[], None, cert);
    let no_cert = "400 (No required SSL certificate was sent; `--client-cert` sends one)";
    let bad_cert = "400 (The SSL certificate error (its issuer is not trusted))";
    assert_eq!(ask("on.test", None).1, no_cert);
    let (out, a) = ask("on.test", Some(Sent));
    assert_eq!(a, "200 on SUCCESS");
    assert!(out.alternatives.iter().any(|u| u.contains("495")));
    assert_eq!(ask("on.test", Some(Untrusted)).1, bad_cert);
    // error_page 496 =403 and 495 (no `=`: answered 400).
    assert_eq!(ask("page.test", None).1, "403 e496");
    assert_eq!(ask("page.test", Some(Untrusted)).1, "400 e495");
    assert_eq!(ask("page.test", Some(Sent)).1, "200 page SUCCESS");
    assert_eq!(ask("opt.test", None).1, "200 opt NONE");
    assert_eq!(ask("opt.test", Some(Untrusted)).1, bad_cert);
    assert_eq!(ask("noca.test", None).1, "200 noca NONE");
    // optional_no_ca lets an untrusted issuer through: FAILED:<reason>.
    let (out, a) = ask("noca.test", Some(Untrusted));
    assert_eq!(a, "200 noca $ssl_client_verify");
    assert_eq!(out.vars.ssl_client_verify, None);
    // A server that does not verify: asked for no certificate under its
    // own SNI; without SNI the default (on.test) asks, and the result of
    // the check is not known.
    assert_eq!(ask("plain.test", Some(Sent)).1, "200 plain NONE");
    let ip = |cert| {
        let url = "https://127.0.0.1/";
        outcome(CERTS, url, &["Host: plain.test"], None, cert).1
    };
    assert_eq!(ip(None), "200 plain NONE");
    assert_eq!(ip(Some(Sent)), "200 plain $ssl_client_verify");
}

#[test]
fn headers_nginx_refuses_once_read() {
    let ask = |h: &[&str], method: &str| {
        let headers: Vec<String> = h.iter().map(|h| h.to_string()).collect();
        let req = Request::from_url("http://b.test/x", method, &headers, None).expect("url");
        answer(&run_conf(EARLY, &req))
    };
    // A duplicate after the Host: b.test's error_page (=200).
    let cl = "Content-Length: 1";
    assert_eq!(ask(&["Host: b.test", cl, cl], "GET"), "200 B");
    assert_eq!(ask(&["Host: b.test", "Host: a.test"], "GET"), "200 B");
    // Before it: the default server's, $host its name.
    assert_eq!(ask(&[cl, cl, "Host: b.test"], "GET"), "400 bad a.test");
    assert_eq!(ask(&["Host: b.test", "Content-Length: x"], "GET"), "200 B");
    let te = "Transfer-Encoding: chunked";
    assert_eq!(ask(&["Host: b.test", te, cl], "GET"), "200 B");
    assert_eq!(
        ask(&["Host: b.test", te], "GET").split(' ').next(),
        Some("Static")
    );
    assert_eq!(
        ask(&["Host: b.test", "Transfer-Encoding: gzip"], "GET"),
        "501 (unknown Transfer-Encoding: gzip)"
    );
    assert_eq!(ask(&["Host: b.test"], "TRACE"), "405 (TRACE method)");
}

const FORMS: &str = "events {}\nhttp {\n server {\n  listen 80 default_server;\n  server_name a.test;\n  error_page 400 /bad;\n  location = /bad { return 200 \"A-bad $host\"; }\n  location / { return 200 \"A $host\"; }\n }\n server {\n  listen 80;\n  server_name noh.test \"\";\n  error_page 400 /bad;\n  location = /bad { return 200 \"N-bad $host\"; }\n  location / { return 200 \"N $host\"; }\n }\n server {\n  listen 80;\n  server_name b.test;\n  error_page 400 =200 /bad;\n  location = /bad { return 200 \"B-bad $host\"; }\n  location / { return 200 \"B $host $http_host\"; }\n }\n ssl_certificate s.pem;\n ssl_certificate_key s.key;\n server {\n  listen 443 ssl default_server;\n  server_name s0.test;\n  return 200 \"S0 $host\";\n }\n server {\n  listen 443 ssl;\n  server_name s1.test;\n  return 200 \"S1 $host\";\n }\n server {\n  listen 443 ssl;\n  server_name sv.test;\n  ssl_verify_client optional;\n  ssl_client_certificate ca.pem;\n  return 200 \"SV $host\";\n }\n}\n";

/// `url` as `--http-version`, `--no-host` (no `Host:` in `headers`),
/// `--absolute-form` and `--sni` make it, on [`FORMS`].
fn form(url: &str, headers: &[&str], version: HttpVersion, absolute: bool, sni: &str) -> String {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut req = Request::from_url(url, "GET", &headers, None).expect("url");
    req.version = version;
    if !headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("host:"))
    {
        req.without_host(&headers).expect("no Host given");
    }
    if absolute {
        req.absolute_form(url);
    }
    if !sni.is_empty() {
        req.sni = Some(sni.into());
    }
    answer(&run_conf(FORMS, &req))
}

#[test]
fn requests_without_host() {
    use HttpVersion::{V10, V11};
    // The name "" picks noh.test, not the default: HTTP/1.0 goes on there,
    // HTTP/1.1 is its 400 (ngx_http_process_request_header).
    assert_eq!(form("http://x/", &[], V10, false, ""), "200 N noh.test");
    assert_eq!(form("http://x/", &[], V11, false, ""), "400 N-bad noh.test");
    // An empty Host is an invalid one: the connection's server.
    assert_eq!(
        form("http://x/", &["Host:"], V11, false, ""),
        "400 A-bad a.test"
    );
    // Over TLS, the default server, not the SNI's (s1.test).
    assert_eq!(
        form("https://s1.test/", &[], V10, false, ""),
        "200 S0 s0.test"
    );
}

#[test]
fn absolute_form_host_chooses_the_server() {
    use HttpVersion::{V10, V11};
    let a = ["Host: a.test"];
    assert_eq!(
        form("http://b.test/", &a, V11, true, ""),
        "200 B b.test a.test"
    );
    // Its Host still has to be there (HTTP/1.1) and valid: b.test's 400.
    assert_eq!(
        form("http://b.test/", &[], V11, true, ""),
        "200 B-bad b.test"
    );
    assert_eq!(form("http://b.test/", &[], V10, true, ""), "200 B b.test ");
    let bad = ["Host: bad..host"];
    assert_eq!(
        form("http://b.test/", &bad, V11, true, ""),
        "200 B-bad b.test"
    );
    // A host the request-line parser refuses: the connection's server.
    let b = ["Host: b.test"];
    assert_eq!(
        form("http://a_b.test/", &b, V11, true, ""),
        "400 A-bad a.test"
    );
    assert_eq!(
        form("http://bad..host/", &b, V11, true, ""),
        "400 A-bad a.test"
    );
}

#[test]
fn misdirected_only_after_an_sni_that_named_a_server() {
    use HttpVersion::V11;
    let sv = ["Host: sv.test"];
    // zz.test names no server: no `hc->ssl_servername`, no 421.
    assert_eq!(
        form("https://zz.test/", &sv, V11, false, ""),
        "200 SV sv.test"
    );
    let a = form("https://s1.test/", &sv, V11, false, "");
    assert!(a.starts_with("421 "), "{a}");
    // The request line's host, not the Host, is set against the SNI.
    let a = form("https://sv.test/", &["Host: s1.test"], V11, true, "s1.test");
    assert!(a.starts_with("421 "), "{a}");
}

const REJECTING: &str = "events {}\nhttp {\n ssl_certificate s.pem;\n ssl_certificate_key s.key;\n server {\n  listen 443 ssl default_server;\n  ssl_reject_handshake on;\n }\n server {\n  listen 443 ssl;\n  server_name ok.test;\n  return 200 \"OK $host\";\n }\n}\n";

/// `url` with the SNI `sni` ("": none sent) on `conf`.
fn with_sni(conf: &str, url: &str, headers: &[&str], sni: &str) -> String {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut req = Request::from_url(url, "GET", &headers, None).expect("url");
    req.sni = Some(sni.into());
    answer(&run_conf(conf, &req))
}

#[test]
fn an_invalid_sni_is_passed_over() {
    // ngx_http_ssl_servername: ngx_http_validate_host declines it, and
    // the handshake goes on with the address's default server (s0.test):
    // the Host picks the request's server.
    let a = with_sni(FORMS, "https://s1.test/", &[], "bad..host");
    assert_eq!(a, "200 S1 s1.test");
}

#[test]
fn a_rejecting_handshake_server_ends_the_handshake() {
    let ok = with_sni(REJECTING, "https://ok.test/", &[], "ok.test");
    assert_eq!(ok, "200 OK ok.test");
    // No name matches, no SNI, an invalid one: the default server, which
    // rejects the handshake, whatever the Host.
    for sni in ["other.test", "", "bad..host"] {
        let a = with_sni(REJECTING, "https://ok.test/", &["Host: ok.test"], sni);
        assert!(a.contains("ssl_reject_handshake on"), "{sni}: {a}");
    }
}
