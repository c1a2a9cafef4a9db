//! Skipping the Lua body of `*_by_lua_block { ... }`: the braces inside Lua
//! strings, long brackets and comments must not close the block.
//! lua-nginx-module reads these bodies with its own Lua-aware lexer
//! (ngx_http_lua_conf_lua_block_parse); this is the same idea, smaller.

/// Given `src` and the offset just after the opening `{`, return the offset
/// of the `}` that closes the block, or Err(offset) where an unterminated
/// string or comment (or the end of file) was met.
pub fn skip_lua_block(src: &[u8], mut i: usize) -> Result<usize, usize> {
    let mut depth = 1usize;
    while i < src.len() {
        match src[i] {
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
                i += 1;
            }
            q @ (b'"' | b'\'') => {
                let start = i;
                i += 1;
                loop {
                    match src.get(i) {
                        None | Some(b'\n') => return Err(start),
                        Some(b'\\') => i += 2,
                        Some(&c) if c == q => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'[' => match long_bracket_level(src, i) {
                Some(level) => i = skip_long_bracket(src, i, level)?,
                None => i += 1,
            },
            b'-' if src.get(i + 1) == Some(&b'-') => {
                i += 2;
                if let Some(level) = long_bracket_level(src, i) {
                    i = skip_long_bracket(src, i, level)?;
                } else {
                    while i < src.len() && src[i] != b'\n' {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    Err(src.len())
}

/// `[[` is level 0, `[==[` level 2; None when `[` does not open a long bracket.
fn long_bracket_level(src: &[u8], i: usize) -> Option<usize> {
    if src.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while src.get(j) == Some(&b'=') {
        j += 1;
    }
    (src.get(j) == Some(&b'[')).then_some(j - i - 1)
}

/// Skip a long bracket opened at `i` with `level` equals signs; returns the
/// offset after its closing bracket.
fn skip_long_bracket(src: &[u8], i: usize, level: usize) -> Result<usize, usize> {
    let mut j = i + level + 2;
    while j < src.len() {
        if src[j] == b']' {
            let mut k = j + 1;
            while k < src.len() && src[k] == b'=' {
                k += 1;
            }
            if k - j - 1 == level && src.get(k) == Some(&b']') {
                return Ok(k + 1);
            }
        }
        j += 1;
    }
    Err(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let src = br#"{ local t = { a = "}" } -- }
            local s = [==[ } ]==] --[[ } ]]
            ngx.say('}') }rest"#;
        let end = skip_lua_block(src, 1).expect("closes");
        assert_eq!(&src[end + 1..], b"rest");
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(skip_lua_block(b"{ ngx.say(\"x) }", 1).is_err());
        assert!(skip_lua_block(b"{ x = [[ }", 1).is_err());
        assert!(skip_lua_block(b"{ x = 1", 1).is_err());
    }
}
