//! rust-ini as an oracle for our INI parser: on every fixture in
//! testdata/fpm, the (section, key, value) view must match where the two
//! dialects agree (no quotes, escapes or boolean words, which php folds).

use ini::{Ini, ParseOption};
use nginx_lint::fpm::parse;
use nginx_lint::source::FileId;

fn comparable(raw_line: &str, value: &str) -> bool {
    let words = ["yes", "no", "on", "off", "true", "false", "none", "null"];
    !raw_line.contains(['"', '\'', '\\', ';'])
        && !words.iter().any(|w| {
            raw_line
                .split('=')
                .nth(1)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(w))
        })
        && !value.is_empty()
}

#[test]
fn fixtures_agree_with_rust_ini() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fpm");
    let mut files = 0;
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).expect("testdata/fpm") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
        let ours = parse(FileId(0), text.as_bytes());
        assert!(
            ours.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            ours.errors
        );
        let mut mine = Vec::new();
        for s in &ours.sections {
            for e in &s.entries {
                let raw = &text[e.span.start as usize..e.span.end as usize];
                if comparable(raw, &e.value) {
                    mine.push((s.name.clone(), e.display_key(), e.value.clone()));
                }
            }
        }
        let opt = ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..ParseOption::default()
        };
        let theirs = Ini::load_from_str_opt(&text, opt).expect("rust-ini parses the fixture");
        let mut other = Vec::new();
        for (sec, props) in theirs.iter() {
            for (k, v) in props.iter() {
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(k) && l.contains(v))
                    .unwrap_or("");
                if comparable(line, v) {
                    other.push((sec.unwrap_or("").to_string(), k.to_string(), v.to_string()));
                }
            }
        }
        assert_eq!(mine, other, "{}", path.display());
        compared += mine.len();
    }
    assert!(files >= 6, "fixtures missing");
    assert!(compared >= 80, "only {compared} entries compared");
}
