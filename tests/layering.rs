//! The module graph under `src/` has no cycle: a module never reaches back
//! to one that depends on it. Edges are the `crate::…` paths of each file
//! (in `use` lines and inline), grouped by top-level module (`src/load.rs`
//! and `src/model/walk.rs` are `load` and `model`), test code left out.
//! Inside the parser modules (`nginx/`, `fpm/`) the files themselves must
//! form no cycle either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[path = "support/files.rs"]
mod files;
use files::rust_files;

/// The text without comments, string literals and `#[cfg(test)] mod … {}`
/// blocks, so that only code paths remain.
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 4 + e);
            i = end;
        } else if b[i] == b'"' && !(i > 0 && b[i - 1] == b'\'') {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i..].starts_with(b"#[cfg(test)]") {
            // Skip the item that follows (a `mod tests { … }` or `use`).
            i += "#[cfg(test)]".len();
            let mut depth = 0usize;
            while i < b.len() {
                match b[i] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    b';' if depth == 0 => {
                        i += 1;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The paths named after `crate::`, expanded through `{a::b, c}` groups,
/// each as its segments.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    fn group(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut depth = 0;
        let mut start = 0;
        let bytes = s.as_bytes();
        for (i, &c) in bytes
            .iter()
            .enumerate()
            .chain(std::iter::once((s.len(), &b',')))
        {
            match c {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                b',' if depth == 0 => {
                    item(s[start..i].trim(), prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    fn item(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        if s.is_empty() {
            return;
        }
        if let Some(open) = s.find('{') {
            let mut p = prefix.to_vec();
            p.extend(
                s[..open]
                    .split("::")
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from),
            );
            let close = s.rfind('}').unwrap_or(s.len());
            group(&s[open + 1..close], &p, out);
            return;
        }
        let mut p = prefix.to_vec();
        p.extend(
            s.split("::")
                .map(|x| x.split_whitespace().next().unwrap_or(""))
                .take_while(|x| x.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .filter(|x| !x.is_empty())
                .map(String::from),
        );
        out.push(p);
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `$crate::` or another identifier ending in `crate`
        }
        if let Some(body) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = body
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(body.len(), |(i, _)| i);
            group(&body[..end], &[], &mut out);
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            item(rest[..end].trim_end_matches(':'), &[], &mut out);
        }
    }
    out
}

/// The module a file belongs to, `depth` segments deep (`src/nginx/ast.rs`
/// at depth 1 is `nginx`, at depth 2 `nginx::ast`).
fn module_of(src: &Path, file: &Path, depth: usize) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut segs: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if segs.last().is_some_and(|s| s == "mod") {
        segs.pop();
    }
    segs.truncate(depth);
    segs
}

/// Edges between modules `depth` segments deep, among files under
/// `src/<within>` (empty: all), keeping only targets inside it.
fn graph(within: &[&str], depth: usize) -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap_or(&f);
        if rel.file_name().is_some_and(|n| n == "tests.rs") || rel.iter().any(|s| s == "tests") {
            continue;
        }
        let from = module_of(&src, &f, depth);
        if !from
            .iter()
            .map(String::as_str)
            .take(within.len())
            .eq(within.iter().copied())
        {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let entry = g.entry(from.join("::")).or_default();
        for path in crate_paths(&code_of(&text)) {
            if !path
                .iter()
                .map(String::as_str)
                .take(within.len())
                .eq(within.iter().copied())
            {
                continue;
            }
            let to: Vec<String> = path.into_iter().take(depth).collect();
            // A path shorter than `depth` names the parent module itself.
            if to.len() < depth || to == from {
                continue;
            }
            entry
                .entry(to.join("::"))
                .or_default()
                .insert(rel.display().to_string());
        }
    }
    g
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'g> {
        g: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> T<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flat_map(|m| m.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

fn explain(g: &Graph, cycles: &[Vec<String>]) -> String {
    let mut s = String::new();
    for c in cycles {
        s.push_str(&format!("cycle: {}\n", c.join(", ")));
        for a in c {
            for (b, files) in g.get(a).into_iter().flatten() {
                if c.contains(b) {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    s.push_str(&format!("  {a} -> {b}  ({})\n", files.join(", ")));
                }
            }
        }
    }
    s
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph(&[], 1);
    assert!(
        g.len() > 10,
        "the scan found too few modules: {:?}",
        g.keys()
    );
    let c = cycles(&g);
    assert!(
        c.is_empty(),
        "import cycles under src/:\n{}",
        explain(&g, &c)
    );
}

#[test]
fn parser_files_form_no_cycle() {
    for m in ["nginx", "fpm"] {
        let g = graph(&[m], 2);
        let c = cycles(&g);
        assert!(
            c.is_empty(),
            "import cycles in src/{m}/:\n{}",
            explain(&g, &c)
        );
    }
}

/// The scan itself: it sees grouped and inline paths, skips comments,
/// strings and test modules, and finds a planted cycle.
#[test]
fn the_scan_sees_paths_and_cycles() {
    let code = code_of(
        "use crate::{a::X, b::{c::Y, d}};\n// crate::e\nlet s = \"crate::f\";\nfn g() { crate::h::i(); }\n#[cfg(test)]\nmod tests { use crate::j; }\n",
    );
    let firsts: BTreeSet<String> = crate_paths(&code)
        .into_iter()
        .map(|p| p[0].clone())
        .collect();
    let want: BTreeSet<String> = ["a", "b", "h"].iter().map(|s| s.to_string()).collect();
    assert_eq!(firsts, want);
    let mut g = Graph::new();
    for (a, b) in [("x", "y"), ("y", "z"), ("z", "x"), ("z", "w")] {
        g.entry(a.into()).or_default().entry(b.into()).or_default();
    }
    assert_eq!(
        cycles(&g),
        vec![vec!["x".to_string(), "y".into(), "z".into()]]
    );
}
