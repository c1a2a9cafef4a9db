//! `variable-unknown` against the real nginx (`nginx -t`): generated cases
//! of built-in, prefix, defined, captured and undefined variables in every
//! place the rule reads, http and stream. A finding of ours on a tree nginx
//! accepts fails the test; the agreement is printed
//! (`cargo test --test variable_unknown -- --nocapture`).

#[path = "support/nginx.rs"]
mod harness;

use harness::{Verdict, case_dir, installed_version, lint, nginx_t, parallel, require_nginx};
use nginx_lint::nginx::variables;

const STREAM_SO: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// A complete http tree: `http_body` at http level, `location` in a
/// location of a server.
fn http(http_body: &str, location: &str) -> String {
    format!(
        "events {{}}\nhttp {{\n    access_log off;\n{http_body}\n    server {{\n        \
         listen 127.0.0.1:8080;\n        location / {{\n{location}\n        }}\n    }}\n}}\n"
    )
}

/// A stream tree whose server has `server_body`.
fn stream(stream_body: &str, server_body: &str) -> String {
    format!(
        "load_module {STREAM_SO};\nevents {{}}\nstream {{\n{stream_body}\n    server {{\n        \
         listen 127.0.0.1:8081;\n{server_body}\n    }}\n}}\n"
    )
}

/// What one case came to.
#[derive(Debug)]
struct Outcome {
    text: String,
    nginx: Verdict,
    ours: Vec<String>,
}

impl Outcome {
    /// nginx's `unknown "x" variable`, if that is what it said.
    fn nginx_unknown(&self) -> Option<&str> {
        match &self.nginx {
            Verdict::Err { message, .. } if message.starts_with("unknown \"") => Some(message),
            _ => None,
        }
    }

    fn agrees(&self) -> bool {
        match self.nginx_unknown() {
            Some(m) => self.ours.iter().any(|o| o == m),
            None => self.ours.is_empty(),
        }
    }
}

fn judge(text: &String) -> Outcome {
    let dir = case_dir();
    std::fs::write(dir.path().join("nginx.conf"), text).expect("write nginx.conf");
    let ours = lint(dir.path())
        .into_iter()
        .filter(|l| l.rule == "variable-unknown")
        .map(|l| l.message)
        .collect();
    Outcome {
        text: text.clone(),
        nginx: nginx_t(dir.path()),
        ours,
    }
}

/// Every built-in variable of the version installed, used, and the same
/// name with a typo (unless a prefix still answers for it).
fn builtin_cases() -> Vec<String> {
    let v = installed_version().expect("nginx -v");
    let mut out = Vec::new();
    for s in variables::all().iter().filter(|s| s.available_in(v)) {
        let name = if s.prefix {
            format!("{}foo", s.name)
        } else {
            s.name.to_string()
        };
        let typo = format!("{name}zz");
        for n in [name, typo] {
            out.push(if s.stream {
                stream("", &format!("        return \"${n}\";"))
            } else {
                http("", &format!("            add_header X-V \"${n}\";"))
            });
        }
    }
    out
}

/// Each place a value is compiled, with an undefined and a built-in name,
/// in two cases (nginx lowercases names). Not all upper case: an
/// environment-style `$NOPE` is held as a template placeholder.
fn use_site_cases() -> Vec<String> {
    let loc = [
        "set $a $V;",
        "if ($V) { return 404; }",
        "if ($host = $V) { return 404; }",
        "if ($host = \"a$V\") { return 404; }",
        "if (-f $document_root$V) { return 404; }",
        "return 302 /x?$V;",
        "rewrite ^/(.*)$ /$1$V last;",
        "add_header X \"$V\";",
        "proxy_pass http://127.0.0.1:1/$V;",
        "root /srv/$V;",
        "try_files $uri /$V =404;",
        "index index.$V.html;",
        "error_page 404 /e$V;",
        "access_log /dev/null combined if=$V;",
        "proxy_set_header X $V;",
        "fastcgi_param X $V;",
        "uwsgi_param X $V;",
        "scgi_param X $V;",
        "grpc_set_header X $V;",
        "auth_request_set $a $V;",
        "auth_basic $V;",
        "proxy_no_cache $V;",
        "secure_link $V;",
        "limit_rate $V;",
    ];
    let top = [
        "map $V $m { default 1; }",
        "map $host $m { default $V; }",
        "map $host $m { default 1; a \"x$V\"; }",
        "split_clients $V $s { * a; }",
        "geo $V $g { default 1; }",
        "log_format f '$V';",
        "log_format f escape=json \"${V}\";",
        "limit_req_zone $V zone=z:1m rate=1r/s;",
        "proxy_cache_key $V;",
        "proxy_set_header X $V;",
    ];
    let mut out = Vec::new();
    for v in ["nope", "remote_addr", "NoPe", "Remote_Addr"] {
        for l in loc {
            out.push(http(
                "",
                &format!("            {}", l.replace("$V", &format!("${v}"))),
            ));
        }
        for t in top {
            let t = t
                .replace("$V", &format!("${v}"))
                .replace("{V}", &format!("{{{v}}}"));
            out.push(http(&format!("    {t}"), ""));
        }
    }
    out
}

/// Definitions, wherever they stand in the http block, and look-alikes
/// that are no variables.
fn definition_cases() -> Vec<String> {
    let other =
        |body: &str| format!("    server {{\n        listen 127.0.0.1:8082;\n{body}\n    }}");
    let mut out = vec![
        http(&other("        set $d 1;"), "            return 200 $d;"),
        http(&other("        location ~ ^/(?<d>.*)$ { }"), "            return 200 $d;"),
        http(&other("        location ~ ^/(?P<d>.*)$ { }"), "            return 200 $d;"),
        http(&other("        location ~ ^/(?'d'.*)$ { }"), "            return 200 $d;"),
        http(&other("        server_name ~^(?<d>.+)\\.example$;"), "            return 200 $d;"),
        http(&other("        if ($uri ~ (?<d>x)) { }"), "            return 200 $d;"),
        http(&other("        rewrite (?<d>x) /y;"), "            return 200 $d;"),
        http("    map $uri $d { default 1; }", "            return 200 $D;"),
        http("    map $uri $x { ~(?<d>.) 1; }", "            return 200 $d;"),
        http("    geo $d { default 1; }", "            return 200 $d;"),
        http("    geo $remote_addr $d { default 1; }", "            return 200 $d;"),
        http("    split_clients $uri $d { * a; }", "            return 200 $d;"),
        http("", "            auth_request_set $d $host;\n            return 200 $d;"),
        http("", "            rewrite ^/(.*)$ /$1 break;"),
        http("", "            return 200 \"$1$9\";"),
        http("", "            return 200 \"$0\";"),
        http("", "            return 200 \"$http_\";"),
        http("", "            set $d 1;\n            return 200 $d$d;"),
        http("", "            return 200 $d;\n            set $d 1;"),
        http("    log_format f '$1';", ""),
        http("    proxy_set_header X $nope;", "").replace(
            "    server {\n        listen 127.0.0.1:8080;\n        location / {\n\n        }\n    }\n",
            "",
        ),
    ];
    out.extend([
        stream(
            "    map $remote_addr $d { default 1; }",
            "        return $d;",
        ),
        stream("", "        set $d 1;\n        return $d;"),
        stream("", "        return $request_uri;"),
        stream("", "        proxy_pass $nope;"),
        stream("    log_format f '$nope';", "        return 1;"),
        stream("    split_clients $nope $s { * a; }", "        return 1;"),
    ]);
    out
}

#[test]
fn unknown_variables_agree_with_nginx() {
    if require_nginx().is_none() || !std::path::Path::new(STREAM_SO).is_file() {
        return;
    }
    let mut cases = builtin_cases();
    cases.extend(use_site_cases());
    cases.extend(definition_cases());
    let outcomes = parallel(&cases, 2, judge);
    let agree = outcomes.iter().filter(|o| o.agrees()).count();
    let mut false_errors = Vec::new();
    for o in outcomes.iter().filter(|o| !o.agrees()) {
        eprintln!(
            "disagree: nginx {:?}, ours {:?}\n{}",
            o.nginx, o.ours, o.text
        );
        if !o.ours.is_empty() && o.nginx_unknown().is_none() {
            false_errors.push(o);
        }
    }
    let refused = outcomes
        .iter()
        .filter(|o| o.nginx_unknown().is_some())
        .count();
    eprintln!(
        "variable-unknown differential: {} cases ({refused} refused by nginx), {agree} agree",
        outcomes.len()
    );
    assert!(
        false_errors.is_empty(),
        "errors on trees nginx accepts: {false_errors:#?}"
    );
    assert!(
        refused > 100,
        "too few refusals: the cases do not exercise the rule"
    );
}
