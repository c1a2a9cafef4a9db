//! `nginx-advisory`: the nginx version the configuration is judged for
//! (`--nginx-version`, or the one `--live` detects) has a published
//! security advisory, and the configuration uses the feature it needs (a
//! `resolver` for CVE-2021-23017, `mp4`, HTTP/2, HTTP/3, …). Without a
//! version, the newest stable release is assumed, which no advisory of the
//! table affects. One finding per advisory and tree, at the first
//! directive that uses the feature. An info: distributions backport fixes
//! without changing the version number (Debian's 1.18.0-6.1+deb11u3 has
//! the CVE-2021-23017 fix), so the version alone cannot prove the flaw.

use rustc_hash::FxHashMap;

use super::advisories::{ADVISORIES, Advisory, Feature};
use super::advisory_features::{NAMES, features};
use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::schema::Version;
use crate::rules::{Check, Rule, ids};

pub struct NginxAdvisory;

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
        // The first directive showing each feature, per unit (tree).
        let mut first: FxHashMap<(usize, Feature), &Directive> = FxHashMap::default();
        cx.model.visits.walk_named(NAMES, &mut |v| {
            for f in features(v) {
                first.entry((v.unit, f)).or_insert(v.directive);
            }
        });
        let mut units: Vec<usize> = first.keys().map(|k| k.0).collect();
        units.sort_unstable();
        units.dedup();
        for unit in units {
            for a in &open {
                let Some(d) = first.get(&(unit, a.feature)) else {
                    continue;
                };
                if a.also.iter().all(|f| first.contains_key(&(unit, *f))) {
                    out.push(advisory(d, a, version));
                }
            }
        }
    }
}

fn uses(f: Feature) -> &'static str {
    match f {
        Feature::Resolver => "uses a resolver",
        Feature::Mp4 => "serves files with the mp4 module",
        Feature::Http2 => "enables HTTP/2",
        Feature::Http3 => "enables HTTP/3",
        Feature::Http => "serves HTTP",
        Feature::MapRegex => "has a map with regular expressions",
        Feature::Slice => "uses slice or a cache background update",
        Feature::Ssi => "enables SSI",
        Feature::InvalidHeadersKept => "keeps invalid headers (ignore_invalid_headers off)",
        Feature::Http2Backend => "proxies to an HTTP/2 or gRPC backend",
        Feature::ProxyHttp2 => "proxies with HTTP/2 (proxy_http_version 2)",
        Feature::ProxySetBody => "uses proxy_set_body",
        Feature::CharsetMapUtf8 => "has a charset_map for UTF-8",
        Feature::RewriteOverlappingCaptures => {
            "has a rewrite with overlapping captures that adds arguments or redirects"
        }
        Feature::RewriteArgs => "has a rewrite that adds arguments",
        Feature::ScriptCapture => "reads an unnamed capture in set or if",
        Feature::ScgiUwsgi => "passes to SCGI or uwsgi",
        Feature::SslOcsp => "checks client certificates with ssl_ocsp",
        Feature::StreamOcsp => "checks client certificates with ssl_ocsp in stream",
        Feature::DavCopyMove => "allows WebDAV COPY or MOVE",
        Feature::Alias => "uses alias",
        Feature::MailChallengeAuth => "offers CRAM-MD5 or APOP mail authentication",
        Feature::MailResolver => "uses a resolver in mail",
        Feature::SmtpAuthNone => "allows smtp_auth none",
        Feature::UpstreamSsl => "connects to a backend over TLS",
        Feature::VerifyClient => "verifies client certificates",
    }
}

fn advisory(d: &Directive, a: &Advisory, version: Version) -> Finding {
    let fixed: Vec<String> = a.good.iter().map(|g| format!("{g}+")).collect();
    let mut what = uses(a.feature).to_string();
    for f in a.also {
        what.push_str(" and ");
        what.push_str(uses(*f));
    }
    Finding::info(
        ids::NGINX_ADVISORY,
        d.span,
        format!(
            "nginx {version} has {} ({}, {} severity), and this configuration {what}",
            a.cve, a.name, a.severity,
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
        // The six of 2024 and the address spoofing of 2026 (1.25.0-1.30.0).
        assert_eq!(at_1_25_3.len(), 7, "{at_1_25_3:?}");
        assert_eq!(cves(Version(1, 26, 1), QUIC), vec!["CVE-2026-40460"]);
        assert_eq!(cves(Version(1, 30, 1), QUIC), Vec::<String>::new());
    }

    #[test]
    fn the_default_version_has_no_advisory() {
        let conf = "events {}\nhttp { resolver 127.0.0.53; server { listen 80; mp4; } }\n";
        assert!(cves(Settings::default().nginx_version, conf).is_empty());
    }

    fn has(version: Version, conf: &str, cve: &str) -> bool {
        cves(version, conf).iter().any(|c| c == cve)
    }

    fn http(body: &str) -> String {
        format!("events {{}}\nhttp {{ server {{ listen 80; {body} }} }}\n")
    }

    #[test]
    fn rewrite_advisories_need_their_configurations() {
        let v = Version(1, 30, 0);
        // nginx commit 2046b45: arguments in the replacement, then $1 in set.
        let args = http("location / { rewrite ^(.*) /new?c=1; set $v $1; return 200 $v; }");
        assert!(has(v, &args, "CVE-2026-42945"));
        let named = http("location / { rewrite ^(?<p>.*) /new?c=1; set $v $p; }");
        assert!(!has(v, &named, "CVE-2026-42945"));
        // nginx commit ca4f92a: overlapping captures, no variable, redirect.
        let overlap = http("location / { rewrite ^/((.*))$ http://127.0.0.1:8080/$1$2 redirect; }");
        assert!(has(v, &overlap, "CVE-2026-9256"));
        let flat = http("location / { rewrite ^/(a)(.*)$ http://127.0.0.1:8080/$1$2 redirect; }");
        assert!(!has(v, &flat, "CVE-2026-9256"));
        let variable = http("location / { rewrite ^/((.*))$ $scheme://h/$1$2 redirect; }");
        assert!(!has(v, &variable, "CVE-2026-9256"));
        assert!(!has(Version(1, 30, 2), &overlap, "CVE-2026-9256"));
    }

    #[test]
    fn two_feature_advisories_need_both() {
        let v = Version(1, 30, 0);
        let both = http("ignore_invalid_headers off; location / { grpc_pass grpc://b:50051; }");
        assert!(has(v, &both, "CVE-2026-42055"));
        let one = http("location / { grpc_pass grpc://b:50051; }");
        assert!(!has(v, &one, "CVE-2026-42055"));
        let ocsp = http("ssl_verify_client on; ssl_ocsp on; resolver 127.0.0.53;");
        assert!(has(v, &ocsp, "CVE-2026-40701"));
        assert!(!has(
            v,
            &http("ssl_verify_client on; ssl_ocsp on;"),
            "CVE-2026-40701"
        ));
    }

    #[test]
    fn advisories_of_2025_and_2026_follow_their_features() {
        let v = Version(1, 26, 2);
        let mtls = http("ssl_verify_client on;");
        assert!(has(v, &mtls, "CVE-2025-23419"));
        assert!(!has(Version(1, 26, 3), &mtls, "CVE-2025-23419"));
        assert!(!has(v, &http("ssl_verify_client off;"), "CVE-2025-23419"));
        let smtp = "events {}\nmail { auth_http 127.0.0.1:9000/auth; server { listen 25; \
                    protocol smtp; smtp_auth none; } }\n";
        assert!(has(Version(1, 29, 0), smtp, "CVE-2025-53859"));
        assert!(!has(Version(1, 29, 1), smtp, "CVE-2025-53859"));
        let map =
            "events {}\nhttp { map $uri $m { ~^/(a) $1; default x; } server { listen 80; } }\n";
        assert!(has(Version(1, 30, 3), map, "CVE-2026-42533"));
        assert!(!has(Version(1, 30, 4), map, "CVE-2026-42533"));
        let tls = http("location / { proxy_pass https://b; }");
        assert!(has(Version(1, 28, 1), &tls, "CVE-2026-1642"));
        assert!(!has(
            Version(1, 28, 1),
            &http("location / { proxy_pass http://b; }"),
            "CVE-2026-1642"
        ));
    }
}
