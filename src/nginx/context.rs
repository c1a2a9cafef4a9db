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
