//! The schema checks that look at one block's directives at a time, run in
//! one pass over the blocks: directive-duplicate (its per-block part) and
//! duplicate-location. Each keeps its own file and state; sharing the pass
//! saves gathering every block's children twice.

use crate::finding::Finding;
use crate::rules::schema::{
    Env, directive_duplicate::DirectiveDuplicate, duplicate_location::DuplicateLocation,
};
use crate::rules::{Check, Rule, ids};

pub struct PerBlock;

impl Rule for PerBlock {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DIRECTIVE_DUPLICATE, ids::DUPLICATE_LOCATION]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let env = Env::new(cx.loaded, cx.settings, &cx.model.visits);
        let mut duplicate = DirectiveDuplicate::default();
        let mut location = DuplicateLocation::default();
        cx.model.visits.blocks(&mut |b| {
            duplicate.visit(&env, b, out);
            location.visit(b, out);
        });
        crate::rules::schema::directive_duplicate::across_blocks(cx, out);
    }
}
