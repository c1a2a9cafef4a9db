//! What a Puma configuration file (`config/puma.rb`, Ruby) binds, read
//! without running Ruby: `port N`, `port ENV.fetch('PORT') { N }`,
//! `bind "tcp://HOST:PORT"` / `"unix://PATH"` with `#{ENV.fetch(...)}`
//! interpolations, under `if ENV['X']` / `else` / `end` and trailing
//! `if`/`unless ENV['X']` modifiers decided from the environment the
//! service runs with. Anything else that might bind (a condition on
//! something else, a variable) makes the answer unknown: None.
//!
//! Puma's DSL (Puma::DSL, lib/puma/dsl.rb): `port(port, host = nil)` binds
//! `tcp://HOST:PORT` with host defaulting to `0.0.0.0`; `bind(url)` adds a
//! `tcp://`, `ssl://` or `unix://` listener.

/// A bind: a TCP port (with whether it is loopback only) or a unix path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bind {
    Tcp { port: u16, loopback: bool },
    Unix(String),
}

/// The binds of a puma.rb; None when one cannot be told.
pub fn binds(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<Vec<Bind>> {
    // One entry per open block: Some(active) for an `if` decided from the
    // environment, None for one that cannot be, Some(true) for others.
    let mut stack: Vec<Option<bool>> = Vec::new();
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.split(" #").next().unwrap_or(raw).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(cond) = line.strip_prefix("if ") {
            stack.push(condition(cond, env));
            continue;
        }
        if let Some(cond) = line.strip_prefix("unless ") {
            stack.push(condition(cond, env).map(|b| !b));
            continue;
        }
        if line == "else" {
            if let Some(top) = stack.last_mut() {
                *top = top.map(|b| !b);
            }
            continue;
        }
        if line.starts_with("elsif ") {
            if let Some(top) = stack.last_mut() {
                *top = None;
            }
            continue;
        }
        if line == "end" {
            stack.pop();
            continue;
        }
        if opens_block(line) {
            stack.push(Some(true));
        }
        let (stmt, modifier) = split_modifier(line, env);
        let is_bind = stmt.starts_with("bind ") || stmt.starts_with("port ");
        if !is_bind {
            continue;
        }
        let active = stack
            .iter()
            .chain(std::iter::once(&modifier))
            .try_fold(true, |acc, c| c.map(|b| acc && b));
        match active {
            Some(true) => out.push(statement(stmt, env)?),
            Some(false) => {}
            None => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A line that opens a block closed by `end` (`on_worker_boot do`,
/// `begin`, `def`, `case`).
fn opens_block(line: &str) -> bool {
    line.ends_with(" do")
        || (line.contains(" do |") && line.ends_with('|'))
        || line == "begin"
        || line.starts_with("def ")
        || line.starts_with("case ")
}

/// `stmt if COND` / `stmt unless COND`: the statement and the condition.
fn split_modifier<'a>(
    line: &'a str,
    env: &dyn Fn(&str) -> Option<String>,
) -> (&'a str, Option<bool>) {
    if let Some((s, c)) = line.split_once(" if ") {
        return (s.trim(), condition(c, env));
    }
    if let Some((s, c)) = line.split_once(" unless ") {
        return (s.trim(), condition(c, env).map(|b| !b));
    }
    (line, Some(true))
}

/// `ENV['X']`, `ENV["X"]`, `ENV.key?('X')`: whether X is set (and not
/// empty); anything else is unknown.
fn condition(c: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    let c = c.trim().trim_end_matches(" then");
    let name = c
        .strip_prefix("ENV[")
        .and_then(|r| r.strip_suffix(']'))
        .or_else(|| {
            c.strip_prefix("ENV.key?(")
                .and_then(|r| r.strip_suffix(')'))
        })?;
    let name = unquote(name)?;
    Some(env(name).is_some_and(|v| !v.is_empty()))
}

fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
}

/// A Ruby expression for a value: a literal, `ENV['X']`,
/// `ENV.fetch('X') { D }`, `ENV.fetch('X', D)`, with `.to_i`.
fn value(e: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let e = e.trim().trim_end_matches(".to_i").trim();
    if let Some(s) = unquote(e) {
        return Some(s.to_string());
    }
    if e.chars().all(|c| c.is_ascii_digit()) && !e.is_empty() {
        return Some(e.to_string());
    }
    if let Some(r) = e.strip_prefix("ENV[") {
        return env(unquote(r.strip_suffix(']')?)?);
    }
    let r = e.strip_prefix("ENV.fetch(")?;
    let (args, block) = match r.split_once(')') {
        Some((a, b)) => (a, b.trim()),
        None => (r, ""),
    };
    let (name, default) = match args.split_once(',') {
        Some((n, d)) => (n, Some(d.trim())),
        None => (args, None),
    };
    let default = default.or_else(|| {
        block
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .map(str::trim)
    });
    match env(unquote(name)?) {
        Some(v) if !v.is_empty() => Some(v),
        _ => value(default?, env),
    }
}

/// A `"...#{expr}..."` string with its interpolations evaluated.
fn interpolate(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("#{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let close = after.find('}')?;
        // `{ 3000 }` blocks inside: take up to the matching brace.
        let mut depth = 0;
        let mut end = None;
        for (j, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = Some(j);
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let end = end.unwrap_or(close);
        out.push_str(&value(&after[..end], env)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The first `,` outside parentheses and braces.
fn top_level_comma(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

fn statement(stmt: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<Bind> {
    if let Some(arg) = stmt.strip_prefix("port ") {
        let (p, host) = match top_level_comma(arg) {
            Some(i) => (&arg[..i], value(&arg[i + 1..], env)),
            None => (arg, None),
        };
        let port = value(p, env)?.parse().ok()?;
        let loopback = host.is_some_and(|h| super::cmdline::is_loopback(&h));
        return Some(Bind::Tcp { port, loopback });
    }
    let arg = stmt.strip_prefix("bind ")?.trim();
    let quoted = arg.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
    let url = match quoted {
        Some(q) => interpolate(q, env)?,
        None => value(arg, env)?,
    };
    if let Some(path) = url.strip_prefix("unix://") {
        return Some(Bind::Unix(path.to_string()));
    }
    let addr = url.split_once("://").map_or(url.as_str(), |(_, a)| a);
    let addr = addr.split('?').next().unwrap_or(addr);
    let (_, port) = addr.rsplit_once(':')?;
    Some(Bind::Tcp {
        port: port.parse().ok()?,
        loopback: super::cmdline::is_loopback(addr),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mastodon's config/puma.rb (the binds part).
    const MASTODON: &str = "persistent_timeout ENV.fetch('PERSISTENT_TIMEOUT') { 20 }.to_i\n\nif ENV['SOCKET']\n  bind \"unix://#{ENV['SOCKET']}\"\nelse\n  bind \"tcp://#{ENV.fetch('BIND', '127.0.0.1')}:#{ENV.fetch('PORT', 3000)}\"\nend\n\non_worker_boot do\n  ActiveSupport.on_load(:active_record) do\n    ActiveRecord::Base.establish_connection\n  end\nend\n\nset_remote_address(proxy_protocol: :v1) if ENV['PROXY_PROTO_V1'] == 'true'\n";

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn mastodon_and_rails_defaults() {
        assert_eq!(
            binds(MASTODON, &env(&[("PORT", "3000")])),
            Some(vec![Bind::Tcp {
                port: 3000,
                loopback: true
            }])
        );
        assert_eq!(
            binds(MASTODON, &env(&[("SOCKET", "/run/m.sock")])),
            Some(vec![Bind::Unix("/run/m.sock".into())])
        );
        let rails = "threads_count = ENV.fetch(\"RAILS_MAX_THREADS\", 3)\nport ENV.fetch(\"PORT\", 3000)\nplugin :tmp_restart\n";
        assert_eq!(
            binds(rails, &env(&[])),
            Some(vec![Bind::Tcp {
                port: 3000,
                loopback: false
            }])
        );
        let old = "port        ENV.fetch(\"PORT\") { 3000 }\n";
        assert_eq!(
            binds(old, &env(&[("PORT", "3100")])),
            Some(vec![Bind::Tcp {
                port: 3100,
                loopback: false
            }])
        );
        // A condition we cannot decide: unknown.
        assert_eq!(
            binds(
                "if rails_env == 'production'\n  port 3000\nend\n",
                &env(&[])
            ),
            None
        );
        assert_eq!(binds("workers 2\n", &env(&[])), None);
    }
}
