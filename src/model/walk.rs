//! Walking the include-expanded trees of a run with each directive's
//! context: the one traversal rules build on.
//!
//! The walk is done once per run ([`Visits::build`], part of the model):
//! every directive in nginx's reading order, flat, with its context, unit,
//! enclosing block and directive specs. Rules then read that table instead
//! of walking the trees again, each on its own: at 10,000 vhosts the trees
//! no longer fit in the CPU's caches and twelve walks cost more than the
//! checks they fed.

use super::flatten::Includes;
use crate::loaded::Loaded;
use crate::nginx::ast::Directive;
use crate::nginx::context::Ctx;
use crate::nginx::include::Files;
use crate::nginx::schema::{self, DirectiveSpec, NameId};

/// One visited directive.
pub struct Visit<'t, 'p> {
    pub directive: &'t Directive,
    /// The block it stands in (`Ctx::Data` inside `map`, `types`, …).
    pub ctx: Ctx,
    /// Enclosing block directives, outermost first.
    pub parents: &'p [&'t Directive],
    /// Index of the unit (tree) this visit belongs to.
    pub unit: usize,
    /// Every spec of the directive's name, whatever the context or version
    /// (empty for a name nginx-lint does not know).
    pub specs: &'static [DirectiveSpec],
}

/// How many entries ahead a walk asks for the directive it will visit.
const PREFETCH_AHEAD: usize = 16;

/// The bytes of a directive to prefetch: all of it (88 bytes: two lines).
const DIRECTIVE_LINES: usize = std::mem::size_of::<Directive>();

/// Marks an entry at a unit's top level.
const TOP: u32 = u32::MAX;

/// A directive in walk order (16 bytes: a tree whose includes multiply
/// fills the walk budget with them; its unit is known from
/// [`Visits::unit_first`], units being walked one after the other).
#[derive(Clone, Copy, Debug)]
pub struct Entry<'t> {
    pub directive: &'t Directive,
    pub name: NameId,
    /// The entry of the enclosing block, or [`TOP`].
    parent: u32,
    pub ctx: Ctx,
    /// Its block is walked (every block but a Lua body): the entries that
    /// follow, up to the block's end, have this one as parent.
    opens: bool,
}

impl<'t> Entry<'t> {
    /// The visit of this entry, inside `parents` (outermost first).
    fn visit<'p>(&self, parents: &'p [&'t Directive], unit: usize) -> Visit<'t, 'p> {
        Visit {
            directive: self.directive,
            ctx: self.ctx,
            parents,
            unit,
            specs: schema::group(self.name),
        }
    }
}

/// Every directive of every unit, depth first, in file order, with
/// includes expanded where they stand (the include directive first, then
/// the directives of the files it brought in).
#[derive(Debug, Default)]
pub struct Visits<'t> {
    pub entries: Vec<Entry<'t>>,
    /// Contexts of the units, by unit index.
    unit_ctx: Vec<Ctx>,
    /// Index of each unit's first entry (a unit's entries run up to the
    /// next unit's first).
    unit_first: Vec<u32>,
    /// The entries of each name id, in walk order, for
    /// [`Visits::walk_named`] (eight rules each scanned all 510,000 entries
    /// of 10,000 vhosts for a name or two; 2 MB once instead).
    by_name: crate::grouped::Grouped<u32>,
}

impl<'t> Visits<'t> {
    pub fn build(loaded: &'t Loaded) -> Visits<'t> {
        let mut v = Visits {
            entries: Vec::with_capacity(loaded.walk_size()),
            unit_ctx: loaded.units.iter().map(|u| u.context).collect(),
            unit_first: Vec::with_capacity(loaded.units.len()),
            by_name: crate::grouped::Grouped::default(),
        };
        for unit in &loaded.units {
            v.unit_first.push(v.index(v.entries.len()));
            let Some(pf) = loaded.files.get(unit.file) else {
                continue;
            };
            let mut budget = loaded.walk_budget();
            v.list(
                &loaded.files,
                &pf.directives,
                unit.context,
                TOP,
                &mut budget,
            );
        }
        // Built here, beside the model's scopes (which take longer), not
        // by the first rule that asks: about 4 ms at 10,000 vhosts moved out
        // of the rules' phase into time a core had free.
        v.by_name = crate::grouped::Grouped::build(schema::name_count() + 1, || {
            v.entries
                .iter()
                .enumerate()
                .map(|(i, e)| (usize::from(e.name.0), u32::try_from(i).unwrap_or(u32::MAX)))
        });
        v
    }

    fn index(&self, i: usize) -> u32 {
        u32::try_from(i).unwrap_or(u32::MAX - 1)
    }

    /// The entries with their index and unit, in walk order.
    fn numbered(&self) -> impl Iterator<Item = (usize, usize, &Entry<'t>)> {
        let mut unit = 0usize;
        self.entries.iter().enumerate().map(move |(i, e)| {
            while self
                .unit_first
                .get(unit + 1)
                .is_some_and(|&next| next as usize <= i)
            {
                unit += 1;
            }
            (i, unit, e)
        })
    }

    fn list(
        &mut self,
        files: &'t Files,
        list: &'t [Directive],
        ctx: Ctx,
        parent: u32,
        budget: &mut usize,
    ) {
        super::flatten::flatten(files, list, Includes::Keep, budget, &mut |l, i, budget| {
            super::ahead::blocks_ahead(l, i);
            let d = &l[i];
            let me = self.index(self.entries.len());
            let block = d.block.as_ref().filter(|b| !b.lua);
            self.entries.push(Entry {
                directive: d,
                name: d.name_id,
                parent,
                ctx,
                opens: block.is_some(),
            });
            if let Some(b) = block {
                let inner = if ctx == Ctx::Data || d.is_data_block() {
                    Ctx::Data
                } else {
                    ctx.enter_directive(d)
                };
                self.list(files, &b.children, inner, me, budget);
            }
        });
    }

    /// Visit every directive, in walk order, with its enclosing blocks.
    pub fn walk(&self, f: &mut dyn FnMut(&Visit<'t, '_>)) {
        self.walk_where(|_| true, f)
    }

    /// [`Visits::walk`], calling `f` only for directives with one of these
    /// names (names of the directive table: others have no id to match),
    /// found from the name index instead of a pass over every entry.
    pub fn walk_named(&self, names: &[&str], f: &mut dyn FnMut(&Visit<'t, '_>)) {
        let ids: Vec<NameId> = names.iter().map(|n| schema::name_id(n)).collect();
        debug_assert!(
            ids.iter().all(|id| id.0 != 0),
            "walk_named: a name not in the directive table: {names:?}"
        );
        let index = &self.by_name;
        let mut found: Vec<u32> = Vec::new();
        for id in ids.iter().filter(|id| id.0 != 0) {
            found.extend_from_slice(index.get(usize::from(id.0)));
        }
        if ids.len() > 1 {
            // Each name's entries are in walk order; together they are not.
            found.sort_unstable();
            found.dedup();
        }
        let mut parents: Vec<&'t Directive> = Vec::new();
        for (k, &i) in found.iter().enumerate() {
            self.prefetch_named(&found, k);
            let Some(e) = self.entries.get(i as usize) else {
                continue;
            };
            // The enclosing blocks, from the entry's parent links.
            parents.clear();
            let mut up = e.parent;
            while let Some(p) = (up != TOP).then(|| self.entries.get(up as usize)).flatten() {
                parents.push(p.directive);
                up = p.parent;
            }
            parents.reverse();
            let unit = self
                .unit_first
                .partition_point(|&first| first <= i)
                .saturating_sub(1);
            f(&e.visit(&parents, unit));
        }
    }

    /// Ask for what visiting the entries of `found` from `k` on will read,
    /// in steps that each find the step before arrived: the entry far
    /// ahead, then its directive and its parent's entry (the parents of a
    /// visit), then the directive's arguments. Scattered entries, their
    /// directives and words are four trips to memory per visit otherwise.
    fn prefetch_named(&self, found: &[u32], k: usize) {
        use crate::prefetch::{prefetch, prefetch_slice};
        let entry = |at: usize| found.get(at).and_then(|&a| self.entries.get(a as usize));
        if let Some(&a) = found.get(k + 16)
            && let Some(e) = self.entries.get(a as usize)
        {
            prefetch(e, std::mem::size_of::<Entry<'_>>());
        }
        if let Some(e) = entry(k + 8) {
            prefetch(e.directive, DIRECTIVE_LINES);
            if let Some(p) = self.entries.get(e.parent as usize) {
                prefetch(p, std::mem::size_of::<Entry<'_>>());
            }
        }
        if let Some(e) = entry(k + 4) {
            prefetch_slice(&e.directive.args, 2);
        }
    }

    /// [`Visits::walk`], calling `f` only for the entries `want` accepts
    /// (which is asked before the directive itself is read, so a test on
    /// `name` costs no trip to the tree's memory).
    pub fn walk_where(&self, want: impl Fn(&Entry<'t>) -> bool, f: &mut dyn FnMut(&Visit<'t, '_>)) {
        // Open blocks: their entry indexes, and their directives (what a
        // visit's `parents` is), kept side by side.
        let mut open: Vec<u32> = Vec::new();
        let mut parents: Vec<&'t Directive> = Vec::new();
        for (i, unit, e) in self.numbered() {
            // The directive `f` will read a few visits from now.
            if let Some(ahead) = self.entries.get(i + PREFETCH_AHEAD)
                && want(ahead)
            {
                crate::prefetch::prefetch(ahead.directive, DIRECTIVE_LINES);
            }
            // Half as far ahead, that directive has arrived: ask for the
            // words of its arguments, the next thing checks read.
            if let Some(mid) = self.entries.get(i + PREFETCH_AHEAD / 2)
                && want(mid)
                && let Some(first) = mid.directive.args.first()
            {
                crate::prefetch::prefetch(first, std::mem::size_of::<crate::nginx::lexer::Word>());
            }
            // Leave the blocks this entry is not inside.
            while open.last().is_some_and(|&p| p != e.parent) {
                open.pop();
                parents.pop();
            }
            if want(e) {
                f(&e.visit(&parents, unit));
            }
            if e.opens {
                open.push(u32::try_from(i).unwrap_or(u32::MAX - 1));
                parents.push(e.directive);
            }
        }
    }

    /// Every block of every unit (data blocks and Lua bodies excluded),
    /// each when it closes (after the blocks inside it; a unit's top level
    /// last), with its directives as nginx reads them: includes followed
    /// by what they brought in.
    pub fn blocks(&self, f: &mut dyn FnMut(&BlockVisit<'t, '_>)) {
        // One pass with a stack of open blocks, each gathering its
        // children (grouping every entry by parent first took two arrays
        // as long as the walk, 10 MB at 10,000 vhosts, per rule using it).
        let mut open: Vec<OpenBlock<'t>> = Vec::new();
        // Children buffers of closed blocks, reused.
        let mut spare: Vec<(Vec<&'t Directive>, Vec<NameId>)> = Vec::new();
        let mut parents: Vec<&'t Directive> = Vec::new();
        let mut unit = usize::MAX;
        for (i, u, e) in self.numbered() {
            if u != unit {
                while !open.is_empty() {
                    close_block(&mut open, &mut spare, &mut parents, unit, f);
                }
                unit = u;
                open.push(OpenBlock::new(
                    TOP,
                    None,
                    self.unit_ctx[u],
                    true,
                    &mut spare,
                ));
            }
            while open.len() > 1 && open.last().is_some_and(|b| b.entry != e.parent) {
                close_block(&mut open, &mut spare, &mut parents, unit, f);
            }
            if let Some(top) = open.last_mut() {
                // Read by `f` when the block closes: have it arrive by then.
                crate::prefetch::prefetch(e.directive, DIRECTIVE_LINES);
                top.children.push(e.directive);
                top.names.push(e.name);
            }
            if !e.opens {
                continue;
            }
            // By the entry's name id: the directive itself is read only if
            // a check asks (a trip to memory per block at 10,000 vhosts).
            let d = e.directive;
            let inner = e.ctx.enter_id(e.name);
            let shown = e.ctx != Ctx::Data
                && !crate::nginx::ast::is_data_block_id(e.name)
                && inner != Ctx::Data;
            open.push(OpenBlock::new(i as u32, Some(d), inner, shown, &mut spare));
        }
        while !open.is_empty() {
            close_block(&mut open, &mut spare, &mut parents, unit, f);
        }
    }
}

/// A block whose end the walk has not reached, with the children seen so
/// far.
struct OpenBlock<'t> {
    /// Its entry ([`TOP`] for a unit's top level).
    entry: u32,
    owner: Option<&'t Directive>,
    ctx: Ctx,
    /// Given to the callback (data blocks are walked but not shown).
    shown: bool,
    children: Vec<&'t Directive>,
    names: Vec<NameId>,
}

impl<'t> OpenBlock<'t> {
    fn new(
        entry: u32,
        owner: Option<&'t Directive>,
        ctx: Ctx,
        shown: bool,
        spare: &mut Vec<(Vec<&'t Directive>, Vec<NameId>)>,
    ) -> Self {
        let (children, names) = spare.pop().unwrap_or_default();
        OpenBlock {
            entry,
            owner,
            ctx,
            shown,
            children,
            names,
        }
    }
}

/// Close the innermost open block: show it, keep its buffers for reuse.
fn close_block<'t>(
    open: &mut Vec<OpenBlock<'t>>,
    spare: &mut Vec<(Vec<&'t Directive>, Vec<NameId>)>,
    parents: &mut Vec<&'t Directive>,
    unit: usize,
    f: &mut dyn FnMut(&BlockVisit<'t, '_>),
) {
    let Some(mut b) = open.pop() else { return };
    // (A unit's top level is opened at its first entry: a unit with no
    // directive is never shown.)
    if b.shown {
        parents.clear();
        parents.extend(open.iter().filter_map(|o| o.owner));
        parents.extend(b.owner);
        f(&BlockVisit {
            unit,
            ctx: b.ctx,
            owner: b.owner,
            parents,
            children: &b.children,
            names: &b.names,
        });
    }
    b.children.clear();
    b.names.clear();
    spare.push((b.children, b.names));
}

/// One block of a tree: the context inside it and its directives with
/// includes flattened.
pub struct BlockVisit<'t, 'p> {
    pub unit: usize,
    /// The context inside the block.
    pub ctx: Ctx,
    /// The block's directive (None for a file's top level).
    pub owner: Option<&'t Directive>,
    /// Enclosing block directives, outermost first, ending with `owner`
    /// (what a [`Visit`] of a child has as parents).
    pub parents: &'p [&'t Directive],
    pub children: &'p [&'t Directive],
    /// The children's name ids, side by side with `children` (a test on
    /// them does not read the directives).
    pub names: &'p [NameId],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Inputs, load};

    /// A tree from `nginx -T` text: files, includes, a data block, a Lua
    /// body and an `if`.
    fn loaded() -> Loaded {
        let t = "# configuration file /e/nginx.conf:\n\
                 events {}\n\
                 http {\n\
                 include /e/types;\n\
                 server { listen 80; include /e/snip; location / { if ($a) { return 404; } } }\n\
                 map $a $b { default 1; }\n\
                 }\n\n\
                 # configuration file /e/types:\n\
                 types { text/html html; }\n\n\
                 # configuration file /e/snip:\n\
                 root /srv; content_by_lua_block { ngx.say(1) }\n\n";
        load(&Inputs {
            stdin: Some(("-".into(), t.as_bytes().to_vec())),
            ..Inputs::default()
        })
        .expect("loads")
    }

    fn names(ds: &[&Directive]) -> String {
        ds.iter().map(|d| d.name()).collect::<Vec<_>>().join(">")
    }

    /// The table holds up to the walk budget of entries (millions for a
    /// tree whose includes multiply): each byte counts.
    #[test]
    fn entries_stay_small() {
        assert!(std::mem::size_of::<Entry<'_>>() <= 16);
    }

    /// Entries carry no unit: it follows from where each unit's entries
    /// start. Three standalone files, the middle one empty.
    #[test]
    fn units_follow_from_the_entry_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [
            ("a.conf", "server { listen 80; }\n"),
            ("b.conf", "# nothing\n"),
            ("c.conf", "location / { root /c; }\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let loaded = load(&Inputs {
            paths: vec![dir.path().to_path_buf()],
            no_discover: true,
            ..Inputs::default()
        })
        .expect("loads");
        let v = Visits::build(&loaded);
        let unit_of = |name: &str| {
            let at = loaded
                .units
                .iter()
                .position(|u| loaded.sources.get(u.file).real.ends_with(name));
            at.expect("a unit per file")
        };
        let mut seen = Vec::new();
        v.walk(&mut |x| seen.push((x.directive.name().to_string(), x.unit)));
        let (a, c) = (unit_of("a.conf"), unit_of("c.conf"));
        assert_eq!(
            seen,
            [
                ("server".to_string(), a),
                ("listen".to_string(), a),
                ("location".to_string(), c),
                ("root".to_string(), c)
            ]
        );
        let mut blocks = Vec::new();
        v.blocks(&mut |b| blocks.push((b.owner.map(|d| d.name()), b.unit, b.children.len())));
        assert_eq!(
            blocks,
            [
                (Some("server"), a, 1),
                (None, a, 1),
                (Some("location"), c, 1),
                (None, c, 1)
            ]
        );
    }

    #[test]
    fn walk_order_contexts_and_parents() {
        let l = loaded();
        let v = Visits::build(&l);
        let mut got = Vec::new();
        v.walk(&mut |x| {
            got.push(format!(
                "{}@{}[{}]{}",
                x.directive.name(),
                x.ctx.as_str(),
                names(x.parents),
                if x.specs.is_empty() { "?" } else { "" }
            ))
        });
        let want = [
            "events@main[]",
            "http@main[]",
            "include@http[http]",
            "types@http[http]",
            "text/html@data block[http>types]?",
            "server@http[http]",
            "listen@server[http>server]",
            "include@server[http>server]",
            "root@server[http>server]",
            "content_by_lua_block@server[http>server]",
            "location@server[http>server]",
            "if@location[http>server>location]",
            "return@if[http>server>location>if]",
            "map@http[http]",
            "default@data block[http>map]?",
        ];
        assert_eq!(got, want);
        // Only the entries asked for, with the same parents.
        let mut some = Vec::new();
        let root = schema::name_id("root");
        v.walk_where(|e| e.name == root, &mut |x| some.push(names(x.parents)));
        assert_eq!(some, ["http>server"]);
    }

    #[test]
    fn blocks_with_includes_flattened() {
        let l = loaded();
        let v = Visits::build(&l);
        let mut got = Vec::new();
        v.blocks(&mut |b| {
            got.push(format!(
                "{}:{}[{}] {}",
                b.owner.map_or("-", |d| d.name()),
                b.ctx.as_str(),
                names(b.parents),
                names(b.children)
            ))
        });
        assert_eq!(
            got,
            [
                "events:events[events] ",
                "if:if[http>server>location>if] return",
                "location:location[http>server>location] if",
                "server:server[http>server] listen>include>root>content_by_lua_block>location",
                "http:http[http] include>types>server>map",
                "-:main[] events>http",
            ]
        );
    }

    /// The table is reserved at its final size from the parsed counts
    /// (a grown table could leave its old copy resident).
    #[test]
    fn entries_are_reserved_exactly() {
        let l = loaded();
        let v = Visits::build(&l);
        assert_eq!(v.entries.len(), l.walk_size());
        assert_eq!(v.entries.capacity(), v.entries.len());
    }

    /// The name index gives what a filtered walk gives: same entries, in
    /// walk order, with the same contexts, parents and units.
    #[test]
    fn walk_named_matches_a_filtered_walk() {
        let l = loaded();
        let v = Visits::build(&l);
        let show = |x: &Visit<'_, '_>| {
            format!(
                "{}@{}[{}]u{}",
                x.directive.name(),
                x.ctx.as_str(),
                names(x.parents),
                x.unit
            )
        };
        let asked = ["return", "listen", "root", "include", "map"];
        let ids: Vec<NameId> = asked.iter().map(|n| schema::name_id(n)).collect();
        let mut want = Vec::new();
        v.walk_where(|e| ids.contains(&e.name), &mut |x| want.push(show(x)));
        let mut got = Vec::new();
        v.walk_named(&asked, &mut |x| got.push(show(x)));
        assert!(want.len() >= 5, "{want:?}");
        assert_eq!(got, want);
    }

    #[test]
    fn budget_follows_the_parsed_size() {
        let l = loaded();
        assert_eq!(l.walk_budget(), crate::nginx::include::MIN_WALK_BUDGET);
    }
}
