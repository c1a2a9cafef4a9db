//! php-fpm configuration: parser, schema, resolved model and rules.
//!
//! Typical use:
//! ```no_run
//! use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
//! use nginx_lint::source::SourceMap;
//! use nginx_lint::vfs::RealFs;
//! let mut map = SourceMap::new();
//! let cfg = fpm::load(&RealFs::new(None), &mut map,
//!     std::path::Path::new("/etc/php/8.2/fpm/php-fpm.conf"), &LoadOptions::default());
//! let findings = fpm::check(&cfg, PhpVersion::new(8, 2));
//! ```

pub mod checks;
pub mod model;
pub mod parser;
pub mod schema;

pub use checks::check;
pub use model::{
    DEFAULT_PREFIX, FpmConfig, GlobalSettings, Listen, ListenHost, LoadOptions, Pool, Setting,
    load, load_many,
};
pub use parser::{Entry, IniFile, Section, parse};
pub use schema::{Directive, PhpVersion, SectionKind, ValueType, lookup};

/// Every rule id this module can report.
pub const RULES: &[&str] = &[
    crate::registry::ids::FPM_SYNTAX,
    crate::registry::ids::FPM_UNKNOWN_DIRECTIVE,
    crate::registry::ids::FPM_INVALID_VALUE,
    crate::registry::ids::FPM_PM_CONFIG,
    crate::registry::ids::FPM_LISTEN_MISSING,
    crate::registry::ids::FPM_LISTEN_EXPOSED,
    crate::registry::ids::FPM_USER_ROOT,
    crate::registry::ids::FPM_NO_POOL,
    crate::registry::ids::FPM_INCLUDE_MISSING,
    crate::registry::ids::FPM_LIMIT_EXTENSIONS,
    crate::registry::ids::FPM_PROCESS_CONTROL_TIMEOUT,
];
