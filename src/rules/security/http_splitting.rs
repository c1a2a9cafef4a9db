//! `http-splitting`: a value that can hold CR/LF (the decoded `$uri`,
//! `$document_uri`, a capture of the decoded URI whose group admits a
//! line feed) written into a response header, a redirect `Location`, an
//! upstream request header or the upstream request line: the client adds
//! headers or whole responses of its own.

use crate::analysis::taint::{Flow, Seg, segments};
use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct HttpSplitting;

impl Rule for HttpSplitting {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HTTP_SPLITTING]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        let flow = Flow::new(m);
        for (sid, d) in m.named(&[
            "add_header",
            "add_trailer",
            "proxy_set_header",
            "grpc_set_header",
            "proxy_pass",
            "return",
            "rewrite",
        ]) {
            let (value, what, escaped_caps) = match d.name() {
                "add_header" | "add_trailer" => (d.args.get(1), "a response header", false),
                "proxy_set_header" | "grpc_set_header" => {
                    (d.args.get(1), "a header sent upstream", false)
                }
                "proxy_pass" => (d.args.first(), "the upstream request line", false),
                "return" => match d.args.len() {
                    1 => (d.args.first(), "the Location header", false),
                    _ if d
                        .arg(0)
                        .is_some_and(|c| matches!(c, "301" | "302" | "303" | "307" | "308")) =>
                    {
                        (d.args.get(1), "the Location header", false)
                    }
                    _ => (None, "", false),
                },
                "rewrite" => {
                    let rep = d.arg(1).unwrap_or("");
                    let redirect = rep.starts_with("http://")
                        || rep.starts_with("https://")
                        || rep.starts_with("$scheme")
                        || matches!(d.arg(2), Some("redirect" | "permanent"));
                    // nginx re-escapes numbered captures in redirects.
                    if redirect {
                        (d.args.get(1), "the Location header", true)
                    } else {
                        (None, "", false)
                    }
                }
                _ => (None, "", false),
            };
            let Some(v) = value else { continue };
            if !v.as_str().contains('$') {
                continue;
            }
            let culprit = segments(v.as_str()).into_iter().find_map(|seg| {
                let (t, label) = match seg {
                    Seg::Lit(_) => return None,
                    Seg::Var(n) => (flow.var(sid, n), format!("${n}")),
                    Seg::Cap(n) if !escaped_caps => {
                        (flow.capture(sid, Some(d), n), format!("${n}"))
                    }
                    Seg::Cap(_) => return None,
                };
                t.crlf.then_some(label)
            });
            let Some(var) = culprit else { continue };
            out.push(
                    Finding::warning(
                        ids::HTTP_SPLITTING,
                        v.span,
                        format!("`{var}` is URL-decoded and can contain CR/LF (`%0d%0a`), and `{}` writes it into {what}: a client can inject headers or split the message", d.name()),
                    )
                    .with_help("use the raw `$request_uri` instead of `$uri`/`$document_uri`, or a capture whose class excludes line breaks (`[^/\\s]+` instead of `[^/]+`)"),
                );
        }
    }
}
