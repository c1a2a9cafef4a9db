//! The rules: the `Rule` trait, what a rule reads, and the list of rules.
//! Their ids and metadata live in [`crate::registry`].

pub mod limits;
pub mod php_fpm;
pub mod resolution;
pub mod schema;
pub mod security;
pub mod tls;
pub mod util;

pub use crate::registry::{RULES, RuleMeta, ids, meta, nearest};

use std::sync::OnceLock;

use crate::finding::Finding;
use crate::loaded::Loaded;
use crate::resolve::Resolver;
use crate::settings::Settings;

/// What a rule reads: the loaded trees, the resolved model, the resolver
/// (targets ↔ listeners), the system's users and the run's settings.
pub struct Check<'a> {
    pub loaded: &'a Loaded,
    /// The resolved view of the nginx trees.
    pub model: &'a crate::model::Model<'a>,
    resolver: &'a OnceLock<Resolver>,
    /// Users and groups (from /etc/passwd and /etc/group, under --root).
    pub users: &'a crate::resolve::users::Users,
    pub settings: &'a Settings,
}

impl<'a> Check<'a> {
    /// A rule's view of a run. `resolver` may still be empty: the engine
    /// builds it beside the first rules and must set it, also when building
    /// fails, or [`Check::resolver`] waits forever.
    pub fn new(
        loaded: &'a Loaded,
        model: &'a crate::model::Model<'a>,
        resolver: &'a OnceLock<Resolver>,
        users: &'a crate::resolve::users::Users,
        settings: &'a Settings,
    ) -> Check<'a> {
        Check {
            loaded,
            model,
            resolver,
            users,
            settings,
        }
    }

    /// Targets ↔ listeners. The engine builds the resolver beside the
    /// rules (most never read it), so the first call may wait until it is
    /// ready.
    pub fn resolver(&self) -> &'a Resolver {
        self.resolver.wait()
    }

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

/// A rule: a pure function of the analysis to findings. Its id, category,
/// severity and summary live in its page (`rules/<id>.md`).
pub trait Rule: Sync {
    /// The ids this rule reports (most rules report one).
    fn ids(&self) -> &'static [&'static str];
    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>);
}

/// A rule that reads only the walk of the trees (every directive with its
/// context, includes expanded), the loaded files and the settings: the
/// engine starts it as soon as the walk is built, beside the rest of the
/// model.
pub trait WalkRule: Sync {
    fn ids(&self) -> &'static [&'static str];
    fn check(&self, cx: &WalkCheck<'_>, out: &mut Vec<Finding>);
}

/// The rules that read only the walk. Their findings come before those of
/// [`all`].
pub fn walk_rules() -> Vec<&'static dyn WalkRule> {
    vec![&schema::PerDirective]
}

/// Every rule that needs the model. (Syntax and include findings come
/// from the parser and the include expansion themselves; see also
/// [`walk_rules`].) The heaviest first: rules are handed to the cores in
/// this order.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
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
        &limits::proxy_timeout_mismatch::ProxyTimeoutMismatch,
        &limits::container_loopback_target::ContainerLoopbackTarget,
        &php_fpm::unknown_directive::FpmUnknownDirective,
        &php_fpm::invalid_value::FpmInvalidValue,
        &php_fpm::process_control_timeout::FpmProcessControlTimeout,
        &php_fpm::no_pool::FpmNoPool,
        &php_fpm::user_root::FpmUserRoot,
        &php_fpm::listen_missing::FpmListenMissing,
        &php_fpm::listen_exposed::FpmListenExposed,
        &php_fpm::pm_config::FpmPmConfig,
        &php_fpm::limit_extensions::FpmLimitExtensions,
        &schema::zone_undefined::ZoneUndefined,
        &security::return_bypasses_access::ReturnBypassesAccess,
        &schema::load_module_missing::LoadModuleMissing,
        &resolution::dns_resolved_once::DnsResolvedOnce,
        &limits::upload_size_mismatch::UploadSizeMismatch,
        &resolution::proxy_self_loop::ProxySelfLoop,
        &resolution::backend_protocol_mismatch::BackendProtocolMismatch,
        &resolution::server_name_conflict::ServerNameConflict,
        &resolution::location_unreachable::LocationUnreachable,
        &schema::service_syntax::ServiceSyntax,
        &security::proxy_set_header_redefinition::ProxySetHeaderRedefinition,
        &security::nginx_advisory::NginxAdvisory,
        &limits::keepalive_requests_low::KeepaliveRequestsLow,
        &limits::worker_processes_one::WorkerProcessesOne,
        &limits::regex_exact_match::RegexExactMatch,
        &security::proxy_pass_uri_normalized::ProxyPassUriNormalized,
        &resolution::compose_variable_unset::ComposeVariableUnset,
        &resolution::compose_profile_target::ComposeProfileTarget,
        &tls::ssl_reject_handshake_bypass::SslRejectHandshakeBypass,
        &schema::variable_unknown::VariableUnknown,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id in the registry is reported by exactly one rule of `all()`
    /// or by the engine, and no rule reports an id without a page.
    #[test]
    fn every_id_has_one_owner() {
        let mut owners: std::collections::BTreeMap<&str, usize> =
            RULES.iter().map(|m| (m.id, 0)).collect();
        let (rules, walk_rules) = (all(), walk_rules());
        let owned = rules
            .iter()
            .flat_map(|r| r.ids().iter())
            .chain(walk_rules.iter().flat_map(|r| r.ids().iter()))
            .chain(crate::registry::ENGINE);
        for id in owned {
            let n = owners.get_mut(id);
            assert!(n.is_some(), "`{id}` has no page in rules/");
            if let Some(n) = n {
                *n += 1;
            }
        }
        let wrong: Vec<_> = owners.iter().filter(|(_, n)| **n != 1).collect();
        assert!(wrong.is_empty(), "ids not owned exactly once: {wrong:?}");
    }
}
