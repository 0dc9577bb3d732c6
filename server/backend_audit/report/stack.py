"""What the workspace is built with: its name, primary language and version, frameworks and
libraries by role, and how far each is behind its latest release.

Latest releases come from the pack's dated data file (`data/versions.yaml`, shape below). When
the file or an entry is missing the report says "latest: unknown (no data)"; nothing is looked
up over the network.

    checked: 2026-11-26
    entries:
      fastapi: {title: FastAPI, ecosystem: pypi, latest: "0.165.0", line: minor, eol-below: "0.100"}
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..analysis.finding import Evidence
from ..project.facts import ProjectFacts
from ..project.manifests import Dependency, pinned_version
from ..syntax.languages import LANGUAGES, family_of


@attrs.define
class VersionData:
    checked: str | None
    entries: dict[str, dict[str, Any]]
    source: str | None

    def entry_for(self, name: str) -> dict[str, Any] | None:
        name = name.lower()
        for key, entry in self.entries.items():
            names = [str(n).lower() for n in (entry.get("names") or [key])]
            if name in names or any(name.startswith(n + ":") for n in names):
                return entry
        return None


def load_versions(data_dir: Path | None) -> VersionData:
    path = data_dir / "versions.yaml" if data_dir else None
    if path is None or not path.is_file():
        return VersionData(None, {}, None)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return VersionData(None, {}, None)
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return VersionData(None, {}, None)
    return VersionData(str(data.get("checked") or "") or None, {str(k): v for k, v in entries.items() if isinstance(v, dict)}, "data/versions.yaml")


def _vtuple(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    m = re.match(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(version).strip())
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


@attrs.define
class Gap:
    text: str
    lines_behind: int | None
    """Release lines behind the latest (None when unknown)."""
    eol: bool = False


def version_gap(current: str | None, entry: dict[str, Any] | None) -> Gap:
    if entry is None or not entry.get("latest"):
        return Gap("unknown (no data)", None)
    cur, latest = _vtuple(current), _vtuple(str(entry["latest"]))
    if cur is None or latest is None:
        return Gap("unknown (no version declared)", None)
    eol_below = _vtuple(str(entry.get("eol-below") or "")) if entry.get("eol-below") else None
    eol = eol_below is not None and cur < eol_below
    line = entry.get("line", "major")
    step = int(entry.get("step") or 1)
    if line == "minor":
        if cur[0] != latest[0]:
            behind = 3 * (latest[0] - cur[0]) if latest[0] > cur[0] else 0
            text = f"{latest[0] - cur[0]} major version(s) behind" if behind else "current"
        else:
            behind = max(0, (latest[1] if len(latest) > 1 else 0) - (cur[1] if len(cur) > 1 else 0))
            text = f"{behind} minor release(s) behind" if behind else "current"
    else:
        behind = max(0, (latest[0] - cur[0]) // step if step > 1 else latest[0] - cur[0])
        what = "supported release line(s)" if step > 1 else "major version(s)"
        text = f"{behind} {what} behind" if behind else "current"
    if eol:
        text += ", end-of-life"
    return Gap(text, behind, eol)


def gap_status(gap: Gap) -> str:
    """The audit's rubric: current = yes, 1-2 versions behind = partial, 3+ or EOL = no."""
    if gap.lines_behind is None:
        return "unknown"
    if gap.eol or gap.lines_behind >= 3:
        return "no"
    return "yes" if gap.lines_behind == 0 else "partial"


def dep_version(dep: Dependency) -> str | None:
    return dep.version or pinned_version(dep.spec)


# -- system name and language ------------------------------------------------------------------


def system_name(root: Path, facts: ProjectFacts) -> tuple[str, Evidence | None]:
    """The name from the top-most manifest that declares one; else the directory's name."""
    manifests = sorted(
        (f for f in facts.files if f.rsplit("/", 1)[-1] in ("pyproject.toml", "package.json", "pom.xml", "go.mod", "setup.cfg", "build.gradle", "settings.gradle", "build.gradle.kts", "settings.gradle.kts") or f.endswith(".csproj")),
        key=lambda f: (f.count("/"), f),
    )
    for rel in manifests:
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        base = rel.rsplit("/", 1)[-1]
        name: str | None = None
        needle = None
        try:
            if base == "pyproject.toml":
                data = tomllib.loads(text)
                name = (data.get("project") or {}).get("name") or ((data.get("tool") or {}).get("poetry") or {}).get("name")
                needle = "name"
            elif base == "package.json":
                data = json.loads(text)
                name = data.get("name") if isinstance(data, dict) else None
                needle = '"name"'
            elif base == "pom.xml":
                body = re.sub(r"<parent>.*?</parent>", "", text, flags=re.S)
                m = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", body)
                name, needle = (m.group(1), m.group(0)) if m else (None, None)
            elif base == "go.mod":
                m = re.search(r"^module\s+(\S+)", text, re.M)
                name, needle = (m.group(1).rsplit("/", 1)[-1], m.group(0)) if m else (None, None)
            elif base.startswith("settings.gradle"):
                m = re.search(r"rootProject\.name\s*=\s*['\"]([^'\"]+)", text)
                name, needle = (m.group(1), m.group(0)) if m else (None, None)
            elif base.endswith(".csproj"):
                if re.search(r"(?i)(test|build|bench)", base):
                    continue
                name, needle = base[: -len(".csproj")], None
            elif base == "setup.cfg":
                m = re.search(r"^name\s*=\s*(\S+)", text, re.M)
                name, needle = (m.group(1), m.group(0)) if m else (None, None)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, RecursionError):
            continue
        if isinstance(name, str) and name.strip():
            idx = text.find(needle) if needle else -1
            line = text.count("\n", 0, idx) if idx >= 0 else 0
            return name.strip(), Evidence("system-name", rel, line, f"name in {base}")
    return root.name, None


def primary_language(loc_by_language: dict[str, int]) -> tuple[str | None, dict[str, int]]:
    """The language family with the most lines of code (grammar languages only)."""
    by_family: dict[str, int] = {}
    for lang, loc in loc_by_language.items():
        spec = LANGUAGES.get(lang)
        if spec is None or not spec.has_grammar:
            continue
        by_family[family_of(lang)] = by_family.get(family_of(lang), 0) + loc
    if not by_family:
        return None, {}
    return max(sorted(by_family), key=lambda k: by_family[k]), dict(sorted(by_family.items(), key=lambda kv: -kv[1]))


_RUNTIME_DEPS = {"python": "python", "javascript": "node", "java": "java", "go": "go", "csharp": "dotnet", "ruby": "ruby"}


def language_version(root: Path, facts: ProjectFacts, family: str | None) -> tuple[str | None, Evidence | None]:
    """The language/runtime version the workspace declares, with where it says so."""
    if family is None:
        return None, None
    runtime = _RUNTIME_DEPS.get(family)
    for dep in facts.dependencies:
        if dep.name == runtime:
            version = dep_version(dep)
            if version:
                return version, Evidence("language-version", dep.path, dep.line, f"{runtime} {dep.spec}".strip())
    patterns: list[tuple[str, str]] = []
    if family == "python":
        patterns = [("pyproject.toml", r"requires-python\s*=\s*['\"][^0-9]*([\d.]+)"), (".python-version", r"^([\d.]+)"),
                    ("runtime.txt", r"python-([\d.]+)"), ("Dockerfile", r"FROM\s+python:([\d.]+)"), ("setup.py", r"python_requires\s*=\s*['\"][^0-9]*([\d.]+)")]
    elif family == "javascript":
        patterns = [(".nvmrc", r"^v?(\d[\d.]*)"), (".node-version", r"^v?(\d[\d.]*)"), ("Dockerfile", r"FROM\s+node:(\d[\d.]*)")]
    elif family == "ruby":
        patterns = [(".ruby-version", r"^(?:ruby-)?([\d.]+)"), ("Gemfile", r"^ruby\s+['\"]([\d.]+)")]
    elif family == "csharp":
        patterns = [(".csproj", r"<TargetFrameworks?>\s*net(?:coreapp)?(\d+\.\d+)")]
    elif family == "java":
        patterns = [("pom.xml", r"<(?:java\.version|maven\.compiler\.release)>\s*([\d.]+)")]
    files = sorted(facts.files, key=lambda f: (f.count("/"), f))
    for name, pattern in patterns:
        for rel in files:
            base = rel.rsplit("/", 1)[-1]
            if base != name and not (name.startswith(".") and base.endswith(name) and name == ".csproj"):
                continue
            try:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            m = re.search(pattern, text, re.M)
            if m:
                return m.group(1), Evidence("language-version", rel, text.count("\n", 0, m.start()), m.group(0).strip())
    return None, None


def find_role(facts: ProjectFacts, packages: tuple[str, ...], dev: bool | None = None) -> Dependency | None:
    """The first declared dependency (in the role's order of preference) that plays a role."""
    by_name: dict[str, Dependency] = {}
    for dep in facts.dependencies:
        if dev is not None and dep.dev != dev and not (dev is False and dep.dev is False):
            continue
        by_name.setdefault(dep.name, dep)
    for name in packages:
        if name in by_name:
            return by_name[name]
    return None


def role_version(facts: ProjectFacts, dep: Dependency, versions: VersionData) -> tuple[str | None, Dependency]:
    """The version of a dependency; managed ones (Spring starters) take the version of a sibling
    that the same versions.yaml entry names (the parent POM)."""
    version = dep_version(dep)
    if version:
        return version, dep
    entry = versions.entry_for(dep.name)
    if entry is not None:
        for other in facts.dependencies:
            if other is not dep and versions.entry_for(other.name) is entry and dep_version(other):
                return dep_version(other), other
    return None, dep
