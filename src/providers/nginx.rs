//! nginx's own servers as listeners: a `proxy_pass` to a port that another
//! server block of the same tree listens on is served.

use super::{Listener, ListenerKind, ListenerProvider};
use crate::loaded::Loaded;
use crate::model::Model;

pub struct NginxServers;

impl ListenerProvider for NginxServers {
    fn listeners(&self, _loaded: &Loaded, model: &Model<'_>, out: &mut Vec<Listener>) {
        out.reserve(model.servers.iter().map(|s| s.listens.len()).sum());
        for s in &model.servers {
            // One name per server, shared by its listens.
            let name: std::sync::Arc<str> =
                s.names.first().map_or("(no server_name)", |n| n).into();
            for l in &s.listens {
                out.push(Listener {
                    endpoint: l.endpoint.clone(),
                    kind: ListenerKind::Nginx,
                    name: name.clone(),
                    // From the model: the listen lines are not read again.
                    span: Some(l.span),
                    socket: None,
                    pool: None,
                    backend: None,
                });
            }
        }
    }
}
