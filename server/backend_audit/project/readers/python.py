"""Python manifests beyond requirements and pyproject: Pipfile, Pipfile.lock, poetry.lock,
uv.lock, and the runtime pins ``.python-version`` and ``runtime.txt``.

Pipfile declares dependencies. The lock files only resolve versions: their records are
``locked`` (they list transitive packages too, which must not count as declared dependencies);
`ProjectFacts.merge` copies their versions onto the declared records of the same name. The
runtime pins declare a ``python`` dependency, so ``outdated`` rules can judge the interpreter.
"""

from __future__ import annotations

import json
import re
import tomllib

from ..manifests import Dependency, _exact, _find_name_line, normalise_pypi, register_reader


def _line_index(text: str, pattern: re.Pattern[str]) -> dict[str, int]:
    """Normalised name -> 0-based line of its first match (one pass over the text)."""
    lines: dict[str, int] = {}
    for m in pattern.finditer(text):
        lines.setdefault(normalise_pypi(m.group(1)), text.count("\n", 0, m.start()))
    return lines


def read_pipfile(path: str, text: str) -> list[Dependency]:
    data = tomllib.loads(text)
    deps: list[Dependency] = []
    for table, dev in (("packages", False), ("dev-packages", True)):
        section = data.get(table)
        if not isinstance(section, dict):
            continue
        start = text.find(f"[{table}]")
        for name, value in section.items():
            if isinstance(value, str):
                spec = value
            elif isinstance(value, dict):
                spec = str(value.get("version", "")) if not value.get("git") else ""
            else:
                continue
            spec = "" if spec.strip() == "*" else spec.strip()
            line = _line_in_section(text, name, start)
            deps.append(Dependency("pypi", normalise_pypi(name), spec, path, line, dev, _exact(spec)))
    requires = data.get("requires")
    if isinstance(requires, dict):
        version = requires.get("python_full_version") or requires.get("python_version")
        if isinstance(version, str):
            line = _find_name_line(text, "python_full_version" if "python_full_version" in requires else "python_version")
            deps.append(Dependency("pypi", "python", version, path, line, False, version))
    return deps


def _line_in_section(text: str, name: str, start: int) -> int:
    pattern = re.compile(r"^\s*[\"']?" + re.escape(name) + r"[\"']?\s*=", re.M | re.I)
    m = pattern.search(text, max(start, 0))
    return text.count("\n", 0, m.start()) if m else 0


_LOCK_NAME = re.compile(r'^"([A-Za-z0-9][A-Za-z0-9._\-]*)"\s*:\s*\{', re.M)


def read_pipfile_lock(path: str, text: str) -> list[Dependency]:
    data = json.loads(text)
    if not isinstance(data, dict):
        return []
    lines = _line_index(text, re.compile(r'^\s*"([A-Za-z0-9][A-Za-z0-9._\-]*)"\s*:\s*\{', re.M))
    deps = []
    for table, dev in (("default", False), ("develop", True)):
        section = data.get(table)
        if not isinstance(section, dict):
            continue
        for name, info in section.items():
            if not isinstance(info, dict) or not isinstance(info.get("version"), str):
                continue
            version = info["version"].lstrip("=")
            norm = normalise_pypi(name)
            deps.append(Dependency("pypi", norm, "==" + version, path, lines.get(norm, 0), dev, version, locked=True))
    return deps


_TOML_PACKAGE_NAME = re.compile(r'^name\s*=\s*"([^"]+)"', re.M)


def _read_toml_lock(path: str, text: str, skip_root: bool) -> list[Dependency]:
    data = tomllib.loads(text)
    lines = _line_index(text, _TOML_PACKAGE_NAME)
    deps = []
    for package in data.get("package") or []:
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        source = package.get("source")
        if skip_root and isinstance(source, dict) and ("editable" in source or "virtual" in source):
            continue  # the project itself (uv.lock lists it as a package)
        norm = normalise_pypi(name)
        dev = package.get("category") == "dev"
        deps.append(Dependency("pypi", norm, "==" + version, path, lines.get(norm, 0), dev, version, locked=True))
    return deps


def read_poetry_lock(path: str, text: str) -> list[Dependency]:
    return _read_toml_lock(path, text, skip_root=False)


def read_uv_lock(path: str, text: str) -> list[Dependency]:
    return _read_toml_lock(path, text, skip_root=True)


def read_python_version(path: str, text: str) -> list[Dependency]:
    """``.python-version`` (pyenv: one version a line, the first wins) or Heroku's
    ``runtime.txt`` (``python-3.12.4``)."""
    for lineno, raw in enumerate(text.splitlines()):
        m = re.match(r"^\s*(?:python-)?(\d+\.\d+(?:\.\d+)?)\s*$", raw)
        if m:
            return [Dependency("pypi", "python", m.group(1), path, lineno, False, m.group(1))]
    return []


register_reader(r"^Pipfile$", read_pipfile)
register_reader(r"^Pipfile\.lock$", read_pipfile_lock)
register_reader(r"^poetry\.lock$", read_poetry_lock)
register_reader(r"^uv\.lock$", read_uv_lock)
register_reader(r"^\.python-version$", read_python_version)
register_reader(r"^runtime\.txt$", read_python_version)
