//! `duplicate-default-server`: two servers claim `default_server` for the
//! same address and port (`a duplicate default server for 0.0.0.0:80`).
//! `listen 80`, `*:80` and `0.0.0.0:80` are one address; `[::]:80` is
//! another; `localhost` is 127.0.0.1; other host names are not resolved.

use crate::finding::Finding;
use crate::nginx::values::{ListenHost, parse_listen};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;
use rustc_hash::FxHashMap;

pub struct DuplicateDefaultServer;

impl Rule for DuplicateDefaultServer {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::DUPLICATE_DEFAULT_SERVER]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        // (unit, address key, quic) → first default listen.
        type Key<'a> = (usize, ListenHost<'a>, u16, bool);
        // By key: one server per address is usual, and a list searched for
        // each default listen grew with the square of the tree.
        let mut firsts: FxHashMap<Key<'_>, (Span, String)> = FxHashMap::default();
        // The listens marked default in the model (whose arguments are
        // then read), not every listen directive's arguments.
        let defaults = cx
            .model
            .http_listens(|l| l.is_none_or(|l| l.default_server));
        for (unit, d) in defaults {
            let params = d.args.get(1..).unwrap_or(&[]);
            if !params
                .iter()
                .any(|w| matches!(w.as_str(), "default_server" | "default"))
            {
                continue;
            }
            let Some(addr) = d.arg(0).and_then(|a| parse_listen(a).ok()) else {
                continue;
            };
            if addr.port != addr.last_port {
                continue;
            }
            let Some((host, port)) = addr.key() else {
                continue;
            };
            let quic = params.iter().any(|w| w.as_str() == "quic");
            let key = (unit, host, port, quic);
            if let Some((first, text)) = firsts.get(&key) {
                out.push(
                    Finding::error(
                        ids::DUPLICATE_DEFAULT_SERVER,
                        d.span,
                        format!("a duplicate default server for {text}"),
                    )
                    .with_help(
                        "only one server per address:port may be the default; remove \
                         `default_server` from one of them",
                    )
                    .with_related(*first, "the default server for this address"),
                );
            } else {
                firsts.insert(key, (d.span, addr.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::ids;
    use crate::rules::schema::lint;

    #[test]
    fn normalised_addresses() {
        let f = lint(
            ids::DUPLICATE_DEFAULT_SERVER,
            "events {}\nhttp { server { listen 80 default_server; listen [::]:80 default_server; } \
             server { listen *:80 default_server; } server { listen 0.0.0.0:80 default; } \
             server { listen [::]:80 default_server; listen 127.0.0.1:80 default_server; listen 443 ssl default_server; } }\n",
        );
        let m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            m,
            vec![
                "a duplicate default server for 0.0.0.0:80",
                "a duplicate default server for 0.0.0.0:80",
                "a duplicate default server for [::]:80",
            ]
        );
    }
}
