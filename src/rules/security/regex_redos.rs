//! `regex-redos`: a regex that can backtrack exponentially (a loop whose
//! body can split the same text in several ways, like `(a+)+` or
//! `(\w+\s?)+`): one crafted request can pin a worker for seconds.

use crate::analysis::RegexSite;
use crate::finding::Finding;
use crate::rules::ids;

/// regex-redos on the trees' regex sites (shared with invalid-regex, see
/// [`super::regexes`]).
pub fn check(sites: &[RegexSite<'_>], out: &mut Vec<Finding>) {
    for site in sites {
        let re = &site.parsed;
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
