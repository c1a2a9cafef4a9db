//! Drawing a [`Graph`]: a text tree, Graphviz dot, Mermaid (JSON is the
//! structure itself).

use std::fmt::Write as _;

use super::{Graph, GraphFormat, ReachedBy};

pub fn render(g: &Graph, format: GraphFormat) -> String {
    match format {
        GraphFormat::Json => serde_json::to_string_pretty(g)
            .map(|s| s + "\n")
            .unwrap_or_default(),
        GraphFormat::Text => text(g),
        GraphFormat::Dot => dot(g),
        GraphFormat::Mermaid => mermaid(g),
    }
}

fn mark(status: &str) -> &'static str {
    match status {
        "ok" => "✓",
        "missing" | "unresolved" | "unreachable" => "✗",
        "runtime" | "port-unknown" => "?",
        _ => "→",
    }
}

/// A location's reach, as the text and the diagrams say it.
pub fn reach_text(r: &ReachedBy) -> String {
    match r {
        ReachedBy::Example {
            example,
            every_path_under: None,
            ..
        } => format!("e.g. {example}"),
        ReachedBy::Example {
            example,
            every_path_under: Some(p),
            except,
        } => {
            let but = match except.len() {
                0 => String::new(),
                1..=3 => {
                    let names: Vec<&str> = except.iter().map(|e| e.what.as_str()).collect();
                    format!(" not taken by {}", names.join(", "))
                }
                n => format!(" not taken by {n} other locations"),
            };
            let under = if p == "/" {
                String::new()
            } else {
                format!(" under {p}")
            };
            format!("e.g. {example}; every path{under}{but}")
        }
        ReachedBy::Unreachable { unreachable_by: u } => {
            format!("unreachable: taken by {} [{}]", u.by, u.at)
        }
        ReachedBy::Named { named_from } if named_from.is_empty() => {
            "named: no try_files or error_page names it".into()
        }
        ReachedBy::Named { named_from } => {
            let from: Vec<String> = named_from
                .iter()
                .map(|f| format!("{} [{}]", f.what, f.at))
                .collect();
            format!("named: reached by {}", from.join(", "))
        }
        ReachedBy::Unknown { no_example } => format!("no example found: {no_example}"),
    }
}

/// One line of a server's tree: a location (with its reach) or a route,
/// then the lines under it.
struct Line {
    head: String,
    under: Vec<String>,
}

/// A server's lines: routes outside any location first, then every
/// location in order, a location with pass directives as one line per
/// route.
fn server_lines(s: &super::ServerNode) -> Vec<Line> {
    let node = |scope| s.locations.iter().find(|l| Some(l.scope) == scope);
    let route_line = |r: &super::Route| {
        let l = node(r.location_scope);
        Line {
            head: route_head(
                r,
                l.map_or(0, |l| l.depth),
                &l.map(|l| format!(" ({})", reach_text(&l.reached_by)))
                    .unwrap_or_default(),
            ),
            under: endpoint_lines(r),
        }
    };
    let known = |r: &&super::Route| {
        r.location_scope
            .is_some_and(|sc| s.locations.iter().any(|l| l.scope == sc))
    };
    let mut lines: Vec<Line> = s
        .routes
        .iter()
        .filter(|r| !known(r))
        .map(route_line)
        .collect();
    for l in &s.locations {
        let routes: Vec<&super::Route> = s
            .routes
            .iter()
            .filter(|r| r.location_scope == Some(l.scope))
            .collect();
        if routes.is_empty() {
            lines.push(Line {
                head: format!(
                    "{}location {} ({})  [{}]",
                    nest(l.depth),
                    l.location,
                    reach_text(&l.reached_by),
                    l.at
                ),
                under: Vec::new(),
            });
        }
        lines.extend(routes.into_iter().map(route_line));
    }
    lines
}

/// Nested locations are indented under the one they are in.
fn nest(depth: usize) -> String {
    "  ".repeat(depth)
}

fn route_head(r: &super::Route, depth: usize, reach: &str) -> String {
    let via = r
        .upstream
        .as_ref()
        .map(|u| format!(" (upstream {u})"))
        .unwrap_or_default();
    format!(
        "{}location {}{reach} → {} {}{via}  [{}]",
        nest(depth),
        r.location,
        r.directive,
        r.target,
        r.at
    )
}

fn endpoint_lines(r: &super::Route) -> Vec<String> {
    r.endpoints
        .iter()
        .enumerate()
        .map(|(j, e)| {
            let b2 = if j + 1 == r.endpoints.len() {
                "└─"
            } else {
                "├─"
            };
            let who = if e.listeners.is_empty() {
                match e.status {
                    "missing" => "nothing listens".to_string(),
                    "external" => "external".to_string(),
                    "runtime" => "decided per request".to_string(),
                    _ => "no such upstream or host".to_string(),
                }
            } else {
                e.listeners
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {}{}",
                            l.kind,
                            l.name,
                            l.at.as_ref().map(|a| format!(" [{a}]")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            format!("{b2} {} {}  {who}", mark(e.status), e.endpoint)
        })
        .collect()
}

fn text(g: &Graph) -> String {
    let mut out = String::new();
    for s in &g.servers {
        let _ = writeln!(
            out,
            "{}  [{}]  listen {}",
            s.name,
            s.at,
            s.listen.join(", ")
        );
        let lines = server_lines(s);
        for (i, line) in lines.iter().enumerate() {
            let (branch, pad) = if i + 1 == lines.len() {
                ("└─", "   ")
            } else {
                ("├─", "│  ")
            };
            let _ = writeln!(out, "{branch} {}", line.head);
            for u in &line.under {
                let _ = writeln!(out, "{pad}{u}");
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(g: &Graph) -> String {
    let mut out = String::from(
        "digraph nginx {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    let mut endpoints = std::collections::BTreeMap::new();
    for (si, s) in g.servers.iter().enumerate() {
        let _ = writeln!(
            out,
            "  s{si} [label=\"{}\\n{}\"];",
            esc(&s.name),
            esc(&s.listen.join(", "))
        );
        dot_locations(&mut out, si, s);
        for (ri, r) in s.routes.iter().enumerate() {
            let _ = writeln!(
                out,
                "  s{si}r{ri} [label=\"{}{}\\n{} {}\", shape=ellipse];",
                esc(&r.location),
                reach_of(s, r)
                    .map(|t| format!("\\n{}", esc(&t)))
                    .unwrap_or_default(),
                r.directive,
                esc(&r.target)
            );
            let _ = writeln!(out, "  s{si} -> s{si}r{ri};");
            for e in &r.endpoints {
                let n = endpoints.len();
                let id = *endpoints.entry(e.endpoint.clone()).or_insert(n);
                let style = if matches!(e.status, "missing" | "unresolved" | "unreachable") {
                    " [color=red]"
                } else {
                    ""
                };
                let _ = writeln!(out, "  s{si}r{ri} -> e{id}{style};");
            }
        }
    }
    let mut listeners = std::collections::BTreeSet::new();
    for s in &g.servers {
        for r in &s.routes {
            for e in &r.endpoints {
                let id = endpoints.get(&e.endpoint).copied().unwrap_or(0);
                let color = match e.status {
                    "missing" | "unresolved" | "unreachable" => "red",
                    "ok" => "darkgreen",
                    _ => "gray",
                };
                let _ = writeln!(
                    out,
                    "  e{id} [label=\"{}\", color={color}];",
                    esc(&e.endpoint)
                );
                for l in &e.listeners {
                    let key = format!("{} {}", l.kind, l.name);
                    let _ = writeln!(out, "  e{id} -> \"{}\";", esc(&key));
                    listeners.insert(key);
                }
            }
        }
    }
    for l in listeners {
        let _ = writeln!(out, "  \"{}\" [shape=component];", esc(&l));
    }
    out.push_str("}\n");
    out
}

/// The reach of a route's location, for the diagrams.
fn reach_of(s: &super::ServerNode, r: &super::Route) -> Option<String> {
    s.locations
        .iter()
        .find(|l| Some(l.scope) == r.location_scope)
        .map(|l| reach_text(&l.reached_by))
}

/// The server's locations without a pass directive, dashed (grey when
/// no request reaches them).
fn dot_locations(out: &mut String, si: usize, s: &super::ServerNode) {
    for (li, l) in s.locations.iter().enumerate() {
        if s.routes.iter().any(|r| r.location_scope == Some(l.scope)) {
            continue;
        }
        let color = match l.reached_by {
            ReachedBy::Unreachable { .. } => ", color=gray, fontcolor=gray",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  s{si}l{li} [label=\"location {}\\n{}\", shape=ellipse, style=dashed{color}];",
            esc(&l.location),
            esc(&reach_text(&l.reached_by))
        );
        let _ = writeln!(out, "  s{si} -> s{si}l{li} [style=dashed];");
    }
}

/// The server's locations without a pass directive, as dotted links.
fn mermaid_locations(
    out: &mut String,
    si: usize,
    s: &super::ServerNode,
    q: &dyn Fn(&str) -> String,
) {
    for (li, l) in s.locations.iter().enumerate() {
        if s.routes.iter().any(|r| r.location_scope == Some(l.scope)) {
            continue;
        }
        let _ = writeln!(
            out,
            "  s{si} -.- s{si}l{li}[\"location {} ({})\"]",
            q(&l.location),
            q(&reach_text(&l.reached_by))
        );
    }
}

fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    let q = |s: &str| s.replace('"', "#quot;");
    for (si, s) in g.servers.iter().enumerate() {
        let _ = writeln!(out, "  s{si}[\"{}\"]", q(&s.name));
        mermaid_locations(&mut out, si, s, &q);
        for (ri, r) in s.routes.iter().enumerate() {
            for (ei, e) in r.endpoints.iter().enumerate() {
                let arrow = if matches!(e.status, "missing" | "unresolved" | "unreachable") {
                    "-.->|✗|"
                } else {
                    "-->"
                };
                let _ = writeln!(
                    out,
                    "  s{si} -->|\"{}{} {}\"| s{si}r{ri}e{ei}[\"{}\"]",
                    q(&r.location),
                    q(&reach_of(s, r)
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default()),
                    r.directive,
                    q(&e.endpoint)
                );
                for (li, l) in e.listeners.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "  s{si}r{ri}e{ei} {arrow} s{si}r{ri}e{ei}l{li}[\"{} {}\"]",
                        l.kind,
                        q(&l.name)
                    );
                }
            }
        }
    }
    out
}
