//! Limits and timeouts: descriptors, keep-alive, timeouts against php-fpm
//! and load balancers.

pub mod keepalive_http10;
pub mod rlimit_nofile;
