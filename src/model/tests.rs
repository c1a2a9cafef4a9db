use super::*;
use crate::load::{Inputs, load};
use std::path::PathBuf;

fn loaded(files: &[(&str, &str)]) -> (tempfile::TempDir, Loaded) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, body).expect("write");
    }
    let inputs = Inputs {
        paths: vec![PathBuf::from(dir.path())],
        ..Inputs::default()
    };
    let l = load(&inputs).expect("loads");
    (dir, l)
}

#[test]
fn servers_upstreams_targets_and_inheritance() {
    let (_d, l) = loaded(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n fastcgi_read_timeout 30s;\n fastcgi_param A 1;\n upstream app { server 127.0.0.1:8000; server unix:/var/run/app.sock; }\n include sites/*;\n}\n",
        ),
        (
            "sites/a",
            "server { server_name a.test;\n location / { proxy_pass http://app; }\n location ~ \\.php$ { fastcgi_param B 2; fastcgi_pass unix:/run/php/php8.2-fpm.sock; }\n location /x { proxy_pass http://localhost:3000/x; }\n location /v { proxy_pass http://$host; }\n}\n",
        ),
    ]);
    let m = Model::build(&l);
    assert_eq!(m.servers.len(), 1);
    assert_eq!(
        m.servers[0].listens[0].endpoint,
        Endpoint::Tcp(Host::Any, 80)
    );
    assert_eq!(*m.servers[0].names, ["a.test"]);
    assert_eq!(m.upstreams.len(), 1);
    assert_eq!(
        m.upstreams[0].servers[1].1,
        Some(Endpoint::Unix(std::path::Path::new("/run/app.sock").into()))
    );
    assert_eq!(m.targets.len(), 4);
    assert_eq!(m.targets[0].addr, TargetAddr::Upstream(0));
    assert!(matches!(
        m.targets[1].addr,
        TargetAddr::Direct(Endpoint::Unix(_))
    ));
    assert!(matches!(
        m.targets[2].addr,
        TargetAddr::Direct(Endpoint::Tcp(Host::Ip(_), 3000))
    ));
    assert!(matches!(m.targets[3].addr, TargetAddr::Runtime(_)));
    // Inheritance: the php location's own fastcgi_param replaces http's.
    let php = m.targets[1].scope;
    let params: Vec<_> = m
        .effective(php, "fastcgi_param")
        .map(|d| d.arg(0).unwrap_or(""))
        .collect();
    assert_eq!(params, vec!["B"]);
    assert_eq!(
        m.effective_one(php, "fastcgi_read_timeout")
            .and_then(|d| d.arg(0)),
        Some("30s")
    );
    assert!(m.server_of(php).is_some());
}

/// The name index: per-scope occurrences in order, the innermost defining
/// scope, several names merged in walk order, and names outside the
/// directive table (id 0's run, or the scope's children: the same answers).
#[test]
fn name_index_lookups() {
    let (_d, l) = loaded(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n root /a;\n include s.conf;\n my_module_thing 1;\n}\n",
        ),
        (
            "s.conf",
            "server { listen 80; root /b; other_thing 0; location / { my_module_thing 2; } }\nserver { listen 81; }\n",
        ),
    ]);
    let m = Model::build(&l);
    let first = |ctx: Ctx| m.scopes.iter().position(|s| s.ctx == ctx).expect("scope");
    let http = first(Ctx::Http);
    let s1 = m.servers[0].scope;
    let s2 = m.servers[1].scope;
    let loc = first(Ctx::Location);
    fn args(ds: Vec<&Directive>) -> Vec<String> {
        ds.iter()
            .map(|d| d.arg(0).unwrap_or("").to_string())
            .collect()
    }
    // Each scope's children, includes flattened, from the shared slots.
    fn names(ds: &[&Directive]) -> Vec<String> {
        ds.iter().map(|d| d.name().to_string()).collect()
    }
    assert_eq!(
        names(m.scope_children(http)),
        ["root", "server", "server", "my_module_thing"]
    );
    assert_eq!(
        names(m.children(&m.scopes[s1])),
        ["listen", "root", "other_thing", "location"]
    );
    assert!(m.scope_children(usize::MAX).is_empty());
    assert_eq!(args(m.own(http, "root").collect()), ["/a"]);
    assert!(m.has(s1, "root") && !m.has(s2, "root"));
    assert_eq!(m.defining(loc, "root"), Some(s1));
    assert_eq!(m.defining(s2, "root"), Some(http));
    assert_eq!(args(m.effective(s2, "root").collect()), ["/a"]);
    let named: Vec<(ScopeId, &str)> = m
        .named(&["listen", "root"])
        .map(|(s, d)| (s, d.arg(0).unwrap_or("")))
        .collect();
    assert_eq!(named, [(http, "/a"), (s1, "80"), (s1, "/b"), (s2, "81")]);
    // Each scope holding a name once, in order.
    assert_eq!(m.scopes_with("root").collect::<Vec<_>>(), [http, s1]);
    assert_eq!(m.scopes_with("listen").collect::<Vec<_>>(), [s1, s2]);
    assert_eq!(m.scopes_with("my_module_thing").count(), 0);
    // Not in the directive table: scanned, same shape of answers.
    assert_eq!(crate::nginx::schema::name_id("my_module_thing").0, 0);
    assert_eq!(args(m.own(loc, "my_module_thing").collect()), ["2"]);
    assert_eq!(m.defining(s2, "my_module_thing"), Some(http));
    assert_eq!(m.named(&["my_module_thing"]).count(), 2);
    // Known and unknown names together, in walk order; another unknown
    // name in the tree (`other_thing`) is not among them, and a name asked
    // twice comes once.
    let mixed: Vec<(ScopeId, &str)> = m
        .named(&["my_module_thing", "root", "my_module_thing"])
        .map(|(s, d)| (s, d.arg(0).unwrap_or("")))
        .collect();
    assert_eq!(mixed, [(http, "/a"), (http, "1"), (s1, "/b"), (loc, "2")]);
    // Id 0: every directive outside the table, whatever its name.
    let unknown: Vec<&str> = m
        .with_ids(&[crate::nginx::schema::NameId(0)])
        .map(|(_, d)| d.name())
        .collect();
    assert_eq!(
        unknown,
        ["my_module_thing", "other_thing", "my_module_thing"]
    );
}

/// `scope_start` (interpolation and galloping) agrees with a binary search
/// on even, clustered and one-scope runs, for scopes before, inside,
/// between and after them.
#[test]
fn scope_start_matches_binary_search() {
    let mut runs: Vec<Vec<(u32, u32)>> = vec![
        vec![],
        vec![(5, 0)],
        vec![(5, 0), (5, 1), (5, 2)],
        (0..1000).map(|s| (s * 3, 0)).collect(),
        // Most entries in one scope (an http block of fastcgi_params),
        // then a long even tail, then a far outlier.
        (0..500)
            .map(|i| (2, i))
            .chain((10..2000).map(|s| (s, 0)))
            .chain([(1_000_000, 0)])
            .collect(),
    ];
    // Pseudo-random sorted runs with repeats (a fixed LCG: reproducible).
    let mut x: u64 = 12345;
    for len in [2, 7, 64, 513] {
        let mut r: Vec<(u32, u32)> = (0..len)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) as u32 % 5000, i)
            })
            .collect();
        r.sort();
        runs.push(r);
    }
    for run in &runs {
        let max = run.last().map_or(10, |e| e.0 + 10);
        for scope in 0..=max.min(6000) {
            assert_eq!(
                scope_start(run, scope),
                run.partition_point(|e| e.0 < scope),
                "scope {scope} in a run of {}",
                run.len()
            );
        }
        assert_eq!(scope_start(run, u32::MAX), run.len());
    }
}

/// The directives using `$1` … `$9` are listed with their scope, in scope
/// order, included ones too; those in data blocks (a `map`'s entries) are
/// not, as no scope holds them.
#[test]
fn capture_users_in_scope_order() {
    let (_d, l) = loaded(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n map $uri $m { ~^/(a)$ $1; }\n server {\n  root /x;\n  location ~ ^/(b)/(c)$ { include more; return 200 $2; }\n  rewrite ^/(d)$ /$1 last;\n }\n}\n",
        ),
        ("more", "add_header X $1;\nset $y z;\n"),
    ]);
    let m = Model::build(&l);
    let got: Vec<(String, String)> = m
        .capture_users()
        .map(|(sid, d)| {
            let owner = m.scopes[sid].directive.map_or("", |o| o.name());
            (owner.to_string(), d.name().to_string())
        })
        .collect();
    let want = [
        ("server", "rewrite"),
        ("location", "add_header"),
        ("location", "return"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
}

/// A proxy_pass names the first upstream of that name in its unit and
/// protocol (a second definition is duplicate-upstream's business).
#[test]
fn targets_name_the_first_upstream_of_their_name() {
    let (_d, l) = loaded(&[(
        "nginx.conf",
        "events {}\nhttp {\n upstream a { server 127.0.0.1:1; }\n upstream b { server 127.0.0.1:2; }\n upstream a { server 127.0.0.1:3; }\n server { location / { proxy_pass http://a; } location /b { proxy_pass http://b; } location /c { proxy_pass http://c; } location /d { proxy_pass http://B; } }\n}\nstream { upstream b { server 127.0.0.1:4; } }\n",
    )]);
    let m = Model::build(&l);
    let addrs: Vec<String> = m.targets.iter().map(|t| format!("{:?}", t.addr)).collect();
    assert_eq!(addrs[0], "Upstream(0)");
    assert_eq!(addrs[1], "Upstream(1)");
    // No upstream `c`: a host name.
    assert!(addrs[2].starts_with("Direct"), "{}", addrs[2]);
    // Names compare without case, as in nginx's ngx_http_upstream_add.
    assert_eq!(addrs[3], "Upstream(1)");
    assert_eq!(m.upstream(0, "b", true).map(|u| u.stream), Some(true));
    assert_eq!(m.upstream(0, "b", false).map(|u| u.stream), Some(false));
    assert_eq!(m.upstream(0, "B", false).map(|u| u.name), Some("b"));
    assert!(m.upstream(0, "c", false).is_none());
}

#[test]
fn scopes_with_gives_each_scope_once() {
    let (_d, l) = loaded(&[(
        "nginx.conf",
        "events {}\nhttp { add_header A 1; add_header B 2; server { listen 80; add_header C 3; } }\n",
    )]);
    let m = Model::build(&l);
    let http = m
        .scopes
        .iter()
        .position(|s| s.ctx == Ctx::Http)
        .expect("http");
    assert_eq!(
        m.scopes_with("add_header").collect::<Vec<_>>(),
        [http, m.servers[0].scope]
    );
}

/// `http_listens`: the parsed listens `wanted` accepts, and every listen
/// of a server one of whose listens did not parse; stream servers' never.
#[test]
fn http_listens_falls_back_to_the_directives() {
    let (_d, l) = loaded(&[(
        "nginx.conf",
        "events {}\nhttp {\n server { listen 80 default_server; listen 81; }\n \
         server { listen weird:host:port; listen 82; }\n}\n\
         stream { server { listen 53 default_server; } }\n",
    )]);
    let m = Model::build(&l);
    assert!(m.servers[0].listens_complete && !m.servers[1].listens_complete);
    let got: Vec<&str> = m
        .http_listens(|l| l.is_none_or(|l| l.default_server))
        .map(|(_, d)| d.arg(0).unwrap_or(""))
        .collect();
    assert_eq!(got, ["80", "weird:host:port", "82"]);
}

/// Targets and upstream servers naming the same socket (however written:
/// `/var/run` is `/run`) hold one shared copy of its path; other sockets
/// keep their own.
#[test]
fn targets_share_equal_socket_paths() {
    let (_d, l) = loaded(&[(
        "nginx.conf",
        "events {}\nhttp {\n upstream app { server unix:/var/run/php/a.sock; }\n server {\n  location /a { fastcgi_pass unix:/run/php/a.sock; }\n  location /b { fastcgi_pass unix:/var/run/php/a.sock; }\n  location /c { fastcgi_pass unix:/run/php/c.sock; }\n  location /d { proxy_pass http://app; }\n }\n}\n",
    )]);
    let m = Model::build(&l);
    let socket = |addr: &TargetAddr| match addr {
        TargetAddr::Direct(Endpoint::Unix(p)) => std::sync::Arc::clone(p),
        other => panic!("not a socket: {other:?}"),
    };
    let (a, b, c) = (
        socket(&m.targets[0].addr),
        socket(&m.targets[1].addr),
        socket(&m.targets[2].addr),
    );
    assert_eq!(a.as_ref(), std::path::Path::new("/run/php/a.sock"));
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert!(!std::sync::Arc::ptr_eq(&a, &c));
    let Some(Endpoint::Unix(up)) = &m.upstreams[0].servers[0].1 else {
        panic!("upstream server is not a socket");
    };
    assert!(std::sync::Arc::ptr_eq(&a, up));
}

/// `own` and `effective` answer alike whatever order the scopes come in
/// (increasing, decreasing, repeated, skipping), and whatever was asked
/// before, as a scan of each scope's children would, for names in the
/// table, names with no occurrence and names outside the table.
#[test]
fn own_answers_alike_in_any_order() {
    let (_d, l) = loaded(&[
        (
            "nginx.conf",
            "events {}\nhttp {\n root /a;\n add_header X 1;\n include s.conf;\n my_module_thing 1;\n}\n",
        ),
        (
            "s.conf",
            "server { listen 80; root /b; add_header A 1; add_header B 2; location / { add_header C 3; my_module_thing 2; } location /x { root /c; } }\nserver { listen 81; add_header D 4; }\n",
        ),
    ]);
    let m = Model::build(&l);
    let n = m.scopes.len();
    let up: Vec<ScopeId> = (0..n).collect();
    let down: Vec<ScopeId> = (0..n).rev().collect();
    let mixed: Vec<ScopeId> = (0..n)
        .map(|i| (i * 7 + 3) % n)
        .chain([0, 0, n - 1, n + 5])
        .collect();
    let scan = |s: ScopeId, name: &str| -> Vec<*const Directive> {
        m.scope_children(s)
            .iter()
            .filter(|d| d.name() == name)
            .map(|d| *d as *const _)
            .collect()
    };
    let in_effect = |s: ScopeId, name: &str| -> Vec<*const Directive> {
        let mut cur = Some(s);
        while let Some(id) = cur.filter(|&id| id < n) {
            let own = scan(id, name);
            if !own.is_empty() {
                return own;
            }
            cur = m.scopes[id].parent;
        }
        Vec::new()
    };
    for name in [
        "add_header",
        "root",
        "listen",
        "proxy_pass",
        "my_module_thing",
    ] {
        for order in [&up, &down, &mixed] {
            for &s in order.iter() {
                let got: Vec<*const Directive> = m.own(s, name).map(|d| d as *const _).collect();
                assert_eq!(got, scan(s, name), "{name} in scope {s}");
                let got: Vec<*const Directive> =
                    m.effective(s, name).map(|d| d as *const _).collect();
                assert_eq!(got, in_effect(s, name), "{name} in effect at scope {s}");
                // Another name asked between two answers.
                let _ = m.own(n - 1 - s.min(n - 1), "root").count();
            }
        }
    }
    // Asking ahead past either end is only a hint.
    for i in [0, n - 1, n, n + 100] {
        m.scopes_ahead(&up, i, |&s| s);
    }
}
