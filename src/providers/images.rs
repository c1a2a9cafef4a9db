//! The port an official image's server listens on when nothing overrides
//! it, kept as data with the line of the image's Dockerfile that says so
//! (github.com/docker-library/<image>, the Dockerfile of each variant).

/// (repository, tag must contain, port, source).
const DEFAULTS: &[(&str, &str, u16, &str)] = &[
    // docker-library/php: the fpm variants end with `EXPOSE 9000` and
    // zz-docker.conf's `listen = 9000`; apache variants `EXPOSE 80`.
    ("php", "fpm", 9000, "php:*-fpm Dockerfile: EXPOSE 9000"),
    ("php", "apache", 80, "php:*-apache Dockerfile: EXPOSE 80"),
    // docker-library/wordpress builds FROM php:*-fpm and php:*-apache.
    (
        "wordpress",
        "fpm",
        9000,
        "wordpress:*-fpm (FROM php:*-fpm): EXPOSE 9000",
    ),
    (
        "wordpress",
        "",
        80,
        "wordpress (FROM php:*-apache): EXPOSE 80",
    ),
    // nextcloud/docker: the fpm variants build FROM php:*-fpm(-alpine), the
    // apache one FROM php:*-apache; monicahq/docker likewise
    // (4/fpm-alpine/Dockerfile: FROM php:8.2-fpm-alpine).
    (
        "nextcloud",
        "fpm",
        9000,
        "nextcloud:*fpm* (FROM php:*-fpm): EXPOSE 9000",
    ),
    (
        "nextcloud",
        "",
        80,
        "nextcloud (FROM php:*-apache): EXPOSE 80",
    ),
    (
        "monica",
        "fpm",
        9000,
        "monica:*fpm* (FROM php:*-fpm): EXPOSE 9000",
    ),
    ("monica", "", 80, "monica (FROM php:*-apache): EXPOSE 80"),
    // friendica/docker: Dockerfile-{debian,alpine}.template build FROM
    // php:%%PHP_VERSION%%-%%VARIANT%% (2024.08/fpm/Dockerfile: FROM
    // php:8.2-fpm-bullseye, CMD ["php-fpm"]; apache: php:8.2-apache-bullseye).
    (
        "friendica",
        "fpm",
        9000,
        "friendica:*fpm* (FROM php:*-fpm): EXPOSE 9000",
    ),
    (
        "friendica",
        "",
        80,
        "friendica (FROM php:*-apache): EXPOSE 80",
    ),
    // docker-library/nginx and httpd: `EXPOSE 80`.
    ("nginx", "", 80, "nginx Dockerfile: EXPOSE 80"),
    ("httpd", "", 80, "httpd Dockerfile: EXPOSE 80"),
    // mattermost/mattermost server/build/Dockerfile: `EXPOSE 8065 8067
    // 8074 8075`; the web server is ServiceSettings.ListenAddress, `:8065`
    // by default (metrics 8067 and cluster 8074/8075 only when enabled).
    (
        "mattermost/mattermost-enterprise-edition",
        "",
        8065,
        "mattermost image: ListenAddress :8065 (EXPOSE 8065)",
    ),
    (
        "mattermost/mattermost-team-edition",
        "",
        8065,
        "mattermost image: ListenAddress :8065 (EXPOSE 8065)",
    ),
    // docker-library/tomcat: `EXPOSE 8080`.
    ("tomcat", "", 8080, "tomcat Dockerfile: EXPOSE 8080"),
];

/// The default port of an image (repository as [`crate::dockerfile::image_repo`]
/// gives it, tag), and where that comes from.
pub fn default_port(repo: &str, tag: &str) -> Option<(u16, &'static str)> {
    DEFAULTS
        .iter()
        .find(|(r, t, _, _)| *r == repo && (t.is_empty() || tag.contains(t)))
        .map(|&(_, _, p, src)| (p, src))
}

/// Whether an image runs php-fpm: an official image's fpm variant, or one
/// built on it (php, wordpress, nextcloud, monica `*fpm*`).
pub fn is_fpm(repo: &str, tag: &str) -> bool {
    tag.contains("fpm") && default_port(repo, tag).is_some()
}

/// Whether an image runs nginx (`nginx`, `nginxinc/nginx-unprivileged`,
/// `openresty/openresty`, `bitnami/nginx`).
pub fn is_nginx(repo: &str) -> bool {
    let base = repo.rsplit('/').next().unwrap_or(repo);
    base.starts_with("nginx") || base == "openresty"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_by_tag() {
        assert_eq!(
            default_port("php", "8.2-fpm-alpine").map(|d| d.0),
            Some(9000)
        );
        assert_eq!(default_port("php", "8.2-cli"), None);
        assert_eq!(default_port("wordpress", "6-fpm").map(|d| d.0), Some(9000));
        assert_eq!(default_port("wordpress", "latest").map(|d| d.0), Some(80));
        assert_eq!(
            default_port("friendica", "fpm-alpine").map(|d| d.0),
            Some(9000)
        );
        assert_eq!(default_port("friendica", "apache").map(|d| d.0), Some(80));
        assert_eq!(
            default_port("mattermost/mattermost-team-edition", "10.5.2").map(|d| d.0),
            Some(8065)
        );
        assert!(is_nginx("nginxinc/nginx-unprivileged"));
        assert!(!is_nginx("node"));
    }
}
