"""Queries compiled on first use, and a record of the ones known to compile.

Compiling tree-sitter queries was most of the time it took to load the pack (several hundred
rules, each compiled for every language it names, 1-2 s), and a run that analyses little (a
warm scan from the result cache, a ``--select`` of a few rules) needs few of them. So a rule's
queries are compiled when first used (`LazyQueries`). Loading must still report a query that
does not compile, with its rule; a query is therefore compiled at load unless this very text
has compiled before with the same tree-sitter and grammar versions, which `KnownQueries`
records (it records the rules' path lists that compiled the same way), with what is read from the compiled query: its first capture's name, and its literal
prefilter requirement (rules/prefilter.py), so that a rule no file can match is never compiled.

The record lives in the user cache directory (``BACKEND_AUDIT_CACHE_DIR`` moves it; ``off``
keeps it in memory only). It is plain JSON and only ever lets a load skip work: a wrong entry
makes the query fail when first used instead of at load.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path

import tree_sitter as ts

from ..syntax.languages import LANGUAGES
from .cachedir import CACHE_ENV, user_cache_dir, write_json_atomic

MAX_ENTRIES = 20_000
_lock = threading.Lock()


def _store_file() -> Path | None:
    folder = user_cache_dir()
    return folder / "queries-v1.json" if folder is not None else None


@cache
def _versions(language: str) -> str:
    """What a compiled query depends on: tree-sitter's version and the grammar's binary (its
    module, size and modification time, as Python's .pyc files record their source; reading
    package metadata instead cost 20 ms of every start-up)."""
    spec = LANGUAGES.get(language)
    parts = [f"tree-sitter={getattr(ts, '__version__', '?')}"]
    if spec is not None and spec.grammar:
        module = importlib.import_module(spec.grammar[0])
        folder = Path(module.__file__ or "").parent
        for binary in sorted(folder.glob("_binding*")):
            stat = binary.stat()
            parts.append(f"{spec.grammar[0]}:{binary.name}:{stat.st_size}:{stat.st_mtime_ns}")
    else:
        parts.append(language)
    return ";".join(parts)


@cache
def _prefilter_version() -> str:
    return hashlib.sha256((Path(__file__).parent / "prefilter.py").read_bytes()).hexdigest()[:16]


class KnownQueries:
    """Query texts known to compile, by language and grammar version."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, dict] = {}
        self._dirty = False
        self._touched: set[str] = set()
        if file is not None:
            try:
                data = json.loads(file.read_bytes())
                if isinstance(data, dict):
                    self._entries = {k: v for k, v in data.items() if isinstance(v, dict)}
            except (OSError, ValueError, RecursionError):
                pass

    @staticmethod
    def key(language: str, source: str) -> str:
        return hashlib.sha256(f"{_versions(language)}\0{language}\0{source}".encode()).hexdigest()

    def get(self, language: str, source: str) -> dict | None:
        key = self.key(language, source)
        self._touched.add(key)
        return self._entries.get(key)

    def add(self, language: str, source: str, query: ts.Query) -> dict:
        meta = {"first_capture": query.capture_name(0) if query.capture_count else None}
        key = self.key(language, source)
        with _lock:
            self._entries[key] = meta
            self._touched.add(key)
            self._dirty = True
        return meta

    def knows(self, kind: str, text: str) -> bool:
        """Has this rule regex (`kind` "re2") or gitignore-style path list ("paths", joined
        with NULs) compiled before?"""
        key = self._other_key(kind, text)
        self._touched.add(key)
        return key in self._entries

    def add_known(self, kind: str, text: str) -> None:
        key = self._other_key(kind, text)
        with _lock:
            self._entries[key] = {}
            self._touched.add(key)
            self._dirty = True

    @staticmethod
    def _other_key(kind: str, text: str) -> str:
        if kind == "paths":
            import pathspec

            kind = f"paths\0pathspec={pathspec.__version__}"
        return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()

    _MISSING = object()

    def requirement(self, language: str, source: str) -> object:
        """The stored prefilter requirement of this query text (a JSON value), or `_MISSING`."""
        meta = self._entries.get(self.key(language, source))
        if meta is None or "requirement" not in meta or meta.get("prefilter") != _prefilter_version():
            return self._MISSING
        return meta["requirement"]

    def set_requirement(self, language: str, source: str, value: object) -> None:
        with _lock:
            meta = self._entries.get(self.key(language, source))
            if meta is not None:
                meta["requirement"] = value
                meta["prefilter"] = _prefilter_version()  # derived by this code: redo if it changes
                self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.file is None:
            return
        if len(self._entries) > MAX_ENTRIES:  # old rule texts pile up as rules are edited
            self._entries = {k: v for k, v in self._entries.items() if k in self._touched}
        if write_json_atomic(self.file, self._entries):
            self._dirty = False


_known: dict[tuple[str | None, str | None, str | None], KnownQueries] = {}


def known_queries() -> KnownQueries:
    """The record for the current cache location (read once per process; asked for by every
    rule at load, so the location is looked up by the variables that decide it)."""
    env = os.environ
    where = (env.get(CACHE_ENV), env.get("XDG_CACHE_HOME"), env.get("HOME"))
    found = _known.get(where)
    if found is None:
        found = _known[where] = KnownQueries(_store_file())
    return found


class LazyQueries(Mapping[str, ts.Query]):
    """A rule's query per language, compiled on first access (thread-safe)."""

    __slots__ = ("_compile", "_compiled", "_languages", "_source")

    def __init__(self, languages: tuple[str, ...], source: str, compile_: Callable[[str, str], ts.Query], compiled: dict[str, ts.Query] | None = None) -> None:
        self._languages = languages
        self._source = source
        self._compile = compile_
        self._compiled: dict[str, ts.Query] = dict(compiled or {})

    def __getitem__(self, language: str) -> ts.Query:
        query = self._compiled.get(language)
        if query is None:
            if language not in self._languages:
                raise KeyError(language)
            with _lock:
                query = self._compiled.get(language)
                if query is None:
                    query = self._compiled[language] = self._compile(language, self._source)
        return query

    def __contains__(self, language: object) -> bool:
        return language in self._languages

    def __iter__(self) -> Iterator[str]:
        return iter(self._languages)

    def __len__(self) -> int:
        return len(self._languages)

    def __repr__(self) -> str:
        return f"LazyQueries({list(self._languages)}, compiled={list(self._compiled)})"
