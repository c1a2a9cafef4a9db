//! Every location of a server with the requests that reach it, from
//! [`crate::route::reach`]: an example path the location search confirms,
//! or why there is none.

use serde::Serialize;

use super::{LocationNode, at};
use crate::model::{Model, ScopeId};
use crate::nginx::ast::Directive;
use crate::route::reach::{Reach, server};
use crate::source::SourceMap;

/// What reaches a location (one of four shapes, told apart by its keys).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ReachedBy {
    /// A request path nginx sends there; for a prefix, every path under
    /// it but those the locations `except` take.
    Example {
        example: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        every_path_under: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        except: Vec<LocRef>,
    },
    /// No request path selects it.
    Unreachable { unreachable_by: Shadow },
    /// A named location: the directives that send requests there.
    Named { named_from: Vec<LocRef> },
    /// Neither an example nor a proof that there is none.
    Unknown { no_example: &'static str },
}

/// A location or directive, as written, and where.
#[derive(Clone, Debug, Serialize)]
pub struct LocRef {
    pub what: String,
    pub at: String,
}

/// What takes every request a location would get: an earlier location,
/// or the server's own `return`.
#[derive(Clone, Debug, Serialize)]
pub struct Shadow {
    /// `location ~ \.php$`, `return 301 https://$host$request_uri`.
    pub by: String,
    pub at: String,
    pub why: &'static str,
}

/// A location's words after `location` (`~ \.php$`, `/api/`, `@app`).
pub fn words(d: &Directive) -> String {
    d.args
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The innermost location block around `scope`.
pub fn enclosing(model: &Model<'_>, scope: ScopeId) -> Option<ScopeId> {
    let mut cur = Some(scope);
    while let Some(c) = cur {
        let sc = model.scopes.get(c)?;
        if sc.directive.is_some_and(|d| d.name() == "location") {
            return Some(c);
        }
        cur = sc.parent;
    }
    None
}

fn location_ref(sources: &SourceMap, model: &Model<'_>, scope: ScopeId) -> Option<LocRef> {
    let d = model.scopes.get(scope)?.directive?;
    Some(LocRef {
        what: words(d),
        at: at(sources, d.span),
    })
}

/// The locations of the server whose block is `scope`, in order.
pub fn of_server(sources: &SourceMap, model: &Model<'_>, scope: ScopeId) -> Vec<LocationNode> {
    server(model, scope)
        .into_iter()
        .filter_map(|r| {
            let d = model.scopes.get(r.scope)?.directive?;
            Some(LocationNode {
                location: words(d),
                at: at(sources, d.span),
                depth: r.depth,
                reached_by: reached_by(sources, model, r.reach),
                scope: r.scope,
            })
        })
        .collect()
}

fn reached_by(sources: &SourceMap, model: &Model<'_>, reach: Reach<'_>) -> ReachedBy {
    match reach {
        Reach::Example { path, under } => {
            let (every_path_under, except) = match under {
                Some(u) => (
                    Some(u.prefix),
                    u.except
                        .iter()
                        .filter_map(|&s| location_ref(sources, model, s))
                        .collect(),
                ),
                None => (None, Vec::new()),
            };
            ReachedBy::Example {
                example: path,
                every_path_under,
                except,
            }
        }
        Reach::Unreachable(u) => {
            let by = location_ref(sources, model, u.by);
            ReachedBy::Unreachable {
                unreachable_by: Shadow {
                    by: by
                        .as_ref()
                        .map(|b| format!("location {}", b.what))
                        .unwrap_or_default(),
                    at: by.map(|b| b.at).unwrap_or_default(),
                    why: u.why,
                },
            }
        }
        Reach::Answered(d) => ReachedBy::Unreachable {
            unreachable_by: Shadow {
                by: format!("{} {}", d.name(), words(d)),
                at: at(sources, d.span),
                why: "the server's own return answers every request before a location is searched",
            },
        },
        Reach::Named(from) => ReachedBy::Named {
            named_from: from
                .iter()
                .map(|d| LocRef {
                    what: d.name().to_string(),
                    at: at(sources, d.span),
                })
                .collect(),
        },
        Reach::Unknown(why) => ReachedBy::Unknown { no_example: why },
    }
}
