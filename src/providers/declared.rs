//! Listeners declared in `.nginx-lint.toml` (`[[listener]]`): services the
//! analysed configs do not describe (a node app under pm2, a container).

use super::{Listener, ListenerKind, ListenerProvider};
use crate::loaded::Loaded;
use crate::model::Model;

pub struct Declared;

impl ListenerProvider for Declared {
    fn listeners(&self, loaded: &Loaded, _model: &Model<'_>, out: &mut Vec<Listener>) {
        for d in &loaded.declared {
            out.push(Listener {
                endpoint: d.endpoint.clone(),
                kind: ListenerKind::Declared,
                name: d.name.as_str().into(),
                span: None,
                socket: None,
                pool: None,
                backend: None,
            });
        }
    }
}
