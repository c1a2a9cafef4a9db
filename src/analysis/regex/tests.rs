use super::*;
use std::time::Duration;

fn re(p: &str) -> Regex {
    Regex::parse(p, false)
}

#[test]
fn groups_and_names() {
    let r = re(r"^/(?<lang>[a-z]{2})/(.*)(?:x)(?=y)$");
    assert!(r.ok(), "{:?}", r.error);
    assert_eq!(r.groups.len(), 2);
    assert_eq!(r.group(1).and_then(|g| g.name.as_deref()), Some("lang"));
    assert!(r.named("lang").is_some());
    assert!(r.group(3).is_none());
    assert_eq!(re(r"(?P<a>x)(?'b'y)").groups.len(), 2);
    assert_eq!(re(r"\(not a group\)").groups.len(), 0);
    assert_eq!(re(r"[(]x[)]").groups.len(), 0);
    assert_eq!(re(r"\Q(x)\E").groups.len(), 0);
}

#[test]
fn line_feed_and_finite() {
    let r = re(r"^/v1/((?<action>[^.]*)\.json)?$");
    let g = r.named("action").map(|g| g.node).unwrap_or(0);
    assert!(r.can_match_lf(g));
    let r = re(r"^/test/(.*)");
    assert!(!r.can_match_lf(r.group(1).map_or(0, |g| g.node)));
    let r = re(r"(?s)^/test/(.*)");
    assert!(r.can_match_lf(r.group(1).map_or(0, |g| g.node)));
    let r = re(r"^/([^/\s]+)$");
    assert!(!r.can_match_lf(r.group(1).map_or(0, |g| g.node)));
    let r = re(r"^/(a|b)/(\W*)$");
    assert!(r.is_finite(r.group(1).map_or(0, |g| g.node)));
    assert!(!r.is_finite(r.group(2).map_or(0, |g| g.node)));
    assert!(r.can_match_lf(r.group(2).map_or(0, |g| g.node)));
}

#[test]
fn anchors() {
    assert!(re(r"^/a$").anchored_start());
    assert!(re(r"^/a$").anchored_end());
    assert!(re(r"(^/a|^/b)$").anchored_start());
    assert!(!re(r"\.php").anchored_start());
    assert!(!re(r"\.php").anchored_end());
    assert!(re(r"\.php$").anchored_end());
    assert!(re(r"^/foo|/bar").mixed_anchoring());
    assert!(!re(r"^/foo|^/bar").mixed_anchoring());
    assert!(re(r"\.php(?:$|/)").anchored_end() || !re(r"\.php(?:$|/)").anchored_end());
}

#[test]
fn errors() {
    for (p, msg) in [
        ("(abc", "missing closing parenthesis"),
        ("abc)", "unmatched closing parenthesis"),
        ("[abc", "missing terminating ]"),
        ("[z-a]", "range out of order"),
        ("*abc", "quantifier does not follow"),
        ("a{3,2}", "numbers out of order"),
        ("a{99999}", "number too big"),
        (r"(a)\2", "non-existent subpattern"),
        ("(?<n>a)(?<n>b)", "same name"),
        ("abc\\", "at end of pattern"),
        ("(?<1a>x)", "invalid group name"),
        ("[[:nope:]]", "POSIX"),
        ("a**", "quantifier does not follow"),
        ("a{2}{3}", "quantifier does not follow"),
        ("a*?*", "quantifier does not follow"),
        ("^*", "quantifier does not follow"),
        (r"\y", "unrecognized character"),
        (r"(?<=a+)b", "not fixed length"),
        (r"\k", "not followed by"),
    ] {
        let r = re(p);
        let e = r
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        assert!(e.contains(msg), "{p}: {e:?}");
    }
    for p in [
        r"^/(?<x>[^/]+)/?$",
        r"a{,3}",
        r"x{a}",
        r"[]a]",
        r"[^]a]",
        r"[a-]",
        r"(?i)abc",
        r"(?i:a)b",
        r"a*+b++c?+",
        r"a*?b+?",
        r"(?>a+)b",
        r"(?<=x)y(?<!z)",
        r"(*UTF8)x",
        r"(?#comment)x",
        r"\x{41}\x41\101\cA",
        r"\p{L}+\P{Lu}",
        r"(?x) a b # comment",
        r"(a)(?1)(?R)",
        r"(a)\g{1}\g-1\k<n>(?<n>x)",
        r"(?|(a)|(b))",
        r"(?(1)a|b)",
        r"^/\.well-known",
        r"(?<=ab|c)x",
        r"[\b\d-]",
    ] {
        let r = re(p);
        assert!(r.ok(), "{p}: {:?}", r.error);
    }
}

#[test]
fn redos() {
    for p in [
        r"(a+)+$",
        r"(a*)*b",
        r"^(\w+\s?)+$",
        r"(a|a)*c",
        r"(\w|\d)+$",
        r"(.*a)+x",
        r"^(?:\s*,\s*)+$",
        r"(x+x+)+y",
        r"^/(.+)+/foo",
        r"(a{1,5})+b",
    ] {
        assert!(re(p).redos().is_some(), "{p} should be reported");
    }
    for p in [
        r"^a+$",
        r"^/(?:[^/]+/)*[^/]+$",
        r"(\w+\s)+$",
        r"^(\d+\.){3}\d+$",
        r"(?>a+)+b",
        r"(a++)+b",
        r"(a+)++b",
        r"\.php$",
        r"^/(.*)/(.*)$",
        r"^(.+\.php)(/.+)$",
        r"(a|b)*c",
        r"(a|ab)*c",
        r"^/static/(version\d*/)?(.*)$",
        r"~$",
        r"(?:#.*#|\.(?:bak|conf|dist|fla|in[ci]|log|orig|psd|sh|sql|sw[op])|~)$",
    ] {
        assert!(re(p).redos().is_none(), "{p} should not be reported");
    }
}

/// CPU time of this thread: what the analysis itself costs, whatever else
/// the machine is doing (wall time failed under load from other builds).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

fn bounded(p: &str) {
    let start = thread_cpu();
    let r = Regex::parse(p, true);
    let _ = r.redos();
    let _ = r.anchored_start();
    let _ = r.anchored_end();
    let _ = r.mixed_anchoring();
    for g in 1..=r.groups.len() as u32 {
        if let Some(g) = r.group(g) {
            let _ = r.can_match_lf(g.node);
            let _ = r.is_finite(g.node);
        }
    }
    assert!(
        thread_cpu() - start < Duration::from_secs(3),
        "too slow on {} bytes",
        p.len()
    );
}

#[test]
fn hostile_inputs_are_bounded() {
    bounded(&"(".repeat(10_000));
    bounded(&")".repeat(10_000));
    bounded(&format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)));
    bounded(&format!("{}a{}", "(?:".repeat(200), ")+".repeat(200)));
    bounded(&"a*".repeat(500_000));
    bounded(&"(a|b)+".repeat(100_000));
    bounded(&"[".repeat(1 << 20));
    bounded(&"\\".repeat(1 << 20));
    bounded(&"x".repeat(1 << 20));
    bounded(&"(?:a+b?)+".repeat(50_000));
    bounded(&"{1,2}".repeat(100_000));
    bounded(&"(?i".repeat(100_000));
    let deep = re(&format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)));
    assert!(
        deep.error
            .is_some_and(|e| e.message.contains("deeply nested"))
    );
    let ok = re(&format!("{}a{}", "(".repeat(200), ")".repeat(200)));
    assert!(ok.ok());
}

#[test]
fn never_panics_on_any_short_input() {
    let alphabet: &[u8] = b"()[]{}|*+?.^$\\-:<>=!#'Pa1,dswk";
    let mut state: u64 = 0x1234_5678;
    for _ in 0..20_000 {
        let mut s = Vec::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 12) as usize;
        for i in 0..len {
            let k = ((state >> (i * 5)) % alphabet.len() as u64) as usize;
            s.push(alphabet[k]);
        }
        let p = String::from_utf8_lossy(&s).into_owned();
        let r = Regex::parse(&p, state & 1 == 0);
        let _ = r.redos();
        let _ = r.anchored_start();
        let _ = r.anchored_end();
        let _ = r.branches();
    }
}
