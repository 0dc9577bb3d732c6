"""Node manifests beyond package.json: the lock files of npm, Yarn (classic and Berry) and
pnpm, and the runtime pins ``.nvmrc`` and ``.node-version``.

Lock-file records are ``locked``: they carry the resolved version of a package (transitive ones
included) and are used only to fill in the version of the dependencies package.json declares
(`ProjectFacts.merge`). pnpm-lock.yaml is YAML and is read with pyyaml's safe loader; the other
lock files are JSON or a line format read here. Nothing is ever executed.
"""

from __future__ import annotations

import json
import re

from ..manifests import Dependency, register_reader


def _locked(name: str, version: str, path: str, line: int, dev: bool = False) -> Dependency:
    return Dependency("npm", name.lower(), version, path, line, dev, version, locked=True)


def _clean(version: str) -> str | None:
    """``4.18.2(peer@1)`` / ``4.18.2_peer`` -> ``4.18.2``; links and tarballs -> None."""
    m = re.match(r"^v?(\d+\.\d+\.\d+[\w.\-+]*?)(?:[(_].*)?$", version.strip())
    return m.group(1) if m else None


def read_package_lock(path: str, text: str) -> list[Dependency]:
    data = json.loads(text)
    if not isinstance(data, dict):
        return []
    lines: dict[str, int] = {}
    for m in re.finditer(r'^\s*"node_modules/((?:@[^/"]+/)?[^/"]+)"\s*:', text, re.M):
        lines.setdefault(m.group(1).lower(), text.count("\n", 0, m.start()))
    deps: list[Dependency] = []
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for key, info in packages.items():
            if not key.startswith("node_modules/") or "/node_modules/" in key or not isinstance(info, dict):
                continue  # the root (""), workspaces and nested copies
            version = info.get("version")
            if isinstance(version, str) and (clean := _clean(version)):
                name = key[len("node_modules/") :]
                deps.append(_locked(name, clean, path, lines.get(name.lower(), 0), bool(info.get("dev"))))
        return deps
    dependencies = data.get("dependencies")  # lockfileVersion 1
    if isinstance(dependencies, dict):
        for m in re.finditer(r'^    "((?:@[^/"]+/)?[^/"]+)"\s*:\s*\{', text, re.M):
            lines.setdefault(m.group(1).lower(), text.count("\n", 0, m.start()))
        for name, info in dependencies.items():
            if isinstance(info, dict) and isinstance(info.get("version"), str) and (clean := _clean(info["version"])):
                deps.append(_locked(name, clean, path, lines.get(name.lower(), 0), bool(info.get("dev"))))
    return deps


def _yarn_names(header: str) -> list[tuple[str, str]]:
    """``"express@^4.17.1", express@^4.18.0:`` -> [(express, ^4.17.1), (express, ^4.18.0)]."""
    names = []
    for part in header.rstrip(":").split(","):
        spec = part.strip().strip('"')
        at = spec.rfind("@")
        if at > 0:
            names.append((spec[:at], spec[at + 1 :].removeprefix("npm:")))
    return names


def read_yarn_lock(path: str, text: str) -> list[Dependency]:
    """Yarn classic (``version "4.18.2"``) and Berry (``version: 4.18.2``) lock files."""
    deps: list[Dependency] = []
    pending: list[str] = []
    header_line = 0
    for lineno, line in enumerate(text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if not line[0].isspace():
            pending = _yarn_names(line) if line.endswith(":") and not line.startswith("__metadata") else []
            header_line = lineno
            continue
        if pending:
            m = re.match(r'^\s+version:?\s+"?([^"\s]+)"?\s*$', line)
            if m and (clean := _clean(m.group(1))):
                # one record per requested range, so that a declared range finds its own entry
                deps.extend(
                    Dependency("npm", name.lower(), spec, path, header_line, False, clean, locked=True)
                    for name, spec in pending
                )
                pending = []
    return deps


def read_pnpm_lock(path: str, text: str) -> list[Dependency]:
    import yaml  # on first use: only pnpm projects need it

    # A safe loader; the C one is much faster on large lock files.
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict):
        return []
    importers = data.get("importers")
    tables = list(importers.values()) if isinstance(importers, dict) else [data]
    deps: list[Dependency] = []
    for importer in tables:
        if not isinstance(importer, dict):
            continue
        for key, dev in (("dependencies", False), ("devDependencies", True), ("optionalDependencies", False)):
            section = importer.get(key)
            if not isinstance(section, dict):
                continue
            for name, value in section.items():
                version = value.get("version") if isinstance(value, dict) else value
                if not isinstance(version, str) or not (clean := _clean(version)):
                    continue
                m = re.search(r"^\s+['\"]?" + re.escape(str(name)) + r"['\"]?:", text, re.M)
                line = text.count("\n", 0, m.start()) if m else 0
                deps.append(_locked(str(name), clean, path, line, dev))
    return deps


def read_nvmrc(path: str, text: str) -> list[Dependency]:
    """``.nvmrc`` / ``.node-version``: ``18``, ``v20.11.1``, ``lts/iron`` (an alias is skipped)."""
    for lineno, raw in enumerate(text.splitlines()):
        m = re.match(r"^\s*v?(\d+(?:\.\d+){0,2})\s*$", raw)
        if m:
            version = m.group(1)
            exact = version if version.count(".") == 2 else None
            return [Dependency("npm", "node", version, path, lineno, False, exact)]
    return []


register_reader(r"^package-lock\.json$", read_package_lock)
register_reader(r"^npm-shrinkwrap\.json$", read_package_lock)
register_reader(r"^yarn\.lock$", read_yarn_lock)
register_reader(r"^pnpm-lock\.ya?ml$", read_pnpm_lock)
register_reader(r"^\.nvmrc$", read_nvmrc)
register_reader(r"^\.node-version$", read_nvmrc)
