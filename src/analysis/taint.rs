//! Where a variable's value comes from. A value is *request-controlled*
//! when the client chooses it (query arguments, headers, cookies, the URI,
//! regex captures of those), and it *may hold a line feed* when nginx
//! decodes it before use (`$uri`, `$document_uri`, captures of the decoded
//! URI whose group admits `\n`). Values nginx derives itself (`$host`,
//! `$scheme`, `$server_name`, `$request_method`, addresses, paths of the
//! configuration) are server-controlled.
//!
//! Propagation follows `set` (in the enclosing blocks) and `map` (in the
//! enclosing http block), and regex captures follow the regex that last
//! ran before the directive: its own (`rewrite`), the enclosing `if`, or
//! the enclosing regex location. Variables we know nothing about are
//! unknown, never assumed dangerous.

use crate::analysis::regex::Regex;
use crate::analysis::{if_condition, location_regex};
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;

/// What is known about a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taint {
    /// The client chooses (part of) it freely.
    pub user: bool,
    /// It may contain CR/LF.
    pub crlf: bool,
    /// We know where it comes from.
    pub known: bool,
}

impl Taint {
    pub const SERVER: Taint = Taint {
        user: false,
        crlf: false,
        known: true,
    };
    pub const USER: Taint = Taint {
        user: true,
        crlf: false,
        known: true,
    };
    pub const DECODED: Taint = Taint {
        user: true,
        crlf: true,
        known: true,
    };
    pub const UNKNOWN: Taint = Taint {
        user: false,
        crlf: false,
        known: false,
    };

    pub fn join(self, o: Taint) -> Taint {
        Taint {
            user: self.user || o.user,
            crlf: self.crlf || o.crlf,
            known: self.known && o.known,
        }
    }
}

/// A piece of a value as nginx's script compiler reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg<'a> {
    Lit(&'a str),
    /// `$name` or `${name}` (without the `$`).
    Var(&'a str),
    /// `$1`…`$9`: nginx reads exactly one digit.
    Cap(u32),
}

/// Split a value into literals, variables and captures.
pub fn segments(s: &str) -> Vec<Seg<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut lit = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let start = i;
        let (seg, end) = if b.get(i + 1).is_some_and(|c| (b'1'..=b'9').contains(c)) {
            (Some(Seg::Cap((b[i + 1] - b'0') as u32)), i + 2)
        } else if b.get(i + 1) == Some(&b'{') {
            match s[i + 2..].find('}') {
                Some(k) => (Some(Seg::Var(&s[i + 2..i + 2 + k])), i + 3 + k),
                None => (None, i + 1),
            }
        } else {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > i + 1 {
                (Some(Seg::Var(&s[i + 1..j])), j)
            } else {
                (None, i + 1)
            }
        };
        match seg {
            Some(seg) => {
                if start > lit {
                    out.push(Seg::Lit(&s[lit..start]));
                }
                out.push(seg);
                lit = end;
                i = end;
            }
            None => i = end,
        }
    }
    if lit < b.len() {
        out.push(Seg::Lit(&s[lit..]));
    }
    out
}

/// Does the value mention a variable or capture at all?
pub fn has_vars(s: &str) -> bool {
    s.contains('$')
}

/// Built-in variables, by name (without `$`).
pub fn builtin(name: &str) -> Option<Taint> {
    Some(match name {
        "uri" | "document_uri" | "request_body" | "fastcgi_script_name" | "request_filename" => {
            Taint::DECODED
        }
        "args" | "query_string" | "request_uri" | "request" | "http_cookie" | "content_type"
        | "content_length" | "remote_user" | "invalid_referer" | "fastcgi_path_info" => {
            if name == "invalid_referer" {
                Taint::SERVER
            } else {
                Taint::USER
            }
        }
        n if n.starts_with("arg_") || n.starts_with("http_") || n.starts_with("cookie_") => {
            Taint::USER
        }
        "host"
        | "server_name"
        | "scheme"
        | "https"
        | "request_method"
        | "remote_addr"
        | "binary_remote_addr"
        | "remote_port"
        | "server_addr"
        | "server_port"
        | "server_protocol"
        | "document_root"
        | "realpath_root"
        | "hostname"
        | "nginx_version"
        | "pid"
        | "msec"
        | "time_iso8601"
        | "time_local"
        | "request_id"
        | "status"
        | "is_args"
        | "request_time"
        | "connection"
        | "connection_requests"
        | "bytes_sent"
        | "body_bytes_sent"
        | "proxy_add_x_forwarded_for"
        | "proxy_host"
        | "proxy_port"
        | "limit_rate"
        | "request_length"
        | "upstream_addr"
        | "upstream_status"
        | "upstream_cache_status"
        | "upstream_response_time"
        | "ssl_protocol"
        | "ssl_cipher"
        | "ssl_server_name"
        | "ssl_client_verify"
        | "ssl_session_id"
        | "tcpinfo_rtt"
        | "pipe"
        | "gzip_ratio"
        | "realip_remote_addr"
        | "date_local"
        | "date_gmt" => Taint::SERVER,
        n if n.starts_with("upstream_") || n.starts_with("sent_http_") || n.starts_with("ssl_") => {
            Taint::SERVER
        }
        _ => return None,
    })
}

/// Variables whose value is a path that starts with `/` (or is empty): in
/// a URL they begin the path, they cannot change the host.
pub fn starts_with_slash(name: &str) -> bool {
    matches!(
        name,
        "uri" | "document_uri" | "request_uri" | "fastcgi_script_name"
    )
}

/// One piece of an expanded value: literal text, or a run-time piece with
/// its taint.
#[derive(Clone, Debug)]
pub enum Piece<'t> {
    Lit(&'t str),
    Dyn { taint: Taint, slash: bool },
}

/// The data-flow view over one model.
pub struct Flow<'m, 't> {
    pub model: &'m Model<'t>,
}

const MAX_DEPTH: usize = 8;

impl<'m, 't> Flow<'m, 't> {
    pub fn new(model: &'m Model<'t>) -> Self {
        Flow { model }
    }

    /// The taint of a whole value written at `at` in `scope`.
    pub fn value(&self, scope: ScopeId, at: Option<&Directive>, s: &str) -> Taint {
        self.value_d(scope, at, s, 0)
    }

    fn value_d(&self, scope: ScopeId, at: Option<&Directive>, s: &str, depth: usize) -> Taint {
        let mut t = Taint::SERVER;
        for seg in segments(s) {
            t = t.join(match seg {
                Seg::Lit(_) => Taint::SERVER,
                Seg::Var(v) => self.var_d(scope, v, depth),
                Seg::Cap(n) => self.capture(scope, at, n),
            });
        }
        t
    }

    /// Where `$name` comes from, seen from `scope`.
    pub fn var(&self, scope: ScopeId, name: &str) -> Taint {
        self.var_d(scope, name, 0)
    }

    fn var_d(&self, scope: ScopeId, name: &str, depth: usize) -> Taint {
        if depth > MAX_DEPTH {
            return Taint::UNKNOWN;
        }
        if let Some(t) = builtin(name) {
            return t;
        }
        // `set` in the enclosing blocks.
        let mut found = false;
        let mut t = Taint::SERVER;
        for (sid, _) in self.chain_ids(scope) {
            // From the model's name index: an http block of a thousand
            // included servers is not scanned for each variable.
            for d in self.model.own(sid, "set") {
                if d.arg(0).and_then(|a| a.strip_prefix('$')) == Some(name) {
                    found = true;
                    let v = d.arg(1).unwrap_or("");
                    t = t.join(self.value_d(sid, Some(d), v, depth + 1));
                }
            }
        }
        if found {
            return t;
        }
        if let Some(m) = self.map_of(scope, name) {
            return self.map_taint(scope, m, depth);
        }
        if let Some(t) = self.named_capture(scope, name, depth) {
            return t;
        }
        Taint::UNKNOWN
    }

    /// Scopes from `scope` outwards, with their ids.
    fn chain_ids(
        &self,
        scope: ScopeId,
    ) -> impl Iterator<Item = (ScopeId, &'m crate::model::Scope<'t>)> + '_ {
        let mut cur = Some(scope);
        std::iter::from_fn(move || {
            let id = cur?;
            let s = self.model.scopes.get(id)?;
            cur = s.parent;
            Some((id, s))
        })
    }

    /// The `map` that defines `$name`, in the enclosing http block.
    pub fn map_of(&self, scope: ScopeId, name: &str) -> Option<&'t Directive> {
        for (sid, s) in self.chain_ids(scope) {
            if s.ctx != Ctx::Http && s.parent.is_some() {
                continue;
            }
            for d in self.model.own(sid, "map") {
                if d.arg(1).and_then(|a| a.strip_prefix('$')) == Some(name) {
                    return Some(d);
                }
            }
        }
        None
    }

    fn map_taint(&self, scope: ScopeId, m: &Directive, depth: usize) -> Taint {
        let src = m.arg(0).unwrap_or("");
        let src_t = self.value_d(scope, None, src, depth + 1);
        let Some(b) = &m.block else {
            return Taint::SERVER;
        };
        let mut t = Taint::SERVER;
        for e in &b.children {
            let key = e.name();
            if matches!(key, "hostnames" | "volatile" | "include") {
                continue;
            }
            let Some(val) = e.arg(0) else { continue };
            if !has_vars(val) {
                continue;
            }
            let regex = map_key_regex(key);
            // An exact key lets exactly one input through.
            if regex.is_none() && key != "default" && val == src {
                continue;
            }
            for seg in segments(val) {
                t = t.join(match seg {
                    Seg::Lit(_) => Taint::SERVER,
                    Seg::Var(v) => self.var_d(scope, v, depth + 1),
                    Seg::Cap(n) => match &regex {
                        Some(r) => restrict(r, r.group(n).map(|g| g.node), src_t),
                        None => Taint::SERVER,
                    },
                });
            }
        }
        t
    }

    /// `$N` as seen by the directive `at` in `scope`.
    pub fn capture(&self, scope: ScopeId, at: Option<&Directive>, n: u32) -> Taint {
        match self.capture_source(scope, at) {
            Some((re, input)) => restrict(&re, re.group(n).map(|g| g.node), input),
            None => Taint::UNKNOWN,
        }
    }

    /// The regex whose captures `$1`… refer to at this point, and the taint
    /// of the text it matched.
    pub fn capture_source(&self, scope: ScopeId, at: Option<&Directive>) -> Option<(Regex, Taint)> {
        if let Some(d) = at
            && d.name() == "rewrite"
            && let Some(p) = d.arg(0)
        {
            return Some((Regex::parse(p, false), Taint::DECODED));
        }
        for (sid, s) in self.chain_ids(scope) {
            let Some(d) = s.directive else { continue };
            match s.ctx {
                Ctx::If => {
                    if let Some(c) = if_condition(d)
                        && let Some(p) = c.regex
                    {
                        let input = self.value(sid, None, c.var);
                        return Some((Regex::parse(p, c.icase), input));
                    }
                }
                Ctx::Location => {
                    if let Some((p, icase)) = location_regex(d) {
                        return Some((Regex::parse(p, icase), Taint::DECODED));
                    }
                    return None;
                }
                _ => return None,
            }
        }
        None
    }

    /// A named capture of a regex in the enclosing blocks (location, if,
    /// rewrite, server_name) or of a map key.
    fn named_capture(&self, scope: ScopeId, name: &str, depth: usize) -> Option<Taint> {
        for (sid, s) in self.chain_ids(scope) {
            if let Some(d) = s.directive {
                let found = match s.ctx {
                    Ctx::If => if_condition(d).and_then(|c| {
                        c.regex
                            // `depth` bounds `if ($x ~ (?<x>…))`, whose input
                            // is the capture itself.
                            .map(|p| {
                                (
                                    Regex::parse(p, c.icase),
                                    self.value_d(sid, None, c.var, depth + 1),
                                )
                            })
                    }),
                    Ctx::Location => {
                        location_regex(d).map(|(p, i)| (Regex::parse(p, i), Taint::DECODED))
                    }
                    _ => None,
                };
                if let Some((re, input)) = found
                    && let Some(g) = re.named(name)
                {
                    return Some(restrict(&re, Some(g.node), input));
                }
            }
            for d in self.model.children(s) {
                let found = match d.name() {
                    "rewrite" => d.arg(0).map(|p| (Regex::parse(p, false), Taint::DECODED)),
                    "server_name" => d.args.iter().find_map(|a| {
                        a.as_str()
                            .strip_prefix('~')
                            .filter(|p| p.contains(name))
                            .map(|p| (Regex::parse(p, true), Taint::USER))
                    }),
                    _ => None,
                };
                if let Some((re, input)) = found
                    && let Some(g) = re.named(name)
                {
                    return Some(restrict(&re, Some(g.node), input));
                }
            }
            if s.ctx == Ctx::Http {
                for m in self.model.own(sid, "map") {
                    let Some(b) = &m.block else { continue };
                    for e in &b.children {
                        if let Some(re) = map_key_regex(e.name())
                            && let Some(g) = re.named(name)
                        {
                            let input = self.value(sid, None, m.arg(0).unwrap_or(""));
                            return Some(restrict(&re, Some(g.node), input));
                        }
                    }
                }
            }
        }
        None
    }

    /// The value with `set` variables inlined (when one `set` defines them)
    /// so that rules can see which part of a URL each piece lands in.
    pub fn expand(&self, scope: ScopeId, at: Option<&Directive>, s: &'t str) -> Vec<Piece<'t>> {
        let mut out = Vec::new();
        self.expand_into(scope, at, s, 0, &mut out);
        out
    }

    fn expand_into(
        &self,
        scope: ScopeId,
        at: Option<&Directive>,
        s: &'t str,
        depth: usize,
        out: &mut Vec<Piece<'t>>,
    ) {
        for seg in segments(s) {
            match seg {
                Seg::Lit(l) => out.push(Piece::Lit(l)),
                Seg::Cap(n) => out.push(Piece::Dyn {
                    taint: self.capture(scope, at, n),
                    slash: false,
                }),
                Seg::Var(v) => {
                    if builtin(v).is_none()
                        && depth < MAX_DEPTH
                        && let Some((sid, d)) = self.single_set(scope, v)
                        && let Some(val) = d.args.get(1)
                    {
                        self.expand_into(sid, Some(d), val.as_str(), depth + 1, out);
                        continue;
                    }
                    out.push(Piece::Dyn {
                        taint: self.var_d(scope, v, depth),
                        slash: starts_with_slash(v),
                    });
                }
            }
        }
    }

    fn single_set(&self, scope: ScopeId, name: &str) -> Option<(ScopeId, &'t Directive)> {
        let mut found = None;
        for (sid, _) in self.chain_ids(scope) {
            // From the model's name index: an http block of a thousand
            // included servers is not scanned for each variable.
            for d in self.model.own(sid, "set") {
                if d.arg(0).and_then(|a| a.strip_prefix('$')) == Some(name) {
                    if found.is_some() {
                        return None;
                    }
                    found = Some((sid, d));
                }
            }
        }
        found
    }
}

/// A map key's regex (`~re`, `~*re`), if it is one.
pub fn map_key_regex(key: &str) -> Option<Regex> {
    let p = key.strip_prefix('~')?;
    Some(match p.strip_prefix('*') {
        Some(p) => Regex::parse(p, true),
        None => Regex::parse(p, false),
    })
}

/// The taint of a capture group of `re` applied to text of taint `input`:
/// a group that matches only a few fixed strings is server-controlled, a
/// group that cannot match a line feed cannot carry one.
pub fn restrict(re: &Regex, group: Option<u32>, input: Taint) -> Taint {
    let Some(g) = group else {
        // No such group: the capture is empty.
        return Taint::SERVER;
    };
    if !re.ok() || re.uncertain_groups {
        return input;
    }
    if re.is_finite(g) {
        return Taint::SERVER;
    }
    Taint {
        user: input.user,
        crlf: input.crlf && re.can_match_lf(g),
        known: input.known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_nginx() {
        assert_eq!(
            segments("http://$host$1x/${arg_a}b$12$"),
            vec![
                Seg::Lit("http://"),
                Seg::Var("host"),
                Seg::Cap(1),
                Seg::Lit("x/"),
                Seg::Var("arg_a"),
                Seg::Lit("b"),
                Seg::Cap(1),
                Seg::Lit("2$"),
            ]
        );
        assert_eq!(segments("plain"), vec![Seg::Lit("plain")]);
        assert_eq!(segments("$0"), vec![Seg::Var("0")]);
        assert_eq!(segments("a$"), vec![Seg::Lit("a$")]);
    }
}
