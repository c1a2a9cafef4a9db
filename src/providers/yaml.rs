//! YAML with byte spans, for Compose files, uWSGI yaml and pm2 ecosystem
//! yaml. Built on yaml-rust2's event parser, which reports the byte offset
//! of every scalar and collection (its document loader and serde-based
//! crates drop positions). Anchors and aliases are resolved; merge keys
//! (`<<: *base`) are honoured by [`Node::get`].

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Collections nested deeper than this are not configuration.
const MAX_DEPTH: usize = 64;
/// Alias expansions allowed per document (a "billion laughs" guard).
const MAX_ALIAS_NODES: usize = 100_000;

#[derive(Clone, Debug, PartialEq)]
pub enum Y {
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub y: Y,
    pub start: usize,
    pub end: usize,
}

impl Node {
    /// The value of a key, looking through merge keys (`<<`).
    pub fn get(&self, key: &str) -> Option<&Node> {
        let Y::Map(entries) = &self.y else {
            return None;
        };
        if let Some((_, v)) = entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)) {
            return Some(v);
        }
        entries
            .iter()
            .filter(|(k, _)| k.as_str() == Some("<<"))
            .find_map(|(_, v)| match &v.y {
                Y::Seq(items) => items.iter().find_map(|m| m.get(key)),
                _ => v.get(key),
            })
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.y {
            Y::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.y {
            Y::Seq(v) => v,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.y {
            Y::Map(v) => v,
            _ => &[],
        }
    }
}

enum Frame {
    Seq(Vec<Node>, usize, usize),
    Map(Vec<(Node, Node)>, Option<Node>, usize, usize),
}

struct Builder<'a> {
    text: &'a str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    aliased: usize,
    too_deep: bool,
}

impl Builder<'_> {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Frame::Seq(items, _, _)) => items.push(node),
            Some(Frame::Map(entries, key, _, _)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => *key = Some(node),
            },
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
        }
    }

    /// Where a scalar starting at `start` ends in the source.
    fn scalar_end(&self, start: usize, value: &str) -> usize {
        let b = self.text.as_bytes();
        match b.get(start) {
            Some(&q @ (b'"' | b'\'')) => {
                let mut i = start + 1;
                while i < b.len() {
                    if b[i] == b'\\' && q == b'"' {
                        i += 2;
                        continue;
                    }
                    if b[i] == q {
                        if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        return i + 1;
                    }
                    i += 1;
                }
                b.len()
            }
            _ if self.text.get(start..start + value.len()) == Some(value) => start + value.len(),
            _ => {
                let line_end = self.text[start.min(b.len())..]
                    .find('\n')
                    .map_or(b.len(), |n| start + n);
                start + self.text[start.min(line_end)..line_end].trim_end().len()
            }
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = mark.index().min(self.text.len());
        match ev {
            Event::Scalar(v, _, anchor, _) => {
                let end = self.scalar_end(at, &v);
                self.push_node(
                    Node {
                        y: Y::Scalar(v),
                        start: at,
                        end,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.too_deep = true;
                }
                self.stack.push(Frame::Seq(Vec::new(), at, anchor));
            }
            Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.too_deep = true;
                }
                self.stack.push(Frame::Map(Vec::new(), None, at, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(items, start, anchor)) => (Y::Seq(items), start, anchor),
                    Some(Frame::Map(entries, _, start, anchor)) => (Y::Map(entries), start, anchor),
                    None => return,
                };
                let (y, start, anchor) = node;
                let end = at.max(start);
                self.push_node(Node { y, start, end }, anchor);
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return;
                };
                self.aliased += count(&node);
                if self.aliased > MAX_ALIAS_NODES {
                    self.too_deep = true;
                    return;
                }
                self.push_node(node, 0);
            }
            _ => {}
        }
    }
}

fn count(n: &Node) -> usize {
    match &n.y {
        Y::Scalar(_) => 1,
        Y::Seq(v) => 1 + v.iter().map(count).sum::<usize>(),
        Y::Map(v) => 1 + v.iter().map(|(k, v)| count(k) + count(v)).sum::<usize>(),
    }
}

/// Why a YAML file could not be read: the byte offset and the parser's
/// words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub offset: usize,
    pub message: String,
}

/// The first document of a YAML file; None when it does not parse.
pub fn parse(text: &str) -> Option<Node> {
    parse_checked(text).ok().flatten()
}

/// The first document of a YAML file (None: an empty file), or why it
/// does not parse.
pub fn parse_checked(text: &str) -> Result<Option<Node>, YamlError> {
    let first = match parse_strict(text) {
        Ok(n) => return Ok(n),
        Err((e, _)) => e,
    };
    // The spec wants a flow collection's closing bracket indented more
    // than its parent block (YAML 1.2.2 §8.2.3), and yaml-rust2 holds to
    // it (its issues #30, #69); Docker Compose's parser (go-yaml) and
    // libyaml accept `]` under the key, as in a healthcheck
    // `test: [` list written over several lines. Such a bracket is moved
    // to the end of the line before it (the same length: every other
    // offset stays), and the file parsed again.
    let mut relaxed = text.to_string();
    for _ in 0..MAX_DEPTH {
        match parse_strict(&relaxed) {
            Ok(n) => return Ok(n),
            Err((_, line)) if hoist_bracket(&mut relaxed, line) => {}
            Err(_) => return Err(first),
        }
    }
    Err(first)
}

/// Moves a closing `]`/`}` that starts line `line` (1-based) to the end
/// of the line before, when that line has no comment; false when it
/// cannot.
fn hoist_bracket(text: &mut String, line: usize) -> bool {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let (Some(&start), Some(&prev)) = (
        starts.get(line.wrapping_sub(1)),
        starts.get(line.wrapping_sub(2)),
    ) else {
        return false;
    };
    let body = &text[start..];
    let indent = body.len() - body.trim_start_matches(' ').len();
    let at = start + indent;
    if !matches!(text.as_bytes().get(at), Some(b']' | b'}')) || text[prev..start].contains('#') {
        return false;
    }
    let bracket = if text.as_bytes()[at] == b']' {
        "]"
    } else {
        "}"
    };
    // "\n" + indent + "]" becomes "]" + "\n" + indent.
    let nl = start - 1;
    text.replace_range(nl..=at, &format!("{bracket}\n{}", " ".repeat(indent)));
    true
}

/// One strict parse: the document, or the error and its line (1-based).
fn parse_strict(text: &str) -> Result<Option<Node>, (YamlError, usize)> {
    let mut b = Builder {
        text,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        aliased: 0,
        too_deep: false,
    };
    let mut parser = Parser::new_from_str(text);
    // A nesting bomb is refused by the parser's own recursion guard or by
    // ours; either way the file is skipped.
    if let Err(e) = parser.load(&mut b, false) {
        let err = YamlError {
            offset: e.marker().index().min(text.len()),
            message: e.info().to_string(),
        };
        return Err((err, e.marker().line()));
    }
    if b.too_deep {
        let err = YamlError {
            offset: 0,
            message: format!(
                "nested deeper than {MAX_DEPTH} levels or more than {MAX_ALIAS_NODES} nodes through aliases"
            ),
        };
        return Err((err, 0));
    }
    Ok(b.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_merge_keys() {
        let src = "x-base: &base\n  image: node:20\nservices:\n  app:\n    <<: *base\n    ports:\n      - \"8080:3000\"\n      - 9229\n    expose: ['3000']\n";
        let root = parse(src).expect("parses");
        let app = root
            .get("services")
            .and_then(|s| s.get("app"))
            .expect("app");
        assert_eq!(app.get("image").and_then(Node::as_str), Some("node:20"));
        let ports = app.get("ports").expect("ports").items();
        assert_eq!(ports[0].as_str(), Some("8080:3000"));
        assert_eq!(&src[ports[0].start..ports[0].end], "\"8080:3000\"");
        assert_eq!(&src[ports[1].start..ports[1].end], "9229");
        let expose = app.get("expose").expect("expose").items();
        assert_eq!(&src[expose[0].start..expose[0].end], "'3000'");
    }

    /// A flow list spanning lines (a healthcheck `test: [` written over
    /// several lines) is YAML like any other.
    #[test]
    fn multi_line_flow_lists() {
        let src = "services:\n  db:\n    image: mariadb\n    healthcheck:\n      test: [\n        \"CMD\",\n        \"healthcheck.sh\",\n        \"--connect\"\n      ]\n      interval: 10s\n  app:\n    image: node\n    ports: [\"3000:3000\",\n      \"9229:9229\"]\n";
        let root = parse_checked(src).expect("parses").expect("a document");
        let s = root.get("services").expect("services");
        let test = s
            .get("db")
            .and_then(|d| d.get("healthcheck"))
            .and_then(|h| h.get("test"));
        assert_eq!(test.map(|t| t.items().len()), Some(3));
        let ports = s.get("app").and_then(|a| a.get("ports")).expect("ports");
        assert_eq!(
            &src[ports.items()[1].start..ports.items()[1].end],
            "\"9229:9229\""
        );
    }

    #[test]
    fn errors_have_offsets() {
        let e =
            parse_checked("services:\n  app:\n    image: [node\n  web: x\n").expect_err("broken");
        assert!(e.offset > 10, "{e:?}");
    }

    #[test]
    fn broken_yaml_is_none() {
        assert!(parse("a: [1, 2\n").is_none());
        assert!(parse(&"[".repeat(5000)).is_none());
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert!(parse(bomb).is_none());
    }
}
