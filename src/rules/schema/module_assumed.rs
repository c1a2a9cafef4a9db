//! `module-assumed`: a tree without any `load_module` uses a third-party
//! module's directives, so that module must be compiled into nginx. Said
//! once per module and tree, at the first use.

use rustc_hash::FxHashSet as HashSet;

use crate::finding::Finding;
use crate::nginx::context::Ctx;

use crate::model::walk::Visit;
use crate::rules::schema::Env;
use crate::rules::{WalkCheck, ids};

#[derive(Default)]
pub struct ModuleAssumed {
    seen: HashSet<(usize, &'static str)>,
}

impl ModuleAssumed {
    /// Check one directive (called by [`super::PerDirective`]'s walk).
    pub fn visit<'t>(
        &mut self,
        _cx: &WalkCheck<'t>,
        env: &Env<'t>,
        v: &Visit<'t, '_>,
        out: &mut Vec<Finding>,
    ) {
        if v.ctx == Ctx::Data {
            return;
        }
        let specs = v.specs;
        // Only when every spec of the name is third-party: a name nginx
        // itself has (`server`, `listen`) relies on no module.
        if specs.is_empty() || specs.iter().any(|s| s.third_party.is_none()) {
            return;
        }
        let Some(spec) = specs.iter().find(|s| env.availability(v.unit, s).is_ok()) else {
            return;
        };
        let (Some(group), Some(so)) = (spec.third_party, spec.dynamic_so) else {
            return;
        };
        let tree = env.modules.get(v.unit);
        if tree.is_some_and(|m| m.dynamic) || env.declared(spec) {
            return;
        }
        if !self.seen.insert((v.unit, group)) {
            return;
        }
        out.push(
            Finding::info(
                ids::MODULE_ASSUMED,
                v.directive.name.span,
                format!(
                    "this configuration relies on the third-party module {group} ({}) being compiled into nginx",
                    spec.module
                ),
            )
            .with_help(format!(
                "the tree has no load_module line, so nginx must be built with {group}; \
                 if it is a dynamic module, add `load_module modules/{so};` at the top of \
                 nginx.conf. `--module {group}` declares it available and silences this"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::{lint, lint_with};
    use crate::settings::Settings;

    #[test]
    fn once_per_module_and_tree() {
        let conf = "events {}\nhttp { brotli on; brotli_comp_level 5; server { more_set_headers 'A: b'; } }\n";
        let f = lint(ids::MODULE_ASSUMED, conf);
        assert_eq!(f.len(), 2, "{f:?}");
        let s = Settings {
            modules: vec![
                "brotli".into(),
                "ngx_http_headers_more_filter_module.so".into(),
            ],
            ..Settings::default()
        };
        assert!(lint_with(ids::MODULE_ASSUMED, conf, s).is_empty());
    }

    #[test]
    fn nginx_own_modules_are_not_reported() {
        let conf = "events {}\nstream { server { listen 1; proxy_pass 127.0.0.1:2; } }\n";
        assert!(lint(ids::MODULE_ASSUMED, conf).is_empty());
    }
}
