//! `invalid-regex`: a regex PCRE2 refuses (nginx will not start), or a
//! `$N` that names a capture group no regex in reach defines (always
//! empty).

use crate::analysis::regex::Regex;
use crate::analysis::taint::{Seg, map_key_regex, segments};
use crate::analysis::{RegexSite, if_condition, location_regex};
use crate::finding::Finding;
use crate::model::Model;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::rules::ids;

/// Directives whose values nginx compiles as scripts with captures.
const USES_CAPTURES: [&str; 14] = [
    "return",
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "add_header",
    "proxy_set_header",
    "fastcgi_param",
    "set",
    "try_files",
    "alias",
    "root",
    "proxy_redirect",
];

/// invalid-regex on the trees' regex sites (shared with regex-redos, see
/// [`super::regexes`]).
pub fn check<'t>(m: &Model<'t>, sites: &[RegexSite<'t>], out: &mut Vec<Finding>) {
    for site in sites {
        let re = &site.parsed;
        if let Some(e) = &re.error {
            out.push(
                Finding::error(
                    ids::INVALID_REGEX,
                    site.word.span,
                    format!(
                        "PCRE2 rejects this {} regex: {} (at offset {}); nginx will not start",
                        site.what, e.message, e.offset
                    ),
                )
                .with_help("fix the pattern; quote it when it contains `{`, `}`, `;` or spaces"),
            );
            continue;
        }
        // A map value's $N can only come from its own key, a rewrite's
        // replacement's from its regex.
        if site.what == "map"
            && let Some(v) = site.directive.arg(0)
        {
            report_missing(
                out,
                site.directive,
                v,
                re.groups.len() as u32,
                "the map key",
            );
        }
        if site.what == "rewrite"
            && let Some(v) = site.directive.arg(1)
            && v.contains('$')
            && !re.uncertain_groups
        {
            report_missing(out, site.directive, v, re.groups.len() as u32, "its regex");
        }
    }
    // Non-regex map keys with $N in the value.
    for (_, d) in m.named(&["map"]) {
        let Some(b) = &d.block else { continue };
        for e in &b.children {
            if map_key_regex(e.name()).is_none()
                && let Some(v) = e.arg(0)
            {
                report_missing(out, e, v, 0, "a non-regex map key");
            }
        }
    }
    // From the model's list of directives that use captures (few),
    // not from every directive of these names.
    let uses = USES_CAPTURES.map(crate::nginx::schema::name_id);
    for (sid, d) in m.capture_users() {
        if !uses.contains(&d.name_id) {
            continue;
        }
        let n = u32::from(d.max_capture);
        let Some(have) = max_groups_in_reach(m, sid) else {
            continue;
        };
        if n > have {
            let v = d
                .args
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            report_missing(out, d, &v, have, "any regex of this server");
        }
    }
}

fn report_missing(out: &mut Vec<Finding>, d: &Directive, value: &str, have: u32, whose: &str) {
    let Some(n) = segments(value)
        .into_iter()
        .filter_map(|s| match s {
            Seg::Cap(n) if n > have => Some(n),
            _ => None,
        })
        .max()
    else {
        return;
    };
    let groups = match have {
        0 => "no capture group".to_string(),
        1 => "only 1 capture group".to_string(),
        k => format!("only {k} capture groups"),
    };
    out.push(
        Finding::warning(
            ids::INVALID_REGEX,
            d.span,
            format!("`${n}` refers to a capture group that does not exist ({whose} has {groups}): it is always empty"),
        )
        .with_help("add the group to the regex (`(…)`, not `(?:…)` or `(?i)`), or drop the reference"),
    );
}

/// The most capture groups any regex that can run before a directive in
/// `scope` defines: the enclosing locations and ifs, rewrites in them and
/// in the server, and the server's `server_name` regexes. None when a
/// regex we cannot count (branch reset) is involved.
fn max_groups_in_reach(m: &Model<'_>, scope: usize) -> Option<u32> {
    let mut best = 0u32;
    let mut count = |p: &str, icase: bool| -> Option<()> {
        let re = Regex::parse(p, icase);
        if re.uncertain_groups || !re.ok() {
            return None;
        }
        best = best.max(re.groups.len() as u32);
        Some(())
    };
    for s in m.chain(scope) {
        if let Some(d) = s.directive {
            // A named location runs with the captures of whatever
            // location redirected to it.
            if d.name() == "location" && d.arg(0).is_some_and(|a| a.starts_with('@')) {
                return None;
            }
            if let Some((p, i)) = location_regex(d) {
                count(p, i)?;
            }
            if let Some(c) = if_condition(d)
                && let Some(p) = c.regex
            {
                count(p, c.icase)?;
            }
        }
        for d in m.children(s) {
            match d.name() {
                "rewrite" => {
                    if let Some(p) = d.arg(0) {
                        count(p, false)?;
                    }
                }
                "server_name" => {
                    for a in &d.args {
                        if let Some(p) = a.as_str().strip_prefix('~') {
                            count(p, true)?;
                        }
                    }
                }
                "if" => {
                    if let Some(c) = if_condition(d)
                        && let Some(p) = c.regex
                    {
                        count(p, c.icase)?;
                    }
                }
                _ => {}
            }
        }
        if matches!(s.ctx, Ctx::Server | Ctx::Http | Ctx::Main) {
            // Captures never come from outside the server.
            if s.ctx == Ctx::Server {
                break;
            }
        }
    }
    Some(best)
}
