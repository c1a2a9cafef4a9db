#!/usr/bin/env python3
"""Build the deployed tree of one corpus project and ask the real programs.

    deploy.py PROJECT_DIR OUT [--check] [--json]

PROJECT_DIR holds deploy.toml and repo/.  OUT is created (must not exist or
be empty).  The tree under OUT is the file system the configuration is
deployed into: OUT/etc/nginx/..., OUT/usr/local/etc/... (for the official
php image), OUT/etc/php/8.2/fpm/... (Debian), and so on.  Nothing in the
corpus is changed: files are copied (symlinks kept as symlinks).

With --check the tree is handed to the installed programs (Debian's nginx
1.22.1 and php-fpm8.2) in a private mount namespace (``unshare -m``, needs
root; also -n, a private network namespace with only lo, so the sockets
nginx -t binds never touch the host's network, with
net.ipv4.ip_unprivileged_port_start=0 as Docker sets it): OUT becomes the root of a chroot in which the host's /usr, /dev and
/proc are bind-mounted (and bin/lib/sbin are the usrmerge symlinks), so every
absolute path in the configuration means what it means in the deployed
system, and nothing has to be rewritten.  OUT/etc is the deployed /etc, so
the host's /etc/nginx, /etc/php and /etc/hosts are invisible.  The files a
libc/openssl need (ld.so.cache, nsswitch.conf, ssl/openssl.cnf,
ssl/certs/ca-certificates.crt) are copied from the host when the tree has
none; /etc/passwd and /etc/group get the users a Debian, Alpine, nginx or
php image has (root, daemon, nobody, www-data, nginx) plus deploy.toml's
``users``; /etc/hosts gets localhost plus deploy.toml's ``hosts`` (Compose
service names, mapped to 127.0.0.1); /etc/resolv.conf points at 127.0.0.1
so a name that is not in hosts fails at once instead of leaking to the
host's resolver.

Missing TLS material is stubbed: nginx -t is run, and while its first error
says a certificate, key, dhparam or trusted-CA file cannot be loaded, a
throwaway self-signed pair (openssl, made once per run) or a small dhparam
file is written at that path in OUT and the test is run again.  The paths
stubbed are reported.  Nothing else is stubbed.

The nginx binary is Debian's (modules http_* built in, stream/geoip2/echo/
... dynamic).  For layout nginx-docker the official image has stream and
mail built in, so ``-g 'load_module .../ngx_stream_module.so;'`` is passed;
for debian the tree's own modules-enabled/ is used.  Debian's binary has
compiled-in temp paths under /var/lib/nginx, created in OUT.

deploy.toml keys (besides the documented layout/place/verdict):
  php_layout = "php-docker" | "debian" | "alpine"   php-fpm base when
               layout names the nginx side (Compose stacks with both)
  php_dir    = "/etc/php84"     alpine: the php-fpm config dir
  php_conf   = "/usr/local/etc/php-fpm.conf"  main php-fpm file to test
  php_prefix = "/usr/local"     php-fpm -p (php-docker default)
  nginx_conf = "/etc/nginx/nginx.conf"
  remove     = ["/etc/nginx/conf.d/default.conf"]   files a Dockerfile or
               entrypoint deletes from the base image
  nginx_run_as / php_run_as     the same for one program only
  [[edit]] file = "/etc/nginx/nginx.conf", replace = [["a", "b"]],
           append = "..."   a Dockerfile's sed -i / echo >> on a base file
  [[link]] to = "/etc/nginx/sites-enabled/x", target = "/etc/nginx/sites-available/x"
           a symlink the install instructions make
  [[write]] to = "/etc/nginx/conf.d/upstream.conf", text = "..."  a file
           a Dockerfile writes (RUN echo ... > file)
  mkdir      = ["/usr/share/nginx/cache"]  directories a Dockerfile creates
               (made world-writable)
  users      = ["app"]          extra users to exist
  run_as     = "nobody"         the image's USER: both programs are run as it
               (chroot --userspec), and run/, tmp/, var/log/nginx,
               var/lib/nginx, var/cache/nginx are made world-writable
  [[place]] from/to; to ending in "/" means "into that directory";
            a directory is copied whole; envsubst = true renders the copy
            the way an entrypoint's envsubst does, with the [env] table;
            replace = [["{{X}}", "5"]] does an entrypoint's sed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STOCK = os.path.join(REPO, "testdata", "stock")
# The stock files nginx-lint embeds (src/stock/mod.rs names their sources):
# one copy, read by the linter and placed here, for each base layout.
EMBEDDED = os.path.join(REPO, "src", "stock")
NGINX_CONF = ["fastcgi.conf", "fastcgi_params", "koi-utf", "koi-win", "mime.types",
              "scgi_params", "uwsgi_params", "win-utf"]
EMBEDDED_BY_LAYOUT = {
    # pkg-oss nginx.install: no fastcgi.conf, no koi-*/win-utf in the image.
    "nginx-docker": [("nginx/" + n, "etc/nginx/" + n) for n in
                     ("fastcgi_params", "mime.types", "scgi_params", "uwsgi_params")]
                    + [("docker/nginx.conf", "etc/nginx/nginx.conf"),
                       ("docker/conf.d/default.conf", "etc/nginx/conf.d/default.conf")],
    "debian-nginx": [("nginx/" + n, "etc/nginx/" + n) for n in NGINX_CONF]
                    + [("debian/snippets/fastcgi-php.conf", "etc/nginx/snippets/fastcgi-php.conf"),
                       ("debian/snippets/snakeoil.conf", "etc/nginx/snippets/snakeoil.conf")],
    "alpine-nginx": [("nginx/" + n, "etc/nginx/" + n) for n in
                     ("fastcgi.conf", "fastcgi_params", "mime.types", "scgi_params", "uwsgi_params")],
}

BASE_USERS = [
    ("root", 0, 0, "/root"),
    ("daemon", 1, 1, "/usr/sbin"),
    ("www-data", 33, 33, "/var/www"),
    ("nginx", 101, 101, "/var/cache/nginx"),
    ("nobody", 65534, 65534, "/nonexistent"),
]
BASE_GROUPS = [("root", 0), ("daemon", 1), ("www-data", 33), ("nginx", 101),
               ("nogroup", 65534), ("nobody", 65533)]


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(src):
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(os.readlink(src), dst)
    elif os.path.isdir(src):
        # merge into dst like `cp -a src/. dst/`, replacing what is there
        if os.path.lexists(dst) and not os.path.isdir(dst):
            os.remove(dst)
        os.makedirs(dst, exist_ok=True)
        os.chmod(dst, os.stat(src).st_mode & 0o7777)
        for name in os.listdir(src):
            d = os.path.join(dst, name)
            if os.path.islink(d) or (os.path.lexists(d) and not os.path.isdir(d)):
                os.remove(d)
            copy(os.path.join(src, name), d)
    else:
        shutil.copy2(src, dst)


def stock(out, name):
    src = os.path.join(STOCK, name)
    for top in (os.listdir(src) if os.path.isdir(src) else []):
        if top == "SOURCE.md":
            continue
        copy(os.path.join(src, top), os.path.join(out, top))
    for frm, to in EMBEDDED_BY_LAYOUT.get(name, []):
        copy(os.path.join(EMBEDDED, frm), os.path.join(out, to))


def alpine_php(out, php_dir):
    """Alpine's php-fpm files, derived from the php-docker ones."""
    d = os.path.join(out, php_dir.lstrip("/"))
    os.makedirs(os.path.join(d, "php-fpm.d"), exist_ok=True)
    with open(os.path.join(STOCK, "php-docker/usr/local/etc/php-fpm.conf")) as f:
        main = f.read().replace("include=etc/php-fpm.d/*.conf",
                                "include=%s/php-fpm.d/*.conf" % php_dir)
    with open(os.path.join(d, "php-fpm.conf"), "w") as f:
        f.write(main)
    with open(os.path.join(STOCK, "php-docker/usr/local/etc/php-fpm.d/www.conf")) as f:
        www = f.read()
    www = www.replace("user = www-data", "user = nobody").replace(
        "group = www-data", "group = nobody").replace(
        ";listen = 127.0.0.1:9000", "listen = 127.0.0.1:9000")
    with open(os.path.join(d, "php-fpm.d", "www.conf"), "w") as f:
        f.write(www)


def build(project, out, conf):
    layout = conf.get("layout", "none")
    php_layout = conf.get("php_layout")
    os.makedirs(out, exist_ok=True)
    for d in ("etc", "var/log/nginx", "var/cache/nginx", "var/lib/nginx",
              "run", "tmp", "var/www/html"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    if not os.path.lexists(os.path.join(out, "var/run")):
        os.symlink("/run", os.path.join(out, "var/run"))  # as on Debian and Alpine
    if layout == "nginx-docker":
        stock(out, "nginx-docker")
        os.makedirs(os.path.join(out, "usr/share/nginx/html"), exist_ok=True)
    elif layout == "debian":
        stock(out, "debian-nginx")
    elif layout == "alpine":
        stock(out, "alpine-nginx")
    elif layout == "php-docker":
        php_layout = php_layout or "php-docker"
    elif layout != "none":
        raise SystemExit("unknown layout %r" % layout)
    if php_layout == "php-docker":
        stock(out, "php-docker")
        # the image's php-fpm has prefix /usr/local and logs by default to
        # /usr/local/var/log/php-fpm.log; Debian's php-fpm8.2 run with
        # -p /usr/local looks for /usr/local/log/: both exist here
        for d in ("usr/local/var/log", "usr/local/var/run", "usr/local/log"):
            os.makedirs(os.path.join(out, d), exist_ok=True)
    elif php_layout == "debian":
        stock(out, "debian-php")
    elif php_layout == "alpine":
        alpine_php(out, conf.get("php_dir", "/etc/php83"))
    for path in conf.get("mkdir", []):
        p = os.path.join(out, path.lstrip("/"))
        os.makedirs(p, exist_ok=True)
        os.chmod(p, 0o1777)
    for path in conf.get("remove", []):
        p = os.path.join(out, path.lstrip("/"))
        if os.path.lexists(p):
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.remove(p)
    for pl in conf.get("place", []):
        src = os.path.join(project, pl["from"])
        to = pl["to"]
        if to.endswith("/"):
            to = to + os.path.basename(pl["from"].rstrip("/"))
        dst = os.path.join(out, to.lstrip("/"))
        copy(src, dst)
        if pl.get("envsubst"):
            envsubst(dst, conf.get("env", {}))
        if pl.get("replace"):
            # what an entrypoint's `sed 's,{{X}},value,g'` does
            with open(dst) as f:
                text = f.read()
            for a, b in pl["replace"]:
                text = text.replace(a, b)
            with open(dst, "w") as f:
                f.write(text)
    for ln in conf.get("link", []):
        # a symlink the install instructions make (ln -s target to)
        p = os.path.join(out, ln["to"].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(ln["target"], p)
    for wr in conf.get("write", []):
        # a file a Dockerfile writes itself (RUN echo "..." > file)
        p = os.path.join(out, wr["to"].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(wr["text"])
    for ed in conf.get("edit", []):
        # what a Dockerfile's `sed -i` / `echo >>` does to a base-image file
        p = os.path.join(out, ed["file"].lstrip("/"))
        with open(p) as f:
            text = f.read()
        for a, b in ed.get("replace", []):
            text = text.replace(a, b)
        text += ed.get("append", "")
        with open(p, "w") as f:
            f.write(text)
    return layout, php_layout


def envsubst(path, env):
    """What `envsubst "$(env | ...)"` in an entrypoint does: replace $NAME
    and ${NAME} for the names in env (deploy.toml [env], taken from the
    Dockerfile's ENV / the compose file), leave every other $word alone."""
    with open(path) as f:
        text = f.read()

    def sub(m):
        name = m.group(1) or m.group(2)
        return str(env[name]) if name in env else m.group(0)
    text = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, text)
    with open(path, "w") as f:
        f.write(text)


def write_etc(out, conf):
    etc = os.path.join(out, "etc")
    users = list(BASE_USERS)
    groups = list(BASE_GROUPS)
    for i, u in enumerate(conf.get("users", [])):
        users.append((u, 1000 + i, 1000 + i, "/home/" + u))
        groups.append((u, 1000 + i))
    with open(os.path.join(etc, "passwd"), "w") as f:
        for n, uid, gid, home in users:
            f.write("%s:x:%d:%d::%s:/usr/sbin/nologin\n" % (n, uid, gid, home))
    with open(os.path.join(etc, "group"), "w") as f:
        for n, gid in groups:
            f.write("%s:x:%d:\n" % (n, gid))
    with open(os.path.join(etc, "hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")
        for h in conf.get("verdict", {}).get("hosts", []):
            f.write("127.0.0.1 %s\n" % h)
    with open(os.path.join(etc, "resolv.conf"), "w") as f:
        f.write("nameserver 127.0.0.1\n")
    with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
        f.write("passwd: files\ngroup: files\nhosts: files dns\n")
    for rel in ("ld.so.cache", "ssl/openssl.cnf", "ssl/certs/ca-certificates.crt",
                "localtime"):
        dst = os.path.join(etc, rel)
        if not os.path.lexists(dst) and os.path.exists("/etc/" + rel):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.realpath("/etc/" + rel), dst)
    for d in ("usr", "dev", "proc"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for name in ("bin", "lib", "lib64", "sbin"):
        p = os.path.join(out, name)
        if os.path.islink("/" + name) and not os.path.lexists(p):
            os.symlink(os.readlink("/" + name), p)


def in_root(out, argv, user=None):
    """Run argv chrooted in OUT inside a private mount namespace."""
    usr_over = []
    shadow = os.path.join(out, ".usr")
    if os.path.isdir(shadow):
        for rel in ("local", "share/nginx"):
            if os.path.isdir(os.path.join(shadow, rel)):
                usr_over.append(rel)
    # new network namespace too: nginx -t binds its listen sockets, which
    # must not touch the host's network; Docker lets unprivileged users bind
    # low ports in a container (ip_unprivileged_port_start=0), so does this
    script = ["set -e", "mount --make-rprivate /",
              "ip link set lo up",
              "sysctl -q -w net.ipv4.ip_unprivileged_port_start=0",
              "mount --rbind /usr %s/usr" % out,
              "mount --rbind /dev %s/dev" % out,
              "mount --rbind /proc %s/proc" % out]
    for rel in usr_over:
        script.append("mount --bind %s/.usr/%s %s/usr/%s" % (out, rel, out, rel))
    if user:
        script.append('exec chroot --userspec=%s:%s %s "$@"' % (user, user, out))
    else:
        script.append('exec chroot %s "$@"' % out)
    # stdout/stderr are world-writable files, not pipes: a program run as
    # the image's user must be able to reopen /dev/stdout and /dev/stderr
    with tempfile.TemporaryFile("w+") as o, tempfile.TemporaryFile("w+") as e:
        os.fchmod(o.fileno(), 0o666)
        os.fchmod(e.fileno(), 0o666)
        r = subprocess.run(["unshare", "-m", "-n", "sh", "-c", "\n".join(script), "sh"]
                           + argv, stdout=o, stderr=e)
        o.seek(0)
        e.seek(0)
        return subprocess.CompletedProcess(argv, r.returncode, o.read(), e.read())


def move_usr(out):
    """Placed files under /usr go to OUT/.usr and are bind-mounted later."""
    usr = os.path.join(out, "usr")
    if os.path.isdir(usr) and os.listdir(usr):
        shadow = os.path.join(out, ".usr")
        copy(usr, shadow)
        shutil.rmtree(usr)
        for rel in os.listdir(shadow):
            pass


STUB_PATTERNS = [
    (re.compile(r'cannot load certificate key "([^"]+)"'), "key"),
    (re.compile(r'cannot load certificate "([^"]+)"'), "cert"),
    (re.compile(r'SSL_CTX_load_verify_locations\("([^"]+)"\)'), "cert"),
    (re.compile(r'BIO_new_file\("([^"]+)"\) failed'), "dh"),
    (re.compile(r'PEM_read_bio_DHparams\("([^"]+)"\)'), "dh"),
]


def first_error(text):
    for line in text.splitlines():
        m = re.search(r"\[(emerg|alert|crit)\] (?:\d+#\d+: )?(.*)", line)
        if m:
            # without the time stamp and pid, which change from run to run
            return "[%s] %s" % (m.group(1), m.group(2).strip())
    for line in text.splitlines():
        if re.search(r"\b(ALERT|ERROR):", line):
            return re.sub(r"^\[[^\]]*\] ", "", line.strip())
    return None


def check(out, conf, layout, php_layout, log):
    res = {"stubbed": []}
    material = tempfile.mkdtemp(prefix="nl-stub-")
    pair = None
    nconf = conf.get("nginx_conf", "/etc/nginx/nginx.conf")
    argv = ["/usr/sbin/nginx", "-t", "-c", nconf]
    if layout == "nginx-docker":
        argv += ["-g", "load_module /usr/lib/nginx/modules/ngx_stream_module.so;"]
    has_nginx = os.path.exists(os.path.join(out, nconf.lstrip("/")))
    res["nginx"] = "n/a"
    for _ in range(20 if has_nginx else 0):
        r = in_root(out, argv, conf.get("nginx_run_as", conf.get("run_as")))
        text = r.stderr + r.stdout
        log.append("$ " + " ".join(argv) + "\n" + text)
        err = first_error(text)
        if r.returncode == 0:
            res["nginx"] = "ok"
            res["nginx_warn"] = [l.strip() for l in text.splitlines() if "[warn]" in l]
            break
        stubbed = False
        for pat, kind in STUB_PATTERNS:
            m = pat.search(err or "")
            if not m:
                continue
            path = m.group(1)
            dst = os.path.join(out, path.lstrip("/"))
            if os.path.exists(dst):
                break
            if pair is None:
                subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                                "-nodes", "-subj", "/CN=stub.invalid", "-days", "2",
                                "-keyout", material + "/k.pem", "-out",
                                material + "/c.pem"], capture_output=True, check=True)
                subprocess.run(["openssl", "dhparam", "-dsaparam", "-out",
                                material + "/dh.pem", "1024"], capture_output=True,
                               check=True)
                pair = True
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            src = {"key": "k.pem", "cert": "c.pem", "dh": "dh.pem"}[kind]
            shutil.copy(os.path.join(material, src), dst)
            if kind == "cert":
                # a cert file may also be used as its own key (combined pem)
                with open(dst, "a") as f, open(material + "/k.pem") as k:
                    f.write(k.read())
            res["stubbed"].append(path)
            stubbed = True
            break
        if not stubbed:
            res["nginx"] = err or text.strip().splitlines()[0]
            break
    shutil.rmtree(material, ignore_errors=True)
    pconf = conf.get("php_conf")
    prefix = conf.get("php_prefix")
    if not pconf:
        if php_layout == "php-docker":
            pconf, prefix = "/usr/local/etc/php-fpm.conf", prefix or "/usr/local"
        elif php_layout == "debian":
            pconf = "/etc/php/8.2/fpm/php-fpm.conf"
        elif php_layout == "alpine":
            pconf = conf.get("php_dir", "/etc/php83") + "/php-fpm.conf"
    res["php_fpm"] = "n/a"
    if pconf:
        argv = ["/usr/sbin/php-fpm8.2", "-n", "-t", "-y", pconf]
        if prefix:
            argv += ["-p", prefix]
        r = in_root(out, argv, conf.get("php_run_as", conf.get("run_as")))
        text = r.stderr + r.stdout
        log.append("$ " + " ".join(argv) + "\n" + text)
        res["php_fpm"] = "ok" if r.returncode == 0 else (first_error(text) or text.strip())
    return res


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    if len(args) != 2:
        raise SystemExit(__doc__)
    project, out = (os.path.abspath(a) for a in args)
    with open(os.path.join(project, "deploy.toml"), "rb") as f:
        conf = tomllib.load(f)
    if os.path.exists(out) and os.listdir(out):
        raise SystemExit("%s is not empty" % out)
    layout, php_layout = build(project, out, conf)
    if "--check" not in flags:
        print(out)
        return
    write_etc(out, conf)
    move_usr(out)
    if conf.get("run_as"):
        # the image runs as this user (Dockerfile USER): the directories its
        # Dockerfile hands over (logs, run, temp) are made writable for it
        for d in ("run", "tmp", "var/log/nginx", "var/lib/nginx", "var/cache/nginx",
                  "var/www/html"):
            p = os.path.join(out, d)
            os.chmod(p, 0o1777)
    os.makedirs(os.path.join(out, "usr"), exist_ok=True)
    log = []
    res = check(out, conf, layout, php_layout, log)
    # put /usr content back so that OUT reads as the deployed tree
    shadow = os.path.join(out, ".usr")
    if os.path.isdir(shadow):
        copy(shadow, os.path.join(out, "usr"))
        shutil.rmtree(shadow)
    with open(os.path.join(out, ".deploy-log.txt"), "w") as f:
        f.write("\n".join(log))
    if "--json" in flags:
        print(json.dumps(res, indent=1))
    else:
        print("nginx:   %s" % res["nginx"])
        print("php_fpm: %s" % res["php_fpm"])
        if res["stubbed"]:
            print("stubbed: %s" % ", ".join(res["stubbed"]))
        for w in res.get("nginx_warn", []):
            print("warn:    %s" % w)


if __name__ == "__main__":
    main()
