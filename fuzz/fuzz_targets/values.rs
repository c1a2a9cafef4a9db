//! Value parsers: addresses, php-fpm integers, times, listen, versions.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nginx_lint::fpm;
use nginx_lint::address::{Host, parse_host_port};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = Host::parse(&s);
    let _ = parse_host_port(&s, Some(80));
    let _ = parse_host_port(&s, None);
    let _ = fpm::schema::parse_int(&s);
    let _ = fpm::schema::parse_time(&s);
    let _ = fpm::schema::atoi(&s);
    let _ = fpm::Listen::parse(&s, Path::new("/usr"));
    let _ = fpm::PhpVersion::parse(&s);
    let _ = nginx_lint::settings::parse_version(&s);
});
