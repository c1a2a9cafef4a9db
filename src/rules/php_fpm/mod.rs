//! The php-fpm rules: one file per rule id, each reading the php-fpm
//! configuration the run loaded (`Loaded::fpm`). Their checks mirror
//! `fpm_conf_process_all_pools` and `fpm_conf_post_process` in php-src
//! `sapi/fpm/fpm/fpm_conf.c`; the messages quote php-fpm's own error line
//! so an operator can match them. What parsing itself finds (`fpm-syntax`,
//! `fpm-include-missing`) comes from the loader, as nginx's `syntax` does.

pub mod invalid_value;
pub mod limit_extensions;
pub mod listen_exposed;
pub mod listen_missing;
pub mod no_pool;
pub mod pm_config;
pub mod process_control_timeout;
pub mod unknown_directive;
pub mod user_root;

use crate::finding::Finding;
use crate::fpm::schema::{self, Parsed, ValueType};
use crate::fpm::{FpmConfig, PhpVersion, Setting};
use crate::rules::Check;

/// What a php-fpm rule reads: the configuration and the PHP version it is
/// judged for (none when the run found no php-fpm file).
pub fn config<'a>(cx: &Check<'a>) -> Option<(&'a FpmConfig, PhpVersion)> {
    cx.loaded
        .fpm
        .as_ref()
        .map(|cfg| (cfg, cx.settings.php_version))
}

/// Every php-fpm finding for one configuration without the rest of a run:
/// the loader's (syntax, includes), then every php-fpm rule's. For tests
/// and tools that read php-fpm alone (`examples/fpm_check.rs`).
pub fn check_config(cfg: &FpmConfig, php: PhpVersion) -> Vec<Finding> {
    let mut out = cfg.findings.clone();
    unknown_directive::check(cfg, php, &mut out);
    invalid_value::check(cfg, php, &mut out);
    process_control_timeout::check(cfg, &mut out);
    no_pool::check(cfg, &mut out);
    user_root::check(cfg, &mut out);
    listen_missing::check(cfg, &mut out);
    listen_exposed::check(cfg, &mut out);
    pm_config::check(cfg, php, &mut out);
    limit_extensions::check(cfg, &mut out);
    out
}

/// A setting parsed as a number the way php-fpm does, if it is set,
/// parses, and does not depend on the environment.
fn num(s: Option<&Setting>, ty: ValueType) -> Result<Option<i64>, ()> {
    let Some(s) = s else { return Ok(None) };
    if s.has_env {
        return Err(());
    }
    match schema::validate(ty, &s.value) {
        Ok(Parsed::Int(n)) | Ok(Parsed::Seconds(n)) => Ok(Some(n)),
        Ok(_) => Ok(None),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fpm::PhpVersion;
    use crate::fpm::model::{LoadOptions, load};
    use crate::source::SourceMap;
    use crate::vfs::MemFs;
    use std::path::Path;

    const BASE: &str = "[global]\nerror_log = /tmp/e\nprocess_control_timeout = 10s\n[www]\nuser = www-data\nlisten = /run/php/www.sock\n";

    fn rules(text: &str) -> Vec<&'static str> {
        rules_for(text, PhpVersion::NEWEST)
    }

    /// The help of an unknown indexed entry lists access.suppress_path[]
    /// only for PHP 8.2 and later, where php-fpm has it.
    #[test]
    fn array_help_follows_the_php_version() {
        let text = format!("{BASE}zzz[a] = b\n");
        let help = |php| {
            let mut fs = MemFs::new();
            fs.insert("/etc/php-fpm.conf", text.as_str());
            let mut map = SourceMap::new();
            let opts = LoadOptions::default();
            let cfg = load(&fs, &mut map, Path::new("/etc/php-fpm.conf"), &opts);
            check_config(&cfg, php)
                .into_iter()
                .filter_map(|f| f.help)
                .find(|h| h.contains("take an index"))
                .unwrap_or_default()
        };
        assert!(help(PhpVersion::new(8, 2)).contains("access.suppress_path[]"));
        let old = help(PhpVersion::new(8, 1));
        assert!(
            old.contains("env[]") && !old.contains("suppress_path"),
            "{old}"
        );
    }

    fn rules_for(text: &str, php: PhpVersion) -> Vec<&'static str> {
        let mut fs = MemFs::new();
        fs.insert("/etc/php-fpm.conf", text);
        let mut map = SourceMap::new();
        let cfg = load(
            &fs,
            &mut map,
            Path::new("/etc/php-fpm.conf"),
            &LoadOptions::default(),
        );
        check_config(&cfg, php)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn clean_config() {
        let r = rules(&format!(
            "{BASE}pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"
        ));
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn pm_checks_match_php() {
        let pm = |s: &str| rules(&format!("{BASE}{s}"));
        assert_eq!(pm("pm.max_children = 5\n"), ["fpm-pm-config"]);
        assert_eq!(pm("pm = static\n"), ["fpm-pm-config"]);
        assert!(pm("pm = static\npm.max_children = 1\n").is_empty());
        assert_eq!(pm("pm = dynamic\npm.max_children = 5\n"), ["fpm-pm-config"]);
        // start derived = 1 + (3-1)/2 = 2: fine
        assert!(pm("pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n").is_empty());
        // max_spare == max_children ok, +1 not
        assert!(pm("pm = dynamic\npm.max_children = 3\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n").is_empty());
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"
            ),
            ["fpm-pm-config"]
        );
        // start at both edges ok, outside not
        assert!(pm("pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.start_servers = 3\n").is_empty());
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 2\npm.max_spare_servers = 3\npm.start_servers = 4\n"
            ),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 2\npm.max_spare_servers = 3\npm.start_servers = 1\n"
            ),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm("pm = ondemand\npm.max_children = 5\npm.process_idle_timeout = 0\n"),
            ["fpm-pm-config"]
        );
        assert_eq!(
            pm(
                "pm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.max_spawn_rate = 0\n"
            ),
            ["fpm-pm-config"]
        );
    }

    #[test]
    fn version_gates() {
        let t = format!("{BASE}pm = static\npm.max_children = 2\npm.max_spawn_rate = 4\n");
        assert!(rules_for(&t, PhpVersion::new(8, 1)).is_empty());
        assert_eq!(
            rules_for(&t, PhpVersion::new(8, 0)),
            ["fpm-unknown-directive"]
        );
    }

    #[test]
    fn values_and_keys() {
        let r = |s: &str| rules(&format!("{BASE}pm = static\npm.max_children = 2\n{s}"));
        assert_eq!(
            r("request_terminate_timeout = 30x\n"),
            ["fpm-invalid-value"]
        );
        assert_eq!(r("pm.max_childs = 3\n"), ["fpm-unknown-directive"]);
        assert_eq!(r("listen.mode = 0999\n"), ["fpm-invalid-value"]);
        assert_eq!(r("catch_workers_output = maybe\n"), ["fpm-invalid-value"]);
        assert_eq!(r("ENV[X] = y\n"), ["fpm-unknown-directive"]);
        assert_eq!(r("env[] = y\n"), ["fpm-invalid-value"]);
        assert_eq!(
            r("security.limit_extensions = .php .html\n"),
            ["fpm-limit-extensions"]
        );
        assert_eq!(
            r("security.limit_extensions = \"\"\n"),
            ["fpm-limit-extensions"]
        );
        assert_eq!(r("user = root\n"), ["fpm-user-root"]);
        assert!(r("security.limit_extensions = .php .php7 .phtml\n").is_empty());
    }

    #[test]
    fn listen_rules() {
        let head = "[global]\nprocess_control_timeout = 5s\n[a]\nuser = nobody\npm = static\npm.max_children = 1\n";
        assert_eq!(
            rules(&format!("{head}listen = 9000\n")),
            ["fpm-listen-exposed"]
        );
        assert_eq!(
            rules(&format!("{head}listen = [::]:9000\n")),
            ["fpm-listen-exposed"]
        );
        assert!(
            rules(&format!(
                "{head}listen = 9000\nlisten.allowed_clients = 127.0.0.1\n"
            ))
            .is_empty()
        );
        assert!(rules(&format!("{head}listen = 127.0.0.1:9000\n")).is_empty());
        assert_eq!(rules(head), ["fpm-listen-missing"]);
    }

    #[test]
    fn global_rules() {
        assert_eq!(
            rules("[global]\nprocess_control_timeout = 10s\n"),
            ["fpm-no-pool"]
        );
        let pool = "[www]\nuser = a\nlisten = /x\npm = static\npm.max_children = 1\n";
        // Unset is php-fpm's (and every distribution's) default: not reported.
        assert!(rules(&format!("[global]\n{pool}")).is_empty());
        assert_eq!(
            rules(&format!("[global]\nprocess_control_timeout = 0s\n{pool}")),
            ["fpm-process-control-timeout"]
        );
        assert!(rules(pool).is_empty());
        assert_eq!(
            rules(&format!("user = x\n{pool}")),
            ["fpm-unknown-directive"]
        );
    }
}
