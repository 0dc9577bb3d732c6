"""Project configuration: `.backend-audit.yaml`, or `[tool.backend-audit]` in pyproject.toml.

    select: [RES, SCL003]        # ids, id prefixes, rule names or section keys
    ignore: [OBS001]
    severity: {RES001: Medium}   # per-rule severity override
    exclude: ["migrations/**"]   # gitignore-style globs, on top of .gitignore
    rules: [.audit-rules]        # extra rule directories, inside the workspace
    report: {output: docs/backend-audit.md, template: null}
    baseline: .backend-audit-baseline.json
    max-file-size: 1000000       # bytes; larger files are skipped with the reason

Parsing is strict (unknown keys are errors) and every error names the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs

from ..rules.loader import LoadError, read_yaml, structure
from ..rules.model import Severity

CONFIG_FILE = ".backend-audit.yaml"
DEFAULT_MAX_FILE_SIZE = 1_000_000


class ConfigError(ValueError):
    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@attrs.define
class ReportConfig:
    output: str | None = None
    """Where `report` writes by default (relative to the workspace; never outside it)."""
    template: str | None = None
    """A jinja2 template of the user's own, relative to the workspace."""
    format: str | None = None


@attrs.define
class Config:
    select: list[str] = attrs.field(factory=list)
    ignore: list[str] = attrs.field(factory=list)
    severity: dict[str, Severity] = attrs.field(factory=dict)
    exclude: list[str] = attrs.field(factory=list)
    rules: list[str] = attrs.field(factory=list)
    report: ReportConfig = attrs.field(factory=ReportConfig)
    baseline: str | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    source: str | None = None
    """The file this config came from (not a key)."""

    def merged(self, **overrides: Any) -> Config:
        """A copy with the given keys replaced where the override is not None/empty."""
        changes = {k: v for k, v in overrides.items() if v not in (None, [], {})}
        return attrs.evolve(self, **changes)


def _structure_config(data: Any, display: str, root_node: Any) -> Config:
    if data is None:
        return Config(source=display)
    if not isinstance(data, dict):
        raise ConfigError([LoadError(display, 1, "the config is a mapping of keys (select, ignore, …)")])
    if "source" in data:
        raise ConfigError([LoadError(display, None, "source: extra fields found (source)")])
    config, errors = structure(data, Config, root_node, display)
    if config is None:
        raise ConfigError(errors)
    config.source = display
    if config.max_file_size <= 0:
        raise ConfigError([LoadError(display, None, "max-file-size: must be a positive number of bytes")])
    return config


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The config for a workspace root; defaults when there is none. Raises ConfigError."""
    candidates = [explicit] if explicit else [root / CONFIG_FILE, root / ".backend-audit.yml"]
    for path in candidates:
        if path is not None and path.is_file():
            display = path.name if explicit is None else str(path)
            data, node, errors = read_yaml(path, display)
            if errors:
                raise ConfigError(errors)
            return _structure_config(data, display, node)
    if explicit is not None:
        raise ConfigError([LoadError(str(explicit), None, "config file not found")])
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
        except (tomllib.TOMLDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
            # A broken pyproject is the project's business unless it holds our table.
            if "backend-audit" in pyproject.read_text(encoding="utf-8", errors="replace"):
                raise ConfigError([LoadError("pyproject.toml", getattr(exc, "lineno", None), f"invalid TOML: {exc}")]) from None
            return Config()
        table = (data.get("tool") or {}).get("backend-audit")
        if table is not None:
            return _structure_config(table, "pyproject.toml [tool.backend-audit]", None)
    return Config()


def resolve_inside(root: Path, relative: str, what: str) -> Path:
    """Resolve a workspace-relative path from config; refuse one that escapes the workspace."""
    resolved = (root / relative).resolve()
    root_resolved = root.resolve()
    if resolved != root_resolved and root_resolved not in resolved.parents:
        raise ConfigError([LoadError(CONFIG_FILE, None, f"{what}: {relative!r} points outside the workspace")])
    return resolved
