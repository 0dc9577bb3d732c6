"""Where the caches that only save work live: the user cache directory.

``$XDG_CACHE_HOME/backend-audit`` or ``~/.cache/backend-audit``; ``BACKEND_AUDIT_CACHE_DIR``
moves it, and set to ``off`` (or empty, 0, none, false, no) switches every such cache off. Shared
by the record of compiled queries, the snapshot of parsed rule files and the result cache, so one
setting governs all of them.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_ENV = "BACKEND_AUDIT_CACHE_DIR"
OFF = frozenset({"", "0", "off", "none", "false", "no"})


def user_cache_dir() -> Path | None:
    """The cache directory, or None when caches are switched off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "backend-audit"


def write_json_atomic(file: Path, payload: Any) -> bool:
    """Write JSON through a temporary file and a rename, so that a reader never sees half a
    file and concurrent writers leave one whole version. False when it could not be written
    (a read-only or full disk costs speed, never a run)."""
    tmp: str | None = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{file.stem}-", suffix=".json", dir=file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, separators=(",", ":"))
        os.replace(tmp, file)
        tmp = None
        return True
    except OSError:
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
