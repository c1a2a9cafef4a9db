//! Realistic stacks, one per service provider (`testdata/stacks/<name>/`):
//! each resolves cleanly, and its broken variant (`<name>-broken/`) gives
//! exactly the findings snapshotted in `snapshots/stack-<name>-broken.snap`
//! (JSON). The clean stacks' `graph` is snapshotted too, to show how the
//! services are named.

use std::path::{Path, PathBuf};

use nginx_lint::report::{self, Format, HumanStyle, ReportView};
use nginx_lint::{Inputs, Options};

/// How each stack is linted, as on the command line: `--root` (a stack
/// that mirrors a server), the nginx path, and `--service` paths, all
/// relative to the stack.
struct Stack {
    name: &'static str,
    root: bool,
    paths: &'static [&'static str],
    services: &'static [&'static str],
}

const STACKS: &[Stack] = &[
    // Django behind Gunicorn, socket-activated by systemd.
    Stack {
        name: "django-gunicorn",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/systemd/system"],
    },
    // Flask under a uWSGI vassal.
    Stack {
        name: "flask-uwsgi",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/uwsgi/apps-enabled/flaskapp.ini"],
    },
    // A Compose project: nginx, node and php-fpm containers (found by the walk).
    Stack {
        name: "compose",
        root: false,
        paths: &["."],
        services: &[],
    },
    // nginx in front of Apache httpd.
    Stack {
        name: "apache",
        root: true,
        paths: &["etc/nginx"],
        services: &["etc/apache2"],
    },
    // Node apps run by pm2 (the ecosystem file is found by the walk).
    Stack {
        name: "pm2",
        root: false,
        paths: &["."],
        services: &[],
    },
];

const STYLE: HumanStyle = HumanStyle {
    color: false,
    width: 100,
    unicode: true,
    help: false,
};

fn options(dir: &Path, s: &Stack) -> Options {
    let join = |p: &&str| -> PathBuf {
        if *p == "." {
            dir.to_path_buf()
        } else {
            dir.join(p)
        }
    };
    Options {
        inputs: Inputs {
            paths: s.paths.iter().map(join).collect(),
            root: s.root.then(|| dir.to_path_buf()),
            services: s.services.iter().map(join).collect(),
            no_discover: true,
            ..Inputs::default()
        },
        settings: Default::default(),
    }
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), text));
}

fn stack_dir(name: &str) -> PathBuf {
    // Relative, so the snapshots do not depend on where the checkout lives.
    PathBuf::from("testdata/stacks").join(name)
}

#[test]
fn clean_stacks_resolve_without_findings() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("cd");
    let mut failures = Vec::new();
    for s in STACKS {
        let dir = stack_dir(s.name);
        let opts = options(&dir, s);
        let outcome = nginx_lint::run(&opts).expect("stack runs");
        if !outcome.findings.is_empty() {
            let view = outcome.view();
            failures.push(format!(
                "{}: expected no finding, got:\n{}",
                s.name,
                report::render(&view, Format::Concise, STYLE)
            ));
        }
        let graph = nginx_lint::graph(&opts, nginx_lint::graph::GraphFormat::Text).expect("graph");
        snapshot(&format!("stack-{}-graph", s.name), &graph);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_stacks_give_exactly_the_expected_findings() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("cd");
    for s in STACKS {
        let name = format!("{}-broken", s.name);
        let dir = stack_dir(&name);
        let outcome = nginx_lint::run(&options(&dir, s)).expect("stack runs");
        assert!(!outcome.findings.is_empty(), "{name}: no finding");
        let view = ReportView {
            sources: &outcome.loaded.sources,
            findings: &outcome.findings,
            skipped: &[],
            not_config: 0,
            files: outcome.loaded.file_count(),
            elapsed_ms: None,
            versions: None,
        };
        let json = report::render(&view, Format::Json, STYLE);
        snapshot(&format!("stack-{name}"), &json);
    }
}

/// A published Compose stack, as its repository holds it (under
/// `testdata/`: a real-world corpus project, whose `SOURCE.md` names the
/// repository, path and commit, or a stack of `testdata/stacks/` with its
/// own), with every nginx target's resolution as traced by hand, and
/// one-edit breakages.
struct Published {
    dir: &'static str,
    /// (endpoint, listener name, or `external`/`runtime`), in graph order.
    targets: &'static [(&'static str, &'static str)],
    breaks: &'static [Break],
}

/// One edit (`from` → `to` in `file`) and the finding it must give: its
/// rule, the file and line reported, and a word of its help (the evidence).
struct Break {
    file: &'static str,
    from: &'static str,
    to: &'static str,
    rule: &'static str,
    at: &'static str,
    help: &'static str,
}

const PUBLISHED: &[Published] = &[
    // proxy (built FROM nginx, COPY conf) → backend: `flask run` with
    // ENV FLASK_RUN_PORT 8000 in backend/Dockerfile.
    Published {
        dir: "realworld/awesome-compose-nginx-flask-mysql/repo/nginx-flask-mysql",
        targets: &[("backend:8000", "backend")],
        breaks: &[
            Break {
                file: "proxy/conf",
                from: "backend:8000",
                to: "backend:8001",
                rule: "upstream-no-listener",
                at: "proxy/conf:5",
                help: "backend/Dockerfile:18) with FLASK_RUN_PORT=8000 (",
            },
            Break {
                file: "proxy/conf",
                from: "backend:8000",
                to: "backnd:8000",
                rule: "upstream-undefined",
                at: "proxy/conf:5",
                help: "did you mean `backend`?",
            },
            Break {
                file: "compose.yaml",
                from: "  backend:\n",
                to: "  api:\n",
                rule: "upstream-undefined",
                at: "proxy/conf:5",
                help: "(api, db, proxy)",
            },
            // Flask's development server on the container's loopback.
            Break {
                file: "backend/Dockerfile",
                from: "ENV FLASK_RUN_HOST 0.0.0.0",
                to: "ENV FLASK_RUN_HOST 127.0.0.1",
                rule: "upstream-no-listener",
                at: "proxy/conf:5",
                help: "bind 0.0.0.0",
            },
        ],
    },
    // nginx (built FROM nginx) → upstream of web1, web2 (node, `ports`
    // 81:5000 and 82:5000).
    Published {
        dir: "realworld/awesome-compose-nginx-nodejs-redis/repo/nginx-nodejs-redis",
        targets: &[("web1:5000", "web1"), ("web2:5000", "web2")],
        breaks: &[
            Break {
                file: "compose.yaml",
                from: "'82:5000'",
                to: "'82:5001'",
                rule: "upstream-no-listener",
                at: "nginx/nginx.conf:3",
                help: "compose.yaml:18",
            },
            Break {
                file: "nginx/nginx.conf",
                from: "server web1:5000",
                to: "server web3:5000",
                rule: "upstream-undefined",
                at: "nginx/nginx.conf:2",
                help: "did you mean `web1`?",
            },
        ],
    },
    // nginx → upstream hello_django → web: `gunicorn … --bind 0.0.0.0:8000`
    // (docker-compose.prod.yml), `runserver 0.0.0.0:8000` (docker-compose.yml).
    Published {
        dir: "realworld/django-on-docker/repo",
        targets: &[("web:8000", "web")],
        breaks: &[
            Break {
                file: "nginx/nginx.conf",
                from: "web:8000",
                to: "web:8080",
                rule: "upstream-no-listener",
                at: "nginx/nginx.conf:2",
                help: "docker-compose.prod.yml:8",
            },
            // (Moving gunicorn to 8001 in docker-compose.prod.yml alone is
            // not one: docker-compose.yml's runserver still says 8000, and
            // either file may be the one deployed.)
            Break {
                file: "nginx/nginx.conf",
                from: "server web:8000",
                to: "server app:8000",
                rule: "upstream-undefined",
                at: "nginx/nginx.conf:2",
                help: "(db, nginx, web)",
            },
        ],
    },
    // nginx (mounts dockerfiles/nginx) → php: image php:*-fpm's 9000.
    Published {
        dir: "realworld/aschmelyun-docker-compose-laravel/repo",
        targets: &[("php:9000", "php")],
        breaks: &[
            Break {
                file: "dockerfiles/nginx/default.conf",
                from: "php:9000",
                to: "phpfpm:9000",
                rule: "upstream-undefined",
                at: "dockerfiles/nginx/default.conf:14",
                help: "did you mean `php`?",
            },
            // The php service publishes 9000 (ports "9000:9000", and the
            // php:8-fpm-alpine image's pool listens there).
            Break {
                file: "dockerfiles/nginx/default.conf",
                from: "php:9000",
                to: "php:9001",
                rule: "upstream-no-listener",
                at: "dockerfiles/nginx/default.conf:14",
                help: "docker-compose.yml:51",
            },
        ],
    },
    // nginx and php-fpm in one image (FROM nginx, the pool copied in):
    // 127.0.0.1:9000 is the pool in nginx's own container.
    Published {
        dir: "realworld/cachethq-docker/repo",
        targets: &[("127.0.0.1:9000", "www")],
        breaks: &[
            Break {
                file: "conf/php-fpm-pool.conf",
                from: "listen = 127.0.0.1:9000",
                to: "listen = 127.0.0.1:9001",
                rule: "upstream-no-listener",
                at: "conf/nginx-site.conf:33",
                help: "127.0.0.1:9001",
            },
            Break {
                file: "conf/nginx-site.conf",
                from: "fastcgi_pass 127.0.0.1:9000",
                to: "fastcgi_pass php:9000",
                rule: "upstream-undefined",
                at: "conf/nginx-site.conf:33",
                help: "(cachet, postgres)",
            },
        ],
    },
    // proxy (nginx image, mounts nginx.conf) → upstream lemmy: the lemmy
    // service is built from docker/Dockerfile, whose last stage EXPOSEs 8536;
    // lemmy-ui is reached through a variable (decided per request).
    Published {
        dir: "realworld/lemmy/repo/docker",
        targets: &[("$proxpass", "runtime"), ("lemmy:8536", "lemmy")],
        breaks: &[
            Break {
                file: "nginx.conf",
                from: "server \"lemmy:8536\"",
                to: "server \"lemmy:8537\"",
                rule: "upstream-no-listener",
                at: "nginx.conf:8",
                help: "EXPOSE 8536",
            },
            Break {
                file: "nginx.conf",
                from: "server \"lemmy:8536\"",
                to: "server \"lemy:8536\"",
                rule: "upstream-undefined",
                at: "nginx.conf:8",
                help: "did you mean `lemmy`?",
            },
        ],
    },
    // nginx (image, mounts ./nginx) → app: built FROM php:${PHP}-fpm
    // (EXPOSE 9000 of the official fpm images).
    Published {
        dir: "realworld/invoiceninja-dockerfiles/repo/debian",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "nginx/laravel.conf",
                from: "fastcgi_pass app:9000",
                to: "fastcgi_pass app:9001",
                rule: "upstream-no-listener",
                at: "nginx/laravel.conf:24",
                help: "php:*-fpm",
            },
            Break {
                file: "nginx/laravel.conf",
                from: "fastcgi_pass app:9000",
                to: "fastcgi_pass php:9000",
                rule: "upstream-undefined",
                at: "nginx/laravel.conf:24",
                help: "did you mean `app`?",
            },
        ],
    },
    // nginx (image, mounts nginx.conf) → upstreams relay (relay:3000, an
    // image named by a variable) and sentry (web:9000, the Sentry image's
    // own `run web`): services of the project whose ports nothing in the
    // repository tells, so known hosts with unknown ports, never warned.
    Published {
        dir: "realworld/sentry-self-hosted/repo",
        targets: &[
            ("relay:3000", "relay (port unknown)"),
            ("relay:3000", "relay (port unknown)"),
            ("relay:3000", "relay (port unknown)"),
            ("web:9000", "web (port unknown)"),
            ("web:9000", "web (port unknown)"),
            ("web:9000", "web (port unknown)"),
        ],
        breaks: &[
            Break {
                file: "nginx.conf",
                from: "server relay:3000",
                to: "server relays:3000",
                rule: "upstream-undefined",
                at: "nginx.conf:69",
                help: "did you mean `relay`?",
            },
            Break {
                file: "nginx.conf",
                from: "server web:9000",
                to: "server website:9000",
                rule: "upstream-undefined",
                at: "nginx.conf:74",
                help: "`website` is none of them",
            },
        ],
    },
    // proxy (built FROM nginx, COPY conf) → backend: ASP.NET Core with
    // ASPNETCORE_URLS=http://+:8000 in compose.yaml.
    Published {
        dir: "stacks/awesome-compose-nginx-aspnet-mysql",
        targets: &[("backend:8000", "backend")],
        breaks: &[
            Break {
                file: "compose.yaml",
                from: "ASPNETCORE_URLS=http://+:8000",
                to: "ASPNETCORE_URLS=http://+:5000",
                rule: "upstream-no-listener",
                at: "proxy/conf:5",
                help: "ASPNETCORE_URLS=http://+:5000 (",
            },
            Break {
                file: "proxy/conf",
                from: "http://backend:8000",
                to: "http://backnd:8000",
                rule: "upstream-undefined",
                at: "proxy/conf:5",
                help: "did you mean `backend`?",
            },
            Break {
                file: "compose.yaml",
                from: "ASPNETCORE_URLS=http://+:8000",
                to: "ASPNETCORE_URLS=http://localhost:8000",
                rule: "upstream-no-listener",
                at: "proxy/conf:5",
                help: "ASPNETCORE_URLS=http://localhost:8000",
            },
        ],
    },
    // proxy (nginx image, mounts proxy/nginx.conf) → backend, a Go
    // binary whose port only its main.go tells (no EXPOSE, no flag).
    Published {
        dir: "stacks/awesome-compose-nginx-golang",
        targets: &[("backend:80", "backend (port unknown)")],
        breaks: &[
            Break {
                file: "compose.yaml",
                from: "  backend:\n",
                to: "  api:\n",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:4",
                help: "(api, proxy)",
            },
            Break {
                file: "proxy/nginx.conf",
                from: "http://backend:80",
                to: "http://backend-svc:80",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:4",
                help: "`backend-svc` is none of them",
            },
        ],
    },
    // proxy (nginx image, mounts proxy/nginx.conf) → backend, a Go
    // binary whose port only its main.go tells (no EXPOSE, no flag).
    Published {
        dir: "stacks/awesome-compose-nginx-golang-mysql",
        targets: &[("backend:8000", "backend (port unknown)")],
        breaks: &[
            Break {
                file: "compose.yaml",
                from: "  backend:\n",
                to: "  api:\n",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:5",
                help: "(api, db, proxy)",
            },
            Break {
                file: "proxy/nginx.conf",
                from: "http://backend:8000",
                to: "http://backend-svc:8000",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:5",
                help: "`backend-svc` is none of them",
            },
        ],
    },
    // proxy (nginx image, mounts proxy/nginx.conf) → backend, a Go
    // binary whose port only its main.go tells (no EXPOSE, no flag).
    Published {
        dir: "stacks/awesome-compose-nginx-golang-postgres",
        targets: &[("backend:8000", "backend (port unknown)")],
        breaks: &[
            Break {
                file: "compose.yaml",
                from: "  backend:\n",
                to: "  api:\n",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:5",
                help: "(api, db, proxy)",
            },
            Break {
                file: "proxy/nginx.conf",
                from: "http://backend:8000",
                to: "http://backend-svc:8000",
                rule: "upstream-undefined",
                at: "proxy/nginx.conf:5",
                help: "`backend-svc` is none of them",
            },
        ],
    },
    // web (nginx:alpine-slim, mounts web/nginx.conf as nginx.conf) →
    // upstream php-handler → app: nextcloud:fpm-alpine, built FROM
    // php:*-fpm-alpine (9000).
    Published {
        dir: "realworld/nextcloud-docker/repo/.examples/docker-compose/insecure/mariadb/fpm",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000 resolve",
                to: "server app:9001 resolve",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "nextcloud:*fpm*",
            },
            // The apache variant serves HTTP on 80, not FastCGI on 9000.
            Break {
                file: "compose.yaml",
                from: "image: nextcloud:fpm-alpine",
                to: "image: nextcloud:apache",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "EXPOSE 80",
            },
        ],
    },
    // web (built FROM nginx:alpine, COPY nginx.conf) → upstream
    // php-handler → app: built FROM monica:fpm-alpine (FROM php:*-fpm, 9000).
    Published {
        dir: "realworld/monica-docker/repo/.examples/full",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server app:9090",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:32",
                help: "monica:*fpm*",
            },
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server monica:9000",
                rule: "upstream-undefined",
                at: "web/nginx.conf:32",
                help: "`monica` is none of them",
            },
        ],
    },
    // nginx (built FROM nginx:1.25, COPY nginx.conf) → upstream hello_flask
    // → web: `gunicorn --bind 0.0.0.0:5000` after the image's ENTRYPOINT
    // (docker-compose.prod.yml), and `ports: 5001:5000` in the dev file.
    Published {
        dir: "stacks/testdrivenio-flask-on-docker",
        targets: &[("web:5000", "web")],
        breaks: &[
            Break {
                file: "services/nginx/nginx.conf",
                from: "server web:5000",
                to: "server web:8000",
                rule: "upstream-no-listener",
                at: "services/nginx/nginx.conf:2",
                help: "gunicorn --bind 0.0.0.0:5000 manage:app` (",
            },
            Break {
                file: "services/nginx/nginx.conf",
                from: "server web:5000",
                to: "server flask:5000",
                rule: "upstream-undefined",
                at: "services/nginx/nginx.conf:2",
                help: "(db, nginx, web)",
            },
        ],
    },
    // proxy (nginxproxy/nginx-proxy, vhosts written at run time) → web
    // (nginx:alpine-slim, mounts web/nginx.conf as nginx.conf) → upstream
    // php-handler → app: nextcloud:fpm-alpine (FROM php:*-fpm-alpine, 9000).
    Published {
        dir: "stacks/nextcloud-with-nginx-proxy-postgres-fpm",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000 resolve",
                to: "server app:9001 resolve",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "nextcloud:*fpm*",
            },
            // The Apache variant serves HTTP on 80, not FastCGI on 9000.
            Break {
                file: "compose.yaml",
                from: "image: nextcloud:fpm-alpine",
                to: "image: nextcloud:apache",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "EXPOSE 80",
            },
        ],
    },
    // taiga-gateway (nginx:1.19-alpine, mounts taiga-gateway/taiga.conf as
    // conf.d/default.conf) → taiga-front, taiga-back (Django), taiga-protected
    // and taiga-events (Node): taigaio images whose ports nothing in the
    // project tells.
    Published {
        dir: "stacks/taiga-docker",
        targets: &[
            ("taiga-front:80", "taiga-front (port unknown)"),
            ("taiga-back:8000", "taiga-back (port unknown)"),
            ("taiga-back:8000", "taiga-back (port unknown)"),
            ("taiga-protected:8003", "taiga-protected (port unknown)"),
            ("taiga-events:8888", "taiga-events (port unknown)"),
        ],
        breaks: &[
            Break {
                file: "taiga-gateway/taiga.conf",
                from: "http://taiga-back:8000/api/",
                to: "http://taiga-bak:8000/api/",
                rule: "upstream-undefined",
                at: "taiga-gateway/taiga.conf:19",
                help: "did you mean `taiga-back`?",
            },
            Break {
                file: "docker-compose.yml",
                from: "  taiga-protected:\n",
                to: "  protected:\n",
                rule: "upstream-undefined",
                at: "taiga-gateway/taiga.conf:61",
                help: "`taiga-protected` is none of them",
            },
            Break {
                file: "taiga-gateway/taiga.conf",
                from: "http://taiga-events:8888/events",
                to: "http://events:8888/events",
                rule: "upstream-undefined",
                at: "taiga-gateway/taiga.conf:67",
                help: "`events` is none of them",
            },
        ],
    },
    // web (nginx:alpine-slim, mounts web/nginx.conf as nginx.conf) →
    // upstream php-handler → app: nextcloud:fpm-alpine (9000), with PostgreSQL.
    Published {
        dir: "stacks/nextcloud-insecure-postgres-fpm",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000 resolve",
                to: "server app:8080 resolve",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "nextcloud:*fpm*",
            },
            // The Apache variant serves HTTP on 80, not FastCGI on 9000.
            Break {
                file: "compose.yaml",
                from: "image: nextcloud:fpm-alpine",
                to: "image: nextcloud:apache",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:44",
                help: "EXPOSE 80",
            },
        ],
    },
    // web (built FROM nginx:1.31, COPY infra/docker/nginx/*.conf into
    // conf.d) → fastcgi_pass app:9000: Laravel under php-fpm, built with
    // `target: ${APP_BUILD_TARGET:-development}` (no .env: the default,
    // stage development FROM base FROM php:8.4-fpm-bullseye: 9000). The
    // ports stay unknown to the network: compose-for-linux.yaml's app,
    // laid over it, replaces the entrypoint with entrypoint.sh.
    Published {
        dir: "stacks/ucan-lab-docker-laravel",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "infra/docker/nginx/default.conf",
                from: "fastcgi_pass app:9000",
                to: "fastcgi_pass php:9000",
                rule: "upstream-undefined",
                at: "infra/docker/nginx/default.conf:27",
                help: "(app, db, mailpit, web)",
            },
            Break {
                file: "infra/docker/nginx/default.conf",
                from: "fastcgi_pass app:9000",
                to: "fastcgi_pass ap:9000",
                rule: "upstream-undefined",
                at: "infra/docker/nginx/default.conf:27",
                help: "did you mean `app`?",
            },
        ],
    },
    // nginx (nginx:stable, mounts config/nginx.conf as conf.d/default.conf)
    // → upstream wger → web (wger/server: Django under Gunicorn, `expose:
    // 8000`) and upstream powersync → powersync (from the `include:`d
    // services/powersync.yaml; its image tells no port).
    Published {
        dir: "stacks/wger-docker",
        targets: &[
            ("web:8000", "web"),
            ("powersync:8080", "powersync (port unknown)"),
        ],
        breaks: &[
            Break {
                file: "docker-compose.yml",
                from: "      - 8000\n",
                to: "      - 8001\n",
                rule: "upstream-no-listener",
                at: "config/nginx.conf:2",
                help: "docker-compose.yml:27",
            },
            Break {
                file: "config/nginx.conf",
                from: "server web:8000",
                to: "server wger:8000",
                rule: "upstream-undefined",
                at: "config/nginx.conf:2",
                help: "`wger` is none of them",
            },
        ],
    },
    // web (nginx, mounts web/nginx.conf as nginx.conf) → upstream
    // php-handler → app: built FROM friendica:fpm (./app), FROM php:*-fpm (9000).
    Published {
        dir: "stacks/friendica-insecure-mariadb-cron-redis-fpm",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server app:9001",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:34",
                help: "friendica:*fpm*",
            },
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server friendica:9000",
                rule: "upstream-undefined",
                at: "web/nginx.conf:34",
                help: "`friendica` is none of them",
            },
            Break {
                file: "docker-compose.yml",
                from: "  app:\n",
                to: "  php:\n",
                rule: "upstream-undefined",
                at: "web/nginx.conf:34",
                help: "`app` is none of them",
            },
        ],
    },
    // web (nginx, mounts web/nginx.conf as nginx.conf) → upstream
    // php-handler → app: friendica:fpm-alpine, FROM php:*-fpm-alpine (9000).
    Published {
        dir: "stacks/friendica-insecure-smtp-fpm-alpine",
        targets: &[("app:9000", "app")],
        breaks: &[
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server app:9001",
                rule: "upstream-no-listener",
                at: "web/nginx.conf:34",
                help: "friendica:*fpm*",
            },
            Break {
                file: "web/nginx.conf",
                from: "server app:9000",
                to: "server friendica:9000",
                rule: "upstream-undefined",
                at: "web/nginx.conf:34",
                help: "`friendica` is none of them",
            },
            Break {
                file: "docker-compose.yml",
                from: "  app:\n",
                to: "  php:\n",
                rule: "upstream-undefined",
                at: "web/nginx.conf:34",
                help: "`app` is none of them",
            },
        ],
    },
    // nginx (nginx:1, mounting ${NGINX_CONF} as conf.d/default.conf) →
    // fastcgi_pass wordpress:9000 (wordpress:5-fpm). No .env is published:
    // env.template (`cp env.template .env`, README) sets
    // NGINX_CONF=./nginx/default.conf, which ties nginx to its service.
    Published {
        dir: "realworld/mjstealey-wordpress-nginx-docker/repo",
        targets: &[("wordpress:9000", "wordpress")],
        breaks: &[
            Break {
                file: "nginx/default.conf",
                from: "fastcgi_pass wordpress:9000",
                to: "fastcgi_pass wordpres:9000",
                rule: "upstream-undefined",
                at: "nginx/default.conf:44",
                help: "did you mean `wordpress`?",
            },
            Break {
                file: "nginx/default.conf",
                from: "fastcgi_pass wordpress:9000",
                to: "fastcgi_pass wordpress:9001",
                rule: "upstream-no-listener",
                at: "nginx/default.conf:44",
                help: "wordpress:*-fpm",
            },
            Break {
                file: "docker-compose.yml",
                from: "image: wordpress:5-fpm",
                to: "image: wordpress:5",
                rule: "upstream-no-listener",
                at: "nginx/default.conf:44",
                help: "EXPOSE 80",
            },
        ],
    },
    // nginx (docker-compose.nginx.yml: nginx:${NGINX_IMAGE_TAG}, mounting
    // ${NGINX_CONFIG_PATH} as conf.d) → upstream backend → mattermost:8065
    // (docker-compose.yml: mattermost/${MATTERMOST_IMAGE}, the enterprise
    // edition, ListenAddress :8065). Both variables come from env.example,
    // the template the README copies to .env.
    Published {
        dir: "stacks/mattermost-docker",
        targets: &[
            ("mattermost:8065", "mattermost"),
            ("mattermost:8065", "mattermost"),
        ],
        breaks: &[
            Break {
                file: "nginx/conf.d/default.conf",
                from: "server mattermost:8065",
                to: "server mattermost:8066",
                rule: "upstream-no-listener",
                at: "nginx/conf.d/default.conf:12",
                help: "ListenAddress :8065",
            },
            Break {
                file: "nginx/conf.d/default.conf",
                from: "server mattermost:8065",
                to: "server matermost:8065",
                rule: "upstream-undefined",
                at: "nginx/conf.d/default.conf:12",
                help: "did you mean `mattermost`?",
            },
        ],
    },
];

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

/// (endpoint, first listener or status) of every route, from the JSON graph.
fn resolutions(opts: &Options) -> Vec<(String, String)> {
    let json = nginx_lint::graph(opts, nginx_lint::graph::GraphFormat::Json).expect("graph");
    let g: serde_json::Value = serde_json::from_str(&json).expect("json");
    let mut out = Vec::new();
    for s in g["servers"].as_array().into_iter().flatten() {
        for r in s["routes"].as_array().into_iter().flatten() {
            for e in r["endpoints"].as_array().into_iter().flatten() {
                let who = e["listeners"][0]["name"]
                    .as_str()
                    .or(e["status"].as_str())
                    .unwrap_or_default();
                let ep = e["endpoint"].as_str().unwrap_or_default();
                out.push((ep.to_string(), who.to_string()));
            }
        }
    }
    out
}

fn run_dir(dir: &Path) -> Options {
    Options {
        inputs: Inputs {
            paths: vec![dir.to_path_buf()],
            ..Inputs::default()
        },
        settings: Default::default(),
    }
}

/// Resolution findings (the rules that judge targets against listeners).
fn resolution_findings(outcome: &nginx_lint::Outcome) -> Vec<&nginx_lint::finding::Finding> {
    outcome
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.rule,
                "upstream-no-listener" | "upstream-undefined" | "container-loopback-target"
            )
        })
        .collect()
}

#[test]
fn published_stacks_resolve_as_traced() {
    for p in PUBLISHED {
        resolves_as_traced(p);
    }
}

/// A published stack's targets resolve as traced, with no resolution
/// finding.
fn resolves_as_traced(p: &Published) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let opts = run_dir(&base.join(p.dir));
    let got = resolutions(&opts);
    let want: Vec<(String, String)> = p
        .targets
        .iter()
        .map(|(e, w)| (e.to_string(), w.to_string()))
        .collect();
    assert_eq!(got, want, "{}", p.dir);
    let outcome = nginx_lint::run(&opts).expect("runs");
    let f = resolution_findings(&outcome);
    assert!(f.is_empty(), "{}: {:?}", p.dir, f);
}

#[test]
fn published_stacks_catch_one_edit_breakages() {
    let mut missed = Vec::new();
    for p in PUBLISHED {
        catch_breakages(p, &mut missed);
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// Each one-edit breakage of a published stack gives its finding at its
/// line with its evidence in the help; the misses are appended to `missed`.
fn catch_breakages(p: &Published, missed: &mut Vec<String>) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for b in p.breaks {
        // The whole repository is copied (a build context may be above
        // the stack's directory), and the stack's directory linted.
        let (repo, sub) = match p.dir.split_once("/repo") {
            Some((r, sub)) => (format!("{r}/repo"), sub),
            None => (p.dir.to_string(), ""),
        };
        let tmp = tempfile::tempdir().expect("tmp");
        copy_tree(&base.join(repo), tmp.path());
        let dir = tmp.path().join(sub.trim_start_matches('/'));
        let file = dir.join(b.file);
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(
            text.contains(b.from),
            "{}: {} not in {}",
            p.dir,
            b.from,
            b.file
        );
        std::fs::write(&file, text.replacen(b.from, b.to, 1)).expect("write");
        let outcome = nginx_lint::run(&run_dir(&dir)).expect("runs");
        let hit = outcome.findings.iter().find(|f| {
            let (line, _) = outcome.loaded.sources.start_of(f.span);
            let display = &outcome.loaded.sources.get(f.span.file).display;
            f.rule == b.rule
                && display.ends_with(b.at.rsplit_once(':').map_or("", |x| x.0))
                && b.at.ends_with(&format!(":{line}"))
                && f.help.as_deref().unwrap_or("").contains(b.help)
        });
        if hit.is_none() {
            let got: Vec<String> = outcome
                .findings
                .iter()
                .map(|f| format!("{} {} {:?}", f.rule, f.message, f.help))
                .collect();
            missed.push(format!("{} {} -> {}: {got:#?}", p.dir, b.from, b.to));
        }
    }
}

/// Published bare-metal stacks whose backends are systemd units (helper
/// units22; kept apart from `PUBLISHED` to ease merging).
const PUBLISHED_UNITS: &[Published] = &[
    // mastodon: dist/nginx.conf → upstream backend 127.0.0.1:3000 →
    // mastodon-web.service (puma -C config/puma.rb, PORT=3000 over
    // puma.rb's tcp://BIND:PORT); upstream streaming 127.0.0.1:4000 →
    // mastodon-streaming.service (npm run start, PORT=4000).
    Published {
        dir: "stacks/mastodon-systemd",
        targets: &[
            ("127.0.0.1:3000", "mastodon-web.service"),
            ("127.0.0.1:4000", "mastodon-streaming.service"),
        ],
        breaks: &[
            Break {
                file: "dist/mastodon-web.service",
                from: "Environment=\"PORT=3000\"",
                to: "Environment=\"PORT=3001\"",
                rule: "upstream-no-listener",
                at: "dist/nginx.conf:7",
                help: "puma mastodon-web.service listens on 127.0.0.1:3001",
            },
            Break {
                file: "dist/nginx.conf",
                from: "server 127.0.0.1:4000",
                to: "server 127.0.0.1:4001",
                rule: "upstream-no-listener",
                at: "dist/nginx.conf:11",
                help: "node mastodon-streaming.service listens on *:4000",
            },
        ],
    },
];

#[test]
fn published_unit_stacks_resolve_and_catch_breakages() {
    let mut missed = Vec::new();
    for p in PUBLISHED_UNITS {
        resolves_as_traced(p);
        catch_breakages(p, &mut missed);
    }
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

/// A project's `include:`d file brings its services onto the network (ports
/// unknown: no finding), and a service inherits the command of the service
/// it `extends`.
#[test]
fn compose_include_and_extends() {
    let tmp = tempfile::tempdir().expect("tmp");
    let files = [
        (
            "compose.yaml",
            "include:\n  - infra/services.yml\nservices:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n  base:\n    image: python:3.12\n    command: gunicorn -b 0.0.0.0:8000 app:app\n  app:\n    extends: base\n",
        ),
        (
            "infra/services.yml",
            "services:\n  api:\n    image: example/api\n",
        ),
        (
            "nginx/default.conf",
            "server {\n    listen 80;\n    location /api/ { proxy_pass http://api:5000; }\n    location /old/ { proxy_pass http://app:8001; }\n    location / { proxy_pass http://app:8000; }\n}\n",
        ),
    ];
    for (name, text) in files {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    let outcome = nginx_lint::run(&run_dir(tmp.path())).expect("runs");
    let got: Vec<(String, usize, String)> = resolution_findings(&outcome)
        .iter()
        .map(|f| {
            let (line, _) = outcome.loaded.sources.start_of(f.span);
            (f.rule.to_string(), line, f.help.clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!((got[0].0.as_str(), got[0].1), ("upstream-no-listener", 4));
    assert!(
        got[0].2.contains("gunicorn -b 0.0.0.0:8000"),
        "{}",
        got[0].2
    );
}

/// Compose interpolation is hermetic: `.env` (or an `include:`'s
/// `env_file`) gives the values, the shell running the linter does not. A
/// root file holding only `include:`s is a Compose file.
#[test]
fn compose_variables_come_from_the_project_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let files = [
        (
            "docker-compose.yml",
            "include:\n  - path: web/compose.yml\n    project_directory: .\n    env_file: web/defaults.env\n",
        ),
        (
            "web/compose.yml",
            "services:\n  web:\n    image: nginx:${NGINX_TAG:-1.27}\n    volumes:\n      - ${SITES}:/etc/nginx/conf.d:ro\n      - ${LOGS}:/var/log/nginx\n  app:\n    image: php:${PHP_VERSION:?set PHP_VERSION}-fpm\n",
        ),
        ("web/defaults.env", "SITES=./sites/ # the vhosts\n"),
        (
            "sites/default.conf",
            "server {\n    listen 80;\n    location ~ \\.php$ { fastcgi_pass ap:9000; }\n}\n",
        ),
    ];
    for (name, text) in files {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    // Set in the linter's own environment: must not be read.
    // SAFETY: no other thread of this test reads the environment.
    unsafe { std::env::set_var("LOGS", "./logs") };
    let outcome = nginx_lint::run(&run_dir(tmp.path())).expect("runs");
    let got: Vec<(String, String, usize)> = outcome
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("upstream") || f.rule.starts_with("compose"))
        .map(|f| {
            let (line, _) = outcome.loaded.sources.start_of(f.span);
            let file = &outcome.loaded.sources.get(f.span.file).display;
            (
                f.rule.to_string(),
                file.rsplit('/').next().unwrap_or_default().to_string(),
                line,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // `ap` is no service: SITES from web/defaults.env mounts the vhost.
            (
                "upstream-undefined".to_string(),
                "default.conf".to_string(),
                3
            ),
            (
                "compose-variable-unset".to_string(),
                "compose.yml".to_string(),
                6
            ),
            (
                "compose-variable-unset".to_string(),
                "compose.yml".to_string(),
                8
            ),
        ],
        "{:#?}",
        outcome.findings
    );
}

/// dockersamples/atsea-sample-shop-app as published: reverse_proxy is on
/// the project's `default` network only, appserver on front-tier and
/// back-tier, so nginx cannot resolve `appserver` (Docker's DNS answers a
/// container's names only on the networks it is connected to). Putting
/// reverse_proxy on front-tier is the one-edit fix; `network_mode: host`
/// takes it off the project's networks, where nothing is judged.
#[test]
fn compose_networks_separate_services() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/stacks/atsea-sample-shop-app");
    let lint = |edit: Option<(&str, &str)>| {
        let tmp = tempfile::tempdir().expect("tmp");
        copy_tree(&base, tmp.path());
        if let Some((from, to)) = edit {
            let file = tmp.path().join("docker-compose.yml");
            let text = std::fs::read_to_string(&file).expect("read");
            assert!(text.contains(from), "{from}");
            std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
        }
        let outcome = nginx_lint::run(&run_dir(tmp.path())).expect("runs");
        let graph = resolutions(&run_dir(tmp.path()));
        assert_eq!(graph.len(), 1, "{graph:?}");
        let found = resolution_findings(&outcome)
            .iter()
            .map(|f| {
                let (line, _) = outcome.loaded.sources.start_of(f.span);
                (f.rule.to_string(), line, f.help.clone().unwrap_or_default())
            })
            .collect::<Vec<_>>();
        (found, graph[0].1.clone())
    };
    let (published, shown) = lint(None);
    assert_eq!(shown, "appserver (on none of `reverse_proxy`'s networks)");
    assert_eq!(published.len(), 1, "{published:#?}");
    assert_eq!(
        (published[0].0.as_str(), published[0].1),
        ("upstream-undefined", 46)
    );
    for word in [
        "front-tier, back-tier",
        "`reverse_proxy`, on default",
        "share no network",
    ] {
        assert!(published[0].2.contains(word), "{word}: {}", published[0].2);
    }
    let on_front = "    user: nginx\n\n  database:";
    let fixed = lint(Some((
        on_front,
        "    user: nginx\n    networks:\n      - front-tier\n\n  database:",
    )));
    assert_eq!(fixed, (Vec::new(), "appserver".to_string()));
    let host = lint(Some((
        on_front,
        "    user: nginx\n    network_mode: host\n\n  database:",
    )));
    assert!(host.0.is_empty(), "{host:#?}");
}

/// A service on a network declared `external` may resolve names of other
/// projects' containers: an unknown name is not reported there, while a
/// project service on none of nginx's networks still is.
#[test]
fn compose_external_networks_are_open() {
    let tmp = tempfile::tempdir().expect("tmp");
    let files = [
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./default.conf:/etc/nginx/conf.d/default.conf:ro\n    networks: [edge]\n  api:\n    image: example/api\n    expose: [\"8000\"]\n    networks: [internal]\nnetworks:\n  edge:\n    external: true\n  internal: {}\n",
        ),
        (
            "default.conf",
            "server {\n    listen 80;\n    location /other/ { proxy_pass http://other-project-app:3000; }\n    location / { proxy_pass http://api:8000; }\n}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).expect("write");
    }
    let lint = || {
        let outcome = nginx_lint::run(&run_dir(tmp.path())).expect("runs");
        resolution_findings(&outcome)
            .iter()
            .map(|f| {
                (
                    f.rule.to_string(),
                    outcome.loaded.sources.start_of(f.span).0,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(lint(), [("upstream-undefined".to_string(), 4)]);
    // Off the external network, the other project's name is unknown...
    let compose = tmp.path().join("compose.yaml");
    let text = std::fs::read_to_string(&compose).expect("read");
    let own = text.replace("external: true", "driver: bridge");
    std::fs::write(&compose, &own).expect("write");
    let got = lint();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], ("upstream-undefined".to_string(), 3));
    // ...unless `external_links` names it.
    let linked = own.replace(
        "    networks: [edge]\n",
        "    networks: [edge]\n    external_links:\n      - other-project-app\n",
    );
    std::fs::write(&compose, linked).expect("write");
    assert_eq!(lint(), [("upstream-undefined".to_string(), 4)]);
}
