#!/usr/bin/env python3
"""Generate src/nginx/schema_table.rs: a table of nginx directives.

The table is derived from the C sources of nginx itself (every release tag
from release-1.18.0 on) and of a set of widely used third-party modules
(newest commit only).  Only facts are extracted (directive names, context and
argument flags, handler names, enum/bitmask value names, versions); no code
of those projects ends up in the output.

Python 3.11, standard library only.  Not run in CI: its output is committed.

Usage:
    python3 tools/gen_nginx_schema.py [--mirror-root DIR] [--out FILE]

DIR holds git directories laid out as DIR/<owner>+<name>/repo (for example
DIR/nginx+nginx/repo); the sources are read with `git cat-file` at the release
tags (nginx) or at HEAD (third-party modules), so no work tree is needed.
Missing third-party repositories are skipped with a warning.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Configuration

OLDEST_TAG = (1, 18, 0)

# (group, mirror directory name, path prefixes to scan)
THIRD_PARTY = [
    ("lua", "openresty+lua-nginx-module", ["src/"]),
    ("stream-lua", "openresty+stream-lua-nginx-module", ["src/"]),
    ("headers-more", "openresty+headers-more-nginx-module", ["src/"]),
    ("brotli", "google+ngx_brotli", ["filter/", "static/"]),
    ("njs", "nginx+njs", ["nginx/"]),
    ("geoip2", "leev+ngx_http_geoip2_module", [""]),
    ("vts", "vozlt+nginx-module-vts", ["src/"]),
    ("cache-purge", "nginx-modules+ngx_cache_purge", [""]),
    ("echo", "openresty+echo-nginx-module", ["src/"]),
    ("set-misc", "openresty+set-misc-nginx-module", ["src/"]),
    ("naxsi", "wargio+naxsi", ["naxsi_src/"]),
    ("modsecurity", "owasp-modsecurity+ModSecurity-nginx", ["src/"]),
    ("srcache", "openresty+srcache-nginx-module", ["src/"]),
    ("redis2", "openresty+redis2-nginx-module", ["src/"]),
    ("ndk", "vision5+ngx_devel_kit", ["src/", "objs/"]),
    ("otel", "nginx+nginx-otel", ["src/"]),
    # Packaged by Debian as libnginx-mod-* (see /usr/share/nginx/modules-available).
    ("auth-pam", "sto+ngx_http_auth_pam_module", [""]),
    ("dav-ext", "arut+nginx-dav-ext-module", [""]),
    ("subs-filter", "yaoweibin+ngx_http_substitutions_filter_module", [""]),
    ("upstream-fair", "gnosek+nginx-upstream-fair", [""]),
    ("fancyindex", "aperezdc+ngx-fancyindex", [""]),
    # Also packaged by Debian/Ubuntu (libnginx-mod-http-uploadprogress,
    # libnginx-mod-http-memc, libnginx-mod-nchan; `apt-cache search
    # libnginx-mod`) and Alpine (nginx-mod-http-upload-progress,
    # nginx-mod-http-nchan, ...).
    ("upload-progress", "masterzen+nginx-upload-progress-module", [""]),
    ("memc", "openresty+memc-nginx-module", ["src/"]),
    ("nchan", "slact+nchan", ["src/"]),
    # The rest of Alpine's nginx-mod-* (the sources of aports main/nginx;
    # its lua-upstream and zip modules add no directives: a Lua API and a
    # response header).
    ("zstd", "tokers+zstd-nginx-module", ["filter/", "static/"]),
    ("keyval", "kjdev+nginx-keyval", ["src/"]),
    ("upload", "vkholodkov+nginx-upload-module", [""]),
    ("upstream-jdomain", "nicholaschiasson+ngx_upstream_jdomain", ["src/"]),
    ("array-var", "openresty+array-var-nginx-module", ["src/"]),
    ("encrypted-session", "openresty+encrypted-session-nginx-module", ["src/"]),
    ("traffic-accounting", "Lax+traffic-accounting-nginx-module", ["src/"]),
    ("auth-jwt", "kjdev+nginx-auth-jwt", ["src/"]),
    ("cookie-flag", "AirisX+nginx_cookie_flag_module", [""]),
    ("log-zmq", "danifbento+nginx-log-zmq", ["src/"]),
    ("shibboleth", "nginx-shib+nginx-http-shibboleth", [""]),
    ("slowfs-cache", "dvershinin+ngx_slowfs_cache", [""]),
    ("untar", "ajax16384+ngx_http_untar_module", [""]),
    ("vod", "kaltura+nginx-vod-module", [""]),
    ("dynamic-upstream", "ZigzagAK+ngx_dynamic_upstream", ["src/"]),
    ("dynamic-healthcheck", "ZigzagAK+ngx_dynamic_healthcheck", ["src/"]),
    # The modules OpenResty bundles that are not above.
    ("form-input", "calio+form-input-nginx-module", ["src/"]),
    ("iconv", "calio+iconv-nginx-module", ["src/"]),
    ("rds-json", "openresty+rds-json-nginx-module", ["src/"]),
    ("rds-csv", "openresty+rds-csv-nginx-module", ["src/"]),
    ("xss", "openresty+xss-nginx-module", ["src/"]),
    ("drizzle", "openresty+drizzle-nginx-module", ["src/"]),
    ("postgres", "openresty+ngx_postgres", ["src/"]),
]

# Paths inside third-party repositories that are never part of the module.
EXCLUDE_PARTS = {"t", "test", "tests", "examples", "example", "patches", "distros", "util"}

# nginx's own modules that `./configure --with-...=dynamic` can build as a
# shared object (auto/options).  Mail and stream are one .so per subsystem
# (all of its modules, see auto/modules), except stream_geoip.
NGINX_DYNAMIC = {
    "ngx_http_xslt_filter_module": "ngx_http_xslt_filter_module.so",
    "ngx_http_image_filter_module": "ngx_http_image_filter_module.so",
    "ngx_http_geoip_module": "ngx_http_geoip_module.so",
    "ngx_http_perl_module": "ngx_http_perl_module.so",
    "ngx_stream_geoip_module": "ngx_stream_geoip_module.so",
}


def nginx_dynamic_so(module: str) -> str | None:
    if module in NGINX_DYNAMIC:
        return NGINX_DYNAMIC[module]
    if module.startswith("ngx_mail_"):
        return "ngx_mail_module.so"
    if module.startswith("ngx_stream_"):
        return "ngx_stream_module.so"
    return None


# Context flag macros (by name: their numeric values overlap between
# subsystems, e.g. NGX_HTTP_MAIN_CONF == NGX_EVENT_CONF) -> Rust ctx names.
CTX_MAP = {
    "NGX_MAIN_CONF": "MAIN",
    "NGX_EVENT_CONF": "EVENTS",
    "NGX_HTTP_MAIN_CONF": "HTTP",
    "NGX_HTTP_SRV_CONF": "HTTP_SRV",
    "NGX_HTTP_LOC_CONF": "HTTP_LOC",
    "NGX_HTTP_UPS_CONF": "HTTP_UPS",
    "NGX_HTTP_SIF_CONF": "HTTP_SIF",
    "NGX_HTTP_LIF_CONF": "HTTP_LIF",
    "NGX_HTTP_LMT_CONF": "HTTP_LMT",
    "NGX_STREAM_MAIN_CONF": "STREAM",
    "NGX_STREAM_SRV_CONF": "STREAM_SRV",
    "NGX_STREAM_UPS_CONF": "STREAM_UPS",
    "NGX_MAIL_MAIN_CONF": "MAIL",
    "NGX_MAIL_SRV_CONF": "MAIL_SRV",
    "NGX_ANY_CONF": "ANY",
}
CTX_ORDER = [
    "MAIN", "EVENTS", "HTTP", "HTTP_SRV", "HTTP_LOC", "HTTP_UPS", "HTTP_SIF",
    "HTTP_LIF", "HTTP_LMT", "STREAM", "STREAM_SRV", "STREAM_UPS", "MAIL",
    "MAIL_SRV", "ANY",
]
IGNORED_FLAGS = {"NGX_DIRECT_CONF", "0"}

ARG_NAMES = [
    "NOARGS", "TAKE1", "TAKE2", "TAKE3", "TAKE4", "TAKE5", "TAKE6", "TAKE7",
    "BLOCK", "FLAG", "ANY", "1MORE", "2MORE",
]

SLOT_KIND = {
    "ngx_conf_set_flag_slot": "Flag",
    "ngx_conf_set_msec_slot": "Msec",
    "ngx_conf_set_sec_slot": "Sec",
    "ngx_conf_set_size_slot": "Size",
    "ngx_conf_set_off_slot": "Off",
    "ngx_conf_set_num_slot": "Num",
    "ngx_conf_set_str_slot": "Str",
    "ngx_conf_set_str_array_slot": "Str",
    "ngx_http_set_complex_value_slot": "Str",
    "ngx_stream_set_complex_value_slot": "Str",
    "ngx_http_set_complex_value_zero_slot": "Str",
    "ngx_conf_set_bufs_slot": "Bufs",
    "ngx_conf_set_access_slot": "Access",
    # enum/bitmask handled separately; everything else is Other
}


# --------------------------------------------------------------------------
# git access


class Git:
    def __init__(self, git_dir: str):
        self.git_dir = git_dir
        self.proc = subprocess.Popen(
            ["git", "--git-dir", git_dir, "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, *args],
            check=True, capture_output=True, text=True,
        ).stdout

    def blob(self, sha: str) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            raise RuntimeError(f"cannot read {sha}: {header!r}")
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)
        return data.decode("utf-8", "replace")

    def tree(self, rev: str) -> list[tuple[str, str]]:
        """(path, blob sha) of every file at rev."""
        out = []
        for line in self.run("ls-tree", "-r", rev).splitlines():
            meta, path = line.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                out.append((path, sha))
        return out

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


# --------------------------------------------------------------------------
# C parsing (just enough for ngx_command_t tables)


def strip_comments(src: str) -> str:
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "/" and i + 1 < n and src[i + 1] == "*":
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " + "\n" * src.count("\n", i, j))
            i = j
        elif c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                if src[j] == "\\":
                    j += 1
                elif src[j] == "\n":
                    break
                j += 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and src[j] not in "/\"'":
                j += 1
            if j == i:
                j += 1
            out.append(src[i:j])
            i = j
    return "".join(out)


def match_brace(src: str, start: int) -> int:
    """Index just past the brace matching src[start] == '{'."""
    depth = 0
    i, n = start, len(src)
    while i < n:
        c = src[i]
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            i = j + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def split_top(body: str, sep: str = ",") -> list[str]:
    parts, depth, cur, i = [], 0, [], 0
    while i < len(body):
        c = body[i]
        if c in "\"'":
            j = i + 1
            while j < len(body) and body[j] != c:
                j += 2 if body[j] == "\\" else 1
            cur.append(body[i:j + 1])
            i = j + 1
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    tail = "".join(cur).strip()
    if tail:
        parts.append(tail)
    return parts


def brace_groups(body: str) -> list[str]:
    """The contents of the top-level {...} groups of an initializer body."""
    groups, i = [], 0
    while True:
        j = body.find("{", i)
        if j < 0:
            return groups
        k = match_brace(body, j)
        groups.append(body[j + 1:k - 1])
        i = k


RE_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+((?:[^\n\\]|\\\n|\\)*)", re.M)
RE_CMD_ARRAY = re.compile(r"ngx_command_t\s+(\w+)\s*\[\s*\w*\s*\]\s*=\s*\{")
RE_ENUM = re.compile(r"ngx_conf_(enum|bitmask)_t\s+(\w+)\s*\[\s*\]\s*=\s*\{")
RE_MODULE = re.compile(r"ngx_module_t\s+(\w+)\s*=\s*\{")
RE_FUNC = re.compile(r"^[\w \t*]*?\b(\w+)\s*\(([^;{}]*?)\)\s*\{", re.M)
RE_NGX_STRING = re.compile(r"^ngx_string\s*\(\s*(\"(?:[^\"\\]|\\.)*\"|\w+)\s*\)$", re.S)
RE_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include\s*[<\"]([^>\"]+)[>\"]", re.M)
RE_DELEGATE = re.compile(r"\b(\w+)\s*\(\s*cf\s*,\s*cmd\s*,|cf->handler\s*=\s*(\w+)\s*;")
RE_PREPROC = re.compile(r"^[ \t]*#.*(?:\\\n.*)*$", re.M)


@dataclass
class Command:
    name: str          # may still be a macro name when unresolved (resolved later)
    name_is_macro: bool
    flags: str
    handler: str
    post: str
    array: str


@dataclass
class FileFacts:
    defines: dict[str, str] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    enums: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # commands array -> module
    funcs_dup: dict[str, bool] = field(default_factory=dict)
    # functions a function hands its (cf, cmd, ...) to: it inherits their
    # "is duplicate" answer (lua's *_by_lua_block -> *_by_lua, etc.)
    funcs_calls: dict[str, list[str]] = field(default_factory=dict)
    includes_in_arrays: list[tuple[str, str]] = field(default_factory=list)  # (array, header)


def parse_c(text: str, path: str) -> FileFacts:
    src = strip_comments(text)
    facts = FileFacts()
    for m in RE_DEFINE.finditer(src):
        facts.defines[m.group(1)] = m.group(2).replace("\\\n", " ").strip()
    if not path.endswith((".c", ".cpp")):
        # headers: macros, plus bare command entries (NDK's include trick)
        return facts
    for m in RE_CMD_ARRAY.finditer(src):
        array = m.group(1)
        start = m.end() - 1
        body = src[start + 1:match_brace(src, start) - 1]
        for inc in RE_INCLUDE.finditer(body):
            facts.includes_in_arrays.append((array, inc.group(1)))
        facts.commands.extend(parse_command_body(body, array, path))
    for m in RE_ENUM.finditer(src):
        start = m.end() - 1
        body = src[start + 1:match_brace(src, start) - 1]
        values = []
        for g in brace_groups(RE_PREPROC.sub("", body)):
            f = split_top(g)
            sm = RE_NGX_STRING.match(f[0]) if f else None
            if sm and sm.group(1).startswith('"'):
                values.append(c_string(sm.group(1)))
        facts.enums[m.group(2)] = (m.group(1), values)
    for m in RE_MODULE.finditer(src):
        start = m.end() - 1
        body = src[start + 1:match_brace(src, start) - 1]
        for tok in re.findall(r"\w+", body):
            facts.modules.setdefault(tok, m.group(1))
    for m in RE_FUNC.finditer(src):
        name = m.group(1)
        if name in ("if", "for", "while", "switch", "return", "sizeof", "defined"):
            continue
        start = m.end() - 1
        body = src[start:match_brace(src, start)]
        facts.funcs_dup[name] = "is duplicate" in body
        facts.funcs_calls[name] = [c for m in RE_DELEGATE.findall(body)
                                   for c in m if c and c != name]
    return facts


def parse_command_body(body: str, array: str, path: str) -> list[Command]:
    cmds = []
    body = RE_PREPROC.sub("", body)
    for g in brace_groups(body):
        f = split_top(g)
        if not f:
            continue
        sm = RE_NGX_STRING.match(f[0])
        if not sm or len(f) < 3:
            if "ngx_string" in g:
                warn(f"{path}: {array}: cannot parse entry {g.strip()[:60]!r}")
            continue
        raw = sm.group(1)
        is_macro = not raw.startswith('"')
        name = raw if is_macro else c_string(raw)
        post = f[5] if len(f) > 5 else "NULL"
        cmds.append(Command(name, is_macro, f[1], f[2], post.lstrip("&").strip(), array))
    return cmds


def c_string(lit: str) -> str:
    return bytes(lit[1:-1], "utf-8").decode("unicode_escape")


WARNINGS: list[str] = []


def warn(msg: str) -> None:
    WARNINGS.append(msg)
    print("warning: " + msg, file=sys.stderr)


# --------------------------------------------------------------------------
# Flag evaluation


class FlagEval:
    def __init__(self, defines: dict[str, str], arg_values: dict[str, int]):
        self.defines = defines
        self.arg_values = arg_values  # NGX_CONF_TAKE1 -> 0x2, ...

    def tokens(self, expr: str, depth: int = 0) -> list[str]:
        out = []
        for tok in re.findall(r"\w+", expr):
            if (tok in CTX_MAP or tok in self.arg_values or tok in IGNORED_FLAGS
                    or depth > 10 or tok not in self.defines):
                out.append(tok)
            else:
                out.extend(self.tokens(self.defines[tok], depth + 1))
        return out

    def eval(self, expr: str, where: str) -> tuple[list[str], int]:
        ctxs, args = set(), 0
        for tok in self.tokens(expr):
            if tok in CTX_MAP:
                ctxs.add(CTX_MAP[tok])
            elif tok in self.arg_values:
                args |= self.arg_values[tok]
            elif tok in IGNORED_FLAGS:
                pass
            else:
                warn(f"{where}: unknown flag token {tok}")
        return [c for c in CTX_ORDER if c in ctxs], args


def parse_arg_values(conf_h: str) -> dict[str, int]:
    vals: dict[str, int] = {}
    src = strip_comments(conf_h)
    for m in RE_DEFINE.finditer(src):
        name, expr = m.group(1), m.group(2).replace("\\\n", " ")
        if not name.startswith("NGX_CONF_"):
            continue
        toks = re.findall(r"\w+", expr)
        if len(toks) == 1 and re.fullmatch(r"0x[0-9a-fA-F]+", toks[0]):
            vals[name] = int(toks[0], 16)
        elif toks and all(t in vals for t in toks) and "|" in expr:
            v = 0
            for t in toks:
                v |= vals[t]
            vals[name] = v
    # keep only argument-count bits (not NGX_CONF_OK etc.)
    keep = {f"NGX_CONF_{a}" for a in ARG_NAMES} | {
        k for k in vals if re.fullmatch(r"NGX_CONF_TAKE\d+", k)}
    return {k: v for k, v in vals.items() if k in keep}


# --------------------------------------------------------------------------
# Collecting


@dataclass
class Spec:
    name: str
    module: str
    contexts: list[str]
    args: int
    value: tuple[str, list[str] | None]
    handler: str
    dup: bool
    third_party: str | None = None
    dynamic_so: str | None = None
    since: tuple[int, int, int] | None = None
    until: tuple[int, int, int] | None = None


class Corpus:
    """All facts of one source tree (one nginx tag or one module repo)."""

    def __init__(self):
        self.files: dict[str, FileFacts] = {}

    def add(self, path: str, facts: FileFacts) -> None:
        self.files[path] = facts

    def defines(self) -> dict[str, str]:
        d: dict[str, str] = {}
        for f in self.files.values():
            d.update(f.defines)
        return d


def file_basename_map(corpus: Corpus) -> dict[str, str]:
    return {os.path.basename(p): p for p in corpus.files}


def build_specs(corpus: Corpus, fe: FlagEval, fallback: Corpus | None,
                texts: dict[str, str]) -> list[Spec]:
    defines = corpus.defines()
    funcs_global: dict[str, bool] = {}
    calls_global: dict[str, list[str]] = {}
    enums_global: dict[str, tuple[str, list[str]]] = {}
    for src in ([fallback] if fallback else []) + [corpus]:
        for f in src.files.values():
            funcs_global.update(f.funcs_dup)
            calls_global.update(f.funcs_calls)
            enums_global.update(f.enums)

    def says_duplicate(func: str, local: FileFacts, depth: int = 0) -> bool | None:
        own = local.funcs_dup.get(func)
        calls = local.funcs_calls.get(func)
        if own is None:
            own, calls = funcs_global.get(func), calls_global.get(func)
        if own is None:
            return None
        if own or depth >= 3:
            return own
        return any(says_duplicate(c, local, depth + 1) for c in calls or [])
    modules_global: dict[str, str] = {}
    for f in corpus.files.values():
        for array, module in f.modules.items():
            modules_global.setdefault(array, module)
    out: dict[tuple[str, str], Spec] = {}
    basemap = file_basename_map(corpus)
    for path, facts in sorted(corpus.files.items()):
        cmds = list(facts.commands)
        for array, header in facts.includes_in_arrays:
            hp = basemap.get(os.path.basename(header))
            if hp and hp in texts:
                body = strip_comments(texts[hp])
                cmds.extend(parse_command_body(body, array, hp))
        for c in cmds:
            name = c.name
            if c.name_is_macro:
                lit = defines.get(name, "")
                if not lit.startswith('"'):
                    warn(f"{path}: unresolved directive name macro {name}")
                    continue
                name = c_string(lit)
            # The table may sit in a file of its own that the module's
            # source #includes (nchan's nchan_config_commands.c).
            module = facts.modules.get(c.array) or modules_global.get(c.array)
            if module is None:
                module = re.sub(r"_(commands|cmds)$", "", c.array) + "_module"
                warn(f"{path}: no ngx_module_t for {c.array}; guessed {module}")
            ctxs, args = fe.eval(c.flags, f"{path}:{name}")
            handler = c.handler.strip()
            if handler in ("ngx_conf_set_enum_slot", "ngx_conf_set_bitmask_slot"):
                kind = "Enum" if handler.endswith("enum_slot") else "Bitmask"
                e = facts.enums.get(c.post) or enums_global.get(c.post)
                if e is None:
                    warn(f"{path}:{name}: enum/bitmask array {c.post} not found")
                    value = (kind, [])
                else:
                    value = (kind, e[1])
            else:
                value = (SLOT_KIND.get(handler, "Other"), None)
            dup = says_duplicate(handler, facts)
            if dup is None:
                warn(f"{path}:{name}: handler {handler} body not found")
                dup = False
            key = (module, name)
            if key in out:
                prev = out[key]
                print(f"note: {path}: {name} defined twice in {module} (#if branches?); "
                      "merging", file=sys.stderr)
                prev.contexts = [x for x in CTX_ORDER if x in prev.contexts or x in ctxs]
                prev.args |= args
                continue
            out[key] = Spec(name, module, ctxs, args, value, handler, dup)
    return list(out.values())


def wanted_source(path: str) -> bool:
    return path.endswith((".c", ".h"))


def scan_nginx(git: Git) -> tuple[list[Spec], list[str], dict[str, int], Corpus]:
    tags = []
    for t in git.run("tag", "--list", "release-*").split():
        m = re.fullmatch(r"release-(\d+)\.(\d+)\.(\d+)", t)
        if m:
            v = tuple(int(x) for x in m.groups())
            if v >= OLDEST_TAG:
                tags.append((v, t))
    tags.sort()
    cache: dict[str, FileFacts] = {}
    text_cache: dict[str, str] = {}
    per_tag: list[tuple[tuple[int, int, int], dict[tuple[str, str], Spec]]] = []
    newest_corpus = None
    arg_values: dict[str, int] = {}
    for v, tag in tags:
        corpus = Corpus()
        texts: dict[str, str] = {}
        for path, sha in git.tree(tag):
            if not path.startswith("src/") or not wanted_source(path):
                continue
            if sha not in cache:
                text_cache[sha] = git.blob(sha)
                cache[sha] = parse_c(text_cache[sha], path)
            corpus.add(path, cache[sha])
            if path == "src/core/ngx_conf_file.h":
                arg_values = parse_arg_values(text_cache[sha])
        fe = FlagEval(corpus.defines(), arg_values)
        specs = build_specs(corpus, fe, None, texts)
        per_tag.append((v, {(s.module, s.name): s for s in specs}))
        newest_corpus = corpus
        print(f"{tag}: {len(specs)} directives", file=sys.stderr)
    # since/until; the spec itself comes from the newest tag that has it
    result: dict[tuple[str, str], Spec] = {}
    first: dict[tuple[str, str], tuple[int, int, int]] = {}
    present: dict[tuple[str, str], list[int]] = {}
    for idx, (v, specs) in enumerate(per_tag):
        for key, s in specs.items():
            first.setdefault(key, v)
            present.setdefault(key, []).append(idx)
            result[key] = s
    newest_v = per_tag[-1][0]
    for key, s in result.items():
        idxs = present[key]
        if idxs != list(range(idxs[0], idxs[-1] + 1)):
            missing = [".".join(map(str, per_tag[i][0])) for i in range(idxs[0], idxs[-1] + 1)
                       if i not in idxs]
            warn(f"nginx {key[1]} ({key[0]}) is absent from {', '.join(missing)} "
                 "between its first and last version")
        s.since = first[key]
        last = per_tag[idxs[-1]][0]
        s.until = None if last == newest_v else last
        s.dynamic_so = nginx_dynamic_so(s.module)
    assert newest_corpus is not None
    return list(result.values()), [t for _, t in tags], arg_values, newest_corpus


def read_config_so(git: Git, tree: list[tuple[str, str]]) -> dict[str, str]:
    """module -> .so from `config` files' ngx_module_name (first name = .so)."""
    so: dict[str, str] = {}
    for path, sha in tree:
        if os.path.basename(path) != "config":
            continue
        for m in re.finditer(r"ngx_module_name=(\"[^\"]*\"|\S+)", git.blob(sha)):
            names = m.group(1).strip('"').split()
            if names and all(re.fullmatch(r"\w+", n) for n in names):
                for n in names:
                    so.setdefault(n, names[0] + ".so")
    return so


def scan_third_party(root: str, arg_values: dict[str, int], nginx_corpus: Corpus
                     ) -> tuple[list[Spec], list[str]]:
    loaded = []
    nginx_defines = nginx_corpus.defines()
    # Handlers may live in another module (set-misc uses NDK's ndk_set_var_*):
    # every repository's functions serve as fallback for every other.
    shared = Corpus()
    for path, facts in nginx_corpus.files.items():
        shared.add("nginx/" + path, facts)
    for group, mirror, prefixes in THIRD_PARTY:
        git_dir = os.path.join(root, mirror, "repo")
        # A mirror may hold a work tree with its git directory inside.
        if os.path.isdir(os.path.join(git_dir, ".git")):
            git_dir = os.path.join(git_dir, ".git")
        if not os.path.isdir(git_dir):
            warn(f"{mirror}: not available, skipped")
            continue
        git = Git(git_dir)
        commit = git.run("rev-parse", "HEAD").strip()
        date = git.run("log", "-1", "--format=%cd", "--date=short", "HEAD").strip()
        tree = git.tree("HEAD")
        so_map = read_config_so(git, tree)
        corpus = Corpus()
        texts: dict[str, str] = {}
        for path, sha in tree:
            # Some modules are C++ (ZigzagAK's dynamic upstream/healthcheck).
            if not (wanted_source(path) or path.endswith(".cpp")):
                continue
            if not any(path.startswith(p) for p in prefixes):
                continue
            if EXCLUDE_PARTS & set(path.split("/")[:-1]):
                continue
            texts[path] = git.blob(sha)
            corpus.add(path, parse_c(texts[path], path))
            shared.add(f"{mirror}/{path}", corpus.files[path])
        git.close()
        loaded.append((group, mirror, commit, date, so_map, corpus, texts))
    specs: list[Spec] = []
    scanned = []
    for group, mirror, commit, date, so_map, corpus, texts in loaded:
        fe = FlagEval({**nginx_defines, **corpus.defines()}, arg_values)
        got = build_specs(corpus, fe, shared, texts)
        for s in got:
            s.third_party = group
            s.dynamic_so = so_map.get(s.module, s.module + ".so")
        print(f"{mirror}: {len(got)} directives", file=sys.stderr)
        scanned.append(f"{mirror.replace('+', '/')} {commit} ({date}): {len(got)} directives")
        specs.extend(got)
    return specs, scanned


# --------------------------------------------------------------------------
# Perfect hash (CHD, as in rust-phf) over the distinct directive names


MASK64 = (1 << 64) - 1
FNV_PRIME = 0x100000001B3


def fnv1a(seed: int, s: str) -> int:
    h = (0xCBF29CE484222325 ^ seed) & MASK64
    for b in s.encode():
        h ^= b
        h = (h * FNV_PRIME) & MASK64
    return h


def split_hash(h: int) -> tuple[int, int, int]:
    return (h >> 42) & 0x3FFFFF, (h >> 21) & 0x1FFFFF, h & 0x1FFFFF


def build_phf(keys: list[str]) -> tuple[int, list[tuple[int, int]], list[int]]:
    n = len(keys)
    nbuckets = (n + 4) // 5
    for seed in range(1, 1000):
        hashes = [split_hash(fnv1a(seed, k)) for k in keys]
        buckets: list[list[int]] = [[] for _ in range(nbuckets)]
        for i, (g, _, _) in enumerate(hashes):
            buckets[g % nbuckets].append(i)
        order = sorted(range(nbuckets), key=lambda b: -len(buckets[b]))
        disps = [(0, 0)] * nbuckets
        slots = [-1] * n
        ok = True
        for b in order:
            items = buckets[b]
            if not items:
                continue
            placed = False
            for d1 in range(n):
                for d2 in range(n):
                    idxs = [((hashes[i][1] * d1 + hashes[i][2] + d2) & 0xFFFFFFFF) % n
                            for i in items]
                    if len(set(idxs)) == len(idxs) and all(slots[x] < 0 for x in idxs):
                        for i, x in zip(items, idxs):
                            slots[x] = i
                        disps[b] = (d1, d2)
                        placed = True
                        break
                if placed:
                    break
            if not placed:
                ok = False
                break
        if ok:
            return seed, disps, slots
    raise RuntimeError("no perfect hash found")


# --------------------------------------------------------------------------
# Output


def rs_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rs_opt_str(s: str | None) -> str:
    return "None" if s is None else f"Some({rs_str(s)})"


def rs_ver(v: tuple[int, int, int] | None) -> str:
    return "None" if v is None else f"Some(Version({v[0]}, {v[1]}, {v[2]}))"


RS_ARG = {"1MORE": "ONE_MORE", "2MORE": "TWO_MORE"}


def rs_args(args: int, arg_values: dict[str, int]) -> str:
    names = []
    rest = args
    for a in ARG_NAMES:
        v = arg_values[f"NGX_CONF_{a}"]
        if args & v:
            names.append("a::" + RS_ARG.get(a, a))
            rest &= ~v
    if rest:
        names.append(hex(rest))
    return " | ".join(names) if names else "0"


def rs_value(value: tuple[str, list[str] | None]) -> str:
    kind, vals = value
    if vals is None:
        return f"ValueKind::{kind}"
    return f"ValueKind::{kind}(&[{', '.join(rs_str(v) for v in vals)}])"


def render(specs: list[Spec], tags: list[str], third: list[str], arg_values: dict[str, int],
           nginx_head: str, argv: list[str]) -> str:
    specs.sort(key=lambda s: (s.name, s.third_party is not None, s.third_party or "", s.module))
    names: list[str] = []
    ranges: dict[str, tuple[int, int]] = {}
    for i, s in enumerate(specs):
        if s.name not in ranges:
            names.append(s.name)
            ranges[s.name] = (i, 1)
        else:
            a, n = ranges[s.name]
            ranges[s.name] = (a, n + 1)
    seed, disps, slots = build_phf(names)
    versions = [tuple(int(x) for x in t.split("-")[1].split(".")) for t in tags]
    newest = versions[-1]
    stable = max(v for v in versions if v[1] % 2 == 0)

    L = []
    L.append("// @generated by tools/gen_nginx_schema.py -- do not edit by hand.")
    L.append("//")
    L.append("// Facts (directive names, context/argument flags, set handlers, enum and")
    L.append("// bitmask value names, versions) extracted from the ngx_command_t tables of:")
    L.append(f"//   nginx (https://github.com/nginx/nginx), {len(tags)} release tags:")
    for i in range(0, len(tags), 6):
        L.append("//     " + " ".join(t.removeprefix("release-") for t in tags[i:i + 6]))
    L.append(f"//   (nginx mirror HEAD {nginx_head})")
    L.append("//   third-party modules, newest commit only:")
    for t in third:
        L.append(f"//     {t}")
    L.append("//")
    L.append("// Regenerate with:")
    L.append("//   python3 tools/gen_nginx_schema.py --mirror-root /work/.mirror \\")
    L.append("//       --out src/nginx/schema_table.rs")
    L.append("// where /work/.mirror/<owner>+<name>/repo are git clones of the repositories above.")
    L.append("")
    L.append("use super::{DirectiveSpec, ValueKind, Version, args as a, ctx as c};")
    L.append("")
    L.append("// The argument bits in schema.rs must be nginx's (src/core/ngx_conf_file.h).")
    checks = " && ".join(
        f"a::{RS_ARG.get(x, x)} == {arg_values['NGX_CONF_' + x]:#x}" for x in ARG_NAMES)
    L.append(f"const _: () = assert!({checks});")
    L.append("")
    L.append(f"pub(super) const OLDEST_SCANNED: Version = Version({versions[0][0]}, {versions[0][1]}, {versions[0][2]});")
    L.append(f"pub(super) const NEWEST: Version = Version({newest[0]}, {newest[1]}, {newest[2]});")
    L.append(f"pub(super) const NEWEST_STABLE: Version = Version({stable[0]}, {stable[1]}, {stable[2]});")
    L.append("")
    L.append("/// Every spec, sorted by name (nginx's own first among equal names).")
    L.append(f"pub(super) static SPECS: [DirectiveSpec; {len(specs)}] = [")
    for s in specs:
        ctx = " | ".join("c::" + x for x in s.contexts) if s.contexts else "0"
        L.append(
            f"    DirectiveSpec {{ name: {rs_str(s.name)}, module: {rs_str(s.module)}, "
            f"contexts: {ctx}, args: {rs_args(s.args, arg_values)}, value: {rs_value(s.value)}, "
            f"handler: {rs_str(s.handler)}, since: {rs_ver(s.since)}, until: {rs_ver(s.until)}, "
            f"third_party: {rs_opt_str(s.third_party)}, dynamic_so: {rs_opt_str(s.dynamic_so)}, "
            f"duplicate_is_error: {'true' if s.dup else 'false'} }},"
        )
    L.append("];")
    L.append("")
    L.append("/// Seed of the FNV-1a hash used by the perfect hash below.")
    L.append(f"pub(super) const PHF_SEED: u64 = {seed};")
    L.append("")
    L.append("/// Per-bucket displacements (d1, d2) of the CHD perfect hash.")
    L.append(f"pub(super) static PHF_DISPS: [(u32, u32); {len(disps)}] = [")
    for i in range(0, len(disps), 8):
        L.append("    " + " ".join(f"({a}, {b})," for a, b in disps[i:i + 8]))
    L.append("];")
    L.append("")
    L.append("/// Slot -> (first index into SPECS, number of specs) for one distinct name.")
    L.append(f"pub(super) static PHF_SLOTS: [(u16, u16); {len(slots)}] = [")
    row = []
    for key_idx in slots:
        a, n = ranges[names[key_idx]]
        row.append(f"({a}, {n}),")
        if len(row) == 10:
            L.append("    " + " ".join(row))
            row = []
    if row:
        L.append("    " + " ".join(row))
    L.append("];")
    L.append("")
    return "\n".join(L)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-root", default="/work/.mirror",
                    help="directory holding <owner>+<name>/repo git dirs")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    opts = ap.parse_args()

    nginx = Git(os.path.join(opts.mirror_root, "nginx+nginx", "repo"))
    nginx_specs, tags, arg_values, newest_corpus = scan_nginx(nginx)
    nginx_head = nginx.run("rev-parse", "HEAD").strip()
    nginx.close()
    third, scanned = scan_third_party(opts.mirror_root, arg_values, newest_corpus)
    out = render(nginx_specs + third, tags, scanned, arg_values, nginx_head, sys.argv)
    if opts.out == "-":
        sys.stdout.write(out)
    else:
        with open(opts.out, "w") as f:
            f.write(out)
    print(f"{len(nginx_specs)} nginx specs, {len(third)} third-party specs, "
          f"{len(WARNINGS)} warnings", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
