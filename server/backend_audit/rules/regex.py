"""Bounded regular expressions for everything that comes from rule files and configs.

Rule patterns run over untrusted workspace text, so they use RE2 (linear time, no
backtracking): a catastrophic pattern such as ``(a+)+$`` costs the same as any other.
RE2 rejects backreferences and look-around; the compiler reports that as a rule error.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

Pattern = Any


class RegexError(ValueError):
    pass


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> Pattern:
    """Compile with RE2; raise RegexError with RE2's own reason when it is not supported."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    try:
        return re2.compile(pattern, options)
    except Exception as exc:  # re2 raises its own Error type, and TypeError for non-strings
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise RegexError(f"invalid or unsupported regex {pattern!r}: {reason}") from None


class LazyPattern:
    """A rule regex compiled on first use: loading a pack of hundreds of rules compiled every
    `where` regex (10 ms) when a run uses a few. Everything else is the compiled pattern's
    (``search``, ``finditer``, ``groupindex``...). Only patterns known to compile are deferred
    (rules/compiler.py), so a bad regex is still reported at load."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Pattern | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = compile_regex(self.source)
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.source!r})"
