//! Security rules: parity with the gixy family, decided from data flow
//! (`analysis::taint`) and a real parse of each regex (`analysis::regex`).

pub mod add_header_content_type;
pub mod add_header_multiline;
pub mod add_header_redefinition;
pub mod advisories;
pub mod advisory_features;
pub mod alias_traversal;
pub mod allow_without_deny;
pub mod default_server_missing;
pub mod error_log_off;
pub mod filesystem_root_exposure;
pub mod hash_without_default;
pub mod host_spoofing;
pub mod http_splitting;
pub mod if_is_evil;
pub mod invalid_regex;
pub mod nginx_advisory;
pub mod origins;
pub mod proxy_buffering_off;
pub mod proxy_pass_uri_normalized;
pub mod proxy_set_header_redefinition;
pub mod regex_redos;
pub mod regexes;
pub mod resolver_external;
pub mod return_bypasses_access;
pub mod ssrf;
pub mod status_page_exposed;
pub mod unanchored_regex;
pub mod valid_referers;
pub mod version_disclosure;

/// Response headers whose loss weakens a site's defences.
pub const SECURITY_HEADERS: &[&str] = &[
    "strict-transport-security",
    "content-security-policy",
    "content-security-policy-report-only",
    "x-frame-options",
    "x-content-type-options",
    "permissions-policy",
    "referrer-policy",
    "cross-origin-embedder-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "x-xss-protection",
    "x-permitted-cross-domain-policies",
];

pub fn is_security_header(name: &str) -> bool {
    SECURITY_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}
