"""The language registry: which grammar parses which file, and each language's comment syntax.

Grammars come from the official per-language tree-sitter wheels and are loaded lazily, once
per process: importing a grammar module costs a few milliseconds, and most scans touch only
two or three languages. Languages without a grammar ("text" languages such as `.env` or
`*.properties`) are still registered, because text-regex rules and suppressions apply to them.
"""

from __future__ import annotations

import fnmatch
import importlib
import threading
from collections.abc import Iterable
from functools import cache, lru_cache

import attrs
import tree_sitter as ts


@attrs.frozen
class LanguageSpec:
    name: str
    """Registry key used by rules, e.g. ``python`` or ``tsx``."""
    extensions: tuple[str, ...] = ()
    """Lower-case file suffixes including the dot."""
    filenames: tuple[str, ...] = ()
    """Glob patterns matched against the file's base name (``Dockerfile``, ``.env.*``)."""
    grammar: tuple[str, str] | None = None
    """(module, function) that returns the tree-sitter language pointer; None for text."""
    line_comments: tuple[str, ...] = ()
    block_comments: tuple[tuple[str, str], ...] = ()
    family: str = ""
    """Rules may name the family (``javascript`` covers JS, TS and TSX); defaults to name."""

    @property
    def has_grammar(self) -> bool:
        return self.grammar is not None


_C_COMMENTS = {"line_comments": ("//",), "block_comments": (("/*", "*/"),)}

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec("python", (".py", ".pyi"), (), ("tree_sitter_python", "language"), ("#",)),
        LanguageSpec(
            "javascript",
            (".js", ".mjs", ".cjs", ".jsx"),
            (),
            ("tree_sitter_javascript", "language"),
            **_C_COMMENTS,
            family="javascript",
        ),
        LanguageSpec(
            "typescript",
            (".ts", ".mts", ".cts"),
            (),
            ("tree_sitter_typescript", "language_typescript"),
            **_C_COMMENTS,
            family="javascript",
        ),
        LanguageSpec(
            "tsx", (".tsx",), (), ("tree_sitter_typescript", "language_tsx"), **_C_COMMENTS, family="javascript"
        ),
        LanguageSpec("java", (".java",), (), ("tree_sitter_java", "language"), **_C_COMMENTS),
        LanguageSpec("go", (".go",), (), ("tree_sitter_go", "language"), **_C_COMMENTS),
        LanguageSpec("csharp", (".cs",), (), ("tree_sitter_c_sharp", "language"), **_C_COMMENTS),
        LanguageSpec(
            "ruby",
            (".rb", ".rake", ".gemspec"),
            ("Gemfile", "Rakefile", "config.ru"),
            ("tree_sitter_ruby", "language"),
            ("#",),
        ),
        # Text languages: matched by regex rules only.
        LanguageSpec("dotenv", (), (".env", ".env.*", "*.env"), None, ("#",)),
        LanguageSpec("properties", (".properties",), (), None, ("#", "!")),
        LanguageSpec("yaml", (".yml", ".yaml"), (), None, ("#",)),
        LanguageSpec("dockerfile", (".dockerfile",), ("Dockerfile", "Dockerfile.*", "Containerfile"), None, ("#",)),
        LanguageSpec("toml", (".toml",), (), None, ("#",)),
        LanguageSpec("ini", (".ini", ".cfg", ".conf"), (), None, ("#", ";")),
        LanguageSpec("json", (".json",), (), None, ()),
        LanguageSpec("xml", (".xml", ".csproj", ".props"), (), None, (), (("<!--", "-->"),)),
        LanguageSpec("gradle", (".gradle", ".kts"), (), None, **_C_COMMENTS),
        LanguageSpec("requirements", (), ("requirements*.txt", "requirements/*.txt", "constraints*.txt"), None, ("#",)),
        LanguageSpec("gomod", (), ("go.mod",), None, ("//",)),
    )
}

_BY_EXTENSION: dict[str, LanguageSpec] = {}
for _spec in LANGUAGES.values():
    for _ext in _spec.extensions:
        _BY_EXTENSION.setdefault(_ext, _spec)

_FILENAME_PATTERNS: list[tuple[str, LanguageSpec]] = [
    (pattern, spec) for spec in LANGUAGES.values() for pattern in spec.filenames
]


def family_of(name: str) -> str:
    spec = LANGUAGES.get(name)
    return (spec.family or spec.name) if spec else name


def expand_languages(names: Iterable[str]) -> list[str]:
    """Resolve rule language names to registry keys; a family name covers all its members."""
    out: list[str] = []
    for name in names:
        members = [s.name for s in LANGUAGES.values() if (s.family or s.name) == name or s.name == name]
        if not members:
            raise KeyError(name)
        for member in members:
            if member not in out:
                out.append(member)
    return out


def language_for_path(path: str) -> LanguageSpec | None:
    """The language of a file by its name; None for files no rule can look at."""
    return _language_for_name(path.rsplit("/", 1)[-1])


@lru_cache(maxsize=4096)
def _language_for_name(base: str) -> LanguageSpec | None:
    for pattern, spec in _FILENAME_PATTERNS:
        if fnmatch.fnmatchcase(base, pattern):
            return spec
    dot = base.rfind(".")
    if dot <= 0:
        return None
    return _BY_EXTENSION.get(base[dot:].lower())


_lock = threading.Lock()


@cache
def ts_language(name: str) -> ts.Language:
    """The tree-sitter Language for a registry key (cached per process)."""
    spec = LANGUAGES[name]
    if spec.grammar is None:
        raise ValueError(f"{name} has no tree-sitter grammar")
    module_name, func = spec.grammar
    with _lock:
        module = importlib.import_module(module_name)
    return ts.Language(getattr(module, func)())


_parsers = threading.local()


def parser_for(name: str) -> ts.Parser:
    """A parser for the language, one per thread (parsers are not thread-safe)."""
    cache_ = getattr(_parsers, "by_lang", None)
    if cache_ is None:
        cache_ = _parsers.by_lang = {}
    parser = cache_.get(name)
    if parser is None:
        parser = cache_[name] = ts.Parser(ts_language(name))
    return parser
