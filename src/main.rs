//! The binary: argument parsing, exit codes, panic containment. The work is
//! in the library.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;
use nginx_lint::cli::{
    Cli, ColorWhen, Command, InputArgs, LintArgs, ListFormat, configure, configure_full,
    versions_in_force,
};
use nginx_lint::finding::Severity;
use nginx_lint::report::{self, Format, HumanStyle};
use nginx_lint::{Inputs, Options, registry};

fn main() -> ExitCode {
    nginx_lint::heap::tune();
    // A bug must never show a user a backtrace: report it and exit 2.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "nginx-lint: internal error{at}: {msg}\nThis is a bug in nginx-lint; please report it with the input that caused it."
        );
    }));
    match std::panic::catch_unwind(real_main) {
        Ok(code) => code,
        Err(_) => ExitCode::from(2),
    }
}

fn real_main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.command.is_none()
        && let Some(first) = cli.lint.input.paths.first()
        && let Some(name) = nginx_lint::cli::mistyped_subcommand(first.as_os_str())
    {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let e = cmd.error(
            clap::error::ErrorKind::InvalidSubcommand,
            format!(
                "unrecognized subcommand '{}' (and no such file or directory); did you mean '{name}'?",
                first.display()
            ),
        );
        let _ = e.print();
        return ExitCode::from(2);
    }
    match cli.command {
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Explain { id }) => explain(&id),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "nginx-lint", &mut out);
            emit(&String::from_utf8_lossy(&out));
            ExitCode::SUCCESS
        }
        Some(Command::Manpage) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => {
                    emit(&String::from_utf8_lossy(&out));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("manpage: {e}")),
            }
        }
        Some(Command::Dump { input }) => dump(&input),
        Some(Command::Graph { input, format }) => graph(&input, format),
        Some(Command::Route {
            url,
            input,
            request,
            format,
            no_cache,
        }) => route(&input, &url, &request, format, no_cache),
        None => lint(&cli.lint),
    }
}

/// Write to stdout; a closed pipe (`| head`) ends the output quietly.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("nginx-lint: {msg}");
    ExitCode::from(2)
}

fn inputs(args: &InputArgs) -> Result<Inputs, String> {
    let mut paths = Vec::new();
    let mut stdin = None;
    let mut named = args.paths.clone();
    // `--stdin-filename` names stdin, so it means `-`: without this the
    // default tree (/etc/nginx) was linted and stdin ignored.
    if args.stdin_filename.is_some() && !named.iter().any(|p| p.as_os_str() == "-") {
        if !named.is_empty() {
            return Err(
                "--stdin-filename reads stdin, which cannot be combined with other paths".into(),
            );
        }
        named.push("-".into());
    }
    for p in &named {
        if p.as_os_str() == "-" {
            // A terminal would leave the run waiting for a config nobody
            // means to type.
            if std::io::stdin().is_terminal() {
                return Err(
                    "stdin is a terminal: pipe a configuration in, e.g. `nginx-lint --stdin-filename site.conf < site.conf`".into(),
                );
            }
            let mut buf = Vec::new();
            std::io::stdin()
                .take(nginx_lint::vfs::MAX_FILE_SIZE + 1)
                .read_to_end(&mut buf)
                .map_err(|e| format!("stdin: {e}"))?;
            if buf.len() as u64 > nginx_lint::vfs::MAX_FILE_SIZE {
                return Err("stdin: input over the 64 MiB limit".into());
            }
            let name = args
                .stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".into());
            stdin = Some((name, buf));
        } else {
            paths.push(p.clone());
        }
    }
    if stdin.is_some() && !paths.is_empty() {
        return Err("`-` (stdin) cannot be combined with other paths".into());
    }
    if let Some(root) = &args.root
        && !root.is_dir()
    {
        return Err(format!("--root {}: not a directory", root.display()));
    }
    Ok(Inputs {
        listeners: Vec::new(),
        paths,
        stdin,
        root: args.root.clone(),
        prefix: args.prefix.clone(),
        php_fpm: args.php_fpm.clone(),
        php_fpm_prefix: args.php_fpm_prefix.clone(),
        no_discover: args.no_discover,
        services: args.services.clone(),
        live: false,
        exclude: args.exclude_patterns().0,
        extend_exclude: args.exclude_patterns().1,
        force_exclude: args.force_exclude,
    })
}

fn lint(args: &LintArgs) -> ExitCode {
    let mut inputs = match inputs(&args.input) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    let configured = match configure_full(&args.input, args.layer(), &mut inputs) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let mut settings = configured.resolved.settings.clone();
    args.apply_system(&mut settings, inputs.root.as_deref());
    let versions = versions_in_force(args, &configured, &inputs, &mut settings);
    let resolved = configured.resolved;
    let paths = inputs.paths.clone();
    inputs.live = args.live;
    let outcome = match nginx_lint::run_then(&Options { inputs, settings }, |analysis| {
        // The process ends soon: the kernel frees the model at once.
        std::mem::forget(analysis)
    }) {
        Ok(o) => o,
        Err(e) => return fail(&e.0),
    };
    if analysed_nothing(args, &paths, &outcome.loaded) {
        return fail(&nginx_lint::cli::nothing_found(&paths));
    }
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let format = args
        .format
        .unwrap_or(if tty { Format::Human } else { Format::Concise });
    let when = if args.no_color {
        ColorWhen::Never
    } else {
        args.color
    };
    let color = when.decide(tty, |k| std::env::var(k).ok());
    let mut view = outcome.view();
    view.versions = Some(versions);
    let no_skipped = [];
    let listed: Vec<nginx_lint::loaded::Skipped>;
    if args.quiet {
        view.skipped = &no_skipped;
        view.not_config = 0;
    } else if args.verbose {
        listed = outcome
            .loaded
            .skipped
            .iter()
            .chain(&outcome.loaded.passed)
            .chain(&outcome.loaded.not_config)
            .cloned()
            .collect();
        view.skipped = &listed;
    }
    let text = render_text(args, &view, format, tty, color);
    let mut lock = stdout.lock();
    if lock
        .write_all(text.as_bytes())
        .and_then(|_| lock.flush())
        .is_err()
    {
        // A closed pipe (`| head`) is not an error of ours.
        return ExitCode::from(2);
    }
    if format == Format::Concise && !args.quiet {
        eprintln!("{}", report::summary_line(&view, false));
    }
    if format == Format::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
        && let Err(e) = append_step_summary(&path, &report::github::step_summary(&view))
    {
        return fail(&format!(
            "GITHUB_STEP_SUMMARY {}: {e}",
            std::path::Path::new(&path).display()
        ));
    }
    let level = resolved.fail_level.unwrap_or(Severity::Warning);
    let code = if !args.exit_zero && outcome.worst().is_some_and(|w| w >= level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing every parsed directive one by one
    // (tens of thousands of allocations) is work the kernel does at once.
    std::mem::forget(outcome);
    std::mem::forget(text);
    code
}

/// The report on stdout: the findings in `format`, or `--statistics`.
fn render_text(
    args: &LintArgs,
    view: &report::ReportView<'_>,
    format: Format,
    tty: bool,
    color: bool,
) -> String {
    let mut text = if args.statistics {
        let mut t = report::statistics(view, format == Format::Json);
        if format == Format::Human {
            t.push_str(&report::summary_line(view, true));
            t.push('\n');
        }
        t
    } else {
        report::render(
            view,
            format,
            HumanStyle {
                color,
                width: 100,
                unicode: tty,
                help: !args.no_help,
            },
        )
    };
    if args.quiet && format == Format::Human {
        drop_summary_line(&mut text);
    }
    text
}

/// Nothing analysed must not pass as "no findings" (exit 0): a wrong PATH
/// in CI would keep the check green forever. Except when every named path
/// was left out on purpose: a pre-commit hook with --force-exclude passes
/// the changed files, all excluded.
fn analysed_nothing(
    args: &LintArgs,
    paths: &[std::path::PathBuf],
    loaded: &nginx_lint::Loaded,
) -> bool {
    let all_excluded = args.input.force_exclude
        && !paths.is_empty()
        && paths.iter().all(|p| {
            let shown = p.display().to_string();
            loaded.passed.iter().any(|s| s.path == shown)
        });
    loaded.files.iter().next().is_none() && loaded.fpm.is_none() && !all_excluded
}

/// GitHub's job summary file is appended to by every step that writes it.
fn append_step_summary(path: &std::ffi::OsStr, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Human output without its last line (the summary), for --quiet.
fn drop_summary_line(text: &mut String) {
    if let Some(i) = text.trim_end().rfind('\n') {
        text.truncate(i + 1);
    } else {
        text.clear();
    }
}

fn list_rules(format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Json => {
            let list: Vec<_> = registry::RULES
                .iter()
                .map(|m| {
                    serde_json::json!({"id": m.id, "category": m.category, "severity": m.severity, "severities": m.severities, "summary": m.summary})
                })
                .collect();
            emit(&(serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"));
        }
        ListFormat::Table => {
            let mut text = format!(
                "{:<30} {:<12} {:<20} SUMMARY\n",
                "ID", "CATEGORY", "SEVERITY"
            );
            for m in registry::RULES {
                text.push_str(&format!(
                    "{:<30} {:<12} {:<20} {}\n",
                    m.id,
                    m.category,
                    registry::severities_shown(m),
                    m.summary
                ));
            }
            emit(&text);
        }
    }
    ExitCode::SUCCESS
}

fn explain(id: &str) -> ExitCode {
    match registry::meta(id) {
        Some(m) => {
            let tty = std::io::stdout().is_terminal();
            let color = ColorWhen::Auto.decide(tty, |k| std::env::var(k).ok());
            emit(&nginx_lint::report::page::render_page(m.page, tty, color));
            ExitCode::SUCCESS
        }
        None => fail(&format!(
            "no rule `{id}`; closest: {}",
            registry::nearest(id, 3).join(", ")
        )),
    }
}

fn graph(args: &InputArgs, format: nginx_lint::graph::GraphFormat) -> ExitCode {
    let mut inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    // The config file's paths and declared listeners shape the graph too.
    let settings = match configure(args, Default::default(), &mut inputs) {
        Ok(r) => r.settings,
        Err(e) => return fail(&e),
    };
    match nginx_lint::graph(&Options { inputs, settings }, format) {
        Ok(text) => {
            emit(&text);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.0),
    }
}

fn route(
    args: &InputArgs,
    url: &str,
    request: &nginx_lint::cli::RouteArgs,
    format: nginx_lint::route::render::RouteFormat,
    no_cache: bool,
) -> ExitCode {
    let mut req = match nginx_lint::route::request::Request::from_url(
        url,
        &request.method,
        &request.headers,
        request.client_ip.as_deref(),
    ) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if let Some(sni) = &request.sni {
        req.sni = (!sni.is_empty()).then(|| sni.clone());
    }
    req.client_cert = request.client_cert;
    req.version = request.http_version;
    if request.no_host
        && let Err(e) = req.without_host(&request.headers)
    {
        return fail(&e);
    }
    if request.absolute_form {
        req.absolute_form(url);
    }
    // The machine's name, as gethostname(2) gives it to nginx.
    if request.live {
        req.hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty());
    }
    // Files are looked at under --root, or on this machine with --live.
    req.files = match (&args.root, request.live) {
        (Some(r), _) => Some(r.clone()),
        (None, true) => Some(std::path::PathBuf::from("/")),
        (None, false) => None,
    };
    let mut inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    // The config file's paths and declared listeners apply, as for graph.
    let settings = match configure(args, Default::default(), &mut inputs) {
        Ok(r) => r.settings,
        Err(e) => return fail(&e),
    };
    let cache = if no_cache {
        None
    } else {
        nginx_lint::route::index::default_dir()
    };
    let opts = Options { inputs, settings };
    let lazy = nginx_lint::route::lazy::Loading::Lazy;
    let exit = nginx_lint::route::lazy::Afterwards::LeaveToExit;
    match nginx_lint::route_indexed(&opts, &req, format, lazy, cache.as_deref(), exit) {
        Ok(text) => {
            emit(&text);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.0),
    }
}

fn dump(args: &InputArgs) -> ExitCode {
    let inputs = match inputs(args) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    match nginx_lint::run(&Options {
        inputs,
        settings: Default::default(),
    }) {
        Ok(o) => {
            // crossplane reports parse errors only, not lint findings.
            let parse_errors: Vec<_> = o
                .findings
                .into_iter()
                .filter(|f| matches!(f.rule, "syntax" | "include-missing" | "include-cycle"))
                .collect();
            emit(&nginx_lint::dump::render(&o.loaded, &parse_errors));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.0),
    }
}
