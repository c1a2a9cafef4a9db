#!/usr/bin/env python3
"""Run a linter binary over the corpus the way a new user would and write
BASELINE.md with every error classified.

    baseline.py LINTER JSON_DIR > BASELINE.md
    baseline.py --errors LINTER JSON_DIR > testdata/realworld/errors.tsv

Two runs per project (outputs kept in JSON_DIR, not in git):
  repo:     LINTER --format json --no-config testdata/realworld/<slug>/repo
  deployed: deploy.py builds $NL_DEPLOY_DIR/<slug> (default /tmp/dep), then
            LINTER --format json --no-config --root OUT OUT/etc/nginx
                   [--php-fpm OUT/<php dir> [--php-fpm-prefix /usr/local]]
The classification below is by hand, written as rules over (project, rule,
file, message); UNCLASSIFIED marks an error no rule covers.

--errors prints one tab-separated row per error instead (project, run, rule,
file relative to the repository or to the deployed root, line, class, why),
sorted: tests/realworld_errors.rs compares it with testdata/realworld/errors.tsv.
"""
import collections, json, os, re, shutil, subprocess, sys, tomllib

DEP = os.environ.get("NL_DEPLOY_DIR", "/tmp/dep").rstrip("/")
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "testdata", "realworld")
ORIG = {"crlf-windows", "debian-php", "h5bp", "laravel", "legacy-rewrite", "magento",
        "maps-geo", "nextcloud", "reverse-proxy", "static-site", "stream-proxy",
        "tls-site", "wordpress"}

NOT_NGINX = re.compile(r"(^|/)(Dockerfile[^/]*|[^/]*\.dockerfile|run|finish|[^/]*\.sh|"
                       r"supervisord\.conf|env\.template|logrotate\.d/[^/]*)$")


def relative(mode, path):
    """The finding's file relative to the repository (repo run) or to the
    deployed root (deployed run), the same on every machine."""
    if mode == "repo":
        return path.split("/repo/", 1)[-1]
    return re.sub(r"^" + re.escape(DEP) + r"/[^/]+", "", path)


def classify(slug, mode, f):
    rule, msg = f["rule"], f["message"]
    base = relative(mode, f["file"])
    if NOT_NGINX.search(base):
        return "false", "misclassified file (Dockerfile/shell/supervisord/logrotate/env parsed as nginx)"
    if rule in ("syntax", "unknown-directive") and re.search(r"(fpm-pool\.conf|php\d*/php-fpm\.d/www\.conf)$", base):
        return "false", "misclassified file (php-fpm pool parsed as nginx)"
    if rule == "directive-duplicate":
        return "true", "nginx rejects it too (keepalive_timeout set in two included files)"
    if rule == "include-missing" and "resolves outside --root" in msg:
        return "false", "host leak: absolute symlink resolved on the host instead of under --root"
    if rule == "include-missing" and "sites-enabled" in msg and slug == "best-nginx-conf":
        return "true", "sites-enabled/default is a committed symlink to /home/rajib/...: dangling everywhere else"
    if rule == "include-missing" and mode == "deployed" and "sites-enabled" in msg:
        return "false", "host leak: absolute symlink sites-enabled/X -> /etc/nginx/sites-available/X looked up on the host, not under --root"
    if rule == "include-missing" and re.search(r'include "(fastcgi_params|mime\.types|fastcgi\.conf)"', msg):
        return "false", "stock file unknown (the base image/package provides it)"
    if rule == "fastcgi-params-missing":
        return "false", "stock file unknown (consequence: the image's fastcgi_params was not read)"
    if rule == "include-missing" and "/config/" in msg:
        return "false", "unknowable-in-repo (generated in /config at first start)"
    if rule == "include-missing" and "/etc/nginx/includes/" in msg:
        return "false", "unknowable-in-repo without --root: absolute path of a file the Dockerfile COPYs from the repo"
    if rule == "fpm-include-missing" and "env.conf" in msg:
        return "false", "unknowable-in-repo without --root: absolute path of a file `ADD docker/ /` puts there"
    if rule == "fpm-include-missing" and "/config/php" in msg:
        return "false", "rule semantics: php-fpm accepts an include glob that matches nothing (php-fpm -t ok)"
    if rule == "tls-missing-certificate" and slug == "mastodon":
        return "true", "nginx rejects it too (certificate lines commented out until certbot)"
    if rule == "tls-missing-certificate":
        return "false", "consequence of the unread /config/nginx/ssl.conf include (unknowable-in-repo)"
    if rule == "tls-certificate-file" and "snakeoil" in base:
        return "false", "orphan snippet: snippets/snakeoil.conf is included by nothing (its files come from ssl-cert)"
    if rule == "tls-certificate-file" and ".example" in base:
        return "false", "template not enabled (*.conf.example is not matched by the include)"
    if rule == "tls-certificate-file" and "default-ssl.conf" in base:
        return "false", "file not enabled (sites-available only; ##DOMAIN## placeholder filled by a script)"
    if rule == "tls-certificate-file":
        return "false", "unknowable-in-repo (certificate made at install/start: certbot, entrypoint, admin)"
    if rule == "directive-context" and slug == "django-on-docker" and mode == "deployed":
        return "false", "misclassified file: conf.d/nginx.conf (a vhost) taken for a main nginx.conf"
    if rule == "directive-context":
        return "false", "fragment outside its context (file meant for http/server context, linted standalone)"
    if rule == "proxy-pass-variable-resolver" and "FLASK_SERVER_ADDR" in msg:
        return "false", "template placeholder (envsubst at start)"
    if rule == "proxy-pass-variable-resolver":
        return "false", "rule semantics: the run-time value names an upstream block, no resolver is needed"
    if rule == "upstream-undefined" and "php-upstream" in msg:
        return "false", "unknowable-in-repo: the upstream is written by the Dockerfile (RUN echo ... > conf.d/upstream.conf)"
    if rule == "upstream-undefined" and "fastcgi_backend" in msg:
        return "false", "unknowable-in-repo: the upstream is in the vhost the admin writes around the included sample"
    if rule == "upstream-no-listener" and slug == "magento2-sample":
        return "true", "real problem as deployed verbatim: the example's php5-fpm socket, Debian's pool listens on php8.2-fpm.sock"
    if rule in ("fpm-invalid-value", "directive-value") and ("{{" in msg or slug == "erseco-alpine-php-webserver"):
        return "false", "template placeholder (rendered by the entrypoint; the raw file is invalid)"
    if rule in ("fpm-no-pool", "fpm-unknown-directive", "fpm-invalid-value"):
        return "false", "fragment outside its context (section-less pool fragment, read inside the previous file's [www])"
    if rule in ("fpm-user-root", "socket-permission") and slug in ("trafex-docker-php-nginx", "erseco-alpine-php-webserver", "biodiversity-php-fpm-noroot-socket", "cachethq-docker"):
        return "false", "rule semantics: the image runs php-fpm as a non-root USER (Dockerfile), so no user is needed and the socket is the same user's"
    if rule in ("listen-conflict", "fpm-pm-config", "fpm-user-root") and slug == "pterodactyl-panel":
        return "false", "not loaded: php-fpm.d/*.conf is not included by the replaced php-fpm.conf, yet linted as part of it"
    if rule == "unknown-directive" and "brotli" in msg:
        return "true", "nginx -t rejects the deployed tree too: its modules-enabled/ loads no brotli module (sury's package, which the project installs, would add one; the repository run only notes module-assumed)"
    if rule == "upstream-no-listener" and slug == "richarvey-nginx-php-fpm":
        return "true", "real problem: the Dockerfile's sed leaves listen commented, the pool listens on 9000, nginx passes to the socket"
    if rule == "upstream-no-listener" and slug == "grav":
        return "true", "real problem as deployed verbatim: placeholder socket /run/php/php-fpm.sock, Debian's pool listens on php8.2-fpm.sock"
    return "UNCLASSIFIED", ""


def lint(args):
    r = subprocess.run(args, capture_output=True, text=True)
    # A tree with no configuration the linter reads (everything hidden or
    # not configuration) fails loudly with exit 2 and no JSON: no findings.
    if r.returncode == 2 and "no configuration found" in r.stderr:
        return '{"findings": []}'
    return r.stdout


def projects():
    """The corpus projects baseline covers, with their deploy.toml."""
    for slug in sorted(os.listdir(CORPUS)):
        d = os.path.join(CORPUS, slug)
        if slug in ORIG or not os.path.isfile(os.path.join(d, "deploy.toml")):
            continue
        yield slug, d, tomllib.load(open(os.path.join(d, "deploy.toml"), "rb"))


def runs_of(linter, d, conf, out):
    """The two command lines for one project: repository and deployed."""
    runs = {"repo": [linter, "--format", "json", "--no-config", os.path.join(d, "repo")]}
    args = [linter, "--format", "json", "--no-config", "--root", out]
    nconf = conf.get("nginx_conf", "/etc/nginx/nginx.conf")
    if os.path.exists(out + nconf):
        args.append(out + os.path.dirname(nconf))
    pl = conf.get("php_layout") or ("php-docker" if conf.get("layout") == "php-docker" else None)
    if pl == "php-docker":
        args += ["--php-fpm", out + "/usr/local/etc", "--php-fpm-prefix", "/usr/local"]
    elif pl == "debian":
        args += ["--php-fpm", out + "/etc/php/8.2/fpm"]
    elif pl == "alpine":
        args += ["--php-fpm", out + conf.get("php_dir", "/etc/php83")]
    runs["deployed"] = args
    return runs


def lint_all(linter, jdir):
    """Yield (slug, mode, conf, findings) for every project and run; the
    JSON outputs are kept in jdir."""
    os.makedirs(jdir, exist_ok=True)
    for slug, d, conf in projects():
        out = DEP + "/" + slug
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "deploy.py"), d, out], check=True, capture_output=True)
        for mode, a in runs_of(linter, d, conf, out).items():
            text = lint(a)
            open(os.path.join(jdir, "%s.%s.json" % (slug, mode)), "w").write(text)
            yield slug, mode, conf, json.loads(text)["findings"]


def list_errors(linter, jdir):
    rows = []
    for slug, mode, _, findings in lint_all(linter, jdir):
        for f in findings:
            if f["severity"] == "error":
                verdict, why = classify(slug, mode, f)
                rows.append((slug, mode, f["rule"], relative(mode, f["file"]), str(f["line"]), verdict, why))
    sys.stdout.write("# project\trun\trule\tfile\tline\tclass\twhy (baseline.py --errors)\n")
    for r in sorted(rows):
        sys.stdout.write("\t".join(r) + "\n")


def main():
    if sys.argv[1] == "--errors":
        return list_errors(sys.argv[2], sys.argv[3])
    linter, jdir = sys.argv[1], sys.argv[2]
    rows = []
    totals = collections.Counter()
    classes = collections.Counter()
    warn_rules = collections.Counter()
    for slug, mode, conf, findings in lint_all(linter, jdir):
        sev = collections.Counter(f["severity"] for f in findings)
        errs = []
        for f in findings:
            if f["severity"] == "warning":
                warn_rules[(mode, f["rule"])] += 1
            if f["severity"] != "error":
                continue
            verdict, why = classify(slug, mode, f)
            classes[(mode, verdict, why)] += 1
            errs.append((f["rule"], verdict, why))
        totals[(mode, "error")] += sev["error"]
        totals[(mode, "warning")] += sev["warning"]
        totals[(mode, "info")] += sev["info"]
        rows.append((slug, mode, conf["verdict"], sev, errs))
    w = sys.stdout.write
    w("# Baseline: nginx-lint on the real-world corpus\n\n")
    w("Linter: `%s` (built from main). Runs: `repo` = `--format json --no-config testdata/realworld/<slug>/repo` "
      "(what a new user types in a checkout); `deployed` = `--format json --no-config --root OUT OUT/etc/nginx` "
      "plus `--php-fpm` on the php-fpm directory of the tree deploy.py builds (`--php-fpm-prefix /usr/local` for the php image). "
      "Verdicts are the real programs' on the deployed tree (deploy.toml). Classes: true = nginx/php-fpm also rejects, or a real problem; "
      "false = why not. Regenerate with `testdata/realworld/baseline.py LINTER /tmp/nl-json > testdata/realworld/BASELINE.md`.\n\n" % linter)
    notes = os.path.join(CORPUS, "baseline-notes.md")
    if os.path.exists(notes):
        w(open(notes).read() + "\n")
    w("## Totals\n\n| run | errors | true | false | warnings | infos |\n|---|---|---|---|---|---|\n")
    for mode in ("repo", "deployed"):
        t = sum(v for (m, vd, _), v in classes.items() if m == mode and vd == "true")
        fl = sum(v for (m, vd, _), v in classes.items() if m == mode and vd == "false")
        w("| %s | %d | %d | %d | %d | %d |\n" % (mode, totals[(mode, "error")], t, fl, totals[(mode, "warning")], totals[(mode, "info")]))
    w("\n## Errors by class\n\n| run | class | why | count |\n|---|---|---|---|\n")
    for (m, vd, why), v in sorted(classes.items(), key=lambda kv: (kv[0][0] != "repo", kv[0][1], -kv[1])):
        w("| %s | %s | %s | %d |\n" % (m, vd, why, v))
    w("\n## Warnings by rule\n\n| run | rule | count |\n|---|---|---|\n")
    for (m, r), v in sorted(warn_rules.items(), key=lambda kv: (kv[0][0] != "repo", -kv[1])):
        w("| %s | %s | %d |\n" % (m, r, v))
    w("\n## Per project\n")
    cur = None
    for slug, mode, verdict, sev, errs in rows:
        if slug != cur:
            cur = slug
            w("\n### %s\n\nnginx: `%s` · php-fpm: `%s`\n\n" % (slug, verdict["nginx"], verdict["php_fpm"]))
            w("| run | errors | warnings | infos |\n|---|---|---|---|\n")
            pend = []
        w("| %s | %d | %d | %d |\n" % (mode, sev["error"], sev["warning"], sev["info"]))
        pend.append((mode, errs))
        if mode == "deployed":
            for m, es in pend:
                if not es:
                    continue
                w("\n%s errors:\n\n| rule | class | why | n |\n|---|---|---|---|\n" % m)
                for (r, vd, why), n in collections.Counter(es).items():
                    w("| %s | %s | %s | %d |\n" % (r, vd, why, n))


if __name__ == "__main__":
    main()
