//! systemd units of the application servers other than Gunicorn: a target
//! resolves to the unit whose `ExecStart=` (with `Environment=`,
//! `EnvironmentFile=`, drop-ins) listens there, and a known but different
//! port is `upstream-no-listener` naming the unit's line.

use std::path::Path;

use nginx_lint::{Inputs, Options};

/// Write `files` (path, text) under a new temporary root.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (p, text) in files {
        let path = tmp.path().join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    tmp
}

/// Lint a server tree with `--root`, its nginx and the given service paths.
fn lint(root: &Path, services: &[&str]) -> nginx_lint::Outcome {
    let opts = Options {
        inputs: Inputs {
            paths: vec![root.join("etc/nginx")],
            root: Some(root.to_path_buf()),
            services: services.iter().map(|s| root.join(s)).collect(),
            no_discover: true,
            ..Inputs::default()
        },
        settings: Default::default(),
    };
    nginx_lint::run(&opts).expect("runs")
}

fn nginx(target: &str) -> String {
    format!(
        "user www-data;\nevents {{}}\nhttp {{\n    server {{\n        listen 80;\n        location / {{\n            proxy_pass http://{target};\n        }}\n    }}\n}}\n"
    )
}

/// The upstream-no-listener findings: (line of the finding, help, related
/// lines with their file names).
fn no_listener(o: &nginx_lint::Outcome) -> Vec<(String, Vec<String>)> {
    o.findings
        .iter()
        .filter(|f| f.rule == "upstream-no-listener")
        .map(|f| {
            let related = f
                .related
                .iter()
                .map(|r| {
                    let file = o.loaded.sources.get(r.span.file);
                    let name = file
                        .real
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let line = file.text[..r.span.start as usize]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count()
                        + 1;
                    format!("{name}:{line}")
                })
                .collect();
            (f.help.clone().unwrap_or_default(), related)
        })
        .collect()
}

const PUMA: &str = "[Unit]\nDescription=Puma for the shop\n\n[Service]\nType=simple\nUser=deploy\nWorkingDirectory=/srv/shop/current\nEnvironment=RAILS_ENV=production \"PORT=3000\"\nExecStart=/usr/local/bin/bundle exec puma -p ${PORT} -e production\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n";

#[test]
fn puma_unit_with_environment_port() {
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3000")),
        ("etc/systemd/system/shop.service", PUMA),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);

    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3001")),
        ("etc/systemd/system/shop.service", PUMA),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    let found = no_listener(&o);
    assert_eq!(found.len(), 1, "{:?}", o.findings);
    assert!(
        found[0].0.contains("puma shop.service listens on *:3000"),
        "{found:?}"
    );
    // The port is set on the Environment= line, not in ExecStart=.
    assert_eq!(found[0].1, ["shop.service:8"]);
}

const NODE: &str = "[Service]\nUser=node\nEnvironmentFile=-/etc/default/api\nExecStart=/usr/bin/node /srv/api/server.js\n";

#[test]
fn node_unit_with_environment_file() {
    let files = |target: &str| {
        tree(&[
            ("etc/nginx/nginx.conf", &nginx(target)),
            ("etc/systemd/system/api.service", NODE),
            (
                "etc/default/api",
                "# api\nNODE_ENV=production\nPORT=\"4000\"\n",
            ),
        ])
    };
    let t = files("127.0.0.1:4000");
    let o = lint(t.path(), &["etc/systemd/system"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);
    let t = files("127.0.0.1:4001");
    let o = lint(t.path(), &["etc/systemd/system"]);
    let found = no_listener(&o);
    assert_eq!(found.len(), 1, "{:?}", o.findings);
    assert!(
        found[0].0.contains("node api.service listens on *:4000"),
        "{found:?}"
    );
    assert_eq!(found[0].1, ["api.service:3"]);
    // Without the file, the port is unknown: nothing claims 4001 wrong
    // with evidence, and the unit yields no listener.
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:4001")),
        ("etc/systemd/system/api.service", NODE),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    assert!(
        no_listener(&o)
            .iter()
            .all(|(h, _)| !h.contains("api.service")),
        "{:?}",
        o.findings
    );
}

#[test]
fn dropin_replaces_exec_start() {
    let unit =
        "[Service]\nExecStart=/srv/app/venv/bin/uvicorn app:app --host 0.0.0.0 --port 8000\n";
    let dropin = "[Service]\nExecStart=\nExecStart=/srv/app/venv/bin/uvicorn app:app --host 0.0.0.0 --port 8010\n";
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:8010")),
        ("etc/systemd/system/app.service", unit),
        ("etc/systemd/system/app.service.d/override.conf", dropin),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:8000")),
        ("etc/systemd/system/app.service", unit),
        ("etc/systemd/system/app.service.d/override.conf", dropin),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    let found = no_listener(&o);
    assert_eq!(found.len(), 1, "{:?}", o.findings);
    assert!(
        found[0].0.contains("uvicorn app.service listens on *:8010"),
        "{found:?}"
    );
    assert_eq!(found[0].1, ["override.conf:3"]);
}

#[test]
fn template_instance_and_socket_unit() {
    // app@.service started as app@5000 is not in view as an instance: its
    // `%i` port stays unknown (no listener, no guess).
    let unit = "[Service]\nEnvironment=PORT=%i\nExecStart=/usr/bin/npm start\n";
    let socket = "[Socket]\nListenStream=/run/shop/puma.sock\nSocketUser=deploy\nSocketMode=0660\n\n[Install]\nWantedBy=sockets.target\n";
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("unix:/run/shop/puma.sock")),
        ("etc/systemd/system/app@.service", unit),
        ("etc/systemd/system/shop.socket", socket),
    ]);
    let o = lint(t.path(), &["etc/systemd/system"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);
    // The socket is SocketUser=deploy, mode 0660: nginx's www-data cannot
    // connect.
    assert!(
        o.findings.iter().any(|f| f.rule == "socket-permission"),
        "{:?}",
        o.findings
    );
}

/// worker-rlimit-nofile under `--root`: the nginx unit's `LimitNOFILE=`
/// (with a drop-in over it) decides; without a unit, 1024 is assumed and
/// the message says so.
#[test]
fn nginx_unit_limit_nofile_under_root() {
    let conf = "events {\n    worker_connections 10000;\n}\nhttp {\n    server { listen 80; }\n}\n";
    let unit = "[Service]\nType=forking\nExecStart=/usr/sbin/nginx -g 'daemon on; master_process on;'\nLimitNOFILE=65535\n";
    let rlimit = |o: &nginx_lint::Outcome| -> Vec<String> {
        o.findings
            .iter()
            .filter(|f| f.rule == "worker-rlimit-nofile")
            .map(|f| f.message.clone())
            .collect()
    };
    let t = tree(&[
        ("etc/nginx/nginx.conf", conf),
        ("lib/systemd/system/nginx.service", unit),
    ]);
    assert!(rlimit(&lint(t.path(), &[])).is_empty());

    let t = tree(&[
        ("etc/nginx/nginx.conf", conf),
        ("lib/systemd/system/nginx.service", unit),
        (
            "etc/systemd/system/nginx.service.d/override.conf",
            "[Service]\nLimitNOFILE=8192\n",
        ),
    ]);
    let m = rlimit(&lint(t.path(), &[]));
    assert_eq!(m.len(), 1);
    assert!(
        m[0].contains("limit of 8192 open files (LimitNOFILE=8192 in the nginx unit /etc/systemd/system/nginx.service.d/override.conf:2)"),
        "{m:?}"
    );

    let t = tree(&[("etc/nginx/nginx.conf", conf)]);
    let m = rlimit(&lint(t.path(), &[]));
    assert_eq!(m.len(), 1);
    assert!(m[0].contains("limit of 1024 open files (assumed"), "{m:?}");
}

/// Lint a repository checkout (no `--root`), found by the walk.
fn lint_repo(dir: &Path) -> nginx_lint::Outcome {
    let opts = Options {
        inputs: Inputs {
            paths: vec![dir.to_path_buf()],
            ..Inputs::default()
        },
        settings: Default::default(),
    };
    nginx_lint::run(&opts).expect("runs")
}

const ECOSYSTEM: &str = "module.exports = {\n  apps: [\n    {\n      name: 'api',\n      script: './server.js',\n      env: {\n        DB_PORT: 5432,\n        APP_PORT: 8081,\n      },\n    },\n  ],\n};\n";

/// pm2: an app whose port variable is not `PORT` is read when the script
/// reads it; a client's port variable is never the app's.
#[test]
fn pm2_app_port_from_any_variable_the_script_reads() {
    let server = "const port = process.env.APP_PORT || 3000;\napp.listen(port);\n";
    let t = tree(&[
        ("nginx/nginx.conf", &nginx("127.0.0.1:8081")),
        ("ecosystem.config.js", ECOSYSTEM),
        ("server.js", server),
    ]);
    let o = lint_repo(t.path());
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);

    // The wrong port: the help names the app and its APP_PORT line.
    let t = tree(&[
        ("nginx/nginx.conf", &nginx("127.0.0.1:8082")),
        ("ecosystem.config.js", ECOSYSTEM),
        ("server.js", server),
    ]);
    let found = no_listener(&lint_repo(t.path()));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].0.contains("pm2 app api listens on *:8081"),
        "{found:?}"
    );
    assert_eq!(found[0].1, ["ecosystem.config.js:8"]);

    // The script reads another variable: APP_PORT is not its port, and
    // DB_PORT (the database's) is never taken.
    let t = tree(&[
        ("nginx/nginx.conf", &nginx("127.0.0.1:5432")),
        ("ecosystem.config.js", ECOSYSTEM),
        ("server.js", "app.listen(process.env.LISTEN_ON);\n"),
    ]);
    let found = no_listener(&lint_repo(t.path()));
    assert_eq!(found.len(), 1);
    assert!(!found[0].0.contains("pm2 app"), "{found:?}");
}

const SUPERVISOR: &str = "[program:shop]\ncommand=/srv/shop/venv/bin/uvicorn shop.main:app --host 127.0.0.1 --port %(ENV_SHOP_PORT)s\n\n[program:api]\ncommand=/usr/bin/node /srv/api/server.js ; the JSON api\nenvironment=NODE_ENV=\"production\",PORT=\"3000\"\nuser=node\ndirectory=/srv/api\nautorestart=true\n";

/// supervisord: a program's command and environment make it listen; a
/// `%(ENV_X)s` port is unknown (no listener, no default guessed).
#[test]
fn supervisord_programs() {
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3000")),
        ("etc/supervisor/conf.d/apps.conf", SUPERVISOR),
    ]);
    let o = lint(t.path(), &["etc/supervisor/conf.d"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3001")),
        ("etc/supervisor/conf.d/apps.conf", SUPERVISOR),
    ]);
    let o = lint(t.path(), &["etc/supervisor/conf.d"]);
    let found = no_listener(&o);
    assert_eq!(found.len(), 1, "{:?}", o.findings);
    assert!(
        found[0].0.contains("node program:api listens on *:3000"),
        "{found:?}"
    );
    assert_eq!(found[0].1, ["apps.conf:6"]);
}

/// runit: the `exec` line of `/etc/sv/NAME/run` after `chpst -u`, with the
/// script's own exported variables.
#[test]
fn runit_run_script() {
    let run = "#!/bin/sh\nexec 2>&1\nexport PORT=3000\ncd /srv/api\nexec chpst -u api:api /usr/bin/node server.js\n";
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3000")),
        ("etc/sv/api/run", run),
    ]);
    let o = lint(t.path(), &["etc/sv"]);
    assert!(no_listener(&o).is_empty(), "{:?}", o.findings);
    let t = tree(&[
        ("etc/nginx/nginx.conf", &nginx("127.0.0.1:3002")),
        ("etc/sv/api/run", run),
    ]);
    let found = no_listener(&lint(t.path(), &["etc/sv"]));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].0.contains("node api listens on *:3000"),
        "{found:?}"
    );
    assert_eq!(found[0].1, ["run:3"]);
}
