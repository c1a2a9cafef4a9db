//! tls-ciphers: OpenSSL cipher strings evaluated the way OpenSSL does
//! (aliases, `!`/`-`/`+`, `A+B`), then judged: weak suites are a warning,
//! suites merely outside the selected Mozilla profile are info.

use super::cipher_table::SUITES;
use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::nginx::lexer::Word;
use crate::rules::{Check, Rule, ids};
use crate::settings::TlsProfile;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kx {
    Rsa,
    Dhe,
    Ecdhe,
    Psk,
    RsaPsk,
    DhePsk,
    EcdhePsk,
    Srp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Au {
    Rsa,
    Ecdsa,
    Dss,
    Anon,
    Psk,
    Srp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    AesGcm,
    AesCcm,
    AesCcm8,
    AesCbc,
    Chacha20,
    Camellia,
    AriaGcm,
    TripleDes,
    Des,
    Rc4,
    Rc2,
    Idea,
    Seed,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mac {
    Aead,
    Sha1,
    Sha256,
    Sha384,
    Md5,
}

/// The lowest protocol version a suite works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinVer {
    Ssl3,
    Tls10,
    Tls12,
}

/// A TLS 1.2-and-older cipher suite with OpenSSL's name.
#[derive(Debug)]
pub struct Suite {
    pub name: &'static str,
    pub min: MinVer,
    pub kx: Kx,
    pub au: Au,
    pub enc: Enc,
    pub bits: u16,
    pub mac: Mac,
    pub export: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strength {
    High,
    Medium,
    Low,
    Export,
    None,
}

impl Suite {
    /// OpenSSL 1.1.0 and later's classes (3DES moved from HIGH to MEDIUM).
    fn strength(&self) -> Strength {
        if self.export {
            return Strength::Export;
        }
        match self.enc {
            Enc::Null => Strength::None,
            Enc::Des | Enc::Rc2 => Strength::Low,
            Enc::TripleDes | Enc::Rc4 | Enc::Idea | Enc::Seed => Strength::Medium,
            _ => Strength::High,
        }
    }

    fn is_aes(&self) -> bool {
        matches!(
            self.enc,
            Enc::AesGcm | Enc::AesCcm | Enc::AesCcm8 | Enc::AesCbc
        )
    }

    fn is_cbc(&self) -> bool {
        matches!(
            self.enc,
            Enc::Des
                | Enc::TripleDes
                | Enc::Rc2
                | Enc::Idea
                | Enc::AesCbc
                | Enc::Camellia
                | Enc::Seed
        )
    }

    /// Why the suite is weak, if it is.
    fn weakness(&self) -> Option<Weak> {
        Some(if self.enc == Enc::Null {
            Weak::Null
        } else if self.export {
            Weak::Export
        } else if self.au == Au::Anon {
            Weak::Anon
        } else if self.enc == Enc::Rc4 {
            Weak::Rc4
        } else if self.enc == Enc::Des {
            Weak::Des
        } else if self.enc == Enc::TripleDes {
            Weak::TripleDes
        } else if matches!(self.enc, Enc::Rc2 | Enc::Idea) {
            Weak::Block64
        } else if self.mac == Mac::Md5 {
            Weak::Md5
        } else {
            return None;
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Weak {
    Null,
    Export,
    Anon,
    Rc4,
    Des,
    TripleDes,
    Block64,
    Md5,
}

impl Weak {
    fn label(self) -> &'static str {
        match self {
            Weak::Null => "NULL (no encryption)",
            Weak::Export => "EXPORT (40/56-bit keys)",
            Weak::Anon => "anonymous (no authentication: add !aNULL)",
            Weak::Rc4 => "RC4",
            Weak::Des => "DES",
            Weak::TripleDes => "3DES (Sweet32)",
            Weak::Block64 => "64-bit block ciphers (IDEA, RC2)",
            Weak::Md5 => "MD5",
        }
    }
}

/// Mozilla server-side TLS guideline 6.0, intermediate: the TLS 1.2 suites
/// (modern is TLS 1.3 only and lists none).
pub const INTERMEDIATE: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

/// What `ssl_ciphers` should say under the intermediate profile.
pub const INTERMEDIATE_STRING: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

const WORDS: usize = 4;
const _: () = assert!(SUITES_LEN_MAX >= 186);
const SUITES_LEN_MAX: usize = WORDS * 64;

/// A set of suites (indexes into [`SUITES`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Set([u64; WORDS]);

impl Set {
    fn matching(pred: impl Fn(&Suite) -> bool) -> Set {
        let mut s = Set::default();
        for (i, suite) in SUITES.iter().enumerate().take(SUITES_LEN_MAX) {
            if pred(suite) {
                s.0[i / 64] |= 1 << (i % 64);
            }
        }
        s
    }
    fn and(self, o: Set) -> Set {
        let mut r = self;
        for (a, b) in r.0.iter_mut().zip(o.0) {
            *a &= b;
        }
        r
    }
    fn or(self, o: Set) -> Set {
        let mut r = self;
        for (a, b) in r.0.iter_mut().zip(o.0) {
            *a |= b;
        }
        r
    }
    fn minus(self, o: Set) -> Set {
        let mut r = self;
        for (a, b) in r.0.iter_mut().zip(o.0) {
            *a &= !b;
        }
        r
    }
    pub fn contains(&self, i: usize) -> bool {
        i < SUITES_LEN_MAX && self.0[i / 64] & (1 << (i % 64)) != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    /// The suites in the set, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &'static Suite)> + '_ {
        SUITES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.contains(*i))
    }
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(|(_, s)| s.name).collect()
    }
}

/// OpenSSL 1.0.2 names of suites that 1.1.0 renamed.
const RENAMED: &[(&str, &str)] = &[
    ("EDH-RSA-DES-CBC3-SHA", "DHE-RSA-DES-CBC3-SHA"),
    ("EDH-DSS-DES-CBC3-SHA", "DHE-DSS-DES-CBC3-SHA"),
];

/// The suites one alias or suite name stands for; None when OpenSSL does
/// not know the word (it then matches nothing).
fn alias(word: &str) -> Option<Set> {
    use Au as A;
    use Enc as E;
    use Kx as K;
    let s = |p: fn(&Suite) -> bool| Some(Set::matching(p));
    match word {
        "ALL" => s(|c| c.enc != E::Null),
        "COMPLEMENTOFALL" | "eNULL" | "NULL" => s(|c| c.enc == E::Null),
        "COMPLEMENTOFDEFAULT" => s(|c| c.enc != E::Null && (c.au == A::Anon || c.enc == E::Rc4)),
        // ALL:!COMPLEMENTOFDEFAULT:!eNULL; OpenSSL 1.0.2 also left out
        // EXPORT and LOW, which later versions do not build.
        "DEFAULT" => s(|c| {
            c.enc != E::Null
                && c.au != A::Anon
                && c.enc != E::Rc4
                && !matches!(c.strength(), Strength::Export | Strength::Low)
        }),
        "HIGH" => s(|c| c.strength() == Strength::High),
        "MEDIUM" => s(|c| c.strength() == Strength::Medium),
        "LOW" => s(|c| c.strength() == Strength::Low),
        "EXPORT" | "EXP" => s(|c| c.export),
        "EXPORT40" => s(|c| c.export && c.bits == 40),
        "EXPORT56" => s(|c| c.export && c.bits == 56),
        "aNULL" => s(|c| c.au == A::Anon),
        "kRSA" | "RSA" => s(|c| c.kx == K::Rsa),
        "aRSA" => s(|c| c.au == A::Rsa),
        "kDHE" | "kEDH" | "DH" => s(|c| c.kx == K::Dhe),
        "DHE" | "EDH" => s(|c| c.kx == K::Dhe && c.au != A::Anon),
        "ADH" => s(|c| c.kx == K::Dhe && c.au == A::Anon),
        "kECDHE" | "kEECDH" | "ECDH" => s(|c| c.kx == K::Ecdhe),
        "ECDHE" | "EECDH" => s(|c| c.kx == K::Ecdhe && c.au != A::Anon),
        "AECDH" => s(|c| c.kx == K::Ecdhe && c.au == A::Anon),
        "aDSS" | "DSS" => s(|c| c.au == A::Dss),
        "aECDSA" | "ECDSA" => s(|c| c.au == A::Ecdsa),
        "PSK" => s(|c| matches!(c.kx, K::Psk | K::RsaPsk | K::DhePsk | K::EcdhePsk)),
        "kPSK" => s(|c| c.kx == K::Psk),
        "kRSAPSK" => s(|c| c.kx == K::RsaPsk),
        "kDHEPSK" => s(|c| c.kx == K::DhePsk),
        "kECDHEPSK" => s(|c| c.kx == K::EcdhePsk),
        "aPSK" => s(|c| c.au == A::Psk),
        "SRP" | "kSRP" => s(|c| c.kx == K::Srp),
        "aSRP" => s(|c| c.au == A::Srp),
        "AES" => s(|c| c.is_aes()),
        "AES128" => s(|c| c.is_aes() && c.bits == 128),
        "AES256" => s(|c| c.is_aes() && c.bits == 256),
        "AESGCM" => s(|c| c.enc == E::AesGcm),
        "AESCCM" => s(|c| matches!(c.enc, E::AesCcm | E::AesCcm8)),
        "AESCCM8" => s(|c| c.enc == E::AesCcm8),
        "CAMELLIA" => s(|c| c.enc == E::Camellia),
        "CAMELLIA128" => s(|c| c.enc == E::Camellia && c.bits == 128),
        "CAMELLIA256" => s(|c| c.enc == E::Camellia && c.bits == 256),
        "ARIA" | "ARIAGCM" => s(|c| c.enc == E::AriaGcm),
        "ARIA128" => s(|c| c.enc == E::AriaGcm && c.bits == 128),
        "ARIA256" => s(|c| c.enc == E::AriaGcm && c.bits == 256),
        "CHACHA20" => s(|c| c.enc == E::Chacha20),
        "3DES" => s(|c| c.enc == E::TripleDes),
        "DES" => s(|c| c.enc == E::Des),
        "RC4" => s(|c| c.enc == E::Rc4),
        "RC2" => s(|c| c.enc == E::Rc2),
        "IDEA" => s(|c| c.enc == E::Idea),
        "SEED" => s(|c| c.enc == E::Seed),
        "CBC" => s(|c| c.is_cbc()),
        "MD5" => s(|c| c.mac == Mac::Md5),
        "SHA1" | "SHA" => s(|c| c.mac == Mac::Sha1),
        "SHA256" => s(|c| c.mac == Mac::Sha256),
        "SHA384" => s(|c| c.mac == Mac::Sha384),
        "SSLv3" => s(|c| c.min == MinVer::Ssl3),
        "TLSv1" | "TLSv1.0" => s(|c| c.min == MinVer::Tls10),
        "TLSv1.2" => s(|c| c.min == MinVer::Tls12),
        // TLS 1.3 suites are configured apart (Ciphersuites); in a cipher
        // list they select nothing.
        w if w.starts_with("TLS_") => Some(Set::default()),
        w => {
            let name = RENAMED
                .iter()
                .find(|(old, _)| *old == w)
                .map_or(w, |(_, new)| new);
            let i = SUITES.iter().position(|c| c.name == name)?;
            let mut set = Set::default();
            if i < SUITES_LEN_MAX {
                set.0[i / 64] |= 1 << (i % 64);
            }
            Some(set)
        }
    }
}

/// `A+B+C`: the suites in all of them.
fn term(body: &str) -> Option<Set> {
    let mut acc: Option<Set> = None;
    for part in body.split('+') {
        let s = alias(part)?;
        acc = Some(acc.map_or(s, |a| a.and(s)));
    }
    acc
}

/// The result of evaluating a cipher string.
#[derive(Debug)]
pub struct Selection {
    pub set: Set,
    /// For each suite in `set`: the index of the element that added it.
    origin: [u8; SUITES_LEN_MAX],
    /// Byte range of every element in the string.
    pub elements: Vec<(usize, usize)>,
}

/// Evaluate an OpenSSL cipher list (TLS 1.2 and older).
pub fn evaluate(list: &str) -> Selection {
    let mut cur = Set::default();
    let mut killed = Set::default();
    let mut origin = [0u8; SUITES_LEN_MAX];
    let mut elements = Vec::new();
    let mut start = 0;
    let bytes = list.as_bytes();
    for i in 0..=bytes.len() {
        let sep = i == bytes.len() || matches!(bytes[i], b':' | b',' | b' ' | b';');
        if !sep {
            continue;
        }
        let el = &list[start..i];
        let el_start = start;
        start = i + 1;
        if el.is_empty() || el.starts_with('@') {
            continue;
        }
        let idx = elements.len();
        elements.push((el_start, i));
        let (op, body) = match el.as_bytes()[0] {
            b'!' | b'-' | b'+' => (el.as_bytes()[0], &el[1..]),
            _ => (0, el),
        };
        let Some(sel) = term(body) else { continue };
        match op {
            b'!' => {
                killed = killed.or(sel);
                cur = cur.minus(sel);
            }
            b'-' => cur = cur.minus(sel),
            b'+' => {}
            _ => {
                let new = sel.minus(killed).minus(cur);
                for (j, _) in new.iter() {
                    origin[j] = u8::try_from(idx).unwrap_or(u8::MAX);
                }
                cur = cur.or(new);
            }
        }
    }
    Selection {
        set: cur,
        origin,
        elements,
    }
}

impl Selection {
    /// The element that added suite `i`.
    fn element_of(&self, i: usize) -> Option<(usize, usize)> {
        self.elements
            .get(usize::from(*self.origin.get(i)?))
            .copied()
    }
}

pub struct TlsCiphers;

const SERVER_SIDE: &str = "ssl_ciphers";
const BACKEND: &[&str] = &["proxy_ssl_ciphers", "grpc_ssl_ciphers", "uwsgi_ssl_ciphers"];

impl Rule for TlsCiphers {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_CIPHERS]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let names = [SERVER_SIDE, BACKEND[0], BACKEND[1], BACKEND[2]];
        for (sid, d) in cx.model.named(&names) {
            let name = d.name();
            let backend = BACKEND.contains(&name);
            if name != SERVER_SIDE && !backend {
                continue;
            }
            let Some(arg) = d.args.first() else { continue };
            if arg.as_str().contains('$') {
                continue;
            }
            // Only TLS 1.3 in effect here: the list does not apply.
            let protocols = if backend {
                name.replace("ciphers", "protocols")
            } else {
                "ssl_protocols".to_string()
            };
            let mut any = false;
            let only13 = cx
                .model
                .effective(sid, &protocols)
                .flat_map(|p| p.args.iter())
                .all(|a| {
                    any = true;
                    a.as_str() == "TLSv1.3"
                });
            if any && only13 {
                continue;
            }
            judge(d, backend, cx.settings.tls_profile, out);
        }
    }
}

/// The span of bytes `range` of the argument's value, when the word's
/// source text is the value itself (optionally quoted); else the word.
fn sub_span(word: Span, value_len: usize, range: (usize, usize)) -> Span {
    let len = word.len();
    let off = if len == value_len {
        0
    } else if len == value_len + 2 {
        1
    } else {
        return word;
    };
    let (Ok(a), Ok(b)) = (u32::try_from(range.0 + off), u32::try_from(range.1 + off)) else {
        return word;
    };
    Span {
        file: word.file,
        start: word.start + a,
        end: word.start + b,
    }
}

fn examples(names: &[&str]) -> String {
    match names.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

/// The suites of a selection, sorted by verdict.
#[derive(Default)]
struct Verdicts {
    /// Kinds of weakness found, sorted.
    kinds: Vec<Weak>,
    weak_names: Vec<&'static str>,
    /// CBC with SHA-1 (weak only for the modern profile).
    cbc_sha1: Vec<&'static str>,
    /// Not weak, but outside the profile.
    outside: Vec<&'static str>,
    /// The elements (byte range in the value) that brought weak suites in.
    blame: Vec<((usize, usize), Vec<&'static str>)>,
}

fn verdicts(sel: &Selection, backend: bool, modern: bool) -> Verdicts {
    let mut v = Verdicts::default();
    for (i, s) in sel.set.iter() {
        let bad = if let Some(w) = s.weakness() {
            if !v.kinds.contains(&w) {
                v.kinds.push(w);
            }
            v.weak_names.push(s.name);
            true
        } else if modern && s.is_cbc() && s.mac == Mac::Sha1 {
            v.cbc_sha1.push(s.name);
            true
        } else {
            if !backend && (modern || !INTERMEDIATE.contains(&s.name)) {
                v.outside.push(s.name);
            }
            false
        };
        if bad && let Some(el) = sel.element_of(i) {
            match v.blame.iter_mut().find(|(e, _)| *e == el) {
                Some((_, names)) => names.push(s.name),
                None => v.blame.push((el, vec![s.name])),
            }
        }
    }
    v.kinds.sort();
    v
}

fn judge(d: &Directive, backend: bool, profile: TlsProfile, out: &mut Vec<Finding>) {
    let Some(arg) = d.args.first() else { return };
    let sel = evaluate(arg.as_str());
    let modern = profile == TlsProfile::Modern && !backend;
    let v = verdicts(&sel, backend, modern);
    let fix = fix_help(d, backend, modern);
    if !v.kinds.is_empty() || !v.cbc_sha1.is_empty() {
        out.push(weak_finding(d, arg, &v, &fix));
    } else if !v.outside.is_empty() {
        out.push(outside_finding(d, &v.outside, modern, &fix));
    }
}

/// What to write instead: nginx's default for a backend, else the profile's
/// list.
fn fix_help(d: &Directive, backend: bool, modern: bool) -> String {
    if backend {
        format!(
            "use `{} HIGH:!aNULL:!MD5;` (nginx's default) or name the backend's AEAD suites",
            d.name()
        )
    } else if modern {
        "Mozilla's modern profile is TLS 1.3 only: set `ssl_protocols TLSv1.3;` (its suites are all AEAD and need no ssl_ciphers), or remove ssl_ciphers to get nginx's default HIGH:!aNULL:!MD5".to_string()
    } else {
        format!(
            "use `ssl_ciphers {INTERMEDIATE_STRING};` (Mozilla intermediate, guideline 6.0), or remove the directive to get nginx's default HIGH:!aNULL:!MD5"
        )
    }
}

/// Weak suites allowed: their kinds, each element that selects some.
fn weak_finding(d: &Directive, arg: &Word, v: &Verdicts, fix: &str) -> Finding {
    let mut what: Vec<&str> = v.kinds.iter().map(|k| k.label()).collect();
    if !v.cbc_sha1.is_empty() {
        what.push("CBC with SHA-1 (outside the modern profile)");
    }
    let mut all = v.weak_names.clone();
    all.extend(v.cbc_sha1.iter());
    let mut f = Finding::warning(
        ids::TLS_CIPHERS,
        if v.blame.is_empty() {
            d.span
        } else {
            d.name.span
        },
        format!(
            "{} allows weak suites: {}",
            d.name(),
            crate::rules::util::join_and(&what)
        ),
    );
    for (el, names) in &v.blame {
        f = f.with_related(
            sub_span(arg.span, arg.as_str().len(), *el),
            format!("selects {}", examples(names)),
        );
    }
    let why = if v.kinds.is_empty() {
        "CBC-mode suites with HMAC-SHA1 are where the padding-oracle attacks (Lucky 13, POODLE-TLS) live; the modern profile allows AEAD only"
    } else {
        "they let an attacker who can watch or steer the connection read or forge traffic"
    };
    f.with_help(format!("{fix}. {}: {why}", examples(&all)))
}

/// No weak suite, but some outside the profile.
fn outside_finding(d: &Directive, outside: &[&str], modern: bool, fix: &str) -> Finding {
    let profile_name = if modern { "modern" } else { "intermediate" };
    let why = if modern {
        "modern clients negotiate TLS 1.3, whose suites are configured apart"
    } else {
        "intermediate keeps only ECDHE with AES-GCM or ChaCha20-Poly1305: forward secrecy and AEAD for every client since 2014"
    };
    Finding::info(
        ids::TLS_CIPHERS,
        d.span,
        format!(
            "ssl_ciphers allows {} suite{} outside Mozilla's {profile_name} profile (not weak): {}",
            outside.len(),
            if outside.len() == 1 { "" } else { "s" },
            examples(outside)
        ),
    )
    .with_help(format!("{fix}; {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&'static str> {
        evaluate(s).set.names()
    }

    #[test]
    fn nginx_default_has_no_weak_suite() {
        let sel = evaluate("HIGH:!aNULL:!MD5");
        assert!(!sel.set.is_empty());
        assert!(sel.set.iter().all(|(_, s)| s.weakness().is_none()));
        assert!(names("HIGH:!aNULL:!MD5").contains(&"DHE-RSA-AES128-GCM-SHA256"));
    }

    #[test]
    fn operators() {
        assert_eq!(names("RC4-SHA:!RC4"), Vec::<&str>::new());
        assert_eq!(names("!RC4:RC4-SHA"), Vec::<&str>::new());
        assert_eq!(names("RC4-SHA:-RC4:RC4-SHA"), vec!["RC4-SHA"]);
        assert_eq!(
            names("ECDHE+AESGCM+aRSA+AES128"),
            vec!["ECDHE-RSA-AES128-GCM-SHA256"]
        );
        assert_eq!(names("EDH-RSA-DES-CBC3-SHA"), vec!["DHE-RSA-DES-CBC3-SHA"]);
        assert_eq!(names("NOPE:+RC4"), Vec::<&str>::new());
        assert_eq!(names("UNKNOWN+RC4"), Vec::<&str>::new());
        assert!(names("ALL").contains(&"ADH-AES128-SHA"));
        assert!(!names("ALL").contains(&"NULL-SHA"));
        assert!(!names("DEFAULT").contains(&"ADH-AES128-SHA"));
        assert_eq!(names(INTERMEDIATE_STRING).len(), 6);
        assert_eq!(
            names("ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA  ;RC4-MD5").len(),
            3
        );
    }

    #[test]
    fn high_excludes_3des() {
        assert!(!names("HIGH").contains(&"DES-CBC3-SHA"));
        assert!(names("MEDIUM").contains(&"DES-CBC3-SHA"));
    }

    #[test]
    fn origins() {
        let sel = evaluate("ECDHE-RSA-AES128-GCM-SHA256:3DES");
        let i = SUITES
            .iter()
            .position(|s| s.name == "DES-CBC3-SHA")
            .unwrap_or(0);
        assert_eq!(sel.element_of(i), Some((28, 32)));
    }
}
