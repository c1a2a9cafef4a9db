//! Include expansion over MemFs: the input is split at NUL bytes into
//! files named nginx.conf, a.conf, d/b.conf, …, which may include each
//! other (cycles, globs, data blocks).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nginx_lint::model::flatten::walk;
use nginx_lint::nginx::include::Loader;
use nginx_lint::source::SourceMap;
use nginx_lint::vfs::MemFs;

const NAMES: &[&str] = &[
    "nginx.conf",
    "a.conf",
    "b.conf",
    "d/c.conf",
    "d/.h.conf",
    "e.types",
];

fuzz_target!(|data: &[u8]| {
    let mut fs = MemFs::new();
    for (name, body) in NAMES.iter().zip(data.split(|&b| b == 0)) {
        fs.insert(Path::new("/etc/nginx").join(name), body.to_vec());
    }
    let mut sources = SourceMap::new();
    let display = |p: &Path| p.display().to_string();
    let mut l = Loader::new(&fs, &mut sources, &display);
    if let Ok(id) = l.load(Path::new("/etc/nginx/nginx.conf")) {
        l.expand(id, Path::new("/etc/nginx"));
        if let Some(pf) = l.files.get(id) {
            let mut n = 0usize;
            walk(&l.files, &pf.directives, &mut |_, _| n += 1);
        }
    }
});
