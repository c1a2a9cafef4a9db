//! The resolved view of the nginx trees, built once and read by every rule:
//! blocks with their include-flattened children (scopes), servers with
//! their listen addresses, locations, upstreams, and every target that
//! nginx sends requests to. Effective values follow nginx's inheritance:
//! the innermost block that has a directive wins, and for array directives
//! (`fastcgi_param`, `proxy_set_header`, `add_header`) any occurrence in an
//! inner block replaces the outer ones as a whole.

mod ahead;
mod cursor;
pub mod flatten;
mod named;
pub mod target;
pub mod walk;
pub use named::Named;

use crate::address::{Endpoint, Host, parse_host_port};
use crate::few::Few;
use crate::loaded::Loaded;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::include::Files;
use crate::nginx::schema::{NameId, known_id, name_id};
use flatten::Includes;
pub use target::{Target, TargetAddr, TargetKind};

/// Index of a scope in [`Model::scopes`].
pub type ScopeId = usize;

/// A block (or a unit's top level) with its directives, includes flattened
/// (read them with [`Model::children`]).
#[derive(Debug)]
pub struct Scope<'t> {
    /// The block directive; None for a unit's top level.
    pub directive: Option<&'t Directive>,
    pub ctx: Ctx,
    pub parent: Option<ScopeId>,
    pub unit: usize,
    /// Where its children are in [`Model::slots`]: `first..first + len`.
    first: u32,
    len: u32,
}

/// An http or stream `server` block.
#[derive(Debug)]
pub struct Server<'t> {
    pub scope: ScopeId,
    pub directive: &'t Directive,
    pub stream: bool,
    /// Every `listen`, parsed; a server without one listens on `*:80`
    /// (`*:8000` when nginx does not run as root, which we cannot know).
    /// Inline up to two (most servers have one or two): eight rules go
    /// through every server's listens, and a vector of its own per server
    /// cost one cache miss per server and rule at 10,000 vhosts.
    pub listens: Few<Listen<'t>>,
    /// Every `listen` directive of the server is in `listens` (one whose
    /// address does not parse is left out: rules that must see each
    /// directive read the server's own when this is false).
    pub listens_complete: bool,
    pub names: Few<&'t str>,
}

#[derive(Debug)]
pub struct Listen<'t> {
    pub directive: Option<&'t Directive>,
    /// The `listen` line, or the `server` line for the implied `*:80`
    /// (copied while the directive is in cache: the resolver lists every
    /// listen with its line, 40,000 at 10,000 vhosts).
    pub span: crate::source::Span,
    pub endpoint: Endpoint,
    pub ssl: bool,
    pub default_server: bool,
    pub http2: bool,
    /// Written in brackets (`[::]:80`): nginx keeps `*:80` and `[::]:80`
    /// apart. Kept here so rules grouping listens read no directive.
    pub bracketed: bool,
}

#[derive(Debug)]
pub struct Upstream<'t> {
    pub scope: ScopeId,
    pub directive: &'t Directive,
    pub name: &'t str,
    pub stream: bool,
    pub servers: Vec<(&'t Directive, Option<Endpoint>)>,
    pub unit: usize,
}

#[derive(Debug, Default)]
pub struct Model<'t> {
    pub scopes: Vec<Scope<'t>>,
    pub servers: Vec<Server<'t>>,
    pub upstreams: Vec<Upstream<'t>>,
    pub targets: Vec<Target<'t>>,
    /// Scope ids of `location` blocks.
    pub locations: Vec<ScopeId>,
    /// The first upstream of each (unit, stream, name), for
    /// [`Model::upstream`]: targets looked it up in a pass over every
    /// upstream (10,000 vhosts with an upstream each took 0.4 s).
    /// Names are keyed in lowercase: nginx compares upstream names without
    /// case (`ngx_http_upstream_add`), so `proxy_pass http://Backend`
    /// reaches `upstream backend`.
    upstream_index: rustc_hash::FxHashMap<(usize, bool, std::borrow::Cow<'t, str>), usize>,
    /// Every directive in walk order with its context and specs (include
    /// directives and data blocks' entries too), for the structural rules.
    /// Shared: rules that read only the walk start on it while the rest
    /// of the model is still being built ([`Model::build_then`]).
    pub visits: std::sync::Arc<crate::model::walk::Visits<'t>>,
    /// Every scope's children (includes flattened), scope after scope: one
    /// array instead of one per scope (80,000 at 10,000 vhosts), so that
    /// the name index can point at a child without reading its scope.
    slots: Vec<&'t Directive>,
    /// Where each directive name occurs, by name id: (scope, index in
    /// [`Model::slots`]), in scope order. Rules ask for a few names; scanning every
    /// directive of 10,000 vhosts for them, rule after rule, cost more than
    /// the rules' own work.
    occ: crate::grouped::Grouped<(u32, u32)>,
    /// Where the directives whose arguments use `$1` … `$9` are: (scope,
    /// index in [`Model::slots`]), in scope order, data scopes left out. Few
    /// directives do; finding them among every `root`, `add_header`, … by
    /// reading each one was a trip to memory per directive at 10,000
    /// vhosts.
    captures: Vec<(u32, u32)>,
    /// While building: the name id of each of [`Model::slots`], so the name
    /// index is sorted from this small array instead of reading 300,000
    /// directives again (at 10,000 vhosts).
    child_names: Vec<crate::nginx::schema::NameId>,
}

impl<'t> Model<'t> {
    pub fn build(loaded: &'t Loaded) -> Model<'t> {
        Model::build_then(loaded, |_| {})
    }

    /// [`Model::build`], handing the walk to `then` as soon as it is built
    /// (the scopes take longer: at 10,000 vhosts a core waited 10 ms for
    /// them with nothing to do).
    pub fn build_then(
        loaded: &'t Loaded,
        then: impl FnOnce(&std::sync::Arc<crate::model::walk::Visits<'t>>) + Send,
    ) -> Model<'t> {
        // The two walks share nothing: run them side by side.
        let (mut m, visits) = rayon::join(
            || Model::build_scopes(loaded),
            || {
                let v = std::sync::Arc::new(crate::model::walk::Visits::build(loaded));
                then(&v);
                v
            },
        );
        m.visits = visits;
        m
    }

    fn build_scopes(loaded: &'t Loaded) -> Model<'t> {
        let mut m = Model {
            child_names: Vec::with_capacity(loaded.walk_size()),
            slots: Vec::with_capacity(loaded.walk_size()),
            ..Model::default()
        };
        for (ui, unit) in loaded.units.iter().enumerate() {
            let Some(pf) = loaded.files.get(unit.file) else {
                continue;
            };
            let mut budget = loaded.walk_budget();
            m.add_scope(
                &loaded.files,
                None,
                unit.context,
                None,
                &pf.directives,
                ui,
                &mut budget,
            );
        }
        m.slots.shrink_to_fit();
        debug_assert!(m.servers.windows(2).all(|w| w[0].scope < w[1].scope));
        for (i, u) in m.upstreams.iter().enumerate() {
            m.upstream_index
                .entry((u.unit, u.stream, crate::text::ascii_lowercase(u.name)))
                .or_insert(i);
        }
        m.index_names();
        m.collect_targets();
        m
    }

    fn index_names(&mut self) {
        // Data scopes are not indexed. Names outside the table share id 0:
        // rules that look for a family of names (every `*_timeout`) find
        // third-party ones there instead of in a pass over every directive.
        let names = std::mem::take(&mut self.child_names);
        let scopes = &self.scopes;
        self.occ = crate::grouped::Grouped::build(crate::nginx::schema::name_count() + 1, || {
            scopes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.ctx != Ctx::Data)
                .flat_map(|(sid, s)| {
                    let at = s.first as usize;
                    names
                        .get(at..at + s.len as usize)
                        .unwrap_or(&[])
                        .iter()
                        .zip(s.first..)
                        .map(move |(id, i)| (usize::from(id.0), (sid as u32, i)))
                })
        });
    }

    /// Where `name` occurs, in scope order; None for a name that is not in
    /// the directive table (id 0 holds every such name, not just this one).
    fn occurrences(&self, name: &str) -> Option<&[(u32, u32)]> {
        self.occurrences_by_id(name).1
    }

    /// [`Model::occurrences`] with the name's id.
    fn occurrences_by_id(&self, name: &str) -> (usize, Option<&[(u32, u32)]>) {
        let id = usize::from(name_id(name).0);
        if id == 0 {
            return (id, None);
        }
        (id, Some(self.occ.get(id)))
    }

    /// The occurrences of `name` in `scope` itself, in order. Any order of
    /// scopes gives the same answers; scopes asked in increasing order (the
    /// order of [`Model::targets`], [`Model::servers`], [`Model::locations`])
    /// are found by stepping along the name index from the last answer.
    pub fn own<'a>(
        &'a self,
        scope: ScopeId,
        name: &'a str,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        let (id, occ) = self.occurrences_by_id(name);
        self.own_from(scope, name, id, occ)
    }

    /// [`Model::own`] with the name's run already looked up.
    fn own_from<'a>(
        &'a self,
        scope: ScopeId,
        name: &'a str,
        id: usize,
        occ: Option<&'a [(u32, u32)]>,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        let (indexed, scan): (&[(u32, u32)], &[&'t Directive]) = match occ {
            Some(run) => (cursor::answer(self, id, run, scope as u32), &[]),
            None => (&[], self.scope_children(scope)),
        };
        indexed
            .iter()
            .filter_map(move |&(_, i)| self.slots.get(i as usize).copied())
            .chain(scan.iter().copied().filter(move |d| d.name() == name))
    }

    /// [`Model::own`] with the name's run already looked up (`occ`, from
    /// [`Model::occurrences`]), searched afresh: for walking a chain of
    /// scopes outwards, which is not the order the last answers keep.
    fn own_in<'a>(
        &'a self,
        scope: ScopeId,
        name: &'a str,
        occ: Option<&'a [(u32, u32)]>,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        // A name in the index needs no read of the scope: its entries
        // point into the slots.
        let (indexed, scan): (&[(u32, u32)], &[&'t Directive]) = match occ {
            Some(all) => (&all[scope_start(all, scope as u32)..], &[]),
            None => (&[], self.scope_children(scope)),
        };
        // A scope holds few of one name: read them off the run rather than
        // search for where they end.
        indexed
            .iter()
            .take_while(move |&&(s, _)| s as usize == scope)
            .filter_map(move |&(_, i)| self.slots.get(i as usize).copied())
            .chain(scan.iter().copied().filter(move |d| d.name() == name))
    }

    /// The scopes that hold `name` (a name of the directive table), each
    /// once, in order, read off the name index alone: for rules that look
    /// at a few of those scopes and would otherwise read every occurrence.
    pub fn scopes_with<'a>(&'a self, name: &str) -> impl Iterator<Item = ScopeId> + 'a {
        let run = self.occurrences(name).unwrap_or(&[]);
        let mut last = None;
        run.iter().filter_map(move |&(s, _)| {
            let s = s as usize;
            (last.replace(s) != Some(s)).then_some(s)
        })
    }

    /// The `listen` directives of http servers that `wanted` accepts, with
    /// the unit, in walk order. From the servers' parsed listens (read
    /// one after the other) instead of every listen directive: `wanted`
    /// sees a parsed listen, or None for a server whose listens did not
    /// all parse (then each of its directives is given).
    pub fn http_listens<'a>(
        &'a self,
        wanted: fn(Option<&Listen<'t>>) -> bool,
    ) -> impl Iterator<Item = (usize, &'t Directive)> + 'a {
        self.servers
            .iter()
            .filter(|s| !s.stream)
            .flat_map(move |s| {
                let parsed = s
                    .listens
                    .iter()
                    .filter(move |l| s.listens_complete && wanted(Some(l)))
                    .filter_map(|l| l.directive);
                let own = (!s.listens_complete && wanted(None))
                    .then(|| self.own(s.scope, "listen"))
                    .into_iter()
                    .flatten();
                // The unit is read off the scope only for a listen given:
                // a rule wanting few listens reads no scope of the others.
                parsed.chain(own).map(move |d| {
                    let unit = self.scopes.get(s.scope).map_or(0, |sc| sc.unit);
                    (unit, d)
                })
            })
    }

    /// Whether `scope` itself has a `name` directive.
    pub fn has(&self, scope: ScopeId, name: &str) -> bool {
        self.own(scope, name).next().is_some()
    }

    /// Every occurrence of these names, with its scope, in scope order
    /// (what a loop over every scope's children, data blocks skipped,
    /// filtering on these names would give), merged from the name index as
    /// it is iterated.
    pub fn named<'a>(&'a self, names: &[&str]) -> Named<'a, 't> {
        let mut runs = Vec::with_capacity(names.len());
        for n in names {
            match self.occurrences(n) {
                Some(o) => runs.push(o),
                None => {
                    // A name outside the table: its occurrences are among
                    // id 0's, mixed with every other unknown name. Merge
                    // each id's run once (a name asked twice is given once,
                    // as a filtering pass would) and keep the names asked.
                    let mut ids: Vec<NameId> = names.iter().map(|n| name_id(n)).collect();
                    ids.sort_unstable_by_key(|id| id.0);
                    ids.dedup();
                    let found = self
                        .with_ids(&ids)
                        .filter(|(_, d)| names.contains(&d.name()))
                        .collect();
                    return Named::scanned(self, found);
                }
            }
        }
        Named::merged(self, runs)
    }

    /// Every directive whose name has one of these ids, with its scope, in
    /// scope order; id 0 gives every directive whose name is not in the
    /// table (the caller tells those apart by name). For rules that look
    /// for a family of names rather than a few.
    pub fn with_ids<'a>(&'a self, ids: &[NameId]) -> Named<'a, 't> {
        Named::merged(
            self,
            ids.iter()
                .map(|id| self.occ.get(usize::from(id.0)))
                .collect(),
        )
    }

    /// Every directive whose arguments use a numbered capture (`$1` …
    /// `$9`), with its scope, in scope order (data blocks left out).
    pub fn capture_users(&self) -> impl Iterator<Item = (ScopeId, &'t Directive)> + '_ {
        self.captures
            .iter()
            .filter_map(|&(s, i)| Some((s as usize, *self.slots.get(i as usize)?)))
    }

    /// The targets of one kind, in scope order. Each one's scope, its
    /// block directive and that directive's words (a location's pattern)
    /// are asked for a few targets ahead.
    pub fn targets_of(&self, kind: TargetKind) -> impl Iterator<Item = &Target<'t>> {
        let all = &self.targets;
        all.iter()
            .enumerate()
            .filter(move |(_, t)| t.kind == kind)
            .map(move |(i, t)| {
                self.scopes_ahead(all, i, |t| t.scope);
                t
            })
    }

    /// Every `location` block: its scope and its directive, in the order
    /// of [`Model::locations`]. Each one's scope, directive and words are
    /// asked for a few locations ahead.
    pub fn location_blocks(&self) -> impl Iterator<Item = (ScopeId, &'t Directive)> + '_ {
        let all = &self.locations;
        all.iter().enumerate().filter_map(move |(i, &sid)| {
            self.scopes_ahead(all, i, |&s| s);
            Some((sid, self.scopes.get(sid)?.directive?))
        })
    }

    /// For a pass over `items` in order that reads each item's scope, its
    /// block directive and that directive's words (a location's pattern):
    /// ask for them a few items ahead, a step apart so that each step finds
    /// the one before arrived. Otherwise they are three trips to memory per
    /// item, one after the other, once the trees outgrow the caches.
    fn scopes_ahead<T>(&self, items: &[T], i: usize, scope: impl Fn(&T) -> ScopeId) {
        use crate::prefetch::{prefetch, prefetch_slice};
        let block = |k: usize| {
            items
                .get(k)
                .and_then(|t| self.scopes.get(scope(t)))
                .and_then(|s| s.directive)
        };
        if let Some(s) = items.get(i + 12).and_then(|t| self.scopes.get(scope(t))) {
            prefetch(s, std::mem::size_of::<Scope<'_>>());
        }
        if let Some(d) = block(i + 8) {
            prefetch(d, std::mem::size_of::<Directive>());
        }
        if let Some(d) = block(i + 4) {
            prefetch_slice(&d.args, 2);
        }
    }

    /// A scope's directives, includes flattened, in nginx's order.
    pub fn children(&self, s: &Scope<'t>) -> &[&'t Directive] {
        let at = s.first as usize;
        self.slots.get(at..at + s.len as usize).unwrap_or(&[])
    }

    /// [`Model::children`] by scope id (none for an id that is not one).
    pub fn scope_children(&self, scope: ScopeId) -> &[&'t Directive] {
        self.scopes.get(scope).map_or(&[], |s| self.children(s))
    }

    /// A child by its index in the slots (from the name index).
    pub(crate) fn slot(&self, i: u32) -> Option<&'t Directive> {
        self.slots.get(i as usize).copied()
    }

    #[allow(clippy::too_many_arguments)]
    fn add_scope(
        &mut self,
        files: &'t Files,
        directive: Option<&'t Directive>,
        ctx: Ctx,
        parent: Option<ScopeId>,
        list: &'t [Directive],
        unit: usize,
        budget: &mut usize,
    ) -> ScopeId {
        let id = self.scopes.len();
        let first = self.slots.len();
        let (slots, names) = (&mut self.slots, &mut self.child_names);
        flatten::flatten(files, list, Includes::Drop, budget, &mut |l, i, _| {
            let d = &l[i];
            slots.push(d);
            names.push(d.name_id);
        });
        let end = self.slots.len();
        if ctx != Ctx::Data {
            // Just read by flatten: still in cache.
            for (d, i) in self.slots[first..].iter().zip(first as u32..) {
                if d.max_capture > 0 {
                    self.captures.push((id as u32, i));
                }
            }
        }
        // Slots stay below u32::MAX: the walk budget caps a unit's
        // directives far lower.
        self.scopes.push(Scope {
            directive,
            ctx,
            parent,
            unit,
            first: first as u32,
            len: (end - first) as u32,
        });
        for i in first..end {
            ahead::blocks_ahead(&self.slots[first..end], i - first);
            let d = self.slots[i];
            let Some(b) = &d.block else { continue };
            if b.lua || d.is_data_block() || ctx == Ctx::Data {
                continue;
            }
            let inner = ctx.enter_directive(d);
            if inner == Ctx::Data {
                continue;
            }
            let sid = self.add_scope(files, Some(d), inner, Some(id), &b.children, unit, budget);
            match inner {
                Ctx::Server | Ctx::StreamServer => {
                    self.add_server(sid, d, inner == Ctx::StreamServer)
                }
                Ctx::Upstream | Ctx::StreamUpstream => {
                    self.add_upstream(sid, d, inner == Ctx::StreamUpstream, unit)
                }
                Ctx::Location => self.locations.push(sid),
                _ => {}
            }
        }
        id
    }

    fn add_server(&mut self, scope: ScopeId, d: &'t Directive, stream: bool) {
        let mut listens = Few::default();
        let mut names = Few::default();
        // By name id: the id is read with the rest of what flattening read,
        // the name is on another cache line of each directive.
        let (listen, server_name) = (known_id!("listen"), known_id!("server_name"));
        let mut listens_complete = true;
        for c in self.scope_children(scope) {
            if c.name_id == listen {
                match parse_listen(c) {
                    Some(l) => listens.push(l),
                    None => listens_complete = false,
                }
            } else if c.name_id == server_name {
                names.extend(c.args.iter().map(|a| a.as_str()));
            }
        }
        if listens.is_empty() && !stream {
            listens.push(Listen {
                directive: None,
                span: d.span,
                endpoint: Endpoint::Tcp(Host::Any, 80),
                ssl: false,
                default_server: false,
                http2: false,
                bracketed: false,
            });
        }
        // Servers with more than two keep them on the heap: drop the
        // growth slack there (100,000 servers kept 22 MB of it).
        listens.shrink_to_fit();
        names.shrink_to_fit();
        self.servers.push(Server {
            scope,
            directive: d,
            stream,
            listens,
            listens_complete,
            names,
        });
    }

    fn add_upstream(&mut self, scope: ScopeId, d: &'t Directive, stream: bool, unit: usize) {
        let Some(name) = d.args.first() else { return };
        let server = known_id!("server");
        let servers = self
            .scope_children(scope)
            .iter()
            .filter(|c| c.name_id == server)
            .map(|c| {
                let ep = c.args.first().and_then(|a| {
                    parse_host_port(a.as_str(), if stream { None } else { Some(80) })
                });
                (*c, ep)
            })
            .collect();
        self.upstreams.push(Upstream {
            scope,
            directive: d,
            name: name.as_str(),
            stream,
            servers,
            unit,
        });
    }

    fn collect_targets(&mut self) {
        // From the name index (in scope order, as a pass over every
        // directive would find them).
        let out = self
            .named(&target::directives())
            .filter_map(|(sid, d)| {
                let s = self.scopes.get(sid)?;
                target::parse(d, sid, s.ctx, s.unit, self)
            })
            .collect();
        self.targets = out;
        self.share_sockets();
    }

    /// Give every target and upstream server naming the same unix socket
    /// one copy of its path, found while the paths just made are in cache.
    /// Rules hash each target's socket (which pool listens there?): at
    /// 10,000 vhosts, 10,000 copies of a few hundred paths were a trip to
    /// memory per target and rule.
    fn share_sockets(&mut self) {
        use std::os::unix::ffi::OsStrExt;
        // By the path's bytes (normalised already): hashing a Path parses
        // its components.
        let mut seen: rustc_hash::FxHashMap<Box<[u8]>, std::sync::Arc<std::path::Path>> =
            rustc_hash::FxHashMap::default();
        let mut share = |ep: &mut Endpoint| {
            if let Endpoint::Unix(p) = ep {
                let bytes = p.as_os_str().as_bytes();
                match seen.get(bytes) {
                    Some(first) => *p = std::sync::Arc::clone(first),
                    None => {
                        seen.insert(bytes.into(), std::sync::Arc::clone(p));
                    }
                }
            }
        };
        for t in &mut self.targets {
            if let TargetAddr::Direct(ep) = &mut t.addr {
                share(ep);
            }
        }
        for u in &mut self.upstreams {
            for (_, ep) in u.servers.iter_mut() {
                if let Some(ep) = ep {
                    share(ep);
                }
            }
        }
    }

    /// The upstream a name refers to, in the same unit and protocol (the
    /// first defined, when there are two).
    pub fn upstream(&self, unit: usize, name: &str, stream: bool) -> Option<&Upstream<'t>> {
        self.upstream_index_of(unit, name, stream)
            .and_then(|i| self.upstreams.get(i))
    }

    /// [`Model::upstream`]'s index in [`Model::upstreams`].
    pub fn upstream_index_of(&self, unit: usize, name: &str, stream: bool) -> Option<usize> {
        self.upstream_index
            .get(&(unit, stream, crate::text::ascii_lowercase(name)))
            .copied()
    }

    /// A main-level directive of a unit (`user`, `worker_processes`, …).
    pub fn main_directive(&self, unit: usize, name: &str) -> Option<&'t Directive> {
        self.scopes
            .iter()
            .find(|s| s.unit == unit && s.parent.is_none())
            .filter(|s| s.ctx == Ctx::Main)
            .and_then(|s| {
                self.children(s)
                    .iter()
                    .rev()
                    .find(|d| d.name() == name)
                    .copied()
            })
    }

    /// The scope chain from `scope` outwards (innermost first).
    pub fn chain(&self, scope: ScopeId) -> impl Iterator<Item = &Scope<'t>> {
        let mut cur = Some(scope);
        std::iter::from_fn(move || {
            let id = cur?;
            let s = self.scopes.get(id)?;
            cur = s.parent;
            Some(s)
        })
    }

    /// The effective occurrences of `name` at `scope`: those of the innermost
    /// enclosing block that has any (nginx's inheritance for both single and
    /// array directives). Empty when no block sets it (the default applies).
    pub fn effective<'a>(
        &'a self,
        scope: ScopeId,
        name: &'a str,
    ) -> impl Iterator<Item = &'t Directive> + 'a {
        let (id, occ) = self.occurrences_by_id(name);
        let mut own = self.own_from(scope, name, id, occ).peekable();
        // Only without any of its own: the parent's chain, not `scope`
        // searched again.
        let parent = match own.peek() {
            Some(_) => None,
            None => self.scopes.get(scope).and_then(|s| s.parent),
        };
        own.chain(
            parent
                .and_then(move |p| self.defining_in(p, name, occ))
                .into_iter()
                .flat_map(move |s| self.own_in(s, name, occ)),
        )
    }

    /// The innermost scope from `scope` outwards that has `name`: its
    /// occurrences there are the effective ones.
    pub fn defining(&self, scope: ScopeId, name: &str) -> Option<ScopeId> {
        self.defining_in(scope, name, self.occurrences(name))
    }

    fn defining_in(
        &self,
        scope: ScopeId,
        name: &str,
        occ: Option<&[(u32, u32)]>,
    ) -> Option<ScopeId> {
        let mut cur = Some(scope);
        while let Some(id) = cur {
            if self.own_in(id, name, occ).next().is_some() {
                return Some(id);
            }
            cur = self.scopes.get(id)?.parent;
        }
        None
    }

    /// The last effective occurrence of a single-valued directive.
    pub fn effective_one(&self, scope: ScopeId, name: &str) -> Option<&'t Directive> {
        self.effective(scope, name).last()
    }

    /// The server scope enclosing `scope`, if any.
    pub fn server_of(&self, scope: ScopeId) -> Option<&Server<'t>> {
        let sid = self
            .chain(scope)
            .position(|s| matches!(s.ctx, Ctx::Server | Ctx::StreamServer))
            .and_then(|n| {
                let mut cur = scope;
                for _ in 0..n {
                    cur = self.scopes[cur].parent?;
                }
                Some(cur)
            })?;
        // Servers are made in scope order (they do not nest).
        let at = self.servers.partition_point(|s| s.scope < sid);
        self.servers.get(at).filter(|s| s.scope == sid)
    }
}

/// Where `scope`'s entries begin in a run of (scope, index) sorted by
/// scope (the run's length when it has none and all come before).
///
/// Rules ask for one scope at a time, tens of thousands of times (every
/// server's certificate, every location's `deny`); a binary search of a
/// run of 10,000 vhosts' occurrences took 14 dependent probes across 80 KB.
/// Scope ids grow through the trees about evenly, so the entry is guessed
/// by interpolation and found by galloping from the guess: a few probes
/// near it, and never more than twice a binary search's when the guess is
/// poor.
fn scope_start(run: &[(u32, u32)], scope: u32) -> usize {
    let (Some(&(first, _)), Some(&(last, _))) = (run.first(), run.last()) else {
        return 0;
    };
    if scope <= first {
        return 0;
    }
    if scope > last {
        return run.len();
    }
    // first < scope <= last, so last > first and the guess is in the run.
    let n = run.len() as u64;
    let guess = (u64::from(scope - first) * (n - 1) / u64::from(last - first)) as usize;
    let before = |e: &(u32, u32)| e.0 < scope;
    let mut bound = guess;
    let mut step = 1;
    if run.get(bound).is_some_and(before) {
        // The start is after `bound`: gallop right.
        loop {
            let next = bound + step;
            match run.get(next) {
                Some(e) if before(e) => bound = next,
                _ => {
                    let end = next.min(run.len());
                    return bound + 1 + run[bound + 1..end].partition_point(before);
                }
            }
            step *= 2;
        }
    }
    // The start is at or before `bound`: gallop left.
    loop {
        if bound < step {
            return run[..bound].partition_point(before);
        }
        let next = bound - step;
        if before(&run[next]) {
            return next + 1 + run[next + 1..bound].partition_point(before);
        }
        bound = next;
        step *= 2;
    }
}

/// `listen ADDRESS [params]`, nginx's defaults: a bare port is every
/// address, a bare address is port 80.
fn parse_listen(d: &Directive) -> Option<Listen<'_>> {
    let first = d.args.first()?.as_str();
    let endpoint = parse_host_port(first, Some(80))?;
    let has = |p: &str| d.args.iter().skip(1).any(|a| a.as_str() == p);
    Some(Listen {
        directive: Some(d),
        span: d.span,
        endpoint,
        ssl: has("ssl"),
        default_server: has("default_server") || has("default"),
        http2: has("http2"),
        bracketed: first.starts_with('['),
    })
}

#[cfg(test)]
mod tests;
