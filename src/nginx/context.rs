//! Where a directive stands: the block kinds of nginx, and the inference of
//! a standalone file's context from what it contains.

use crate::nginx::ast::Directive;
use crate::nginx::include::Files;
use crate::nginx::schema::{self, ctx};
use crate::source::FileId;

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

    /// The schema's context bit of a directive standing directly here
    /// (nginx's `cf->cmd_type`); `if` has two, told by its parent, and a
    /// data block none.
    pub fn bits(self) -> u32 {
        match self {
            Ctx::Main => ctx::MAIN,
            Ctx::Events => ctx::EVENTS,
            Ctx::Http => ctx::HTTP,
            Ctx::Server => ctx::HTTP_SRV,
            Ctx::Location => ctx::HTTP_LOC,
            Ctx::Upstream => ctx::HTTP_UPS,
            Ctx::If => ctx::HTTP_SIF | ctx::HTTP_LIF,
            Ctx::LimitExcept => ctx::HTTP_LMT,
            Ctx::Stream => ctx::STREAM,
            Ctx::StreamServer => ctx::STREAM_SRV,
            Ctx::StreamUpstream => ctx::STREAM_UPS,
            Ctx::Mail => ctx::MAIL,
            Ctx::MailServer => ctx::MAIL_SRV,
            Ctx::Data => 0,
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
/// file of `server` blocks is http-level, a lone `location` is
/// server-level), among the contexts where every one of its directives is
/// allowed: a fragment is never read where nginx would refuse it.
pub fn infer(top: &[Directive]) -> Ctx {
    infer_from(&top.iter().collect::<Vec<_>>())
}

/// [`infer`] for a file whose top-level `include`s are expanded: what they
/// bring in stands where they stand (a `basic.conf` of includes of
/// `location` snippets is server-level, as its includes are).
pub fn infer_expanded(files: &Files, top: &[Directive]) -> Ctx {
    let mut all = Vec::new();
    let mut seen = Vec::new();
    flatten(files, top, &mut all, &mut seen);
    infer_from(&all)
}

/// The top-level directives of a file and of what its includes bring in,
/// includes themselves left out (they stand anywhere).
fn flatten<'a>(
    files: &'a Files,
    top: &'a [Directive],
    out: &mut Vec<&'a Directive>,
    seen: &mut Vec<FileId>,
) {
    for d in top {
        if !d.is_include() {
            out.push(d);
            continue;
        }
        for &id in files.included(d) {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(pf) = files.get(id) {
                flatten(files, &pf.directives, out, seen);
            }
        }
    }
}

/// Where a file of these top-level directives may stand, in the order
/// tried when the name-based guess is not among them.
const CANDIDATES: [Ctx; 10] = [
    Ctx::Http,
    Ctx::Server,
    Ctx::Location,
    Ctx::Main,
    Ctx::Upstream,
    Ctx::Stream,
    Ctx::StreamServer,
    Ctx::StreamUpstream,
    Ctx::Mail,
    Ctx::MailServer,
];

fn infer_from(top: &[&Directive]) -> Ctx {
    let guess = guess(top);
    let fits = |c: Ctx| {
        top.iter()
            .all(|d| allowed(d, c.bits()) && (d.name() != "if" || if_body_fits(d, if_bits(c))))
    };
    if fits(guess) {
        return guess;
    }
    // No context fits them all (a broken file): the guess, and the
    // directives out of place are reported there.
    CANDIDATES.into_iter().find(|&c| fits(c)).unwrap_or(guess)
}

/// Whether the schema allows `d` where `bits` says; a name nginx does not
/// know is another rule's business.
fn allowed(d: &Directive, bits: u32) -> bool {
    let specs = schema::group(d.name_id);
    specs.is_empty() || specs.iter().any(|s| s.contexts & bits != 0)
}

/// What the body of an `if` standing directly in `c` is: a server's `if`
/// takes fewer directives than a location's (`add_header` only in the
/// latter), which tells a location-level file from a server-level one.
fn if_bits(c: Ctx) -> u32 {
    match c {
        Ctx::Server => ctx::HTTP_SIF,
        Ctx::Location => ctx::HTTP_LIF,
        _ => 0,
    }
}

fn if_body_fits(d: &Directive, bits: u32) -> bool {
    let Some(b) = &d.block else { return true };
    b.children.iter().all(|c| {
        c.is_include() || (allowed(c, bits) && (c.name() != "if" || if_body_fits(c, bits)))
    })
}

/// The guess from the names that say most about a file.
fn guess(top: &[&Directive]) -> Ctx {
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
