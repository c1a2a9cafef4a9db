//! tls-certificate-file against certificates and keys made by `openssl` in
//! a temporary root: every key format nginx accepts, expired and future
//! certificates, mismatched and missing files, relative paths.

use std::path::{Path, PathBuf};
use std::process::Command;

use nginx_lint::{Inputs, Options, settings::Settings};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ)
/// for the key in `key`, written to `cert`.
fn sign(dir: &Path, key: &str, cert: &str, start: &str, end: &str) {
    let ca = dir.join("ca");
    std::fs::create_dir_all(&ca).expect("mkdir");
    std::fs::write(ca.join("index.txt"), "").expect("index");
    std::fs::write(ca.join("serial"), "01\n").expect("serial");
    std::fs::write(
        ca.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
    )
    .expect("cnf");
    let key = dir.join(key);
    let csr = ca.join("req.csr");
    let k = key.to_string_lossy().to_string();
    let c = csr.to_string_lossy().to_string();
    let out = dir.join(cert).to_string_lossy().to_string();
    openssl(
        &ca,
        &["req", "-new", "-key", &k, "-out", &c, "-subj", "/CN=test"],
    );
    openssl(
        &ca,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-selfsign",
            "-keyfile",
            &k,
            "-in",
            &c,
            "-out",
            &out,
            "-startdate",
            start,
            "-enddate",
            end,
            "-notext",
        ],
    );
}

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("etc/ssl")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("etc/nginx")).expect("mkdir");
        Tree { dir }
    }
    fn ssl(&self) -> PathBuf {
        self.dir.path().join("etc/ssl")
    }
    fn conf(&self, body: &str) {
        std::fs::write(
            self.dir.path().join("etc/nginx/nginx.conf"),
            format!("events {{}}\nhttp {{\n{body}\n}}\n"),
        )
        .expect("write conf");
    }
    fn lint(&self, root: bool) -> Vec<String> {
        let mut settings = Settings::default();
        if root {
            settings.files_root = Some(self.dir.path().to_path_buf());
        }
        self.lint_with(settings)
    }
    /// `--root` with `--live`: the tree is the server's own file system.
    fn lint_live(&self) -> Vec<String> {
        self.lint_with(Settings {
            files_root: Some(self.dir.path().to_path_buf()),
            live: true,
            ..Settings::default()
        })
    }
    fn lint_with(&self, settings: Settings) -> Vec<String> {
        let opts = Options {
            inputs: Inputs {
                paths: vec![self.dir.path().join("etc/nginx")],
                root: Some(self.dir.path().to_path_buf()),
                ..Inputs::default()
            },
            settings,
        };
        let out = nginx_lint::run(&opts).expect("runs");
        out.findings
            .iter()
            .filter(|f| f.rule == "tls-certificate-file")
            .map(|f| {
                let (l, _) = out.loaded.sources.get(f.span.file).line_col(f.span.start);
                format!("{l}: {}", f.message)
            })
            .collect()
    }
}

const FAR: &str = "21000101000000Z";
const PAST: &str = "20200101000000Z";

fn server(cert: &str, key: &str) -> String {
    format!(
        "server {{ listen 443 ssl; server_name a;\nssl_certificate {cert};\nssl_certificate_key {key};\nadd_header Strict-Transport-Security \"max-age=63072000\" always; }}"
    )
}

#[test]
fn every_key_format_matches_its_certificate() {
    let t = Tree::new();
    let ssl = t.ssl();
    // PKCS#8 RSA, PKCS#1 RSA, SEC1 EC, PKCS#8 EC.
    openssl(
        &ssl,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa8.key",
        ],
    );
    openssl(
        &ssl,
        &[
            "pkey",
            "-in",
            "rsa8.key",
            "-traditional",
            "-out",
            "rsa1.key",
        ],
    );
    openssl(
        &ssl,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec1.key",
        ],
    );
    openssl(&ssl, &["pkey", "-in", "ec1.key", "-out", "ec8.key"]);
    sign(&ssl, "rsa8.key", "rsa.pem", PAST, FAR);
    sign(&ssl, "ec1.key", "ec.pem", PAST, FAR);
    let mut body = String::new();
    for (c, k) in [
        ("rsa.pem", "rsa8.key"),
        ("rsa.pem", "rsa1.key"),
        ("ec.pem", "ec1.key"),
        ("ec.pem", "ec8.key"),
    ] {
        body.push_str(&server(&format!("/etc/ssl/{c}"), &format!("/etc/ssl/{k}")));
        body.push('\n');
    }
    t.conf(&body);
    assert_eq!(t.lint(true), Vec::<String>::new());

    // Swap the keys: each one is reported.
    let mut body = String::new();
    for (c, k) in [
        ("rsa.pem", "ec1.key"),
        ("ec.pem", "rsa1.key"),
        ("ec.pem", "ec8.key"),
    ] {
        body.push_str(&server(&format!("/etc/ssl/{c}"), &format!("/etc/ssl/{k}")));
        body.push('\n');
    }
    t.conf(&body);
    let found = t.lint(true);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("ec1.key does not belong"), "{found:#?}");
    assert!(found[1].contains("rsa1.key does not belong"), "{found:#?}");
}

#[test]
fn expired_future_missing_and_relative() {
    let t = Tree::new();
    let ssl = t.ssl();
    openssl(
        &ssl,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "a.key",
        ],
    );
    openssl(
        &ssl,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "b.key",
        ],
    );
    sign(
        &ssl,
        "a.key",
        "old.pem",
        "20200101000000Z",
        "20200201000000Z",
    );
    sign(&ssl, "b.key", "future.pem", "20990101000000Z", FAR);
    std::fs::copy(ssl.join("a.key"), t.dir.path().join("etc/nginx/rel.key")).expect("copy");
    std::fs::copy(ssl.join("old.pem"), t.dir.path().join("etc/nginx/rel.pem")).expect("copy");
    let body = [
        server("/etc/ssl/old.pem", "/etc/ssl/a.key"),
        server("/etc/ssl/future.pem", "/etc/ssl/b.key"),
        server("/etc/ssl/none.pem", "/etc/ssl/none.key"),
        server("/etc/ssl/a.key", "/etc/ssl/a.key"),
        server(
            "/etc/ssl/$ssl_server_name.pem",
            "/etc/ssl/$ssl_server_name.key",
        ),
        server("rel.pem", "rel.key"),
    ]
    .join("\n");
    t.conf(&body);
    let found = t.lint(true);
    let want = [
        "certificate /etc/ssl/old.pem expired on",
        "certificate /etc/ssl/future.pem is not valid before",
        "certificate /etc/ssl/none.pem does not exist",
        "key /etc/ssl/none.key does not exist",
        "/etc/ssl/a.key holds no PEM certificate",
        "certificate rel.pem expired on",
    ];
    assert_eq!(found.len(), want.len(), "{found:#?}");
    for (f, w) in found.iter().zip(want) {
        assert!(f.contains(w), "{f} should contain {w}\n{found:#?}");
    }
    // Without --root or --live nothing is read.
    assert_eq!(t.lint(false), Vec::<String>::new());
}

/// A certificate the tree does not ship (certbot's live/, Debian's snakeoil
/// pair from the ssl-cert package) is made where nginx runs: under --root it
/// is not reported missing, unless its directory holds the tree's other
/// certificates; with --live it is.
#[test]
fn missing_only_when_the_tree_keeps_certificates_there_or_live() {
    let t = Tree::new();
    let body = [
        server(
            "/etc/letsencrypt/live/a/fullchain.pem",
            "/etc/letsencrypt/live/a/privkey.pem",
        ),
        server(
            "/etc/ssl/certs/ssl-cert-snakeoil.pem",
            "/etc/ssl/private/ssl-cert-snakeoil.key",
        ),
    ]
    .join("\n");
    t.conf(&body);
    // A directory that exists but holds no certificate says nothing either.
    std::fs::write(t.ssl().join("README"), "certificates go here\n").expect("write");
    assert_eq!(t.lint(true), Vec::<String>::new());
    // The same tree as the server itself (--root with --live).
    let found = t.lint_live();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(
        found[0].contains("fullchain.pem does not exist"),
        "{found:#?}"
    );
    // The tree keeps its certificates in /etc/ssl/certs: one missing there
    // is reported, its key (another directory, none shipped) is not.
    openssl(
        &t.ssl(),
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "k.key",
        ],
    );
    std::fs::create_dir_all(t.ssl().join("certs")).expect("mkdir");
    sign(&t.ssl(), "k.key", "certs/other.pem", PAST, FAR);
    let found = t.lint(true);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("certificate /etc/ssl/certs/ssl-cert-snakeoil.pem does not exist"),
        "{found:#?}"
    );
}
