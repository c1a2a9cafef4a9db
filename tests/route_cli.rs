//! `nginx-lint route URL PATH`: the answer on a PHP site (a front
//! controller through php-fpm, an API through an upstream) and on a
//! reverse proxy to Gunicorn, as JSON and as text.

use std::path::Path;

#[path = "support/cli.rs"]
mod cli;
use cli::{run, stdout};

fn json(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["route"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    let o = run(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&stdout(&o)).expect("route prints JSON")
}

#[test]
fn php_front_controller_ends_at_the_pool() {
    let v = json(&[
        "http://shop.example.com/shop/orders?page=2",
        "testdata/php-site",
    ]);
    assert_eq!(v["listen"]["address"], "0.0.0.0:80");
    assert_eq!(v["server"]["names"][0], "shop.example.com");
    assert_eq!(v["server"]["why"], "exact name shop.example.com");
    // `location /` tries the files, then /index.php?$query_string goes to
    // the PHP location.
    assert_eq!(v["location"]["location"], r"location ~ \.php$");
    assert_eq!(v["location"]["line"], 17);
    assert_eq!(v["handler"]["type"], "fastcgi");
    assert_eq!(
        v["handler"]["script_filename"],
        "/var/www/shop/public/index.php"
    );
    assert_eq!(v["handler"]["listener"][0]["kind"], "php-fpm pool");
    assert_eq!(v["handler"]["listener"][0]["name"], "shop");
    let steps = v["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|s| {
        s["what"]
            .as_str()
            .is_some_and(|w| w.contains("falls back to /index.php"))
    }));
    let unknown = v["unknown"].as_array().expect("unknown");
    assert!(unknown.iter().any(|u| {
        u.as_str()
            .is_some_and(|u| u.contains("/var/www/shop/public/shop/orders exists"))
    }));
}

#[test]
fn api_goes_through_the_upstream_to_its_listener() {
    let v = json(&["http://shop.example.com/api/users", "testdata/php-site"]);
    assert_eq!(v["location"]["location"], "location /api/");
    assert_eq!(v["handler"]["type"], "proxy");
    assert_eq!(v["handler"]["target"], "proxy_pass http://api");
    assert_eq!(v["handler"]["listener"][0]["endpoint"], "127.0.0.1:8081");
    assert_eq!(v["handler"]["listener"][0]["name"], "api.internal");
    let eff = v["effective"].as_array().expect("effective");
    let header = eff
        .iter()
        .find(|e| e["directive"] == "proxy_set_header")
        .expect("proxy_set_header shown");
    assert_eq!(header["value"], "Host $host");
    assert_eq!(header["from"], "own");
}

#[test]
fn unknown_host_default_server_and_bad_paths() {
    // The address 127.0.0.1:8081 is listened on by the api server only.
    let v = json(&["http://127.0.0.1:8081/anything", "testdata/php-site"]);
    assert_eq!(v["server"]["names"][0], "api.internal");
    assert!(
        v["server"]["why"]
            .as_str()
            .is_some_and(|w| w.contains("first server"))
    );
    assert_eq!(v["handler"]["type"], "return");
    assert_eq!(v["handler"]["target"], "200 api");
    let v = json(&[
        "http://shop.example.com/a/../../etc/passwd",
        "testdata/php-site",
    ]);
    assert_eq!(v["location"], serde_json::Value::Null);
    assert_eq!(v["handler"]["type"], "status");
    assert!(
        v["handler"]["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("400"))
    );
    let v = json(&["http://shop.example.com:9999/", "testdata/php-site"]);
    assert_eq!(v["listen"], serde_json::Value::Null);
    assert!(
        v["handler"]["target"]
            .as_str()
            .is_some_and(|t| t.contains("connection refused"))
    );
}

#[test]
fn reverse_proxy_to_gunicorn_with_its_timeouts() {
    let tree = "testdata/stacks/django-gunicorn";
    let v = json(&["http://www.mysite.example/reports/2024", tree]);
    assert_eq!(v["location"]["location"], "location /");
    assert_eq!(v["handler"]["type"], "proxy");
    assert_eq!(
        v["handler"]["listener"][0]["endpoint"],
        "unix:/run/gunicorn.sock"
    );
    let eff = v["effective"].as_array().expect("effective");
    let find = |name: &str| {
        eff.iter()
            .find(|e| e["directive"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(find("proxy_read_timeout")["value"], "125s");
    assert_eq!(find("proxy_read_timeout")["from"], "own");
    assert_eq!(find("client_max_body_size")["value"], "20m");
    assert_eq!(find("client_max_body_size")["from"], "inherited");
    assert_eq!(find("proxy_connect_timeout")["from"], "default");
    let v = json(&["http://mysite.example/static/app.css", tree]);
    assert_eq!(v["handler"]["type"], "static");
    assert_eq!(v["handler"]["target"], "/srv/mysite/static/app.css");
}

#[test]
fn text_form_is_snapshotted() {
    let o = run(&[
        "route",
        "http://shop.example.com/shop/orders?page=2",
        "testdata/php-site",
    ]);
    assert!(o.status.success());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("route-php-site", stdout(&o)));
}

#[test]
fn client_ip_decides_allow_and_deny() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  location /admin/ {\n   allow 10.0.0.0/8;\n   deny all;\n   return 200 ok;\n  }\n  location /private/ {\n   allow 10.0.0.0/8;\n   deny all;\n   root /srv;\n  }\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    // `return` runs in the rewrite phase, before access.
    let v = json(&["http://x/admin/", &p, "--client-ip", "192.0.2.1"]);
    assert_eq!(v["handler"]["type"], "return");
    let v = json(&["http://x/private/a", &p, "--client-ip", "192.0.2.1"]);
    assert!(
        v["handler"]["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("403"))
    );
    let v = json(&["http://x/private/a", &p, "--client-ip", "10.1.2.3"]);
    assert_eq!(v["handler"]["type"], "static");
    let v = json(&["http://x/private/a", &p]);
    assert!(
        v["unknown"][0]
            .as_str()
            .is_some_and(|u| u.contains("--client-ip"))
    );
}

#[test]
fn path_info_splits_the_script_name_before_try_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  root /srv/app;\n  location ~ [^/]\\.php(/|$) {\n   fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\n   try_files $fastcgi_script_name =404;\n   fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n   fastcgi_param PATH_INFO $fastcgi_path_info;\n   fastcgi_pass 127.0.0.1:9000;\n  }\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let v = json(&["http://x/app/x.php/extra/y", &p]);
    assert_eq!(v["handler"]["type"], "fastcgi");
    assert_eq!(v["handler"]["script_filename"], "/srv/app/app/x.php");
    assert!(v["steps"].as_array().is_some_and(|s| s.iter().any(|s| {
        s["what"]
            .as_str()
            .is_some_and(|w| w.contains("taken to find /srv/app/app/x.php"))
    })));
}

/// A configuration for `error_page`: each request's answer was checked
/// with nginx 1.22 (`curl` on the same file).
const ERROR_PAGES: &str = "events {}\nhttp {\n server {\n  listen 80;\n  error_page 404 /err404;\n  location /a/ { return 404; }\n  location = /err404 { return 200 E404; }\n  location /b/ { error_page 404 =200 /err404; return 404; }\n  location /c/ { error_page 404 = @named; return 404; }\n  location @named { return 201 NAMED; }\n  location /d/ { allow 10.0.0.0/8; deny all; error_page 403 @denied; root /srv; }\n  location @denied { return 200 DENIED; }\n  location /e/ { error_page 404 /again; return 404; }\n  location /again { return 404; }\n  location /f/ { recursive_error_pages on; error_page 404 /f/loop; return 404; }\n  location /g/ { error_page 404 =301 http://example.com/nf; return 404; }\n  location /i/ { error_page 404 /err404; return 404 text; }\n  location /n/ { rewrite ^/n/(.*)$ /n/$1x; }\n  location = /n/xxxxxxxxxx { rewrite ^ /n/xxxxxxxxxxx; }\n  location = /n/xxxxxxxxxxx { return 200 ELEVEN; }\n }\n}\n";

#[test]
fn error_page_is_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("nginx.conf"), ERROR_PAGES).expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let ask = |path: &str| json(&[&format!("http://x{path}"), &p, "--client-ip", "127.0.0.1"]);
    let answer = |v: &serde_json::Value| {
        (
            v["handler"]["type"].as_str().unwrap_or("").to_string(),
            v["handler"]["target"].as_str().unwrap_or("").to_string(),
            v["handler"]["status"].as_u64(),
        )
    };
    let is =
        |t: &str, target: &str, status: Option<u64>| (t.to_string(), target.to_string(), status);
    // The server's `error_page 404 /err404`, the original 404 kept.
    let v = ask("/a/x");
    assert_eq!(answer(&v), is("return", "200 E404", Some(404)));
    assert_eq!(v["location"]["location"], "location = /err404");
    let step = v["steps"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["what"].as_str().is_some_and(|w| w.contains("error_page")))
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(step["line"], 5);
    assert_eq!(
        step["what"],
        "`error_page 404 /err404`: 404: internal redirect to /err404"
    );
    assert_eq!(answer(&ask("/b/x")), is("return", "200 E404", Some(200)));
    // `=` alone: the named location's own status.
    assert_eq!(answer(&ask("/c/x")), is("return", "201 NAMED", None));
    // `deny` → 403 → the named location, 403 kept.
    assert_eq!(answer(&ask("/d/x")), is("return", "200 DENIED", Some(403)));
    // recursive_error_pages off: the second 404 is answered as it is.
    assert_eq!(answer(&ask("/e/x")), is("return", "404", None));
    // on: the redirects go round until nginx's limit.
    let v = ask("/f/x");
    assert!(
        answer(&v)
            .1
            .starts_with("500 (rewrite or internal redirection cycle")
    );
    let redirects = v["steps"].as_array().map_or(0, |s| {
        s.iter()
            .filter(|s| s["what"].as_str().is_some_and(|w| w.contains("error_page")))
            .count()
    });
    assert_eq!(redirects, 11);
    assert_eq!(
        answer(&ask("/g/x")),
        is("return", "301 http://example.com/nf", None)
    );
    // A `return` with text sends its body: no error page.
    assert_eq!(answer(&ask("/i/x")), is("return", "404 text", None));
    // Ten URI changes are allowed, the eleventh is the 500.
    assert_eq!(answer(&ask("/n/x")), is("return", "200 ELEVEN", None));
    assert!(answer(&ask("/n/")).1.starts_with("500"));
}

#[test]
fn try_files_looks_at_the_files_under_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("conf");
    let tree = dir.path().join("tree");
    for d in [
        "srv/app/sub",
        "srv/app/sub2",
        "srv/app/strict",
        "srv/app/plain",
    ] {
        std::fs::create_dir_all(tree.join(d)).expect("mkdir");
    }
    for f in [
        "index.html",
        "a.html",
        "sub2/index.html",
        "strict/s.txt",
        "plain/p.txt",
    ] {
        std::fs::write(tree.join("srv/app").join(f), "x").expect("write");
    }
    std::fs::create_dir_all(&conf).expect("mkdir");
    std::fs::write(
        conf.join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  root /srv/app;\n  error_page 404 /nf.html;\n  location / { try_files $uri $uri/ /index.html; }\n  location /strict/ { try_files $uri =404; }\n  location /plain/ { }\n  location = /nf.html { return 200 NF; }\n }\n}\n",
    )
    .expect("write");
    let c = conf.to_string_lossy().into_owned();
    let t = tree.to_string_lossy().into_owned();
    let ask = |path: &str, root: bool| {
        let url = format!("http://x{path}");
        let mut a = vec![url.as_str(), c.as_str()];
        if root {
            a.extend_from_slice(&["--root", t.as_str()]);
        }
        let v = json(&a);
        let target = v["handler"]["target"].as_str().unwrap_or("").to_string();
        (v, target)
    };
    let (v, target) = ask("/a.html", true);
    assert_eq!(target, "/srv/app/a.html");
    assert!(v["unknown"].as_array().is_some_and(|u| u.is_empty()));
    assert!(v["steps"].as_array().is_some_and(|s| s.iter().any(|s| {
        s["what"]
            .as_str()
            .is_some_and(|w| w.contains("/srv/app/a.html is there"))
    })));
    // A directory answers `$uri/`, not `$uri`; without an index file
    // it is forbidden, with one the index module redirects to it.
    assert!(ask("/sub", true).1.starts_with("403"));
    let (v, target) = ask("/sub2/", true);
    assert_eq!(target, "/srv/app/sub2/index.html");
    assert_eq!(v["request"]["uri"], "/sub2/");
    // Neither there: the fallback, whose own file is there.
    let (v, target) = ask("/zzz", true);
    assert_eq!(target, "/srv/app/index.html");
    assert!(v["unknown"].as_array().is_some_and(|u| u.is_empty()));
    // Without --root the files are not known: the outcomes are listed.
    let (v, _) = ask("/zzz", false);
    assert!(v["unknown"].as_array().is_some_and(|u| u.len() >= 2));
    assert_eq!(ask("/strict/s.txt", true).1, "/srv/app/strict/s.txt");
    // `=404` and a missing static file: the error page, with 404 kept.
    for path in ["/strict/nope", "/plain/nope"] {
        let (v, target) = ask(path, true);
        assert_eq!(target, "200 NF", "{path}");
        assert_eq!(v["handler"]["status"], 404, "{path}");
    }
    assert_eq!(ask("/plain/p.txt", true).1, "/srv/app/plain/p.txt");
    assert_eq!(ask("/plain/nope", false).1, "/srv/app/plain/nope");
}

/// Checked with nginx 1.22 and curl `--resolve` on the same servers with
/// real certificates: SNI a.test + Host b.test answers B with a's
/// certificate, Host c.test (ssl_verify_client on) under SNI a.test
/// answers 421, c.test without a client certificate 400 (with one, 200),
/// and no SNI gets
/// the default server's certificate.
#[test]
fn sni_chooses_the_certificate_and_host_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 443 ssl;\n  server_name a.test;\n  ssl_certificate /etc/ssl/a.pem;\n  ssl_certificate_key /etc/ssl/a.key;\n  return 200 A;\n }\n server {\n  listen 443 ssl;\n  server_name b.test;\n  ssl_certificate /etc/ssl/b.pem;\n  ssl_certificate_key /etc/ssl/b.key;\n  return 200 B;\n }\n server {\n  listen 443 ssl;\n  server_name c.test;\n  ssl_certificate /etc/ssl/c.pem;\n  ssl_certificate_key /etc/ssl/c.key;\n  ssl_verify_client on;\n  ssl_client_certificate /etc/ssl/ca.pem;\n  return 200 C;\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let v = json(&["https://a.test/", &p]);
    assert_eq!(v["tls"]["sni"], "a.test");
    assert_eq!(v["tls"]["certificate"][0]["value"], "/etc/ssl/a.pem");
    assert_eq!(v["tls"]["certificate"][0]["line"], 6);
    assert_eq!(v["tls"]["differs"], false);
    // SNI a.test, Host b.test: a's certificate, b's configuration.
    let v = json(&["https://a.test/", &p, "--header", "Host: b.test"]);
    assert_eq!(v["tls"]["server"]["names"][0], "a.test");
    assert_eq!(v["tls"]["certificate"][0]["value"], "/etc/ssl/a.pem");
    assert_eq!(v["server"]["names"][0], "b.test");
    assert_eq!(v["tls"]["differs"], true);
    assert_eq!(v["handler"]["target"], "200 B");
    let v = json(&["https://b.test/", &p, "--sni", "a.test"]);
    assert_eq!(v["tls"]["server"]["names"][0], "a.test");
    assert_eq!(v["handler"]["target"], "200 B");
    // A server verifying client certificates refuses another SNI.
    let v = json(&["https://c.test/", &p, "--sni", "a.test"]);
    assert!(
        v["handler"]["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("421"))
    );
    // Without a client certificate nginx answers 400; with one the
    // request goes on, a failed check (not known here) listed.
    let v = json(&["https://c.test/", &p]);
    assert_eq!(
        v["handler"]["target"],
        "400 (No required SSL certificate was sent; `--client-cert` sends one)"
    );
    let v = json(&["https://c.test/", &p, "--client-cert"]);
    assert_eq!(v["handler"]["target"], "200 C");
    assert!(
        v["unknown"][0].as_str().is_some_and(
            |u| u.contains("495") && u.contains("ssl_client_certificate /etc/ssl/ca.pem")
        )
    );
    // No SNI (an address, or `--sni ''`): the default server's certificate.
    for args in [
        vec!["https://127.0.0.1/", p.as_str(), "--header", "Host: b.test"],
        vec!["https://b.test/", p.as_str(), "--sni", ""],
    ] {
        let v = json(&args);
        assert_eq!(v["tls"]["sni"], serde_json::Value::Null);
        assert_eq!(v["tls"]["certificate"][0]["value"], "/etc/ssl/a.pem");
        assert_eq!(v["handler"]["target"], "200 B");
    }
    // Plain HTTP has no handshake.
    let v = json(&["http://127.0.0.1:8081/anything", "testdata/php-site"]);
    assert_eq!(v["tls"], serde_json::Value::Null);
    let text = cli::stdout(&run(&[
        "route",
        "https://a.test/",
        &p,
        "--header",
        "Host: b.test",
    ]));
    assert!(
        text.contains("tls       SNI a.test: exact name a.test"),
        "{text}"
    );
    assert!(text.contains("certificate /etc/ssl/a.pem"), "{text}");
}

#[test]
fn hostname_server_name_is_known_only_live() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  server_name default.test;\n  return 200 D;\n }\n server {\n  listen 80;\n  server_name $hostname;\n  return 200 H;\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") else {
        return;
    };
    let name = name.trim().to_ascii_lowercase();
    let url = format!("http://{name}/");
    // Not live: the default answers, and `$hostname` is listed.
    let v = json(&[&url, &p]);
    assert_eq!(v["handler"]["target"], "200 D");
    assert!(v["unknown"].as_array().is_some_and(|u| u.iter().any(|u| {
        u.as_str()
            .is_some_and(|u| u.contains("server_name $hostname") && u.contains("--live"))
    })));
    // Live: the machine's name is the server's.
    let v = json(&[&url, &p, "--live"]);
    assert_eq!(v["handler"]["target"], "200 H");
    assert_eq!(v["server"]["why"], format!("exact name {name}"));
    let v = json(&["http://other.test/", &p, "--live"]);
    assert_eq!(v["handler"]["target"], "200 D");
    assert!(v["unknown"].as_array().is_some_and(|u| u.is_empty()));
}

/// `if (-f …)` and its kin look at the files with `--root`, and stay
/// unknown (listed) without it. Checked with nginx 1.22 (`tests/route_nginx.rs`).
#[test]
fn if_file_tests_look_under_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("etc/nginx");
    std::fs::create_dir_all(&conf).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("srv/app/d")).expect("mkdir");
    std::fs::write(dir.path().join("srv/app/here.html"), "x").expect("write");
    std::fs::write(
        conf.join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  root /srv/app;\n  location / {\n   if (!-e $request_filename) { return 200 \"missing $request_filename\"; }\n   if (-d $request_filename) { return 200 dir; }\n   return 200 file;\n  }\n }\n}\n",
    )
    .expect("write");
    let root = dir.path().to_string_lossy().into_owned();
    let c = conf.to_string_lossy().into_owned();
    let ask = |path: &str| {
        let v = json(&[&format!("http://a.test{path}"), &c, "--root", &root]);
        v["handler"]["target"].as_str().unwrap_or("").to_string()
    };
    assert_eq!(ask("/nope"), "200 missing /srv/app/nope");
    assert_eq!(ask("/d"), "200 dir");
    assert_eq!(ask("/here.html"), "200 file");
    let v = json(&["http://a.test/nope", &c]);
    assert_eq!(v["handler"]["target"], "200 file");
    assert!(
        v["unknown"][0]
            .as_str()
            .is_some_and(|u| u.contains("`if (!-e $request_filename)` holds"))
    );
    assert!(v["steps"].as_array().is_some_and(|s| s.iter().any(|s| {
        s["what"]
            .as_str()
            .is_some_and(|w| w.contains("not known without --root or --live"))
    })));
}

/// An invalid Host and a refused request target are answered by the
/// address's default server with its `error_page 400`; plain HTTP on an
/// ssl listen is a 497 that `error_page 400` does not catch. Checked with
/// nginx 1.22 (`tests/route_nginx.rs`).
#[test]
fn refused_requests_go_through_the_default_servers_error_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  listen 443 ssl;\n  server_name a.test;\n  ssl_certificate /etc/ssl/a.pem;\n  ssl_certificate_key /etc/ssl/a.key;\n  error_page 400 /bad.html;\n  location = /bad.html { return 200 \"bad request\"; }\n }\n server {\n  listen 80;\n  server_name b.test;\n  return 200 B;\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let v = json(&["http://b.test/", &p, "--header", "Host: bad..host"]);
    assert_eq!(v["handler"]["target"], "200 bad request");
    assert_eq!(v["handler"]["status"], 400);
    assert_eq!(v["server"]["names"][0], "a.test");
    assert_eq!(v["location"]["location"], "location = /bad.html");
    let v = json(&["http://b.test/%00", &p]);
    assert_eq!(v["handler"]["target"], "200 bad request");
    let v = json(&["http://b.test:443/", &p]);
    assert_eq!(
        v["handler"]["target"],
        "400 (The plain HTTP request was sent to HTTPS port)"
    );
}

/// `--client-cert`: a certificate sent (`=untrusted`: from an issuer the
/// server does not trust) to servers with each `ssl_verify_client`.
/// Checked with nginx 1.22 (`tests/route_nginx.rs`).
#[test]
fn client_certificates_follow_ssl_verify_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n ssl_certificate /etc/ssl/s.pem;\n ssl_certificate_key /etc/ssl/s.key;\n ssl_client_certificate /etc/ssl/ca.pem;\n server {\n  listen 443 ssl;\n  server_name on.test;\n  ssl_verify_client on;\n  error_page 496 /nocert;\n  location = /nocert { return 200 \"no certificate\"; }\n  location / { return 200 \"on $ssl_client_verify\"; }\n }\n server {\n  listen 443 ssl;\n  server_name opt.test;\n  ssl_verify_client optional;\n  return 200 \"opt $ssl_client_verify\";\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let target = |args: &[&str]| {
        let mut a = args.to_vec();
        a.push(&p);
        json(&a)["handler"]["target"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(target(&["https://on.test/"]), "200 no certificate");
    assert_eq!(
        target(&["https://on.test/", "--client-cert"]),
        "200 on SUCCESS"
    );
    assert_eq!(
        target(&["https://on.test/", "--client-cert=untrusted"]),
        "400 (The SSL certificate error (its issuer is not trusted))"
    );
    assert_eq!(target(&["https://opt.test/"]), "200 opt NONE");
    assert_eq!(
        target(&["https://opt.test/", "--client-cert"]),
        "200 opt SUCCESS"
    );
    let v = json(&["https://on.test/", &p]);
    assert_eq!(v["handler"]["status"], 400);
    let text = cli::stdout(&run(&["route", "https://on.test/x", &p, "--client-cert"]));
    assert!(
        text.contains("the client certificate is not checked here"),
        "{text}"
    );
}

/// `--no-host`, `--http-version` and `--absolute-form` in both outputs:
/// the request as sent, the step naming what chose the server, the early
/// error. Checked with nginx 1.22 (`tests/route_nginx.rs`).
#[test]
fn no_host_and_absolute_form_show_in_both_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n server {\n  listen 80;\n  server_name a.test;\n  return 200 \"A $host\";\n }\n server {\n  listen 80;\n  server_name b.test \"\";\n  error_page 400 /bad;\n  location = /bad { return 200 \"B-bad\"; }\n  location / { return 200 \"B $host $http_host\"; }\n }\n}\n",
    )
    .expect("write");
    let p = dir.path().to_string_lossy().into_owned();
    let steps = |v: &serde_json::Value| v["steps"].to_string();
    let v = json(&["http://a.test/x", &p, "--no-host", "--http-version", "1.0"]);
    assert_eq!(v["request"]["host"], serde_json::Value::Null);
    assert_eq!(v["request"]["http_version"], "1.0");
    assert_eq!(v["handler"]["target"], "200 B b.test ");
    assert!(steps(&v).contains("no Host (HTTP/1.0)"), "{}", steps(&v));
    let v = json(&["http://a.test/x", &p, "--no-host"]);
    assert_eq!(v["handler"]["target"], "200 B-bad");
    assert_eq!(v["handler"]["status"], 400);
    assert!(
        steps(&v).contains("HTTP/1.1 request without"),
        "{}",
        steps(&v)
    );
    let args = [
        "http://b.test/x",
        &p,
        "--absolute-form",
        "--header",
        "Host: a.test",
    ];
    let v = json(&args);
    assert_eq!(v["request"]["absolute_form"], "http://b.test/x");
    assert_eq!(v["request"]["target"], "/x");
    assert_eq!(v["handler"]["target"], "200 B b.test a.test");
    let text = cli::stdout(&run(&[&["route"], &args[..]].concat()));
    assert!(
        text.starts_with("GET http://b.test/x (Host: a.test)\n"),
        "{text}"
    );
    assert!(
        text.contains("the request line's host b.test chooses the server, not the Host a.test"),
        "{text}"
    );
    let o = run(&[
        "route",
        "http://a.test/",
        &p,
        "--no-host",
        "--header",
        "Host: a.test",
    ]);
    assert!(!o.status.success());
}
