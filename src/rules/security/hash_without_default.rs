//! `hash-without-default`: a `map` or `geo` with several entries and no
//! `default` yields an empty string for everything it does not list. For
//! `geo`, `0.0.0.0/0` and `::/0` stand for the default (nginx.org,
//! ngx_http_geo_module: "When default is not specified, the default value
//! will be an empty string").

use crate::finding::Finding;
use crate::rules::{Check, Rule, ids};

pub struct HashWithoutDefault;

/// `geo` lines that are parameters, not address entries.
const GEO_PARAMETERS: &[&str] = &["delete", "ranges", "proxy", "proxy_recursive", "default"];

/// `geo` entries that match every address, as `default` does.
const GEO_CATCH_ALL: &[&str] = &["0.0.0.0/0", "::/0", "0.0.0.0-255.255.255.255"];

impl Rule for HashWithoutDefault {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::HASH_WITHOUT_DEFAULT]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        for (_, d) in cx.model.named(&["map", "geo"]) {
            let geo = d.name() == "geo";
            if !geo && d.name() != "map" {
                continue;
            }
            let Some(b) = &d.block else { continue };
            let entries = b
                .children
                .iter()
                .filter(|e| !matches!(e.name(), "hostnames" | "volatile" | "include"))
                .filter(|e| !geo || !GEO_PARAMETERS.contains(&e.name()))
                .count();
            let has_default = b
                .children
                .iter()
                .any(|e| e.name() == "default" || (geo && GEO_CATCH_ALL.contains(&e.name())));
            // One entry and no default is the "empty unless" idiom
            // (limit_req keys); includes may hold the default.
            if has_default || entries < 2 || b.children.iter().any(|e| e.name() == "include") {
                continue;
            }
            let var = d.args.last().map_or("", |w| w.as_str());
            let message = if geo {
                format!(
                    "geo `{var}` has no `default`: every client address it does not list gets an empty string"
                )
            } else {
                format!(
                    "map to `{var}` has no `default`: every value it does not list becomes an empty string"
                )
            };
            out.push(
                Finding::info(ids::HASH_WITHOUT_DEFAULT, d.span, message)
                    .with_help("add an explicit `default` (the least-privileged value)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    fn conf(geo: &str) -> String {
        format!(
            "events {{}}\nhttp {{ server_tokens off; {geo} server {{ listen 80; return 204; }} }}\n"
        )
    }

    #[test]
    fn geo_allow_list_without_default_is_reported() {
        let c = conf("geo $trusted { 10.0.0.0/8 1; 192.168.0.0/16 1; }");
        let f = lint(ids::HASH_WITHOUT_DEFAULT, &c);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("geo `$trusted`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn geo_catch_all_entries_are_its_default() {
        for geo in [
            "geo $t { ::/0 0; 10.0.0.0/8 1; 192.168.0.0/16 1; }",
            "geo $t { ranges; 0.0.0.0-255.255.255.255 0; 10.0.0.0-10.255.255.255 1; 192.0.2.1-192.0.2.9 1; }",
            "geo $t { proxy 10.0.0.1; delete 127.0.0.0/16; 10.0.0.0/8 1; }",
        ] {
            assert!(
                lint(ids::HASH_WITHOUT_DEFAULT, &conf(geo)).is_empty(),
                "{geo}"
            );
        }
    }
}
