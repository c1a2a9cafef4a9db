//! How the analysis shares the cores: the model, the resolver and the rules.
//!
//! - The model is built in two halves side by side (the walk and the
//!   scopes); the walk rules ([`rules::walk_rules`]) start as soon as the
//!   walk exists.
//! - The resolver is built beside the model rules ([`rules::all`]), each
//!   rule on the next free core; a rule that reads the resolver
//!   ([`rules::Check::resolver`]) waits there until it is ready.
//! - A panic anywhere goes on to the caller once every thread has stopped;
//!   the resolver's cell is set even then, so no rule waits forever.
//! - Findings come out in registry order (walk rules first, then
//!   [`rules::all`] in order), whatever order the threads finished in.
//!
//! The resolver and the providers it calls must not use rayon: a pool
//! thread blocked in `Check::resolver` could be the one the resolver's own
//! work was queued on, and wait for itself.

use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock};

use crate::finding::Finding;
use crate::loaded::Loaded;
use crate::model::Model;
use crate::model::walk::Visits;
use crate::resolve::Resolver;
use crate::resolve::users::Users;
use crate::rules::{self, Check, WalkCheck};
use crate::settings::Settings;
use crate::timings::Phases;

/// What the analysis made of a run: the findings of every rule, and the
/// model and resolver they read (for the caller to free, or to leave to the
/// end of the process).
pub struct Analysis<'l> {
    pub findings: Vec<Finding>,
    pub model: Model<'l>,
    pub resolver: OnceLock<Resolver>,
}

type Panic = Box<dyn Any + Send>;

/// Build the model and the resolver and run every rule on them.
pub fn analyse<'l>(
    loaded: &'l Loaded,
    users: &'l Users,
    settings: &'l Settings,
    phase: &mut Phases,
) -> Analysis<'l> {
    let walk_rules = rules::walk_rules();
    let model_rules = rules::all();
    let walk_found: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::new(Vec::new());
    let resolver = OnceLock::new();
    let (model, failed, model_found) = rayon::scope(|s| {
        let model = Model::build_then(loaded, |visits| {
            for (i, rule) in walk_rules.iter().copied().enumerate() {
                let (visits, found) = (Arc::clone(visits), &walk_found);
                s.spawn(move |_| {
                    let out = run_walk_rule(rule, loaded, &visits, settings);
                    if let Ok(mut f) = found.lock() {
                        f.push((i, out));
                    }
                });
            }
        });
        phase.mark("model");
        let cx = Check::new(loaded, &model, &resolver, users, settings);
        let (failed, found) = rayon::join(
            || build_resolver(loaded, &model, settings, &resolver),
            || run_model_rules(&model_rules, &cx),
        );
        (model, failed, found)
    });
    if let Some(panic) = failed {
        std::panic::resume_unwind(panic);
    }
    let mut walk_found = walk_found.into_inner().unwrap_or_else(|p| p.into_inner());
    let findings = in_registry_order(&mut walk_found, model_found);
    Analysis {
        findings,
        model,
        resolver,
    }
}

fn run_walk_rule(
    rule: &dyn rules::WalkRule,
    loaded: &Loaded,
    visits: &Visits<'_>,
    settings: &Settings,
) -> Vec<Finding> {
    let cx = WalkCheck {
        loaded,
        visits,
        settings,
    };
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    out
}

/// The model rules on all cores: each free core takes the next rule in
/// registry order (the heaviest come first there), rather than each taking
/// half the list and stealing, which can put the two heaviest in one half.
fn run_model_rules(all: &[&'static dyn rules::Rule], cx: &Check<'_>) -> Vec<(usize, Vec<Finding>)> {
    use rayon::prelude::*;
    all.iter()
        .enumerate()
        .par_bridge()
        .map(|(i, rule)| {
            let mut out = Vec::new();
            rule.check(cx, &mut out);
            (i, out)
        })
        .collect()
}

/// Build the resolver into `cell`, which is set even when building panics
/// (rules waiting for it must not wait forever); the panic is returned, to
/// go on once the rules are done.
fn build_resolver(
    loaded: &Loaded,
    model: &Model<'_>,
    settings: &Settings,
    cell: &OnceLock<Resolver>,
) -> Option<Panic> {
    let mut phase = Phases::new();
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut r = Resolver::build(loaded, model);
        if settings.live {
            r.live = Some(crate::resolve::live::Live::read());
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
            let _ = cell.set(Resolver::default());
            Some(panic)
        }
    }
}

/// The walk rules' findings, then the model rules', each list in its
/// registry's order.
fn in_registry_order(
    walk: &mut [(usize, Vec<Finding>)],
    mut model: Vec<(usize, Vec<Finding>)>,
) -> Vec<Finding> {
    walk.sort_unstable_by_key(|(i, _)| *i);
    model.sort_unstable_by_key(|(i, _)| *i);
    let mut out = Vec::new();
    for (_, f) in walk.iter_mut() {
        out.append(f);
    }
    for (_, mut f) in model {
        out.append(&mut f);
    }
    out
}
