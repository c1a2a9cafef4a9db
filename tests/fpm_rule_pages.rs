//! Runs the examples of every `rules/fpm-*.md` page: a `bad` block must
//! produce its rule, a `good` block must not.

use std::path::{Path, PathBuf};

use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
use nginx_lint::source::SourceMap;
use nginx_lint::vfs::MemFs;

struct Example {
    bad: bool,
    file: String,
    text: String,
}

fn examples(page: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```ini") else {
            continue;
        };
        let bad = info.split_whitespace().any(|w| w == "bad");
        let file = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
            .unwrap_or("php-fpm.conf")
            .to_string();
        let mut text = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            text.push_str(l);
            text.push('\n');
        }
        out.push(Example { bad, file, text });
    }
    out
}

#[test]
fn rule_page_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut seen = 0;
    for id in fpm::RULES {
        let page = std::fs::read_to_string(dir.join(format!("{id}.md")))
            .unwrap_or_else(|e| panic!("rules/{id}.md: {e}"));
        assert!(page.contains(&format!("id: {id}\n")), "{id}: front matter");
        let ex = examples(&page);
        assert!(
            ex.iter().any(|e| e.bad) && ex.iter().any(|e| !e.bad),
            "{id}: needs bad and good"
        );
        for e in ex {
            let path = PathBuf::from("/etc/php/8.2/fpm").join(&e.file);
            let mut fs = MemFs::new();
            fs.insert(&path, e.text.as_bytes());
            let mut map = SourceMap::new();
            let cfg = fpm::load(&fs, &mut map, &path, &LoadOptions::default());
            let found = fpm::check(&cfg, PhpVersion::NEWEST);
            let hit = found.iter().any(|f| f.rule == *id);
            assert_eq!(
                hit,
                e.bad,
                "{id}: {} example gave {:?}",
                if e.bad { "bad" } else { "good" },
                found
            );
            seen += 1;
        }
    }
    assert!(seen >= 22);
}
