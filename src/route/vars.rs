//! The variables a request decides (`$uri`, `$args`, `$host`, `$http_*`,
//! `$arg_*`, `$1` … `$9`, what `set` wrote, …; ngx_http_variables.c) and
//! the expansion of a directive's value with them. A variable the request
//! alone does not decide (a file's existence, an upstream's answer, a
//! `map` we do not evaluate) leaves the value unknown.

use std::collections::HashMap;

/// What the request tells.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    pub uri: Vec<u8>,
    pub args: Option<Vec<u8>>,
    pub request_uri: String,
    pub host: String,
    pub method: String,
    pub scheme: String,
    pub port: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub client_ip: Option<String>,
    pub server_name: String,
    /// `$ssl_client_verify`: `NONE`, `SUCCESS`, `FAILED:…`; "" for plain
    /// HTTP; None: not known (a certificate whose check is not known).
    pub ssl_client_verify: Option<String>,
    /// `$1` … `$9` of the last regex that matched.
    pub captures: Vec<String>,
    /// Named captures and `set` variables.
    pub set: HashMap<String, String>,
    /// `$document_root`, `$fastcgi_script_name`, … once known.
    pub extra: HashMap<&'static str, String>,
}

impl Vars {
    /// A variable's value; None when the request does not decide it.
    pub fn get(&self, name: &str) -> Option<String> {
        let name_l = name.to_ascii_lowercase();
        if let Some(v) = self.set.get(name) {
            return Some(v.clone());
        }
        if let Some(v) = self.extra.get(name_l.as_str()) {
            return Some(v.clone());
        }
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let args = self.args.as_deref().map(lossy);
        Some(match name_l.as_str() {
            "uri" | "document_uri" => lossy(&self.uri),
            "args" | "query_string" => args.unwrap_or_default(),
            "is_args" => if self.args.is_some() { "?" } else { "" }.into(),
            "request_uri" => self.request_uri.clone(),
            "host" => self.host.clone(),
            "request_method" => self.method.clone(),
            "scheme" => self.scheme.clone(),
            "https" => if self.scheme == "https" { "on" } else { "" }.into(),
            "server_port" => self.port.to_string(),
            "server_name" => self.server_name.clone(),
            "ssl_client_verify" => self.ssl_client_verify.clone()?,
            "remote_addr" | "binary_remote_addr" => self.client_ip.clone()?,
            n if n.len() == 1 && n.as_bytes()[0].is_ascii_digit() => {
                let i = usize::from(n.as_bytes()[0] - b'0');
                match i {
                    0 => return None,
                    _ => self.captures.get(i - 1).cloned().unwrap_or_default(),
                }
            }
            n if n.starts_with("http_") => {
                let h = n["http_".len()..].replace('_', "-");
                self.headers
                    .iter()
                    .find(|(k, _)| *k == h)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            }
            n if n.starts_with("arg_") => arg(args.as_deref().unwrap_or(""), &n[4..]),
            n if n.starts_with("cookie_") => {
                let jar = self.header("cookie").unwrap_or_default();
                jar.split(';')
                    .filter_map(|c| c.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case(&n[7..]))
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default()
            }
            _ => return None,
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Expand `$var`, `${var}` in `s`; Err names the first variable the
    /// request does not decide.
    pub fn expand(&self, s: &str) -> Result<String, String> {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                let next = s[i..].find('$').map_or(s.len(), |k| i + k);
                out.push_str(&s[i..next]);
                i = next;
                continue;
            }
            let (name, end) = var_at(s, i + 1);
            if name.is_empty() {
                out.push('$');
                i += 1;
                continue;
            }
            match self.get(name) {
                Some(v) => out.push_str(&v),
                None => return Err(format!("${name}")),
            }
            i = end;
        }
        Ok(out)
    }
}

/// The variable name starting at `i` (after `$`) and where it ends: `$1`
/// is one digit, `${x}` is braced, else letters, digits and `_`.
fn var_at(s: &str, i: usize) -> (&str, usize) {
    let b = s.as_bytes();
    match b.get(i) {
        Some(b'{') => match s[i..].find('}') {
            Some(k) => (&s[i + 1..i + k], i + k + 1),
            None => ("", i),
        },
        Some(c) if c.is_ascii_digit() => (&s[i..i + 1], i + 1),
        _ => {
            let end = b[i..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(b.len(), |k| i + k);
            (&s[i..end], end)
        }
    }
}

/// `$arg_name`: the first `name=` among the arguments, as sent.
fn arg(args: &str, name: &str) -> String {
    args.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let v = Vars {
            uri: b"/a b".to_vec(),
            args: Some(b"x=1&y=2".to_vec()),
            host: "h".into(),
            headers: vec![("x-real".into(), "r".into())],
            captures: vec!["c1".into()],
            ..Vars::default()
        };
        assert_eq!(
            v.expand("$uri$is_args$args").ok(),
            Some("/a b?x=1&y=2".into())
        );
        assert_eq!(
            v.expand("${host}:$1/$arg_y/$http_x_real").ok(),
            Some("h:c1/2/r".into())
        );
        assert_eq!(v.expand("$2").ok(), Some(String::new()));
        assert_eq!(v.expand("$upstream_addr"), Err("$upstream_addr".into()));
        assert_eq!(v.expand("a$").ok(), Some("a$".into()));
    }
}
