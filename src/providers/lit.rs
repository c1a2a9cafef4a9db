//! Literal values of JavaScript object literals, JSON and Python
//! assignments, with byte spans: enough to read a pm2 ecosystem file
//! (`module.exports = { apps: [...] }`) or a `gunicorn.conf.py` without a
//! language engine. Comments, trailing commas, unquoted keys and single
//! quotes are accepted; an expression that is not a literal
//! (`process.env.PORT || 3000`, `multiprocessing.cpu_count() * 2`) is kept
//! as [`Lit::Expr`] and skipped up to the next `,` or closing bracket.

/// Nesting deeper than this is not configuration: give up.
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Arr(Vec<Node>),
    /// Keys with their spans, values.
    Obj(Vec<(String, (usize, usize), Node)>),
    /// Anything else (an expression), as written.
    Expr(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub lit: Lit,
    /// Byte offsets in the parsed text.
    pub start: usize,
    pub end: usize,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.lit {
            Lit::Obj(entries) => entries
                .iter()
                .rev()
                .find(|(k, _, _)| k == key)
                .map(|e| &e.2),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.lit {
            Lit::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A number, or a string holding one (`"3000"`).
    pub fn as_u64(&self) -> Option<u64> {
        match &self.lit {
            Lit::Num(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 1e15 => Some(*n as u64),
            Lit::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.lit {
            Lit::Arr(v) => v,
            _ => &[],
        }
    }
}

/// Which language's comments and literals to accept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// JavaScript and JSON: `//` and `/* */` comments, `true`, `null`.
    Js,
    /// Python: `#` comments, `True`, `None`, tuples.
    Python,
}

pub struct Parser<'a> {
    s: &'a [u8],
    pub pos: usize,
    lang: Lang,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str, pos: usize, lang: Lang) -> Parser<'a> {
        Parser {
            s: text.as_bytes(),
            pos,
            lang,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Skip whitespace and comments. In Python, a newline outside brackets
    /// ends the statement, so `stop_at_newline` keeps it.
    pub fn skip_ws(&mut self, stop_at_newline: bool) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' if stop_at_newline => return,
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'\\' if self.lang == Lang::Python && self.s.get(self.pos + 1) == Some(&b'\n') => {
                    self.pos += 2
                }
                b'#' if self.lang == Lang::Python => self.skip_line(),
                b'/' if self.lang == Lang::Js && self.s.get(self.pos + 1) == Some(&b'/') => {
                    self.skip_line()
                }
                b'/' if self.lang == Lang::Js && self.s.get(self.pos + 1) == Some(&b'*') => {
                    self.pos += 2;
                    while self.pos < self.s.len() && !self.s[self.pos..].starts_with(b"*/") {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(self.s.len());
                }
                _ => return,
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'\n' {
                return;
            }
            self.pos += 1;
        }
    }

    /// One value; None at the end of input or on a closing bracket.
    pub fn value(&mut self) -> Option<Node> {
        self.skip_ws(false);
        let start = self.pos;
        let c = self.peek()?;
        if self.depth >= MAX_DEPTH {
            return None;
        }
        let lit = match c {
            b'{' => {
                self.depth += 1;
                let o = self.object();
                self.depth -= 1;
                o?
            }
            b'[' => {
                self.depth += 1;
                let a = self.array(b']');
                self.depth -= 1;
                Lit::Arr(a?)
            }
            b'(' if self.lang == Lang::Python => {
                self.depth += 1;
                let a = self.array(b')');
                self.depth -= 1;
                Lit::Arr(a?)
            }
            b'"' | b'\'' | b'`' => {
                let (s, ok) = self.string();
                let s = s?;
                if !ok || self.continues_expression() {
                    return Some(self.expr_from(start));
                }
                Lit::Str(s)
            }
            b']' | b'}' | b')' | b',' => return None,
            _ => return Some(self.word_or_expr(start)),
        };
        if self.continues_expression() {
            return Some(self.expr_from(start));
        }
        Some(Node {
            lit,
            start,
            end: self.pos,
        })
    }

    /// After a value: does an operator follow (`"a" + b`)?
    fn continues_expression(&mut self) -> bool {
        let save = self.pos;
        self.skip_ws(self.depth == 0);
        let more = !matches!(
            self.peek(),
            None | Some(b',' | b'}' | b']' | b')' | b';' | b'\n')
        );
        self.pos = save;
        more
    }

    /// Skip an expression up to the next `,`, `;`, newline (Python, top
    /// level) or unbalanced closing bracket.
    fn expr_from(&mut self, start: usize) -> Node {
        self.pos = start;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'"' | b'\'' | b'`' => {
                    let _ = self.string();
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => break,
                b')' | b']' | b'}' => depth -= 1,
                b',' | b';' if depth == 0 => break,
                b'\n' if depth == 0 && self.depth == 0 => break,
                b'#' if self.lang == Lang::Python => {
                    self.skip_line();
                    continue;
                }
                b'/' if self.lang == Lang::Js
                    && matches!(self.s.get(self.pos + 1), Some(b'/' | b'*')) =>
                {
                    self.skip_ws(false);
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.pos])
            .trim()
            .to_string();
        Node {
            lit: Lit::Expr(text),
            start,
            end: self.pos,
        }
    }

    fn word_or_expr(&mut self, start: usize) -> Node {
        let end = self.s[start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+')))
            .map_or(self.s.len(), |n| start + n);
        let word = String::from_utf8_lossy(&self.s[start..end]).to_string();
        self.pos = end;
        let lit = match (word.as_str(), self.lang) {
            ("true", Lang::Js) | ("True", Lang::Python) => Some(Lit::Bool(true)),
            ("false", Lang::Js) | ("False", Lang::Python) => Some(Lit::Bool(false)),
            ("null" | "undefined", Lang::Js) | ("None", Lang::Python) => Some(Lit::Null),
            _ => parse_number(&word).map(Lit::Num),
        };
        match lit {
            Some(lit) if !word.is_empty() && !self.continues_expression() => {
                Node { lit, start, end }
            }
            _ => self.expr_from(start),
        }
    }

    /// A quoted string (the opening quote at `pos`); returns the value and
    /// whether it is a plain literal (no `${}` interpolation, no f-string).
    fn string(&mut self) -> (Option<String>, bool) {
        let Some(q) = self.peek() else {
            return (None, false);
        };
        let triple = self.lang == Lang::Python && self.s[self.pos..].starts_with(&[q, q, q]);
        let prefix_f = self.lang == Lang::Python
            && self.pos > 0
            && matches!(self.s[self.pos - 1], b'f' | b'F');
        self.pos += if triple { 3 } else { 1 };
        let mut out = Vec::new();
        let mut plain = !prefix_f;
        while let Some(c) = self.peek() {
            if triple {
                if self.s[self.pos..].starts_with(&[q, q, q]) {
                    self.pos += 3;
                    return (Some(String::from_utf8_lossy(&out).into_owned()), plain);
                }
            } else if c == q {
                self.pos += 1;
                return (Some(String::from_utf8_lossy(&out).into_owned()), plain);
            } else if c == b'\n' && q != b'`' {
                return (None, false);
            }
            if c == b'\\' {
                let e = self.s.get(self.pos + 1).copied().unwrap_or(b'\\');
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    other => other,
                });
                self.pos += 2;
                continue;
            }
            if q == b'`' && c == b'$' && self.s.get(self.pos + 1) == Some(&b'{') {
                plain = false;
            }
            out.push(c);
            self.pos += 1;
        }
        (None, false)
    }

    fn array(&mut self, close: u8) -> Option<Vec<Node>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws(false);
            match self.peek()? {
                c if c == close => {
                    self.pos += 1;
                    return Some(items);
                }
                b',' => self.pos += 1,
                b']' | b'}' | b')' => return None,
                _ => {
                    let before = self.pos;
                    match self.value() {
                        Some(v) => items.push(v),
                        None if self.pos == before => self.pos += 1,
                        None => {}
                    }
                }
            }
        }
    }

    fn object(&mut self) -> Option<Lit> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_ws(false);
            let c = self.peek()?;
            match c {
                b'}' => {
                    self.pos += 1;
                    return Some(Lit::Obj(entries));
                }
                b',' => {
                    self.pos += 1;
                    continue;
                }
                b']' | b')' => return None,
                _ => {}
            }
            let kstart = self.pos;
            let key = match c {
                b'"' | b'\'' => self.string().0?,
                b'.' if self.s[self.pos..].starts_with(b"...") => {
                    // A spread: not a key.
                    self.expr_from(kstart);
                    continue;
                }
                _ => {
                    let end = self.s[kstart..]
                        .iter()
                        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$')))
                        .map_or(self.s.len(), |n| kstart + n);
                    if end == kstart {
                        // Not a key (a computed key, a method): skip it.
                        self.expr_from(kstart);
                        if self.peek() == Some(b',') {
                            self.pos += 1;
                        }
                        continue;
                    }
                    self.pos = end;
                    String::from_utf8_lossy(&self.s[kstart..end]).into_owned()
                }
            };
            let kspan = (kstart, self.pos);
            self.skip_ws(false);
            if self.peek() == Some(b':') {
                self.pos += 1;
                let before = self.pos;
                if let Some(v) = self.value() {
                    entries.push((key, kspan, v));
                } else if self.pos == before && !matches!(self.peek(), Some(b'}' | b',')) {
                    return None;
                }
            } else {
                // Shorthand `{ apps }` or a method `name() {}`: skip.
                self.expr_from(self.pos);
            }
        }
    }
}

fn parse_number(w: &str) -> Option<f64> {
    let w = w.replace('_', "");
    if let Some(hex) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    if let Some(oct) = w.strip_prefix("0o").or_else(|| w.strip_prefix("0O")) {
        return i64::from_str_radix(oct, 8).ok().map(|n| n as f64);
    }
    let first = w.bytes().next()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    w.parse().ok()
}

/// The value assigned by `module.exports =`, `export default` or, for a
/// JSON file, the whole document.
pub fn js_exports(text: &str) -> Option<Node> {
    for marker in ["module.exports", "export default"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(marker) {
            let at = from + i + marker.len();
            let mut p = Parser::new(text, at, Lang::Js);
            p.skip_ws(false);
            if marker == "module.exports" {
                if p.peek() != Some(b'=') {
                    from = at;
                    continue;
                }
                p.pos += 1;
            }
            if let Some(v) = p.value() {
                return Some(v);
            }
            from = at;
        }
    }
    let mut p = Parser::new(text, 0, Lang::Js);
    p.value().filter(|v| matches!(v.lit, Lit::Obj(_)))
}

/// Top-level `name = value` assignments of a Python file (no indentation),
/// in order.
pub fn python_assignments(text: &str) -> Vec<(String, (usize, usize), Node)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    let bytes = text.as_bytes();
    while line_start < bytes.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |n| line_start + n);
        let line = &text[line_start..line_end];
        let ident_len = line
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
            .unwrap_or(line.len());
        let mut next = line_end + 1;
        if ident_len > 0 && !line.as_bytes()[0].is_ascii_digit() {
            let rest = &line[ident_len..];
            let trimmed = rest.trim_start();
            if trimmed.starts_with('=') && !trimmed.starts_with("==") {
                let eq = line_start + ident_len + (rest.len() - trimmed.len()) + 1;
                let mut p = Parser::new(text, eq, Lang::Python);
                p.skip_ws(true);
                if let Some(v) = p.value() {
                    let end = v.end;
                    out.push((
                        line[..ident_len].to_string(),
                        (line_start, line_start + ident_len),
                        v,
                    ));
                    // A value spanning lines (a list) ends where it ends.
                    if end > line_end {
                        next = text
                            .get(end..)
                            .and_then(|t| t.find('\n'))
                            .map_or(text.len(), |n| end + n + 1);
                    }
                }
            }
        }
        line_start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_js() {
        let src = r#"
// pm2
module.exports = {
  apps : [{
    name: 'api', // the API
    script: "./server.js",
    instances: 2,
    env: { NODE_ENV: 'production', PORT: 3000, },
    args: ['--port', '3001'],
    cwd: __dirname + '/api',
    port: process.env.PORT || 8080,
  }, /* second */ {
    name: `worker`,
    env: { ...common, PORT: "4000" },
  },],
};
"#;
        let v = js_exports(src).expect("parsed");
        let apps = v.get("apps").expect("apps").items();
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0].get("name").and_then(Node::as_str), Some("api"));
        let port = apps[0]
            .get("env")
            .and_then(|e| e.get("PORT"))
            .expect("port");
        assert_eq!(port.as_u64(), Some(3000));
        assert_eq!(&src[port.start..port.end], "3000");
        assert!(matches!(
            apps[0].get("port").map(|n| &n.lit),
            Some(Lit::Expr(_))
        ));
        assert_eq!(
            apps[1]
                .get("env")
                .and_then(|e| e.get("PORT"))
                .and_then(Node::as_u64),
            Some(4000)
        );
        assert_eq!(apps[1].get("name").and_then(Node::as_str), Some("worker"));
    }

    #[test]
    fn python_conf() {
        let src = "import multiprocessing\nbind = ['unix:/run/a.sock',\n        \"127.0.0.1:8000\"]  # two\nworkers = multiprocessing.cpu_count() * 2 + 1\ntimeout = 120\nkeepalive = 5\nname = f\"x{y}\"\n";
        let a = python_assignments(src);
        let names: Vec<&str> = a.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["bind", "workers", "timeout", "keepalive", "name"]);
        assert_eq!(a[0].2.items().len(), 2);
        assert!(matches!(a[1].2.lit, Lit::Expr(_)));
        assert_eq!(a[2].2.as_u64(), Some(120));
        assert!(matches!(a[4].2.lit, Lit::Expr(_)));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in [
            "module.exports = {",
            "{'a': [1, 2",
            "module.exports = [[[[",
            "x = '''",
            "{a: 'b\n",
        ] {
            let _ = js_exports(s);
            let _ = python_assignments(s);
        }
        let deep = "[".repeat(10_000);
        let _ = js_exports(&format!("module.exports = {deep}"));
    }
}
