//! nginx-lint: a linter for nginx and php-fpm configuration.
//!
//! The pipeline, in order: discover files → parse → expand includes →
//! build the resolved model → run rules → report findings.

pub mod finding;
pub mod fpm;
pub mod source;
pub mod vfs;
