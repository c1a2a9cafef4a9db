//! `hash-without-default`: a `map` with several entries and no `default`
//! yields an empty string for everything it does not list.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct HashWithoutDefault;

impl Rule for HashWithoutDefault {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HASH_WITHOUT_DEFAULT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["map"]) {
            if d.name() != "map" {
                continue;
            }
            let Some(b) = &d.block else { continue };
            let entries = b
                .children
                .iter()
                .filter(|e| !matches!(e.name(), "hostnames" | "volatile" | "include"))
                .count();
            let has_default = b.children.iter().any(|e| e.name() == "default");
            // One entry and no default is the "empty unless" idiom
            // (limit_req keys); includes may hold the default.
            if has_default || entries < 2 || b.children.iter().any(|e| e.name() == "include") {
                continue;
            }
            let var = d.arg(1).unwrap_or("");
            out.push(
                Finding::info(
                    ids::HASH_WITHOUT_DEFAULT,
                    d.span,
                    format!("map to `{var}` has no `default`: every value it does not list becomes an empty string"),
                )
                .with_help("add an explicit `default` (the least-privileged value)"),
            );
        }
    }
}
