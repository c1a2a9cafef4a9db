//! Where a run's time goes, without a profiler.

use std::time::Instant;

/// Phase times on stderr when NGINX_LINT_TIMINGS is set: where a run's
/// time goes, without a profiler (see docs/PERFORMANCE.md).
pub struct Phases {
    on: bool,
    last: Instant,
}

impl Phases {
    pub fn new() -> Self {
        Phases {
            on: std::env::var_os("NGINX_LINT_TIMINGS").is_some(),
            last: Instant::now(),
        }
    }

    pub fn mark(&mut self, what: &str) {
        if self.on {
            let now = Instant::now();
            eprintln!(
                "{what:>12}: {:8.3} ms",
                (now - self.last).as_secs_f64() * 1e3
            );
            self.last = now;
        }
    }
}

impl Default for Phases {
    fn default() -> Self {
        Self::new()
    }
}
