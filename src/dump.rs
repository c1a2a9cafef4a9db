//! `nginx-lint dump`: the parsed, include-expanded tree as JSON in
//! crossplane's shape (`status`, `errors`, `config[].file/status/errors/parsed`,
//! `parsed[].directive/line/args/includes/block`) so crossplane users can switch.

use serde::Serialize;

use crate::finding::Finding;
use crate::loaded::Loaded;
use crate::nginx::ast::Directive;
use std::collections::HashMap;

use crate::nginx::include::Files;
use crate::source::{FileId, SourceMap};

#[derive(Serialize)]
struct Payload {
    status: &'static str,
    errors: Vec<PayloadError>,
    config: Vec<Config>,
}

#[derive(Serialize)]
struct PayloadError {
    file: String,
    line: usize,
    error: String,
}

#[derive(Serialize)]
struct Config {
    file: String,
    status: &'static str,
    errors: Vec<PayloadError>,
    parsed: Vec<Node>,
}

#[derive(Serialize)]
struct Node {
    directive: String,
    line: usize,
    args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    includes: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<Vec<Node>>,
}

/// What rendering a directive needs besides the directive.
struct Ctx<'a> {
    sources: &'a SourceMap,
    files: &'a Files,
    /// Each file's index in the payload's `config` list.
    index: HashMap<FileId, usize>,
}

fn node(cx: &Ctx<'_>, d: &Directive) -> Node {
    let sources = cx.sources;
    let (line, _) = sources.start_of(d.span);
    Node {
        directive: d.name().to_string(),
        line,
        args: d.args.iter().map(|a| a.value.to_string()).collect(),
        includes: d.is_include().then(|| {
            cx.files
                .included(d)
                .iter()
                .filter_map(|id| cx.index.get(id).copied())
                .collect()
        }),
        block: d.block.as_ref().map(|b| {
            if b.lua {
                Vec::new()
            } else {
                b.children.iter().map(|c| node(cx, c)).collect()
            }
        }),
    }
}

fn error(sources: &SourceMap, f: &Finding) -> PayloadError {
    let (line, _) = sources.start_of(f.span);
    PayloadError {
        file: sources.get(f.span.file).display.clone(),
        line,
        error: f.message.clone(),
    }
}

pub fn render(loaded: &Loaded, findings: &[Finding]) -> String {
    let sources = &loaded.sources;
    // A map, not a search of the list per include: sites that each
    // include a snippet made that quadratic.
    let cx = Ctx {
        sources,
        files: &loaded.files,
        index: loaded
            .files
            .iter()
            .enumerate()
            .map(|(i, pf)| (pf.file, i))
            .collect(),
    };
    let mut by_file: HashMap<FileId, Vec<&Finding>> = HashMap::new();
    for f in findings {
        by_file.entry(f.span.file).or_default().push(f);
    }
    let mut all_errors = Vec::new();
    let config: Vec<Config> = loaded
        .files
        .iter()
        .map(|pf| {
            let errs: Vec<PayloadError> = by_file
                .get(&pf.file)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|f| error(sources, f))
                .collect();
            all_errors.extend(errs.iter().map(|e| PayloadError {
                file: e.file.clone(),
                line: e.line,
                error: e.error.clone(),
            }));
            Config {
                file: sources.get(pf.file).display.clone(),
                status: if errs.is_empty() { "ok" } else { "failed" },
                errors: errs,
                parsed: pf.directives.iter().map(|d| node(&cx, d)).collect(),
            }
        })
        .collect();
    let payload = Payload {
        status: if all_errors.is_empty() {
            "ok"
        } else {
            "failed"
        },
        errors: all_errors,
        config,
    };
    let mut s = serde_json::to_string_pretty(&payload).unwrap_or_default();
    s.push('\n');
    s
}
