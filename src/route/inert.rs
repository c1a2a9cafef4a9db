//! Which files add nothing to a request that none of their server names
//! can answer ("inert"): on a hosting tree of 10,000 vhost files, nearly
//! every file. `route`'s index keeps the verdict with the file's names,
//! and a later run of the unchanged tree leaves such a file's servers
//! unparsed unless one of its names may answer (`nginx::include`,
//! `Held::Inert`).
//!
//! A file is inert when its `server` blocks stand at its top level (what
//! else it holds, an upstream or a map, is read without them), each named
//! (with what its includes bring), every name exact or a wildcard (a
//! regex or a variable may match anything: such a file is read), each
//! file its servers include kept included by a file that is not inert,
//! and every listen of it joins an address opened by an earlier server,
//! neither as that address's first server nor as its default, with no
//! parameter other than `ssl` and `http2`, and none the default server's
//! own listen there lacks. Without such a file, each address keeps its
//! first and default servers and the protocols nginx ORs over its listens
//! (`ngx_http_add_addresses`), so the address's default, its TLS and its
//! choice for any Host the file's names cannot take are the same. A name
//! of the file that conflicts with a kept server's name ("conflicting
//! server name ... ignored") matches the same Hosts, so a request it
//! could decide reads the file.
//!
//! The same run notes the files holding an address's first or default
//! server ("keystones"): a request no name takes ends in one, so a later
//! run reads them whole at once instead of loading a second time when it
//! finds the chosen server in a skeleton. That verdict is only a guess at
//! what is wanted, right or wrong the answer is the same.
//!
//! A verdict of inertness holds for the tree it was made on: a run trusts
//! it only when every walked file is unchanged and the files read beyond
//! the walk are the same and unchanged (`load::load_tree`, `route::index`
//! watches them); `tests/route_lazy.rs` holds answers from the index to a
//! whole load's.

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::Engine;
use super::index::{Verdict, Verdicts};
use crate::loaded::Loaded;
use crate::nginx::ast::Directive;
use crate::source::FileId;

/// Each (server, listen)'s address and place among its servers.
type Seats = FxHashMap<(usize, usize), Option<(usize, usize)>>;

/// The inert files of a load, with their server names, and the files
/// holding an address's first or default server (which no file holding
/// one can be inert).
pub fn judge(loaded: &Loaded, engine: &Engine<'_, '_>) -> Verdicts {
    let mut out = Verdicts::default();
    let model = engine.model;
    // Where each (server, listen) sits: its address and place there
    // (None: on two addresses, which one listen cannot be).
    let mut seat: Seats = FxHashMap::default();
    for (ki, k) in engine.sockets.iter().enumerate() {
        for (place, &(si, li)) in k.servers.iter().enumerate() {
            seat.entry((si, li))
                .and_modify(|s| *s = None)
                .or_insert(Some((ki, place)));
        }
    }
    let mut servers_of: FxHashMap<FileId, Vec<usize>> = FxHashMap::default();
    for (si, s) in model.servers.iter().enumerate() {
        servers_of
            .entry(s.directive.span.file)
            .or_default()
            .push(si);
    }
    let mut inert: FxHashMap<FileId, Arc<str>> = FxHashMap::default();
    for pf in loaded.files.iter() {
        let servers = servers_of.get(&pf.file).map_or(&[][..], Vec::as_slice);
        // Its servers at its top level, each once, as an http server (a
        // file included twice, or into `stream`, or with a server nested
        // in a block, is read); what else it holds (an upstream, a map)
        // is read without them.
        let blocks = pf
            .directives
            .iter()
            .filter(|d| d.name() == "server" && d.block.as_ref().is_some_and(|b| !b.lua))
            .count();
        if blocks == 0
            || servers.len() != blocks
            || servers.iter().any(|&si| !quiet(engine, &seat, si))
        {
            continue;
        }
        if let Some(names) = names(model, servers) {
            inert.insert(pf.file, names);
        }
    }
    let orphans = orphaning(loaded, &inert);
    for (file, names) in inert {
        if !orphans.contains(&file) {
            out.insert(path_key(loaded, file), Verdict::Inert(names));
        }
    }
    // The files of each address's first and default servers.
    for k in &engine.sockets {
        for at in [0, k.default] {
            if let Some(s) = k.servers.get(at).and_then(|&(si, _)| model.servers.get(si)) {
                out.insert(path_key(loaded, s.directive.span.file), Verdict::Keystone);
            }
        }
    }
    out
}

fn path_key(loaded: &Loaded, file: FileId) -> Box<[u8]> {
    let real = crate::vfs::normalized(&loaded.sources.get(file).real);
    real.as_os_str().as_bytes().into()
}

/// The names (one per line) that the servers answer to, as the engine
/// reads them (with what their includes bring): each server named, every
/// name exact or a wildcard. None otherwise: a regex or a variable may
/// match any Host, and an unnamed server answers a request without one.
fn names(model: &crate::model::Model<'_>, servers: &[usize]) -> Option<Arc<str>> {
    let mut names: Vec<&str> = Vec::new();
    for &si in servers {
        let s = model.servers.get(si)?;
        if s.names.is_empty() {
            return None;
        }
        for &n in s.names.iter() {
            if n.is_empty() || n.starts_with('~') || n.contains(['$', '\n']) {
                return None;
            }
            names.push(n);
        }
    }
    Some(names.join("\n").into())
}

/// The candidates whose servers include a file that no other file keeps
/// including: left unparsed, such a server's `include` is not expanded,
/// and a file nothing else includes would be read as a tree of its own.
/// Judged against files kept outright, so dropping these keeps every
/// other candidate sound.
fn orphaning(loaded: &Loaded, inert: &FxHashMap<FileId, Arc<str>>) -> Vec<FileId> {
    let mut kept_includes: rustc_hash::FxHashSet<FileId> = Default::default();
    for pf in loaded
        .files
        .iter()
        .filter(|pf| !inert.contains_key(&pf.file))
    {
        let mut sites = Vec::new();
        skeleton_includes(&pf.directives, &mut sites);
        kept_includes.extend(sites.into_iter().flat_map(|d| loaded.files.included(d)));
    }
    // A glob, or a path that brought nothing, could bring a file later
    // that no walk sees (beyond the walked paths), into a server left
    // unparsed: such a candidate is read.
    let unsure = |d: &Directive| {
        d.args.iter().any(|a| crate::vfs::is_glob(a.as_str()))
            || loaded.files.included(d).is_empty()
    };
    inert
        .keys()
        .copied()
        .filter(|&f| {
            loaded.files.get(f).is_some_and(|pf| {
                server_includes(pf).any(|d| {
                    unsure(d)
                        || loaded
                            .files
                            .included(d)
                            .iter()
                            .any(|t| !kept_includes.contains(t))
                })
            })
        })
        .collect()
}

/// The `include` directives a skeleton keeps, so that a skeleton load
/// expands them too: outside server blocks, and directly in them (not in
/// their locations).
fn skeleton_includes<'d>(ds: &'d [Directive], out: &mut Vec<&'d Directive>) {
    for d in ds {
        match &d.block {
            Some(b) if d.name() == "server" => {
                out.extend(b.children.iter().filter(|c| c.name() == "include"));
            }
            Some(b) => skeleton_includes(&b.children, out),
            None if d.name() == "include" => out.push(d),
            None => {}
        }
    }
}

/// The `include` directives at the level of a file's server blocks (the
/// ones a skeleton keeps).
fn server_includes(pf: &crate::nginx::ast::ParsedFile) -> impl Iterator<Item = &Directive> {
    pf.directives
        .iter()
        .filter_map(|d| d.block.as_ref())
        .flat_map(|b| b.children.iter())
        .filter(|c| c.name() == "include")
}

/// Whether a server's every listen joins an address after its first
/// server and not as its default, with nothing the default's listen there
/// lacks.
fn quiet(engine: &Engine<'_, '_>, seat: &Seats, si: usize) -> bool {
    let Some(s) = engine.model.servers.get(si) else {
        return false;
    };
    // Every listen written out (the implied `*:80` has no directive, and
    // the check below wants one).
    if s.stream || !s.listens_complete || s.listens.is_empty() {
        return false;
    }
    s.listens.iter().enumerate().all(|(li, l)| {
        let plain = l.directive.is_some_and(|d| {
            d.args
                .iter()
                .skip(1)
                .all(|a| matches!(a.as_str(), "ssl" | "http2"))
        });
        let Some(&Some((ki, place))) = seat.get(&(si, li)) else {
            return false;
        };
        let Some(k) = engine.sockets.get(ki) else {
            return false;
        };
        let default = k
            .servers
            .get(k.default)
            .and_then(|&(dsi, dli)| engine.model.servers.get(dsi)?.listens.get(dli));
        plain
            && place != 0
            && place != k.default
            && default.is_some_and(|d| (d.ssl || !l.ssl) && (d.http2 || !l.http2))
    })
}
