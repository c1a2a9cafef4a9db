//! Deployment mappings (issue 21): a repository whose Compose service or
//! Dockerfile runs the official nginx image with repository files mounted
//! or copied into /etc/nginx is linted as the container sees it: under
//! the image's stock nginx.conf, beside its conf.d/default.conf (unless a
//! mount hides it), with the image's mime.types known rather than assumed.

#[path = "support/cli.rs"]
mod cli;
use cli::{Finding, all_findings, bin, path, tree};

/// (rule, severity, file, line, message) of every finding of a run over
/// `dir`.
fn json(dir: &std::path::Path) -> Vec<Finding> {
    json_on(dir, None)
}

/// [`json`], with a fake host standing for `/` when given.
fn json_on(dir: &std::path::Path, host: Option<&std::path::Path>) -> Vec<Finding> {
    let mut c = bin();
    c.args(["--format", "json", "--no-config", path(dir)])
        .env_remove("NGINX_LINT_TEST_HOST_ROOT");
    if let Some(h) = host {
        c.env("NGINX_LINT_TEST_HOST_ROOT", h);
    }
    all_findings(&c.output().expect("runs"))
}

fn rules(got: &[Finding]) -> Vec<(&str, &str, u64)> {
    got.iter()
        .map(|(r, _, file, line, _)| {
            let name = file.rsplit('/').next().unwrap_or_default();
            (r.as_str(), name, *line)
        })
        .collect()
}

const VHOST: &str = "server {\n    listen 8080;\n    server_name example.com;\n    include /etc/nginx/mime.types;\n    location / {\n        root /usr/share/nginx/html;\n    }\n}\n";

const COMPOSE_FILE_MOUNT: &str = "services:\n  web:\n    image: nginx:1.27-alpine\n    ports:\n      - \"8080:8080\"\n    volumes:\n      - ./nginx/site.conf:/etc/nginx/conf.d/site.conf:ro\n";

/// A vhost bind-mounted into conf.d/ runs inside the image's http {}:
/// the image's nginx.conf sets no server_tokens (shown at the mount line),
/// and its mime.types is the image's, not an assumed copy.
#[test]
fn compose_vhost_mount_runs_under_the_image_nginx_conf() {
    let dir = tree(&[
        ("docker-compose.yml", COMPOSE_FILE_MOUNT),
        ("nginx/site.conf", VHOST),
    ]);
    let got = json(dir.path());
    assert_eq!(
        rules(&got),
        [("version-disclosure", "docker-compose.yml", 7)],
        "{got:#?}"
    );
    assert!(got[0].4.contains("<stock docker/nginx.conf>"), "{got:#?}");
    for f in &got {
        assert!(std::path::Path::new(&f.2).is_file(), "{f:?}");
    }
    // The container's /etc/nginx is the image's, never this machine's.
    let host = tree(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp { server_tokens off; include /etc/nginx/conf.d/*.conf; }\n",
        ),
        ("etc/nginx/mime.types", "types { broken\n"),
        ("etc/nginx/conf.d/evil.conf", "server { listen 80 }\n"),
    ]);
    assert_eq!(json_on(dir.path(), Some(host.path())), got);
    // The same vhost without its deployment: analysed alone, as before.
    let alone = tree(&[("nginx/site.conf", VHOST)]);
    assert_eq!(
        rules(&json(alone.path())),
        [("stock-file-assumed", "site.conf", 4)]
    );
}

/// A vhost mounted over conf.d/default.conf replaces the image's default
/// server; one mounted beside it (after it, in glob order) shares port 80
/// and `localhost` with it, which nginx -t warns about ("conflicting
/// server name").
#[test]
fn a_mount_over_default_conf_replaces_it() {
    let site = "server {\n    listen 80;\n    server_name localhost;\n    server_tokens off;\n    location / { return 204; }\n}\n";
    let compose = |target: &str| {
        format!(
            "services:\n  web:\n    image: nginx\n    volumes:\n      - type: bind\n        source: ./site.conf\n        target: {target}\n"
        )
    };
    let over = tree(&[
        ("compose.yaml", &compose("/etc/nginx/conf.d/default.conf")),
        ("site.conf", site),
    ]);
    let got = json(over.path());
    assert!(
        !got.iter().any(|f| f.0 == "server-name-conflict"),
        "{got:#?}"
    );
    let beside = tree(&[
        ("compose.yaml", &compose("/etc/nginx/conf.d/site.conf")),
        ("site.conf", site),
    ]);
    let got = json(beside.path());
    let conflict: Vec<_> = got
        .iter()
        .filter(|f| f.0 == "server-name-conflict")
        .collect();
    assert_eq!(conflict.len(), 1, "{got:#?}");
    assert!(conflict[0].2.ends_with("site.conf"), "{got:#?}");
}

/// A Dockerfile built FROM nginx that COPYs the vhost into conf.d/: the
/// same view, the image's findings shown at the COPY line.
#[test]
fn dockerfile_copy_into_conf_d() {
    let dir = tree(&[
        (
            "Dockerfile",
            "FROM nginx:1.27\n# the site\nCOPY nginx/site.conf /etc/nginx/conf.d/\n",
        ),
        ("nginx/site.conf", VHOST),
    ]);
    let got = json(dir.path());
    assert_eq!(
        rules(&got),
        [("version-disclosure", "Dockerfile", 3)],
        "{got:#?}"
    );
    // Another base image deploys nothing of nginx's stock layout.
    let other = tree(&[
        (
            "Dockerfile",
            "FROM debian:12\nCOPY nginx/site.conf /etc/nginx/conf.d/\n",
        ),
        ("nginx/site.conf", VHOST),
    ]);
    assert_eq!(
        rules(&json(other.path())),
        [("stock-file-assumed", "site.conf", 4)]
    );
}

/// A Dockerfile that deletes the image's default.conf (`RUN rm`, as
/// django-on-docker's does) before copying its vhost in: no second server
/// on port 80 is left to conflict with.
#[test]
fn dockerfile_run_rm_deletes_the_image_default_conf() {
    let site = "server {\n    listen 80;\n    server_name localhost;\n    server_tokens off;\n    location / { return 204; }\n}\n";
    let docker = |rm: &str| format!("FROM nginx:1.25\n{rm}COPY site.conf /etc/nginx/conf.d\n");
    let removed = tree(&[
        (
            "Dockerfile",
            &docker("RUN rm /etc/nginx/conf.d/default.conf\n"),
        ),
        ("site.conf", site),
    ]);
    let got = json(removed.path());
    // The only server turns server_tokens off: nothing to report.
    assert!(got.is_empty(), "{got:#?}");
    let kept = tree(&[("Dockerfile", &docker("")), ("site.conf", site)]);
    let got = json(kept.path());
    assert!(
        got.iter().any(|f| f.0 == "server-name-conflict"),
        "{got:#?}"
    );
}

/// The repository's nginx.conf mounted over the image's: it is the main
/// file, its relative includes resolve against /etc/nginx (the image's
/// mime.types), its conf.d/*.conf is the image's default.conf (whose
/// `localhost` on port 80 the repository's server then conflicts with), and
/// it is analysed once.
#[test]
fn a_mount_over_nginx_conf_is_the_main_file() {
    let main = "events {}\nhttp {\n    include mime.types;\n    server_tokens off;\n    include /etc/nginx/conf.d/*.conf;\n    server {\n        listen 80;\n        server_name localhost;\n        location / { return 204; }\n    }\n}\n";
    let dir = tree(&[
        (
            "docker-compose.yml",
            "services:\n  web:\n    build: .\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n",
        ),
        ("Dockerfile", "FROM nginx:stable-alpine\n"),
        ("nginx.conf", main),
    ]);
    let got = json(dir.path());
    assert_eq!(
        rules(&got),
        [
            // The image's default.conf, shown at the include.
            ("default-server-missing", "nginx.conf", 5),
            ("server-name-conflict", "nginx.conf", 8)
        ],
        "{got:#?}"
    );
    // Without the deployment: the include is outside the repository and
    // mime.types an assumed copy.
    let alone = tree(&[("nginx.conf", main)]);
    let got = json(alone.path());
    assert!(
        got.iter().any(|f| f.0 == "stock-file-assumed")
            && got.iter().any(|f| f.0 == "outside-repository"),
        "{got:#?}"
    );
}
