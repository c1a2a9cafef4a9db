//! php-fpm configuration: parser, schema and resolved model. The php-fpm
//! rules are in `rules::php_fpm`.
//!
//! Typical use:
//! ```no_run
//! use nginx_lint::fpm::{self, LoadOptions, PhpVersion};
//! use nginx_lint::source::SourceMap;
//! use nginx_lint::vfs::RealFs;
//! let mut map = SourceMap::new();
//! let cfg = fpm::load(&RealFs::new(None), &mut map,
//!     std::path::Path::new("/etc/php/8.2/fpm/php-fpm.conf"), &LoadOptions::default());
//! let findings = nginx_lint::rules::php_fpm::check_config(&cfg, PhpVersion::new(8, 2));
//! ```

pub mod model;
pub mod parser;
pub mod schema;

pub use model::{
    DEFAULT_PREFIX, FpmConfig, GlobalSettings, Listen, ListenHost, LoadOptions, Pool, RunAs,
    Setting, load, load_drop_ins, load_many,
};
pub use parser::{Entry, IniFile, Section, parse};
pub use schema::{Directive, PhpVersion, SectionKind, ValueType, lookup};
