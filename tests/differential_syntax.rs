//! Syntax differential against the real nginx: every config of the
//! real-world corpus (`testdata/realworld/`) must be accepted by `nginx -t`
//! and get no syntax-category error from us (other rules, such as the TLS
//! and limits packs, legitimately warn about real-world configs nginx
//! accepts); then hundreds of deterministic mutations of
//! it must get the same syntax verdict from us as from nginx.
//!
//! Needs nginx on PATH (`.ci/run` installs nginx-full); set
//! `NGINX_LINT_SKIP_DIFFERENTIAL=1` to skip.

#[path = "support/nginx.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{Verdict, lint, materialize, nginx_t, parallel, require_nginx};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/realworld")
}

/// The corpus trees, sorted by name.
fn corpus() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_root())
        .expect("testdata/realworld exists")
        .map(|e| e.expect("read testdata/realworld").path())
        .filter(|p| p.join("nginx.conf").is_file())
        .collect();
    v.sort();
    v
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What `nginx -t` could disagree with: an error of a syntax/schema rule.
/// Warnings (deprecations judged for a newer nginx than the one installed)
/// and the semantic packs are not its business.
fn syntax_error(l: &harness::Lint) -> bool {
    l.severity == nginx_lint::finding::Severity::Error
        && nginx_lint::rules::meta(&l.rule).is_none_or(|m| m.category == "syntax")
}

fn security_warning(l: &harness::Lint) -> bool {
    l.severity >= nginx_lint::finding::Severity::Warning
        && nginx_lint::rules::meta(&l.rule).is_some_and(|m| m.category == "security")
}

#[test]
fn corpus_is_accepted_by_nginx_and_clean_for_us() {
    if require_nginx().is_none() {
        return;
    }
    let trees = corpus();
    assert!(trees.len() >= 10, "the corpus has at least 10 configs");
    let problems: Vec<String> = parallel(&trees, 2, |tree| {
        let dir = harness::case_dir();
        materialize(tree, dir.path(), &[]);
        let mut out = Vec::new();
        if let Verdict::Err {
            message,
            file,
            line,
        } = nginx_t(dir.path())
        {
            out.push(format!(
                "{}: nginx rejects it: {message} in {}:{line}",
                name(tree),
                file.display()
            ));
        }
        // nginx accepts the corpus: we may warn about it (backends outside
        // the corpus, hardening), but report no syntax-category error and no
        // security problem at warning or above.
        for l in lint(dir.path())
            .into_iter()
            .filter(|l| syntax_error(l) || security_warning(l))
        {
            out.push(format!(
                "{}: we report {}[{}] {} at {}:{}",
                name(tree),
                l.severity.as_str(),
                l.rule,
                l.message,
                l.file.display(),
                l.line
            ));
        }
        out
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// The mutator.

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Spread small seeds over the state; never zero.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, v: &[T]) -> Option<T> {
        if v.is_empty() {
            None
        } else {
            Some(v[self.below(v.len())])
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Mutation {
    DropSemicolon,
    DropOpenBrace,
    DropCloseBrace,
    StraySemicolon,
    StrayOpenBrace,
    StrayCloseBrace,
    DropQuote,
    QuoteMidToken,
    QuoteGluedToWord,
    SplitToken,
    DuplicateLine,
    JoinLines,
    HashMidWord,
    HashAtLineStart,
    LongToken,
    Truncate,
    Backslash,
    Dollar,
}

const MUTATIONS: [Mutation; 18] = [
    Mutation::DropSemicolon,
    Mutation::DropOpenBrace,
    Mutation::DropCloseBrace,
    Mutation::StraySemicolon,
    Mutation::StrayOpenBrace,
    Mutation::StrayCloseBrace,
    Mutation::DropQuote,
    Mutation::QuoteMidToken,
    Mutation::QuoteGluedToWord,
    Mutation::SplitToken,
    Mutation::DuplicateLine,
    Mutation::JoinLines,
    Mutation::HashMidWord,
    Mutation::HashAtLineStart,
    Mutation::LongToken,
    Mutation::Truncate,
    Mutation::Backslash,
    Mutation::Dollar,
];

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Byte offsets where each line starts.
fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

fn line_of(text: &[u8], at: usize) -> usize {
    1 + text[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Offsets not on a comment line (a line whose first non-blank is `#`), so
/// most mutations hit configuration rather than prose.
fn outside_comments(text: &[u8], offsets: impl Iterator<Item = usize>) -> Vec<usize> {
    let starts = line_starts(text);
    offsets
        .filter(|&i| {
            let ls = match starts.binary_search(&i) {
                Ok(k) => starts[k],
                Err(k) => starts[k - 1],
            };
            text[ls..]
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t'))
                .is_none_or(|&b| b != b'#')
        })
        .collect()
}

fn positions_of(text: &[u8], pred: impl Fn(u8) -> bool) -> Vec<usize> {
    outside_comments(
        text,
        text.iter()
            .enumerate()
            .filter(|(_, b)| pred(**b))
            .map(|(i, _)| i),
    )
}

/// Offsets strictly inside a word (previous and current bytes non-space).
fn inside_words(text: &[u8]) -> Vec<usize> {
    outside_comments(
        text,
        (1..text.len()).filter(|&i| !is_space(text[i]) && !is_space(text[i - 1])),
    )
}

/// Offsets where a word starts.
fn word_starts(text: &[u8]) -> Vec<usize> {
    outside_comments(
        text,
        (0..text.len()).filter(|&i| !is_space(text[i]) && (i == 0 || is_space(text[i - 1]))),
    )
}

fn splice(text: &[u8], at: usize, remove: usize, insert: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + insert.len());
    out.extend_from_slice(&text[..at]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&text[(at + remove).min(text.len())..]);
    out
}

/// Apply `m` to `text`; returns the new text and a description, or None
/// when the file has no place for this mutation.
fn mutate(m: Mutation, text: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    let at_line = |at: usize| line_of(text, at);
    match m {
        Mutation::DropSemicolon | Mutation::DropOpenBrace | Mutation::DropCloseBrace => {
            let c = match m {
                Mutation::DropSemicolon => b';',
                Mutation::DropOpenBrace => b'{',
                _ => b'}',
            };
            let at = rng.pick(&positions_of(text, |b| b == c))?;
            Some((
                splice(text, at, 1, b""),
                format!("line {}: drop '{}'", at_line(at), c as char),
            ))
        }
        Mutation::StraySemicolon | Mutation::StrayOpenBrace | Mutation::StrayCloseBrace => {
            let c = match m {
                Mutation::StraySemicolon => b';',
                Mutation::StrayOpenBrace => b'{',
                _ => b'}',
            };
            // Before a blank, i.e. glued to the end of a word or alone.
            let at = rng.pick(&positions_of(text, is_space))?;
            Some((
                splice(text, at, 0, &[c]),
                format!("line {}: add a stray '{}'", at_line(at), c as char),
            ))
        }
        Mutation::DropQuote => {
            let at = rng.pick(&positions_of(text, |b| b == b'"' || b == b'\''))?;
            Some((
                splice(text, at, 1, b""),
                format!("line {}: drop a quote", at_line(at)),
            ))
        }
        Mutation::QuoteMidToken => {
            let at = rng.pick(&inside_words(text))?;
            let q: &[u8] = if rng.below(2) == 0 { b"\"" } else { b"'" };
            Some((
                splice(text, at, 0, q),
                format!(
                    "line {}: add {} inside a word",
                    at_line(at),
                    String::from_utf8_lossy(q)
                ),
            ))
        }
        Mutation::QuoteGluedToWord => {
            let at = rng.pick(&word_starts(text))?;
            Some((
                splice(text, at, 0, b"\"a\""),
                format!("line {}: glue \"a\" before a word", at_line(at)),
            ))
        }
        Mutation::SplitToken => {
            let at = rng.pick(&inside_words(text))?;
            Some((
                splice(text, at, 0, b" "),
                format!("line {}: split a word with a space", at_line(at)),
            ))
        }
        Mutation::DuplicateLine => {
            let starts = line_starts(text);
            let k = rng.below(starts.len());
            let s = starts[k];
            let e = starts.get(k + 1).copied().unwrap_or(text.len());
            let mut line = text[s..e].to_vec();
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            Some((
                splice(text, s, 0, &line),
                format!("line {}: duplicate it", k + 1),
            ))
        }
        Mutation::JoinLines => {
            let at = rng.pick(&positions_of(text, |b| b == b'\n'))?;
            Some((
                splice(text, at, 1, b" "),
                format!("line {}: join with the next line", at_line(at)),
            ))
        }
        Mutation::HashMidWord => {
            let at = rng.pick(&inside_words(text))?;
            Some((
                splice(text, at, 0, b"#"),
                format!("line {}: add '#' inside a word", at_line(at)),
            ))
        }
        Mutation::HashAtLineStart => {
            let at = rng.pick(&word_starts(text))?;
            Some((
                splice(text, at, 0, b"#"),
                format!("line {}: add '#' before a word", at_line(at)),
            ))
        }
        Mutation::LongToken => {
            let at = rng.pick(&positions_of(text, is_space))?;
            // Around nginx's 4096-byte limit, on both sides of it.
            let len = 4090 + rng.below(12);
            let filler = "x".repeat(len);
            let (insert, what) = match rng.below(3) {
                0 => (format!(" {filler}"), "word"),
                1 => (format!(" \"{filler}\""), "quoted word"),
                _ => (format!("\n#{filler}\n"), "comment"),
            };
            Some((
                splice(text, at, 0, insert.as_bytes()),
                format!("line {}: add a {len}-byte {what}", at_line(at)),
            ))
        }
        Mutation::Backslash => {
            // Escapes: before a quote, a blank, `;`, a brace or a newline.
            let at = rng.pick(&positions_of(text, |b| {
                matches!(b, b'"' | b'\'' | b' ' | b';' | b'{' | b'}' | b'\n')
            }))?;
            Some((
                splice(text, at, 0, b"\\"),
                format!("line {}: add a backslash", at_line(at)),
            ))
        }
        Mutation::Dollar => {
            // `$`, `${` and `${}` glued into words (nginx keeps `${` in a word).
            let at = rng.pick(&inside_words(text))?;
            let ins: &[u8] = match rng.below(3) {
                0 => b"$",
                1 => b"${",
                _ => b"${x}",
            };
            Some((
                splice(text, at, 0, ins),
                format!(
                    "line {}: add {} inside a word",
                    at_line(at),
                    String::from_utf8_lossy(ins)
                ),
            ))
        }
        Mutation::Truncate => {
            if text.is_empty() {
                return None;
            }
            let at = rng.below(text.len());
            Some((
                text[..at].to_vec(),
                format!("line {}: truncate the file here", at_line(at)),
            ))
        }
    }
}

/// One variant: a corpus tree with one file replaced.
struct Case {
    tree: PathBuf,
    file: PathBuf,
    text: Vec<u8>,
    what: String,
}

/// The variants, deterministically: case `i` mutates tree `i % trees` with
/// mutation `(i / trees) % kinds`, in a file and at a place chosen by a
/// generator seeded with `i`.
fn cases(trees: &[PathBuf], n: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let mut i = 0u64;
    while out.len() < n && i < (n as u64) * 4 {
        let tree = &trees[i as usize % trees.len()];
        let m = MUTATIONS[(i as usize / trees.len()) % MUTATIONS.len()];
        let mut rng = Rng::new(i + 1);
        i += 1;
        let files = harness::tree_files(tree);
        let Some(file) = rng.pick(&files.iter().collect::<Vec<_>>()) else {
            continue;
        };
        let text = std::fs::read(tree.join(file)).expect("read a corpus file");
        let Some((text, what)) = mutate(m, &text, &mut rng) else {
            continue;
        };
        out.push(Case {
            tree: tree.clone(),
            file: file.clone(),
            text,
            what: format!("#{} {}/{} {what}", i - 1, name(tree), file.display()),
        });
    }
    out
}

// ---------------------------------------------------------------------------
// The comparison.

/// How many variants the differential runs.
const CASES: usize = 1248;

/// Disagreements we accept, by case id (`#N` of the description), each with
/// its reason. Keep it empty unless nginx's behaviour cannot (or should not)
/// be mirrored.
const ALLOWED: &[(&str, &str)] = &[];

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Accepted,
    SyntaxRejected,
    OtherRejected,
}

struct Outcome {
    what: String,
    class: Class,
    verdict: Verdict,
    /// Empty when we agree; otherwise why not.
    problem: Option<String>,
    ours: Vec<String>,
}

fn same_file(a: &Path, b: &Path) -> bool {
    harness::canonical(a) == harness::canonical(b)
}

fn run_case(case: &Case) -> Outcome {
    let dir = harness::case_dir();
    materialize(
        &case.tree,
        dir.path(),
        &[(case.file.clone(), case.text.clone())],
    );
    // Lint first: nginx -t writes into DIR/.run only, but keep it simple.
    let lints = lint(dir.path());
    let verdict = nginx_t(dir.path());
    let ours: Vec<_> = lints
        .iter()
        .filter(|l| l.rule == "syntax" || l.rule.starts_with("include-"))
        .collect();
    let shown = ours
        .iter()
        .map(|l| {
            let rel = l
                .file
                .strip_prefix(harness::canonical(dir.path()))
                .unwrap_or(&l.file);
            format!("{}:{} [{}] {}", rel.display(), l.line, l.rule, l.message)
        })
        .collect();
    let (class, problem) = match &verdict {
        Verdict::Ok => {
            let p = (!ours.is_empty()).then(|| "nginx accepts it, we report an error".to_string());
            (Class::Accepted, p)
        }
        Verdict::Err { file, line, .. } => {
            let syntax = verdict.is_syntax();
            let in_file: Vec<_> = ours
                .iter()
                .filter(|l| l.rule == "syntax" && same_file(&l.file, file))
                .collect();
            let early = in_file.iter().find(|l| l.line < *line);
            let problem = if let Some(l) = early {
                // nginx read every byte up to the line it names without a
                // syntax error: an earlier syntax error of ours is false.
                Some(format!(
                    "we report a syntax error earlier, on line {}",
                    l.line
                ))
            } else if syntax && !in_file.iter().any(|l| l.line == *line) {
                Some(format!("no syntax error of ours on line {line}"))
            } else {
                None
            };
            let class = if syntax {
                Class::SyntaxRejected
            } else {
                Class::OtherRejected
            };
            (class, problem)
        }
    };
    let rel = |v: &Verdict| match v {
        Verdict::Ok => "accepted".to_string(),
        Verdict::Err {
            message,
            file,
            line,
        } => {
            let f = file
                .strip_prefix(harness::canonical(dir.path()))
                .unwrap_or(file);
            format!("{message} in {}:{line}", f.display())
        }
    };
    let shown_verdict = Verdict::Err {
        message: rel(&verdict),
        file: PathBuf::new(),
        line: 0,
    };
    Outcome {
        what: case.what.clone(),
        class,
        verdict: if verdict.is_ok() {
            Verdict::Ok
        } else {
            shown_verdict
        },
        problem,
        ours: shown,
    }
}

fn case_id(what: &str) -> &str {
    what.split_whitespace().next().unwrap_or("")
}

#[test]
fn syntax_verdicts_match_nginx() {
    if require_nginx().is_none() {
        return;
    }
    let trees = corpus();
    let cases = cases(&trees, CASES);
    assert!(cases.len() >= 300, "only {} variants", cases.len());
    let outcomes = parallel(&cases, 2, run_case);

    let n = outcomes.len();
    let count = |c: Class| outcomes.iter().filter(|o| o.class == c).count();
    let (acc, syn, other) = (
        count(Class::Accepted),
        count(Class::SyntaxRejected),
        count(Class::OtherRejected),
    );
    let disagree: Vec<&Outcome> = outcomes.iter().filter(|o| o.problem.is_some()).collect();
    let agree = n - disagree.len();
    println!(
        "syntax differential: {n} cases, {agree} agree, {} disagree ({:.1}%)",
        disagree.len(),
        agree as f64 * 100.0 / n as f64
    );
    println!(
        "  nginx accepted {acc}, rejected {syn} for a syntax reason, {other} for another reason"
    );
    let mut unexplained = Vec::new();
    for o in &disagree {
        let allowed = ALLOWED.iter().find(|(id, _)| *id == case_id(&o.what));
        let msg = match &o.verdict {
            Verdict::Ok => "accepted".to_string(),
            Verdict::Err { message, .. } => message.clone(),
        };
        let text = format!(
            "- {}\n    nginx: {msg}\n    problem: {}\n    ours: {}{}",
            o.what,
            o.problem.as_deref().unwrap_or(""),
            if o.ours.is_empty() {
                "(none)".to_string()
            } else {
                o.ours.join("; ")
            },
            allowed.map_or(String::new(), |(_, why)| format!("\n    allowed: {why}"))
        );
        println!("{text}");
        if allowed.is_none() {
            unexplained.push(text);
        }
    }
    if std::env::var_os("NGINX_LINT_DIFF_VERBOSE").is_some() {
        for o in &outcomes {
            let msg = match &o.verdict {
                Verdict::Ok => "accepted".to_string(),
                Verdict::Err { message, .. } => message.clone(),
            };
            println!("{} => nginx: {msg} | ours: {}", o.what, o.ours.join("; "));
        }
    }
    assert!(
        unexplained.is_empty(),
        "{} disagreement(s) with nginx not in the allow-list:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
