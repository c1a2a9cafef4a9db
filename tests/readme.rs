//! README's rule table must list exactly the rules in `rules/`.
//! `UPDATE_README=1 cargo test --test readme` rewrites it.

#[test]
fn readme_rule_table_matches_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README");
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
        "README's rule table is stale: run UPDATE_README=1 cargo test --test readme"
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
