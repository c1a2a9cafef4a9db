//! The rules: the `Rule` trait, what a rule reads, and the list of rules.
//! Their ids and metadata live in [`crate::registry`].

pub mod limits;
pub mod providers;
pub mod resolution;
pub mod schema;
pub mod security;
pub mod tls;
pub mod util;

pub use crate::registry::{RULES, RuleMeta, ids, meta, nearest};

use crate::finding::Finding;
use crate::loaded::Loaded;
use crate::settings::Settings;

/// What a rule reads: the loaded trees (and later the resolved model) and
/// the run's settings. Rules never parse and never touch the file system.
pub struct Check<'a> {
    pub loaded: &'a Loaded,
    /// The resolved view of the nginx trees.
    pub model: &'a crate::model::Model<'a>,
    /// Targets ↔ listeners (built beside the first rules: reading it may
    /// wait for it).
    pub resolver: crate::pending::Pending<'a, crate::resolve::Resolver>,
    /// Users and groups (from /etc/passwd and /etc/group, under --root).
    pub users: &'a crate::resolve::users::Users,
    pub settings: &'a Settings,
}

impl<'a> Check<'a> {
    /// What of it a rule reading only the walk gets.
    pub fn walk(&self) -> WalkCheck<'a> {
        WalkCheck {
            loaded: self.loaded,
            visits: &self.model.visits,
            settings: self.settings,
        }
    }
}

/// What a rule that reads only the walk of the trees needs: it can run as
/// soon as the walk is built, beside the rest of the model.
#[derive(Clone, Copy)]
pub struct WalkCheck<'a> {
    pub loaded: &'a Loaded,
    pub visits: &'a crate::model::walk::Visits<'a>,
    pub settings: &'a Settings,
}

/// A check of a rule that reads only the walk (see [`Rule::walk_check`]).
pub type WalkCheckFn = fn(&WalkCheck<'_>, &mut Vec<Finding>);

/// A rule: a pure function of the analysis to findings. Its id, category,
/// severity and summary live in its page (`rules/<id>.md`).
pub trait Rule: Sync {
    /// The ids this rule reports (most rules report one).
    fn ids(&self) -> &'static [&'static str];
    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>);
    /// For a rule that reads only the walk, the loaded files and the
    /// settings: its check, which a run starts as soon as the walk is
    /// built (its `check` must give the same findings).
    fn walk_check(&self) -> Option<WalkCheckFn> {
        None
    }
}

/// Every rule that runs after loading. (Syntax and include findings come
/// from the parser and the include expansion themselves.) The heaviest
/// first: rules are handed to the cores in this order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &schema::PerDirective,
        &schema::PerBlock,
        &security::regexes::Regexes,
        &schema::duplicate_default_server::DuplicateDefaultServer,
        &schema::duplicate_upstream::DuplicateUpstream,
        &schema::upstream_undefined::UpstreamUndefined,
        &schema::ssl_on_removed::SslOnRemoved,
        &schema::http2_listen_deprecated::Http2ListenDeprecated,
        &resolution::upstream_no_listener::UpstreamNoListener,
        &resolution::socket_permission::SocketPermission,
        &resolution::listen_conflict::ListenConflict,
        &resolution::fastcgi_params_missing::FastcgiParamsMissing,
        &resolution::proxy_pass_variable_resolver::ProxyPassVariableResolver,
        &resolution::php_arbitrary_execution::PhpArbitraryExecution,
        &tls::protocols::TlsProtocols,
        &tls::ciphers::TlsCiphers,
        &tls::missing_certificate::TlsMissingCertificate,
        &tls::listen_without_ssl::TlsListenWithoutSsl,
        &tls::upstream_verify::TlsUpstreamVerify,
        &tls::certificate_file::TlsCertificateFile,
        &tls::hsts_missing::HstsMissing,
        &limits::worker_rlimit_nofile::WorkerRlimitNofile,
        &limits::upstream_keepalive_http10::UpstreamKeepaliveHttp10,
        &limits::timeout_zero::TimeoutZero,
        &limits::connect_timeout_cap::ConnectTimeoutCap,
        &limits::fastcgi_timeout_mismatch::FastcgiTimeoutMismatch,
        &limits::keepalive_timeout_order::KeepaliveTimeoutOrder,
        &security::version_disclosure::VersionDisclosure,
        &security::ssrf::Ssrf,
        &security::http_splitting::HttpSplitting,
        &security::host_spoofing::HostSpoofing,
        &security::origins::Origins,
        &security::valid_referers::ValidReferers,
        &security::add_header_redefinition::AddHeaderRedefinition,
        &security::add_header_multiline::AddHeaderMultiline,
        &security::add_header_content_type::AddHeaderContentType,
        &security::alias_traversal::AliasTraversal,
        &security::if_is_evil::IfIsEvil,
        &security::resolver_external::ResolverExternal,
        &security::allow_without_deny::AllowWithoutDeny,
        &security::unanchored_regex::UnanchoredRegex,
        &security::error_log_off::ErrorLogOff,
        &security::default_server_missing::DefaultServerMissing,
        &security::proxy_buffering_off::ProxyBufferingOff,
        &security::filesystem_root_exposure::FilesystemRootExposure,
        &security::status_page_exposed::StatusPageExposed,
        &security::hash_without_default::HashWithoutDefault,
        &providers::proxy_timeout_mismatch::ProxyTimeoutMismatch,
        &providers::keepalive_backend::KeepaliveBackend,
        &providers::container_loopback_target::ContainerLoopbackTarget,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run starts a rule's walk check early instead of its check: both
    /// must find the same, on trees with findings of those rules.
    #[test]
    fn walk_checks_find_what_checks_find() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut compared = 0;
        for dir in ["realworld", "scenarios", "stacks"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for tree in entries.flatten() {
                let inputs = crate::Inputs {
                    paths: vec![tree.path()],
                    no_discover: true,
                    ..Default::default()
                };
                let Ok(loaded) = crate::load::load(&inputs) else {
                    continue;
                };
                let model = crate::model::Model::build(&loaded);
                let resolver = std::sync::OnceLock::new();
                let _ = resolver.set(crate::resolve::Resolver::build(&loaded, &model));
                let users = crate::resolve::users::Users::default();
                let settings = Settings::default();
                let cx = Check {
                    loaded: &loaded,
                    model: &model,
                    resolver: crate::pending::Pending::new(&resolver),
                    users: &users,
                    settings: &settings,
                };
                for rule in all() {
                    let Some(walk) = rule.walk_check() else {
                        continue;
                    };
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    rule.check(&cx, &mut a);
                    walk(&cx.walk(), &mut b);
                    assert_eq!(a, b, "{:?} on {}", rule.ids(), tree.path().display());
                    compared += a.len();
                }
            }
        }
        assert!(compared > 0, "no findings of walk-only rules to compare");
    }
}
