//! README's rule table must list exactly the rules in `rules/`.

#[test]
fn readme_rule_table_matches_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("<!-- rules-table:start -->")
        .expect("table start marker");
    let end = readme
        .find("<!-- rules-table:end -->")
        .expect("table end marker");
    let table = &readme[start..end];
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
    let got = table
        .trim_start_matches("<!-- rules-table:start -->")
        .trim_start_matches('\n');
    assert_eq!(
        got, expected,
        "README's rule table is stale; replace it with:\n{expected}"
    );
}
