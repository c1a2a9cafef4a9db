//! nginx's security advisories, as nginx.org publishes them
//! (xml/en/security_advisories.xml in the nginx/nginx.org repository,
//! revision 3924a7f of 2026-07-22): the vulnerable version ranges, the
//! fixed releases ("good"), and the features a configuration must use to be
//! exposed, read from the `type="security"` entries of nginx's own change
//! log (docs/xml/nginx/changes.xml in nginx/nginx, revision 3f6f782) and
//! the fixing commits. Only advisories that name a feature a configuration
//! shows are listed, plus two in the core of the http module; the
//! Windows-only ones, SPDY (removed in 1.9.5) and those before 2011 are
//! left out.

use crate::nginx::schema::Version;

/// What a configuration must use to be exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// A `resolver` directive.
    Resolver,
    /// The `mp4` directive (ngx_http_mp4_module).
    Mp4,
    /// HTTP/2: `listen ... http2` or `http2 on`.
    Http2,
    /// HTTP/3: `listen ... quic` or `http3 on`.
    Http3,
    /// An `http` block: the flaw is in code every http server runs.
    Http,
    /// A `map` with a regular expression key (`~`, `~*`).
    MapRegex,
    /// `slice`, or a `*_cache_background_update on`.
    Slice,
    /// `ssi on`.
    Ssi,
    /// `ignore_invalid_headers off`.
    InvalidHeadersKept,
    /// A request proxied to an HTTP/2 or gRPC backend: `grpc_pass`, or
    /// `proxy_http_version 2`.
    Http2Backend,
    /// `proxy_http_version 2` (ngx_http_proxy_v2_module, 1.29.4).
    ProxyHttp2,
    /// `proxy_set_body`.
    ProxySetBody,
    /// A `charset_map` that names UTF-8 (read back when decoding from it).
    CharsetMapUtf8,
    /// A `rewrite` whose regex has a capture inside a capture and whose
    /// replacement, free of variables, uses captures and adds arguments or
    /// redirects (the configurations of nginx commit ca4f92a).
    RewriteOverlappingCaptures,
    /// A `rewrite` whose replacement adds arguments (`?`).
    RewriteArgs,
    /// A `set` or `if` that reads an unnamed capture (`$1` … `$9`).
    ScriptCapture,
    /// `scgi_pass` or `uwsgi_pass`.
    ScgiUwsgi,
    /// `ssl_ocsp` (client certificate OCSP) in http.
    SslOcsp,
    /// `ssl_ocsp` in stream.
    StreamOcsp,
    /// `dav_methods` with `COPY` or `MOVE`.
    DavCopyMove,
    /// `alias`.
    Alias,
    /// A mail `*_auth` list with `cram-md5` or `apop`.
    MailChallengeAuth,
    /// A `resolver` in `mail` (PTR look-ups of clients).
    MailResolver,
    /// `smtp_auth` with `none`.
    SmtpAuthNone,
    /// TLS to a backend: `https://`, `grpcs://`, `suwsgi://`, `proxy_ssl on`.
    UpstreamSsl,
    /// `ssl_verify_client` other than `off`.
    VerifyClient,
}

pub struct Advisory {
    pub cve: &'static str,
    pub name: &'static str,
    /// nginx's own rating: low, medium or major.
    pub severity: &'static str,
    /// Inclusive ranges of vulnerable versions.
    pub vulnerable: &'static [(Version, Version)],
    /// The first fixed release of each branch (`1.26.2+`).
    pub good: &'static [Version],
    /// The feature reported at (its first directive in the tree).
    pub feature: Feature,
    /// Further features the flaw needs at once.
    pub also: &'static [Feature],
}

impl Advisory {
    /// Whether release `v` has the flaw.
    pub fn affects(&self, v: Version) -> bool {
        let in_range = self.vulnerable.iter().any(|&(lo, hi)| lo <= v && v <= hi);
        let fixed_branch = self
            .good
            .iter()
            .any(|g| g.0 == v.0 && g.1 == v.1 && v.2 >= g.2);
        in_range && !fixed_branch
    }
}

const fn v(a: u16, b: u16, c: u16) -> Version {
    Version(a, b, c)
}

const GOOD_2026_07: &[Version] = &[v(1, 31, 3), v(1, 30, 4)];
const GOOD_2026_06: &[Version] = &[v(1, 31, 2), v(1, 30, 3)];
const GOOD_2026_05: &[Version] = &[v(1, 31, 0), v(1, 30, 1)];
const GOOD_2026_03: &[Version] = &[v(1, 29, 7), v(1, 28, 3)];
const HTTP3_2024: &[(Version, Version)] = &[(v(1, 25, 0), v(1, 25, 5)), (v(1, 26, 0), v(1, 26, 0))];
const HTTP3_2024_GOOD: &[Version] = &[v(1, 27, 0), v(1, 26, 1)];
const MP4_2022: &[(Version, Version)] = &[(v(1, 1, 3), v(1, 23, 1)), (v(1, 0, 7), v(1, 0, 15))];
const HTTP2_2019: &[(Version, Version)] = &[(v(1, 9, 5), v(1, 17, 2))];
const HTTP2_2019_GOOD: &[Version] = &[v(1, 17, 3), v(1, 16, 1)];
const HTTP2_2018: &[(Version, Version)] = &[(v(1, 9, 5), v(1, 15, 5))];
const GOOD_2018: &[Version] = &[v(1, 15, 6), v(1, 14, 1)];
const RESOLVER_2016: &[(Version, Version)] = &[(v(0, 6, 18), v(1, 9, 9))];
const RESOLVER_2016_GOOD: &[Version] = &[v(1, 9, 10), v(1, 8, 1)];

pub const ADVISORIES: &[Advisory] = &[
    Advisory {
        cve: "CVE-2026-42533",
        name: "Buffer overflow when using map and regex",
        severity: "major",
        vulnerable: &[(v(0, 9, 6), v(1, 31, 2))],
        good: GOOD_2026_07,
        feature: Feature::MapRegex,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-60005",
        name: "Memory disclosure when using ngx_http_slice_module",
        severity: "medium",
        vulnerable: &[(v(1, 15, 8), v(1, 31, 2))],
        good: GOOD_2026_07,
        feature: Feature::Slice,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-56434",
        name: "Use-after-free when using ngx_http_ssi_module",
        severity: "medium",
        vulnerable: &[(v(0, 8, 11), v(1, 31, 2))],
        good: GOOD_2026_07,
        feature: Feature::Ssi,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-42530",
        name: "Use-after-free in HTTP/3",
        severity: "major",
        vulnerable: &[(v(1, 31, 0), v(1, 31, 1))],
        good: &[v(1, 31, 2)],
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-42055",
        name: "Buffer overflow in the ngx_http_proxy_v2_module and ngx_http_grpc_module",
        severity: "medium",
        vulnerable: &[(v(1, 13, 10), v(1, 31, 1))],
        good: GOOD_2026_06,
        feature: Feature::InvalidHeadersKept,
        also: &[Feature::Http2Backend],
    },
    Advisory {
        cve: "CVE-2026-48142",
        name: "Buffer overread in the ngx_http_charset_module",
        severity: "low",
        vulnerable: &[(v(0, 3, 50), v(1, 31, 1))],
        good: GOOD_2026_06,
        feature: Feature::CharsetMapUtf8,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-9256",
        name: "Buffer overflow in the ngx_http_rewrite_module",
        severity: "medium",
        vulnerable: &[(v(0, 1, 17), v(1, 31, 0))],
        good: &[v(1, 31, 1), v(1, 30, 2)],
        feature: Feature::RewriteOverlappingCaptures,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-42926",
        name: "HTTP/2 request injection in the ngx_http_proxy_module",
        severity: "medium",
        vulnerable: &[(v(1, 29, 4), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::ProxySetBody,
        also: &[Feature::ProxyHttp2],
    },
    Advisory {
        cve: "CVE-2026-42945",
        name: "Buffer overflow in the ngx_http_rewrite_module",
        severity: "medium",
        vulnerable: &[(v(0, 6, 27), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::RewriteArgs,
        also: &[Feature::ScriptCapture],
    },
    Advisory {
        cve: "CVE-2026-42946",
        name: "Buffer overread in the ngx_http_scgi_module and ngx_http_uwsgi_module",
        severity: "medium",
        vulnerable: &[(v(0, 8, 42), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::ScgiUwsgi,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-42934",
        name: "Buffer overread in the ngx_http_charset_module",
        severity: "low",
        vulnerable: &[(v(0, 3, 50), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::CharsetMapUtf8,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-40460",
        name: "HTTP/3 address spoofing",
        severity: "medium",
        vulnerable: &[(v(1, 25, 0), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-40701",
        name: "resolver use-after-free in OCSP",
        severity: "medium",
        vulnerable: &[(v(1, 19, 0), v(1, 30, 0))],
        good: GOOD_2026_05,
        feature: Feature::SslOcsp,
        also: &[Feature::Resolver],
    },
    Advisory {
        cve: "CVE-2026-27654",
        name: "Buffer overflow in ngx_http_dav_module",
        severity: "medium",
        vulnerable: &[(v(0, 5, 13), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::DavCopyMove,
        also: &[Feature::Alias],
    },
    Advisory {
        cve: "CVE-2026-27784",
        name: "Buffer overflow in the ngx_http_mp4_module (32-bit platforms)",
        severity: "medium",
        vulnerable: &[(v(1, 1, 19), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-32647",
        name: "Buffer overflow in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: &[(v(1, 1, 19), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-27651",
        name: "NULL pointer dereference while using CRAM-MD5 or APOP",
        severity: "low",
        vulnerable: &[(v(0, 5, 15), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::MailChallengeAuth,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-28753",
        name: "Injection in auth_http and XCLIENT",
        severity: "medium",
        vulnerable: &[(v(0, 6, 27), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::MailResolver,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-28755",
        name: "OCSP result bypass in stream",
        severity: "medium",
        vulnerable: &[(v(1, 27, 2), v(1, 29, 6))],
        good: GOOD_2026_03,
        feature: Feature::StreamOcsp,
        also: &[],
    },
    Advisory {
        cve: "CVE-2026-1642",
        name: "SSL upstream injection",
        severity: "medium",
        vulnerable: &[(v(1, 3, 0), v(1, 29, 4))],
        good: &[v(1, 29, 5), v(1, 28, 2)],
        feature: Feature::UpstreamSsl,
        also: &[],
    },
    Advisory {
        cve: "CVE-2025-53859",
        name: "Buffer overread in the ngx_mail_smtp_module",
        severity: "low",
        vulnerable: &[(v(0, 7, 22), v(1, 29, 0))],
        good: &[v(1, 29, 1)],
        feature: Feature::SmtpAuthNone,
        also: &[],
    },
    Advisory {
        cve: "CVE-2025-23419",
        name: "SSL session reuse vulnerability",
        severity: "medium",
        vulnerable: &[(v(1, 11, 4), v(1, 27, 3))],
        good: &[v(1, 27, 4), v(1, 26, 3)],
        feature: Feature::VerifyClient,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-7347",
        name: "Buffer overread in the ngx_http_mp4_module",
        severity: "low",
        vulnerable: &[(v(1, 5, 13), v(1, 27, 0))],
        good: &[v(1, 27, 1), v(1, 26, 2)],
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-32760",
        name: "Buffer overwrite in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-31079",
        name: "Stack overflow and use-after-free in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-35200",
        name: "NULL pointer dereference in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-34161",
        name: "Memory disclosure in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-24989",
        name: "NULL pointer dereference in HTTP/3",
        severity: "major",
        vulnerable: &[(v(1, 25, 3), v(1, 25, 3))],
        good: &[v(1, 25, 4)],
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2024-24990",
        name: "Use-after-free in HTTP/3",
        severity: "major",
        vulnerable: &[(v(1, 25, 0), v(1, 25, 3))],
        good: &[v(1, 25, 4)],
        feature: Feature::Http3,
        also: &[],
    },
    Advisory {
        cve: "CVE-2022-41741",
        name: "Memory corruption in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: MP4_2022,
        good: &[v(1, 23, 2), v(1, 22, 1)],
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2022-41742",
        name: "Memory disclosure in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: MP4_2022,
        good: &[v(1, 23, 2), v(1, 22, 1)],
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2021-23017",
        name: "1-byte memory overwrite in resolver",
        severity: "medium",
        vulnerable: &[(v(0, 6, 18), v(1, 20, 0))],
        good: &[v(1, 21, 0), v(1, 20, 1)],
        feature: Feature::Resolver,
        also: &[],
    },
    Advisory {
        cve: "CVE-2019-9511",
        name: "Excessive CPU usage in HTTP/2 with small window updates",
        severity: "medium",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
        also: &[],
    },
    Advisory {
        cve: "CVE-2019-9513",
        name: "Excessive CPU usage in HTTP/2 with priority changes",
        severity: "low",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
        also: &[],
    },
    Advisory {
        cve: "CVE-2019-9516",
        name: "Excessive memory usage in HTTP/2 with zero length headers",
        severity: "low",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
        also: &[],
    },
    Advisory {
        cve: "CVE-2018-16843",
        name: "Excessive memory usage in HTTP/2",
        severity: "low",
        vulnerable: HTTP2_2018,
        good: GOOD_2018,
        feature: Feature::Http2,
        also: &[],
    },
    Advisory {
        cve: "CVE-2018-16844",
        name: "Excessive CPU usage in HTTP/2",
        severity: "low",
        vulnerable: HTTP2_2018,
        good: GOOD_2018,
        feature: Feature::Http2,
        also: &[],
    },
    Advisory {
        cve: "CVE-2018-16845",
        name: "Memory disclosure in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: &[(v(1, 1, 3), v(1, 15, 5)), (v(1, 0, 7), v(1, 0, 15))],
        good: GOOD_2018,
        feature: Feature::Mp4,
        also: &[],
    },
    Advisory {
        cve: "CVE-2017-7529",
        name: "Integer overflow in the range filter",
        severity: "medium",
        vulnerable: &[(v(0, 5, 6), v(1, 13, 2))],
        good: &[v(1, 13, 3), v(1, 12, 1)],
        feature: Feature::Http,
        also: &[],
    },
    Advisory {
        cve: "CVE-2016-4450",
        name: "NULL pointer dereference while writing client request body",
        severity: "medium",
        vulnerable: &[(v(1, 3, 9), v(1, 11, 0))],
        good: &[v(1, 11, 1), v(1, 10, 1)],
        feature: Feature::Http,
        also: &[],
    },
    Advisory {
        cve: "CVE-2016-0742",
        name: "Invalid pointer dereference in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
        also: &[],
    },
    Advisory {
        cve: "CVE-2016-0746",
        name: "Use-after-free during CNAME response processing in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
        also: &[],
    },
    Advisory {
        cve: "CVE-2016-0747",
        name: "Insufficient limits of CNAME resolution in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
        also: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn find(cve: &str) -> &'static Advisory {
        ADVISORIES.iter().find(|a| a.cve == cve).expect("listed")
    }

    #[test]
    fn fixed_branches_are_not_affected() {
        let a = find("CVE-2021-23017");
        assert!(a.affects(v(1, 20, 0)));
        assert!(a.affects(v(1, 18, 0)));
        assert!(!a.affects(v(1, 20, 1)));
        assert!(!a.affects(v(1, 21, 0)));
        let mp4 = find("CVE-2024-7347");
        assert!(mp4.affects(v(1, 26, 1)));
        assert!(!mp4.affects(v(1, 26, 2)));
        assert!(!mp4.affects(v(1, 27, 1)));
        assert!(!mp4.affects(v(1, 5, 12)));
    }

    #[test]
    fn disjoint_ranges_are_each_vulnerable() {
        let a = find("CVE-2024-32760");
        assert!(a.affects(v(1, 25, 5)));
        assert!(a.affects(v(1, 26, 0)));
        assert!(!a.affects(v(1, 26, 1)));
        assert!(!a.affects(v(1, 24, 0)));
    }
}
