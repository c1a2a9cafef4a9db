//! What an application server's command line makes it listen on: the
//! words of a container's `command:` / `CMD` / `ENTRYPOINT` (or a shell
//! line inside `sh -c`), with `$VAR`, `${VAR}` and `${VAR:-default}`
//! taken from the environment the command runs with.
//!
//! Flags and defaults, from each server's documentation:
//! - Gunicorn `-b/--bind HOST:PORT` (docs.gunicorn.org, settings, `bind`);
//!   without it a config file or `GUNICORN_CMD_ARGS` may bind: unknown.
//! - Uvicorn `--host`, `--port` (default 8000), `--uds` (uvicorn.org/settings).
//! - Hypercorn `-b/--bind` (hypercorn docs, configuring); without it: unknown
//!   (`-c` config).
//! - Daphne `-b HOST`, `-p PORT` (default 8000), `-u` socket (daphne README).
//! - waitress-serve `--port` (default 8080), `--listen HOST:PORT`
//!   (docs.pylonsproject.org/projects/waitress, runner).
//! - Puma `-p/--port`, `-b/--bind tcp://HOST:PORT` (puma README); without
//!   them config/puma.rb decides: unknown.
//! - `rails server -p PORT` (guides.rubyonrails.org, command line);
//!   without it puma.rb decides: unknown.
//! - `flask run --port/-p` or `FLASK_RUN_PORT` (flask CLI docs: every
//!   option reads `FLASK_RUN_<OPTION>`); without either, unknown (.flaskenv).
//! - Django `manage.py runserver [ADDR:]PORT` (default 8000, django-admin docs).
//! - `next start|dev -p PORT` or `PORT` (default 3000, Next.js CLI docs).
//! - uWSGI `--http`, `--http-socket`, `--socket`, `--uwsgi-socket`
//!   (`[HOST]:PORT`, uWSGI options reference).
//! - ASP.NET Core `--urls` (Kestrel endpoints docs; `ASPNETCORE_URLS` is
//!   read by the caller from the environment).
//! - Node run directly or through a package manager (`node`, `npm start`,
//!   `yarn`, `pnpm`): Node opens no port by itself; the app does, and by
//!   the convention of Express generators and PaaS hosts it reads `PORT`.
//!   Only a set `PORT` is believed; without it the port is unknown.

/// What a command line listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    /// The server (`gunicorn`, `uvicorn`, …).
    pub server: &'static str,
    pub ports: Vec<u16>,
    /// The command words that decide it, as written (for the help).
    pub words: String,
    /// It binds only loopback (explicitly, or by its documented default
    /// when no flag, variable or configuration file can change it).
    pub loopback: bool,
}

/// Whether a bind address (`127.0.0.1:8000`, `localhost`, `[::1]:80`,
/// `tcp://127.0.0.1:3000`) is loopback only.
pub fn is_loopback(addr: &str) -> bool {
    let a = addr.split("://").last().unwrap_or(addr);
    let host = if a.starts_with('[') {
        a.split(']').next().unwrap_or(a).trim_start_matches('[')
    } else {
        a.rsplit_once(':').map_or(a, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The words of a command after expansion of `$VAR` references: None
/// when one has no value (the command cannot be judged).
fn expand(word: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, default, len) = if let Some(inner) = after.strip_prefix('{') {
            let close = inner.find('}')?;
            let body = &inner[..close];
            let (n, d) = match body.split_once(":-").or_else(|| body.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (body, None),
            };
            (n, d, close + 2)
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], None, n)
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        match env(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(default?),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// The port of `HOST:PORT`, `:PORT`, `tcp://HOST:PORT`, `http://+:PORT`.
fn port_of(addr: &str) -> Option<u16> {
    let a = addr
        .split("://")
        .last()
        .unwrap_or(addr)
        .trim_end_matches('/');
    if a.starts_with("unix:") || a.starts_with('/') {
        return None;
    }
    let (_, p) = a.rsplit_once(':')?;
    p.parse().ok()
}

fn base(w: &str) -> &str {
    w.rsplit('/').next().unwrap_or(w)
}

/// A flag's values: `-b X`, `--bind X`, `--bind=X`, `-bX` (short only).
fn flag_values<'a>(args: &'a [String], short: &[&str], long: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if short.contains(&a) || long.contains(&a) {
            if let Some(v) = args.get(i + 1) {
                out.push(v.as_str());
            }
            i += 2;
            continue;
        }
        if let Some((k, v)) = a.split_once('=')
            && long.contains(&k)
        {
            out.push(v);
        } else if let Some(s) = short
            .iter()
            .find(|s| a.len() > s.len() && a.starts_with(**s))
        {
            out.push(&a[s.len()..]);
        }
        i += 1;
    }
    out
}

/// Program names of the servers read here (and the interpreters that
/// start them): a command naming one is worth reading.
const SERVERS: &[&str] = &[
    "gunicorn",
    "gunicorn3",
    "uvicorn",
    "hypercorn",
    "daphne",
    "waitress-serve",
    "puma",
    "rails",
    "node",
    "nodejs",
    "npm",
    "yarn",
    "pnpm",
    "next",
    "uwsgi",
    "dotnet",
    "flask",
    "manage.py",
];

/// Whether a command's words run one of the servers read here (its port
/// may still be unknown).
pub fn runs_server(words: &[String]) -> bool {
    words.iter().any(|w| SERVERS.contains(&base(w)))
}

/// The server a command runs and what it listens on; None when no known
/// server is run or its port cannot be told.
pub fn listen(words: &[String], env: &dyn Fn(&str) -> Option<String>) -> Option<Listen> {
    // `sh -c "…"`: the shell line's words.
    if let Some(i) = words.iter().position(|w| w == "-c")
        && i > 0
        && matches!(base(&words[i - 1]), "sh" | "bash" | "ash" | "dash")
        && let Some(line) = words.get(i + 1)
    {
        let inner = crate::dockerfile::shell_words(line);
        if let Some(l) = listen(&inner, env) {
            return Some(l);
        }
    }
    // The last command of a `a && b; c` chain that runs a known server.
    let mut best = None;
    for seg in words.split(|w| matches!(w.as_str(), "&&" | ";" | "||" | "|")) {
        let expanded: Option<Vec<String>> = seg.iter().map(|w| expand(w, env)).collect();
        let Some(seg) = expanded else { continue };
        for (i, w) in seg.iter().enumerate() {
            if let Some(l) = server(base(w), &seg[i + 1..], env) {
                best = Some(Listen {
                    words: seg[i..].join(" "),
                    ..l
                });
                break;
            }
        }
    }
    best
}

fn listen_of(server: &'static str, ports: Vec<u16>) -> Option<Listen> {
    (!ports.is_empty()).then(|| Listen {
        server,
        ports,
        words: String::new(),
        loopback: false,
    })
}

/// [`listen_of`], binding loopback only when `loopback`.
fn listen_lo(server: &'static str, ports: Vec<u16>, loopback: bool) -> Option<Listen> {
    listen_of(server, ports).map(|l| Listen { loopback, ..l })
}

/// The ports in the values of a flag that takes addresses (`-b HOST:PORT`).
fn ports_of(args: &[String], short: &[&str], long: &[&str]) -> Vec<u16> {
    flag_values(args, short, long)
        .into_iter()
        .filter_map(port_of)
        .collect()
}

/// The first value of a flag that takes a bare port (`-p 3000`).
fn port_flag(args: &[String], short: &[&str], long: &[&str]) -> Option<u16> {
    flag_values(args, short, long)
        .first()
        .and_then(|p| p.parse().ok())
}

/// A port flag is given but its value is not a port (an unexpanded
/// `%i`, `%(ENV_PORT)s`): the server's default does not apply, the port
/// is unknown.
fn port_unreadable(args: &[String], short: &[&str], long: &[&str]) -> bool {
    flag_values(args, short, long)
        .first()
        .is_some_and(|p| p.parse::<u16>().is_err())
}

/// A known server at `prog` with its arguments.
fn server(prog: &str, args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Option<Listen> {
    if let Some(l) = python_server(prog, args, env) {
        return Some(l);
    }
    let ports = |s: &[&str], l: &[&str]| ports_of(args, s, l);
    let port_flag = |s: &[&str], l: &[&str]| port_flag(args, s, l);
    let sub = args.first().map(String::as_str).unwrap_or_default();
    match prog {
        "puma" => {
            let mut p = ports(&["-b"], &["--bind"]);
            p.extend(port_flag(&["-p"], &["--port"]));
            listen_of("puma", p)
        }
        "rails" if matches!(sub, "s" | "server") => listen_of(
            "rails server",
            port_flag(&["-p"], &["--port"]).into_iter().collect(),
        ),
        "next" if matches!(sub, "start" | "dev") => {
            if port_unreadable(args, &["-p"], &["--port"]) {
                return None;
            }
            let p = port_flag(&["-p"], &["--port"])
                .or_else(|| env("PORT").and_then(|v| v.parse().ok()))
                .unwrap_or(3000);
            listen_of("next", vec![p])
        }
        "uwsgi" => listen_of(
            "uwsgi",
            ports(
                &[],
                &[
                    "--http",
                    "--http-socket",
                    "--socket",
                    "--uwsgi-socket",
                    "-s",
                ],
            ),
        ),
        "node" | "nodejs" | "npm" | "yarn" | "pnpm" => listen_of(
            "node",
            env("PORT")
                .and_then(|v| v.trim().parse().ok())
                .into_iter()
                .collect(),
        ),
        "dotnet" => listen_of(
            "dotnet",
            flag_values(args, &[], &["--urls"])
                .iter()
                .flat_map(|u| u.split(';'))
                .filter_map(port_of)
                .collect(),
        ),
        _ => None,
    }
}

/// The Python servers: Gunicorn, Hypercorn, Uvicorn, Daphne, waitress,
/// `flask run`, Django's runserver.
fn python_server(
    prog: &str,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Listen> {
    let ports = |s: &[&str], l: &[&str]| ports_of(args, s, l);
    let port_flag = |s: &[&str], l: &[&str]| port_flag(args, s, l);
    let sub = args.first().map(String::as_str).unwrap_or_default();
    match prog {
        "gunicorn" | "gunicorn3" | "hypercorn" => {
            let binds = flag_values(args, &["-b"], &["--bind"]);
            let lo = !binds.is_empty() && binds.iter().all(|b| is_loopback(b));
            let name = if prog == "hypercorn" {
                "hypercorn"
            } else {
                "gunicorn"
            };
            listen_lo(name, ports(&["-b"], &["--bind"]), lo)
        }
        // Uvicorn takes every option from UVICORN_<OPTION> too; its host
        // defaults to 127.0.0.1.
        "uvicorn" => {
            if !flag_values(args, &[], &["--uds", "--fd"]).is_empty()
                || port_unreadable(args, &[], &["--port"])
            {
                return None;
            }
            let port = port_flag(&[], &["--port"])
                .or_else(|| env("UVICORN_PORT").and_then(|v| v.parse().ok()))
                .unwrap_or(8000);
            let host = flag_values(args, &[], &["--host"])
                .first()
                .map(|h| h.to_string())
                .or_else(|| env("UVICORN_HOST"))
                .unwrap_or_else(|| "127.0.0.1".into());
            listen_lo("uvicorn", vec![port], is_loopback(&host))
        }
        // Daphne binds 127.0.0.1 unless -b says otherwise.
        "daphne" => {
            if !flag_values(args, &["-u"], &["--unix-socket"]).is_empty()
                || port_unreadable(args, &["-p"], &["--port"])
            {
                return None;
            }
            let host = flag_values(args, &["-b"], &["--bind"])
                .first()
                .map_or("127.0.0.1", |h| *h);
            listen_lo(
                "daphne",
                vec![port_flag(&["-p"], &["--port"]).unwrap_or(8000)],
                is_loopback(host),
            )
        }
        "waitress-serve" => {
            if port_unreadable(args, &[], &["--port"]) {
                return None;
            }
            let mut p = ports(&[], &["--listen"]);
            if p.is_empty() {
                p.push(port_flag(&[], &["--port"]).unwrap_or(8080));
            }
            listen_of("waitress", p)
        }
        "flask" if sub == "run" => {
            let p = port_flag(&["-p"], &["--port"])
                .or_else(|| env("FLASK_RUN_PORT").and_then(|v| v.parse().ok()));
            // Without --host or FLASK_RUN_HOST, a .flaskenv may set it.
            let host = flag_values(args, &["-h"], &["--host"])
                .first()
                .map(|h| h.to_string())
                .or_else(|| env("FLASK_RUN_HOST"));
            listen_lo(
                "flask run",
                p.into_iter().collect(),
                host.is_some_and(|h| is_loopback(&h)),
            )
        }
        // runserver's default address is 127.0.0.1:8000; a bare port
        // keeps 127.0.0.1.
        "manage.py" if sub == "runserver" => {
            let addr = args.get(1).filter(|a| !a.starts_with('-'));
            let (p, lo) = match addr {
                Some(a) if a.contains(':') => (port_of(a), is_loopback(a)),
                Some(a) => (a.parse().ok(), true),
                None => (Some(8000), true),
            };
            listen_lo("runserver", p.into_iter().collect(), lo)
        }
        _ => None,
    }
}

/// `ASPNETCORE_URLS=http://+:5000;https://+:5001`: the ports.
pub fn urls_ports(v: &str) -> Vec<u16> {
    v.split(';').filter_map(port_of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        crate::dockerfile::shell_words(s)
    }

    fn ports(cmd: &str, env: &[(&str, &str)]) -> Option<Vec<u16>> {
        let e = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        listen(&w(cmd), &e).map(|l| l.ports)
    }

    #[test]
    fn servers_and_their_flags() {
        assert_eq!(
            ports("gunicorn -w 3 -t 60 -b 0.0.0.0:8000 app:app", &[]),
            Some(vec![8000])
        );
        assert_eq!(
            ports("gunicorn --bind=:8001 app:app", &[]),
            Some(vec![8001])
        );
        assert_eq!(ports("gunicorn -c conf.py app:app", &[]), None);
        assert_eq!(
            ports(
                "sh -c 'python manage.py migrate && gunicorn x.wsgi -b 0.0.0.0:${PORT:-8000}'",
                &[]
            ),
            Some(vec![8000])
        );
        assert_eq!(
            ports("gunicorn -b 0.0.0.0:$APP_PORT app", &[("APP_PORT", "5005")]),
            Some(vec![5005])
        );
        assert_eq!(ports("gunicorn -b 0.0.0.0:$APP_PORT app", &[]), None);
        assert_eq!(
            ports("uvicorn main:app --host 0.0.0.0 --port 80", &[]),
            Some(vec![80])
        );
        assert_eq!(
            ports("uvicorn main:app --host 0.0.0.0", &[]),
            Some(vec![8000])
        );
        // A port flag whose value is not a port: unknown, not the default.
        assert_eq!(ports("uvicorn main:app --port %i", &[]), None);
        assert_eq!(ports("daphne -p '' x.asgi:application", &[]), None);
        assert_eq!(
            ports("daphne -b 0.0.0.0 -p 8001 x.asgi:application", &[]),
            Some(vec![8001])
        );
        assert_eq!(
            ports("waitress-serve --listen=*:6543 app:main", &[]),
            Some(vec![6543])
        );
        assert_eq!(ports("bundle exec puma -p 3001", &[]), Some(vec![3001]));
        assert_eq!(ports("bundle exec puma -C config/puma.rb", &[]), None);
        assert_eq!(
            ports("bundle exec rails s -p 3000 -b 0.0.0.0", &[]),
            Some(vec![3000])
        );
        assert_eq!(
            ports("flask run", &[("FLASK_RUN_PORT", "8000")]),
            Some(vec![8000])
        );
        assert_eq!(ports("flask run", &[]), None);
        assert_eq!(
            ports("python manage.py runserver 0.0.0.0:8000", &[]),
            Some(vec![8000])
        );
        assert_eq!(ports("npx next start -p 4000", &[]), Some(vec![4000]));
        assert_eq!(
            ports("uwsgi --http :9090 --wsgi-file app.py", &[]),
            Some(vec![9090])
        );
        assert_eq!(
            ports("dotnet app.dll --urls http://+:5000", &[]),
            Some(vec![5000])
        );
        assert_eq!(ports("npm start", &[]), None);
        assert_eq!(ports("npm start", &[("PORT", "3000")]), Some(vec![3000]));
        assert_eq!(
            ports("/usr/bin/node /srv/app/server.js", &[("PORT", "4000")]),
            Some(vec![4000])
        );
        assert_eq!(urls_ports("http://+:80;https://+:443"), vec![80, 443]);
    }

    #[test]
    fn loopback_binds() {
        let lo = |cmd: &str, env: &[(&str, &str)]| {
            let e = |k: &str| {
                env.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            };
            listen(&w(cmd), &e).map(|l| l.loopback)
        };
        assert_eq!(lo("uvicorn main:app", &[]), Some(true));
        assert_eq!(lo("uvicorn main:app --host 0.0.0.0", &[]), Some(false));
        assert_eq!(
            lo("uvicorn main:app", &[("UVICORN_HOST", "0.0.0.0")]),
            Some(false)
        );
        assert_eq!(lo("gunicorn -b 127.0.0.1:8000 app", &[]), Some(true));
        assert_eq!(lo("gunicorn -b :8000 app", &[]), Some(false));
        assert_eq!(lo("python manage.py runserver", &[]), Some(true));
        assert_eq!(lo("python manage.py runserver 8000", &[]), Some(true));
        assert_eq!(
            lo("python manage.py runserver 0.0.0.0:8000", &[]),
            Some(false)
        );
        assert_eq!(lo("daphne -p 8001 x.asgi:application", &[]), Some(true));
        assert_eq!(lo("flask run --port 5000", &[]), Some(false));
        assert_eq!(
            lo("flask run --port 5000 --host localhost", &[]),
            Some(true)
        );
    }
}
