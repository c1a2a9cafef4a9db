//! `route` loads the servers that cannot answer a request as skeletons
//! (`route::lazy`); its answer must be the one a whole load gives. A
//! generated tree of many vhost files with every kind of name (exact,
//! `*.x`, `.x`, `x.*`, regexes with captures, `$hostname`, none), a
//! `default_server` in a late file, a specific address beside the
//! wildcard, IPv6, per-port defaults, `merge_slashes off` in a default
//! server, conflicting names across files, and includes in odd places (a
//! server's names from an included file, a whole server included from a
//! vhost, an upstream inside a vhost file, includes inside locations) is
//! asked many requests both ways, as JSON and as text.

use std::fmt::Write as _;
use std::path::Path;

use nginx_lint::route::lazy::{self, Loading};
use nginx_lint::route::render::RouteFormat;
use nginx_lint::route::request::Request;
use nginx_lint::{Inputs, Options};

const VHOSTS: usize = 60;

/// One vhost file: its servers vary with `k` (a deterministic mix).
fn vhost(k: usize) -> String {
    let mut s = format!("# vhost {k}\n");
    let names = match k % 9 {
        0 => format!("site{k}.test www.site{k}.test"),
        1 => format!("*.wild{k}.test"),
        2 => format!(".dot{k}.test"),
        3 => format!("www.trail{k}.*"),
        4 => format!("~^(?<sub>[a-z]+)\\.re{k}\\.test$"),
        5 => format!("~*^API\\.(.+)\\.caseless{k}\\.test$ site{k}.test"),
        6 => "$hostname".to_string(),
        7 => String::new(),
        _ => "conflict.test".to_string(),
    };
    let listen = match k % 5 {
        0 => "listen 80;\n    listen [::]:80;".to_string(),
        1 => "listen 8080;".to_string(),
        2 => "listen 127.0.0.2:80;\n    listen 80;".to_string(),
        3 => format!("listen 80;\n    listen 443 ssl;\n    ssl_certificate /etc/ssl/{k}.pem;"),
        _ => String::new(),
    };
    let api = if k.is_multiple_of(3) {
        format!("up{k}")
    } else {
        format!("127.0.0.1:{}", 9000 + k)
    };
    // A snippet many servers include (TLS settings, say).
    let common = match k % 4 {
        2 => "include snippets/common.conf;\n    ",
        _ => "",
    };
    let name_line = if names.is_empty() {
        String::new()
    } else {
        format!("server_name {names};")
    };
    let _ = write!(
        s,
        "server {{\n    {listen}\n    {name_line}\n    {common}root /srv/{k};\n    \
         location / {{ try_files $uri $uri/ /index.php?$args; }}\n    \
         location ~ \\.php$ {{ include fastcgi_params; fastcgi_pass unix:/run/php/p{k}.sock; }}\n    \
         location /api/ {{ proxy_pass http://{api}; }}\n    \
         location /self/ {{ proxy_pass http://127.0.0.1:80; }}\n    \
         location = /exact {{ return 200 \"{k}\"; }}\n}}\n"
    );
    if k.is_multiple_of(3) {
        // An upstream beside the servers, in the vhost file.
        let _ = writeln!(s, "upstream up{k} {{ server 127.0.0.1:{}; }}", 9000 + k);
    }
    if k % 7 == 3 {
        // A server whose names come from an included file.
        let _ = writeln!(
            s,
            "server {{\n    listen 80;\n    include snippets/names{k}.conf;\n    location / {{ return 204; }}\n}}"
        );
    }
    if k % 11 == 5 {
        // A whole server included from a vhost file.
        let _ = writeln!(s, "include snippets/server{k}.conf;");
    }
    if k == VHOSTS - 3 {
        // The default server of *:80, late in the tree, with
        // `merge_slashes off` and an `error_page` for the requests nginx
        // refuses there.
        let _ = writeln!(
            s,
            "server {{\n    listen 80 default_server;\n    listen 8081 default_server;\n    merge_slashes off;\n    \
             server_name late-default.test;\n    error_page 400 /a/bad;\n    location /a/ {{ return 200 late; }}\n    location / {{ return 404; }}\n}}"
        );
    }
    s
}

fn tree(dir: &Path) {
    let nginx = dir.join("nginx");
    std::fs::create_dir_all(nginx.join("sites")).unwrap();
    std::fs::create_dir_all(nginx.join("snippets")).unwrap();
    std::fs::write(
        nginx.join("nginx.conf"),
        "events {}\nhttp {\n    merge_slashes on;\n    include sites/*.conf;\n    \
         server {\n        listen 8081;\n        server_name first-8081.test;\n        location / { return 200 first; }\n        location /up/ { proxy_pass http://up18; }\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        nginx.join("snippets/common.conf"),
        "add_header X-Common 1;\nclient_max_body_size 8m;\n",
    )
    .unwrap();
    // Not configuration: read again each run, it changes nothing.
    std::fs::write(nginx.join("README.md"), "# The vhosts of this host\n").unwrap();
    std::fs::write(
        nginx.join("fastcgi_params"),
        "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n",
    )
    .unwrap();
    for k in 0..VHOSTS {
        std::fs::write(nginx.join(format!("sites/site-{k:03}.conf")), vhost(k)).unwrap();
        // Only the snippets a vhost includes: a file nothing includes is
        // a tree of its own.
        if k % 7 == 3 {
            std::fs::write(
                nginx.join(format!("snippets/names{k}.conf")),
                format!("server_name included{k}.test;\nroot /srv/included{k};\n"),
            )
            .unwrap();
        }
        if k % 11 != 5 {
            continue;
        }
        std::fs::write(
            nginx.join(format!("snippets/server{k}.conf")),
            format!(
                "server {{\n    listen 80;\n    server_name snippet{k}.test;\n    location / {{ return 200 snippet{k}; }}\n}}\n"
            ),
        )
        .unwrap();
    }
}

/// Hosts naming every kind of server of the tree, and some none.
fn hosts() -> Vec<String> {
    let mut h = vec![
        "unknown.test".to_string(),
        "late-default.test".to_string(),
        "conflict.test".to_string(),
        "first-8081.test".to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "127.0.0.2".to_string(),
        "[::1]".to_string(),
        // Refused: the connection's server (its `error_page`) answers.
        "bad..host".to_string(),
    ];
    for k in [0, 1, 2, 3, 4, 5, 9, 10, 16, 27, 38, 56] {
        h.extend([
            format!("site{k}.test"),
            format!("www.site{k}.test"),
            format!("a.wild{k}.test"),
            format!("wild{k}.test"),
            format!("dot{k}.test"),
            format!("x.dot{k}.test"),
            format!("www.trail{k}.org"),
            format!("abc.re{k}.test"),
            format!("api.x.caseless{k}.test"),
            format!("included{k}.test"),
            format!("snippet{k}.test"),
        ]);
    }
    h
}

/// The generated tree's nginx directory, alone (no php-fpm looked for).
fn tree_inputs(dir: &Path) -> Inputs {
    Inputs {
        paths: vec![dir.join("nginx")],
        no_discover: true,
        ..Inputs::default()
    }
}

fn answer(dir: &Path, url: &str, format: RouteFormat, loading: Loading) -> String {
    answer_sni(dir, url, None, format, loading)
}

/// [`answer`] with the SNI given apart from the URL's host.
fn answer_sni(
    dir: &Path,
    url: &str,
    sni: Option<&str>,
    format: RouteFormat,
    loading: Loading,
) -> String {
    answer_in(dir, None, url, sni, format, loading)
}

/// [`answer_sni`], the files unchanged since the last run taken from the
/// index under `cache` (`route::index`) when given.
fn answer_in(
    dir: &Path,
    cache: Option<&Path>,
    url: &str,
    sni: Option<&str>,
    format: RouteFormat,
    loading: Loading,
) -> String {
    let opts = Options {
        inputs: tree_inputs(dir),
        settings: Default::default(),
    };
    let mut req = Request::from_url(url, "GET", &[], None).unwrap();
    if let Some(s) = sni {
        req.sni = Some(s.to_string());
    }
    let free = lazy::Afterwards::Free;
    nginx_lint::route_indexed(&opts, &req, format, loading, cache, free).unwrap()
}

/// Set every file's mtime an hour back: the index does not keep a file
/// modified in the last seconds.
fn age(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            age(&p);
            continue;
        }
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        f.set_modified(past).unwrap();
    }
}

#[test]
fn lazy_and_whole_loads_give_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    age(dir.path());
    // The index, written by the first request and read by the others.
    let cache = tempfile::tempdir().unwrap();
    let cached = |url: &str, sni: Option<&str>, format| {
        answer_in(
            dir.path(),
            Some(cache.path()),
            url,
            sni,
            format,
            Loading::Lazy,
        )
    };
    let mut asked = 0;
    let all = hosts();
    for (i, host) in all.iter().enumerate() {
        for (scheme, port) in [
            ("http", ""),
            ("http", ":8080"),
            ("http", ":8081"),
            ("https", ""),
        ] {
            let paths: &[&str] = match port {
                "" => &["/a//b/x.php", "/api/v1", "/self/", "/exact", "/x%00"],
                _ => &["/a//b/x.php"],
            };
            for path in paths {
                let url = format!("{scheme}://{host}{port}{path}");
                let format = if asked % 2 == 0 {
                    RouteFormat::Json
                } else {
                    RouteFormat::Text
                };
                let lazy = answer(dir.path(), &url, format, Loading::Lazy);
                let whole = answer(dir.path(), &url, format, Loading::Whole);
                assert_eq!(lazy, whole, "{url}");
                assert_eq!(cached(&url, None, format), whole, "{url} from the index");
                asked += 1;
                if scheme == "https" {
                    // Another SNI than the Host: its server's certificate.
                    let sni = all.get((i + 7) % all.len()).map(String::as_str);
                    let lazy = answer_sni(dir.path(), &url, sni, format, Loading::Lazy);
                    let whole = answer_sni(dir.path(), &url, sni, format, Loading::Whole);
                    assert_eq!(lazy, whole, "{url} SNI {sni:?}");
                    let from_index = cached(&url, sni, format);
                    assert_eq!(from_index, whole, "{url} SNI {sni:?} from the index");
                    asked += 1;
                }
            }
        }
    }
    assert!(asked > 500, "{asked}");
    // The index holds every file of the tree, most of them condensed.
    let idx: Vec<_> = std::fs::read_dir(cache.path()).unwrap().collect();
    assert_eq!(idx.len(), 1);
}

#[test]
fn the_lazy_load_reads_other_servers_as_skeletons() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let inputs = tree_inputs(dir.path());
    let req = Request::from_url("http://site9.test/", "GET", &[], None).unwrap();
    let (skeletons, whole) = lazy::with(&inputs, &req, Loading::Lazy, |loaded, _, _| {
        let all: Vec<_> = loaded.files.iter().collect();
        let skeletons = all.iter().filter(|pf| pf.skeleton).count();
        (skeletons, all.len() - skeletons)
    })
    .unwrap();
    // site-009.conf (the name), the regex and `$hostname` vhosts and the
    // ones whose names come from an include are whole; most are not.
    assert!(
        skeletons > VHOSTS / 2,
        "{skeletons} skeletons, {whole} whole"
    );
    // A request the late default server answers has its file whole.
    let req = Request::from_url("http://nobody.test/a/b", "GET", &[], None).unwrap();
    let late = lazy::with(&inputs, &req, Loading::Lazy, |loaded, model, engine| {
        let sel = engine.select(req.conn, req.host.as_deref(), &req.target);
        let s = &model.servers[sel.server.unwrap().server];
        loaded.files.get(s.directive.span.file).unwrap().skeleton
    })
    .unwrap();
    assert!(!late);
}

/// A header sent twice before the Host is refused in the address's
/// default server (a skeleton here, in a late file): its `error_page`
/// answers, as in a whole load.
#[test]
fn refused_before_the_host_reads_the_default_server_whole() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let opts = Options {
        inputs: tree_inputs(dir.path()),
        settings: Default::default(),
    };
    let cl = "Content-Length: 1".to_string();
    let headers = [cl.clone(), cl, "Host: site0.test".to_string()];
    let req = Request::from_url("http://site0.test/x", "GET", &headers, None).unwrap();
    let ask = |loading| nginx_lint::route_loading(&opts, &req, RouteFormat::Json, loading).unwrap();
    let lazy = ask(Loading::Lazy);
    assert_eq!(lazy, ask(Loading::Whole));
    assert!(lazy.contains("\"200 late\""), "{lazy}");
}

/// Files left unparsed by a load through the index: inert files
/// (`route::inert`), their servers left out.
fn unparsed(dir: &Path, cache: &Path, url: &str) -> Vec<std::path::PathBuf> {
    let inputs = tree_inputs(dir);
    let req = Request::from_url(url, "GET", &[], None).unwrap();
    let free = lazy::Afterwards::Free;
    lazy::with_index(
        &inputs,
        &req,
        Loading::Lazy,
        Some(cache),
        free,
        |loaded, _, _| {
            loaded
                .files
                .iter()
                // A vhost whose servers were left out.
                .filter(|pf| {
                    pf.skeleton
                        && loaded
                            .sources
                            .get(pf.file)
                            .real
                            .parent()
                            .is_some_and(|d| d.ends_with("sites"))
                        && !pf.directives.iter().any(|d| d.name() == "server")
                        && loaded
                            .sources
                            .get(pf.file)
                            .text
                            .windows(7)
                            .any(|w| w == b"server ")
                })
                .map(|pf| loaded.sources.get(pf.file).real.clone())
                .collect()
        },
    )
    .unwrap()
}

#[test]
fn an_unchanged_tree_leaves_its_inert_files_unparsed_and_a_changed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    age(dir.path());
    let cache = tempfile::tempdir().unwrap();
    let url = "http://site0.test/self/";
    // The first run reads the tree and judges it; the next leaves the
    // inert vhosts' servers unparsed (not those with a regex, `$hostname`
    // or no name, no listen, an include only they bring in, or the first
    // or default server of an address).
    assert_eq!(
        unparsed(dir.path(), cache.path(), url),
        Vec::<std::path::PathBuf>::new()
    );
    let warm = unparsed(dir.path(), cache.path(), url);
    assert!(warm.len() > VHOSTS / 4, "{warm:?} unparsed");
    // Among them a vhost whose server includes the shared snippet (which
    // a kept server includes too), not one whose server alone includes
    // its names' snippet.
    let has = |n: &str| warm.iter().any(|p| p.ends_with(format!("sites/{n}")));
    assert!(has("site-026.conf") && !has("site-010.conf"), "{warm:?}");
    // And one that defines an upstream (up18), which another server's
    // proxy_pass still finds.
    assert!(has("site-018.conf"), "{warm:?}");
    let up = "http://first-8081.test:8081/up/x";
    let cached = answer_in(
        dir.path(),
        Some(cache.path()),
        up,
        None,
        RouteFormat::Text,
        Loading::Lazy,
    );
    assert_eq!(
        cached,
        answer(dir.path(), up, RouteFormat::Text, Loading::Whole)
    );
    assert!(cached.contains("127.0.0.1:9018"), "{cached}");
    let cached = answer_in(
        dir.path(),
        Some(cache.path()),
        url,
        None,
        RouteFormat::Text,
        Loading::Lazy,
    );
    assert_eq!(
        cached,
        answer(dir.path(), url, RouteFormat::Text, Loading::Whole)
    );
    // nginx itself behind the proxy_pass: its address's default server,
    // once, not every server listening there.
    let nginx = cached
        .lines()
        .filter(|l| l.contains("→ 127.0.0.1:80: nginx server"))
        .count();
    assert_eq!(nginx, 1, "{cached}");
    // The late default server's file is read whole at once from a warm
    // index (a request no name takes ends there), even for a request a
    // name takes; without the index it stays a skeleton.
    let late = |cache: Option<&Path>| {
        let inputs = tree_inputs(dir.path());
        let req = Request::from_url(url, "GET", &[], None).unwrap();
        let free = lazy::Afterwards::Free;
        lazy::with_index(&inputs, &req, Loading::Lazy, cache, free, |loaded, _, _| {
            let pf = loaded.files.iter().find(|pf| {
                loaded
                    .sources
                    .get(pf.file)
                    .real
                    .ends_with(format!("site-{:03}.conf", VHOSTS - 3))
            });
            pf.map(|pf| !pf.skeleton)
        })
        .unwrap()
    };
    assert_eq!(late(Some(cache.path())), Some(true));
    assert_eq!(late(None), Some(false));
    // One vhost edited: no verdict is trusted, the tree is judged anew.
    let edited = dir.path().join("nginx/sites/site-020.conf");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(
        &edited,
        text.replace("listen 80;", "listen 80 default_server;"),
    )
    .unwrap();
    age(dir.path());
    assert!(unparsed(dir.path(), cache.path(), url).is_empty());
    let whole = answer(dir.path(), url, RouteFormat::Json, Loading::Whole);
    let cached = answer_in(
        dir.path(),
        Some(cache.path()),
        url,
        None,
        RouteFormat::Json,
        Loading::Lazy,
    );
    assert_eq!(cached, whole);
    assert!(unparsed(dir.path(), cache.path(), url).len() > VHOSTS / 4);
    // A request for a name an unparsed file holds reads that file.
    for host in [
        "site5.test",
        "a.wild1.test",
        "x.dot2.test",
        "www.trail3.org",
    ] {
        let url = format!("http://{host}/exact");
        let whole = answer(dir.path(), &url, RouteFormat::Json, Loading::Whole);
        let cached = answer_in(
            dir.path(),
            Some(cache.path()),
            &url,
            None,
            RouteFormat::Json,
            Loading::Lazy,
        );
        assert_eq!(cached, whole, "{url}");
    }
}
