//! php-fpm: the INI parser, the loader (includes of itself and another
//! file) and every check. The input is split at the first NUL into the
//! main file and an included one.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nginx_lint::fpm;
use nginx_lint::source::{FileId, SourceMap};
use nginx_lint::vfs::MemFs;

fuzz_target!(|data: &[u8]| {
    let (main, other) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let ini = fpm::parse(FileId(0), main);
    assert_eq!(ini, fpm::parse(FileId(0), main));
    for e in &ini.errors {
        assert!(e.span.end as usize <= main.len());
    }
    let mut fs = MemFs::new();
    fs.insert("/etc/fpm/php-fpm.conf", main.to_vec());
    fs.insert("/etc/fpm/pool.d/a.conf", other.to_vec());
    let mut map = SourceMap::new();
    let cfg = fpm::load(
        &fs,
        &mut map,
        Path::new("/etc/fpm/php-fpm.conf"),
        &fpm::LoadOptions::default(),
    );
    let _ = fpm::check(&cfg, fpm::PhpVersion::new(8, 2));
});
