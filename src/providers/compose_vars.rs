//! The variables of each Compose file and what interpolating it leaves
//! unknown. A file reads the `.env` of its own directory (its project
//! directory); an `include:`d file reads its own `.env`, overridden by
//! the including project's (compose-spec 14-include.md: "Variables are
//! interpolated using values set in the optional `.env` file in same
//! folder, and is overridden by the local project's environment").
//! Without a `.env`, a template the project ships for one
//! (`env.example`, `.env.dist`, …) stands in, and a note says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::compose::Included;
use super::interpolation::{self, Report, Unresolved, Vars};
use super::network::VarNote;
use super::yaml::Node;
use crate::loaded::Loaded;
use crate::source::{FileId, Span};

/// The keys of a service whose unknown value changes what the resolver
/// reads (a mount, an image, a command, a port, a network): each is said.
const NOTED: &[&str] = &[
    "volumes",
    "image",
    "build",
    "command",
    "entrypoint",
    "ports",
    "expose",
    "networks",
    "network_mode",
    "container_name",
    "hostname",
    "profiles",
    "extends",
    "links",
];

/// The keys whose unknown value leaves the service's ports unknown.
const PORT_KEYS: &[&str] = &[
    "command",
    "entrypoint",
    "ports",
    "expose",
    "image",
    "build",
    "environment",
    "env_file",
];

/// Every directory's variables, read once.
#[derive(Default)]
pub(super) struct VarCache {
    dirs: HashMap<PathBuf, Vars>,
}

impl VarCache {
    /// The variables of the Compose file `real`, perhaps `include:`d:
    /// its `env_file`s, or the `.env` of its project directory, under
    /// the including project's.
    pub(super) fn vars(&mut self, loaded: &Loaded, real: &Path, inc: Option<&Included>) -> Vars {
        let own_dir = inc
            .and_then(|i| i.project_dir.clone())
            .or_else(|| real.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let mut v = match inc.filter(|i| !i.env_files.is_empty()) {
            Some(i) => Vars {
                values: i
                    .env_files
                    .iter()
                    .filter_map(|f| super::compose::read(loaded, f))
                    .flat_map(|t| interpolation::parse_dotenv(&t))
                    .collect(),
                template: None,
            },
            None => self.dir(loaded, &own_dir).clone(),
        };
        let own_env = inc.is_some_and(|i| !i.env_files.is_empty());
        if let Some(by) = inc
            .map(|i| i.by.as_path())
            .filter(|b| own_env || *b != own_dir)
        {
            let outer = self.dir(loaded, by).clone();
            v.values.extend(outer.values);
            v.template = v.template.or(outer.template);
        }
        v
    }

    fn dir(&mut self, loaded: &Loaded, dir: &Path) -> &Vars {
        self.dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| project_vars(loaded, dir))
    }
}

/// `.env` in `dir`, or the first template for one.
fn project_vars(loaded: &Loaded, dir: &Path) -> Vars {
    if let Some(text) = super::compose::read(loaded, &dir.join(".env")) {
        return Vars {
            values: interpolation::parse_dotenv(&text),
            template: None,
        };
    }
    for t in interpolation::TEMPLATES {
        if let Some(text) = super::compose::read(loaded, &dir.join(t)) {
            return Vars {
                values: interpolation::parse_dotenv(&text),
                template: Some((*t).to_string()),
            };
        }
    }
    Vars::default()
}

/// A file's document interpolated, with the notes for what stays
/// unknown or was read from a template.
pub(super) fn interpolate(
    id: FileId,
    root: Node,
    vars: &Vars,
    unknown: &mut Vec<(FileId, Unresolved)>,
    notes: &mut Vec<VarNote>,
) -> Option<Node> {
    let mut report = Report::default();
    let root = interpolation::tree(root, vars, &mut Vec::new(), &mut report);
    for u in &report.unresolved {
        if noted(&u.path) {
            notes.push(unset_note(id, u, vars));
        }
    }
    if let Some(t) = &vars.template {
        let mut names: Vec<&str> = Vec::new();
        for (n, _) in &report.used {
            if vars.get(n).is_some() && !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        if let Some((_, at)) = report.used.iter().find(|(n, _)| vars.get(n).is_some()) {
            notes.push(template_note(id, *at, t, &names));
        }
    }
    unknown.extend(report.unresolved.into_iter().map(|u| (id, u)));
    root
}

fn noted(path: &[String]) -> bool {
    match path {
        // Of a build, only what picks the Dockerfile and its stage.
        [s, _, b, sub, ..] if s == "services" && b == "build" => {
            matches!(sub.as_str(), "context" | "dockerfile" | "target")
        }
        [s, _, key, ..] if s == "services" => NOTED.contains(&key.as_str()),
        [i, ..] => i == "include",
        [] => false,
    }
}

/// Whether a value of service `name` in file `id` left unknown may hide
/// its ports: in its command, ports, image or build, or an environment
/// variable about ports, hosts or URLs.
pub(super) fn ports_unknown(unknown: &[(FileId, Unresolved)], id: FileId, name: &str) -> bool {
    unknown.iter().any(|(file, u)| {
        let p = u.path.as_slice();
        *file == id
            && p.len() >= 3
            && p[0] == "services"
            && p[1] == name
            && PORT_KEYS.contains(&p[2].as_str())
            && (p[2] != "build" || noted(p))
            && (p[2] != "environment" || about_ports(p, &u.raw))
    })
}

/// `PORT`, `APP_PORT`, `ASPNETCORE_URLS`, `BIND`, `HOST`: a variable a
/// server may read its address from.
fn about_ports(path: &[String], raw: &str) -> bool {
    let key = match path.get(3) {
        Some(k) if k.parse::<usize>().is_err() => k.as_str(),
        _ => raw.split('=').next().unwrap_or_default(),
    }
    .to_ascii_uppercase();
    ["PORT", "URLS", "BIND", "HOST", "LISTEN"]
        .iter()
        .any(|w| key.contains(w))
}

fn unset_note(id: FileId, u: &Unresolved, vars: &Vars) -> VarNote {
    let name = &u.unset.name;
    let what = match u.path.get(2).map(String::as_str) {
        Some("volumes") => "this mount",
        Some("ports" | "expose") => "this port",
        Some("image" | "build") => "the image",
        Some("command" | "entrypoint") => "the command",
        _ => "this value",
    };
    let service = u.path.get(1).map(String::as_str).unwrap_or_default();
    let source = match &vars.template {
        Some(t) => format!("neither .env nor {t} sets it"),
        None if vars.values.is_empty() => "there is no .env beside the Compose file".to_string(),
        None => ".env does not set it".to_string(),
    };
    let message = match &u.unset.required {
        Some(m) if m == "invalid interpolation" => {
            format!("`{name}` is not a valid Compose interpolation: {what} is not read")
        }
        Some(m) => format!(
            "`{name}` is required (`{m}`) and the project does not set it: {what} of `{service}` is unknown"
        ),
        None => format!(
            "`{name}` is not set in the project ({source}): {what} of `{service}` is unknown"
        ),
    };
    VarNote {
        span: Span::new(id, u.start, u.end.max(u.start)),
        message,
        help: format!(
            "nginx-lint does not read the shell's environment: set `{name}` in .env beside the Compose file (or give a default, `${{{name}:-value}}`) to have what it decides checked"
        ),
    }
}

fn template_note(id: FileId, at: usize, template: &str, names: &[&str]) -> VarNote {
    let list: Vec<String> = names.iter().take(6).map(|n| format!("`{n}`")).collect();
    let more = if names.len() > 6 { ", …" } else { "" };
    VarNote {
        span: Span::new(id, at, at + 1),
        message: format!(
            "there is no .env beside this Compose file: {}{more} are read from {template}, the template the project ships for it",
            list.join(", ")
        ),
        help: format!(
            "Compose reads only .env: deployed as the project says (`cp {template} .env`), the values are the same; a .env of your own changes what is checked"
        ),
    }
}
