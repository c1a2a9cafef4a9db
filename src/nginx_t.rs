//! Input that is the output of `nginx -T`: every file nginx read, each after
//! a `# configuration file PATH:` header and followed by one extra newline
//! (nginx.c writes the buffer, then NGX_LINEFEED). Split it back into files
//! so findings point at the original paths and lines.

use crate::vfs::MemFs;
use std::path::PathBuf;

const HEADER: &[u8] = b"# configuration file ";

/// True when the text looks like `nginx -T` output.
pub fn is_nginx_t(text: &[u8]) -> bool {
    let mut pos = 0;
    // The header may follow nginx's "syntax is ok" lines when stderr was merged.
    for line in text.split(|&b| b == b'\n').take(8) {
        if line.starts_with(HEADER) && line.ends_with(b":") {
            return true;
        }
        pos += line.len() + 1;
        if pos > 4096 {
            break;
        }
    }
    false
}

/// Split into (path, content) pairs, in nginx's order (the first is the main
/// configuration file).
pub fn split(text: &[u8]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut current: Option<(PathBuf, usize)> = None;
    let mut pos = 0;
    while pos < text.len() {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| pos + i);
        let line = &text[pos..end];
        if line.starts_with(HEADER) && line.ends_with(b":") {
            if let Some((path, start)) = current.take() {
                out.push((path, strip_one_lf(&text[start..pos]).to_vec()));
            }
            let name = &line[HEADER.len()..line.len() - 1];
            current = Some((
                PathBuf::from(String::from_utf8_lossy(name).into_owned()),
                (end + 1).min(text.len()),
            ));
        }
        pos = end + 1;
    }
    if let Some((path, start)) = current {
        out.push((path, strip_one_lf(&text[start.min(text.len())..]).to_vec()));
    }
    out
}

fn strip_one_lf(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\n").unwrap_or(s)
}

pub fn to_memfs(parts: &[(PathBuf, Vec<u8>)]) -> MemFs {
    let mut fs = MemFs::new();
    for (p, t) in parts {
        fs.insert(p.clone(), t.clone());
    }
    fs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_files_and_keeps_lines() {
        let t = b"nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp { include mime.types; }\n\n# configuration file /etc/nginx/mime.types:\ntypes { text/html html; }\n\n";
        assert!(is_nginx_t(t));
        let parts = split(t);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, PathBuf::from("/etc/nginx/nginx.conf"));
        assert_eq!(parts[0].1, b"events {}\nhttp { include mime.types; }\n");
        assert_eq!(parts[1].1, b"types { text/html html; }\n");
    }

    #[test]
    fn plain_config_is_not_dump() {
        assert!(!is_nginx_t(b"events {}\n# configuration file x\n"));
    }
}
