//! `add-header-multiline`: a header value written over several lines is
//! sent as an obsolete folded header, which many clients reject.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct AddHeaderMultiline;

impl Rule for AddHeaderMultiline {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ADD_HEADER_MULTILINE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&[
            "add_header",
            "add_trailer",
            "more_set_headers",
            "more_set_input_headers",
        ]) {
            let values: &[_] = match d.name() {
                "add_header" | "add_trailer" => d.args.get(1..2).unwrap_or(&[]),
                "more_set_headers" | "more_set_input_headers" => &d.args,
                _ => continue,
            };
            for w in values {
                if w.as_str().contains('\n') {
                    out.push(
                        Finding::warning(
                            ids::ADD_HEADER_MULTILINE,
                            w.span,
                            format!(
                                "`{}` value spans several lines: it is sent as an obsolete folded header (RFC 7230 §3.2.4) that many clients drop or reject",
                                d.name()
                            ),
                        )
                        .with_help("write the value on one line"),
                    );
                }
            }
        }
    }
}
