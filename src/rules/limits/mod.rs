//! Limits and timeouts: descriptors, keep-alive, timeouts against php-fpm
//! and load balancers.

pub mod connect_timeout_cap;
pub mod fastcgi_timeout_mismatch;
pub mod keepalive_timeout_order;
pub mod timeout_zero;
pub mod upstream_keepalive_http10;
pub mod worker_rlimit_nofile;
