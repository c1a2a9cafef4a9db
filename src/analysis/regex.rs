//! A small PCRE pattern parser for the questions the security rules ask of
//! nginx regexes: how many capture groups and which names, whether a group
//! can capture a line feed or an arbitrary string, whether the pattern is
//! anchored, whether it can backtrack catastrophically, and whether PCRE
//! would refuse to compile it.
//!
//! It never panics and never recurses on the input's nesting while parsing
//! (groups live on an explicit stack); nodes are built bottom-up into one
//! arena, so per-node facts are computed in a single forward pass. Like
//! PCRE2, it refuses nesting deeper than 250 parentheses, which also bounds
//! the recursion of the later analyses.

/// PCRE2's default limit on nested parentheses (`PARENS_NEST_LIMIT`).
pub const MAX_NESTING: usize = 250;

/// A set of bytes (a character class, a literal, `.`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub const EMPTY: ByteSet = ByteSet([0; 4]);
    pub const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    pub fn single(b: u8) -> ByteSet {
        let mut s = ByteSet::EMPTY;
        s.insert(b);
        s
    }

    pub fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    pub fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.insert(b);
        }
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    pub fn union(self, o: ByteSet) -> ByteSet {
        ByteSet([
            self.0[0] | o.0[0],
            self.0[1] | o.0[1],
            self.0[2] | o.0[2],
            self.0[3] | o.0[3],
        ])
    }

    pub fn intersects(&self, o: &ByteSet) -> bool {
        (0..4).any(|i| self.0[i] & o.0[i] != 0)
    }

    pub fn negate(self) -> ByteSet {
        ByteSet([!self.0[0], !self.0[1], !self.0[2], !self.0[3]])
    }

    pub fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Add the other case of every ASCII letter.
    fn fold_case(mut self) -> ByteSet {
        for b in b'a'..=b'z' {
            if self.contains(b) || self.contains(b.to_ascii_uppercase()) {
                self.insert(b);
                self.insert(b.to_ascii_uppercase());
            }
        }
        self
    }
}

pub type NodeId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assert {
    /// `^`, `\A`
    Start,
    /// `$`, `\z`, `\Z`
    End,
    /// `\b`, `\B`, `\G`, `\K`, verbs
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// A capturing group, numbered from 1.
    Capture(u32),
    NonCapture,
    Atomic,
    Look,
}

#[derive(Clone, Debug)]
pub enum Node {
    Empty,
    /// Consumes one byte of `set`. `lit` is the byte written (a literal),
    /// `dot` marks an unescaped `.`.
    Set {
        set: ByteSet,
        lit: Option<u8>,
        dot: bool,
    },
    Assert(Assert),
    Group {
        kind: GroupKind,
        child: NodeId,
    },
    Concat(Vec<NodeId>),
    Alt(Vec<NodeId>),
    Repeat {
        child: NodeId,
        min: u32,
        max: Option<u32>,
        possessive: bool,
    },
    /// A back-reference, recursion or subroutine call: matches something
    /// we do not model.
    Opaque,
}

/// Why PCRE would refuse the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: Option<String>,
    pub node: NodeId,
}

/// A parsed pattern with per-node facts.
#[derive(Clone, Debug, Default)]
pub struct Regex {
    pub nodes: Vec<Node>,
    /// Byte range of each node in the pattern.
    pub spans: Vec<(u32, u32)>,
    pub root: NodeId,
    /// Capture groups, index 0 is group 1.
    pub groups: Vec<Group>,
    pub error: Option<RegexError>,
    /// Group numbering we do not model exactly (branch reset `(?|`).
    pub uncertain_groups: bool,
    nullable: Vec<bool>,
    first: Vec<ByteSet>,
    lf: Vec<bool>,
    finite: Vec<bool>,
    parent: Vec<NodeId>,
}

struct Frame {
    kind: GroupKind,
    name: Option<String>,
    open: usize,
    branches: Vec<NodeId>,
    seq: Vec<NodeId>,
    flags: Flags,
}

#[derive(Clone, Copy, Default)]
struct Flags {
    icase: bool,
    dotall: bool,
    extended: bool,
}

impl Regex {
    /// Parse `pattern`; `icase` for nginx's `~*`.
    pub fn parse(pattern: &str, icase: bool) -> Regex {
        let mut p = Parser {
            src: pattern.as_bytes(),
            pos: 0,
            re: Regex::default(),
            flags: Flags {
                icase,
                ..Flags::default()
            },
            names: Vec::new(),
            max_backref: (0, 0),
            lookbehind_opens: Vec::new(),
        };
        p.run();
        let mut re = p.re;
        re.compute();
        re
    }

    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn nullable(&self, id: NodeId) -> bool {
        self.nullable.get(id as usize).copied().unwrap_or(true)
    }

    pub fn first(&self, id: NodeId) -> ByteSet {
        self.first.get(id as usize).copied().unwrap_or(ByteSet::ALL)
    }

    /// Can the node match a line feed?
    pub fn can_match_lf(&self, id: NodeId) -> bool {
        self.lf.get(id as usize).copied().unwrap_or(true)
    }

    /// Does the node match only a few fixed strings (`(a|b)`, `(js|css)`)?
    pub fn is_finite(&self, id: NodeId) -> bool {
        self.finite.get(id as usize).copied().unwrap_or(false)
    }

    /// The capture group with this number (1-based).
    pub fn group(&self, n: u32) -> Option<&Group> {
        self.groups.get((n as usize).checked_sub(1)?)
    }

    /// The capture group with this name.
    pub fn named(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name.as_deref() == Some(name))
    }

    /// The literal byte written right before a node in its sequence, if
    /// any (`/` in `/site/(.*)`).
    pub fn preceding_literal(&self, id: NodeId) -> Option<u8> {
        let p = *self.parent.get(id as usize)?;
        match self.nodes.get(p as usize)? {
            Node::Concat(v) => {
                let k = v.iter().position(|&c| c == id)?;
                match self
                    .nodes
                    .get(v.get(k.checked_sub(1)?).copied()? as usize)?
                {
                    Node::Set { lit, .. } => *lit,
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Every unescaped `.` that stands between two literal letters or
    /// digits (`yandex.ru`): the dot was meant literally.
    pub fn loose_dots(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        for n in &self.nodes {
            let Node::Concat(v) = n else { continue };
            for w in v.windows(3) {
                let alnum = |id: NodeId| matches!(self.node(id), Node::Set { lit: Some(b), .. } if b.is_ascii_alphanumeric());
                if matches!(self.node(w[1]), Node::Set { dot: true, .. })
                    && alnum(w[0])
                    && alnum(w[2])
                {
                    out.push(w[1]);
                }
            }
        }
        out
    }

    /// The top-level alternatives.
    pub fn branches(&self) -> Vec<NodeId> {
        match self.nodes.get(self.root as usize) {
            Some(Node::Alt(v)) => v.clone(),
            Some(_) => vec![self.root],
            None => Vec::new(),
        }
    }

    /// The items of a branch in order (a lone item is its own sequence).
    pub fn seq(&self, id: NodeId) -> Vec<NodeId> {
        match self.nodes.get(id as usize) {
            Some(Node::Concat(v)) => v.clone(),
            Some(_) => vec![id],
            None => Vec::new(),
        }
    }

    /// Does every alternative start with `^` (or `\A`)?
    pub fn anchored_start(&self) -> bool {
        self.ok() && self.starts_anchored(self.root, 0)
    }

    /// Does every alternative end with `$` (or `\z`)?
    pub fn anchored_end(&self) -> bool {
        self.ok() && self.ends_anchored(self.root, 0)
    }

    /// Is some, but not every, top-level alternative anchored at the start?
    pub fn mixed_anchoring(&self) -> bool {
        let b = self.branches();
        if b.len() < 2 || !self.ok() {
            return false;
        }
        let n = b.iter().filter(|&&x| self.starts_anchored(x, 0)).count();
        n > 0 && n < b.len()
    }

    fn starts_anchored(&self, id: NodeId, depth: usize) -> bool {
        if depth > MAX_NESTING * 4 {
            return false;
        }
        match self.node(id) {
            Node::Assert(Assert::Start) => true,
            Node::Concat(v) => {
                for &c in v {
                    match self.node(c) {
                        Node::Empty | Node::Assert(Assert::Other) => continue,
                        Node::Group {
                            kind: GroupKind::Look,
                            ..
                        } => continue,
                        _ => return self.starts_anchored(c, depth + 1),
                    }
                }
                false
            }
            Node::Alt(v) => !v.is_empty() && v.iter().all(|&c| self.starts_anchored(c, depth + 1)),
            Node::Group { kind, child } if *kind != GroupKind::Look => {
                self.starts_anchored(*child, depth + 1)
            }
            _ => false,
        }
    }

    /// Does this node end with `$` on every path?
    pub fn node_ends_anchored(&self, id: NodeId) -> bool {
        self.ends_anchored(id, 0)
    }

    /// The alternatives of the pattern, looking through groups that wrap a
    /// whole alternation (`((^a)|(^b)$)` has the two branches `(^a)` and
    /// `(^b)$`).
    pub fn leaf_branches(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut todo = vec![(self.root, 0usize)];
        while let Some((id, depth)) = todo.pop() {
            if depth > MAX_NESTING * 4 || out.len() > 1000 {
                break;
            }
            match self.nodes.get(id as usize) {
                Some(Node::Alt(v)) => todo.extend(v.iter().rev().map(|&c| (c, depth + 1))),
                Some(Node::Group { kind, child }) if *kind != GroupKind::Look => {
                    todo.push((*child, depth + 1))
                }
                Some(_) => out.push(id),
                None => {}
            }
        }
        out
    }

    fn ends_anchored(&self, id: NodeId, depth: usize) -> bool {
        if depth > MAX_NESTING * 4 {
            return false;
        }
        match self.node(id) {
            Node::Assert(Assert::End) => true,
            Node::Concat(v) => {
                for &c in v.iter().rev() {
                    match self.node(c) {
                        Node::Empty | Node::Assert(Assert::Other) => continue,
                        Node::Group {
                            kind: GroupKind::Look,
                            ..
                        } => continue,
                        _ => return self.ends_anchored(c, depth + 1),
                    }
                }
                false
            }
            Node::Alt(v) => !v.is_empty() && v.iter().all(|&c| self.ends_anchored(c, depth + 1)),
            Node::Group { kind, child } if *kind != GroupKind::Look => {
                self.ends_anchored(*child, depth + 1)
            }
            _ => false,
        }
    }

    /// The source text of a node.
    pub fn text<'p>(&self, pattern: &'p str, id: NodeId) -> &'p str {
        let (s, e) = self.spans.get(id as usize).copied().unwrap_or((0, 0));
        pattern.get(s as usize..e as usize).unwrap_or("")
    }

    fn compute(&mut self) {
        let n = self.nodes.len();
        self.nullable = vec![true; n];
        self.first = vec![ByteSet::EMPTY; n];
        self.lf = vec![false; n];
        self.finite = vec![true; n];
        self.parent = vec![NodeId::MAX; n];
        for i in 0..n {
            match &self.nodes[i] {
                Node::Group { child, .. } | Node::Repeat { child, .. } => {
                    if let Some(p) = self.parent.get_mut(*child as usize) {
                        *p = i as NodeId;
                    }
                }
                Node::Concat(v) | Node::Alt(v) => {
                    for &c in v {
                        if let Some(p) = self.parent.get_mut(c as usize) {
                            *p = i as NodeId;
                        }
                    }
                }
                _ => {}
            }
        }
        // Children always have smaller ids than their parents.
        for i in 0..n {
            let (nl, fs, lf, fin) = match &self.nodes[i] {
                Node::Empty | Node::Assert(_) => (true, ByteSet::EMPTY, false, true),
                Node::Set { set, .. } => (false, *set, set.contains(b'\n'), set.count() <= 2),
                Node::Group { kind, child } => {
                    let c = *child as usize;
                    if *kind == GroupKind::Look {
                        (true, ByteSet::EMPTY, false, true)
                    } else {
                        (self.nullable[c], self.first[c], self.lf[c], self.finite[c])
                    }
                }
                Node::Concat(v) => {
                    let mut nl = true;
                    let mut fs = ByteSet::EMPTY;
                    let mut lf = false;
                    let mut fin = true;
                    for &c in v {
                        let c = c as usize;
                        if nl {
                            fs = fs.union(self.first[c]);
                        }
                        nl = nl && self.nullable[c];
                        lf |= self.lf[c];
                        fin &= self.finite[c];
                    }
                    (nl, fs, lf, fin)
                }
                Node::Alt(v) => {
                    let mut nl = v.is_empty();
                    let mut fs = ByteSet::EMPTY;
                    let mut lf = false;
                    let mut fin = true;
                    for &c in v {
                        let c = c as usize;
                        nl |= self.nullable[c];
                        fs = fs.union(self.first[c]);
                        lf |= self.lf[c];
                        fin &= self.finite[c];
                    }
                    (nl, fs, lf, fin)
                }
                Node::Repeat {
                    child, min, max, ..
                } => {
                    let c = *child as usize;
                    let live = *max != Some(0);
                    (
                        *min == 0 || self.nullable[c],
                        if live { self.first[c] } else { ByteSet::EMPTY },
                        live && self.lf[c],
                        max.is_some() && self.finite[c],
                    )
                }
                Node::Opaque => (true, ByteSet::ALL, false, false),
            };
            self.nullable[i] = nl;
            self.first[i] = fs;
            self.lf[i] = lf;
            self.finite[i] = fin;
        }
    }

    /// A repetition that can backtrack catastrophically: an unbounded,
    /// backtracking loop whose body can split the same text in more than
    /// one way (a nested quantifier whose characters overlap what follows
    /// it, or two alternatives that match the same character). Returns the
    /// loop and the ambiguous part inside it.
    pub fn redos(&self) -> Option<(NodeId, NodeId)> {
        if !self.ok() {
            return None;
        }
        let mut budget: usize = 4_000_000;
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Repeat {
                child,
                max: None,
                possessive: false,
                ..
            } = node
            else {
                continue;
            };
            if self.in_atomic(i as NodeId) {
                continue;
            }
            let wrap = self.first(*child);
            if let Some(bad) = self.ambiguous(*child, wrap, &mut budget, 0) {
                return Some((i as NodeId, bad));
            }
            if budget == 0 {
                return None;
            }
        }
        None
    }

    /// Is the node inside an atomic group, a lookaround or a possessive
    /// repetition (where the engine never backtracks into it)?
    fn in_atomic(&self, id: NodeId) -> bool {
        let mut cur = id;
        for _ in 0..MAX_NESTING * 8 {
            let Some(&p) = self.parent.get(cur as usize) else {
                return false;
            };
            if p == NodeId::MAX {
                return false;
            }
            match self.node(p) {
                Node::Group {
                    kind: GroupKind::Atomic | GroupKind::Look,
                    ..
                } => return true,
                Node::Repeat {
                    possessive: true, ..
                } => return true,
                _ => {}
            }
            cur = p;
        }
        false
    }

    fn ambiguous(
        &self,
        id: NodeId,
        follow: ByteSet,
        budget: &mut usize,
        depth: usize,
    ) -> Option<NodeId> {
        if *budget == 0 || depth > MAX_NESTING * 4 {
            return None;
        }
        *budget -= 1;
        match self.node(id) {
            Node::Concat(v) => {
                let mut f = follow;
                let mut follows = vec![ByteSet::EMPTY; v.len()];
                for (k, &c) in v.iter().enumerate().rev() {
                    follows[k] = f;
                    f = if self.nullable(c) {
                        self.first(c).union(f)
                    } else {
                        self.first(c)
                    };
                }
                for (k, &c) in v.iter().enumerate() {
                    if let Some(x) = self.ambiguous(c, follows[k], budget, depth + 1) {
                        return Some(x);
                    }
                }
                None
            }
            Node::Alt(v) => {
                for (a, &x) in v.iter().enumerate() {
                    for &y in &v[a + 1..] {
                        if let (Some(sx), Some(sy)) = (self.single(x, 0), self.single(y, 0))
                            && sx.intersects(&sy)
                        {
                            return Some(id);
                        }
                    }
                }
                for &c in v {
                    if let Some(x) = self.ambiguous(c, follow, budget, depth + 1) {
                        return Some(x);
                    }
                }
                None
            }
            Node::Group { kind, child } => match kind {
                GroupKind::Atomic | GroupKind::Look => None,
                _ => self.ambiguous(*child, follow, budget, depth + 1),
            },
            Node::Repeat {
                child,
                min,
                max,
                possessive,
            } => {
                if *possessive {
                    return None;
                }
                let variable = max.is_none_or(|m| m > *min);
                if variable && self.first(*child).intersects(&follow) {
                    return Some(id);
                }
                let inner = if variable {
                    self.first(*child).union(follow)
                } else {
                    follow
                };
                self.ambiguous(*child, inner, budget, depth + 1)
            }
            _ => None,
        }
    }

    /// The characters of a node that always matches exactly one byte.
    fn single(&self, id: NodeId, depth: usize) -> Option<ByteSet> {
        if depth > MAX_NESTING * 4 {
            return None;
        }
        match self.node(id) {
            Node::Set { set, .. } => Some(*set),
            Node::Group { kind, child } if *kind != GroupKind::Look => {
                self.single(*child, depth + 1)
            }
            Node::Concat(v) if v.len() == 1 => self.single(v[0], depth + 1),
            Node::Alt(v) if !v.is_empty() => {
                let mut s = ByteSet::EMPTY;
                for &c in v {
                    s = s.union(self.single(c, depth + 1)?);
                }
                Some(s)
            }
            _ => None,
        }
    }
}

struct Parser<'p> {
    src: &'p [u8],
    pos: usize,
    re: Regex,
    flags: Flags,
    names: Vec<(String, usize)>,
    max_backref: (u32, usize),
    /// Where each lookbehind opened (PCRE2 needs each of its branches to
    /// have a fixed length).
    lookbehind_opens: Vec<usize>,
}

impl Parser<'_> {
    fn fail(&mut self, offset: usize, msg: impl Into<String>) {
        if self.re.error.is_none() {
            self.re.error = Some(RegexError {
                offset,
                message: msg.into(),
            });
        }
    }

    fn push(&mut self, n: Node, start: usize, end: usize) -> NodeId {
        let id = self.re.nodes.len() as NodeId;
        self.re.nodes.push(n);
        self.re.spans.push((start as u32, end as u32));
        id
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn lit(&mut self, b: u8, start: usize) -> NodeId {
        let mut set = ByteSet::single(b);
        if self.flags.icase {
            set = set.fold_case();
        }
        self.push(
            Node::Set {
                set,
                lit: Some(b),
                dot: false,
            },
            start,
            self.pos,
        )
    }

    fn set(&mut self, set: ByteSet, start: usize) -> NodeId {
        let set = if self.flags.icase {
            set.fold_case()
        } else {
            set
        };
        self.push(
            Node::Set {
                set,
                lit: None,
                dot: false,
            },
            start,
            self.pos,
        )
    }

    fn run(&mut self) {
        let mut stack: Vec<Frame> = vec![Frame {
            kind: GroupKind::NonCapture,
            name: None,
            open: 0,
            branches: Vec::new(),
            seq: Vec::new(),
            flags: self.flags,
        }];
        let mut ncap: u32 = 0;
        while self.pos < self.src.len() {
            if self.re.error.is_some() {
                return;
            }
            let start = self.pos;
            let c = self.src[self.pos];
            self.pos += 1;
            if self.flags.extended {
                if c.is_ascii_whitespace() {
                    continue;
                }
                if c == b'#' {
                    while let Some(b) = self.peek() {
                        self.pos += 1;
                        if b == b'\n' {
                            break;
                        }
                    }
                    continue;
                }
            }
            match c {
                b'(' => {
                    if stack.len() > MAX_NESTING {
                        self.fail(start, "parentheses are too deeply nested");
                        return;
                    }
                    let saved = self.flags;
                    match self.group_open(start, &mut ncap) {
                        GroupOpen::Frame(kind, name) => {
                            stack.push(Frame {
                                kind,
                                name,
                                open: start,
                                branches: Vec::new(),
                                seq: Vec::new(),
                                flags: saved,
                            });
                        }
                        GroupOpen::Atom(n) => push_seq(&mut stack, n),
                        GroupOpen::FlagsOnly => {}
                        GroupOpen::Error => return,
                    }
                }
                b')' => {
                    if stack.len() == 1 {
                        self.fail(start, "unmatched closing parenthesis");
                        return;
                    }
                    let Some(mut f) = stack.pop() else { return };
                    let body = self.close_alt(&mut f, start);
                    self.flags = f.flags;
                    let node = self.push(
                        Node::Group {
                            kind: f.kind,
                            child: body,
                        },
                        f.open,
                        self.pos,
                    );
                    if f.kind == GroupKind::Look
                        && self.lookbehind_opens.contains(&f.open)
                        && !self.fixed_branches(body)
                    {
                        self.fail(f.open, "lookbehind assertion is not fixed length");
                        return;
                    }
                    if let GroupKind::Capture(n) = f.kind
                        && let Some(g) = self.re.groups.get_mut(n as usize - 1)
                    {
                        g.node = node;
                        g.name = f.name.take();
                    }
                    if let Some(t) = stack.last_mut() {
                        t.seq.push(node);
                    }
                }
                b'|' => {
                    let seq = stack.last_mut().map(|t| std::mem::take(&mut t.seq));
                    let n = self.concat(seq.unwrap_or_default(), start);
                    if let Some(t) = stack.last_mut() {
                        t.branches.push(n);
                    }
                }
                b'*' | b'+' | b'?' => {
                    let (min, max) = match c {
                        b'*' => (0, None),
                        b'+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.quantify(&mut stack, min, max, start);
                }
                b'{' => match self.counted() {
                    Some(Ok((min, max))) => self.quantify(&mut stack, min, max, start),
                    Some(Err(msg)) => {
                        self.fail(start, msg);
                        return;
                    }
                    None => {
                        let n = self.lit(b'{', start);
                        push_seq(&mut stack, n);
                    }
                },
                b'^' => {
                    let n = self.push(Node::Assert(Assert::Start), start, self.pos);
                    push_seq(&mut stack, n);
                }
                b'$' => {
                    let n = self.push(Node::Assert(Assert::End), start, self.pos);
                    push_seq(&mut stack, n);
                }
                b'.' => {
                    let mut set = ByteSet::ALL;
                    if !self.flags.dotall {
                        set = ByteSet([!(1u64 << b'\n'), u64::MAX, u64::MAX, u64::MAX]);
                    }
                    let n = self.push(
                        Node::Set {
                            set,
                            lit: None,
                            dot: true,
                        },
                        start,
                        self.pos,
                    );
                    push_seq(&mut stack, n);
                }
                b'[' => match self.class() {
                    Some(set) => {
                        let n = self.set(set, start);
                        if let Some(t) = stack.last_mut() {
                            t.seq.push(n);
                        }
                    }
                    None => return,
                },
                b'\\' => {
                    if let Some(n) = self.escape(start, ncap) {
                        if let Some(t) = stack.last_mut() {
                            t.seq.push(n);
                        }
                    } else if self.re.error.is_some() {
                        return;
                    }
                }
                _ => {
                    let n = self.lit(c, start);
                    push_seq(&mut stack, n);
                }
            }
        }
        if self.re.error.is_some() {
            return;
        }
        if stack.len() > 1 {
            let open = stack.last().map_or(0, |f| f.open);
            self.fail(open, "missing closing parenthesis");
            return;
        }
        let Some(mut f) = stack.pop() else { return };
        let end = self.src.len();
        self.re.root = self.close_alt(&mut f, end);
        if self.max_backref.0 > ncap {
            let (n, at) = self.max_backref;
            self.fail(at, format!("reference to non-existent subpattern {n}"));
        }
        for (i, (name, at)) in self.names.iter().enumerate() {
            if self.names[..i].iter().any(|(n, _)| n == name) {
                let (name, at) = (name.clone(), *at);
                self.fail(
                    at,
                    format!("two named subpatterns have the same name `{name}`"),
                );
                break;
            }
        }
    }

    /// Does every top-level branch of a lookbehind have a fixed length?
    fn fixed_branches(&self, id: NodeId) -> bool {
        match self.re.nodes.get(id as usize) {
            Some(Node::Alt(v)) => v.iter().all(|&b| self.width(b, 0).is_some()),
            _ => self.width(id, 0).is_some(),
        }
    }

    fn width(&self, id: NodeId, depth: usize) -> Option<u32> {
        if depth > MAX_NESTING * 4 {
            return None;
        }
        match self.re.nodes.get(id as usize)? {
            Node::Empty | Node::Assert(_) => Some(0),
            Node::Set { .. } => Some(1),
            Node::Group { kind, child } => {
                if *kind == GroupKind::Look {
                    Some(0)
                } else {
                    self.width(*child, depth + 1)
                }
            }
            Node::Concat(v) => {
                let mut w: u32 = 0;
                for &c in v {
                    w = w.saturating_add(self.width(c, depth + 1)?);
                }
                Some(w)
            }
            Node::Alt(v) => {
                let mut w = None;
                for &c in v {
                    let x = self.width(c, depth + 1)?;
                    if w.is_some_and(|w| w != x) {
                        return None;
                    }
                    w = Some(x);
                }
                w
            }
            Node::Repeat {
                child, min, max, ..
            } => {
                if *max != Some(*min) {
                    return None;
                }
                Some(self.width(*child, depth + 1)?.saturating_mul(*min))
            }
            Node::Opaque => None,
        }
    }

    fn concat(&mut self, seq: Vec<NodeId>, end: usize) -> NodeId {
        match seq.len() {
            0 => self.push(Node::Empty, end, end),
            1 => seq[0],
            _ => {
                let s = self.re.spans[seq[0] as usize].0 as usize;
                self.push(Node::Concat(seq), s, end)
            }
        }
    }

    fn close_alt(&mut self, f: &mut Frame, end: usize) -> NodeId {
        let seq = std::mem::take(&mut f.seq);
        let last = self.concat(seq, end);
        if f.branches.is_empty() {
            return last;
        }
        let mut b = std::mem::take(&mut f.branches);
        b.push(last);
        let s = self.re.spans[b[0] as usize].0 as usize;
        self.push(Node::Alt(b), s, end)
    }

    fn quantify(&mut self, stack: &mut [Frame], min: u32, max: Option<u32>, start: usize) {
        let mut possessive = false;
        match self.peek() {
            Some(b'?') => self.pos += 1,
            Some(b'+') => {
                self.pos += 1;
                possessive = true;
            }
            _ => {}
        }
        let Some(top) = stack.last_mut() else { return };
        let Some(&prev) = top.seq.last() else {
            self.fail(start, "quantifier does not follow a repeatable item");
            return;
        };
        let quantified = matches!(self.re.nodes.get(prev as usize), Some(Node::Repeat { .. }))
            && self.re.spans[prev as usize].1 as usize == start;
        // `a**`, `a{2}*`, `^*`: PCRE refuses a quantifier on a quantifier
        // (other than the lazy/possessive suffixes) or on an assertion.
        if quantified || matches!(self.re.nodes.get(prev as usize), Some(Node::Assert(_))) {
            self.fail(start, "quantifier does not follow a repeatable item");
            return;
        }
        top.seq.pop();
        let s = self.re.spans[prev as usize].0 as usize;
        let n = self.push(
            Node::Repeat {
                child: prev,
                min,
                max,
                possessive,
            },
            s,
            self.pos,
        );
        top.seq.push(n);
    }

    /// `{n}`, `{n,}`, `{n,m}` after the `{`; None when it is a literal.
    fn counted(&mut self) -> Option<Result<(u32, Option<u32>), String>> {
        let rest = &self.src[self.pos..];
        let close = rest.iter().take(32).position(|&b| b == b'}')?;
        let body = &rest[..close];
        let text = std::str::from_utf8(body).ok()?;
        let (a, b) = match text.split_once(',') {
            Some((a, b)) => (a.trim(), Some(b.trim())),
            None => (text.trim(), None),
        };
        if a.is_empty() || !a.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if let Some(b) = b
            && !b.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        if text.bytes().any(|c| c == b' ') {
            return None;
        }
        self.pos += close + 1;
        let num = |s: &str| s.parse::<u32>().ok().filter(|&n| n <= 65535);
        let Some(min) = num(a) else {
            return Some(Err("number too big in {} quantifier".into()));
        };
        let max = match b {
            None => Some(min),
            Some("") => None,
            Some(b) => match num(b) {
                Some(m) => Some(m),
                None => return Some(Err("number too big in {} quantifier".into())),
            },
        };
        if let Some(m) = max
            && m < min
        {
            return Some(Err("numbers out of order in {} quantifier".into()));
        }
        Some(Ok((min, max)))
    }

    fn name(&mut self, close: u8) -> Option<String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b == close {
                let name = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
                self.pos += 1;
                let valid = name
                    .bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                    && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
                    && name.len() <= 32;
                if !valid {
                    self.fail(start, format!("invalid group name `{name}`"));
                    return None;
                }
                return Some(name);
            }
            self.pos += 1;
        }
        self.fail(
            start,
            "syntax error in subpattern name (missing terminator?)",
        );
        None
    }

    fn group_open(&mut self, start: usize, ncap: &mut u32) -> GroupOpen {
        if self.peek() == Some(b'*') {
            // A verb like (*UTF8), (*SKIP), (*FAIL): zero width.
            while let Some(b) = self.peek() {
                self.pos += 1;
                if b == b')' {
                    let n = self.push(Node::Assert(Assert::Other), start, self.pos);
                    return GroupOpen::Atom(n);
                }
            }
            self.fail(start, "missing ) after (* verb");
            return GroupOpen::Error;
        }
        if self.peek() != Some(b'?') {
            *ncap += 1;
            self.re.groups.push(Group {
                name: None,
                node: 0,
            });
            return GroupOpen::Frame(GroupKind::Capture(*ncap), None);
        }
        self.pos += 1;
        let Some(c) = self.peek() else {
            self.fail(start, "unrecognized character after (? or (?-");
            return GroupOpen::Error;
        };
        self.pos += 1;
        match c {
            b':' => GroupOpen::Frame(GroupKind::NonCapture, None),
            b'|' => {
                self.re.uncertain_groups = true;
                GroupOpen::Frame(GroupKind::NonCapture, None)
            }
            b'>' => GroupOpen::Frame(GroupKind::Atomic, None),
            b'=' | b'!' => GroupOpen::Frame(GroupKind::Look, None),
            b'<' if matches!(self.peek(), Some(b'=') | Some(b'!')) => {
                self.pos += 1;
                self.lookbehind_opens.push(start);
                GroupOpen::Frame(GroupKind::Look, None)
            }
            b'<' | b'\'' | b'P' => {
                if c == b'P' {
                    match self.peek() {
                        Some(b'<') => self.pos += 1,
                        Some(b'=') | Some(b'>') => {
                            self.pos += 1;
                            if self.name(b')').is_none() {
                                return GroupOpen::Error;
                            }
                            let n = self.push(Node::Opaque, start, self.pos);
                            return GroupOpen::Atom(n);
                        }
                        _ => {
                            self.fail(start, "unrecognized character after (?P");
                            return GroupOpen::Error;
                        }
                    }
                }
                let close = if c == b'\'' { b'\'' } else { b'>' };
                let at = self.pos;
                let Some(name) = self.name(close) else {
                    return GroupOpen::Error;
                };
                self.names.push((name.clone(), at));
                *ncap += 1;
                self.re.groups.push(Group {
                    name: Some(name.clone()),
                    node: 0,
                });
                GroupOpen::Frame(GroupKind::Capture(*ncap), Some(name))
            }
            b'#' => {
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    if b == b')' {
                        return GroupOpen::FlagsOnly;
                    }
                }
                self.fail(start, "missing ) after (?# comment");
                GroupOpen::Error
            }
            b'(' => {
                // Conditional: (?(cond)yes|no). Skip the condition.
                self.re.uncertain_groups = true;
                let mut depth = 1;
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    match b {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                return GroupOpen::Frame(GroupKind::NonCapture, None);
                            }
                        }
                        _ => {}
                    }
                }
                self.fail(start, "malformed conditional group");
                GroupOpen::Error
            }
            b'R' | b'&' | b'0'..=b'9' | b'+' | b'C' => {
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    if b == b')' {
                        let n = self.push(Node::Opaque, start, self.pos);
                        return GroupOpen::Atom(n);
                    }
                }
                self.fail(start, "missing closing parenthesis");
                GroupOpen::Error
            }
            _ => {
                // Option setting: (?i) (?-s) (?i:...) (?^x)
                self.pos -= 1;
                let mut on = true;
                let mut fl = self.flags;
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    match b {
                        b'-' => on = false,
                        b'^' => fl = Flags::default(),
                        b'i' => fl.icase = on,
                        b's' => fl.dotall = on,
                        b'x' => fl.extended = on,
                        b'm' | b'n' | b'U' | b'J' | b'X' => {}
                        b')' => {
                            self.flags = fl;
                            return GroupOpen::FlagsOnly;
                        }
                        b':' => {
                            // Scoped: the frame restores the outer flags.
                            self.flags = fl;
                            return GroupOpen::Frame(GroupKind::NonCapture, None);
                        }
                        _ => {
                            self.fail(self.pos - 1, "unrecognized character after (? or (?-");
                            return GroupOpen::Error;
                        }
                    }
                }
                self.fail(start, "missing closing parenthesis");
                GroupOpen::Error
            }
        }
    }

    /// A character class after `[`.
    fn class(&mut self) -> Option<ByteSet> {
        let start = self.pos - 1;
        let mut set = ByteSet::EMPTY;
        let mut negated = false;
        if self.peek() == Some(b'^') {
            negated = true;
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                self.fail(start, "missing terminating ] for character class");
                return None;
            };
            self.pos += 1;
            if c == b']' && !first {
                break;
            }
            first = false;
            if c == b'[' && self.peek() == Some(b':') {
                // POSIX class [:alpha:]
                let rest = &self.src[self.pos..];
                if let Some(end) = rest.windows(2).position(|w| w == b":]") {
                    let name = &rest[1..end];
                    self.pos += end + 2;
                    match posix(name) {
                        Some(p) => set = set.union(p),
                        None => {
                            self.fail(start, "unknown POSIX class name");
                            return None;
                        }
                    }
                    continue;
                }
            }
            let (atom, single) = if c == b'\\' {
                let Some(e) = self.peek() else {
                    self.fail(self.pos - 1, "\\ at end of pattern");
                    return None;
                };
                self.pos += 1;
                match class_escape(e) {
                    Some(s) => (s, None),
                    None => {
                        if e.is_ascii_alphanumeric() && !b"abcefnrtxoN0123456789pP".contains(&e) {
                            self.fail(self.pos - 1, "unrecognized character follows \\");
                            return None;
                        }
                        let b = if e == b'b' {
                            0x08
                        } else {
                            self.escaped_byte(e)
                        };
                        (ByteSet::single(b), Some(b))
                    }
                }
            } else {
                (ByteSet::single(c), Some(c))
            };
            // A range `a-z`.
            if let Some(lo) = single
                && self.peek() == Some(b'-')
                && self.src.get(self.pos + 1).is_some_and(|&b| b != b']')
            {
                self.pos += 1;
                let Some(hc) = self.peek() else { continue };
                self.pos += 1;
                let hi = if hc == b'\\' {
                    let Some(e) = self.peek() else {
                        self.fail(self.pos - 1, "\\ at end of pattern");
                        return None;
                    };
                    self.pos += 1;
                    if let Some(s) = class_escape(e) {
                        // `[a-\d]`: the dash is literal.
                        set = set.union(ByteSet::single(lo)).union(s);
                        set.insert(b'-');
                        continue;
                    }
                    self.escaped_byte(e)
                } else if hc == b'[' && self.peek() == Some(b':') {
                    self.fail(self.pos - 1, "invalid range in character class");
                    return None;
                } else {
                    hc
                };
                if hi < lo {
                    self.fail(self.pos - 1, "range out of order in character class");
                    return None;
                }
                set.insert_range(lo, hi);
                continue;
            }
            set = set.union(atom);
        }
        Some(if negated { set.negate() } else { set })
    }

    fn escaped_byte(&mut self, e: u8) -> u8 {
        match e {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'f' => 0x0c,
            b'e' => 0x1b,
            b'a' => 0x07,
            b'x' => {
                if self.peek() == Some(b'{') {
                    let rest = &self.src[self.pos..];
                    if let Some(end) = rest.iter().position(|&b| b == b'}') {
                        let hex = std::str::from_utf8(&rest[1..end]).unwrap_or("");
                        self.pos += end + 1;
                        return u32::from_str_radix(hex, 16).map_or(0, |v| v.min(255) as u8);
                    }
                    0
                } else {
                    let mut v: u32 = 0;
                    for _ in 0..2 {
                        match self.peek().and_then(|b| (b as char).to_digit(16)) {
                            Some(d) => {
                                v = v * 16 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    v as u8
                }
            }
            b'0' => {
                let mut v: u32 = 0;
                for _ in 0..2 {
                    match self.peek().and_then(|b| (b as char).to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                v as u8
            }
            b'c' => match self.peek() {
                Some(b) => {
                    self.pos += 1;
                    b.to_ascii_uppercase() ^ 0x40
                }
                None => {
                    self.fail(self.pos - 1, "\\c at end of pattern");
                    0
                }
            },
            other => other,
        }
    }

    /// An escape outside a class, after the `\`.
    fn escape(&mut self, start: usize, ncap: u32) -> Option<NodeId> {
        let Some(e) = self.peek() else {
            self.fail(start, "\\ at end of pattern");
            return None;
        };
        self.pos += 1;
        if let Some(s) = class_escape(e) {
            return Some(self.set(s, start));
        }
        let zero = |p: &mut Self, a| Some(p.push(Node::Assert(a), start, p.pos));
        match e {
            b'A' => zero(self, Assert::Start),
            b'z' | b'Z' => zero(self, Assert::End),
            b'b' | b'B' | b'G' | b'K' => zero(self, Assert::Other),
            b'Q' => {
                // Literal text up to \E.
                let mut seq = Vec::new();
                while self.pos < self.src.len() {
                    if self.src[self.pos..].starts_with(b"\\E") {
                        self.pos += 2;
                        break;
                    }
                    let s = self.pos;
                    let b = self.src[self.pos];
                    self.pos += 1;
                    seq.push(self.lit(b, s));
                }
                Some(self.concat(seq, self.pos))
            }
            b'E' => Some(self.push(Node::Empty, start, self.pos)),
            b'1'..=b'9' => {
                let mut n = (e - b'0') as u32;
                while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                    if n > 1000 {
                        break;
                    }
                    n = n * 10 + (d - b'0') as u32;
                    self.pos += 1;
                }
                if n > 9 && n > ncap {
                    // PCRE reads `\12` as octal when there are fewer groups.
                    return Some(self.lit(0, start));
                }
                if n > self.max_backref.0 {
                    self.max_backref = (n, start);
                }
                Some(self.push(Node::Opaque, start, self.pos))
            }
            b'g' | b'k' => {
                let close = match self.peek() {
                    Some(b'{') => b'}',
                    Some(b'<') => b'>',
                    Some(b'\'') => b'\'',
                    Some(d) if e == b'g' && (d.is_ascii_digit() || d == b'-' || d == b'+') => {
                        while self
                            .peek()
                            .is_some_and(|d| d.is_ascii_digit() || d == b'-' || d == b'+')
                        {
                            self.pos += 1;
                        }
                        return Some(self.push(Node::Opaque, start, self.pos));
                    }
                    _ => {
                        self.fail(
                            start,
                            format!("\\{} is not followed by a name or number", e as char),
                        );
                        return None;
                    }
                };
                self.pos += 1;
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    if b == close {
                        return Some(self.push(Node::Opaque, start, self.pos));
                    }
                }
                self.fail(start, "missing terminator for group reference");
                None
            }
            b'p' | b'P' | b'X' | b'C' => {
                if matches!(e, b'p' | b'P') {
                    if self.peek() == Some(b'{') {
                        while let Some(b) = self.peek() {
                            self.pos += 1;
                            if b == b'}' {
                                break;
                            }
                        }
                    } else {
                        self.pos = (self.pos + 1).min(self.src.len());
                    }
                }
                Some(self.set(ByteSet::ALL, start))
            }
            b'R' => {
                let mut s = ByteSet::EMPTY;
                for b in [b'\n', b'\r', 0x0b, 0x0c, 0x85] {
                    s.insert(b);
                }
                Some(self.set(s, start))
            }
            b'N' => {
                let s = ByteSet::single(b'\n').negate();
                Some(self.set(s, start))
            }
            _ => {
                if e.is_ascii_alphanumeric() && !b"acefnrtxo0".contains(&e) {
                    self.fail(start + 1, "unrecognized character follows \\");
                    return None;
                }
                let b = self.escaped_byte(e);
                if self.re.error.is_some() {
                    return None;
                }
                Some(self.lit(b, start))
            }
        }
    }
}

fn push_seq(stack: &mut [Frame], n: NodeId) {
    if let Some(t) = stack.last_mut() {
        t.seq.push(n);
    }
}

enum GroupOpen {
    Frame(GroupKind, Option<String>),
    Atom(NodeId),
    FlagsOnly,
    Error,
}

/// `\d \D \w \W \s \S \h \H \v \V`: their sets.
fn class_escape(e: u8) -> Option<ByteSet> {
    let mut s = ByteSet::EMPTY;
    let neg = e.is_ascii_uppercase();
    match e.to_ascii_lowercase() {
        b'd' => s.insert_range(b'0', b'9'),
        b'w' => {
            s.insert_range(b'0', b'9');
            s.insert_range(b'a', b'z');
            s.insert_range(b'A', b'Z');
            s.insert(b'_');
        }
        b's' => {
            for b in [b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'] {
                s.insert(b);
            }
        }
        b'h' => {
            s.insert(b' ');
            s.insert(b'\t');
        }
        b'v' => {
            for b in [b'\n', 0x0b, 0x0c, b'\r'] {
                s.insert(b);
            }
        }
        _ => return None,
    }
    Some(if neg { s.negate() } else { s })
}

fn posix(name: &[u8]) -> Option<ByteSet> {
    let (neg, name) = match name.strip_prefix(b"^") {
        Some(n) => (true, n),
        None => (false, name),
    };
    let mut s = ByteSet::EMPTY;
    match name {
        b"alpha" => {
            s.insert_range(b'a', b'z');
            s.insert_range(b'A', b'Z');
        }
        b"digit" => s.insert_range(b'0', b'9'),
        b"alnum" | b"word" => {
            s.insert_range(b'a', b'z');
            s.insert_range(b'A', b'Z');
            s.insert_range(b'0', b'9');
            if name == b"word" {
                s.insert(b'_');
            }
        }
        b"lower" => s.insert_range(b'a', b'z'),
        b"upper" => s.insert_range(b'A', b'Z'),
        b"xdigit" => {
            s.insert_range(b'0', b'9');
            s.insert_range(b'a', b'f');
            s.insert_range(b'A', b'F');
        }
        b"space" => {
            for b in [b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'] {
                s.insert(b);
            }
        }
        b"blank" => {
            s.insert(b' ');
            s.insert(b'\t');
        }
        b"punct" => {
            for b in 0x21u8..0x7f {
                if !b.is_ascii_alphanumeric() {
                    s.insert(b);
                }
            }
        }
        b"cntrl" => s.insert_range(0, 0x1f),
        b"graph" | b"print" => s.insert_range(0x21, 0x7e),
        _ => return None,
    }
    Some(if neg { s.negate() } else { s })
}

#[cfg(test)]
mod tests;
