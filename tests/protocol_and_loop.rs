//! proxy-self-loop and backend-protocol-mismatch on real stacks: each as
//! published is quiet, and a one-line edit that breaks it is caught at the
//! right line with the backend's line beside it.

use std::path::Path;

#[path = "support/cli.rs"]
mod cli;

/// Copy `testdata/<tree>` to a temporary directory, replace `from` by `to`
/// in `file` (relative to the tree), and lint it with `args` (`{}` is the
/// copy's path).
fn lint_edited(tree: &str, edit: Option<(&str, &str, &str)>, args: &[&str]) -> serde_json::Value {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(tree);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&src)
        .arg(&dir)
        .status()
        .expect("cp");
    assert!(status.success());
    if let Some((file, from, to)) = edit {
        let p = dir.join(file);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{file} has {from:?}");
        std::fs::write(&p, text.replace(from, to)).expect("write");
    }
    let d = dir.display().to_string();
    let mut a: Vec<String> = vec!["--format".into(), "json".into(), "--no-config".into()];
    a.extend(args.iter().map(|x| x.replace("{}", &d)));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = cli::run(&a);
    serde_json::from_slice(&out.stdout).expect("json")
}

fn of_rule<'a>(json: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == rule)
        .collect()
}

fn ends(v: &serde_json::Value, suffix: &str) -> bool {
    v.as_str().is_some_and(|s| s.ends_with(suffix))
}

const PM2: &[&str] = &["{}"];

#[test]
fn pm2_stack_port_dropped_from_proxy_pass_loops() {
    let published = lint_edited("stacks/pm2", None, PM2);
    assert!(
        of_rule(&published, "proxy-self-loop").is_empty(),
        "{published}"
    );
    let json = lint_edited(
        "stacks/pm2",
        Some((
            "nginx/nginx.conf",
            "proxy_pass http://127.0.0.1:8080;",
            "proxy_pass http://127.0.0.1;",
        )),
        PM2,
    );
    let f = of_rule(&json, "proxy-self-loop");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["line"], 26);
    assert_eq!(f[0]["related"][0]["line"], 16, "{f:?}");
}

const FLASK: &[&str] = &[
    "--root",
    "{}",
    "{}/etc/nginx",
    "--service",
    "{}/etc/uwsgi/apps-enabled/flaskapp.ini",
];

#[test]
fn flask_uwsgi_socket_reached_with_proxy_pass_is_a_protocol_mismatch() {
    let published = lint_edited("stacks/flask-uwsgi", None, FLASK);
    assert!(
        of_rule(&published, "backend-protocol-mismatch").is_empty(),
        "{published}"
    );
    let json = lint_edited(
        "stacks/flask-uwsgi",
        Some((
            "etc/nginx/sites-enabled/flaskapp",
            "uwsgi_pass unix:/run/uwsgi/flaskapp.sock;",
            "proxy_pass http://unix:/run/uwsgi/flaskapp.sock;",
        )),
        FLASK,
    );
    let f = of_rule(&json, "backend-protocol-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["line"], 12);
    assert!(ends(&f[0]["related"][0]["file"], "flaskapp.ini"), "{f:?}");
    assert_eq!(f[0]["related"][0]["line"], 12);
}

const DJANGO: &[&str] = &[
    "--root",
    "{}",
    "{}/etc/nginx",
    "--service",
    "{}/etc/systemd/system",
];

#[test]
fn django_gunicorn_reached_with_fastcgi_pass_is_a_protocol_mismatch() {
    let published = lint_edited("stacks/django-gunicorn", None, DJANGO);
    assert!(
        of_rule(&published, "backend-protocol-mismatch").is_empty(),
        "{published}"
    );
    let json = lint_edited(
        "stacks/django-gunicorn",
        Some((
            "etc/nginx/sites-enabled/mysite",
            "proxy_pass http://unix:/run/gunicorn.sock;",
            "fastcgi_pass unix:/run/gunicorn.sock;",
        )),
        DJANGO,
    );
    let f = of_rule(&json, "backend-protocol-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["line"], 20);
}

#[test]
fn kanboard_php_fpm_reached_with_proxy_pass_is_a_protocol_mismatch() {
    let args = &["{}"];
    let published = lint_edited("realworld/kanboard/repo/docker", None, args);
    assert!(
        of_rule(&published, "backend-protocol-mismatch").is_empty(),
        "{published}"
    );
    let json = lint_edited(
        "realworld/kanboard/repo/docker",
        Some((
            "etc/nginx/nginx.conf",
            "fastcgi_pass unix:/var/run/php-fpm.sock;",
            "proxy_pass http://unix:/var/run/php-fpm.sock;",
        )),
        args,
    );
    let f = of_rule(&json, "backend-protocol-mismatch");
    assert_eq!(f.len(), 1, "{json}");
    assert_eq!(f[0]["line"], 50);
    assert!(ends(&f[0]["related"][0]["file"], "php-fpm.conf"), "{f:?}");
}
