//! The request target as nginx reads it: `ngx_http_parse_complex_uri`
//! (src/http/ngx_http_parse.c, nginx 1.22) decodes `%XX`, merges slashes
//! (`merge_slashes on`, the default), removes `.` and resolves `..`
//! segments, and stops at `?` (the arguments) and `#`. A `..` above the
//! root, a bad `%` escape or a decoded NUL make the request invalid (400).

/// The normalised URI (`$uri`) and the arguments (`$args`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uri {
    pub path: Vec<u8>,
    pub args: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Usual,
    Slash,
    Dot,
    DotDot,
}

/// Normalise a request target (origin form: it starts with `/`).
/// `Err` carries why nginx answers 400.
pub fn normalize(target: &[u8], merge_slashes: bool) -> Result<Uri, &'static str> {
    if target.first() != Some(&b'/') {
        return Err("the request target does not start with `/`");
    }
    let mut u: Vec<u8> = Vec::with_capacity(target.len());
    let mut st = St::Usual;
    let mut i = 0;
    let mut args = None;
    // The byte being looked at: a decoded `%XX` is looked at again in the
    // state the `%` was met in, as nginx does (`state = quoted_state`).
    let mut pending: Option<u8> = None;
    loop {
        let ch = match pending.take() {
            Some(c) => c,
            None => match target.get(i) {
                Some(&c) => {
                    i += 1;
                    if c == b'%' {
                        match decode(target, i)? {
                            // `%25`, `%23`, `%3F` stay literal characters.
                            Decoded::Literal(c) => {
                                u.push(c);
                                st = St::Usual;
                                i += 2;
                                continue;
                            }
                            Decoded::Again(c) => {
                                i += 2;
                                pending = Some(c);
                                continue;
                            }
                        }
                    }
                    c
                }
                None => break,
            },
        };
        match (st, ch) {
            (_, b'?') => {
                dot_segment(&mut u, st)?;
                let rest = &target[i..];
                let end = rest.iter().position(|&b| b == b'#').unwrap_or(rest.len());
                args = Some(rest[..end].to_vec());
                return Ok(Uri { path: u, args });
            }
            (_, b'#') => {
                dot_segment(&mut u, st)?;
                return Ok(Uri { path: u, args });
            }
            (St::Dot, b'/') => {
                u.pop();
                st = St::Slash;
            }
            (St::DotDot, b'/') => {
                up(&mut u)?;
                st = St::Slash;
            }
            (St::Slash, b'/') => {
                if !merge_slashes {
                    u.push(b'/');
                }
            }
            (St::Slash, b'.') => {
                u.push(b'.');
                st = St::Dot;
            }
            (St::Dot, b'.') => {
                u.push(b'.');
                st = St::DotDot;
            }
            (_, b'/') => {
                u.push(b'/');
                st = St::Slash;
            }
            (_, c) => {
                u.push(c);
                st = St::Usual;
            }
        }
    }
    dot_segment(&mut u, st)?;
    Ok(Uri { path: u, args })
}

/// At the end of the path: a trailing `/.` loses its dot, `/..` goes up.
fn dot_segment(u: &mut Vec<u8>, st: St) -> Result<(), &'static str> {
    match st {
        St::Dot => {
            u.pop();
            Ok(())
        }
        St::DotDot => up(u),
        _ => Ok(()),
    }
}

/// `u` ends in `/..`: drop it and the segment before (`u -= 4`, then back
/// to the previous `/`).
fn up(u: &mut Vec<u8>) -> Result<(), &'static str> {
    let Some(mut k) = u.len().checked_sub(4) else {
        return Err("`..` goes above the root");
    };
    loop {
        if u[k] == b'/' {
            u.truncate(k + 1);
            return Ok(());
        }
        k = k.checked_sub(1).ok_or("`..` goes above the root")?;
    }
}

enum Decoded {
    /// Written as is, the state reset (`%`, `#`, `?`).
    Literal(u8),
    /// Looked at like a character written plainly.
    Again(u8),
}

fn decode(t: &[u8], i: usize) -> Result<Decoded, &'static str> {
    let hex = |b: Option<&u8>| -> Option<u8> {
        let c = *b?;
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            _ => match c | 0x20 {
                l @ b'a'..=b'f' => Some(l - b'a' + 10),
                _ => None,
            },
        }
    };
    let bad = "a `%` escape is not two hex digits";
    let hi = hex(t.get(i)).ok_or(bad)?;
    let lo = hex(t.get(i + 1)).ok_or(bad)?;
    let c = (hi << 4) | lo;
    // nginx checks `%` and `#` in the digit branch and `?` in the letter
    // branch of the second digit; the three cover every way to write them.
    match c {
        b'%' | b'#' | b'?' => Ok(Decoded::Literal(c)),
        0 => Err("a `%00` in the path"),
        _ => Ok(Decoded::Again(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        match normalize(s.as_bytes(), true) {
            Ok(u) => String::from_utf8_lossy(&u.path).into_owned(),
            Err(_) => "400".into(),
        }
    }

    #[test]
    fn like_ngx_http_parse_complex_uri() {
        assert_eq!(n("/a//b"), "/a/b");
        assert_eq!(n("/a/./b"), "/a/b");
        assert_eq!(n("/a/../b"), "/b");
        assert_eq!(n("/a/b/.."), "/a/");
        assert_eq!(n("/a/b/."), "/a/b/");
        assert_eq!(n("/.."), "400");
        assert_eq!(n("/a/../../b"), "400");
        assert_eq!(n("/%2e%2e/x"), "400");
        assert_eq!(n("/a/%2E%2e/b"), "/b");
        assert_eq!(n("/a%2Fb"), "/a/b");
        assert_eq!(n("/a%2F%2Fb"), "/a/b");
        assert_eq!(n("/a%25b"), "/a%b");
        assert_eq!(n("/a%3Fb?x=1"), "/a?b");
        assert_eq!(n("/a%zz"), "400");
        assert_eq!(n("/a%00"), "400");
        assert_eq!(n("/a%4"), "400");
        assert_eq!(n("/a/..?x"), "/");
        assert_eq!(n("/a/.#f"), "/a/");
        assert_eq!(n("/a..b/c"), "/a..b/c");
        assert_eq!(n("/.hidden"), "/.hidden");
        assert_eq!(n("/..a"), "/..a");
        assert_eq!(n("x"), "400");
        let u = normalize(b"/p?a=1#f", true).ok();
        assert_eq!(u.and_then(|u| u.args), Some(b"a=1".to_vec()));
        assert_eq!(
            normalize(b"/a//b", false).ok().map(|u| u.path),
            Some(b"/a//b".to_vec())
        );
    }
}
