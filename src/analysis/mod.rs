//! Analyses of nginx configuration that rules share, apart from the rules:
//! a PCRE parser with ReDoS analysis (`regex`), data flow of variables into
//! directives (`taint`), and what `if` conditions, locations and regex sites
//! say.

pub mod regex;
pub mod taint;
pub mod variables;

use std::rc::Rc;

use crate::model::Model;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::lexer::Word;
use regex::{NodeId, Regex};

/// An `if` condition: `($var op operand)`.
pub struct IfCond<'a> {
    pub var: &'a str,
    pub op: &'a str,
    /// The regex, for `~ ~* !~ !~*`.
    pub regex: Option<&'a str>,
    pub icase: bool,
    pub negated: bool,
    /// The word holding the regex (for spans).
    pub word: Option<&'a Word>,
}

/// Read an `if` directive's condition the way nginx does: the first word
/// loses its `(`, the last its `)`.
pub fn if_condition(d: &Directive) -> Option<IfCond<'_>> {
    if d.name_id != crate::nginx::schema::known_id!("if") {
        return None;
    }
    let mut words: Vec<(&str, &Word)> = Vec::with_capacity(4);
    let n = d.args.len();
    for (i, w) in d.args.iter().enumerate() {
        let mut s = w.as_str();
        if i == 0 {
            s = s.strip_prefix('(').unwrap_or(s);
        }
        if i + 1 == n {
            s = s.strip_suffix(')').unwrap_or(s);
        }
        if !s.is_empty() {
            words.push((s, w));
        }
    }
    let (var, _) = *words.first()?;
    let op = words.get(1).map_or("", |w| w.0);
    let (regex, word) = match op {
        "~" | "~*" | "!~" | "!~*" => match words.get(2) {
            Some((p, w)) => (Some(*p), Some(*w)),
            None => (None, None),
        },
        _ => (None, None),
    };
    Some(IfCond {
        var,
        op,
        regex,
        icase: op.ends_with('*'),
        negated: op.starts_with('!'),
        word,
    })
}

/// The kind of a `location`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocKind {
    Prefix,
    /// `^~`
    PrefixNoRegex,
    Exact,
    Regex {
        icase: bool,
    },
    Named,
}

/// A location's kind, its pattern and the word holding the pattern.
pub fn location_match(d: &Directive) -> Option<(LocKind, &str, &Word)> {
    if d.name_id != crate::nginx::schema::known_id!("location") {
        return None;
    }
    let a0 = d.args.first()?;
    let s = a0.as_str();
    if d.args.len() >= 2 {
        let w = &d.args[1];
        let kind = match s {
            "=" => LocKind::Exact,
            "^~" => LocKind::PrefixNoRegex,
            "~" => LocKind::Regex { icase: false },
            "~*" => LocKind::Regex { icase: true },
            _ => return None,
        };
        return Some((kind, w.as_str(), w));
    }
    if let Some(p) = s.strip_prefix("~*") {
        return Some((LocKind::Regex { icase: true }, p, a0));
    }
    if let Some(p) = s.strip_prefix('~') {
        return Some((LocKind::Regex { icase: false }, p, a0));
    }
    if let Some(p) = s.strip_prefix("^~") {
        return Some((LocKind::PrefixNoRegex, p, a0));
    }
    if let Some(p) = s.strip_prefix('=') {
        return Some((LocKind::Exact, p, a0));
    }
    if s.starts_with('@') {
        return Some((LocKind::Named, s, a0));
    }
    Some((LocKind::Prefix, s, a0))
}

/// A regex location's pattern and case-insensitivity.
pub fn location_regex(d: &Directive) -> Option<(&str, bool)> {
    match location_match(d)? {
        (LocKind::Regex { icase }, p, _) => Some((p, icase)),
        _ => None,
    }
}

/// Where a regex is written: the word, the pattern, `~*`-style case
/// folding, and what it is.
pub struct RegexSite<'t> {
    pub word: &'t Word,
    pub pattern: &'t str,
    pub icase: bool,
    pub what: &'static str,
    pub directive: &'t Directive,
    pub scope: usize,
    /// The pattern parsed, looked up while its words are in cache (the
    /// checks go through the sites again later: hashing and comparing the
    /// patterns a second and a third time would be a trip to memory each).
    pub parsed: Rc<Parsed>,
}

/// Every regex of the trees: locations, `if` conditions, `rewrite`,
/// `server_name ~…`, `fastcgi_split_path_info` and `map` keys, each
/// parsed (through `cache`).
pub fn regex_sites<'t>(model: &Model<'t>, cache: &mut RegexCache<'t>) -> Vec<RegexSite<'t>> {
    let mut out = Vec::new();
    let names = [
        "location",
        "if",
        "rewrite",
        "fastcgi_split_path_info",
        "server_name",
        "map",
    ];
    // Told apart by name id: the id is on the cache line with the
    // arguments, the name on another (in a large tree, each a trip to
    // memory).
    let ids = names.map(crate::nginx::schema::name_id);
    for (sid, d) in model.named(&names) {
        let name = ids
            .iter()
            .position(|&id| id == d.name_id)
            .map_or("", |i| names[i]);
        let mut add = |directive: &'t Directive,
                       word: &'t Word,
                       pattern: &'t str,
                       icase: bool,
                       what: &'static str| {
            out.push(RegexSite {
                word,
                pattern,
                icase,
                what,
                directive,
                scope: sid,
                parsed: cache.get(pattern, icase),
            });
        };
        match name {
            "location" => {
                if let Some((LocKind::Regex { icase }, p, w)) = location_match(d) {
                    add(d, w, p, icase, "location");
                }
            }
            "if" => {
                if let Some(c) = if_condition(d)
                    && let (Some(p), Some(w)) = (c.regex, c.word)
                {
                    add(d, w, p, c.icase, "if");
                }
            }
            "rewrite" | "fastcgi_split_path_info" => {
                if let Some(w) = d.args.first() {
                    let what = if name == "rewrite" {
                        "rewrite"
                    } else {
                        "fastcgi_split_path_info"
                    };
                    add(d, w, w.as_str(), false, what);
                }
            }
            "server_name" => {
                for w in &d.args {
                    if let Some(p) = w.as_str().strip_prefix('~') {
                        add(d, w, p, true, "server_name");
                    }
                }
            }
            "map" => {
                let Some(b) = &d.block else { continue };
                for e in &b.children {
                    let key = e.name();
                    let Some(p) = key.strip_prefix('~') else {
                        continue;
                    };
                    let (p, icase) = match p.strip_prefix('*') {
                        Some(p) => (p, true),
                        None => (p, false),
                    };
                    add(e, &e.name, p, icase, "map");
                }
            }
            _ => {}
        }
    }
    out
}

/// Is the location (or a block around it) reachable only internally?
pub fn is_internal(model: &Model<'_>, scope: usize) -> bool {
    model.chain(scope).any(|s| {
        s.ctx == Ctx::Location
            && (model.children(s).iter().any(|d| d.name() == "internal")
                || s.directive
                    .and_then(location_match)
                    .is_some_and(|(k, _, _)| k == LocKind::Named))
    })
}

/// A parsed regex with its (costly) ReDoS verdict.
pub struct Parsed {
    pub re: Regex,
    pub redos: Option<(NodeId, NodeId)>,
}

impl std::ops::Deref for Parsed {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.re
    }
}

/// Parse each distinct pattern once per rule run: generated trees repeat
/// the same few regexes in every server.
#[derive(Default)]
pub struct RegexCache<'t> {
    map: rustc_hash::FxHashMap<(&'t str, bool), Rc<Parsed>>,
}

impl<'t> RegexCache<'t> {
    pub fn get(&mut self, pattern: &'t str, icase: bool) -> Rc<Parsed> {
        self.map
            .entry((pattern, icase))
            .or_insert_with(|| {
                let re = Regex::parse(pattern, icase);
                let redos = re.redos();
                Rc::new(Parsed { re, redos })
            })
            .clone()
    }
}

/// The one string a regex anchored at both ends matches, when the pattern
/// between `^` and `$` is plain text: characters that are not PCRE
/// metacharacters, and backslash-escaped punctuation (`\.`, `\/`, `\-`),
/// which PCRE reads as the character itself. None for anything else
/// (classes, groups, quantifiers, alternation, `\d`-style escapes).
pub fn anchored_literal(pattern: &str) -> Option<String> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                if !e.is_ascii_punctuation() {
                    return None;
                }
                out.push(e);
            }
            '.' | '^' | '$' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                return None;
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod anchored_literal_tests {
    use super::anchored_literal;

    #[test]
    fn plain_text_only() {
        assert_eq!(anchored_literal("^/health$").as_deref(), Some("/health"));
        assert_eq!(
            anchored_literal(r"^/robots\.txt$").as_deref(),
            Some("/robots.txt")
        );
        // `\$` at the end is a literal dollar, not an anchor.
        assert_eq!(anchored_literal(r"^/a\$"), None);
        assert_eq!(anchored_literal("^/robots.txt$"), None);
        assert_eq!(anchored_literal("^/(a)$"), None);
        assert_eq!(anchored_literal(r"^/\d$"), None);
        assert_eq!(anchored_literal("^/a|/b$"), None);
        assert_eq!(anchored_literal("/health$"), None);
        assert_eq!(anchored_literal("^/health"), None);
    }
}

/// The URI part of an http(s) `proxy_pass` URL without variables: what
/// follows the host and port (`/` in `http://app/`, `/api/` in
/// `https://10.0.0.1:8080/api/`). None without one, with variables (nginx
/// then passes the evaluated URI as is), and for `unix:` sockets.
pub fn proxy_pass_uri(url: &str) -> Option<&str> {
    if url.contains('$') {
        return None;
    }
    let scheme = ["http://", "https://"].into_iter().find(|p| {
        url.get(..p.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(p))
    })?;
    let rest = url.get(scheme.len()..)?;
    if rest
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("unix:"))
    {
        return None;
    }
    rest.find('/').and_then(|i| rest.get(i..))
}

#[cfg(test)]
mod proxy_pass_uri_tests {
    use super::proxy_pass_uri;

    #[test]
    fn uri_part() {
        assert_eq!(proxy_pass_uri("http://app/"), Some("/"));
        assert_eq!(proxy_pass_uri("HTTPS://10.0.0.1:8080/api/"), Some("/api/"));
        assert_eq!(proxy_pass_uri("http://app"), None);
        assert_eq!(proxy_pass_uri("http://app:8080"), None);
        assert_eq!(proxy_pass_uri("http://$backend/x/"), None);
        assert_eq!(proxy_pass_uri("http://unix:/run/a.sock:/x/"), None);
        assert_eq!(proxy_pass_uri("app:9000"), None);
    }
}
