//! Parsing and checking 100 pools must stay far under 2 ms (release).
//! In a debug build the bound is looser; the time is printed either way.

use std::time::Instant;

use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
use nginx_lint::source::{FileId, SourceMap};
use nginx_lint::vfs::MemFs;

fn hundred_pools() -> String {
    let mut s = String::from("[global]\npid = /run/php-fpm.pid\nprocess_control_timeout = 10s\n");
    for i in 0..100 {
        s.push_str(&format!(
            "; pool {i}\n[pool{i}]\nuser = u{i}\ngroup = u{i}\nlisten = /run/php/$pool.sock\nlisten.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\npm = dynamic\npm.max_children = 20\npm.start_servers = 4\npm.min_spare_servers = 2\npm.max_spare_servers = 6\nrequest_terminate_timeout = 60s\nphp_admin_value[memory_limit] = 256M\nphp_admin_flag[log_errors] = on\nenv[PATH] = /usr/bin:/bin\n"
        ));
    }
    s
}

#[test]
fn hundred_pools_parse_fast() {
    let text = hundred_pools();
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t = Instant::now();
        let ini = fpm::parse(FileId(0), text.as_bytes());
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(ini.sections.len(), 101);
    }
    let mut fs = MemFs::new();
    fs.insert("/etc/php-fpm.conf", text.as_bytes());
    let t = Instant::now();
    let mut map = SourceMap::new();
    let cfg = fpm::load(
        &fs,
        &mut map,
        std::path::Path::new("/etc/php-fpm.conf"),
        &LoadOptions::default(),
    );
    let findings = nginx_lint::rules::php_fpm::check_config(&cfg, PhpVersion::NEWEST);
    let full = t.elapsed().as_secs_f64() * 1e3;
    assert!(findings.is_empty(), "{findings:?}");
    println!(
        "fpm perf: parse 100 pools {best:.3} ms, load+check {full:.3} ms ({} bytes)",
        text.len()
    );
    let limit = if cfg!(debug_assertions) { 20.0 } else { 2.0 };
    assert!(best < limit, "parsing 100 pools took {best:.3} ms");
}
