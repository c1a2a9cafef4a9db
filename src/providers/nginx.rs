//! nginx's own servers as listeners: a `proxy_pass` to a port that another
//! server block of the same tree listens on is served.

use super::{Listener, ListenerKind, ListenerProvider};
use crate::load::Loaded;
use crate::model::Model;

pub struct NginxServers;

impl ListenerProvider for NginxServers {
    fn listeners(&self, _loaded: &Loaded, model: &Model<'_>, out: &mut Vec<Listener>) {
        out.reserve(model.servers.iter().map(|s| s.listens.len()).sum());
        for s in &model.servers {
            let name = s
                .names
                .first()
                .map_or_else(|| "(no server_name)".to_string(), |n| n.to_string());
            for l in &s.listens {
                out.push(Listener {
                    endpoint: l.endpoint.clone(),
                    kind: ListenerKind::Nginx,
                    name: name.clone(),
                    span: l.directive.map(|d| d.span).or(Some(s.directive.span)),
                    socket: None,
                    pool: None,
                    backend: None,
                });
            }
        }
    }
}
