//! `compose-variable-unset`: a Compose value built from a `${VAR}` the
//! project does not set (no `.env` entry, no default) is unknown here: the
//! linter does not read the shell that runs `docker compose`. Said where
//! it hides what the resolver reads (a mount, an image, a command, a
//! port), and where a template of `.env` stood in for it.

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct ComposeVariableUnset;

impl Rule for ComposeVariableUnset {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::COMPOSE_VARIABLE_UNSET]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for n in &cx.resolver().network.notes {
            out.push(
                Finding::info(ids::COMPOSE_VARIABLE_UNSET, n.span, n.message.clone())
                    .with_help(n.help.clone()),
            );
        }
    }
}
