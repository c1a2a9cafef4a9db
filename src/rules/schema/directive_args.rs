//! `directive-args`: the wrong number of arguments, or a block where none
//! is allowed / none where one is required. A missing `;` shows up as a
//! directive that swallowed the next line: the help says so.

use crate::finding::Finding;
use crate::model::walk::Visit;
use crate::nginx::ast::Directive;
use crate::nginx::schema::{self, DirectiveSpec};
use crate::rules::schema::Env;
use crate::rules::{WalkCheck, ids};
use crate::source::{SourceMap, Span};

pub struct DirectiveArgs;

impl DirectiveArgs {
    /// Check one directive (called by [`super::PerDirective`]'s walk).
    pub fn visit<'t>(
        &mut self,
        cx: &WalkCheck<'t>,
        env: &Env<'t>,
        v: &Visit<'t, '_>,
        out: &mut Vec<Finding>,
    ) {
        let Some(spec) = env.spec_for(v) else {
            return;
        };
        let d = v.directive;
        let name = d.name();
        let n = d.args.len();
        let (msg, what) = if !spec.is_block() && d.block.is_some() {
            (
                format!("directive \"{name}\" is not terminated by \";\""),
                format!("`{name}` takes no block; it ends with `;`"),
            )
        } else if spec.is_block() && d.block.is_none() {
            (
                format!("directive \"{name}\" has no opening \"{{\""),
                format!("`{name}` opens a block: `{name} ... {{ ... }}`"),
            )
        } else if !spec.accepts_arg_count(n) {
            (
                format!("invalid number of arguments in \"{name}\" directive"),
                format!("`{name}` takes {}, here it has {n}", describe_args(spec)),
            )
        } else {
            return;
        };
        let mut f = Finding::error(ids::DIRECTIVE_ARGS, d.span, msg);
        match swallowed(&cx.loaded.sources, d, spec) {
            Some((at, next)) => {
                f = f
                    .with_help(format!(
                        "a `;` is probably missing after `{}`: the next line's `{next}` was read \
                         as more arguments of `{name}`",
                        cx.loaded.sources.get(at.file).slice(at)
                    ))
                    .with_related(at, "add `;` here")
            }
            None => f = f.with_help(what),
        }
        out.push(f);
    }
}

/// The argument counts a spec accepts, in words.
pub fn describe_args(s: &DirectiveSpec) -> String {
    use schema::args as a;
    let t = s.args;
    if t & a::FLAG != 0 {
        return "one argument (on or off)".into();
    }
    if t & a::ONE_MORE != 0 {
        return "one or more arguments".into();
    }
    if t & a::TWO_MORE != 0 {
        return "two or more arguments".into();
    }
    if t & a::ANY != 0 {
        return "any number of arguments".into();
    }
    let counts: Vec<String> = (0..a::MAX_ARGS)
        .filter(|&i| t & a::ARGUMENT_NUMBER.get(i).copied().unwrap_or(0) != 0)
        .map(|i| i.to_string())
        .collect();
    match counts.as_slice() {
        [] => "no arguments".into(),
        [one] if one == "0" => "no arguments".into(),
        [one] if one == "1" => "one argument".into(),
        [one] => format!("{one} arguments"),
        more => format!("{} arguments", more.join(" or ")),
    }
}

/// When the directive's words run onto a later line that starts with a
/// known directive name, and the words before it would have been a valid
/// directive: the `;` was forgotten. Returns the word after which the `;`
/// belongs and the swallowed name.
fn swallowed<'d>(
    sources: &SourceMap,
    d: &'d Directive,
    spec: &DirectiveSpec,
) -> Option<(Span, &'d str)> {
    let text = &sources.get(d.span.file).text;
    let mut prev = d.name.span;
    for (i, w) in d.args.iter().enumerate() {
        let gap = text.get(prev.end as usize..w.span.start as usize)?;
        if gap.contains(&b'\n')
            && !schema::lookup(&w.value).is_empty()
            && spec.accepts_arg_count(i)
            && !spec.is_block()
        {
            return Some((prev, w.as_str()));
        }
        prev = w.span;
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn counts_and_blocks() {
        let f = lint(
            ids::DIRECTIVE_ARGS,
            "events {}\nhttp { sendfile; server { listen 80; root /a /b; location / { try_files $uri; } location /x; } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "invalid number of arguments in \"sendfile\" directive",
                "invalid number of arguments in \"root\" directive",
                "invalid number of arguments in \"try_files\" directive",
                "directive \"location\" has no opening \"{\"",
            ]
        );
    }

    #[test]
    fn block_where_none_allowed() {
        let f = lint(
            ids::DIRECTIVE_ARGS,
            "events {}\nhttp { server { root /a { } } }\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "directive \"root\" is not terminated by \";\""
        );
    }

    #[test]
    fn missing_semicolon_is_named() {
        let f = lint(
            ids::DIRECTIVE_ARGS,
            "events {}\nhttp {\n    server {\n        root /var/www\n        index index.html;\n    }\n}\n",
        );
        assert_eq!(f.len(), 1);
        let help = f[0].help.as_deref().unwrap_or("");
        assert!(help.contains("missing after `/var/www`"), "{help}");
        assert!(help.contains("`index`"), "{help}");
        assert_eq!(f[0].related.len(), 1);
    }
}
