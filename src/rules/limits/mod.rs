//! Limits and timeouts: descriptors, keep-alive, timeouts against php-fpm and load balancers.
