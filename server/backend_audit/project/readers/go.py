"""Go modules: ``go.mod``.

The shape read (https://go.dev/ref/mod#go-mod-file)::

    module github.com/example/svc
    go 1.22
    toolchain go1.22.3
    require github.com/lib/pq v1.10.9
    require (
        github.com/go-chi/chi/v5 v5.0.8
        golang.org/x/sync v0.6.0 // indirect
    )
    replace example.com/a => ../a

Dependencies are named by module path, lower-cased (the matcher compares lower-case names), with
the major-version suffix kept (``github.com/go-chi/chi/v5``), because it is part of the path.
The ``go`` directive becomes a pseudo-dependency named ``go``, so language-version rules read it
like any other dependency. ``// indirect`` requirements are left out: they are what the direct
dependencies need, not what the project chose, and counting them would credit a project with
libraries (a validator, a protobuf runtime) it never imports. ``replace``, ``exclude`` and
``retract`` declare no dependency.
"""

from __future__ import annotations

import re

from ..manifests import Dependency, register_reader

ECOSYSTEM = "go"
GO = "go"
"""The pseudo-dependency that carries the ``go`` directive."""

_GO_DIRECTIVE = re.compile(r"^go\s+(\d+(?:\.\d+){0,2}\S*)\s*$")
_REQUIRE_ONE = re.compile(r"^require\s+(\S+)\s+(\S+)")
_BLOCK_START = re.compile(r"^(require|replace|exclude|retract)\s*\(\s*$")
_MODULE_LINE = re.compile(r"^(\S+)\s+(v\S+)")


def module_version(spec: str) -> str | None:
    """``v1.8.1`` -> ``1.8.1``; ``v3.2.0+incompatible`` -> ``3.2.0``; pseudo-versions keep their base."""
    m = re.match(r"^v?(\d+(?:\.\d+){0,2})", spec or "")
    return m.group(1) if m else None


def read_go_mod(path: str, text: str) -> list[Dependency]:
    deps: list[Dependency] = []
    block: str | None = None
    for lineno, raw in enumerate(text.splitlines()):
        code, _, comment = raw.partition("//")
        line = code.strip()
        indirect = "indirect" in comment
        if not line:
            continue
        if block is not None:
            if line.startswith(")"):
                block = None
                continue
            if block == "require" and not indirect:
                m = _MODULE_LINE.match(line)
                if m:
                    deps.append(_module(path, lineno, m.group(1), m.group(2)))
            continue
        m = _BLOCK_START.match(line)
        if m:
            block = m.group(1)
            continue
        m = _GO_DIRECTIVE.match(line)
        if m:
            spec = m.group(1)
            deps.append(Dependency(ECOSYSTEM, GO, spec, path, lineno, False, module_version(spec)))
            continue
        m = _REQUIRE_ONE.match(line)
        if m and not indirect:
            deps.append(_module(path, lineno, m.group(1), m.group(2)))
    return deps


def _module(path: str, line: int, module: str, version: str) -> Dependency:
    return Dependency(ECOSYSTEM, module.strip('"').lower(), version, path, line, False, module_version(version))


register_reader(r"^go\.mod$", read_go_mod)
