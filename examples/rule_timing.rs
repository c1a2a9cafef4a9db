//! Time every rule on a tree: `cargo run --release --example rule_timing -- PATH`
//! (e.g. the tree of `python3 ../shared/bench/gen_synth.py /tmp/synth 1000`).
//! Prints the best of 20 runs per rule (RUNS=n), in milliseconds, slowest
//! first; ONLY=rule-id runs one rule.

use std::time::Instant;

use nginx_lint::rules::{self, Check};
use nginx_lint::{Inputs, model::Model, settings::Settings};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/synth".into());
    let inputs = Inputs {
        paths: vec![path.into()],
        ..Inputs::default()
    };
    let loaded = match nginx_lint::load::load(&inputs) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}", e.0);
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    let model = Model::build(&loaded);
    println!("model: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    let settings = Settings {
        lb_idle_timeout: Some(60_000),
        nginx_version: nginx_lint::nginx::schema::Version(1, 26, 0),
        ..Settings::default()
    };
    let t = Instant::now();
    let resolver = std::sync::OnceLock::new();
    let _ = resolver.set(nginx_lint::resolve::Resolver::build(&loaded, &model));
    println!("resolver: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    let users = nginx_lint::resolve::users::Users::default();
    let cx = Check::new(&loaded, &model, &resolver, &users, &settings);
    let mut rows = Vec::new();
    // ONLY=rule-id times just that rule (for a profiler).
    let only = std::env::var("ONLY").ok();
    let walk = cx.walk();
    let walk_rules = rules::walk_rules();
    let timed = walk_rules
        .iter()
        .map(|r| (r.ids(), Timed::Walk(*r)))
        .chain(rules::all().into_iter().map(|r| (r.ids(), Timed::Model(r))));
    for (ids, rule) in timed {
        if only.as_ref().is_some_and(|o| !ids.contains(&o.as_str())) {
            continue;
        }
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..std::env::var("RUNS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(20)
        {
            let mut out = Vec::new();
            let t = Instant::now();
            match rule {
                Timed::Walk(r) => r.check(&walk, &mut out),
                Timed::Model(r) => r.check(&cx, &mut out),
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            n = out.len();
        }
        rows.push((best, ids.join(","), n));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, id, n) in rows {
        println!("{ms:8.3} ms  {id} ({n} findings)");
    }
}

/// A rule of either kind.
#[derive(Clone, Copy)]
enum Timed {
    Walk(&'static dyn rules::WalkRule),
    Model(&'static dyn rules::Rule),
}
