//! The rule registry (generated from the pages in `rules/`) and the rules.

use crate::finding::{Finding, Severity};
use crate::load::Loaded;
use crate::settings::Settings;

pub mod limits;
pub mod schema;
pub mod tls;
pub mod util;

/// What a rule reads: the loaded trees (and later the resolved model) and
/// the run's settings. Rules never parse and never touch the file system.
pub struct Check<'a> {
    pub loaded: &'a Loaded,
    /// The resolved view of the nginx trees.
    pub model: &'a crate::model::Model<'a>,
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
        &tls::protocols::TlsProtocols,
        &tls::ciphers::TlsCiphers,
        &tls::missing_certificate::TlsMissingCertificate,
        &tls::listen_without_ssl::TlsListenWithoutSsl,
        &tls::upstream_verify::TlsUpstreamVerify,
        &tls::certificate_file::TlsCertificateFile,
        &tls::hsts_missing::HstsMissing,
        &limits::rlimit_nofile::WorkerRlimitNofile,
        &limits::keepalive_http10::UpstreamKeepaliveHttp10,
        &limits::timeout_zero::TimeoutZero,
        &limits::connect_timeout_cap::ConnectTimeoutCap,
        &limits::fastcgi_timeout_mismatch::FastcgiTimeoutMismatch,
        &limits::keepalive_timeout_order::KeepaliveTimeoutOrder,
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
