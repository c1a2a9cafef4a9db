//! `error-log-off`: `error_log off;` does not disable logging, it logs to
//! a file named `off` in nginx's prefix.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ErrorLogOff;

impl Rule for ErrorLogOff {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::ERROR_LOG_OFF]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["error_log"]) {
            if d.name() == "error_log"
                && let Some(a) = d.args.first()
                && a.as_str() == "off"
            {
                out.push(
                    Finding::warning(
                        ids::ERROR_LOG_OFF,
                        a.span,
                        "`error_log off` writes the error log to a file named `off` (in nginx's prefix), it does not turn logging off",
                    )
                    .with_help("to discard the log, use `error_log /dev/null crit;`"),
                );
            }
        }
    }
}
