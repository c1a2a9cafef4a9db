#!/usr/bin/env python3
"""Generate src/nginx/variable_table.rs: the variables nginx itself defines.

For every release tag from release-1.18.0 on, the http and stream sources of
nginx are scanned for the variables their modules register at start-up:

- the `ngx_http_variable_t ..._vars[]` / `ngx_stream_variable_t ..._vars[]`
  arrays (entries with a get handler: one without is refused as unknown) (and the core ones, `ngx_http_core_variables[]`,
  `ngx_stream_core_variables[]`), whose entries carry NGX_*_VAR_PREFIX when
  the name is a prefix (`http_`, `arg_`, `upstream_http_`, ...);
- the single variables added by name, `ngx_http_add_variable(cf, &ident,
  ...)` where `ident` is a `static ngx_str_t ident = ngx_string("...")`
  (`gzip_ratio`, `invalid_referer`, `secure_link`, `uid_got`, ...).

Entries under `#if` (NGX_HAVE_TCP_INFO, NGX_SSL, ...) are all kept: a build
may have them, and a variable kept too many only costs a report.  Only facts
(names, the module and file they come from, versions) are extracted.

Python 3.11, standard library only.  Not run in CI: its output is committed,
like tools/gen_nginx_schema.py's (whose git reader this reuses).

Usage:
    python3 tools/gen_nginx_variables.py [--mirror-root DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_nginx_schema import OLDEST_TAG, Git, strip_comments  # noqa: E402

# Third-party modules a distribution loads by default (Debian 12's
# nginx-full: /etc/nginx/modules-enabled), scanned at their newest commit
# when mirrored: (group, mirror directory). Of these only echo registers
# variables of its own; geoip2 defines them through its `geoip2` block,
# which the linter reads.
THIRD_PARTY = [
    ("echo", "openresty+echo-nginx-module", "ngx_http_echo_module"),
    ("geoip2", "leev+ngx_http_geoip2_module", "ngx_http_geoip2_module"),
    ("auth-pam", "sto+ngx_http_auth_pam_module", "ngx_http_auth_pam_module"),
    ("dav-ext", "arut+nginx-dav-ext-module", "ngx_http_dav_ext_module"),
    ("subs-filter", "yaoweibin+ngx_http_substitutions_filter_module", "ngx_http_subs_filter_module"),
    ("upstream-fair", "gnosek+nginx-upstream-fair", "ngx_http_upstream_fair_module"),
]

ARRAY = re.compile(r"ngx_(http|stream)_variable_t\s+(\w+)\s*\[\]\s*=\s*\{")
ENTRY = re.compile(r"\{\s*ngx_string\(\s*\"([^\"]*)\"\s*\)(.*?)\}", re.S)
ADD_BY_NAME = re.compile(r"ngx_(http|stream)_add_variable\(\s*cf\s*,\s*&(\w+)\s*,")
STR_DEF = re.compile(r"ngx_str_t\s+(\w+)\s*=\s*ngx_string\(\s*\"([^\"]*)\"\s*\)")


def module_of(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    return {
        "ngx_http_variables": "ngx_http_core_module",
        "ngx_stream_variables": "ngx_stream_core_module",
        "ngx_http_upstream": "ngx_http_upstream_module",
        "ngx_stream_upstream": "ngx_stream_upstream_module",
    }.get(stem, stem)


def array_body(src: str, start: int) -> str:
    """The text of the initialiser opened at src[start - 1] == '{'."""
    depth, i = 1, start
    while i < len(src) and depth:
        if src[i] == "{":
            depth += 1
        elif src[i] == "}":
            depth -= 1
        elif src[i] == '"':
            i = src.index('"', i + 1)
        i += 1
    return src[start:i - 1]


def scan_file(text: str, path: str) -> set[tuple[str, str, bool, str]]:
    """(subsystem, name, is_prefix, module) of the variables a file defines."""
    src = strip_comments(text)
    out = set()
    for m in ARRAY.finditer(src):
        for e in ENTRY.finditer(array_body(src, m.end())):
            name, rest = e.group(1), e.group(2)
            fields = [f.strip() for f in rest.split(",")]
            # An entry without a get handler (`proxy_add_via`) is no
            # variable: ngx_http_variables_init_vars finds it but, its
            # get_handler being NULL, refuses the name as unknown.
            if len(fields) > 2 and fields[2] == "NULL":
                continue
            if name:
                out.add((m.group(1), name, "VAR_PREFIX" in rest, module_of(path)))
    strs = dict(STR_DEF.findall(src))
    for sub, ident in ADD_BY_NAME.findall(src):
        if ident in strs:
            out.add((sub, strs[ident], False, module_of(path)))
    return out


def scan(git: Git):
    tags = []
    for t in git.run("tag", "--list", "release-*").split():
        m = re.fullmatch(r"release-(\d+)\.(\d+)\.(\d+)", t)
        if m and tuple(int(x) for x in m.groups()) >= OLDEST_TAG:
            tags.append((tuple(int(x) for x in m.groups()), t))
    tags.sort()
    cache: dict[str, set] = {}
    present: dict[tuple, list[int]] = {}
    for idx, (_v, tag) in enumerate(tags):
        found = set()
        for path, sha in git.tree(tag):
            if not path.startswith(("src/http/", "src/stream/")) or not path.endswith(".c"):
                continue
            if sha not in cache:
                cache[sha] = scan_file(git.blob(sha), path)
            found |= cache[sha]
        for key in found:
            present.setdefault(key, []).append(idx)
        print(f"{tag}: {len(found)} variables", file=sys.stderr)
    return tags, present


def scan_third_party(root: str):
    """(group, commit, variables) of each mirrored third-party module."""
    out = []
    for group, mirror, module in THIRD_PARTY:
        git_dir = os.path.join(root, mirror, "repo")
        if not os.path.isdir(git_dir):
            print(f"warning: {mirror} not mirrored, skipped", file=sys.stderr)
            continue
        git = Git(git_dir)
        try:
            found = set()
            for path, sha in git.tree("HEAD"):
                if path.endswith(".c") and not re.search(r"(^|/)(t|tests?)/", path):
                    found |= {(sub, name, prefix, module)
                              for sub, name, prefix, _m in scan_file(git.blob(sha), path)}
            out.append((group, mirror.replace("+", "/"), git.run("rev-parse", "HEAD").strip(), found))
        finally:
            git.close()
    return out


def rs_ver(v) -> str:
    return "None" if v is None else f"Some(Version({v[0]}, {v[1]}, {v[2]}))"


def render(tags, present, head: str, third) -> str:
    newest = len(tags) - 1
    rows = []
    third_rows = []
    for group, _repo, _commit, found in third:
        for sub, name, prefix, module in sorted(found, key=lambda k: (k[1], k[0])):
            third_rows.append((name, sub, module, (
                f'    VarSpec {{ name: "{name}", stream: {str(sub == "stream").lower()}, '
                f'prefix: {str(prefix).lower()}, module: "{module}", since: None, '
                f'until: None, third_party: Some("{group}") }},')))
    for (sub, name, prefix, module), idxs in sorted(present.items(),
                                                   key=lambda kv: (kv[0][1], kv[0][0], kv[0][3])):
        since = tags[idxs[0]][0]
        until = None if idxs[-1] == newest else tags[idxs[-1]][0]
        rows.append(
            f'    VarSpec {{ name: "{name}", stream: {str(sub == "stream").lower()}, '
            f'prefix: {str(prefix).lower()}, module: "{module}", since: {rs_ver(since)}, '
            f"until: {rs_ver(until)}, third_party: None }},"
        )
    names = [".".join(map(str, v)) for v, _ in tags]
    third_lines = [f"//   {repo} {commit}: {len(found)} variables" for _g, repo, commit, found in third]
    lines = [
        "// @generated by tools/gen_nginx_variables.py -- do not edit by hand.",
        "//",
        "// The variables nginx's http and stream modules register (their",
        "// `ngx_*_variable_t ..._vars[]` arrays and the variables added by name),",
        f"// scanned at {len(tags)} release tags, {names[0]} to {names[-1]}",
        f"// (nginx mirror HEAD {head}), then those of third-party modules a",
        "// distribution loads by default (newest commit):",
        *third_lines,
        "//",
        "// Regenerate with:",
        "//   python3 tools/gen_nginx_variables.py --mirror-root /work/.mirror \\",
        "//       --out src/nginx/variable_table.rs",
        "",
        "use super::VarSpec;",
        "use crate::nginx::schema::Version;",
        "",
        "/// nginx's variables, sorted by name (then http before stream).",
        f"pub(super) static VARIABLES: [VarSpec; {len(rows)}] = [",
        *rows,
        "];",
        "",
        "/// The third-party modules' variables, sorted the same.",
        f"pub(super) static THIRD_PARTY: [VarSpec; {len(third_rows)}] = [",
        *[r for *_k, r in sorted(third_rows)],
        "];",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--out", default="src/nginx/variable_table.rs")
    a = ap.parse_args()
    git = Git(os.path.join(a.mirror_root, "nginx+nginx", "repo"))
    try:
        tags, present = scan(git)
        head = git.run("rev-parse", "HEAD").strip()
    finally:
        git.close()
    third = scan_third_party(a.mirror_root)
    with open(a.out, "w") as f:
        f.write(render(tags, present, head, third))
    return 0


if __name__ == "__main__":
    sys.exit(main())
