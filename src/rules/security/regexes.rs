//! invalid-regex and regex-redos, run as one rule: both go through every
//! regex of the trees (a location, `if`, `rewrite`, … each) and parse each
//! distinct pattern. Finding the sites and parsing the patterns once for
//! both halves that work: in a large tree the sites' words are each a trip
//! to memory.

use crate::analysis::{RegexCache, regex_sites};
use crate::finding::Finding;
use crate::rules::security::{invalid_regex, regex_redos};
use crate::rules::{Check, Rule, ids};

pub struct Regexes;

impl Rule for Regexes {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::REGEX_REDOS, ids::INVALID_REGEX]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let mut cache = RegexCache::default();
        let sites = regex_sites(cx.model, &mut cache);
        regex_redos::check(&sites, out);
        invalid_regex::check(cx.model, &sites, out);
    }
}
