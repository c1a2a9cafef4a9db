//! `valid-referers`: `none` in `valid_referers` accepts requests without a
//! Referer, which any page can produce.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ValidReferers;

impl Rule for ValidReferers {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::VALID_REFERERS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["valid_referers"]) {
            if d.name() != "valid_referers" {
                continue;
            }
            if let Some(w) = d.args.iter().find(|w| w.as_str() == "none") {
                out.push(
                    Finding::warning(
                        ids::VALID_REFERERS,
                        w.span,
                        "`none` accepts requests with no Referer header, and any site can make a browser send one without it (Referrer-Policy: no-referrer, a data: or https→http link): the check is bypassed",
                    )
                    .with_help("drop `none` when the check protects anything that matters; for hotlink protection of images it is an accepted trade-off"),
                );
            }
        }
    }
}
