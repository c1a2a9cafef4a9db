//! tls-upstream-verify: TLS to a backend without checking its certificate.

use crate::finding::Finding;
use crate::model::TargetKind;
use crate::nginx::ast::Directive;
use crate::rules::util::effective_flag;
use crate::rules::{Check, Rule, ids};

pub struct TlsUpstreamVerify;

impl Rule for TlsUpstreamVerify {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_UPSTREAM_VERIFY]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        if !m
            .targets
            .iter()
            .any(|t| t.tls || t.kind == TargetKind::StreamProxy)
        {
            return;
        }
        // Explicit `*_ssl_verify off` lines already reported.
        // A set, not a list searched per finding (a tree with a `verify
        // off` line per site had as many findings as sites).
        let mut reported: rustc_hash::FxHashSet<*const Directive> = Default::default();
        for t in &m.targets {
            let prefix = match t.kind {
                TargetKind::Proxy | TargetKind::StreamProxy => "proxy",
                TargetKind::Grpc => "grpc",
                TargetKind::Uwsgi => "uwsgi",
                _ => continue,
            };
            let tls = t.tls
                || (t.kind == TargetKind::StreamProxy
                    && effective_flag(m, t.scope, "proxy_ssl") == Some(true));
            if !tls {
                continue;
            }
            let verify = format!("{prefix}_ssl_verify");
            let help = format!(
                "set `{verify} on;` with `{prefix}_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;` (and `{prefix}_ssl_name`/`{prefix}_ssl_server_name on;` when the backend's certificate names another host): unverified, anyone on the path to the backend can impersonate it and read the traffic"
            );
            match m.effective_one(t.scope, &verify) {
                Some(d) if d.arg(0).is_some_and(|v| v.eq_ignore_ascii_case("on")) => {}
                Some(d) => {
                    if !reported.insert(d as *const Directive) {
                        continue;
                    }
                    out.push(
                        Finding::warning(
                            ids::TLS_UPSTREAM_VERIFY,
                            d.span,
                            format!(
                                "{verify} off: the certificates of TLS backends are not checked"
                            ),
                        )
                        .with_related(t.directive.span, "TLS to this backend")
                        .with_help(help),
                    );
                }
                // Unset in a file nothing includes: the http block it is
                // deployed in may turn verification on.
                None if crate::rules::util::parent_unknown(cx, t.scope) => {}
                None => out.push(
                    Finding::warning(
                        ids::TLS_UPSTREAM_VERIFY,
                        t.directive.span,
                        format!(
                            "{} {} without {verify} on: the backend's certificate is never checked",
                            t.directive.name(),
                            t.directive.arg(0).unwrap_or("")
                        ),
                    )
                    .with_help(help),
                ),
            }
        }
    }
}
