//! The command line (clap), kept apart from main so tests and the man page
//! generator can reach it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "nginx-lint",
    version,
    about = "Lint nginx and php-fpm configuration: what nginx -t checks, and the cross-file problems it misses",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  nginx-lint                         lint /etc/nginx (and php-fpm found under /etc)\n  nginx-lint testdata/debian         lint a tree in a repository\n  nginx-lint sites-enabled/shop      lint one file within the tree above it\n  nginx -T | nginx-lint -            lint what a running nginx loaded\n  nginx-lint --format json . > out.json\n  nginx-lint explain include-missing"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every rule: id, category, severity, summary
    Rules {
        /// `table` (default) or `json`
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print a rule's page (e.g. `nginx-lint explain include-missing`)
    Explain {
        /// The rule id
        id: String,
    },
    /// Show who sends to whom: server → location → upstream → listener
    Graph {
        #[command(flatten)]
        input: InputArgs,
        /// `text` (default), `json`, `dot` (Graphviz) or `mermaid`
        #[arg(long, value_enum, default_value_t = crate::graph::GraphFormat::Text)]
        format: crate::graph::GraphFormat,
    },
    /// Print the parsed, include-expanded tree as JSON (crossplane's shape)
    Dump {
        #[command(flatten)]
        input: InputArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailLevel {
    Info,
    #[default]
    Warning,
    Error,
}

#[derive(Args, Debug, Default)]
pub struct InputArgs {
    /// Files or directories to lint; `-` reads one config from stdin; the
    /// output of `nginx -T` is recognised [default: /etc/nginx]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat DIR as `/` for absolute paths inside the configs (config
    /// repositories that mirror a server), e.g. `--root repo repo/etc/nginx`
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// nginx's conf prefix for relative includes [default: the directory of
    /// the main nginx.conf], e.g. `--prefix /etc/nginx`
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,

    /// Name shown for stdin input, e.g. `--stdin-filename sites-enabled/shop`
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// Add php-fpm configuration (file or directory; repeatable), e.g.
    /// `--php-fpm /etc/php/8.2/fpm`
    #[arg(long = "php-fpm", value_name = "PATH")]
    pub php_fpm: Vec<PathBuf>,

    /// php-fpm's install prefix for relative `include` [default: /usr], e.g.
    /// `--php-fpm-prefix /usr/local`
    #[arg(long, value_name = "DIR")]
    pub php_fpm_prefix: Option<PathBuf>,

    /// Do not look for php-fpm under /etc when linting /etc/nginx
    #[arg(long)]
    pub no_discover: bool,

    /// Add another backend's configuration (file or directory; repeatable):
    /// a Gunicorn systemd unit or gunicorn.conf.py, a systemd .socket unit,
    /// a uWSGI ini/yaml, a Compose file, Apache's ports.conf/httpd.conf, a
    /// pm2 ecosystem file, e.g. `--service /etc/systemd/system/app.service`
    #[arg(long = "service", value_name = "PATH")]
    pub services: Vec<PathBuf>,
}

#[derive(Args, Debug, Default)]
pub struct LintArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format [default: human on a terminal, concise otherwise],
    /// e.g. `--format json`
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Lowest severity that makes the exit code 1, e.g. `--fail-level error`
    #[arg(long, value_enum, default_value_t = FailLevel::Warning)]
    pub fail_level: FailLevel,

    /// Exit 0 even when there are findings (2 still means the run failed)
    #[arg(long)]
    pub exit_zero: bool,

    /// Print findings only: no notes, no summary line
    #[arg(long, short)]
    pub quiet: bool,

    /// No colours in human output (also when NO_COLOR is set)
    #[arg(long)]
    pub no_color: bool,

    /// The nginx version the configs target [default: newest stable], e.g.
    /// `--nginx-version 1.24`
    #[arg(long, value_name = "X.Y[.Z]")]
    pub nginx_version: Option<String>,

    /// Also check the running system: sockets exist, ports listen (read
    /// from /proc/net; nothing is connected to)
    #[arg(long)]
    pub live: bool,

    /// The PHP version php-fpm runs [default: 8.3], e.g. `--php-version 8.2`
    #[arg(long, value_name = "X.Y")]
    pub php_version: Option<String>,

    /// A third-party module is available (repeatable), e.g. `--module lua`
    /// or `--module ngx_http_brotli_filter_module.so`
    #[arg(long = "module", value_name = "NAME")]
    pub modules: Vec<String>,
}

impl LintArgs {
    /// The settings these flags ask for.
    pub fn settings(&self) -> Result<crate::settings::Settings, String> {
        let mut s = crate::settings::Settings::default();
        if let Some(v) = &self.nginx_version {
            s.nginx_version = crate::settings::parse_version(v).ok_or_else(|| {
                format!("--nginx-version {v}: expected a version like 1.26 or 1.25.3")
            })?;
        }
        if let Some(v) = &self.php_version {
            s.php_version = crate::fpm::PhpVersion::parse(v)
                .ok_or_else(|| format!("--php-version {v}: expected a version like 8.2"))?;
        }
        s.modules = self.modules.clone();
        s.live = self.live;
        Ok(s)
    }
}
