//! `duplicate-location`: the same location twice in one server (or one
//! parent location). nginx's rule (ngx_http_join_exact_locations): among
//! the non-regex, non-named locations, two exact (`=`) ones with the same
//! URI, or two inclusive ones (no modifier or `^~`) with the same URI, are
//! duplicates; `= /x` and `/x` are not. Regex and named locations are never
//! compared.

use crate::finding::Finding;
use crate::model::walk::BlockVisit;
use crate::nginx::ast::Directive;
use crate::rules::ids;

/// The check of one block at a time, run in [`super::PerBlock`]'s pass
/// over the blocks; keeps one buffer for every block.
#[derive(Default)]
pub struct DuplicateLocation<'t> {
    keys: Vec<((bool, &'t str), usize)>,
}

/// (exact?, uri) of a location nginx compares, None for regex and named
/// ones (and malformed ones).
pub fn location_key(d: &Directive) -> Option<(bool, &str)> {
    match &d.args[..] {
        [m, uri] => match m.as_str() {
            "=" => Some((true, uri.as_str())),
            "^~" => Some((false, uri.as_str())),
            _ => None,
        },
        [one] => {
            let s = one.as_str();
            if s.starts_with('~') || s.starts_with('@') {
                None
            } else if let Some(rest) = s.strip_prefix('=') {
                Some((true, rest))
            } else if let Some(rest) = s.strip_prefix("^~") {
                Some((false, rest))
            } else {
                Some((false, s))
            }
        }
        _ => None,
    }
}

fn has_caret(d: &Directive) -> bool {
    d.arg(0).is_some_and(|a| a.starts_with("^~"))
}

impl<'t> DuplicateLocation<'t> {
    pub fn visit(&mut self, b: &BlockVisit<'t, '_>, out: &mut Vec<Finding>) {
        let location = crate::nginx::schema::known_id!("location");
        let keys = &mut self.keys;
        keys.clear();
        for (i, d) in b.children.iter().enumerate() {
            // By the side array of name ids: only locations are read.
            if b.names.get(i) == Some(&location)
                && d.block.is_some()
                && let Some(k) = location_key(d)
            {
                keys.push((k, i));
            }
        }
        if keys.len() < 2 {
            return;
        }
        keys.sort();
        for w in 1..keys.len() {
            if keys[w].0 != keys[w - 1].0 {
                continue;
            }
            // Report each repeat against the first of its kind.
            let first = keys[..w]
                .iter()
                .find(|(k, _)| *k == keys[w].0)
                .map_or(keys[w - 1].1, |&(_, j)| j);
            let d = b.children[keys[w].1];
            let (exact, uri) = keys[w].0;
            out.push(
                Finding::error(
                    ids::DUPLICATE_LOCATION,
                    d.span,
                    format!("duplicate location \"{uri}\""),
                )
                .with_help(if exact {
                    format!("two `location = {uri}` blocks in one server: merge them")
                } else if !has_caret(d) && !has_caret(b.children[first]) {
                    format!("two `location {uri}` blocks in one block: merge them")
                } else {
                    format!(
                        "`location {uri}` and `location ^~ {uri}` are the same prefix location \
                         for nginx; merge the two blocks"
                    )
                })
                .with_related(b.children[first].span, "first defined here"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn nginx_semantics() {
        let f = lint(
            ids::DUPLICATE_LOCATION,
            "events {}\nhttp { server { location /a {} location = /a {} location ~ /a {} location ~ /a {} \
             location @n {} location @n {} location /b {} location ^~ /b {} location =/c {} location = /c {} } \
             server { location /a {} } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec!["duplicate location \"/b\"", "duplicate location \"/c\""]
        );
    }

    #[test]
    fn nested_locations_are_their_own_scope() {
        let f = lint(
            ids::DUPLICATE_LOCATION,
            "events {}\nhttp { server { location /a { location /a/b {} } location /c { location /a/b {} location /a/b {} } } }\n",
        );
        assert_eq!(f.len(), 1);
    }
}
