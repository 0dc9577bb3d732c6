"""Manifest readers: which dependencies (and versions) a workspace declares, and where.

Each reader takes a manifest's path and text and returns `Dependency` records carrying the
0-based line that declares them, so a finding about a dependency is shown on that line.
Readers never execute anything (no setup.py, no Gradle): they read the declarative files with
tomllib, json and xml.etree, and fall back to line scanning where a format has no parser here.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Callable

import attrs


@attrs.frozen
class Dependency:
    ecosystem: str
    """pypi, npm, maven, go, nuget, rubygems."""
    name: str
    """Normalised: lower-case; PyPI names with ``-`` for ``_`` and ``.``."""
    spec: str
    """The version requirement as written (``>=2.0``, ``^4.18.2``), possibly empty."""
    path: str
    line: int
    dev: bool = False
    version: str | None = None
    """The resolved version, from a lock file, or the pinned version."""
    locked: bool = False
    """A lock-file record: it pins the version of a (possibly transitive) package but does not
    declare a dependency. Locked records resolve the versions of declared ones
    (`ProjectFacts.merge`) and are never matched by dependency rules or facts themselves."""

    def to_json(self) -> dict:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Dependency:
        return cls(**data)


def normalise_pypi(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_version(spec: str) -> str | None:
    """The lowest version a requirement admits, when it names one (``==1.2``, ``^1.2``, ``~=1.2``)."""
    m = re.search(r"(?:==|~=|>=|\^|~|=)?\s*v?(\d+(?:\.\d+){0,3})", spec or "")
    return m.group(1) if m else None


def _line_of(text: str, needle: str, start: int = 0) -> int:
    idx = text.find(needle, start)
    return text.count("\n", 0, idx) if idx >= 0 else 0


_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def read_requirements(path: str, text: str) -> list[Dependency]:
    deps = []
    dev = bool(re.search(r"(dev|test|lint|doc)", path.rsplit("/", 1)[-1]))
    for lineno, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith(("#", "-", "git+", "http://", "https://")):
            continue
        m = _REQ_LINE.match(line)
        if not m:
            continue
        spec = m.group(3).strip()
        pinned = re.match(r"==\s*([\w.]+)", spec)
        deps.append(
            Dependency("pypi", normalise_pypi(m.group(1)), spec, path, lineno, dev, pinned.group(1) if pinned else None)
        )
    return deps


def _pep508(requirement: str) -> tuple[str, str] | None:
    m = _REQ_LINE.match(requirement)
    return (normalise_pypi(m.group(1)), m.group(3).strip()) if m else None


def read_pyproject(path: str, text: str) -> list[Dependency]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    deps: list[Dependency] = []

    def add(requirement: str, dev: bool) -> None:
        parsed = _pep508(requirement)
        if parsed:
            name, spec = parsed
            deps.append(Dependency("pypi", name, spec, path, _find_name_line(text, name), dev, _exact(spec)))

    project = data.get("project") or {}
    for req in project.get("dependencies") or []:
        if isinstance(req, str):
            add(req, False)
    for group, reqs in (project.get("optional-dependencies") or {}).items():
        for req in reqs or []:
            if isinstance(req, str):
                add(req, group in ("dev", "test", "tests", "lint", "docs"))
    for reqs in (data.get("dependency-groups") or {}).values():
        for req in reqs or []:
            if isinstance(req, str):
                add(req, True)
    poetry = (data.get("tool") or {}).get("poetry") or {}
    sections: list[tuple[dict, bool]] = [(poetry.get("dependencies") or {}, False), (poetry.get("dev-dependencies") or {}, True)]
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            sections.append((group.get("dependencies") or {}, True))
    for table, dev in sections:
        for name, value in table.items():
            spec = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            norm = normalise_pypi(name)
            deps.append(Dependency("pypi", norm, spec, path, _find_name_line(text, name), dev, _exact(spec)))
    return deps


def _exact(spec: str) -> str | None:
    m = re.match(r"^\s*(?:==\s*)?(\d+(?:\.\d+)+)\s*$", spec or "")
    return m.group(1) if m else None


def _find_name_line(text: str, name: str) -> int:
    pattern = re.compile(r"""(^|["'\s])""" + re.escape(name).replace(r"\-", "[-_.]") + r"""($|[\s"'=<>~!\[;^,])""", re.I | re.M)
    m = pattern.search(text)
    return text.count("\n", 0, m.end(1)) if m else 0  # end(1): the prefix may be the newline


def read_package_json(path: str, text: str) -> list[Dependency]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    deps = []
    for key, dev in (("dependencies", False), ("devDependencies", True), ("peerDependencies", False), ("optionalDependencies", False)):
        table = data.get(key)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if not isinstance(spec, str):
                continue
            line = _line_of(text, f'"{name}"', max(0, text.find(f'"{key}"')))
            deps.append(Dependency("npm", name.lower(), spec, path, line, dev, _exact(spec.lstrip("=v"))))
    engines = data.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        deps.append(Dependency("npm", "node", engines["node"], path, _line_of(text, '"node"', max(0, text.find('"engines"'))), False, None))
    return deps


Reader = Callable[[str, str], list[Dependency]]

# Base-name patterns -> reader. Other readers (lock files, Maven, Go, NuGet, Bundler) register here.
READERS: list[tuple[re.Pattern[str], Reader]] = [
    (re.compile(r"^(requirements|constraints)[\w.\-]*\.(txt|in)$"), read_requirements),
    (re.compile(r"^pyproject\.toml$"), read_pyproject),
    (re.compile(r"^package\.json$"), read_package_json),
]


def register_reader(pattern: str, reader: Reader) -> None:
    READERS.append((re.compile(pattern), reader))
    _is_manifest_name.cache_clear()


_loaded = False


def load_readers() -> None:
    """Import every module of `backend_audit.project.readers` (each registers its readers)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib
    import pkgutil

    from . import readers

    for info in sorted(pkgutil.iter_modules(readers.__path__), key=lambda i: i.name):
        importlib.import_module(f"{readers.__name__}.{info.name}")


def is_manifest(path: str) -> bool:
    load_readers()
    base = path.rsplit("/", 1)[-1]
    if "/requirements/" in "/" + path and base.endswith(".txt"):
        return True
    return _is_manifest_name(base)


@functools.lru_cache(maxsize=4096)
def _is_manifest_name(base: str) -> bool:
    # Asked for every file of a scan, twice; names repeat (__init__.py, index.ts...).
    return any(p.match(base) for p, _ in READERS)


def read_manifest(path: str, text: str) -> list[Dependency]:
    load_readers()
    base = path.rsplit("/", 1)[-1]
    if "/requirements/" in "/" + path and base.endswith(".txt"):
        return read_requirements(path, text)
    for pattern, reader in READERS:
        if pattern.match(base):
            try:
                return reader(path, text)
            except Exception:  # a malformed manifest contributes nothing; it never stops a scan
                return []
    return []
