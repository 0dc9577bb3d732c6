"""The persistent result cache: each file's `FileResult`, keyed by its content hash.

A warm scan (nothing changed) then reads and hashes the files and analyses none of them. What
is cached is a file's own contribution before anything project-wide happens: its findings
before suppressions, its evidence, dependencies, suppression comments, LOC and rule errors.
Project facts, project checks, suppressions and severity overrides are recomputed on every scan,
so a cached file still shows exactly what a fresh analysis would.

An entry is valid only for the same bytes (BLAKE2 of the content) and the same *key*: the
engine's own source, the rule pack (every rule, the header and the pack's dated data) and the
config. Any change there starts an empty cache, so a rule edit or an upgrade never serves stale
findings.

Where: the user cache directory (``$XDG_CACHE_HOME/backend-audit`` or
``~/.cache/backend-audit``), one folder per workspace path, so nothing is written into the
scanned repository. ``BACKEND_AUDIT_CACHE_DIR`` moves it (for example to a git-ignored
``.backend-audit-cache/`` in the workspace) or, set to ``off``, switches it off. The file is
JSON, never pickle: a cache directory inside an untrusted workspace must not run code.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from ..analysis.matcher import FileAnalysis
from ..project.manifests import Dependency
from ..rules.cachedir import OFF, user_cache_dir, write_json_atomic
from ..rules.compiler import CompiledPack
from .analyzer import Analyzer, FileResult
from .config import Config

RESULT_CACHE_ENV = "BACKEND_AUDIT_RESULT_CACHE"
FORMAT = 1


def default_cache_root() -> Path | None:
    """Where result caches live, or None when switched off (``BACKEND_AUDIT_RESULT_CACHE=off``
    switches off only this cache, not the record of compiled queries; see rules/querycache.py)."""
    if os.environ.get(RESULT_CACHE_ENV, "on").strip().lower() in OFF:
        return None
    return user_cache_dir()


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@cache
def engine_key() -> str:
    """A hash of this package's own source, so a changed analyser never reuses old results
    (development installs change without a version bump)."""
    from .. import __version__

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def pack_key(pack: CompiledPack) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(pack.header).encode())
    for rule in pack.rules:
        digest.update(repr((rule.path, rule.rule)).encode())
    if pack.data_dir is not None and pack.data_dir.is_dir():
        for path in sorted(pack.data_dir.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def config_key(config: Config) -> str:
    fields = {f.name: getattr(config, f.name) for f in attrs.fields(Config) if f.name != "source"}
    return hashlib.blake2b(repr(sorted(fields.items())).encode(), digest_size=16).hexdigest()


def result_to_json(result: FileResult) -> dict[str, Any]:
    return {"analysis": result.analysis.to_json(), "dependencies": [d.to_json() for d in result.dependencies]}


def result_from_json(data: dict[str, Any]) -> FileResult:
    return FileResult(
        FileAnalysis.from_json(data["analysis"]),
        [Dependency.from_json(d) for d in data.get("dependencies", ())],
    )


class ResultCache:
    """One workspace's cached file results (loaded lazily, saved atomically)."""

    def __init__(self, file: Path, key: str, workspace: Path | None = None) -> None:
        self.file = file
        self.key = key
        self.workspace = workspace
        self._entries: dict[str, dict[str, Any]] | None = None
        self._dirty = False
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_workspace(cls, root: Path, analyzer: Analyzer, cache_root: Path | None = None) -> ResultCache | None:
        """The cache of a workspace under `cache_root` (default: `default_cache_root()`);
        None when caching is off."""
        base = cache_root if cache_root is not None else default_cache_root()
        if base is None:
            return None
        root = root.resolve()
        folder = base / hashlib.sha256(str(root).encode()).hexdigest()[:16]
        key = "|".join((str(FORMAT), engine_key(), pack_key(analyzer.pack), config_key(analyzer.config)))
        return cls(folder / "results.json", hashlib.sha256(key.encode()).hexdigest(), root)

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = {}
            try:
                data = json.loads(self.file.read_bytes())
                if isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == self.key:
                    files = data.get("files")
                    if isinstance(files, dict):
                        self._entries = files
            except (OSError, ValueError, RecursionError):
                pass  # missing or unreadable: start empty
        return self._entries

    def get(self, path: str, digest: str) -> FileResult | None:
        entry = self._load().get(path)
        if entry is None or entry.get("hash") != digest:
            self.misses += 1
            return None
        try:
            result = result_from_json(entry["result"])
        except (KeyError, TypeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, path: str, digest: str, result: FileResult | dict[str, Any]) -> None:
        data = result if isinstance(result, dict) else result_to_json(result)
        self._load()[path] = {"hash": digest, "result": data}
        self._dirty = True

    def save(self, keep: Iterable[str] | None = None) -> None:
        """Write the cache if it changed; with `keep`, forget every other path (deleted files)."""
        entries = self._load()
        if keep is not None:
            wanted = set(keep)
            stale = [p for p in entries if p not in wanted]
            for path in stale:
                del entries[path]
            self._dirty = self._dirty or bool(stale)
        if not self._dirty:
            return
        payload = {"format": FORMAT, "key": self.key, "workspace": str(self.workspace or ""), "files": entries}
        try:
            if not self.file.parent.is_dir():
                self.file.parent.mkdir(parents=True, exist_ok=True)
                (self.file.parent / "workspace.txt").write_text(str(self.workspace or ""), encoding="utf-8")
                _prune(self.file.parent.parent)
        except OSError:
            return  # a read-only or full disk costs speed, never a scan
        if write_json_atomic(self.file, payload):
            self._dirty = False


def _prune(base: Path) -> None:
    """Forget the caches of workspaces that no longer exist (temporary checkouts, test
    folders), so the cache directory does not grow without bound. Only folders this module
    made (a 16-hex-digit name holding workspace.txt) are touched."""
    import shutil

    try:
        folders = [p for p in base.iterdir() if len(p.name) == 16 and p.is_dir()]
    except OSError:
        return
    for folder in folders:
        try:
            workspace = (folder / "workspace.txt").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if workspace and not Path(workspace).exists():
            shutil.rmtree(folder, ignore_errors=True)
