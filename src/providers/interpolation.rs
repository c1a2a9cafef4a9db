//! Compose variable interpolation, hermetic: the values come from the
//! project's `.env` only, never from the environment nginx-lint runs in.
//!
//! Syntax (compose-spec 12-interpolation.md; compose-go
//! template/template.go): `$VAR` and `${VAR}`; `${VAR:-default}` (unset or
//! empty), `${VAR-default}` (unset), `${VAR:?err}` / `${VAR?err}` (Compose
//! stops with `err`), `${VAR:+alt}` / `${VAR+alt}`; defaults may nest
//! (`${A:-${B:-x}}`); `$$` is a literal `$`. Names are
//! `[_a-zA-Z][_a-zA-Z0-9]*`. Compose replaces an unset variable with an
//! empty string and a warning; here a variable the project does not set
//! is unknown (the shell that runs `docker compose` may set it), so the
//! value is unknown, except where a default says what it is.
//!
//! The `.env` file (docs.docker.com/compose/env-file/, compose-go
//! dotenv/parser.go): `KEY=VAL` lines, `export ` allowed, `#` comment
//! lines; an unquoted value ends at ` #` and is trimmed; single quotes are
//! literal; double quotes take `\n`, `\t`, `\\`, `\"`; unquoted and
//! double-quoted values are interpolated with the keys above them. A bare
//! `KEY` takes the shell's value: unknown here.

use super::yaml::{Node, Y};

/// A variable the project does not set, where a value needed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unset {
    pub name: String,
    /// The `err` of `${VAR:?err}`: Compose refuses to run without it.
    pub required: Option<String>,
}

/// The project's variables, from its `.env` (or the template it ships
/// for one), in file order.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    pub values: Vec<(String, String)>,
    /// The file they were read from, when it is not `.env` (a template
    /// such as `env.example` the README asks to copy): its name.
    pub template: Option<String>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The value of `s` with its variables replaced; the variables it read
/// are pushed on `used`. Err: a variable without a value or default (or
/// an invalid `$` form, which Compose refuses too).
pub fn substitute(s: &str, vars: &Vars, used: &mut Vec<String>) -> Result<String, Unset> {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(off) = s[i..].find('$') {
        out.push_str(&s[i..i + off]);
        i += off + 1;
        match b.get(i) {
            Some(b'$') => {
                out.push('$');
                i += 1;
            }
            Some(b'{') => {
                let end = closing_brace(s, i).ok_or_else(|| invalid(s))?;
                out.push_str(&braced(&s[i + 1..end], vars, used)?);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let n = name_len(&s[i..]);
                let name = &s[i..i + n];
                used.push(name.to_string());
                out.push_str(vars.get(name).ok_or_else(|| unset(name))?);
                i += n;
            }
            _ => return Err(invalid(s)),
        }
    }
    out.push_str(&s[i..]);
    Ok(out)
}

fn unset(name: &str) -> Unset {
    Unset {
        name: name.to_string(),
        required: None,
    }
}

fn invalid(s: &str) -> Unset {
    Unset {
        name: s.to_string(),
        required: Some("invalid interpolation".to_string()),
    }
}

fn name_len(s: &str) -> usize {
    s.bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .unwrap_or(s.len())
}

/// The `}` that closes the `{` at `open`, counting nested `${`.
fn closing_brace(s: &str, open: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `${...}`.
fn braced(inner: &str, vars: &Vars, used: &mut Vec<String>) -> Result<String, Unset> {
    let n = name_len(inner);
    let name = &inner[..n];
    if n == 0 || name.as_bytes()[0].is_ascii_digit() {
        return Err(invalid(inner));
    }
    used.push(name.to_string());
    let value = vars.get(name);
    let rest = &inner[n..];
    let (colon, rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    // `:-`/`:?`/`:+` judge an empty value as unset.
    let set = value.filter(|v| !(colon && v.is_empty()));
    let Some(op) = rest.chars().next() else {
        return if colon {
            Err(invalid(inner))
        } else {
            value.map(str::to_string).ok_or_else(|| unset(name))
        };
    };
    let word = &rest[1..];
    match op {
        '-' => match set {
            Some(v) => Ok(v.to_string()),
            None => substitute(word, vars, used),
        },
        '+' => match set {
            Some(_) => substitute(word, vars, used),
            None => Ok(String::new()),
        },
        '?' => set.map(str::to_string).ok_or_else(|| Unset {
            name: name.to_string(),
            required: Some(substitute(word, vars, used).unwrap_or_else(|_| word.to_string())),
        }),
        _ => Err(invalid(inner)),
    }
}

/// The variables of a `.env` file. A value that reads a variable the file
/// does not set (before it) leaves its key unset.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut vars = Vars::default();
    let mut rest = text;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |n| n + 1);
        let line = rest[..line_end].trim_start();
        if line.is_empty() || line.starts_with('#') {
            rest = &rest[line_end..];
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some(sep) = line
            .find(['=', ':', '\n'])
            .filter(|&p| line.as_bytes()[p] != b'\n')
        else {
            // `KEY` alone: the shell's value, unknown here.
            rest = &rest[line_end..];
            continue;
        };
        let key = line[..sep].trim().to_string();
        let after = line[sep + 1..].trim_start_matches([' ', '\t']);
        // Where `after` starts within `rest` (a quoted value may run over
        // several lines).
        let at = after.as_ptr() as usize - rest.as_ptr() as usize;
        let (value, consumed) = dotenv_value(&rest[at..], &vars);
        rest = &rest[(at + consumed).min(rest.len())..];
        if let Some(v) = value.filter(|_| valid_key(&key)) {
            vars.values.push((key, v));
        }
    }
    vars.values
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// A value at the start of `s`: (the value, None when it reads an unset
/// variable; the bytes used, through the end of its line).
fn dotenv_value(s: &str, vars: &Vars) -> (Option<String>, usize) {
    let line_end = |from: usize| s[from..].find('\n').map_or(s.len(), |n| from + n + 1);
    let mut used = Vec::new();
    match s.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = 1;
            let b = s.as_bytes();
            while i < b.len() && !(b[i] == q && b[i - 1] != b'\\') {
                i += 1;
            }
            let raw = &s[1..i.min(s.len())];
            let value = if q == b'\'' {
                Some(raw.replace("\\'", "'"))
            } else {
                substitute(&unescape(raw), vars, &mut used).ok()
            };
            (value, line_end(i.min(s.len())))
        }
        _ => {
            let end = line_end(0);
            let line = s[..end].trim_end_matches(['\n', '\r']);
            // An inline comment needs a blank before `#`.
            let cut = line
                .char_indices()
                .find(|&(i, c)| c == '#' && i > 0 && line[..i].ends_with([' ', '\t']))
                .map_or(line.len(), |(i, _)| i);
            let v = line[..cut].trim();
            (substitute(v, vars, &mut used).ok(), end)
        }
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(o @ ('\\' | '"' | '$')) => out.push(o),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A value of a Compose file left unknown: where, why, and the keys
/// leading to it (`services`, `nginx`, `volumes`, `0`).
#[derive(Clone, Debug)]
pub struct Unresolved {
    pub start: usize,
    pub end: usize,
    pub unset: Unset,
    pub path: Vec<String>,
    /// The value as written.
    pub raw: String,
}

/// What interpolating a Compose file found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub unresolved: Vec<Unresolved>,
    /// Each variable read (name, offset of the value that reads it).
    pub used: Vec<(String, usize)>,
}

/// The document with every value interpolated (keys are not:
/// compose-spec 12-interpolation.md). A value left unknown is dropped
/// from its list or mapping and reported.
pub fn tree(n: Node, vars: &Vars, path: &mut Vec<String>, report: &mut Report) -> Option<Node> {
    let Node { y, start, end } = n;
    let y = match y {
        Y::Scalar(s) if s.contains('$') => {
            let mut used = Vec::new();
            let r = substitute(&s, vars, &mut used);
            report.used.extend(used.into_iter().map(|u| (u, start)));
            match r {
                Ok(v) => Y::Scalar(v),
                Err(unset) => {
                    report.unresolved.push(Unresolved {
                        start,
                        end,
                        unset,
                        path: path.clone(),
                        raw: s,
                    });
                    return None;
                }
            }
        }
        Y::Scalar(s) => Y::Scalar(s),
        Y::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                path.push(i.to_string());
                out.extend(tree(item, vars, path, report));
                path.pop();
            }
            Y::Seq(out)
        }
        Y::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                path.push(k.as_str().unwrap_or_default().to_string());
                if let Some(v) = tree(v, vars, path, report) {
                    out.push((k, v));
                }
                path.pop();
            }
            Y::Map(out)
        }
    };
    Some(Node { y, start, end })
}

/// Files a project ships for its `.env` to be copied from (the README's
/// `cp env.example .env`), most usual first.
pub const TEMPLATES: &[&str] = &[
    ".env.example",
    "env.example",
    ".env.dist",
    ".env.sample",
    "env.template",
    ".env.template",
    "example.env",
    "sample.env",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        Vars {
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            template: None,
        }
    }

    fn sub(s: &str, v: &Vars) -> Result<String, Unset> {
        substitute(s, v, &mut Vec::new())
    }

    /// compose-spec 12-interpolation.md, each form, set / empty / unset.
    #[test]
    fn forms() {
        let v = vars(&[("A", "x"), ("E", "")]);
        assert_eq!(sub("${A}/$A/$${A}", &v), Ok("x/x/${A}".into()));
        assert_eq!(sub("${A:-d} ${E:-d} ${U:-d}", &v), Ok("x d d".into()));
        assert_eq!(sub("${A-d}|${E-d}|${U-d}", &v), Ok("x||d".into()));
        assert_eq!(sub("${A:+y}|${E:+y}|${E+y}|${U+y}", &v), Ok("y||y|".into()));
        assert_eq!(sub("${U:-${A:-z}}/${U:-${V:-z}}", &v), Ok("x/z".into()));
        assert_eq!(sub("${E?m}", &v), Ok(String::new()));
        assert_eq!(
            sub("${E:?needs a value}", &v),
            Err(Unset {
                name: "E".into(),
                required: Some("needs a value".into())
            })
        );
        assert_eq!(sub("./conf/${U}", &v).map_err(|u| u.name), Err("U".into()));
        assert_eq!(sub("$U_2 x", &v).map_err(|u| u.name), Err("U_2".into()));
        assert!(sub("a $5", &v).is_err());
        assert_eq!(sub("no vars", &v), Ok("no vars".into()));
    }

    #[test]
    fn used_names_are_listed() {
        let mut used = Vec::new();
        let _ = substitute("${A:-$B}x$C", &vars(&[("A", "1")]), &mut used);
        assert_eq!(used, ["A", "C"]);
    }

    /// docs.docker.com/compose/env-file/: comments, quotes, interpolation
    /// of the keys above.
    #[test]
    fn dotenv() {
        let text = "# c\n\nA=1\nexport B=\"two # kept\" # comment\nC='$A lit'\nD=${A}/x # c\nE=v#not\nF=${NOPE}\nG\nH=\"l1\\nl2\"\n  I = spaced \nJ=\"multi\nline\"\nK=after\n";
        let got = parse_dotenv(text);
        let get = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("1"));
        assert_eq!(get("B"), Some("two # kept"));
        assert_eq!(get("C"), Some("$A lit"));
        assert_eq!(get("D"), Some("1/x"));
        assert_eq!(get("E"), Some("v#not"));
        assert_eq!(get("F"), None);
        assert_eq!(get("G"), None);
        assert_eq!(get("H"), Some("l1\nl2"));
        assert_eq!(get("I"), Some("spaced"));
        assert_eq!(get("J"), Some("multi\nline"));
        assert_eq!(get("K"), Some("after"));
    }
}
