//! fpm-listen-exposed: a pool listening on every network interface that
//! accepts any client.

use crate::finding::Finding;
use crate::fpm::{FpmConfig, Listen, Pool, Setting};
use crate::providers::compose::PublishedFpm;
use crate::rules::{Check, Rule, ids};

pub struct FpmListenExposed;

impl Rule for FpmListenExposed {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_LISTEN_EXPOSED]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, _)) = super::config(cx) {
            let published = if cfg.container.is_some() {
                let files: Vec<std::path::PathBuf> = cfg
                    .files
                    .iter()
                    .map(|id| cx.loaded.sources.get(*id).real.clone())
                    .collect();
                crate::providers::compose::published_fpm(cx.loaded, &files)
            } else {
                Vec::new()
            };
            check_published(cfg, &published, out);
        }
    }
}

/// Every pool, with no Compose file in view (a php-fpm configuration on
/// its own).
pub fn check(cfg: &FpmConfig, out: &mut Vec<Finding>) {
    check_published(cfg, &[], out);
}

/// Every pool; `published`: the container ports Compose publishes on the
/// host for a service that runs this php-fpm.
fn check_published(cfg: &FpmConfig, published: &[PublishedFpm], out: &mut Vec<Finding>) {
    for pool in &cfg.pools {
        if let (Some(l), Some(addr)) = (&pool.listen, &pool.listen_addr) {
            let place = match cfg.container.as_deref() {
                None => Place::Host,
                Some(why) => Place::Container(
                    why,
                    published
                        .iter()
                        .find(|p| matches!(addr, Listen::Tcp { port, .. } if u32::from(p.container_port) == *port)),
                ),
            };
            check_listen(pool, l, addr, place, out);
        }
    }
}

/// Where the pool runs, as far as the run can see.
#[derive(Clone, Copy)]
enum Place<'a> {
    Host,
    /// In a container (the evidence), with the Compose entry that
    /// publishes its port on the host, if any.
    Container(&'a str, Option<&'a PublishedFpm>),
}

/// A pool listening on every interface with no allowed-clients list: a
/// warning, or an info in a container, where every interface is the
/// container's own and listening on all of them is how nginx in another
/// container reaches the pool (the php image does it itself). A port
/// php-fpm cannot bind is fpm-invalid-value's.
fn check_listen(pool: &Pool, l: &Setting, addr: &Listen, place: Place<'_>, out: &mut Vec<Finding>) {
    if let Listen::Tcp { port, .. } = addr
        && (*port == 0 || *port > 65535)
    {
        return;
    }
    if addr.is_every_interface()
        && pool
            .listen_allowed_clients
            .as_ref()
            .is_none_or(|a| a.value.trim().is_empty())
    {
        let message = format!(
            "pool {} listens on `{}`, every network interface, and accepts any client: anyone who can reach the port can run PHP files as the pool user",
            pool.name, l.value
        );
        let f = match place {
            Place::Container(why, None) => Finding::info(
                ids::FPM_LISTEN_EXPOSED,
                l.span,
                format!("{message}; it runs in a container ({why}), whose network must be the only way in"),
            )
            .with_help("leave the port unpublished (no `ports:` or `-p` for it): nginx reaches it over the container network"),
            Place::Container(_, Some(p)) => Finding::warning(
                ids::FPM_LISTEN_EXPOSED,
                l.span,
                format!("{message}; Compose publishes it on the host's port {} (service {})", p.host_port, p.service),
            )
            .with_related(p.span, "publishes the FastCGI port on the host")
            .with_help("remove the `ports:` entry (use `expose:` or nothing: nginx reaches php-fpm over the Compose network), or bind it to 127.0.0.1"),
            Place::Host => Finding::warning(ids::FPM_LISTEN_EXPOSED, l.span, message).with_help(
                "listen on 127.0.0.1:PORT or a unix socket, or set `listen.allowed_clients = 127.0.0.1`",
            ),
        };
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::Place;
    use crate::finding::Severity;
    use crate::fpm::{Listen, Pool, Setting};
    use crate::providers::compose::PublishedFpm;
    use crate::source::Span;

    fn pool() -> (Pool, Setting) {
        let l = Setting {
            key: "listen".into(),
            index: None,
            value: "9000".into(),
            span: Span::default(),
            key_span: Span::default(),
            value_span: Span::default(),
            has_env: false,
        };
        (Pool::default(), l)
    }

    /// On a host every interface is exposed (a warning); in a container it
    /// is the container's own network (an info saying why it is assumed).
    #[test]
    fn a_container_makes_it_an_info() {
        let (p, l) = pool();
        let addr = Listen::parse("9000", std::path::Path::new("/"));
        let mut out = Vec::new();
        super::check_listen(&p, &l, &addr, Place::Host, &mut out);
        super::check_listen(
            &p,
            &l,
            &addr,
            Place::Container("Dockerfile:1", None),
            &mut out,
        );
        let published = PublishedFpm {
            service: "php".into(),
            container_port: 9000,
            host_port: 9000,
            span: Span::default(),
        };
        let place = Place::Container("Dockerfile:1", Some(&published));
        super::check_listen(&p, &l, &addr, place, &mut out);
        let got: Vec<Severity> = out.iter().map(|f| f.severity).collect();
        assert_eq!(got, [Severity::Warning, Severity::Info, Severity::Warning]);
        assert!(out[1].message.contains("Dockerfile:1"));
        assert!(out[2].message.contains("host's port 9000 (service php)"));
    }
}
