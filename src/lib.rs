//! nginx-lint: a linter for nginx and php-fpm configuration.
//!
//! The pipeline, in order (see [`run`]): discover files → parse → expand
//! includes ([`load`]) → build the resolved model, the resolver and run the
//! rules ([`schedule`]) → policy, suppression and order → report.

pub mod address;
pub mod analysis;
pub mod cli;
pub mod config;
pub mod deploy_view;
pub mod discover;
pub mod dockerfile;
pub mod dump;
pub mod few;
pub mod finding;
pub mod fpm;
pub mod fpm_master;
pub mod gitignore;
pub mod graph;
pub mod grouped;
pub mod heap;
pub mod load;
pub mod load_fpm;
pub mod loaded;
pub mod model;
pub mod nginx;
pub mod nginx_t;
pub mod php_ini;
pub mod prefetch;
pub mod providers;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod route;
pub mod rules;
pub mod schedule;
pub mod settings;
pub mod source;
pub mod stock;
pub mod suppress;
pub mod template;
pub mod text;
pub mod timings;
pub mod versions;
pub mod vfs;

use std::time::Instant;

use finding::{Finding, Severity};
pub use load::{InputError, Inputs};
pub use loaded::Loaded;

/// Everything that changes what a run reports.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub inputs: Inputs,
    pub settings: settings::Settings,
}

/// The result of a run: the loaded files and the findings, sorted.
pub struct Outcome {
    pub loaded: Loaded,
    pub findings: Vec<Finding>,
    pub elapsed_ms: f64,
}

impl Outcome {
    /// Highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    pub fn view(&self) -> report::ReportView<'_> {
        report::ReportView {
            sources: &self.loaded.sources,
            findings: &self.findings,
            skipped: &self.loaded.skipped,
            not_config: self.loaded.not_config.len(),
            files: self.loaded.file_count(),
            elapsed_ms: Some(self.elapsed_ms),
            versions: None,
        }
    }
}

/// Load the inputs and draw who sends to whom (`nginx-lint graph`).
pub fn graph(opts: &Options, format: graph::GraphFormat) -> Result<String, InputError> {
    let loaded = load::load(&opts.inputs)?;
    let model = model::Model::build(&loaded);
    let resolver = resolve::Resolver::build(&loaded, &model);
    Ok(graph::render(
        &graph::build(&loaded, &model, &resolver),
        format,
    ))
}

/// Load the inputs and follow one request through them (`nginx-lint
/// route`), as text or JSON.
pub fn route(
    opts: &Options,
    req: &route::request::Request,
    format: route::render::RouteFormat,
) -> Result<String, InputError> {
    route_loading(opts, req, format, route::lazy::Loading::Lazy)
}

/// [`route`], loading the trees as `loading` says (the answer is the
/// same; `tests/route_lazy.rs` holds the two to it).
pub fn route_loading(
    opts: &Options,
    req: &route::request::Request,
    format: route::render::RouteFormat,
    loading: route::lazy::Loading,
) -> Result<String, InputError> {
    route_indexed(
        opts,
        req,
        format,
        loading,
        None,
        route::lazy::Afterwards::Free,
    )
}

/// [`route_loading`], taking the files unchanged since an earlier run
/// from the index under `cache` (`route::index`; the CLI's default, unless
/// `--no-cache`). The answer is the same. `afterwards`: what becomes of
/// the trees loaded (`route::lazy::Afterwards`).
pub fn route_indexed(
    opts: &Options,
    req: &route::request::Request,
    format: route::render::RouteFormat,
    loading: route::lazy::Loading,
    cache: Option<&std::path::Path>,
    afterwards: route::lazy::Afterwards,
) -> Result<String, InputError> {
    route::lazy::with_index(
        &opts.inputs,
        req,
        loading,
        cache,
        afterwards,
        |loaded, model, engine| {
            let resolver = resolve::Resolver::build(loaded, model);
            let out = route::run::run(engine, req);
            let cx = route::render::Ctx {
                engine,
                sources: &loaded.sources,
                resolver: &resolver,
            };
            let answer = route::render::answer(&cx, req, &out);
            if format == route::render::RouteFormat::Json {
                serde_json::to_string_pretty(&answer).unwrap_or_default() + "\n"
            } else {
                route::render::text(&answer)
            }
        },
    )
}

/// Run the whole pipeline.
pub fn run(opts: &Options) -> Result<Outcome, InputError> {
    run_then(opts, |analysis| drop(analysis))
}

/// [`run`], handing the analysis (the model and the resolver the rules
/// read) to `dispose` once its findings are taken: a process about to exit
/// may leave it to the kernel instead of freeing it piece by piece.
pub fn run_then(
    opts: &Options,
    dispose: impl FnOnce(schedule::Analysis<'_>),
) -> Result<Outcome, InputError> {
    let t0 = Instant::now();
    let mut phase = timings::Phases::new();
    // Discover, parse, expand includes; what that finds is reported first.
    let loaded = load::load(&opts.inputs)?;
    phase.mark("load");
    let mut findings = load_findings(&loaded);
    // The model, the resolver and the rules.
    let users = resolve::users::Users::load(&loaded.real_fs());
    let mut analysis = schedule::analyse(&loaded, &users, &opts.settings, &mut phase);
    findings.append(&mut analysis.findings);
    phase.mark("rules");
    dispose(analysis);
    phase.mark("drop model");
    // Findings inside a stock copy point at the include that brought it in.
    loaded.relocate_stock(&mut findings);
    // Values an entrypoint fills in before the file is used are not judged.
    let findings = template::hold_placeholders(&loaded, findings);
    // Policy, suppression, order.
    let mut findings = apply_policy(&loaded, &opts.settings.policy, findings);
    findings.retain(|f| loaded.reported(f.span.file));
    sort_findings(&loaded.sources, &mut findings);
    cap_findings(&loaded.sources, &mut findings);
    phase.mark("policy+sort");
    Ok(Outcome {
        loaded,
        findings,
        elapsed_ms: t0.elapsed().as_secs_f64() * 1000.0,
    })
}

/// What loading itself found: unreadable or odd inputs, syntax errors,
/// missing includes (nginx and php-fpm).
fn load_findings(loaded: &Loaded) -> Vec<Finding> {
    let mut findings = loaded.findings.clone();
    for pf in loaded.files.iter() {
        findings.extend(pf.errors.iter().cloned());
    }
    if let Some(cfg) = &loaded.fpm {
        findings.extend(cfg.findings.iter().cloned());
    }
    findings
}

/// What the configuration and the comments make of the findings: rules
/// that are not selected and per-file ignores drop theirs, suppression
/// comments hide what they cover (and report their own problems), and
/// `[rules.<id>] severity` sets the severity last.
fn apply_policy(
    loaded: &Loaded,
    policy: &settings::Policy,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    let keep = |f: &Finding| {
        if !policy.is_enabled(f.rule) {
            return false;
        }
        if policy.per_file_ignores.is_empty() {
            return true;
        }
        let src = loaded.sources.get(f.span.file);
        !policy
            .per_file_ignores
            .iter()
            .any(|p| p.rules.contains(&f.rule) && p.matches(&src.real, &src.display))
    };
    findings.retain(keep);
    let (mut findings, own) = suppress::apply(loaded, policy, findings);
    findings.extend(own.into_iter().filter(keep));
    for f in &mut findings {
        if let Some(s) = policy.severity_of(f.rule) {
            f.severity = s;
        }
    }
    findings
}

/// At most `Capped::MAX` findings of one rule in one file (sorted input);
/// the rest become one finding that counts them, at the first one left out.
/// 300,000 unknown php-fpm entries otherwise made a 300,000-line report.
fn cap_findings(sources: &source::SourceMap, findings: &mut Vec<Finding>) {
    use std::collections::HashMap;
    let max = finding::Capped::MAX;
    let mut seen: HashMap<(&'static str, source::FileId), usize> = HashMap::new();
    let mut summaries: Vec<(Finding, usize)> = Vec::new();
    let mut summary_of: HashMap<(&'static str, source::FileId), usize> = HashMap::new();
    findings.retain(|f| {
        // The parsers' own counting findings (`finding::Capped`) stay.
        if f.message.contains(finding::NOT_REPORTED) {
            return true;
        }
        let key = (f.rule, f.span.file);
        let n = seen.entry(key).or_insert(0);
        *n += 1;
        if *n <= max {
            return true;
        }
        match summary_of.get(&key) {
            Some(&i) => summaries[i].1 += 1,
            None => {
                summary_of.insert(key, summaries.len());
                summaries.push((f.clone(), 1));
            }
        }
        false
    });
    if summaries.is_empty() {
        return;
    }
    for (mut f, n) in summaries {
        f.message = format!(
            "{n} more `{}` findings in this file {} {max} are)",
            f.rule,
            finding::NOT_REPORTED
        );
        f.help = Some("fix the ones above first; is this file really configuration?".into());
        f.related.clear();
        findings.push(f);
    }
    sort_findings(sources, findings);
}

/// Order: file (as displayed), then position, then rule; exact duplicates
/// (the same finding reached twice) are dropped.
fn sort_findings(sources: &source::SourceMap, findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        let fa = &sources.get(a.span.file).display;
        let fb = &sources.get(b.span.file).display;
        fa.cmp(fb)
            .then(a.span.start.cmp(&b.span.start))
            .then(a.rule.cmp(b.rule))
            .then(a.message.cmp(&b.message))
    });
    findings.dedup();
}
