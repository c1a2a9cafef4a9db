//! Users and groups from `/etc/passwd` and `/etc/group`, read through the
//! run's file system (so `--root` reads the repository's copies), for
//! socket permission checks.

use std::collections::HashMap;
use std::path::Path;

use crate::vfs::Fs;

#[derive(Debug, Default)]
pub struct Users {
    /// user → primary group name.
    primary: HashMap<String, String>,
    /// group → members (supplementary).
    members: HashMap<String, Vec<String>>,
    gid_names: HashMap<String, String>,
    /// Whether /etc/passwd was readable at all.
    pub known: bool,
}

impl Users {
    pub fn load(fs: &dyn Fs) -> Users {
        let mut u = Users::default();
        if let Ok(group) = fs.read(Path::new("/etc/group")) {
            for line in String::from_utf8_lossy(&group).lines() {
                let f: Vec<&str> = line.split(':').collect();
                if f.len() >= 4 {
                    u.gid_names.insert(f[2].to_string(), f[0].to_string());
                    let m = f[3]
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    u.members.insert(f[0].to_string(), m);
                }
            }
        }
        if let Ok(passwd) = fs.read(Path::new("/etc/passwd")) {
            u.known = true;
            for line in String::from_utf8_lossy(&passwd).lines() {
                let f: Vec<&str> = line.split(':').collect();
                if f.len() >= 4 {
                    let g = u
                        .gid_names
                        .get(f[3])
                        .cloned()
                        .unwrap_or_else(|| f[0].to_string());
                    u.primary.insert(f[0].to_string(), g);
                }
            }
        }
        u
    }

    /// Whether `user` belongs to `group` (primary or supplementary). A user
    /// unknown to /etc/passwd is assumed to have the group of its own name
    /// (the convention of every distribution's service users).
    pub fn in_group(&self, user: &str, group: &str) -> bool {
        let primary = self.primary.get(user).map_or(user, |g| g.as_str());
        primary == group
            || self
                .members
                .get(group)
                .is_some_and(|m| m.iter().any(|x| x == user))
    }
}
