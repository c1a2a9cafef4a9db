//! `nginx-advisory`: the nginx version the configuration is judged for
//! (`--nginx-version`, or the one `--live` detects) has a published
//! security advisory, and the configuration uses the feature it needs (a
//! `resolver` for CVE-2021-23017, `mp4`, HTTP/2, HTTP/3, …). Without a
//! version, the newest stable release is assumed, which no advisory of the
//! table affects. One finding per advisory and tree, at the first
//! directive that uses the feature. An info: distributions backport fixes
//! without changing the version number (Debian's 1.18.0-6.1+deb11u3 has
//! the CVE-2021-23017 fix), so the version alone cannot prove the flaw.

use rustc_hash::FxHashSet;

use super::advisories::{ADVISORIES, Advisory, Feature};
use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct NginxAdvisory;

/// The feature a directive shows, if any.
fn feature(v: &Visit<'_, '_>) -> Option<Feature> {
    let d = v.directive;
    if v.ctx == Ctx::Data {
        return None;
    }
    let has = |p: &str| d.args.iter().skip(1).any(|w| w.as_str() == p);
    let on = || d.arg(0) == Some("on");
    match d.name() {
        "resolver" => Some(Feature::Resolver),
        "mp4" => Some(Feature::Mp4),
        "http2" if on() => Some(Feature::Http2),
        "http3" if on() => Some(Feature::Http3),
        "listen" if v.ctx == Ctx::Server && has("quic") => Some(Feature::Http3),
        "listen" if v.ctx == Ctx::Server && has("http2") => Some(Feature::Http2),
        "http" if d.block.is_some() && v.ctx == Ctx::Main => Some(Feature::Http),
        _ => None,
    }
}

impl Rule for NginxAdvisory {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::NGINX_ADVISORY]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let version = cx.settings.nginx_version;
        let open: Vec<&Advisory> = ADVISORIES.iter().filter(|a| a.affects(version)).collect();
        if open.is_empty() {
            return;
        }
        // (unit, advisory) already reported.
        let mut seen: FxHashSet<(usize, &str)> = FxHashSet::default();
        let names = ["resolver", "mp4", "http2", "http3", "listen", "http"];
        cx.model.visits.walk_named(&names, &mut |v| {
            let Some(f) = feature(v) else { return };
            for a in open.iter().filter(|a| a.feature == f) {
                if seen.insert((v.unit, a.cve)) {
                    out.push(advisory(v.directive, a, version));
                }
            }
        });
    }
}

fn uses(f: Feature) -> &'static str {
    match f {
        Feature::Resolver => "uses a resolver",
        Feature::Mp4 => "serves files with the mp4 module",
        Feature::Http2 => "enables HTTP/2",
        Feature::Http3 => "enables HTTP/3",
        Feature::Http => "serves HTTP",
    }
}

fn advisory(d: &Directive, a: &Advisory, version: Version) -> Finding {
    let fixed: Vec<String> = a.good.iter().map(|g| format!("{g}+")).collect();
    Finding::info(
        ids::NGINX_ADVISORY,
        d.span,
        format!(
            "nginx {version} has {} ({}, {} severity), and this configuration {}",
            a.cve,
            a.name,
            a.severity,
            uses(a.feature)
        ),
    )
    .with_help(format!(
        "not vulnerable: {} (nginx.org/en/security_advisories.html); upgrade, or, if your \
         distribution's package carries the fix under the old version number, suppress this \
         with that reason; if nginx is not {version}, pass the right --nginx-version",
        fixed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use crate::nginx::schema::Version;
    use crate::rules::ids;
    use crate::rules::schema::lint_with;
    use crate::settings::Settings;

    fn cves(version: Version, conf: &str) -> Vec<String> {
        let settings = Settings {
            nginx_version: version,
            ..Settings::default()
        };
        let mut out: Vec<String> = lint_with(ids::NGINX_ADVISORY, conf, settings)
            .iter()
            .filter_map(|f| f.message.split_whitespace().nth(3).map(str::to_string))
            .collect();
        out.sort();
        out
    }

    const QUIC: &str = "events {}\nhttp { server { listen 443 quic reuseport; listen 443 ssl; \
                        ssl_certificate a.pem; ssl_certificate_key a.key; } }\n";

    #[test]
    fn http3_advisories_follow_the_version() {
        let at_1_25_3 = cves(Version(1, 25, 3), QUIC);
        assert!(
            at_1_25_3.contains(&"CVE-2024-24989".to_string()),
            "{at_1_25_3:?}"
        );
        assert_eq!(at_1_25_3.len(), 6, "{at_1_25_3:?}");
        assert_eq!(cves(Version(1, 26, 1), QUIC), Vec::<String>::new());
    }

    #[test]
    fn the_default_version_has_no_advisory() {
        let conf = "events {}\nhttp { resolver 127.0.0.53; server { listen 80; mp4; } }\n";
        assert!(cves(Settings::default().nginx_version, conf).is_empty());
    }
}
