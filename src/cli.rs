//! The command line (clap), kept apart from main so tests and the man page
//! generator can reach it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigFile};
use crate::report::Format;
use crate::settings::{Layer, LayerOrigin};

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
        /// `table` (default) or `json`, e.g. `nginx-lint rules --format json`
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print a rule's page (e.g. `nginx-lint explain include-missing`)
    Explain {
        /// The rule id, e.g. `upstream-no-listener`
        id: String,
    },
    /// Show who sends to whom: server → location (and a request that reaches
    /// it) → upstream → listener
    Graph {
        #[command(flatten)]
        input: InputArgs,
        /// `text` (default), `json`, `dot` (Graphviz) or `mermaid`, e.g.
        /// `nginx-lint graph --format dot . | dot -Tsvg > graph.svg`
        #[arg(long, value_enum, default_value_t = crate::graph::GraphFormat::Text)]
        format: crate::graph::GraphFormat,
    },
    /// Follow a request: the listen, server and location that take it, what
    /// runs there and where it ends, e.g. `nginx-lint route
    /// https://shop.example.com/api/orders /etc/nginx`
    Route {
        /// The request's URL: scheme, host, optional port, path, query
        url: String,
        #[command(flatten)]
        input: InputArgs,
        #[command(flatten)]
        request: RouteArgs,
        /// `text` (default) or `json`
        #[arg(long, value_enum, default_value_t = crate::route::render::RouteFormat::Text)]
        format: crate::route::render::RouteFormat,
        /// Read every file, without the index of files unchanged since the
        /// last run (kept in $NGINX_LINT_CACHE_DIR, else
        /// $XDG_CACHE_HOME/nginx-lint or ~/.cache/nginx-lint), and write none
        #[arg(long)]
        no_cache: bool,
    },
    /// Print the parsed, include-expanded tree as JSON (crossplane's shape)
    Dump {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print a shell completion script, e.g. `nginx-lint completions bash >
    /// /etc/bash_completion.d/nginx-lint`
    Completions {
        /// bash, zsh, fish, elvish or powershell, e.g. `zsh`
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `nginx-lint manpage > nginx-lint.1`
    Manpage,
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

/// What `route` is told about the request and the machine.
#[derive(Args, Debug, Default)]
pub struct RouteArgs {
    /// The request method, e.g. `--method POST`
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header (repeatable); Host comes from the URL unless
    /// given, e.g. `--header 'Host: shop.example.com'`
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The request line's HTTP version: HTTP/1.1 without Host is a 400,
    /// HTTP/1.0 without Host goes on, e.g. `--http-version 1.0`
    #[arg(long, value_enum, value_name = "VERSION", default_value = "1.1")]
    pub http_version: crate::route::request::HttpVersion,
    /// Send no Host header (`--header 'Host:'` sends an empty one, which
    /// nginx refuses), e.g. `--no-host --http-version 1.0`
    #[arg(long)]
    pub no_host: bool,
    /// Send the URL whole as the request target (`GET http://host/path
    /// HTTP/1.1`): nginx picks the server by its host over the Host header,
    /// e.g. `--absolute-form --header 'Host: other.test'`
    #[arg(long)]
    pub absolute_form: bool,
    /// The client's address, for `allow`/`deny`, e.g. `--client-ip 10.0.0.7`
    #[arg(long, value_name = "IP")]
    pub client_ip: Option<String>,
    /// Look at the files the request reaches on this machine (`try_files`,
    /// a static file), e.g. `--live`; `--root DIR` looks under DIR
    #[arg(long)]
    pub live: bool,
    /// The TLS server name sent (https) [default: the URL's host unless
    /// it is an IP address; `--sni ''` sends none], e.g. `--sni shop.example.com`
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// The client presents a certificate when a server asks for one
    /// (`ssl_verify_client`); route checks no chain: `sent` takes it to
    /// verify and lists the failure, `untrusted` follows a certificate
    /// whose issuer the server does not trust, e.g. `--client-cert` or
    /// `--client-cert=untrusted`
    #[arg(
        long,
        value_enum,
        value_name = "CHECK",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "sent"
    )]
    pub client_cert: Option<crate::route::request::ClientCert>,
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

    /// Name shown for stdin input; reads stdin even without `-`, e.g.
    /// `nginx-lint --stdin-filename sites-enabled/shop < shop.conf`
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

    /// Do not look for php-fpm under /etc when linting /etc/nginx, e.g.
    /// `nginx-lint --no-discover /etc/nginx`
    #[arg(long)]
    pub no_discover: bool,

    /// Read settings from FILE [default: `.nginx-lint.toml` in the first
    /// PATH or a directory above it, then
    /// `$XDG_CONFIG_HOME/nginx-lint/config.toml`], e.g. `--config ci.toml`
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore every config file (flags only), e.g. `--no-config`
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Add another backend's configuration (file or directory; repeatable):
    /// a Gunicorn systemd unit or gunicorn.conf.py, a systemd .socket unit,
    /// a uWSGI ini/yaml, a Compose file, Apache's ports.conf/httpd.conf, a
    /// pm2 ecosystem file, e.g. `--service /etc/systemd/system/app.service`
    #[arg(long = "service", value_name = "PATH")]
    pub services: Vec<PathBuf>,

    /// Leave out what matches GLOB when walking (repeatable; replaces
    /// `exclude` from the config file and the default list: node_modules,
    /// vendor, venv, __pycache__, site-packages). A GLOB without `/`
    /// matches a name at any depth; with `/`, a path from the current
    /// directory, e.g. `--exclude 'legacy/*.conf'`
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Leave out what matches GLOB too (repeatable; adds to `exclude`),
    /// e.g. `--extend-exclude '*.rendered.conf'`
    #[arg(long, value_name = "GLOB")]
    pub extend_exclude: Vec<String>,

    /// Exclude files named on the command line too (by default a named
    /// file is linted even when excluded), e.g. `--force-exclude`
    #[arg(long)]
    pub force_exclude: bool,
}

#[derive(Args, Debug, Default)]
pub struct LintArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format [default: human on a terminal, concise otherwise],
    /// e.g. `--format json`
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Lowest severity that makes the exit code 1 [default: warning], e.g.
    /// `--fail-level error`
    #[arg(long, value_enum)]
    pub fail_level: Option<FailLevel>,

    /// Exit 0 even when there are findings (2 still means the run failed),
    /// e.g. `nginx-lint --exit-zero --format sarif . > out.sarif`
    #[arg(long)]
    pub exit_zero: bool,

    /// Concise format: no help line under each finding, e.g.
    /// `nginx-lint --no-help . | sort`
    #[arg(long)]
    pub no_help: bool,

    /// Print how many findings each rule has (most first) instead of the
    /// findings; `--format json` prints them as JSON, e.g.
    /// `nginx-lint --statistics /etc/nginx`
    #[arg(long)]
    pub statistics: bool,

    /// Print findings only: no notes, no summary line, e.g. `-q`
    #[arg(long, short)]
    pub quiet: bool,

    /// List every file passed over and why (not configuration: a
    /// Dockerfile, a script, docs), e.g. `--verbose`
    #[arg(long, short)]
    pub verbose: bool,

    /// When human output is coloured: `auto` (default) colours a terminal,
    /// unless NO_COLOR is set; CLICOLOR_FORCE (not `0`) colours anywhere
    /// and wins over NO_COLOR, as in ruff; e.g. `--color never`
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// The same as `--color never`, e.g. `--no-color`
    #[arg(long)]
    pub no_color: bool,

    /// Only these rules: ids or categories (syntax, resolution, limits, tls,
    /// security, php-fpm, suppression, all), comma-separated; replaces
    /// `select` from the config file, e.g. `--select tls,php-fpm`
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub select: Option<Vec<String>>,

    /// Never these rules: ids or categories, comma-separated; replaces
    /// `ignore` from the config file, e.g. `--ignore hsts-missing`
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub ignore: Option<Vec<String>>,

    /// The TLS configuration to judge ciphers and protocols against, after
    /// Mozilla's server-side TLS guideline 6.0 [default: intermediate],
    /// e.g. `--tls-profile modern`
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub tls_profile: Option<crate::settings::TlsProfile>,

    /// The nginx version the configs target [default: the one `nginx -v`
    /// reports on a live run (PATH under /etc/nginx, or --live), else the
    /// newest stable], e.g. `--nginx-version 1.24`
    #[arg(long, value_name = "X.Y[.Z]", value_parser = known_nginx_version)]
    pub nginx_version: Option<String>,

    /// The PHP version php-fpm runs [default: on a live run, the one in
    /// the php-fpm tree's path (/etc/php/8.2/fpm) or `php-fpm8.2 -v`, else
    /// 8.3], e.g. `--php-version 8.2`
    #[arg(long, value_name = "X.Y", value_parser = known_php_version)]
    pub php_version: Option<String>,

    /// A third-party module is available (repeatable), e.g. `--module lua`
    /// or `--module ngx_http_brotli_filter_module.so`
    #[arg(long = "module", value_name = "NAME", value_parser = module_name)]
    pub modules: Vec<String>,

    /// Idle timeout of the load balancer in front of nginx (AWS ALB: 60s),
    /// for keepalive-timeout-order, e.g. `--lb-idle-timeout 60s`
    #[arg(long, value_name = "TIME")]
    pub lb_idle_timeout: Option<String>,

    /// Also check the running system: sockets exist, ports listen (read
    /// from /proc/net; nothing is connected to), certificate and key files
    /// the configs name are read from this machine, e.g. `--live`
    #[arg(long)]
    pub live: bool,
}

/// `--nginx-version`: checked here so a typo stops the run before anything
/// is read; the string goes on to [`Layer`] like the config file's.
fn known_nginx_version(s: &str) -> Result<String, String> {
    crate::nginx::schema::Version::parse_known(s).map(|_| s.to_string())
}

/// `--php-version`, as [`known_nginx_version`].
fn known_php_version(s: &str) -> Result<String, String> {
    crate::fpm::PhpVersion::parse_known(s).map(|_| s.to_string())
}

/// `--module NAME`: a path here is almost always a PATH argument that the
/// repeatable flag swallowed (`--module lua /etc/nginx`), which would
/// otherwise lint the default tree while the user's went unread.
fn module_name(s: &str) -> Result<String, String> {
    if s.contains('/') || s.ends_with(".conf") {
        return Err(format!(
            "`{s}` looks like a path; --module takes a module's name, e.g. `lua` or \
             `ngx_http_brotli_filter_module.so` (give paths to lint after the options, or \
             after `--`)"
        ));
    }
    Ok(s.to_string())
}

impl FailLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FailLevel::Info => "info",
            FailLevel::Warning => "warning",
            FailLevel::Error => "error",
        }
    }
}

impl LintArgs {
    /// The settings the flags ask for, as a layer to stack over the file's.
    pub fn layer(&self) -> Layer {
        Layer {
            origin: LayerOrigin::Flags,
            nginx_version: self.nginx_version.clone(),
            php_version: self.php_version.clone(),
            tls_profile: self.tls_profile.map(|p| p.as_str().to_string()),
            fail_level: self.fail_level.map(|f| f.as_str().to_string()),
            modules: (!self.modules.is_empty()).then(|| self.modules.clone()),
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            lb_idle_timeout: self.lb_idle_timeout.clone(),
            ..Layer::default()
        }
    }

    /// The settings of the flags alone (no config file).
    pub fn settings(&self) -> Result<crate::settings::Settings, String> {
        let mut s = self.layer().resolve().map(|r| r.settings)?;
        self.apply_system(&mut s, self.input.root.as_deref());
        Ok(s)
    }

    /// What the flags say about the machine itself: `--live`, and where
    /// files named by the configs are read (`--root`, or `/` when live).
    pub fn apply_system(&self, s: &mut crate::settings::Settings, root: Option<&std::path::Path>) {
        s.live = self.live;
        s.files_root = match (root, self.live) {
            (Some(r), _) => Some(r.to_path_buf()),
            (None, true) => Some(PathBuf::from("/")),
            (None, false) => None,
        };
    }
}

/// Patterns, each with the directory it is relative to.
type Patterns = Vec<(String, PathBuf)>;

impl InputArgs {
    /// `--exclude` (None when not given) and `--extend-exclude`, relative
    /// to the current directory.
    pub fn exclude_patterns(&self) -> (Option<Patterns>, Patterns) {
        let cwd = std::env::current_dir().unwrap_or_default();
        let with_cwd =
            |v: &[String]| -> Patterns { v.iter().map(|p| (p.clone(), cwd.clone())).collect() };
        (
            (!self.exclude.is_empty()).then(|| with_cwd(&self.exclude)),
            with_cwd(&self.extend_exclude),
        )
    }

    /// The config file to read: `--config`, or the one discovered.
    pub fn config_file(&self) -> Result<Option<ConfigFile>, String> {
        if self.no_config {
            return Ok(None);
        }
        match &self.config {
            Some(p) => ConfigFile::load(p).map(Some),
            None => match config::discover(self.paths.first().map(PathBuf::as_path)) {
                Some(p) => ConfigFile::load(&p).map(Some),
                None => Ok(None),
            },
        }
    }
}

/// Stack the flags over the config file: paths the flags leave unset come
/// from the file; every setting is parsed once, in [`Layer::resolve`].
pub fn configure(
    input: &InputArgs,
    flags: Layer,
    inputs: &mut crate::Inputs,
) -> Result<crate::settings::Resolved, String> {
    configure_full(input, flags, inputs).map(|c| c.resolved)
}

/// What [`configure_full`] found.
pub struct Configured {
    pub resolved: crate::settings::Resolved,
    /// Whether the config file set `nginx-version` and `php-version` (for
    /// where the versions in force came from).
    pub file_sets_nginx: bool,
    pub file_sets_php: bool,
}

/// [`configure`], also saying which versions the config file set.
pub fn configure_full(
    input: &InputArgs,
    flags: Layer,
    inputs: &mut crate::Inputs,
) -> Result<Configured, String> {
    let file = input.config_file()?;
    let file_sets_nginx = file
        .as_ref()
        .is_some_and(|f| f.layer.nginx_version.is_some());
    let file_sets_php = file.as_ref().is_some_and(|f| f.layer.php_version.is_some());
    let layer = match &file {
        Some(f) => f.layer.clone().over(flags),
        None => flags,
    };
    // ruff's rules: the flag replaces the file's list, which replaces the
    // default one; extensions from both add to whichever is in force.
    let (flag_exclude, flag_extend) = input.exclude_patterns();
    let mut extend = Vec::new();
    inputs.exclude = None;
    if let Some(f) = &file {
        inputs.exclude = f.exclude.clone();
        extend.extend(f.extend_exclude.iter().cloned());
    }
    if flag_exclude.is_some() {
        inputs.exclude = flag_exclude;
    }
    extend.extend(flag_extend);
    inputs.extend_exclude = extend;
    inputs.force_exclude = input.force_exclude;
    if let Some(f) = file {
        if inputs.prefix.is_none() {
            inputs.prefix = f.prefix;
        }
        if inputs.root.is_none() {
            inputs.root = f.root;
        }
        if inputs.php_fpm_prefix.is_none() {
            inputs.php_fpm_prefix = f.php_fpm_prefix;
        }
        if inputs.php_fpm.is_empty() {
            inputs.php_fpm = f.php_fpm;
        }
    }
    if let Some(root) = &inputs.root
        && !root.is_dir()
    {
        return Err(format!("root {}: not a directory", root.display()));
    }
    let resolved = layer.resolve()?;
    inputs.listeners = resolved.listeners.clone();
    Ok(Configured {
        resolved,
        file_sets_nginx,
        file_sets_php,
    })
}

/// The versions a lint run judges against: a flag, else the config file,
/// else (on a live run only, see [`crate::versions::is_live`]) what the
/// machine runs, else the default. Detection runs only for a version
/// neither the flags nor the file set. Sets them in `settings`.
pub fn versions_in_force(
    args: &LintArgs,
    configured: &Configured,
    inputs: &crate::Inputs,
    settings: &mut crate::settings::Settings,
) -> crate::versions::InForce {
    use crate::versions::{self, Source};
    let live = versions::is_live(
        &inputs.paths,
        inputs.stdin.is_some(),
        inputs.root.as_deref(),
        args.live,
    );
    let mut nginx_from = match (args.nginx_version.is_some(), configured.file_sets_nginx) {
        (true, _) => Source::Option,
        (false, true) => Source::Config,
        (false, false) => Source::Default,
    };
    if nginx_from == Source::Default
        && live
        && let Some(v) = versions::detect_nginx()
    {
        settings.nginx_version = v;
        nginx_from = Source::Detected;
    }
    // Given (flag, config file: set by `Layer::resolve`) or detected.
    settings.nginx_version_known |= nginx_from == Source::Detected;
    let mut php_from = match (args.php_version.is_some(), configured.file_sets_php) {
        (true, _) => Source::Option,
        (false, true) => Source::Config,
        (false, false) => Source::Default,
    };
    if php_from == Source::Default && live {
        let mut trees = inputs.php_fpm.clone();
        if !inputs.no_discover {
            trees.extend(crate::load_fpm::live_dirs(std::path::Path::new("/")));
        }
        if let Some(v) = versions::php_from_paths(&trees).or_else(versions::detect_php_binary) {
            settings.php_version = v;
            php_from = Source::Detected;
        }
    }
    versions::InForce {
        nginx: settings.nginx_version,
        nginx_from,
        php: settings.php_version,
        php_from,
    }
}

/// Why a run found nothing to lint, for its error: each PATH walked again
/// (only on this failure path, so the run itself keeps no list of what it
/// passed over) and the files discovery passed over, grouped by reason.
pub fn nothing_found(paths: &[PathBuf]) -> String {
    use crate::discover::{self, Discovery, Kind};
    let shown = if paths.is_empty() {
        "/etc/nginx".to_string()
    } else {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut disc = Discovery::default();
    for p in paths {
        if p.is_dir() {
            discover::walk_dir(p, &mut disc);
        } else {
            discover::add_file(p, &mut disc);
        }
    }
    let name = |p: &std::path::Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let mut passed: Vec<(String, String)> = Vec::new();
    for f in &disc.files {
        let reason = match f.kind {
            Kind::Other(r) => r.to_string(),
            Kind::Service(p) => format!("{p} configuration, read only beside nginx"),
            Kind::Nginx | Kind::PhpFpm => continue,
        };
        passed.push((name(&f.path), reason));
    }
    for s in &disc.skipped {
        let n = name(std::path::Path::new(&s.path));
        // A binary file is both classified and noted: count it once.
        if !passed.iter().any(|(p, _)| *p == n) {
            passed.push((n, s.reason.clone()));
        }
    }
    if passed.is_empty() {
        return format!("no configuration found in {shown} (no files in it)");
    }
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (file, reason) in &passed {
        match groups.iter_mut().find(|(r, _)| r == reason) {
            Some((_, files)) => files.push(file),
            None => groups.push((reason, vec![file])),
        }
    }
    let groups: Vec<String> = groups
        .iter()
        .map(|(reason, files)| {
            let mut list = files.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            if files.len() > 3 {
                list.push_str(&format!(" and {} more", files.len() - 3));
            }
            format!("{reason}: {list}")
        })
        .collect();
    format!(
        "no configuration found in {shown} ({} skipped: {})",
        crate::report::plural(passed.len(), "file"),
        groups.join("; ")
    )
}

/// The subcommand a mistyped first word was probably meant to be, when
/// that word names no file either (`nginx-lint explane x`): without this
/// it is read as a PATH and fails as a missing file.
pub fn mistyped_subcommand(word: &std::ffi::OsStr) -> Option<String> {
    let word = word.to_str()?;
    if word.is_empty() || word.contains(['/', '.']) || std::path::Path::new(word).exists() {
        return None;
    }
    let cmd = <Cli as clap::CommandFactory>::command();
    let (d, name) = cmd
        .get_subcommands()
        .map(|s| s.get_name())
        .filter(|n| *n != "help")
        .map(|n| (crate::text::edit_distance(word, n), n.to_string()))
        .min()?;
    // Two edits (a transposition: `grpah`) but never most of the word.
    (d <= 2 && d * 2 < name.len()).then_some(name)
}

/// `--color`: when human output is coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether to colour, given whether stdout is a terminal and the
    /// environment (`NO_COLOR`, `CLICOLOR_FORCE`, read by `var`): an
    /// explicit `always`/`never` wins; in `auto`, CLICOLOR_FORCE set and
    /// not `0` colours, else NO_COLOR set and not empty does not, else a
    /// terminal does (no-color.org, bixense.com/clicolors, and the
    /// `colored` crate ruff uses, where CLICOLOR_FORCE wins over NO_COLOR).
    pub fn decide(self, tty: bool, var: impl Fn(&str) -> Option<String>) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                    return true;
                }
                if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    return false;
                }
                tty
            }
        }
    }
}

#[cfg(test)]
mod color_tests {
    use super::ColorWhen;

    #[test]
    fn color_follows_the_flag_then_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(ColorWhen::Auto.decide(true, env(&[])));
        assert!(!ColorWhen::Auto.decide(false, env(&[])));
        assert!(!ColorWhen::Auto.decide(true, env(&[("NO_COLOR", "1")])));
        assert!(ColorWhen::Auto.decide(true, env(&[("NO_COLOR", "")])));
        assert!(ColorWhen::Auto.decide(false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!ColorWhen::Auto.decide(false, env(&[("CLICOLOR_FORCE", "0")])));
        assert!(ColorWhen::Auto.decide(false, env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])));
        assert!(ColorWhen::Always.decide(false, env(&[("NO_COLOR", "1")])));
        assert!(!ColorWhen::Never.decide(true, env(&[("CLICOLOR_FORCE", "1")])));
    }
}
