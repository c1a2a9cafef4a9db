//! Benchmarks of each pipeline stage on generated trees of 100, 1,000 and
//! 10,000 vhosts (`../shared/bench/gen_synth.py`). Run: `cargo bench`.
//! Side-by-side comparisons with other tools: `scripts/bench-compare`.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nginx_lint::load::{Inputs, load};
use nginx_lint::model::Model;
use nginx_lint::nginx::lexer::{Lexer, Statement, Terminator};
use nginx_lint::resolve::Resolver;
use nginx_lint::route::lazy::{Afterwards, Loading};
use nginx_lint::route::render::RouteFormat;
use nginx_lint::route::request::Request;
use nginx_lint::source::FileId;
use nginx_lint::{Options, route_indexed, route_loading, run};

fn tree(n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nginx-lint-bench-{n}"));
    if !dir.join("nginx/nginx.conf").exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_synth.py");
        let ok = Command::new("python3")
            .arg(script)
            .arg(&dir)
            .arg(n.to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "gen_synth.py failed");
    }
    dir
}

fn inputs(dir: &Path) -> Inputs {
    Inputs {
        paths: vec![dir.to_path_buf()],
        ..Inputs::default()
    }
}

/// All nginx text of a tree concatenated: the lexer's input.
fn corpus(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir.join("nginx")).sort_by_file_name() {
        let Ok(e) = e else { continue };
        if e.file_type().is_file() {
            out.extend(std::fs::read(e.path()).unwrap_or_default());
            out.push(b'\n');
        }
    }
    out
}

fn lexer(c: &mut Criterion) {
    let text = corpus(&tree(1000));
    let mut g = c.benchmark_group("lexer");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("1000-vhosts", |b| {
        b.iter(|| {
            let mut lx = Lexer::new(FileId(0), &text);
            let mut st = Statement::default();
            let mut n = 0usize;
            while let Ok(t) = lx.next_statement(&mut st) {
                n += st.words.len();
                if t == Terminator::Eof {
                    break;
                }
            }
            n
        })
    });
    g.bench_function("parse-1000-vhosts", |b| {
        b.iter(|| {
            nginx_lint::nginx::parser::parse(FileId(0), &text)
                .directives
                .len()
        })
    });
    g.finish();
}

fn stages(c: &mut Criterion) {
    let mut g = c.benchmark_group("stages");
    g.sample_size(20);
    for n in [100usize, 1000, 10_000] {
        let dir = tree(n);
        let inp = inputs(&dir);
        g.bench_with_input(BenchmarkId::new("load", n), &inp, |b, inp| {
            b.iter(|| load(inp).map(|l| l.sources.len()).unwrap_or(0))
        });
        let loaded = load(&inp).expect("loads");
        g.bench_with_input(BenchmarkId::new("model", n), &loaded, |b, l| {
            b.iter(|| Model::build(l).targets.len())
        });
        let model = Model::build(&loaded);
        g.bench_with_input(BenchmarkId::new("resolver", n), &loaded, |b, l| {
            b.iter(|| Resolver::build(l, &model).listeners.len())
        });
        let opts = Options {
            inputs: inp.clone(),
            settings: Default::default(),
        };
        g.bench_with_input(BenchmarkId::new("full-run", n), &opts, |b, o| {
            b.iter(|| run(o).map(|r| r.findings.len()).unwrap_or(0))
        });
        // `route` to one vhost: the other servers as skeletons, and whole.
        let req = Request::from_url(
            &format!("https://site{}.example.com/index.php", n / 2),
            "GET",
            &[],
            None,
        )
        .expect("a URL");
        for (name, loading) in [("route", Loading::Lazy), ("route-whole", Loading::Whole)] {
            g.bench_with_input(BenchmarkId::new(name, n), &opts, |b, o| {
                b.iter(|| {
                    route_loading(o, &req, RouteFormat::Text, loading)
                        .map(|t| t.len())
                        .unwrap_or(0)
                })
            });
        }
        // With the index of the files read (the CLI's default): warm after
        // the first iteration.
        let cache = std::env::temp_dir().join("nginx-lint-bench-cache");
        g.bench_with_input(BenchmarkId::new("route-indexed", n), &opts, |b, o| {
            b.iter(|| {
                route_indexed(
                    o,
                    &req,
                    RouteFormat::Text,
                    Loading::Lazy,
                    Some(&cache),
                    Afterwards::Free,
                )
                .map(|t| t.len())
                .unwrap_or(0)
            })
        });
    }
    g.finish();
}

fn fpm(c: &mut Criterion) {
    let dir = tree(1000);
    let files: Vec<PathBuf> = std::fs::read_dir(dir.join("php-fpm/pool.d"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let texts: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_default())
        .collect();
    c.bench_function("fpm-parse-100-pools", |b| {
        b.iter(|| {
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| nginx_lint::fpm::parse(FileId(i as u32), t).sections.len())
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, lexer, stages, fpm);
criterion_main!(benches);
