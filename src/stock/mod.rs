//! The files nginx's distribution and the common packages install in the
//! conf prefix, embedded from their published sources (the files beside
//! this one; `scripts/realworld/deploy.py` places the same copies in the
//! corpus's deployed trees, so there is one copy). A repository rarely
//! ships them: its configuration is deployed onto an image or a package
//! that does. When a repository run includes one the tree lacks, the
//! include resolves to the copy here, and the run says which copy it
//! assumed (`stock-file-assumed`).
//!
//! Sources:
//! - `nginx/`: nginx 1.22.1's `conf/` directory (fastcgi.conf,
//!   fastcgi_params, koi-utf, koi-win, mime.types, scgi_params,
//!   uwsgi_params, win-utf), as Debian 12's nginx-common
//!   1.22.1-9+deb12u12 installs it in /etc/nginx unchanged. The official
//!   image (nginx/pkg-oss `debian/nginx.install`) and Alpine install the
//!   same upstream files.
//! - `debian/snippets/`: Debian's `fastcgi-php.conf` and `snakeoil.conf`
//!   (nginx-common 1.22.1-9+deb12u12, /etc/nginx/snippets/).
//! - `docker/`: the official image's `nginx.conf` and
//!   `conf.d/default.conf`: nginx/pkg-oss `debian/debian/nginx.conf` and
//!   `nginx.default.conf` at commit e6727633b9dd48a3208c42b9827abbdcd771560a
//!   (docker-nginx installs the pkg-oss packages).

use std::path::Path;

/// One embedded copy.
#[derive(Debug)]
pub struct StockFile {
    /// Where it sits under the conf prefix (`fastcgi_params`,
    /// `snippets/fastcgi-php.conf`): it answers for `<prefix>/<rel>` and
    /// for `/etc/nginx/<rel>` (the prefix of every package and image).
    pub rel: &'static str,
    /// Which copy it is, as findings name it.
    pub origin: &'static str,
    pub text: &'static [u8],
}

const NGINX: &str = "nginx 1.22.1";
const DEBIAN: &str = "Debian 12 nginx-common 1.22.1";
const DOCKER: &str = "the official nginx image (pkg-oss e6727633)";

/// Every embedded copy.
pub static FILES: &[StockFile] = &[
    StockFile {
        rel: "fastcgi.conf",
        origin: NGINX,
        text: include_bytes!("nginx/fastcgi.conf"),
    },
    StockFile {
        rel: "fastcgi_params",
        origin: NGINX,
        text: include_bytes!("nginx/fastcgi_params"),
    },
    StockFile {
        rel: "koi-utf",
        origin: NGINX,
        text: include_bytes!("nginx/koi-utf"),
    },
    StockFile {
        rel: "koi-win",
        origin: NGINX,
        text: include_bytes!("nginx/koi-win"),
    },
    StockFile {
        rel: "mime.types",
        origin: NGINX,
        text: include_bytes!("nginx/mime.types"),
    },
    StockFile {
        rel: "scgi_params",
        origin: NGINX,
        text: include_bytes!("nginx/scgi_params"),
    },
    StockFile {
        rel: "uwsgi_params",
        origin: NGINX,
        text: include_bytes!("nginx/uwsgi_params"),
    },
    StockFile {
        rel: "win-utf",
        origin: NGINX,
        text: include_bytes!("nginx/win-utf"),
    },
    StockFile {
        rel: "snippets/fastcgi-php.conf",
        origin: DEBIAN,
        text: include_bytes!("debian/snippets/fastcgi-php.conf"),
    },
    StockFile {
        rel: "snippets/snakeoil.conf",
        origin: DEBIAN,
        text: include_bytes!("debian/snippets/snakeoil.conf"),
    },
    StockFile {
        rel: "nginx.conf",
        origin: DOCKER,
        text: include_bytes!("docker/nginx.conf"),
    },
    StockFile {
        rel: "conf.d/default.conf",
        origin: DOCKER,
        text: include_bytes!("docker/conf.d/default.conf"),
    },
];

/// The stock copy that answers for `path` (an in-config path, normal),
/// given the run's conf prefix: `<prefix>/<rel>` or `/etc/nginx/<rel>`.
/// Asked only for a file the tree lacks, so it costs nothing otherwise.
pub fn lookup(path: &Path, prefix: &Path) -> Option<&'static StockFile> {
    // Either way: a prefix that holds the path but names no copy (an
    // empty one, before any expansion) still leaves /etc/nginx.
    let find = |rel: &Path| rel.to_str().and_then(|r| FILES.iter().find(|f| f.rel == r));
    path.strip_prefix(prefix)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .and_then(find)
        .or_else(|| path.strip_prefix("/etc/nginx").ok().and_then(find))
}

/// How a stock file is shown (it has no path in the repository).
pub fn display(f: &StockFile) -> String {
    format!("<stock {}{}>", f.origin_short(), f.rel)
}

impl StockFile {
    /// The copy, as findings name it: `nginx 1.22.1 conf/fastcgi_params`.
    pub fn name(&self) -> String {
        if self.origin == NGINX {
            format!("{} conf/{}", self.origin, self.rel)
        } else {
            format!("{} {}", self.origin, self.rel)
        }
    }

    /// Whether the official nginx image ships it in /etc/nginx (all but
    /// Debian's snippets: the image installs nginx.org's packages, whose
    /// conf files are the distribution's, plus its nginx.conf and
    /// conf.d/default.conf).
    pub fn in_nginx_image(&self) -> bool {
        self.origin != DEBIAN
    }

    fn origin_short(&self) -> &'static str {
        match self.origin {
            NGINX => "nginx-1.22.1/",
            DEBIAN => "debian/",
            _ => "docker/",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_for_prefix_and_etc_nginx() {
        let p = Path::new("/repo/nginx");
        let f = lookup(Path::new("/repo/nginx/fastcgi_params"), p).map(|f| f.rel);
        assert_eq!(f, Some("fastcgi_params"));
        let f = lookup(Path::new("/etc/nginx/snippets/fastcgi-php.conf"), p).map(|f| f.rel);
        assert_eq!(f, Some("snippets/fastcgi-php.conf"));
        assert!(lookup(Path::new("/repo/nginx/sites/fastcgi_params"), p).is_none());
        assert!(lookup(Path::new("/srv/fastcgi_params"), p).is_none());
        // Before any prefix is known (a deployment's main file).
        let f = lookup(Path::new("/etc/nginx/nginx.conf"), Path::new("")).map(|f| f.rel);
        assert_eq!(f, Some("nginx.conf"));
        // Debian's snippet includes fastcgi.conf, which is here too.
        let snippet = lookup(Path::new("/etc/nginx/snippets/fastcgi-php.conf"), p)
            .map(|f| String::from_utf8_lossy(f.text).into_owned())
            .unwrap_or_default();
        assert!(snippet.contains("include fastcgi.conf;"));
    }
}
