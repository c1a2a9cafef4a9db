//! `cargo run --example fpm_check -- /etc/php/8.2/fpm/php-fpm.conf [8.2]`:
//! print the php-fpm findings for a configuration.

use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
use nginx_lint::source::SourceMap;
use nginx_lint::vfs::RealFs;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "/etc/php/8.2/fpm/php-fpm.conf".into());
    let php = args
        .next()
        .and_then(|v| PhpVersion::parse(&v))
        .unwrap_or_default();
    let mut map = SourceMap::new();
    let cfg = fpm::load(
        &RealFs::new(None),
        &mut map,
        path.as_ref(),
        &LoadOptions::default(),
    );
    for f in nginx_lint::rules::php_fpm::check_config(&cfg, php) {
        let (line, col) = map.start_of(f.span);
        let file = &map.get(f.span.file).display;
        println!(
            "{file}:{line}:{col}: {} [{}] {}",
            f.severity.as_str(),
            f.rule,
            f.message
        );
        if let Some(h) = &f.help {
            println!("    help: {h}");
        }
    }
}
