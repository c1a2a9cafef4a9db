//! Which requests reach each location of a server: an example path the
//! location search ([`super::location::find`]) sends there, checked by
//! that search itself; for a prefix, every path under it that no other
//! location takes, when the others are few to name; else why none does:
//! shadowed ([`super::unreachable`]), named (reached only by the
//! `try_files`/`error_page` that name it), or undecided.

use crate::analysis::LocKind;
use crate::analysis::regex::{Assert, Node, Regex};
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;

use super::location::{Loc, Step, find};
use super::pcre::{self, Found};
use super::sample::{candidates, regex_strings};
use super::unreachable::{self, Unreachable};

/// How requests reach one location.
#[derive(Clone, Debug)]
pub enum Reach<'t> {
    /// `path` selects it; for a prefix, so does every path under
    /// `under` but those the locations `except` take.
    Example { path: String, under: Option<Under> },
    /// No URI selects it: another location always comes first.
    Unreachable(Unreachable),
    /// The server's own `return` answers every request before a location
    /// is searched.
    Answered(&'t Directive),
    /// A named location: the directives that send requests there.
    Named(Vec<&'t Directive>),
    /// No candidate path was confirmed.
    Unknown(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Under {
    pub prefix: String,
    /// Locations that take some of the paths under the prefix.
    pub except: Vec<ScopeId>,
}

/// One location of a server, in configuration order.
#[derive(Clone, Debug)]
pub struct Reached<'t> {
    pub scope: ScopeId,
    /// 0 for the server's own locations, 1 inside one, …
    pub depth: usize,
    pub reach: Reach<'t>,
}

/// Directives that send a request to a named location (their last word).
const TO_NAMED: [&str; 3] = ["try_files", "error_page", "post_action"];

/// Every location of the server at `server` (its scope) with how requests
/// reach it.
pub fn server<'t>(model: &Model<'t>, server: ScopeId) -> Vec<Reached<'t>> {
    let tree = super::location::tree(model, server);
    let shadowed = unreachable::find(&tree);
    // The server's own `rewrite`s run before the search (and may change
    // the URI): an example they match is not kept.
    let rewrites = model
        .own(server, "rewrite")
        .filter_map(|d| d.arg(0))
        .map(|p| (Regex::parse(p, false), p.to_string()))
        .collect();
    let cx = Cx {
        model,
        server,
        tree: &tree,
        shadowed: &shadowed,
        rewrites,
    };
    let mut out = Vec::new();
    cx.level(&tree, &mut Vec::new(), &mut out);
    if let Some(r) = server_return(model, server) {
        for x in out
            .iter_mut()
            .filter(|x| !matches!(x.reach, Reach::Named(_)))
        {
            x.reach = Reach::Answered(r);
        }
    }
    out
}

/// A `return` of the server block itself that runs for every request:
/// the server's rewrite directives run in order before the location
/// search (NGX_HTTP_SERVER_REWRITE_PHASE precedes FIND_CONFIG_PHASE in
/// ngx_http_core_module.h), so one before any `rewrite`, `if` or `break`
/// ends every request there.
fn server_return<'t>(model: &Model<'t>, server: ScopeId) -> Option<&'t Directive> {
    model
        .scope_children(server)
        .iter()
        .copied()
        .find(|d| matches!(d.name(), "return" | "rewrite" | "if" | "break"))
        .filter(|d| d.name() == "return")
}

struct Cx<'a, 't> {
    model: &'a Model<'t>,
    server: ScopeId,
    tree: &'a [Loc],
    shadowed: &'a [Unreachable],
    rewrites: Vec<(Regex, String)>,
}

/// What the location search does with a candidate path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sel {
    Selects,
    Not,
    /// A regex on the way cannot be decided.
    Undecided,
    /// A `rewrite` of the server matches it (or may) before the search.
    Rewritten,
}

/// An enclosing location: its level (itself and its siblings), and the
/// paths its own requests take (its example first).
struct Outer<'a> {
    loc: &'a Loc,
    level: &'a [Loc],
    paths: Vec<Vec<u8>>,
}

impl<'a, 't> Cx<'a, 't> {
    fn level(&self, level: &'a [Loc], outer: &mut Vec<Outer<'a>>, out: &mut Vec<Reached<'t>>) {
        for l in level {
            let (reach, paths) = self.reach(l, level, outer);
            out.push(Reached {
                scope: l.scope,
                depth: outer.len(),
                reach,
            });
            outer.push(Outer {
                loc: l,
                level,
                paths,
            });
            self.level(&l.children, outer, out);
            outer.pop();
        }
    }

    /// The reach of `l` and the paths its nested locations start from.
    fn reach(&self, l: &Loc, level: &[Loc], outer: &[Outer<'_>]) -> (Reach<'t>, Vec<Vec<u8>>) {
        if l.kind == LocKind::Named {
            let from = named_from(self.model, self.server, &l.name);
            return (Reach::Named(from), Vec::new());
        }
        if let Some(u) = self.shadowed.iter().find(|u| u.scope == l.scope) {
            return (Reach::Unreachable(u.clone()), Vec::new());
        }
        let bases: Vec<Vec<u8>> = outer
            .iter()
            .rev()
            .flat_map(|o| o.paths.iter().take(3).cloned())
            .collect();
        let cands = candidates(l.kind, &l.name, &bases);
        let mut missed = Vec::new();
        let found = cands
            .iter()
            .find(|c| match self.selects(c, l.scope) {
                Sel::Selects => true,
                other => {
                    missed.push(other);
                    false
                }
            })
            .cloned();
        let mut paths = cands;
        let reach = match found {
            Some(p) => {
                paths.insert(0, p.clone());
                let mut under = under(l, level, outer);
                if let Some(u) = &mut under {
                    // A location no request selects takes none of them.
                    u.except
                        .retain(|e| !self.shadowed.iter().any(|s| s.scope == *e));
                }
                Reach::Example {
                    path: String::from_utf8_lossy(&p).into_owned(),
                    under,
                }
            }
            None if missed.contains(&Sel::Undecided) => {
                Reach::Unknown("a regex the search tries cannot be decided on the candidate paths")
            }
            None if missed.contains(&Sel::Rewritten) => {
                Reach::Unknown("a rewrite of the server changes the candidate paths first")
            }
            None => Reach::Unknown(why_unknown(l)),
        };
        (reach, paths)
    }

    /// Does the location search send `path` to `scope`? The path must be
    /// one nginx keeps as it is (no escapes, dot segments, double slashes
    /// or arguments) and no `rewrite` of the server may touch it.
    fn selects(&self, path: &[u8], scope: ScopeId) -> Sel {
        let same =
            super::uri::normalize(path, true).is_ok_and(|u| u.path == path && u.args.is_none());
        if !same {
            return Sel::Not;
        }
        let rewritten = self
            .rewrites
            .iter()
            .any(|(re, p)| !matches!(pcre::search(re, p, path), Found::NoMatch));
        if rewritten {
            return Sel::Rewritten;
        }
        let f = find(self.tree, path);
        if f.steps.iter().any(|s| matches!(s, Step::RegexUnknown(..))) {
            Sel::Undecided
        } else if f.chosen == Some(scope) && !f.redirect {
            Sel::Selects
        } else {
            Sel::Not
        }
    }
}

fn why_unknown(l: &Loc) -> &'static str {
    match l.kind {
        LocKind::Regex { icase } if regex_strings(&Regex::parse(&l.name, icase)).is_none() => {
            "the regex holds a back-reference, recursion or a class without a path byte"
        }
        LocKind::Regex { .. } => "no short path its regex spells selects it",
        _ => "every candidate path is taken by another location",
    }
}

/// For a prefix whose enclosing locations are prefixes too: the
/// locations that take some of the paths under it. Its own nested
/// locations, longer or exact names under it beside it, and the regexes
/// tried after it (of its level unless it is `^~`, of each enclosing
/// level unless that enclosing location is `^~`).
fn under(l: &Loc, level: &[Loc], outer: &[Outer<'_>]) -> Option<Under> {
    let prefix = |k: LocKind| matches!(k, LocKind::Prefix | LocKind::PrefixNoRegex);
    if !prefix(l.kind) || !outer.iter().all(|o| prefix(o.loc.kind)) {
        return None;
    }
    let mut except: Vec<ScopeId> = l.children.iter().map(|c| c.scope).collect();
    for s in level.iter().filter(|s| s.scope != l.scope) {
        let longer = s.name.starts_with(&l.name)
            && match s.kind {
                LocKind::Exact => true,
                k if prefix(k) => s.name.len() > l.name.len(),
                _ => false,
            };
        if longer {
            except.push(s.scope);
        }
    }
    let mut tried = vec![(l, level)];
    tried.extend(outer.iter().map(|o| (o.loc, o.level)));
    for (at, lv) in tried {
        if at.kind != LocKind::PrefixNoRegex {
            except.extend(
                lv.iter()
                    .filter(|r| may_take(r, l.name.as_bytes()))
                    .map(|r| r.scope),
            );
        }
    }
    except.sort_unstable();
    except.dedup();
    Some(Under {
        prefix: l.name.clone(),
        except,
    })
}

/// Can regex location `r` match a path starting with `prefix`? Not when
/// it is anchored at the start on single bytes one of which the prefix
/// does not have there (`^/static/` or `^/[0-9]` beside `/api/`);
/// anything else might.
fn may_take(r: &Loc, prefix: &[u8]) -> bool {
    let LocKind::Regex { icase } = r.kind else {
        return false;
    };
    let parsed;
    let re = match &r.re {
        Some(re) => re.as_ref(),
        None => {
            parsed = Regex::parse(&r.name, icase);
            &parsed
        }
    };
    let seq = re.seq(re.root);
    if !matches!(
        seq.first().map(|&f| re.node(f)),
        Some(Node::Assert(Assert::Start))
    ) {
        return true;
    }
    // A `~*` pattern's sets hold both cases already.
    let sets = seq[1..].iter().map_while(|&id| match re.node(id) {
        Node::Set { set, .. } => Some(*set),
        _ => None,
    });
    sets.zip(prefix).all(|(set, &b)| set.contains(b))
}

/// The directives that name `@name` in this server or the blocks around
/// it (an `error_page` of `http` applies to every server).
pub fn named_from<'t>(model: &Model<'t>, server: ScopeId, name: &str) -> Vec<&'t Directive> {
    let inside = (server..model.scopes.len()).take_while(|&s| within(model, s, server));
    let mut ancestors = Vec::new();
    let mut cur = model.scopes.get(server).and_then(|s| s.parent);
    while let Some(c) = cur {
        ancestors.push(c);
        cur = model.scopes.get(c).and_then(|s| s.parent);
    }
    ancestors
        .into_iter()
        .rev()
        .chain(inside)
        .flat_map(|s| {
            // The name index answers per name: put the block's own back
            // in their order.
            let mut own: Vec<&'t Directive> = TO_NAMED
                .iter()
                .flat_map(|n| model.own(s, n))
                .filter(|d| d.args.last().is_some_and(|a| a.as_str() == name))
                .collect();
            own.sort_by_key(|d| (d.span.file, d.span.start));
            own
        })
        .collect()
}

/// Is `s` the block `top` or inside it?
fn within(model: &Model<'_>, s: ScopeId, top: ScopeId) -> bool {
    let mut cur = Some(s);
    while let Some(c) = cur {
        if c == top {
            return true;
        }
        cur = model.scopes.get(c).and_then(|x| x.parent);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Inputs, load};

    /// Each location's words and its reach, as a short string.
    fn reaches(conf: &str) -> Vec<(String, String)> {
        let loaded = load(&Inputs {
            stdin: Some(("-".into(), conf.as_bytes().to_vec())),
            ..Inputs::default()
        })
        .expect("loads");
        let model = Model::build(&loaded);
        let s = model.servers[0].scope;
        let words = |sc: ScopeId| {
            model.scopes[sc]
                .directive
                .map(|d| {
                    d.args
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default()
        };
        server(&model, s)
            .into_iter()
            .map(|r| {
                let what = match r.reach {
                    Reach::Example { path, under: None } => path,
                    Reach::Example {
                        path,
                        under: Some(u),
                    } => {
                        let except: Vec<String> = u.except.iter().map(|&e| words(e)).collect();
                        format!("{path} under {} but [{}]", u.prefix, except.join(", "))
                    }
                    Reach::Unreachable(u) => format!("shadowed by {}", words(u.by)),
                    Reach::Answered(d) => format!("answered by {}", d.name()),
                    Reach::Named(from) => {
                        let f: Vec<&str> = from.iter().map(|d| d.name()).collect();
                        format!("named from {}", f.join(", "))
                    }
                    Reach::Unknown(why) => format!("unknown: {why}"),
                };
                (format!("{}{}", "  ".repeat(r.depth), words(r.scope)), what)
            })
            .collect()
    }

    fn http(server: &str) -> String {
        format!(
            "events {{}}\nhttp {{\nerror_page 502 @down;\nserver {{\nlisten 80;\n{server}\n}}\n}}\n"
        )
    }

    #[test]
    fn every_form_gets_a_confirmed_example() {
        let got = reaches(&http(
            r#"location = / { }
            location / { try_files $uri @app; }
            location @app { }
            location @down { }
            location @lost { }
            location /exact { }
            location = /exact { }
            location ^~ /static/ { }
            location /api/ { location ~ \.php$ { } location /api/v2/ { } }
            location ~ \.php$ { }
            location ~ ^/x/.*\.php$ { }
            location ~* \.(JPG|png)$ { }"#,
        ));
        let want = [
            ("= /", "/"),
            // `= /` takes `/` itself.
            (
                "/",
                "/x under / but [= /, /exact, = /exact, ^~ /static/, /api/, ~ \\.php$, ~* \\.(JPG|png)$]",
            ),
            ("@app", "named from try_files"),
            // The `error_page` of `http` applies to the server.
            ("@down", "named from error_page"),
            ("@lost", "named from "),
            (
                "/exact",
                "/exactx under /exact but [= /exact, ~ \\.php$, ~* \\.(JPG|png)$]",
            ),
            ("= /exact", "/exact"),
            ("^~ /static/", "/static/ under /static/ but []"),
            (
                "/api/",
                "/api/ under /api/ but [~ \\.php$, /api/v2/, ~ \\.php$, ~* \\.(JPG|png)$]",
            ),
            ("  ~ \\.php$", "/api/x.php"),
            (
                "  /api/v2/",
                "/api/v2/ under /api/v2/ but [~ \\.php$, ~ \\.php$, ~* \\.(JPG|png)$]",
            ),
            ("~ \\.php$", "/x.php"),
            ("~ ^/x/.*\\.php$", "shadowed by ~ \\.php$"),
            ("~* \\.(JPG|png)$", "/x.JPG"),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_server_return_answers_before_any_location() {
        let got = reaches(&http(
            "return 301 https://$host$request_uri;\nlocation / { }\nlocation @down { }",
        ));
        assert_eq!(got[0].1, "answered by return");
        assert_eq!(got[1].1, "named from error_page");
        // After an `if`, the return may not run: the search decides.
        let got = reaches(&http("if ($x) { break; }\nreturn 301 /;\nlocation / { }"));
        assert_eq!(got[0].1, "/ under / but []");
    }

    #[test]
    fn paths_a_server_rewrite_matches_are_no_examples() {
        let got = reaches(&http(
            "rewrite ^/old/(.*)$ /new/$1 permanent;\nrewrite ^/x$ /y last;\n\
             location /old/ { }\nlocation / { }",
        ));
        assert_eq!(
            got[0].1,
            "unknown: a rewrite of the server changes the candidate paths first"
        );
        // `/x` is rewritten: the next candidate.
        assert_eq!(got[1].1, "/ under / but [/old/]");
    }

    #[test]
    fn an_undecidable_regex_on_the_way_is_said() {
        let got = reaches(&http(r"location /a/ { } location ~ ^/a(.)\1 { }"));
        assert_eq!(
            got[0].1,
            "unknown: a regex the search tries cannot be decided on the candidate paths"
        );
        assert_eq!(
            got[1].1,
            "unknown: the regex holds a back-reference, recursion or a class without a path byte"
        );
    }

    #[test]
    fn anchored_regexes_elsewhere_take_nothing_under_a_prefix() {
        let got = reaches(&http(
            r"location /api/ { } location ~ ^/static/ { } location ~ ^/[0-9] { } location ~* ^/API/v1 { }",
        ));
        assert_eq!(got[0].1, "/api/ under /api/ but [~* ^/API/v1]");
    }
}
