"""Where the caches that only save work live: the user cache directory.

``$XDG_CACHE_HOME/backend-audit`` or ``~/.cache/backend-audit``; ``BACKEND_AUDIT_CACHE_DIR``
moves it, and set to ``off`` (or empty, 0, none, false, no) switches every such cache off. Shared
by the record of compiled queries, the snapshot of parsed rule files and the result cache, so one
setting governs all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "BACKEND_AUDIT_CACHE_DIR"
OFF = frozenset({"", "0", "off", "none", "false", "no"})


def user_cache_dir() -> Path | None:
    """The cache directory, or None when caches are switched off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "backend-audit"
