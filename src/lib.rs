//! nginx-lint: a linter for nginx and php-fpm configuration.
//!
//! The pipeline, in order (see [`run`]): discover files → parse → expand
//! includes → build the resolved model → run rules → filter → report.

pub mod address;
pub mod cli;
pub mod config;
pub mod discover;
pub mod dump;
pub mod dump_t;
pub mod few;
pub mod finding;
pub mod fpm;
pub mod gitignore;
pub mod graph;
pub mod grouped;
pub mod heap;
pub mod load;
pub mod load_fpm;
pub mod loaded;
pub mod model;
pub mod nginx;
pub mod pending;
pub mod prefetch;
pub mod providers;
pub mod registry;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suppress;
pub mod text;
pub mod timings;
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
            files: self.loaded.sources.len(),
            elapsed_ms: Some(self.elapsed_ms),
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

/// Run the whole pipeline.
pub fn run(opts: &Options) -> Result<Outcome, InputError> {
    run_inner(opts, true)
}

/// [`run`] for a process that exits right after it (the binary): the
/// model and the resolver are left for the kernel to reclaim instead of
/// being freed piece by piece (about a millisecond per 1,000 vhosts).
pub fn run_then_exit(opts: &Options) -> Result<Outcome, InputError> {
    run_inner(opts, false)
}

/// Build the resolver into `cell`, set even when building panics (rules
/// waiting for it must not wait forever); the panic is returned, to go on
/// once the rules are done. Must not use rayon: a worker waiting inside it
/// could pick up a rule that waits for the resolver, and wait for itself.
fn build_resolver(
    loaded: &Loaded,
    model: &model::Model<'_>,
    opts: &Options,
    cell: &std::sync::OnceLock<resolve::Resolver>,
) -> Option<Box<dyn std::any::Any + Send>> {
    let mut phase = timings::Phases::new();
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut r = resolve::Resolver::build(loaded, model);
        if opts.settings.live {
            r.live = Some(resolve::live::Live::read());
        }
        r
    }));
    phase.mark("resolver");
    match built {
        Ok(r) => {
            let _ = cell.set(r);
            None
        }
        Err(panic) => {
            let _ = cell.set(resolve::Resolver::default());
            Some(panic)
        }
    }
}

/// The rules that need the whole model (not the walk checks, which run
/// earlier), on all cores: pure functions of the same read-only model.
/// Each free core takes the next rule in registry order (the heaviest come
/// first there), rather than each taking half the list and stealing: the
/// two heaviest rules fell in one half. Findings come with the rule's
/// place in the registry.
fn run_model_rules(
    all: &[&'static dyn rules::Rule],
    cx: &rules::Check<'_>,
) -> Vec<(usize, Vec<Finding>)> {
    use rayon::prelude::*;
    all.iter()
        .enumerate()
        .filter(|(_, rule)| rule.walk_check().is_none())
        .par_bridge()
        .map(|(i, rule)| {
            let mut out = Vec::new();
            rule.check(cx, &mut out);
            (i, out)
        })
        .collect()
}

fn run_inner(opts: &Options, free: bool) -> Result<Outcome, InputError> {
    let t0 = Instant::now();
    let mut phase = timings::Phases::new();
    let mut loaded = load::load(&opts.inputs)?;
    phase.mark("load");
    let mut findings = std::mem::take(&mut loaded.findings);
    for pf in loaded.files.iter() {
        findings.extend(pf.errors.iter().cloned());
    }
    if let Some(cfg) = &loaded.fpm {
        findings.extend(cfg.findings.iter().cloned());
    }
    // Rules that read only the walk start as soon as it is built, beside
    // the scopes (at 10,000 vhosts a core had nothing to do for 10 ms
    // there); their findings join the others in registry order.
    let all_rules = rules::all();
    let early: Vec<(usize, rules::WalkCheckFn)> = all_rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.walk_check().map(|f| (i, f)))
        .collect();
    let early_found: std::sync::Mutex<Vec<(usize, Vec<Finding>)>> =
        std::sync::Mutex::new(Vec::new());
    let users = resolve::users::Users::load(&vfs::RealFs::new(opts.inputs.root.clone()));
    let resolver: std::sync::OnceLock<resolve::Resolver> = std::sync::OnceLock::new();
    let (model, failed, mut per_rule) = rayon::scope(|s| {
        let model = model::Model::build_then(&loaded, |visits| {
            for &(i, check) in &early {
                let visits = std::sync::Arc::clone(visits);
                let (loaded, settings, found) = (&loaded, &opts.settings, &early_found);
                s.spawn(move |_| {
                    let cx = rules::WalkCheck {
                        loaded,
                        visits: &visits,
                        settings,
                    };
                    let mut out = Vec::new();
                    check(&cx, &mut out);
                    if let Ok(mut f) = found.lock() {
                        f.push((i, out));
                    }
                });
            }
        });
        phase.mark("model");
        let cx = rules::Check {
            loaded: &loaded,
            model: &model,
            resolver: pending::Pending::new(&resolver),
            users: &users,
            settings: &opts.settings,
        };
        // The resolver is built while the rules start: most rules never read
        // it, and those that do wait for it (at 10,000 vhosts it takes 12 ms,
        // a phase in which one core had nothing to do). Both halves run in the
        // thread pool: a thread of its own took a malloc arena of its own (up
        // to 10 MB more at peak).
        let (failed, per_rule) = rayon::join(
            || build_resolver(&loaded, &model, opts, &resolver),
            || run_model_rules(&all_rules, &cx),
        );
        (model, failed, per_rule)
    });
    // Every rule's findings in registry order (deterministic).
    per_rule.append(&mut early_found.into_inner().unwrap_or_else(|p| p.into_inner()));
    per_rule.sort_unstable_by_key(|(i, _)| *i);
    if let Some(panic) = failed {
        std::panic::resume_unwind(panic);
    }
    findings.extend(per_rule.into_iter().flat_map(|(_, out)| out));
    phase.mark("rules");
    if free {
        drop(model);
    } else {
        std::mem::forget(model);
        std::mem::forget(resolver);
        std::mem::forget(users);
    }
    phase.mark("drop model");
    let findings = apply_policy(&loaded, &opts.settings.policy, findings);
    let mut findings = findings;
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
