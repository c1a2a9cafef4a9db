//! Which variables a directive defines and which it makes nginx look up at
//! start-up. nginx registers every name a value compiles
//! (`ngx_http_get_variable_index`) and refuses to start when one is
//! neither defined nor a prefix variable (`ngx_http_variables_init_vars`,
//! its stream twin). Uses are read only where the source was checked to
//! compile the value at configuration time (nginx/nginx 3f6f782):
//!
//! - rewrite module: `set` value, `if` variable and `=`/`!=`/file-test
//!   operand (ngx_http_rewrite_if_condition), `return` text, `rewrite`
//!   replacement;
//! - `map` source and values, `split_clients` source, `geo` source;
//! - `add_header`/`add_trailer` value, `auth_request_set` value, the
//!   `*_pass` URLs, `root`, `alias`, `try_files`, `index`, `error_page` URI,
//!   `log_format` (its own reader), `access_log` path and `if=`,
//!   `limit_req_zone`/`limit_conn_zone` keys, `*_cache_key`;
//! - `proxy_set_header`, `grpc_set_header`, `fastcgi_param`, `uwsgi_param`,
//!   `scgi_param`: compiled when a block is merged, which an http-level
//!   value only is when the http block has a server;
//! - every directive of nginx whose handler is a complex-value or
//!   predicate slot (`ngx_http_set_complex_value_slot`, …).
//!
//! Definitions are read loosely (a name defined too many only silences a
//! report): `set`, `map`, `geo`, `split_clients`, `perl_set`,
//! `auth_request_set`, njs's `js_set`/`js_var`, and the named subpatterns
//! of any word, since nginx defines one per named capture of every regex
//! it compiles (`ngx_http_regex_compile`).

use crate::analysis::if_condition;
use crate::nginx::ast::Directive;
use crate::nginx::lexer::Word;
use crate::nginx::schema::DirectiveSpec;
use crate::nginx::variables::{has_group, log_format_names, named_captures, script_names};

/// Handlers that compile every argument as a complex value.
const SLOT_HANDLERS: &[&str] = &[
    "ngx_http_set_complex_value_slot",
    "ngx_http_set_complex_value_zero_slot",
    "ngx_http_set_complex_value_size_slot",
    "ngx_http_set_predicate_slot",
    "ngx_stream_set_complex_value_slot",
    "ngx_stream_set_complex_value_zero_slot",
    "ngx_stream_set_complex_value_size_slot",
];

/// Compiled when the block is merged, not when read.
pub const MERGE_COMPILED: &[&str] = &[
    "proxy_set_header",
    "grpc_set_header",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
];

/// `ngx_http_log_vars`: names `log_format` answers itself.
const HTTP_LOG_VARS: &[&str] = &[
    "pipe",
    "time_local",
    "time_iso8601",
    "msec",
    "request_time",
    "status",
    "bytes_sent",
    "body_bytes_sent",
    "request_length",
];

/// The names a directive defines (without `$`), `parent` being the block
/// it stands in. Named captures of every word are included.
pub fn defined<'a>(d: &'a Directive, parent: Option<&Directive>) -> Vec<&'a str> {
    let mut out = Vec::new();
    let var_arg = |i: usize| d.arg(i).and_then(|a| a.strip_prefix('$'));
    let def = match d.name() {
        "set" | "perl_set" | "auth_request_set" | "js_set" | "js_var" => var_arg(0),
        "map" | "split_clients" => var_arg(1),
        "geo" if d.block.is_some() => d.args.last().and_then(|w| w.as_str().strip_prefix('$')),
        _ => None,
    };
    if parent.is_none_or(|p| !p.is_data_block()) {
        out.extend(def);
    }
    for w in std::iter::once(&d.name).chain(d.args.iter()) {
        if has_group(w.as_str()) {
            out.extend(named_captures(w.as_str()));
        }
    }
    out
}

/// The names a directive makes nginx look up, with the word each is in.
/// `specs` are the directive's table entries, `stream` tells the
/// subsystem, `parent` the block it stands in.
pub fn used<'a>(
    d: &'a Directive,
    specs: &[DirectiveSpec],
    parent: Option<&'a Directive>,
    stream: bool,
) -> Vec<(&'a str, &'a Word)> {
    let mut out = Vec::new();
    // Every use is a `$`: most directives have none (read first, while
    // the words are in cache).
    if !d.args.iter().any(|w| w.as_str().contains('$')) {
        return out;
    }
    let mut script = |w: Option<&'a Word>| {
        if let Some(w) = w {
            out.extend(script_names(w.as_str()).into_iter().map(|n| (n, w)));
        }
    };
    let a = |i: usize| d.args.get(i);
    if let Some(p) = parent.filter(|p| p.is_data_block()) {
        // A map entry's value is compiled; geo, split_clients and types
        // values are literal.
        if p.name() == "map" && d.args.len() == 1 {
            script(a(0));
        }
        return out;
    }
    match (d.name(), stream) {
        ("set", _) | ("rewrite", false) | ("auth_request_set", false) => script(a(1)),
        ("return", _) => script(d.args.last()),
        ("map" | "split_clients" | "limit_conn_zone", _) | ("proxy_pass", _) => script(a(0)),
        ("fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass", false)
        | ("root" | "alias" | "limit_req_zone", false)
        | ("proxy_cache_key" | "fastcgi_cache_key" | "uwsgi_cache_key" | "scgi_cache_key", false) => {
            script(a(0))
        }
        ("add_header" | "add_trailer", false) => script(a(1)),
        ("try_files" | "index", false) => d.args.iter().for_each(|w| script(Some(w))),
        ("error_page", false) => script(d.args.last()),
        ("access_log", _) => {
            if d.arg(0)
                .is_some_and(|p| p != "off" && !p.starts_with("syslog:"))
            {
                script(a(0));
            }
            d.args
                .iter()
                .filter(|w| w.as_str().starts_with("if="))
                .for_each(|w| script(Some(w)));
        }
        (name, false) if MERGE_COMPILED.contains(&name) => script(a(1)),
        ("geo", _) if d.args.len() == 2 => {
            if let Some(src) = d.arg(0).and_then(|s| s.strip_prefix('$')) {
                out.push((src, &d.args[0]));
            }
        }
        ("if", false) => if_uses(d, &mut out),
        ("log_format", _) => log_format_uses(d, stream, &mut out),
        _ => {
            let slot = specs.iter().any(|s| {
                s.third_party.is_none()
                    && SLOT_HANDLERS.contains(&s.handler)
                    && s.handler
                        .starts_with(if stream { "ngx_stream_" } else { "ngx_http_" })
            });
            if slot {
                d.args.iter().for_each(|w| script(Some(w)));
            }
        }
    }
    out
}

/// `if (...)`: the variable is looked up whole (ngx_http_rewrite_variable
/// takes the word after `$` as it is); the operand of `=`, `!=` and of the
/// file tests is a compiled value; a regex is not.
fn if_uses<'a>(d: &'a Directive, out: &mut Vec<(&'a str, &'a Word)>) {
    let Some(cond) = if_condition(d) else {
        return;
    };
    let first = d.args.iter().find(|w| w.as_str().contains(cond.var));
    let Some(first) = first.or(d.args.first()) else {
        return;
    };
    if let Some(name) = cond.var.strip_prefix('$').filter(|n| !n.is_empty()) {
        out.push((name, first));
        if matches!(cond.op, "=" | "!=") {
            operand(d, out);
        }
        return;
    }
    if matches!(
        cond.var,
        "-f" | "!-f" | "-d" | "!-d" | "-e" | "!-e" | "-x" | "!-x"
    ) {
        operand(d, out);
    }
}

/// The last word of an `if` condition, without its `)`.
fn operand<'a>(d: &'a Directive, out: &mut Vec<(&'a str, &'a Word)>) {
    // `")"` stands alone after a quoted operand (`if ($a = "b")`).
    let last = d.args.iter().rev().find(|w| w.as_str() != ")");
    if let Some(w) = last {
        let s = w.as_str().strip_suffix(')').unwrap_or(w.as_str());
        out.extend(script_names(s).into_iter().map(|n| (n, w)));
    }
}

/// `log_format name [escape=...] string ...`.
fn log_format_uses<'a>(d: &'a Directive, stream: bool, out: &mut Vec<(&'a str, &'a Word)>) {
    let skip = if d.arg(1).is_some_and(|s| s.starts_with("escape=")) {
        2
    } else {
        1
    };
    for w in d.args.iter().skip(skip) {
        for n in log_format_names(w.as_str()) {
            if stream || !HTTP_LOG_VARS.contains(&n) {
                out.push((n, w));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::parser::parse;
    use crate::nginx::schema::lookup;
    use crate::source::FileId;

    /// The names the first directive of `src` uses (http), and those its
    /// block's entries use with it as their parent.
    fn uses_of(src: &str) -> Vec<String> {
        let pf = parse(FileId(0), src.as_bytes());
        let d = &pf.directives[0];
        let mut out: Vec<String> = used(d, lookup(d.name()), None, false)
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        for e in d.block.iter().flat_map(|b| b.children.iter()) {
            out.extend(
                used(e, &[], Some(d), false)
                    .into_iter()
                    .map(|(n, _)| n.to_string()),
            );
        }
        out
    }

    fn defs_of(src: &str) -> Vec<String> {
        let pf = parse(FileId(0), src.as_bytes());
        let d = &pf.directives[0];
        defined(d, None).into_iter().map(str::to_string).collect()
    }

    #[test]
    fn uses_where_nginx_compiles() {
        assert_eq!(uses_of("set $a \"$b${c}$1\";"), ["b", "c"]);
        assert_eq!(uses_of("if ($a-b) { }"), ["a-b"]);
        assert_eq!(uses_of("if ($a = \"x$b\" ) { }"), ["a", "b"]);
        assert_eq!(uses_of("if ($a ~ ^/x$b) { }"), ["a"]);
        assert_eq!(uses_of("if (!-f $d$e) { }"), ["d", "e"]);
        assert_eq!(uses_of("rewrite ^/(.*)$ /$1$a;"), ["a"]);
        assert_eq!(uses_of("map $src $dst { k $v; hostnames; }"), ["src", "v"]);
        assert_eq!(uses_of("geo $src $dst { default $x; }"), ["src"]);
        assert_eq!(
            uses_of("log_format f escape=json '$a $status $1';"),
            ["a", "1"]
        );
        assert_eq!(
            uses_of("access_log syslog:server=$x off;"),
            Vec::<String>::new()
        );
        assert_eq!(uses_of("access_log /l/$a main if=$b;"), ["a", "b"]);
        // A complex-value slot of nginx's own.
        assert_eq!(uses_of("proxy_no_cache $a $b;"), ["a", "b"]);
        // Not compiled at start (a literal, or read at run time).
        assert_eq!(uses_of("server_name $a;"), Vec::<String>::new());
        assert_eq!(uses_of("location ~ ^/a$ { }"), Vec::<String>::new());
    }

    #[test]
    fn definitions_and_named_captures() {
        assert_eq!(defs_of("set $a 1;"), ["a"]);
        assert_eq!(defs_of("map $x $m { }"), ["m"]);
        assert_eq!(defs_of("geo $g { }"), ["g"]);
        assert_eq!(defs_of("geo $x $g { }"), ["g"]);
        assert_eq!(defs_of("split_clients $x $s { }"), ["s"]);
        assert_eq!(defs_of("location ~ ^/(?<u>.+)/(?P<v>.)$ { }"), ["u", "v"]);
        assert_eq!(defs_of("return 200 $a;"), Vec::<String>::new());
    }
}
