//! nginx's security advisories, as nginx.org publishes them
//! (xml/en/security_advisories.xml in the nginx/nginx.org repository,
//! revision 0eeec32): the vulnerable version ranges, the fixed releases
//! ("good"), and the feature a configuration must use to be exposed. Only
//! advisories that name a feature a configuration shows are listed, plus
//! two in the core of the http module; the Windows-only ones, SPDY (removed
//! in 1.9.5) and those before 2011 are left out.

use crate::nginx::schema::Version;

/// What a configuration must use to be exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub feature: Feature,
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
        cve: "CVE-2024-7347",
        name: "Buffer overread in the ngx_http_mp4_module",
        severity: "low",
        vulnerable: &[(v(1, 5, 13), v(1, 27, 0))],
        good: &[v(1, 27, 1), v(1, 26, 2)],
        feature: Feature::Mp4,
    },
    Advisory {
        cve: "CVE-2024-32760",
        name: "Buffer overwrite in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2024-31079",
        name: "Stack overflow and use-after-free in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2024-35200",
        name: "NULL pointer dereference in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2024-34161",
        name: "Memory disclosure in HTTP/3",
        severity: "medium",
        vulnerable: HTTP3_2024,
        good: HTTP3_2024_GOOD,
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2024-24989",
        name: "NULL pointer dereference in HTTP/3",
        severity: "major",
        vulnerable: &[(v(1, 25, 3), v(1, 25, 3))],
        good: &[v(1, 25, 4)],
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2024-24990",
        name: "Use-after-free in HTTP/3",
        severity: "major",
        vulnerable: &[(v(1, 25, 0), v(1, 25, 3))],
        good: &[v(1, 25, 4)],
        feature: Feature::Http3,
    },
    Advisory {
        cve: "CVE-2022-41741",
        name: "Memory corruption in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: MP4_2022,
        good: &[v(1, 23, 2), v(1, 22, 1)],
        feature: Feature::Mp4,
    },
    Advisory {
        cve: "CVE-2022-41742",
        name: "Memory disclosure in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: MP4_2022,
        good: &[v(1, 23, 2), v(1, 22, 1)],
        feature: Feature::Mp4,
    },
    Advisory {
        cve: "CVE-2021-23017",
        name: "1-byte memory overwrite in resolver",
        severity: "medium",
        vulnerable: &[(v(0, 6, 18), v(1, 20, 0))],
        good: &[v(1, 21, 0), v(1, 20, 1)],
        feature: Feature::Resolver,
    },
    Advisory {
        cve: "CVE-2019-9511",
        name: "Excessive CPU usage in HTTP/2 with small window updates",
        severity: "medium",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
    },
    Advisory {
        cve: "CVE-2019-9513",
        name: "Excessive CPU usage in HTTP/2 with priority changes",
        severity: "low",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
    },
    Advisory {
        cve: "CVE-2019-9516",
        name: "Excessive memory usage in HTTP/2 with zero length headers",
        severity: "low",
        vulnerable: HTTP2_2019,
        good: HTTP2_2019_GOOD,
        feature: Feature::Http2,
    },
    Advisory {
        cve: "CVE-2018-16843",
        name: "Excessive memory usage in HTTP/2",
        severity: "low",
        vulnerable: HTTP2_2018,
        good: GOOD_2018,
        feature: Feature::Http2,
    },
    Advisory {
        cve: "CVE-2018-16844",
        name: "Excessive CPU usage in HTTP/2",
        severity: "low",
        vulnerable: HTTP2_2018,
        good: GOOD_2018,
        feature: Feature::Http2,
    },
    Advisory {
        cve: "CVE-2018-16845",
        name: "Memory disclosure in the ngx_http_mp4_module",
        severity: "medium",
        vulnerable: &[(v(1, 1, 3), v(1, 15, 5)), (v(1, 0, 7), v(1, 0, 15))],
        good: GOOD_2018,
        feature: Feature::Mp4,
    },
    Advisory {
        cve: "CVE-2017-7529",
        name: "Integer overflow in the range filter",
        severity: "medium",
        vulnerable: &[(v(0, 5, 6), v(1, 13, 2))],
        good: &[v(1, 13, 3), v(1, 12, 1)],
        feature: Feature::Http,
    },
    Advisory {
        cve: "CVE-2016-4450",
        name: "NULL pointer dereference while writing client request body",
        severity: "medium",
        vulnerable: &[(v(1, 3, 9), v(1, 11, 0))],
        good: &[v(1, 11, 1), v(1, 10, 1)],
        feature: Feature::Http,
    },
    Advisory {
        cve: "CVE-2016-0742",
        name: "Invalid pointer dereference in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
    },
    Advisory {
        cve: "CVE-2016-0746",
        name: "Use-after-free during CNAME response processing in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
    },
    Advisory {
        cve: "CVE-2016-0747",
        name: "Insufficient limits of CNAME resolution in resolver",
        severity: "medium",
        vulnerable: RESOLVER_2016,
        good: RESOLVER_2016_GOOD,
        feature: Feature::Resolver,
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
