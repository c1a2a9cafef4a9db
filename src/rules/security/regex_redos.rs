//! `regex-redos`: a regex that can backtrack exponentially (a loop whose
//! body can split the same text in several ways, like `(a+)+` or
//! `(\w+\s?)+`): one crafted request can pin a worker for seconds.

use crate::finding::Finding;
use crate::rules::security::{RegexCache, regex_sites};
use crate::rules::{Check, Rule, ids};

pub struct RegexRedos;

impl Rule for RegexRedos {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::REGEX_REDOS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut cache = RegexCache::default();
        for site in regex_sites(cx.model) {
            let re = cache.get(site.pattern, site.icase);
            let Some((lp, part)) = re.redos else {
                continue;
            };
            let lp_text = re.text(site.pattern, lp);
            let part_text = re.text(site.pattern, part);
            out.push(
                Finding::warning(
                    ids::REGEX_REDOS,
                    site.word.span,
                    format!("{} regex can backtrack exponentially: inside the repetition `{lp_text}`, `{part_text}` can match the same characters in more than one way, so a long non-matching input takes seconds per request", site.what),
                )
                .with_help("make the alternatives disjoint (`(\\w+\\s)+` instead of `(\\w+\\s?)+`), drop the outer quantifier, or make it possessive/atomic (`(?>…)`, `++`)"),
            );
        }
    }
}
