"""A snapshot of parsed rule files, so that start-up does not parse YAML again.

Parsing the pack's YAML was most of what loading the pack cost (about 0.2 s of every run for
~70 files), and the files rarely change. Each file's parsed data is therefore kept, as JSON,
keyed by a hash of the file's bytes and of the code that reads them (this module, the loader and
the model): an edited file, or a new version of backend-audit, simply misses. The data then goes
through the same strict structuring and compilation as freshly parsed YAML, so a snapshot can
save work but never change what loads; a file whose structuring fails is parsed again, for the
line numbers of its errors.

Only data that survives a JSON round trip unchanged is kept (YAML can also yield dates, sets or
non-string keys, which a rule file has no use for). The snapshot lives next to the record of
compiled queries (`cachedir.user_cache_dir`); it is JSON, never pickle, so a cache directory a
workspace controls cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

from .cachedir import user_cache_dir, write_json_atomic

FILE_NAME = "rulefiles-v1.json"
MAX_ENTRIES = 2_000
_lock = threading.Lock()


@cache
def _code_version() -> str:
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=16)
    for name in ("snapshot.py", "loader.py", "model.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def file_key(data: bytes) -> str:
    return hashlib.blake2b(data, key=_code_version().encode()[:64], digest_size=20).hexdigest()


class RuleFileSnapshot:
    """Parsed rule files by content key: ``{"data": <the YAML's data>, "lines": {path: line}}``,
    where `lines` maps the key paths the loader needs (``$.rules[3]``) to 1-based lines."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, dict[str, Any]] = {}
        self._touched: set[str] = set()
        self._dirty = False
        if file is not None:
            try:
                data = json.loads(file.read_bytes())
                if isinstance(data, dict) and data.get("code") == _code_version() and isinstance(data.get("files"), dict):
                    self._entries = {k: v for k, v in data["files"].items() if _valid(v)}
            except (OSError, ValueError, RecursionError):
                pass

    def get(self, key: str) -> tuple[Any, dict[str, int]] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._touched.add(key)
        return entry["data"], entry["lines"]

    def put(self, key: str, data: Any, lines: dict[str, int]) -> None:
        try:
            if json.loads(json.dumps(data)) != data:
                return
        except (TypeError, ValueError, RecursionError):
            return
        with _lock:
            self._entries[key] = {"data": data, "lines": lines}
            self._touched.add(key)
            self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.file is None:
            return
        with _lock:
            if len(self._entries) > MAX_ENTRIES:  # old versions of edited files pile up
                self._entries = {k: v for k, v in self._entries.items() if k in self._touched}
            payload = {"code": _code_version(), "files": self._entries}
            self._dirty = False
        write_json_atomic(self.file, payload)


def _valid(entry: Any) -> bool:
    if not isinstance(entry, dict) or "data" not in entry or not isinstance(entry.get("lines"), dict):
        return False
    return all(isinstance(v, int) and not isinstance(v, bool) for v in entry["lines"].values())


_snapshots: dict[Path | None, RuleFileSnapshot] = {}


def rule_file_snapshot() -> RuleFileSnapshot:
    """The snapshot for the current cache location (read once per process)."""
    folder = user_cache_dir()
    file = folder / FILE_NAME if folder is not None else None
    found = _snapshots.get(file)
    if found is None:
        found = _snapshots[file] = RuleFileSnapshot(file)
    return found
