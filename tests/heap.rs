//! The binary grows its allocator's heaps in few system calls (see
//! src/heap.rs): glibc otherwise makes each worker's arena writable one
//! `mprotect` at a time, 2,600 calls on a 1,000-vhost tree, each taking the
//! mmap lock the other worker's page faults wait on. Counted with strace,
//! which .ci/run installs.

use std::path::Path;
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn arenas_grow_without_an_mprotect_per_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("python3")
        .arg(manifest().join("../shared/bench/gen_synth.py"))
        .arg(dir.path())
        .arg("1000")
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let counts = dir.path().join("strace.txt");
    let out = Command::new("strace")
        .args(["-f", "-c", "-e", "trace=mprotect", "-o"])
        .arg(&counts)
        .arg(env!("CARGO_BIN_EXE_nginx-lint"))
        .args(["--format", "json"])
        .arg(dir.path())
        .output()
        .expect("strace runs (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = std::fs::read_to_string(&counts).expect("strace summary");
    // `% time  seconds  usecs/call  calls  [errors]  syscall`
    let calls: u64 = table
        .lines()
        .find(|l| l.trim_end().ends_with(" mprotect"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(calls < 100, "{calls} mprotect calls:\n{table}");
}
