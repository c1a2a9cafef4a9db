//! The shipped pre-commit hooks, run by the real pre-commit.
//!
//! pre-commit is installed from PyPI into a virtualenv cached under the
//! cargo target directory (`<target>/precommit-venv`), so only the first
//! run pays for it. When it cannot be installed the test fails with the
//! reason, unless `NGINX_LINT_SKIP_PRECOMMIT=1`.
//!
//! The hooks of `.pre-commit-hooks.yaml` are copied into a `repo: local`
//! configuration of a temporary git repository, with `language: system` and
//! this build's binary as `entry`: pre-commit itself decides which files a
//! hook gets (`files`, `exclude`, `pass_filenames`, `args`), without
//! building the crate again through `cargo install`. Setting
//! `NGINX_LINT_PRECOMMIT_RUST=1` also runs the manifest as users get it
//! (`language: rust`, pre-commit building this checkout's HEAD).
//!
//! The `language: python` hooks are run as users get them from the wheel
//! built by `maturin` (`python/pyproject.toml`) into `<target>/wheels`:
//! pre-commit pip-installs the top-level pyproject.toml, whose pin on the
//! nginx-lint wheel is served from that directory (PIP_FIND_LINKS). .ci/run
//! builds the wheel before the tests; without it the test fails saying how
//! to build it, unless `NGINX_LINT_SKIP_WHEEL=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static VENV: Mutex<()> = Mutex::new(());

fn target_dir() -> PathBuf {
    // <target>/debug/nginx-lint
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_nginx-lint"));
    bin.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("target dir")
}

/// pre-commit's executable, installing it on first use. None: skipped.
fn pre_commit() -> Option<PathBuf> {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let venv = target_dir().join("precommit-venv");
    let exe = venv.join("bin/pre-commit");
    if exe.is_file() && venv.join("nginx-lint-ok").is_file() {
        return Some(exe);
    }
    let skip = std::env::var_os("NGINX_LINT_SKIP_PRECOMMIT").is_some_and(|v| v == "1");
    let fail = |what: &str, o: Option<&Output>| -> Option<PathBuf> {
        let detail = o
            .map(|o| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .unwrap_or_default();
        if skip {
            eprintln!("skipping the pre-commit test (NGINX_LINT_SKIP_PRECOMMIT=1): {what}");
            return None;
        }
        panic!(
            "cannot install pre-commit for the hook test: {what}\n{detail}\n\
             It needs python3 with venv (Debian: apt-get install python3-venv) and access to PyPI. \
             Set NGINX_LINT_SKIP_PRECOMMIT=1 to skip this test."
        );
    };
    // A marker written last: a half-finished install is redone.
    let done = venv.join("nginx-lint-ok");
    let _ = std::fs::remove_dir_all(&venv);
    let o = match Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
    {
        Ok(o) => o,
        Err(e) => return fail(&format!("python3 -m venv: {e}"), None),
    };
    if !o.status.success() {
        return fail("python3 -m venv failed", Some(&o));
    }
    let o = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pre-commit>=3,<5",
        ])
        .output();
    match o {
        Ok(o) if o.status.success() && exe.is_file() => {
            let _ = std::fs::write(&done, "");
            Some(exe)
        }
        Ok(o) => fail("pip install pre-commit failed", Some(&o)),
        Err(e) => fail(&format!("pip: {e}"), None),
    }
}

fn manifest() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml")
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A repository with a tree: a.conf has a finding (a missing include),
/// b.conf has one too, c.txt is no config.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for (name, body) in [
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n    include sites-enabled/*;\n}\n",
        ),
        (
            "etc/nginx/sites-enabled/a.conf",
            "server {\n    listen 80;\n    include snippets/missing-a.conf;\n}\n",
        ),
        (
            "etc/nginx/sites-enabled/b.conf",
            "server {\n    listen 81;\n    include snippets/missing-b.conf;\n}\n",
        ),
        ("c.txt", "not a config\n"),
    ] {
        let f = p.join(name);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, body).expect("write");
    }
    git(p, &["init", "-q"]);
    dir
}

fn run_hook(pc: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(pc)
        .current_dir(dir)
        .args(args)
        .env("PRE_COMMIT_HOME", target_dir().join("precommit-home"))
        .env("XDG_CONFIG_HOME", "/nonexistent/nginx-lint-tests")
        .env_remove("NO_COLOR")
        .output()
        .expect("pre-commit runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn shipped_hooks_run_under_pre_commit() {
    let Some(pc) = pre_commit() else { return };
    let manifest_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let o = run_hook(
        &pc,
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["validate-manifest", manifest_path.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "the manifest is valid: {}", text(&o));

    let dir = repo();
    let p = dir.path();
    // The manifest's hooks as a local repository, run with this build.
    let bin = env!("CARGO_BIN_EXE_nginx-lint");
    let mut local = String::from("repos:\n- repo: local\n  hooks:\n");
    for line in manifest().lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let line = match line.trim() {
            "language: rust" | "language: python" => line
                .replace("language: rust", "language: system")
                .replace("language: python", "language: system"),
            "entry: nginx-lint" => line.replace("entry: nginx-lint", &format!("entry: {bin}")),
            _ => line.to_string(),
        };
        local.push_str("  ");
        local.push_str(&line);
        local.push('\n');
    }
    std::fs::write(p.join(".pre-commit-config.yaml"), &local).expect("write config");
    git(p, &["add", "-A"]);

    // nginx-lint on one changed file: judged in its tree (the include
    // resolves against etc/nginx, the conf prefix), only its findings.
    let o = run_hook(
        &pc,
        p,
        &[
            "run",
            "nginx-lint",
            "--files",
            "etc/nginx/sites-enabled/a.conf",
            "c.txt",
        ],
    );
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("etc/nginx/sites-enabled/a.conf:3:5: error[include-missing]"),
        "{out}"
    );
    assert!(
        !out.contains("b.conf"),
        "only the named file's findings: {out}"
    );

    // Every staged file: c.txt is filtered out by `files`.
    let o = run_hook(&pc, p, &["run", "nginx-lint", "--all-files", "--verbose"]);
    let out = text(&o);
    assert!(
        out.contains("a.conf:3:5") && out.contains("b.conf:3:5"),
        "{out}"
    );
    assert!(!out.contains("c.txt"), "{out}");

    // The whole tree, without file names.
    let o = run_hook(&pc, p, &["run", "nginx-lint-tree", "--all-files"]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("a.conf:3:5") && out.contains("b.conf:3:5"),
        "{out}"
    );

    // Fixed: both hooks pass.
    for f in ["a", "b"] {
        let path = p.join(format!("etc/nginx/sites-enabled/{f}.conf"));
        std::fs::write(path, "server {\n    listen 80;\n}\n").expect("write");
    }
    git(p, &["add", "-A"]);
    let o = run_hook(&pc, p, &["run", "--all-files"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// The manifest as users get it: pre-commit clones this checkout and builds
/// it with `cargo install` (slow: opt in with NGINX_LINT_PRECOMMIT_RUST=1).
#[test]
fn manifest_builds_with_language_rust() {
    if std::env::var_os("NGINX_LINT_PRECOMMIT_RUST").is_none_or(|v| v != "1") {
        return;
    }
    let Some(pc) = pre_commit() else { return };
    let head = Command::new("git")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("git");
    let rev = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let dir = repo();
    let p = dir.path();
    let config = format!(
        "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: nginx-lint\n  - id: nginx-lint-tree\n    args: [etc/nginx]\n",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(p.join(".pre-commit-config.yaml"), config).expect("write");
    git(p, &["add", "-A"]);
    let o = Command::new(&pc)
        .current_dir(p)
        .args(["run", "--all-files"])
        .env("PRE_COMMIT_HOME", target_dir().join("precommit-home"))
        .env("CARGO_TARGET_DIR", target_dir().join("precommit-cargo"))
        // A test build: no link-time optimisation.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .output()
        .expect("pre-commit runs");
    let out = text(&o);
    assert!(out.contains("a.conf:3:5: error[include-missing]"), "{out}");
}

/// The wheel of this version in `<target>/wheels` (maturin's output
/// directory). None: skipped (NGINX_LINT_SKIP_WHEEL=1).
fn wheel_dir() -> Option<PathBuf> {
    let dir = target_dir().join("wheels");
    let prefix = format!("nginx_lint-{}-", env!("CARGO_PKG_VERSION"));
    let found = std::fs::read_dir(&dir).ok().and_then(|rd| {
        rd.flatten().find(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&prefix) && name.ends_with(".whl")
        })
    });
    if found.is_some() {
        return Some(dir);
    }
    if std::env::var_os("NGINX_LINT_SKIP_WHEEL").is_some_and(|v| v == "1") {
        eprintln!("skipping the wheel hook test (NGINX_LINT_SKIP_WHEEL=1): no wheel in {dir:?}");
        return None;
    }
    panic!(
        "no {prefix}*.whl in {}: build it first (.ci/run does):\n  \
         cargo build --release --locked\n  \
         python3 -m venv /tmp/maturin && /tmp/maturin/bin/pip install 'maturin>=1.5,<2'\n  \
         cd python && /tmp/maturin/bin/maturin build --release --locked --out ../target/wheels\n\
         or set NGINX_LINT_SKIP_WHEEL=1 where packaging is not available.",
        dir.display()
    );
}

/// The top-level pyproject.toml pins the wheel of Cargo.toml's version.
#[test]
fn hook_pyproject_pins_this_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pyproject.toml")).expect("pyproject.toml");
    let doc: toml::Table = text.parse().expect("pyproject.toml is TOML");
    let project = doc["project"].as_table().expect("[project]");
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        project["version"].as_str(),
        Some(v),
        "pyproject.toml's version"
    );
    let deps = project["dependencies"].as_array().expect("dependencies");
    assert_eq!(
        deps.iter().filter_map(|d| d.as_str()).collect::<Vec<_>>(),
        [format!("nginx-lint=={v}")],
        "pyproject.toml pins the wheel of Cargo.toml's version"
    );
    let wheel = std::fs::read_to_string(root.join("python/pyproject.toml")).expect("wheel");
    let wheel: toml::Table = wheel.parse().expect("python/pyproject.toml is TOML");
    assert_eq!(wheel["project"]["name"].as_str(), Some("nginx-lint"));
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
}

/// The `language: python` hooks as users get them: pre-commit clones a
/// repository holding this checkout's manifest and pyproject.toml,
/// pip-installs it, and the pin pulls the wheel (from `<target>/wheels`
/// here, from PyPI for users). No compilation: seconds.
#[test]
fn python_hooks_run_from_the_wheel() {
    let Some(wheels) = wheel_dir() else { return };
    let Some(pc) = pre_commit() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The hook repository: the manifest and the pyproject.toml pre-commit
    // installs, committed (pre-commit clones a rev).
    let hooks = tempfile::tempdir().expect("tempdir");
    for f in [".pre-commit-hooks.yaml", "pyproject.toml"] {
        std::fs::copy(root.join(f), hooks.path().join(f)).expect("copy");
    }
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "-A"]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);
    let head = Command::new("git")
        .current_dir(hooks.path())
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("git");
    let rev = String::from_utf8_lossy(&head.stdout).trim().to_string();

    let dir = repo();
    let p = dir.path();
    let config = format!(
        "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: nginx-lint-wheel\n  - id: nginx-lint-tree-wheel\n    args: [etc/nginx]\n",
        hooks.path().display()
    );
    std::fs::write(p.join(".pre-commit-config.yaml"), config).expect("write");
    git(p, &["add", "-A"]);
    // A fresh pre-commit home: the hook repository's path is new each run.
    let home = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(&pc)
            .current_dir(p)
            .args(args)
            .env("PRE_COMMIT_HOME", home.path())
            .env("PIP_FIND_LINKS", &wheels)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("XDG_CONFIG_HOME", "/nonexistent/nginx-lint-tests")
            .env_remove("NO_COLOR")
            .output()
            .expect("pre-commit runs")
    };
    let o = run(&["run", "--all-files"]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("etc/nginx/sites-enabled/a.conf:3:5: error[include-missing]")
            && out.contains("b.conf:3:5"),
        "{out}"
    );
    // The hook's environment holds the wheel's binary, not a build.
    let bins: Vec<PathBuf> = walkdir::WalkDir::new(home.path())
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|b| b.ends_with("bin/nginx-lint"))
        .collect();
    assert_eq!(bins.len(), 1, "one nginx-lint in the hook env: {bins:?}");
    let v = Command::new(&bins[0])
        .arg("--version")
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{}",
        text(&v)
    );

    for f in ["a", "b"] {
        let path = p.join(format!("etc/nginx/sites-enabled/{f}.conf"));
        std::fs::write(path, "server {\n    listen 80;\n}\n").expect("write");
    }
    git(p, &["add", "-A"]);
    let o = run(&["run", "--all-files"]);
    assert!(o.status.success(), "{}", text(&o));
}
