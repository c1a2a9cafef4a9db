//! The rule registry (generated from the pages in `rules/`) and the rules.

pub mod providers;
pub mod resolution;
pub mod security;

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
    pub visits: &'a crate::nginx::walk::Visits<'a>,
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
        &limits::rlimit_nofile::WorkerRlimitNofile,
        &limits::keepalive_http10::UpstreamKeepaliveHttp10,
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

/// A rule page for `explain`: on a terminal, light markdown rendering
/// (headings emphasised, code fences dropped and their code indented, the
/// example's verdict and file name as a label); piped, the plain page
/// ([`page_for_terminal`]).
pub fn render_page(page: &str, terminal: bool, color: bool) -> String {
    let plain = page_for_terminal(page);
    if !terminal {
        return plain;
    }
    let (bold, dim, cyan, red, green, reset) = if color {
        (
            "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[31m", "\x1b[32m", "\x1b[0m",
        )
    } else {
        ("", "", "", "", "", "")
    };
    let mut out = String::new();
    let mut lines = plain.lines();
    if let Some(title) = lines.next() {
        out.push_str(&format!("{bold}{title}{reset}\n"));
    }
    let mut in_code = false;
    for line in lines {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            if in_code {
                in_code = false;
                continue;
            }
            in_code = true;
            let words: Vec<&str> = info.split_whitespace().collect();
            let file = words.iter().find_map(|w| w.strip_prefix("file="));
            let verdict = if words.contains(&"bad") {
                format!("{red}✗ bad{reset}")
            } else if words.contains(&"good") {
                format!("{green}✓ good{reset}")
            } else {
                String::new()
            };
            let label = match (verdict.is_empty(), file) {
                (false, Some(f)) => format!("{verdict}  {dim}{f}{reset}"),
                (false, None) => verdict,
                (true, Some(f)) => format!("{dim}{f}{reset}"),
                (true, None) => String::new(),
            };
            if !label.is_empty() {
                out.push_str(&format!("  {label}\n"));
            }
            continue;
        }
        if in_code {
            out.push_str(&format!("    {cyan}{line}{reset}\n"));
        } else if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            out.push_str(&format!("{bold}{}{reset}\n", h.to_uppercase()));
        } else if color {
            out.push_str(&inline_markup(line, bold, cyan, reset));
            out.push('\n');
        } else {
            out.push_str(&line.replace("**", ""));
            out.push('\n');
        }
    }
    out
}

/// `code` and **bold** spans with terminal attributes.
fn inline_markup(line: &str, bold: &str, code: &str, reset: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    let mut in_bold = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
            out.push_str(if in_code { code } else { reset });
            rest = &rest[1..];
        } else if !in_code && rest.starts_with("**") {
            in_bold = !in_bold;
            out.push_str(if in_bold { bold } else { reset });
            rest = &rest[2..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if in_code || in_bold {
        out.push_str(reset);
    }
    out
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

    #[test]
    fn registry_is_sorted_and_known() {
        assert!(RULES.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(meta(ids::SYNTAX).map(|m| m.severity), Some(Severity::Error));
        assert!(meta("no-such-rule").is_none());
        assert_eq!(nearest("sintax", 1), vec!["syntax"]);
    }

    #[test]
    fn pages_render_for_a_terminal_and_stay_plain_when_piped() {
        let page = meta(ids::SYNTAX).map(|m| m.page).unwrap_or_default();
        let plain = render_page(page, false, false);
        assert!(plain.contains("```nginx"), "piped output is the markdown");
        let term = render_page(page, true, false);
        assert!(!term.contains("```"), "fences are dropped on a terminal");
        assert!(term.contains("WHAT IT FINDS"));
        assert!(term.contains("✗ bad"));
        assert!(term.lines().any(|l| l.starts_with("    ")));
        let colored = render_page(page, true, true);
        assert!(colored.contains("\x1b[1m"));
    }
}
