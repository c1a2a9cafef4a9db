//! The schema checks that look at one directive at a time, run in one walk:
//! unknown-directive, module-assumed, directive-context, directive-args and
//! directive-value. Each keeps its own file and state; sharing the walk
//! saves four passes over every directive of the run.

use crate::finding::Finding;
use crate::rules::schema::{
    Env, directive_args::DirectiveArgs, directive_context::DirectiveContext,
    directive_value::DirectiveValue, module_assumed::ModuleAssumed,
    unknown_directive::UnknownDirective,
};
use crate::rules::{WalkCheck, WalkRule, ids};

pub struct PerDirective;

impl WalkRule for PerDirective {
    fn ids(&self) -> &'static [&'static str] {
        &[
            ids::UNKNOWN_DIRECTIVE,
            ids::MODULE_ASSUMED,
            ids::DIRECTIVE_CONTEXT,
            ids::DIRECTIVE_ARGS,
            ids::DIRECTIVE_VALUE,
        ]
    }

    fn check(&self, cx: &WalkCheck<'_>, out: &mut Vec<Finding>) {
        check_walk(cx, out);
    }
}

fn check_walk(cx: &WalkCheck<'_>, out: &mut Vec<Finding>) {
    let env = Env::new(cx.loaded, cx.settings, cx.visits);
    let mut unknown = UnknownDirective;
    let mut assumed = ModuleAssumed::default();
    let mut context = DirectiveContext;
    let mut args = DirectiveArgs;
    let mut value = DirectiveValue::default();
    // A finding of these checks is at the directive checked, so in
    // pre-commit mode directives of files not reported are not judged.
    // Two checks still see them: module-assumed speaks at a module's
    // first use in the tree, and directive-value looks log formats up.
    let all = cx.loaded.report_only.is_none();
    cx.visits.walk(&mut |v| {
        if !all && !cx.loaded.reported(v.directive.span.file) {
            assumed.visit(cx, &env, v, out);
            value.remember(&env, v);
            return;
        }
        unknown.visit(cx, &env, v, out);
        assumed.visit(cx, &env, v, out);
        context.visit(cx, &env, v, out);
        args.visit(cx, &env, v, out);
        value.visit(cx, &env, v, out);
    });
}
