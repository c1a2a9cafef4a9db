//! `service-syntax`: a Compose, uWSGI or pm2 file in YAML that does not
//! parse. Its services are not read, so every target on them would be
//! judged without them: said once, at the line the parser stops.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ServiceSyntax;

impl Rule for ServiceSyntax {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::SERVICE_SYNTAX]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (span, message, provider) in crate::providers::unreadable(cx.loaded) {
            out.push(
                Finding::warning(
                    ids::SERVICE_SYNTAX,
                    span,
                    format!("this {provider} file is not valid YAML ({message}): its services are not read"),
                )
                .with_help(
                    "fix the YAML (`docker compose config` shows the same error for a Compose file); until then nginx-lint cannot tell what listens there",
                ),
            );
        }
    }
}
