//! `nginx-lint dump`: the parsed, include-expanded tree as JSON in
//! crossplane's shape (`status`, `errors`, `config[].file/status/errors/parsed`,
//! `parsed[].directive/line/args/includes/block`) so crossplane users can switch.

use serde::Serialize;

use crate::finding::Finding;
use crate::load::Loaded;
use crate::nginx::ast::Directive;
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

fn node(sources: &SourceMap, index_of: &dyn Fn(FileId) -> Option<usize>, d: &Directive) -> Node {
    let (line, _) = sources.start_of(d.span);
    Node {
        directive: d.name().to_string(),
        line,
        args: d.args.iter().map(|a| a.value.to_string()).collect(),
        includes: d
            .is_include()
            .then(|| d.included().iter().filter_map(|id| index_of(*id)).collect()),
        block: d.block.as_ref().map(|b| {
            if b.lua {
                Vec::new()
            } else {
                b.children
                    .iter()
                    .map(|c| node(sources, index_of, c))
                    .collect()
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
    let order: Vec<FileId> = loaded.files.iter().map(|pf| pf.file).collect();
    let index_of = |id: FileId| order.iter().position(|x| *x == id);
    let mut all_errors = Vec::new();
    let config: Vec<Config> = loaded
        .files
        .iter()
        .map(|pf| {
            let errs: Vec<PayloadError> = findings
                .iter()
                .filter(|f| f.span.file == pf.file)
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
                parsed: pf
                    .directives
                    .iter()
                    .map(|d| node(sources, &index_of, d))
                    .collect(),
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
