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

/// The first document of a YAML file; None when it does not parse.
pub fn parse(text: &str) -> Option<Node> {
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
    parser.load(&mut b, false).ok()?;
    if b.too_deep {
        return None;
    }
    b.root
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

    #[test]
    fn broken_yaml_is_none() {
        assert!(parse("a: [1, 2\n").is_none());
        assert!(parse(&"[".repeat(5000)).is_none());
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert!(parse(bomb).is_none());
    }
}
