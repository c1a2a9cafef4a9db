//! Builds the rule registry from the rule pages: `rules/<id>.md` front matter
//! (id, category, severity, summary) is the single source of a rule's
//! metadata. Code names rules through the generated `ids::*` constants, so a
//! rule without a page does not compile.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src");
    let emitted = emitted_severities(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut pages = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "md") {
                pages.push(p);
            }
        }
    }
    pages.sort();
    let mut metas = String::new();
    let mut ids = String::new();
    for p in &pages {
        println!("cargo:rerun-if-changed={}", p.display());
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let fm = front_matter(&text).unwrap_or_else(|| panic!("{}: no front matter", p.display()));
        let get = |k: &str| -> String {
            fm.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{}: front matter lacks `{k}`", p.display()))
        };
        let id = get("id");
        let stem = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        assert_eq!(id, stem, "{}: id must equal the file name", p.display());
        let sev = match get("severity").as_str() {
            "error" => "Error",
            "warning" => "Warning",
            "info" => "Info",
            other => panic!("{}: bad severity {other}", p.display()),
        };
        let konst = id.to_uppercase().replace('-', "_");
        // What the code really reports, most severe first; the page's
        // severity when no constructor names the id (it is passed along).
        let found = emitted.get(&konst).cloned().unwrap_or_default();
        let severities: Vec<&str> = ["Error", "Warning", "Info"]
            .into_iter()
            .filter(|s| found.contains(*s) || (found.is_empty() && *s == sev))
            .map(|s| match s {
                "Error" => "Severity::Error",
                "Warning" => "Severity::Warning",
                _ => "Severity::Info",
            })
            .collect();
        writeln!(
            metas,
            "    RuleMeta {{ id: {id:?}, category: {:?}, severity: Severity::{sev}, severities: &[{}], summary: {:?}, page: include_str!({:?}) }},",
            get("category"),
            severities.join(", "),
            get("summary"),
            p.display().to_string()
        )
        .ok();
        writeln!(ids, "    pub const {konst}: &str = {id:?};").ok();
    }
    let out = format!(
        "/// Every rule, sorted by id (generated from rules/*.md).\npub static RULES: &[RuleMeta] = &[\n{metas}];\n\n/// Rule ids as constants: using one requires its page to exist.\npub mod ids {{\n{ids}}}\n"
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("rule_registry.rs");
    std::fs::write(dest, out).expect("write registry");
}

/// The severities each rule id is reported with: every
/// `Finding::error(ids::X`, `Finding::warning(ids::X` and
/// `Finding::info(ids::X` in the sources outside test modules, by constant.
fn emitted_severities(
    src: &Path,
) -> std::collections::HashMap<String, std::collections::BTreeSet<&'static str>> {
    let mut out: std::collections::HashMap<String, std::collections::BTreeSet<&'static str>> =
        Default::default();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            // `Finding::new(ids::X, severity, …)` computes it: every
            // severity the file names may be the one.
            let named: Vec<&'static str> = ["Error", "Warning", "Info"]
                .into_iter()
                .filter(|s| code.contains(&format!("Severity::{s}")))
                .collect();
            for (ctor, sevs) in [
                ("Finding::error(", vec!["Error"]),
                ("Finding::warning(", vec!["Warning"]),
                ("Finding::info(", vec!["Info"]),
                ("Finding::new(", named),
            ] {
                for (at, _) in code.match_indices(ctor) {
                    // The first argument, however the id is spelled
                    // (`ids::X`, `crate::registry::ids::X`).
                    let rest = &code[at + ctor.len()..];
                    let first = rest.split(',').next().unwrap_or("");
                    if let Some(name) = first.split_once("ids::").map(|(_, n)| n) {
                        let konst: String = name
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'
                            })
                            .collect();
                        out.entry(konst).or_default().extend(sevs.iter().copied());
                    }
                }
            }
        }
    }
    out
}

fn front_matter(text: &str) -> Option<Vec<(String, String)>> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---")?;
    Some(
        rest[..end]
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
            })
            .collect(),
    )
}
