//! Where a directive stands: the block kinds of nginx, and the inference of
//! a standalone file's context from what it contains.

use crate::nginx::ast::Directive;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ctx {
    Main,
    Events,
    Http,
    Server,
    Location,
    Upstream,
    If,
    LimitExcept,
    Stream,
    StreamServer,
    StreamUpstream,
    Mail,
    MailServer,
    /// Inside a data block (`map`, `types`, …) or an unknown block.
    Data,
}

impl Ctx {
    pub fn as_str(self) -> &'static str {
        match self {
            Ctx::Main => "main",
            Ctx::Events => "events",
            Ctx::Http => "http",
            Ctx::Server => "server",
            Ctx::Location => "location",
            Ctx::Upstream => "upstream",
            Ctx::If => "if",
            Ctx::LimitExcept => "limit_except",
            Ctx::Stream => "stream",
            Ctx::StreamServer => "stream server",
            Ctx::StreamUpstream => "stream upstream",
            Ctx::Mail => "mail",
            Ctx::MailServer => "mail server",
            Ctx::Data => "data block",
        }
    }

    /// [`Ctx::enter`] for a directive, told by name id: walks ask it of
    /// every block directive, and the name is on a cache line of its own.
    pub fn enter_directive(self, d: &crate::nginx::ast::Directive) -> Ctx {
        self.enter_id(d.name_id)
    }

    /// [`Ctx::enter`] for a directive name id (walks that keep the ids
    /// beside the directives need not read the directive for it).
    pub fn enter_id(self, id: crate::nginx::schema::NameId) -> Ctx {
        use crate::nginx::schema::known_id;
        let ids = [
            (known_id!("events"), "events"),
            (known_id!("http"), "http"),
            (known_id!("stream"), "stream"),
            (known_id!("mail"), "mail"),
            (known_id!("server"), "server"),
            (known_id!("upstream"), "upstream"),
            (known_id!("location"), "location"),
            (known_id!("if"), "if"),
            (known_id!("limit_except"), "limit_except"),
        ];
        // Any other name opens a data context, as in `enter`.
        let name = ids
            .iter()
            .find(|(known, _)| *known == id)
            .map_or("", |(_, n)| n);
        self.enter(name)
    }

    /// The context inside a block directive `name` opened in `self`.
    pub fn enter(self, name: &str) -> Ctx {
        match (self, name) {
            (Ctx::Main, "events") => Ctx::Events,
            (Ctx::Main, "http") => Ctx::Http,
            (Ctx::Main, "stream") => Ctx::Stream,
            (Ctx::Main, "mail") => Ctx::Mail,
            (Ctx::Http, "server") => Ctx::Server,
            (Ctx::Http, "upstream") => Ctx::Upstream,
            (Ctx::Server | Ctx::Location, "location") => Ctx::Location,
            (Ctx::Server | Ctx::Location, "if") => Ctx::If,
            (Ctx::If, "if") => Ctx::If,
            (Ctx::Location, "limit_except") => Ctx::LimitExcept,
            (Ctx::Stream, "server") => Ctx::StreamServer,
            (Ctx::Stream, "upstream") => Ctx::StreamUpstream,
            (Ctx::Mail, "server") => Ctx::MailServer,
            _ => Ctx::Data,
        }
    }
}

/// The context a file of loose directives was most likely written for (a
/// file of `server` blocks is http-level, a lone `location` is server-level).
pub fn infer(top: &[Directive]) -> Ctx {
    let mut best = Ctx::Main;
    let mut rank = 0;
    for d in top {
        let (ctx, r) = match d.name() {
            "http"
            | "events"
            | "worker_processes"
            | "user"
            | "pid"
            | "load_module"
            | "worker_rlimit_nofile"
            | "stream"
            | "mail" => (Ctx::Main, 4),
            "server" | "upstream" | "map" | "geo" | "split_clients" | "log_format"
            | "limit_req_zone" | "limit_conn_zone" | "proxy_cache_path" | "fastcgi_cache_path"
            | "types" | "charset_map" => (Ctx::Http, 3),
            "listen" | "server_name" | "location" | "ssl_certificate" | "ssl_certificate_key" => {
                (Ctx::Server, 2)
            }
            "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass"
            | "try_files" | "alias" | "limit_except" | "internal" => (Ctx::Location, 1),
            _ => continue,
        };
        if r > rank {
            rank = r;
            best = ctx;
        }
    }
    if rank == 0 {
        // Loose directives like `fastcgi_param` or `proxy_set_header`: valid
        // from http down to location; http is the widest.
        return if top.is_empty() { Ctx::Main } else { Ctx::Http };
    }
    best
}

#[cfg(test)]
mod tests {
    use super::Ctx;
    use crate::nginx::parser::{is_data_block, parse};
    use crate::source::FileId;

    /// Telling block directives apart by name id gives what telling them
    /// apart by name gives, for every name nginx knows and one it does not.
    #[test]
    fn by_id_agrees_with_by_name() {
        let all = [
            Ctx::Main,
            Ctx::Events,
            Ctx::Http,
            Ctx::Server,
            Ctx::Location,
            Ctx::Upstream,
            Ctx::If,
            Ctx::LimitExcept,
            Ctx::Stream,
            Ctx::StreamServer,
            Ctx::StreamUpstream,
            Ctx::Mail,
            Ctx::MailServer,
            Ctx::Data,
        ];
        let names = crate::nginx::schema::all()
            .iter()
            .map(|s| s.name)
            .chain(["no_such_block"]);
        for name in names {
            let pf = parse(FileId(0), format!("{name} {{}}").as_bytes());
            let d = &pf.directives[0];
            assert_eq!(d.is_data_block(), is_data_block(name), "{name}");
            for ctx in all {
                assert_eq!(ctx.enter_directive(d), ctx.enter(name), "{name} in {ctx:?}");
            }
        }
    }
}
