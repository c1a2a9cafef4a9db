//! The rule registry (generated from the pages in `rules/`) and the rules.

pub mod providers;
pub mod resolution;

use crate::finding::{Finding, Severity};
use crate::load::Loaded;
use crate::settings::Settings;

pub mod schema;

/// What a rule reads: the loaded trees (and later the resolved model) and
/// the run's settings. Rules never parse and never touch the file system.
pub struct Check<'a> {
    pub loaded: &'a Loaded,
    /// The resolved view of the nginx trees.
    pub model: &'a crate::model::Model<'a>,
    /// Targets ↔ listeners.
    pub resolver: &'a crate::resolve::Resolver,
    /// Users and groups (from /etc/passwd and /etc/group, under --root).
    pub users: &'a crate::resolve::users::Users,
    pub settings: &'a Settings,
}

/// A rule: a pure function of the analysis to findings. Its id, category,
/// severity and summary live in its page (`rules/<id>.md`).
pub trait Rule: Sync {
    /// The ids this rule reports (most rules report one).
    fn ids(&self) -> &'static [&'static str];
    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>);
}

/// Every rule that runs after loading. (Syntax and include findings come
/// from the parser and the include expansion themselves.)
pub fn all() -> Vec<&'static dyn Rule> {
    use resolution::*;
    use schema::*;
    vec![
        &unknown_directive::UnknownDirective,
        &module_assumed::ModuleAssumed,
        &directive_context::DirectiveContext,
        &directive_args::DirectiveArgs,
        &directive_value::DirectiveValue,
        &directive_duplicate::DirectiveDuplicate,
        &duplicate_location::DuplicateLocation,
        &duplicate_default_server::DuplicateDefaultServer,
        &duplicate_upstream::DuplicateUpstream,
        &upstream_undefined::UpstreamUndefined,
        &ssl_on_removed::SslOnRemoved,
        &http2_listen_deprecated::Http2ListenDeprecated,
        &upstream_no_listener::UpstreamNoListener,
        &socket_permission::SocketPermission,
        &listen_conflict::ListenConflict,
        &fastcgi_params_missing::FastcgiParamsMissing,
        &proxy_pass_variable_resolver::ProxyPassVariableResolver,
        &php_arbitrary_execution::PhpArbitraryExecution,
        &providers::proxy_timeout_mismatch::ProxyTimeoutMismatch,
        &providers::keepalive_backend::KeepaliveBackend,
        &providers::container_loopback_target::ContainerLoopbackTarget,
    ]
}

/// A rule's public identity and defaults.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub category: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's page (`rules/<id>.md`), as `explain` prints it.
    pub page: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/rule_registry.rs"));

/// The metadata of a rule id. O(log n) over a sorted static table.
pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    RULES
        .binary_search_by(|m| m.id.cmp(id))
        .ok()
        .map(|i| &RULES[i])
}

/// The ids closest to a misspelt one, best first.
pub fn nearest(id: &str, n: usize) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = RULES
        .iter()
        .map(|m| (crate::text::edit_distance(id, m.id), m.id))
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, id)| id).collect()
}

/// A rule page for a terminal: the front matter becomes a title line.
pub fn page_for_terminal(page: &str) -> String {
    let body = page
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|i| &rest[i + 5..]))
        .unwrap_or(page);
    let id = page
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or("");
    let summary = page
        .lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .unwrap_or("");
    format!("{id}: {summary}\n{}", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_known() {
        assert!(RULES.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(meta(ids::SYNTAX).map(|m| m.severity), Some(Severity::Error));
        assert!(meta("no-such-rule").is_none());
        assert_eq!(nearest("sintax", 1), vec!["syntax"]);
    }
}
