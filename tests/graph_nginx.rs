//! `graph`'s examples against the real nginx: a generated server with
//! every location form (`=`, `^~`, prefix, `~`, `~*`, nested prefixes,
//! regexes and an exact, a named location reached by `try_files`, a
//! lookahead, shadowed locations), each answering its own marker, runs
//! under nginx on loopback; every example `graph --format json` gives is
//! sent to it, and nginx must answer with the marker of the location the
//! example was printed for.
//!
//! Needs nginx (`.ci/run` installs nginx-full); `NGINX_LINT_SKIP_DIFFERENTIAL=1`
//! skips it where there is none.

#[path = "support/nginx.rs"]
mod harness;
#[path = "support/loopback.rs"]
mod loopback;

use std::net::{IpAddr, Ipv4Addr};

use loopback::{ask, free_port, start};
use nginx_lint::Inputs;

/// `graph`'s locations for the differential check: each on its own line
/// with its marker (`G<n>`) there, so the marker of a location is read
/// from its line. G18 is named; G20, G21 and G5 are shadowed (the
/// unanchored `~* /IMG/` also matches `/static/img/…`); `/try/` has no
/// marker of its own (its requests end in `@named`).
const GRAPH_LOCATIONS: &str = r#"location = / { return 200 "G0"; }
location / { return 200 "G1"; }
location = /exact { return 200 "G2"; }
location /exact { return 200 "G3"; }
location ^~ /static/ { return 200 "G4"; }
location /static/img/ { return 200 "G5"; }
location ~ \.php$ { return 200 "G6"; }
location ~* \.(jpg|png)$ { return 200 "G7"; }
location ~* ^.+\.PHP$ { return 200 "G8"; }
location /api/ { return 200 "G9";
  location ~ ^/api/v[0-9]+/ { return 200 "G10"; }
  location /api/admin/ { return 200 "G11";
    location = /api/admin/exact { return 200 "G12"; }
  }
}
location ~ ^/(?<word>[a-z]+)/(\d+)$ { return 200 "G13"; }
location ^~ /noregex { return 200 "G14"; }
location ~ ^/n/ { return 200 "G15";
  location ~ /deep$ { return 200 "G16"; }
}
location /try/ { try_files $uri @named; }
location @named { return 200 "G18"; }
location ~ /\.(?!well-known) { return 200 "G19"; }
location ~ ^/x/.*\.php$ { return 200 "G20"; }
location /img/ { return 200 "G21"; }
location ~* /IMG/(.*) { return 200 "G22"; }
location /dots/ { return 200 "G23"; }
location ~ "^/[0-9]{2,}/[^/]+\.json$" { return 200 "G24"; }
"#;

/// Every example `graph` gives is a request nginx answers from that
/// location: the generated server is started, each example is sent with
/// the server's name, and the body must be the marker on the location's
/// line.
#[test]
fn graph_examples_reach_their_location_in_nginx() {
    let Some(nginx) = harness::require_nginx() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("empty")).expect("root dir");
    let port = free_port(false);
    let conf = format!(
        "master_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\nhttp {{\naccess_log off;\ntypes {{}}\n\
         default_type text/plain;\nroot {d}/empty;\nserver {{\nlisten 127.0.0.1:{port};\n\
         server_name graph.test;\n{GRAPH_LOCATIONS}}}\n}}\n",
        d = dir.path().display()
    );
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, &conf).expect("write conf");
    let _n = start(&nginx, dir.path(), port);
    let opts = nginx_lint::Options {
        inputs: Inputs {
            paths: vec![conf_path],
            ..Inputs::default()
        },
        settings: Default::default(),
    };
    let json = nginx_lint::graph(&opts, nginx_lint::graph::GraphFormat::Json).expect("graph");
    let g: serde_json::Value = serde_json::from_str(&json).expect("graph JSON");
    let lines: Vec<&str> = conf.lines().collect();
    let (mut asked, mut wrong, mut without) = (0, Vec::new(), Vec::new());
    for l in g["servers"][0]["locations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let at = l["at"].as_str().unwrap_or("");
        let line: usize = at
            .rsplit(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let text = lines.get(line.wrapping_sub(1)).copied().unwrap_or("");
        let marker = text
            .split('"')
            .find(|w| w.starts_with('G') && w[1..].chars().all(|c| c.is_ascii_digit()));
        let Some(example) = l["reached_by"]["example"].as_str() else {
            without.push(marker.unwrap_or(text).to_string());
            continue;
        };
        let Some(marker) = marker else { continue };
        asked += 1;
        let theirs = ask(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
            Some("graph.test"),
            example,
        );
        if theirs != marker {
            wrong.push(format!(
                "{example}: graph says {marker} ({text}), nginx answers {theirs:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    without.sort();
    assert_eq!(
        without,
        ["G18", "G20", "G21", "G5"],
        "locations without an example"
    );
    assert_eq!(asked, 20, "examples checked against nginx");
}
