//! Tuning glibc's allocator for a short run that builds a large tree.
//!
//! Each rayon worker allocates from its own glibc arena: a 64 MB heap of
//! address space that glibc makes writable as it is used, one `mprotect`
//! per growth of exactly what an allocation needs. A large tree makes
//! thousands of such calls, each taking the process's mmap lock that the
//! other worker's page faults wait on. glibc makes a new
//! heap writable up to its top pad at once, so a top pad of a whole heap
//! means one call per heap. Pages made writable but never touched cost no
//! memory. The main arena, grown by `brk`, takes the same pad.

/// glibc's largest heap of a thread arena (HEAP_MAX_SIZE on 64-bit: twice
/// the 32 MB largest mmap threshold); a larger pad is capped to it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: libc::c_int = 64 << 20;

/// Call once, first thing in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    // SAFETY: mallopt only sets an allocator parameter; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}
