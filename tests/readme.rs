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
            m.severity.as_str(),
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
