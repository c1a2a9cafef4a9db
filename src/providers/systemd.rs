//! systemd unit files (`.service`, `.socket`): `[Section]` headers and
//! `Key=value` lines with `\` continuations, and shell-like splitting of
//! `ExecStart=` into words, every piece with its byte span.

/// One `Key=value` entry.
#[derive(Clone, Debug)]
pub struct Entry<'t> {
    pub section: &'t str,
    pub key: &'t str,
    /// The raw value (continuations included), and its byte range.
    pub value: &'t str,
    pub start: usize,
    pub end: usize,
    /// The whole line, key included.
    pub line_start: usize,
}

pub fn parse(text: &str) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    let mut section = "";
    let mut pos = 0;
    while pos < text.len() {
        // A logical line: continued while a physical line ends in `\`.
        let mut end = pos;
        loop {
            let nl = text[end..].find('\n').map_or(text.len(), |n| end + n);
            if text[end..nl].trim_end().ends_with('\\') && nl < text.len() {
                end = nl + 1;
                continue;
            }
            end = nl;
            break;
        }
        let line = &text[pos..end];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('[') {
            if let Some(close) = trimmed.find(']') {
                section = &trimmed[1..close];
            }
        } else if !trimmed.starts_with('#')
            && !trimmed.starts_with(';')
            && let Some(eq) = trimmed.find('=')
        {
            let key = trimmed[..eq].trim();
            let raw = &trimmed[eq + 1..];
            let lead = raw.len() - raw.trim_start().len();
            let value = raw.trim();
            let start = pos + indent + eq + 1 + lead;
            out.push(Entry {
                section,
                key,
                value,
                start,
                end: start + value.len(),
                line_start: pos + indent,
            });
        }
        pos = end + 1;
    }
    out
}

/// Split a command line into words the way systemd does for `ExecStart=`
/// (whitespace, single and double quotes, `\` + newline continuations);
/// each word with its byte range in the file. `offset` is where `cmd`
/// starts in the file.
pub fn words(cmd: &str, offset: usize) -> Vec<(String, usize, usize)> {
    let b = cmd.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len()
            && (b[i].is_ascii_whitespace()
                || (b[i] == b'\\' && b.get(i + 1).is_some_and(|c| *c == b'\n' || *c == b'\r')))
        {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut word = Vec::new();
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) if c == b'\\' && i + 1 < b.len() => {
                    word.push(b[i + 1]);
                    i += 1;
                }
                Some(_) => word.push(c),
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c.is_ascii_whitespace() => break,
                None if c == b'\\' && i + 1 < b.len() => {
                    if b[i + 1] == b'\n' {
                        break;
                    }
                    word.push(b[i + 1]);
                    i += 1;
                }
                None => word.push(c),
            }
            i += 1;
        }
        out.push((
            String::from_utf8_lossy(&word).into_owned(),
            offset + start,
            offset + i,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_with_continuation() {
        let src = "[Unit]\nDescription=x\n\n[Service]\nUser=app\nExecStart=/venv/bin/gunicorn \\\n    --bind unix:/run/g.sock \\\n    'app.wsgi:application'\n";
        let e = parse(src);
        let exec = e.iter().find(|e| e.key == "ExecStart").expect("exec");
        assert_eq!(exec.section, "Service");
        let w = words(exec.value, exec.start);
        let names: Vec<&str> = w.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "/venv/bin/gunicorn",
                "--bind",
                "unix:/run/g.sock",
                "app.wsgi:application"
            ]
        );
        assert_eq!(&src[w[2].1..w[2].2], "unix:/run/g.sock");
    }
}
