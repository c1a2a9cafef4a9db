//! README.md and the docs it links to: docs/RULES.md's rule table lists
//! exactly the rules in `rules/` with the severities they report
//! (`UPDATE_README=1 cargo test --test readme` rewrites it), every command
//! README shows is run or checked against what it names, and the snippets
//! match the shipped hooks, action and configuration keys.

#[test]
fn readme_rule_table_matches_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/RULES.md");
    let readme = std::fs::read_to_string(path).expect("docs/RULES.md");
    let start_marker = "<!-- rules-table:start -->\n";
    let start = readme.find(start_marker).expect("table start marker") + start_marker.len();
    let end = readme
        .find("<!-- rules-table:end -->")
        .expect("table end marker");
    let mut expected = String::from("| id | category | severity | summary |\n|---|---|---|---|\n");
    for m in nginx_lint::rules::RULES {
        expected.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            m.id,
            m.category,
            nginx_lint::registry::severities_shown(m),
            m.summary
        ));
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
        std::fs::write(path, updated).expect("write README");
        return;
    }
    assert_eq!(
        &readme[start..end],
        expected,
        "docs/RULES.md's rule table is stale: run UPDATE_README=1 cargo test --test readme"
    );
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README")
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The first fenced block of `lang` after `heading`.
fn block_after(text: &str, heading: &str, lang: &str) -> String {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let fence = format!("```{lang}\n");
    let start = text[at..].find(&fence).expect("a fenced block") + at + fence.len();
    let end = text[start..].find("```").expect("closed block") + start;
    text[start..end].to_string()
}

fn hook_ids(yaml: &str) -> Vec<String> {
    yaml.lines()
        // `# - id: …`: an alternative the README shows commented out.
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix("# ").unwrap_or(l).strip_prefix("- id:")
        })
        .map(|id| id.split('#').next().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn readme_pre_commit_snippet_matches_the_hooks() {
    let snippet = block_after(&readme(), "### Use it in pre-commit", "yaml");
    let mut in_readme = hook_ids(&snippet);
    let mut in_manifest = hook_ids(&shipped(".pre-commit-hooks.yaml"));
    in_readme.sort();
    in_manifest.sort();
    assert_eq!(
        in_readme, in_manifest,
        "README's hook ids vs .pre-commit-hooks.yaml"
    );
    assert!(snippet.contains("repo: https://github.com/nginx-lint/nginx-lint"));
    assert!(snippet.contains(&format!("rev: v{}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn readme_actions_snippet_matches_the_action() {
    let snippet = block_after(&readme(), "### GitHub Actions", "yaml");
    let action = shipped("action.yml");
    assert!(snippet.contains(&format!(
        "uses: nginx-lint/nginx-lint@v{}",
        env!("CARGO_PKG_VERSION")
    )));
    // Every `with:` key is an input of the action.
    let with_at = snippet.find("with:").expect("with:");
    let inputs_at = action.find("\ninputs:\n").expect("inputs") + 9;
    let inputs_end = action[inputs_at..].find("\nruns:").expect("runs") + inputs_at;
    let inputs: Vec<&str> = action[inputs_at..inputs_end]
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.trim().strip_suffix(':'))
        .collect();
    for line in snippet[with_at + 5..].lines() {
        if let Some((key, _)) = line.trim().split_once(':') {
            assert!(
                inputs.contains(&key),
                "README uses input `{key}`; action.yml has {inputs:?}"
            );
        }
    }
    assert!(action.contains("using: composite"));
    assert!(action.contains("nginx-lint --format github"));
}

#[test]
fn readme_config_example_uses_every_key_and_only_known_ones() {
    let text = block_after(&readme(), "## Configuration", "toml");
    let table: toml::Table = text.parse().expect("README's config example is TOML");
    for k in table.keys() {
        assert!(
            nginx_lint::config::TOP_KEYS.contains(&k.as_str()),
            "README shows unknown key `{k}`"
        );
    }
    for k in nginx_lint::config::TOP_KEYS {
        assert!(table.contains_key(*k), "README's example lacks `{k}`");
    }
}

#[test]
fn readme_is_short_and_links_what_exists() {
    let text = readme();
    let lines = text.lines().count();
    assert!(lines < 200, "README.md has {lines} lines");
    for link in [
        "docs/CLI.md",
        "docs/RULES.md",
        "docs/PERFORMANCE.md",
        "CONTRIBUTING.md",
    ] {
        assert!(text.contains(&format!("]({link})")), "README links {link}");
        shipped(link);
    }
}

/// The commands of README's `sh` blocks, one a line (comments dropped).
fn readme_commands() -> Vec<String> {
    let text = readme();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("```sh\n") {
        let body = &rest[at + 6..];
        let end = body.find("```").expect("closed block");
        for line in body[..end].lines() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.push(line.to_string());
            }
        }
        rest = &body[end + 3..];
    }
    out
}

/// Every command README shows, run (the linter, with this build's binary)
/// or checked against what it relies on (the test command is .ci/run's,
/// the packaging commands name files that exist and that .ci/run builds).
#[test]
fn every_readme_command_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = shipped(".ci/run");
    let commands = readme_commands();
    assert!(commands.len() >= 5, "{commands:?}");
    for cmd in &commands {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let lint_args: Option<&[&str]> = match words.as_slice() {
            ["nginx-lint", args @ ..] => Some(args),
            ["cargo", "run", "--release", "--", args @ ..] => Some(args),
            _ => None,
        };
        if let Some(args) = lint_args {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_nginx-lint"));
            c.current_dir(root).args(args);
            c.env("XDG_CONFIG_HOME", "/nonexistent/nginx-lint-tests");
            // `route` keeps an index of the files it read: never in the
            // developer's ~/.cache.
            c.env(
                "NGINX_LINT_CACHE_DIR",
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("nginx-lint-cache"),
            );
            if args.first().is_some_and(|a| a.starts_with("/etc/")) {
                // On a server: Debian's tree stands in for the host's /.
                c.env("NGINX_LINT_TEST_HOST_ROOT", root.join("testdata/debian"));
            }
            let o = c.output().expect("runs");
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "`{cmd}` failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            continue;
        }
        if cmd.starts_with("cargo test") {
            assert!(
                ci.lines().any(|l| l.trim().ends_with(cmd.as_str())),
                "`{cmd}` is not what .ci/run runs"
            );
        } else if cmd == "cargo build --release --locked && scripts/package-deb" {
            assert!(ci.contains("cargo build --release --locked"));
            assert!(ci.contains("scripts/package-deb"));
        } else if let Some(rest) = cmd.strip_prefix("docker build -f ") {
            let file = rest.split_whitespace().next().unwrap_or("");
            assert!(root.join(file).is_file(), "`{cmd}`: no {file}");
        } else {
            panic!("README command `{cmd}` is neither run nor checked by this test");
        }
    }
}
