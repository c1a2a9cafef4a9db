//! Templates: configuration that an entrypoint or a deploy script renders
//! before nginx or php-fpm reads it (`envsubst` over the official nginx
//! image's `templates/*.template`, `{{VAR}}` filled by a start script,
//! `$name` replaced by `sed`). The raw file is not what runs: a value with a
//! placeholder in it is not judged, and the file gets one info saying so.

use rustc_hash::FxHashMap;

use crate::finding::{Finding, Severity};
use crate::loaded::Loaded;
use crate::registry::ids;
use crate::source::{FileId, Span};

/// Whether the file's name says it is rendered before use.
pub fn is_template_name(name: &str) -> bool {
    name.ends_with(".template") || name.ends_with(".tmpl")
}

/// Whether `text` (the directive or line a finding is about) holds a
/// placeholder a renderer fills, for a finding of `rule` in a file named
/// `name` whose whole text is `file`.
pub fn has_placeholder(text: &str, rule: &str, name: &str, file: &str) -> bool {
    has_placeholder_with(text, rule, name, &|var| defined(file, var))
}

/// Rules about a file's structure (names, arguments' count, blocks,
/// duplicates, includes): a placeholder in a value does not excuse them.
const STRUCTURAL: &[&str] = &[
    ids::SYNTAX,
    ids::UNKNOWN_DIRECTIVE,
    ids::DIRECTIVE_ARGS,
    ids::DIRECTIVE_CONTEXT,
    ids::DIRECTIVE_DUPLICATE,
    ids::INCLUDE_MISSING,
    ids::INCLUDE_CYCLE,
    ids::FPM_SYNTAX,
    ids::FPM_UNKNOWN_DIRECTIVE,
    ids::FPM_NO_POOL,
];

/// [`has_placeholder`], asking `defined` whether the configuration sets an
/// upper-case variable itself (read only when one is met).
fn has_placeholder_with(
    text: &str,
    rule: &str,
    name: &str,
    defined: &dyn Fn(&str) -> bool,
) -> bool {
    if STRUCTURAL.contains(&rule) || !(text.contains('$') || text.contains("{{")) {
        return false;
    }
    // php-fpm itself takes an `env[NAME] = $VAR` value from its own
    // environment (its stock www.conf: "All $VARIABLEs are taken from the
    // current environment"): not a placeholder.
    if rule.starts_with("fpm-") && text.trim_start().starts_with("env[") {
        return false;
    }
    // `{{VAR}}` (Go templates, mustache, Jinja): never nginx or php-fpm syntax.
    if text.contains("{{") && text.contains("}}") {
        return true;
    }
    if env_style(text).is_some_and(|var| !defined(var)) {
        return true;
    }
    // nginx expands variables only where a directive's handler compiles
    // them: a directive refused whose every argument is a `$name` is what a
    // renderer replaces (erseco's `client_max_body_size
    // ${client_max_body_size};`).
    if rule == ids::DIRECTIVE_VALUE && all_args_variables(text) {
        return true;
    }
    // php-fpm reads `${NAME}` from the environment and `$NAME` only in
    // `env[…]` lines: any other value starting with `$` is rendered.
    if rule.starts_with("fpm-") && value_of(text).is_some_and(|v| v.starts_with('$')) {
        return true;
    }
    is_template_name(name) && text.contains("${")
}

/// A `$NAME` or `${NAME}` in environment style (upper case): nginx's own
/// variables are lower case, and an envsubst template's are not.
fn env_style(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let body = rest.strip_prefix('{').unwrap_or(rest);
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let var = &body[..end];
        if var.starts_with(|c: char| c.is_ascii_uppercase())
            && !var.contains(|c: char| c.is_ascii_lowercase())
            && !builtin(&var.to_ascii_lowercase())
        {
            return Some(var);
        }
    }
    None
}

/// nginx's own variables, from the catalogue generated from nginx's
/// sources (`crate::nginx::variables`: http and stream, any release since
/// 1.18.0, prefixes such as `http_` and `arg_` included), plus NGINX
/// Plus's `jwt_` ones: nginx lowercases a variable's name when it looks it
/// up, so `$REQUEST_URI` is `$request_uri`, not a placeholder.
fn builtin(var: &str) -> bool {
    use crate::nginx::variables;
    var.starts_with("jwt_")
        || [false, true].into_iter().any(|stream| {
            variables::builtin(var, stream, crate::nginx::schema::NEWEST_STABLE).is_some()
                || variables::releases(var, stream).is_some()
        })
}

/// Whether the file defines `$var` itself (`set $VAR …`, `map … $VAR {`):
/// then it is an nginx variable, not a placeholder.
fn defined(file: &str, var: &str) -> bool {
    let v = format!("${var}");
    file.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("set ") && l[4..].trim_start().starts_with(v.as_str()))
            || ((l.starts_with("map ") || l.starts_with("geo ")) && l.contains(v.as_str()))
    })
}

/// Whether every argument of the directive `text` is one whole variable.
fn all_args_variables(text: &str) -> bool {
    let body = text.trim_end().trim_end_matches([';', '{']);
    let mut args = body.split_whitespace().skip(1).peekable();
    args.peek().is_some()
        && args.all(|a| {
            let a = a.trim_matches(|c| c == '"' || c == '\'');
            let v = a.strip_prefix('$').unwrap_or("");
            let v = v
                .strip_prefix('{')
                .and_then(|x| x.strip_suffix('}'))
                .unwrap_or(v);
            !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The value of a php-fpm `key = value` line.
fn value_of(text: &str) -> Option<&str> {
    text.split_once('=').map(|(_, v)| v.trim())
}

/// Drop the findings on values with placeholders; one info per file that
/// had some, at the first of them.
pub fn hold_placeholders(loaded: &Loaded, findings: Vec<Finding>) -> Vec<Finding> {
    let mut held: FxHashMap<FileId, (Span, usize)> = FxHashMap::default();
    let mut out = Vec::with_capacity(findings.len());
    let known = std::cell::RefCell::new(FxHashMap::default());
    for f in findings {
        if f.severity != Severity::Info && placeholder_at(loaded, &f, &known) {
            let e = held.entry(f.span.file).or_insert((f.span, 0));
            e.1 += 1;
            continue;
        }
        out.push(f);
    }
    let mut files: Vec<_> = held.into_iter().collect();
    files.sort_by_key(|(id, _)| id.0);
    for (_, (span, n)) in files {
        out.push(template_info(span, n));
    }
    out
}

/// Whether an upper-case variable is set somewhere in the run, by name:
/// asked once per name.
type Known = std::cell::RefCell<FxHashMap<String, bool>>;

fn placeholder_at(loaded: &Loaded, f: &Finding, known: &Known) -> bool {
    let src = loaded.sources.get(f.span.file);
    let Some(bytes) = src.text.get(f.span.start as usize..f.span.end as usize) else {
        return false;
    };
    let name = src
        .real
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // A variable set in any file of the run (the vhost that includes a
    // sample sets `$MAGE_ROOT`) is nginx's.
    let defined = |var: &str| {
        if let Some(&d) = known.borrow().get(var) {
            return d;
        }
        let d = loaded
            .sources
            .iter()
            .any(|(_, sf)| defined(&String::from_utf8_lossy(&sf.text), var));
        known.borrow_mut().insert(var.to_string(), d);
        d
    };
    has_placeholder_with(&String::from_utf8_lossy(bytes), f.rule, &name, &defined)
}

fn template_info(span: Span, n: usize) -> Finding {
    let what = if n == 1 {
        "a value".to_string()
    } else {
        format!("{n} values")
    };
    Finding::info(
        ids::TEMPLATE_PLACEHOLDER,
        span,
        format!(
            "read as a template: {what} with placeholders ({{{{VAR}}}}, ${{VAR}}, or a $name where \
             nginx or php-fpm takes none) filled in before the file is used; not judged"
        ),
    )
    .with_help("lint the rendered file (after envsubst or the entrypoint) to check these values")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// nginx's own names (any release, http or stream, by prefix too) are
    /// variables; a name no module has is a placeholder, even one that
    /// starts like a module's (`$SSL_CUSTOM`).
    #[test]
    fn builtin_is_the_catalogue() {
        for v in [
            "request_uri",
            "http_x_forwarded_for",
            "ssl_client_s_dn",
            "upstream_addr",
            "jwt_claim_sub",
            "ssl_preread_server_name",
        ] {
            assert!(super::builtin(v), "{v}");
        }
        for v in ["ssl_custom", "app_port", "proxy_target"] {
            assert!(!super::builtin(v), "{v}");
        }
    }

    #[test]
    fn placeholders() {
        let p = |t: &str, rule: &str| has_placeholder(t, rule, "default.conf", t);
        assert!(p(
            "pm.max_children = {{PHP_MAX_CHILDREN}}",
            "fpm-invalid-value"
        ));
        assert!(p("clear_env = $clear_env", "fpm-invalid-value"));
        assert!(!p("env[DB] = $DB", "fpm-invalid-value"));
        assert!(p(
            "proxy_pass http://$FLASK_SERVER_ADDR;",
            "proxy-pass-variable-resolver"
        ));
        assert!(p(
            "client_max_body_size ${client_max_body_size};",
            "directive-value"
        ));
        assert!(!p(
            "proxy_pass http://$backend;",
            "proxy-pass-variable-resolver"
        ));
        assert!(!p("client_max_body_size 10x;", "directive-value"));
        assert!(!p("try_files $uri $uri/ =404q;", "directive-value"));
        // nginx's own variables, in any case.
        assert!(!p(
            "proxy_pass http://$HOST$REQUEST_URI;",
            "proxy-pass-variable-resolver"
        ));
        // An upper-case variable the file sets is nginx's own.
        let file = "set $BACKEND api.example.com;\nproxy_pass http://$BACKEND;\n";
        assert!(!has_placeholder(
            "proxy_pass http://$BACKEND;",
            "proxy-pass-variable-resolver",
            "a.conf",
            file
        ));
        assert!(has_placeholder(
            "proxy_pass http://${backend};",
            "proxy-pass-variable-resolver",
            "default.conf.template",
            ""
        ));
    }
}
