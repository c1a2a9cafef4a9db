//! Who starts php-fpm's master process, on the evidence a run can see.
//!
//! php-fpm reads `user` and `group` only when its master runs as root: it
//! then refuses a pool without a user (php-src sapi/fpm/fpm/fpm_conf.c,
//! "[pool %s] user has not been defined" when `fpm_globals.is_root`), and a
//! master started as another user ignores them (fpm_unix.c
//! `fpm_unix_conf_wp`: "'user' directive is ignored when FPM is not running
//! as root"). Checked with php-fpm8.2 -t on a pool without `user`: as root
//! "ALERT: [pool www] user has not been defined", as nobody "test is
//! successful". A repository or a deployed tree shows the start user only
//! sometimes; without evidence it is unknown, not root.

use std::path::{Path, PathBuf};

use crate::dockerfile::ImageUser;
use crate::fpm::RunAs;
use crate::vfs::Fs;

/// The start user of php-fpm's master, with what says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Master {
    /// Started as root; the evidence, in words.
    Root(String),
    /// Started as a non-root user.
    User(RunAs),
}

/// Where systemd keeps php-fpm's unit, the administrator's (`/etc`)
/// before the package's (`/lib`, `/usr/lib`), and the drop-ins that
/// override its settings.
const UNIT_GLOBS: &[&str] = &[
    "/etc/systemd/system/php*fpm*.service",
    "/lib/systemd/system/php*fpm*.service",
    "/usr/lib/systemd/system/php*fpm*.service",
];
const DROP_IN_GLOB: &str = "/etc/systemd/system/php*fpm*.service.d/*.conf";

/// The evidence, strongest first: a Dockerfile that copies the pool files
/// in (its `USER`), a php-fpm systemd unit (its `User=`), a SysV or OpenRC
/// init script (started as root), Debian's package layout
/// (`/etc/php/X.Y/fpm/`, whose package starts php-fpm from such a unit).
/// `dockerfiles` and `real` are host paths; `fs` reads in-config paths
/// (under `--root`, or on the host; a repository run reads none of these).
pub fn master(fs: &dyn Fs, dockerfiles: &[PathBuf], real: &[PathBuf]) -> Option<Master> {
    if !dockerfiles.is_empty() {
        match crate::dockerfile::image_user(dockerfiles, real) {
            Some(ImageUser::User(user, at)) => return Some(Master::User(RunAs { user, at })),
            Some(ImageUser::Root(at)) => {
                return Some(Master::Root(format!(
                    "{at}: the image copies this pool in and sets no non-root USER"
                )));
            }
            None => {}
        }
    }
    systemd_unit(fs)
        .or_else(|| init_script(fs))
        .or_else(|| debian_layout(real))
}

/// What shows that php-fpm runs in a container: a Dockerfile that copies
/// the pool files in, a Dockerfile or Compose file beside one of them (a
/// service's build context), or the official php image's own pool file, which
/// its Dockerfile writes as `php-fpm.d/docker.conf` (`zz-docker.conf` in
/// images built before 8.5), with `listen = 9000` and `EXPOSE 9000`
/// (docker-library/php, Dockerfile-linux.template).
pub fn container(dockerfiles: &[PathBuf], real: &[PathBuf]) -> Option<String> {
    let image_file = real.iter().find(|p| {
        p.parent().and_then(Path::file_name) == Some("php-fpm.d".as_ref())
            && matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("docker.conf" | "zz-docker.conf")
            )
    });
    if let Some(p) = image_file {
        return Some(format!("{}: the official php image's pool file", shown(p)));
    }
    const BESIDE: &[&str] = &[
        "Dockerfile",
        "compose.yaml",
        "compose.yml",
        "docker-compose.yaml",
        "docker-compose.yml",
    ];
    let beside = real.iter().find_map(|p| {
        let dir = p.parent()?;
        let name = BESIDE.iter().find(|n| dir.join(n).is_file())?;
        Some(dir.join(name))
    });
    if let Some(f) = beside {
        return Some(format!(
            "{}: a container build beside its pool files",
            shown(&f)
        ));
    }
    if dockerfiles.is_empty() {
        return None;
    }
    let at = match crate::dockerfile::image_user(dockerfiles, real)? {
        ImageUser::User(_, at) | ImageUser::Root(at) => at,
    };
    Some(format!("{at}: the image copies this pool in"))
}

/// A host path as a message shows it: relative to the working directory
/// when under it (the way the finding's own file is shown for a relative
/// PATH), else whole.
fn shown(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(|r| r.display().to_string()))
        .unwrap_or_else(|| p.display().to_string())
}

/// A php-fpm unit: the last `User=` of the unit and its drop-ins; none
/// (or root) is root.
fn systemd_unit(fs: &dyn Fs) -> Option<Master> {
    let unit = UNIT_GLOBS
        .iter()
        .find_map(|g| fs.glob(Path::new(g)).into_iter().next())?;
    let mut files = vec![unit.clone()];
    files.extend(fs.glob(Path::new(DROP_IN_GLOB)));
    let mut user = None;
    for f in &files {
        let Ok(text) = fs.read(f) else { continue };
        if let Some((u, line)) = unit_user(&String::from_utf8_lossy(&text)) {
            user = Some((u, format!("{}:{line}", fs.display(f))));
        }
    }
    match user {
        Some((user, at)) if user != "root" && user != "0" => Some(Master::User(RunAs { user, at })),
        _ => Some(Master::Root(format!(
            "{}: the systemd unit sets no non-root User=",
            fs.display(&unit)
        ))),
    }
}

/// The last `User=` of a unit file, with its line.
fn unit_user(text: &str) -> Option<(String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(n, l)| {
            let v = l.trim().strip_prefix("User=")?.trim();
            Some((v.to_string(), n + 1))
        })
        .last()
        .filter(|(v, _)| !v.is_empty() && !v.contains('%') && !v.contains('$'))
}

fn init_script(fs: &dyn Fs) -> Option<Master> {
    let script = fs
        .glob(Path::new("/etc/init.d/php*fpm*"))
        .into_iter()
        .next()?;
    Some(Master::Root(format!(
        "{}: an init script starts php-fpm as root",
        fs.display(&script)
    )))
}

/// Debian's and Ubuntu's php-fpm package: `/etc/php/X.Y/fpm/`, started by
/// the package's unit (`php8.2-fpm.service`, no `User=`) as root.
fn debian_layout(real: &[PathBuf]) -> Option<Master> {
    real.iter().find_map(|p| {
        let s = p.to_string_lossy();
        let at = s.find("/etc/php/")?;
        let rest = &s[at + "/etc/php/".len()..];
        let (version, after) = rest.split_once('/')?;
        let numeric = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        (numeric && after.starts_with("fpm/")).then(|| {
            Master::Root(format!(
                "Debian's php-fpm package layout (/etc/php/{version}/fpm/): its systemd unit starts php-fpm as root"
            ))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_layout_is_root_and_others_are_unknown() {
        let deb = [PathBuf::from("/r/etc/php/8.2/fpm/pool.d/www.conf")];
        assert!(matches!(debian_layout(&deb), Some(Master::Root(_))));
        let alpine = [PathBuf::from("/r/etc/php85/php-fpm.d/www.conf")];
        assert_eq!(debian_layout(&alpine), None);
        let image = [PathBuf::from("/r/usr/local/etc/php-fpm.d/www.conf")];
        assert_eq!(debian_layout(&image), None);
    }

    #[test]
    fn the_php_image_pool_file_is_a_container() {
        let image = [PathBuf::from("/r/usr/local/etc/php-fpm.d/docker.conf")];
        assert!(container(&[], &image).is_some_and(|w| w.contains("official php image")));
        let old = [PathBuf::from("/r/usr/local/etc/php-fpm.d/zz-docker.conf")];
        assert!(container(&[], &old).is_some());
        let host = [PathBuf::from("/r/etc/php/8.2/fpm/pool.d/www.conf")];
        assert_eq!(container(&[], &host), None);
        let elsewhere = [PathBuf::from("/r/docker.conf")];
        assert_eq!(container(&[], &elsewhere), None);
    }

    /// A Compose file beside the pool file (laradock's php-fpm/): its
    /// build context.
    #[test]
    fn a_compose_file_beside_the_pool_is_a_container() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = dir.path().join("xlaravel.pool.conf");
        std::fs::write(&pool, "[www]\nlisten = 0.0.0.0:9000\n").expect("write");
        assert_eq!(container(&[], std::slice::from_ref(&pool)), None);
        std::fs::write(dir.path().join("compose.yml"), "services:\n").expect("write");
        assert!(container(&[], &[pool]).is_some_and(|w| w.contains("compose.yml")));
    }

    #[test]
    fn unit_user_is_the_last_one() {
        let unit = "[Service]\nUser=www-data\nExecStart=/usr/sbin/php-fpm8.2\nUser=app\n";
        assert_eq!(unit_user(unit), Some(("app".into(), 4)));
        assert_eq!(unit_user("[Service]\nExecStart=x\n"), None);
        assert_eq!(unit_user("[Service]\nUser=%i\n"), None);
    }
}
