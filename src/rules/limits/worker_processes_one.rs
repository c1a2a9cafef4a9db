//! worker-processes-one: an explicit `worker_processes 1` in a
//! configuration that proxies: one worker, so one CPU core, carries every
//! connection, TLS handshake and proxied response.
//!
//! nginx's own default is also 1 (`ngx_conf_init_value(ccf->worker_processes,
//! 1)` in src/core/nginx.c); only the explicit value is reported, at the line
//! to change, because a configuration without the directive may be a
//! fragment whose main context is elsewhere. The host's core count is not
//! known, so this stays an info.

use crate::finding::Finding;
use crate::model::target::PASS_DIRECTIVES;
use crate::nginx::ast::Directive;
use crate::rules::{Check, Rule, ids};

pub struct WorkerProcessesOne;

impl Rule for WorkerProcessesOne {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::WORKER_PROCESSES_ONE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        let m = cx.model;
        // The first pass directive of each unit (one nginx.conf and its includes).
        let mut first_pass = std::collections::BTreeMap::new();
        for (scope, d) in m.named(PASS_DIRECTIVES) {
            first_pass.entry(m.scopes[scope].unit).or_insert(d);
        }
        for (unit, pass) in first_pass {
            let Some(wp) = m.main_directive(unit, "worker_processes") else {
                continue;
            };
            if wp.arg(0) == Some("1") {
                out.push(finding(wp, pass));
            }
        }
    }
}

fn finding(wp: &Directive, pass: &Directive) -> Finding {
    Finding::info(
        ids::WORKER_PROCESSES_ONE,
        wp.span,
        "worker_processes 1 on a proxy: one worker process, so one CPU core, serves every connection",
    )
    .with_related(
        pass.span,
        format!("this configuration proxies ({})", pass.name()),
    )
    .with_help(
        "use `worker_processes auto;` (one worker per core) unless the host really has one core or the limit is deliberate (the host's core count is not known here)",
    )
}
