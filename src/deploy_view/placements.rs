//! Which repository files a deployment places in /etc/nginx: Compose
//! `volumes:` of a service running the official nginx image, and `COPY`/
//! `ADD` of a Dockerfile built `FROM` it.

use std::path::{Path, PathBuf};

use super::{Deployment, ETC_NGINX, Mount};
use crate::discover::{DOCKERFILE, Found, Kind};
use crate::dockerfile::{self, Stage};
use crate::providers::yaml::{self, Node, Y};
use crate::vfs::{Fs, is_glob, normalize};

/// The image's templates directory: its entrypoint renders the files
/// there into conf.d with envsubst (docker-nginx
/// `20-envsubst-on-templates.sh`); nginx never reads them in place.
const TEMPLATES: &str = "/etc/nginx/templates";

/// The run's deployment, if a walked Compose file or Dockerfile declares
/// one. `fs` reads a `build:`'s Dockerfile (the repository's view).
pub fn find(files: &[Found], fs: &dyn Fs) -> Option<Deployment> {
    let compose = files
        .iter()
        .filter(|f| f.kind == Kind::Service("compose"))
        .find_map(|f| from_compose(f, fs));
    compose.or_else(|| {
        files
            .iter()
            .filter(|f| f.kind == Kind::Other(DOCKERFILE))
            .find_map(|f| from_dockerfile(f, fs))
    })
}

/// The official image, whatever its tag (`nginx`, `nginx:1.27-alpine`,
/// `docker.io/library/nginx:stable`).
fn official_nginx(image: &str) -> bool {
    !image.contains('$') && dockerfile::image_repo(image) == "nginx"
}

/// Discovery keeps no text of a Dockerfile (not configuration): it is
/// read here, through the run's view.
fn from_dockerfile(f: &Found, fs: &dyn Fs) -> Option<Deployment> {
    let bytes = fs.read(&f.path).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let stages = dockerfile::parse(text);
    let stage = dockerfile::stage(&stages, None)?;
    if !official_nginx(&stage.from) {
        return None;
    }
    let context = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mounts = copies(stage, &context);
    let line = stage
        .copies
        .iter()
        .find(|(_, dest, _)| under_etc_nginx(dest).is_some())?
        .2;
    Some(Deployment {
        mounts,
        removed: removed(stage),
        declared_in: f.path.clone(),
        site: line_range(text, line),
        text: bytes.clone(),
    })
    .filter(|d| !d.mounts.is_empty())
}

fn from_compose(f: &Found, fs: &dyn Fs) -> Option<Deployment> {
    let text = std::str::from_utf8(&f.text).ok()?;
    let root = yaml::parse(text)?;
    let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
    root.get("services")?.entries().iter().find_map(|(_, svc)| {
        let (mounts, removed, site) = service_mounts(svc, &dir, fs)?;
        Some(Deployment {
            mounts,
            removed,
            declared_in: f.path.clone(),
            text: f.text.clone(),
            site,
        })
    })
}

/// What one Compose service running the official image places, and the
/// node that says so (its first such volume, else its `build:`).
fn service_mounts(svc: &Node, dir: &Path, fs: &dyn Fs) -> Option<ServiceMounts> {
    let mut mounts = Vec::new();
    let mut gone = Vec::new();
    let mut site = None;
    match svc.get("build") {
        Some(b) => {
            let (stage, context) = build_stage(b, dir, fs)?;
            if !official_nginx(&stage.from) {
                return None;
            }
            mounts = copies(&stage, &context);
            gone = removed(&stage);
            site = Some((b.start, b.end));
        }
        None => {
            let image = svc.get("image").and_then(Node::as_str)?;
            if !official_nginx(image) {
                return None;
            }
        }
    }
    for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
        if let Some(m) = bind_mount(v, dir) {
            mounts.push(m);
            site = site.or(Some((v.start, v.end)));
        }
    }
    if mounts.is_empty() {
        return None;
    }
    Some((mounts, gone, site.unwrap_or((svc.start, svc.start))))
}

/// What a service places, what its image's build deletes, and where.
type ServiceMounts = (Vec<Mount>, Vec<PathBuf>, (usize, usize));

/// The paths under /etc/nginx a stage's `RUN rm` deletes.
fn removed(stage: &Stage) -> Vec<PathBuf> {
    stage
        .removes
        .iter()
        .filter_map(|p| under_etc_nginx(p))
        .collect()
}

/// The stage a `build:` makes (`context`, `dockerfile`, `target`), and its
/// context directory.
fn build_stage(b: &Node, dir: &Path, fs: &dyn Fs) -> Option<(Stage, PathBuf)> {
    let (context, file, target) = match &b.y {
        Y::Scalar(c) => (c.as_str(), "Dockerfile", None),
        Y::Map(_) => (
            b.get("context").and_then(Node::as_str).unwrap_or("."),
            b.get("dockerfile")
                .and_then(Node::as_str)
                .unwrap_or("Dockerfile"),
            b.get("target").and_then(Node::as_str),
        ),
        Y::Seq(_) => return None,
    };
    if context.contains("://") || context.contains('$') || file.contains('$') {
        return None;
    }
    let context = normalize(&dir.join(context));
    let text = fs.read(&normalize(&context.join(file))).ok()?;
    let stages = dockerfile::parse(std::str::from_utf8(&text).ok()?);
    let stage = dockerfile::stage(&stages, target)?.clone();
    Some((stage, context))
}

/// A bind mount of a repository path into /etc/nginx (`./site.conf:
/// /etc/nginx/conf.d/default.conf:ro`, or `type: bind`, `source`,
/// `target`). Named volumes and paths outside the project are not the
/// repository's files.
fn bind_mount(v: &Node, dir: &Path) -> Option<Mount> {
    let (source, target) = match &v.y {
        Y::Scalar(s) => {
            let mut parts = s.splitn(3, ':');
            (parts.next()?, parts.next()?)
        }
        Y::Map(_) => {
            let kind = v.get("type").and_then(Node::as_str).unwrap_or("bind");
            if kind != "bind" {
                return None;
            }
            (
                v.get("source").and_then(Node::as_str)?,
                v.get("target").and_then(Node::as_str)?,
            )
        }
        Y::Seq(_) => return None,
    };
    if !source.starts_with('.') || source.contains('$') {
        return None;
    }
    Some(Mount {
        target: under_etc_nginx(target)?,
        source: normalize(&dir.join(source)),
        hides: true,
    })
}

/// The normal form of a container path under /etc/nginx (not its
/// templates directory), or None.
fn under_etc_nginx(target: &str) -> Option<PathBuf> {
    let t = normalize(Path::new(target.trim_end_matches('/')));
    (t.starts_with(ETC_NGINX) && !t.starts_with(TEMPLATES)).then_some(t)
}

/// What a stage's `COPY`/`ADD` lines (from the build context) place in
/// /etc/nginx.
fn copies(stage: &Stage, context: &Path) -> Vec<Mount> {
    let mut out = Vec::new();
    for (srcs, dest, _) in &stage.copies {
        let Some(target) = under_etc_nginx(dest) else {
            continue;
        };
        // `COPY a b /dir/` or `COPY a /dir/`: under their own names.
        let into_dir = dest.ends_with('/')
            || srcs.len() > 1
            || target == Path::new(ETC_NGINX)
            || target == Path::new(ETC_NGINX).join("conf.d");
        for src in srcs {
            if src.contains('$') || src.contains("://") {
                continue;
            }
            let host = normalize(&context.join(src.trim_start_matches("./")));
            for file in matches(&host, is_glob(src)) {
                out.push(copy_of(file, &target, into_dir || is_glob(src)));
            }
        }
    }
    out
}

/// The paths a COPY source names: itself, or what its wildcard matches.
fn matches(host: &Path, glob: bool) -> Vec<PathBuf> {
    if !glob {
        return vec![host.to_path_buf()];
    }
    let (Some(dir), Some(pat)) = (host.parent(), host.file_name()) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| {
            crate::vfs::component_matches(pat.as_encoded_bytes(), e.file_name().as_encoded_bytes())
        })
        .map(|e| dir.join(e.file_name()))
        .collect();
    out.sort();
    out
}

/// One copied source: a directory merges into the target, a file lands
/// at the target or under its own name in it.
fn copy_of(source: PathBuf, target: &Path, into_dir: bool) -> Mount {
    let target = if source.is_dir() || !into_dir {
        target.to_path_buf()
    } else {
        target.join(source.file_name().unwrap_or_default())
    };
    Mount {
        target,
        source,
        hides: false,
    }
}

/// The byte range of 1-based line `line` of `text`.
fn line_range(text: &str, line: usize) -> (usize, usize) {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (start, start + l.trim_end().len());
        }
        start += l.len();
    }
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        yaml::parse(text).expect("yaml")
    }

    #[test]
    fn short_and_long_bind_mounts() {
        let dir = Path::new("repo");
        let short = node("./nginx/site.conf:/etc/nginx/conf.d/default.conf:ro");
        let m = bind_mount(&short, dir).expect("mount");
        assert_eq!(m.target, Path::new("/etc/nginx/conf.d/default.conf"));
        assert_eq!(m.source, Path::new("repo/nginx/site.conf"));
        let long = node("type: bind\nsource: ./conf.d\ntarget: /etc/nginx/conf.d/\n");
        let m = bind_mount(&long, dir).expect("mount");
        assert_eq!(m.target, Path::new("/etc/nginx/conf.d"));
        // Named volumes, other targets and templates are not placements.
        for v in [
            "certs:/etc/nginx/certs",
            "./html:/usr/share/nginx/html",
            "./t:/etc/nginx/templates",
        ] {
            assert!(bind_mount(&node(v), dir).is_none(), "{v}");
        }
        let vol = node("type: volume\nsource: x\ntarget: /etc/nginx/conf.d\n");
        assert!(bind_mount(&vol, dir).is_none());
    }

    #[test]
    fn copies_land_under_their_names_in_directories() {
        let stage = dockerfile::parse(
            "FROM nginx:1.27-alpine\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY site.conf /etc/nginx/conf.d/\nCOPY app.conf /etc/nginx/conf.d\nCOPY --from=build /x /etc/nginx/x\n",
        );
        let got: Vec<(String, String)> = copies(&stage[0], Path::new("ctx"))
            .into_iter()
            .map(|m| {
                (
                    m.target.display().to_string(),
                    m.source.display().to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("/etc/nginx/nginx.conf".into(), "ctx/nginx.conf".into()),
                ("/etc/nginx/conf.d/site.conf".into(), "ctx/site.conf".into()),
                ("/etc/nginx/conf.d/app.conf".into(), "ctx/app.conf".into()),
            ]
        );
        assert!(official_nginx(&stage[0].from));
        assert!(!official_nginx("nginxinc/nginx-unprivileged"));
        assert!(official_nginx("docker.io/library/nginx:stable"));
    }
}
