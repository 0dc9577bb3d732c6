"""Literal prefilters: which rules cannot match a file, decided from its bytes in one pass.

tree-sitter's query engine costs about the same per pattern whether the patterns run in one
combined query or one by one (measured: a combined query of 100 Python patterns was *slower*
than the 55 rule queries run separately), so the only large saving is not running a pattern at
all. Most rules carry a regex that any match must satisfy: a ``#match?`` predicate or a
``where: regex`` on a capture, e.g. ``^(fastapi\\.)?(FastAPI|Flask|Starlette)$``. Every match of
that regex contains one of a few literal strings (``FastAPI``, ``Flask``, ``Starlette``), so a
file that contains none of them cannot produce a match. One RE2 ``Set`` per language searches a
file for all rules' literals at once; the rules none of whose literals occur are skipped.

Correctness rests on `required_literals` never promising a literal a match could lack. It only
answers for the regex constructs it understands (literals, small classes, groups, alternations,
repeats with a minimum of at least one) and returns None for anything else, including the RE2
syntax Python's parser reads differently (POSIX classes, ``\\p``, ``\\Q…\\E``, ``\\C``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

try:  # Python 3.11+: the parser behind `re`, used only to read the regex's structure
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - older layout
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

import re2
import tree_sitter as ts

from .model import Constraint
from .regex import RegexError, compile_regex

MIN_LITERAL = 3
"""Shorter literals occur in nearly every file; a prefilter made of them only costs time."""
MAX_ALTERNATIVES = 64
_UNSAFE = re.compile(r"\[:|\\[pPQEC0-9]")
"""Syntax where Python's parser and RE2 may disagree (or that we do not model): no prefilter.
Digits are back-references or octal escapes; ``[:`` opens a POSIX class only in RE2."""


def _escape_in_class(pattern: str, letters: str) -> bool:
    """Is one of ``\\<letter>`` used inside a character class (where ``\\b`` is a backspace
    to Python but not an assertion, so the two engines could differ)?"""
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if in_class and pattern[i + 1 : i + 2] in tuple(letters):
                return True
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading ] is a literal
                i += 1
        elif ch == "]" and in_class:
            in_class = False
        i += 1
    return False

Requirement = tuple[frozenset[str], int]
"""(alternatives, score): every match makes the file contain a match of one of the alternatives
(RE2 regex sources). The score ranks selectivity: the shortest literal's length, or 1 for a
relaxed regex (see `relax`)."""


def _literal_requirement(strings: Iterable[str], ignore_case: bool) -> Requirement:
    wrap = "(?i:{})" if ignore_case else "{}"
    return frozenset(wrap.format(re2.escape(s)) for s in strings), min(len(s) for s in strings)


def required_literals(pattern: str) -> tuple[frozenset[str], bool] | None:
    """The literals every match of `pattern` contains one of (and whether case is ignored),
    or None when unknown."""
    if _UNSAFE.search(pattern) or _escape_in_class(pattern, "bB"):
        return None
    try:
        parsed = _p.parse(pattern)
    except Exception:  # not parseable by Python (RE2-only syntax): no prefilter
        return None
    ignore_case = bool(parsed.state.flags & _c.SRE_FLAG_IGNORECASE) or "(?i" in pattern
    if parsed.state.flags & _c.SRE_FLAG_VERBOSE:
        return None
    found = _required(list(parsed))
    if found is None or not found or min(len(s) for s in found) < MIN_LITERAL:
        return None
    if ignore_case:
        found = {s.lower() for s in found}
    return frozenset(found), ignore_case


def relax(pattern: str) -> str | None:
    """`pattern` without its zero-width assertions (``^ $ \\A \\z \\b \\B``), or None.

    If a regex matches a node's text, its relaxed form matches that text too (an assertion only
    ever removes matches), and so has a match somewhere in the file that contains the node. That
    makes the relaxed regex a file-level requirement for regexes without a usable literal, such
    as ``^["']/?v[0-9]+`` (a quoted version path)."""
    if "[:" in pattern or "\\Q" in pattern:
        return None
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if not in_class and pattern[i + 1 : i + 2] in ("b", "B", "A", "z"):
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            for lead in ("^", "]"):  # a negation, then a leading ] (a literal)
                if pattern[i : i + 1] == lead:
                    out.append(lead)
                    i += 1
            continue
        if ch not in "^$":
            out.append(ch)
        i += 1
    relaxed = "".join(out)
    try:
        compiled = compile_regex(relaxed)
    except RegexError:
        return None
    if compiled.search("") is not None:  # matches everywhere: no use as a filter
        return None
    return relaxed


COMMON_WORDS = frozenset(
    """
    and args async await break case catch class const continue def default elif else enum
    except export exports extends false final finally for from func function get import
    interface let module new none not null package print private protected public raise
    require return self self. set static string struct super switch this this. throw throws
    true try type using var void while with yield console log value name data result error
    """.split()
)
"""Words in nearly every source file of some language (keywords, `self`, `this`, `console`...):
a literal requirement made only of them rules almost nothing out."""
_COMMON_SOURCES = frozenset(
    form for word in COMMON_WORDS for form in (re2.escape(word), f"(?i:{re2.escape(word)})")
)


def _weak(req: Requirement) -> bool:
    return all(a in _COMMON_SOURCES or a.lower() in _COMMON_SOURCES for a in req[0])


def requirement(pattern: str) -> Requirement | None:
    """What a file must contain for `pattern` to match a node (or capture) in it.

    Its literals, unless they are only common words (``import`` in ``import\\s*\\*``) and the
    relaxed regex (`relax`) says more: then the relaxed regex, which implies them."""
    literals = required_literals(pattern)
    relaxed = relax(pattern)
    if literals is not None:
        found = _literal_requirement(*literals)
        if relaxed is None or not _weak(found) or len(relaxed) <= max(len(a) for a in found[0]):
            return found
    return (frozenset({f"(?:{relaxed})"}), 1) if relaxed is not None else None


# -- the analysis over sre's parse tree ----------------------------------------------------------
# `_exact(items)` is the finite set of strings a sequence matches exactly (or None); `_required`
# picks the most selective requirement of a sequence from its exact runs and its sub-items.


def _exact_item(op: Any, av: Any) -> set[str] | None:
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _c.LITERAL:
                chars.add(chr(value))
            elif kind is _c.RANGE and value[1] - value[0] < 10:
                chars.update(chr(v) for v in range(value[0], value[1] + 1))
            else:
                return None
        return chars if 0 < len(chars) <= 10 else None
    if op is _c.SUBPATTERN:
        return _exact(list(av[-1]))
    if op is _c.BRANCH:
        return _union(av[1], _exact)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] == av[1] == 1:
        return _exact(list(av[2]))
    if op is _c.AT:
        return {""}
    return None


def _union(branches: Iterable[Any], of: Callable[[list], set[str] | None]) -> set[str] | None:
    """The strings of an alternation: each branch's, joined (None if one is unknown or too many)."""
    out: set[str] = set()
    for branch in branches:
        sub = of(list(branch))
        if sub is None:
            return None
        out |= sub
        if len(out) > MAX_ALTERNATIVES:
            return None
    return out


def _exact(items: list) -> set[str] | None:
    out = {""}
    for op, av in items:
        sub = _exact_item(op, av)
        if sub is None:
            return None
        out = {a + b for a in out for b in sub}
        if len(out) > MAX_ALTERNATIVES:
            return None
    return out


def _score(strings: Iterable[str] | None) -> int:  # of a literal set
    return min((len(s) for s in strings), default=0) if strings else 0


def _required(items: list) -> set[str] | None:
    """A set S such that every match of the sequence contains some s in S (None: unknown)."""
    candidates: list[set[str]] = []
    run: set[str] | None = {""}
    for op, av in items:
        exact = _exact_item(op, av)
        if exact is not None and run is not None:
            joined = {a + b for a in run for b in exact}
            if len(joined) <= MAX_ALTERNATIVES:
                run = joined
                continue
        if run is not None and _score(run) > 0:
            candidates.append(run)
        run = exact if exact is not None else {""}
        if exact is None:
            inner = _required_item(op, av)
            if inner is not None:
                candidates.append(inner)
    if run is not None and _score(run) > 0:
        candidates.append(run)
    if not candidates:
        return None
    return max(candidates, key=_score)


def _required_item(op: Any, av: Any) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _required(list(av[-1]))
    if op is _c.BRANCH:
        return _union(av[1], _required)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
        return _required(list(av[2]))
    return None


def best(requirements: Iterable[Requirement | None]) -> Requirement | None:
    """The most selective of several requirements that must all hold (None entries ignored):
    the longest shortest literal, but common words (`COMMON_WORDS`) rank below a relaxed regex."""
    known = [r for r in requirements if r is not None]
    if not known:
        return None
    return max(known, key=lambda r: 0.5 if _weak(r) else r[1])


def any_of(requirements: list[Requirement | None]) -> Requirement | None:
    """The requirement of "one of these alternatives holds": the union, if each has one."""
    if not requirements or any(r is None for r in requirements):
        return None
    alternatives: set[str] = set()
    for r in requirements:
        assert r is not None
        alternatives |= r[0]
    if len(alternatives) > 4 * MAX_ALTERNATIVES:
        return None
    return frozenset(alternatives), min(r[1] for r in requirements if r is not None)


class LiteralSet:
    """The requirements of many rules, searched in one pass: `possible(source)` says which of
    them a file meets. Literal requirements share one RE2 ``Set``; each relaxed regex is
    searched on its own, because mixing counted repeats or classes into the Set's DFA made it
    explode (a few such regexes made the combined Set 400 times slower). If RE2 cannot answer
    (its DFA ran out of memory), every requirement is reported met: the prefilter only ever
    skips work, never findings."""

    def __init__(self, requirements: list[Requirement]) -> None:
        options = re2.Options()
        options.log_errors = False
        options.max_mem = 256 << 20
        self._set = re2.Set.SearchSet(options)
        self._set_ids: list[int] = []
        self._regexes: list[tuple[int, Any]] = []
        for index, (alternatives, score) in enumerate(requirements):
            source = "|".join(sorted(alternatives))
            if score > 1:
                self._set.Add(source)
                self._set_ids.append(index)
            else:
                self._regexes.append((index, compile_regex(source)))
        self._sentinel = self._set.Add("")  # matches every text: proves the Set answered
        self._set.Compile()
        self._reach = 4 * max((len(a) for alternatives, _ in requirements for a in alternatives), default=0) + 4
        """Bytes a literal requirement's match can span: a regex source is at least as long as
        the literal it escapes, and a character (case-folded too) is at most four bytes."""

    def possible(self, source: bytes, lo: int = 0, hi: int | None = None) -> set[int] | None:
        """Indices of the requirements `source` meets; None when RE2 could not tell. With a
        range, the literal requirements only count if met by bytes that overlap it (searched
        within reach of it), and the relaxed regexes, of no bounded length, count anywhere."""
        if lo > 0 or hi is not None:
            found = self._set.Match(source[max(0, lo - self._reach) : None if hi is None else hi + self._reach])
        else:
            found = self._set.Match(source)
        if self._sentinel not in found:
            return None
        ids = self._set_ids
        met = {ids[i] for i in found if i != self._sentinel}
        for index, regex in self._regexes:
            raw = getattr(regex, "_regexp", None)
            if raw is None:  # pragma: no cover - another re2 binding
                hit = regex.search(source.decode("utf-8", "replace")) is not None
            else:
                hit = raw.Match(re2._Anchor.UNANCHORED, source, 0, len(source))[0][0] != -1
            if hit:
                met.add(index)
        return met


# -- rules -------------------------------------------------------------------------------------
_STRING = r'"((?:[^"\\]|\\.)*)"'
_PREDICATE = re.compile(r"#(ba-match\?|eq\?|any-of\?)\s+@([^\s)]+)((?:\s+" + _STRING + r")+)\s*\)")
_STRINGS = re.compile(_STRING)
_REQUIRED_QUANTIFIERS = ("", "+")
"""py-tree-sitter spells a capture's quantifier in a pattern as "", "?", "*" or "+" (and raises
for a capture the pattern does not have)."""


def unescape_query_string(text: str) -> str:
    """A tree-sitter query string literal's value: ``\\n``, ``\\r``, ``\\t``, ``\\0`` are control
    characters, any other escaped character stands for itself (tree-sitter's query parser)."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _quantifier_required(query: ts.Query, pattern: int, capture: str) -> bool:
    for index in range(query.capture_count):
        if query.capture_name(index) == capture:
            try:
                return query.capture_quantifier(pattern, index) in _REQUIRED_QUANTIFIERS
            except (SystemError, ValueError):
                return False
    return False


def query_requirement(query: ts.Query, source: str) -> Requirement | None:
    """What any match of a compiled (predicate-rewritten) query needs: each pattern needs the
    most selective of its ``#match?`` / ``#eq?`` / ``#any-of?`` predicates; the query needs one
    of its patterns. ``#eq?`` and ``#any-of?`` count only on a capture that is always present
    (tree-sitter passes them on an absent one); our ``#match?`` fails on an absent capture."""
    raw = source.encode("utf-8")
    per_pattern: list[Requirement | None] = []
    for index in range(query.pattern_count):
        text = raw[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)].decode("utf-8", "replace")
        found: list[Requirement | None] = []
        for m in _PREDICATE.finditer(text):
            name, capture = m.group(1), m.group(2)
            values = [unescape_query_string(v) for v in _STRINGS.findall(m.group(3))]
            if name == "ba-match?":
                if len(values) == 1:
                    found.append(requirement(values[0]))
            elif _quantifier_required(query, index, capture) and values and min(map(len, values)) >= MIN_LITERAL:
                if name == "eq?" and len(values) == 1:
                    found.append(_literal_requirement(values, False))
                elif name == "any-of?":
                    found.append(_literal_requirement(values, False))
        per_pattern.append(best(found))
    return any_of(per_pattern)


def constraint_requirements(constraints: Iterable[Constraint]) -> list[Requirement | None]:
    """Positive regexes of `where` constraints: on the capture, the whole file, or an
    ancestor / descendant that must exist (inside, has)."""
    out: list[Requirement | None] = []
    for c in constraints:
        for regex in (c.regex, c.file_regex):
            if regex:
                out.append(requirement(regex))
        for spec in (c.inside, c.has):
            if spec is not None and spec.regex:
                out.append(requirement(spec.regex))
    return out


ENABLED = os.environ.get("BACKEND_AUDIT_PREFILTER", "on").lower() not in ("0", "off", "false", "no")
"""Switch for comparing results with and without the prefilter (tests, benchmarks)."""


class RulePrefilter:
    """The prefilter of one language: rule ids without a requirement always run; the others run
    on a file only when one of their literals occurs in it."""

    def __init__(self, requirements: dict[str, Requirement | None]) -> None:
        self.always = frozenset(rid for rid, req in requirements.items() if req is None)
        self.filtered = [rid for rid, req in requirements.items() if req is not None]
        self._set = LiteralSet([req for req in requirements.values() if req is not None]) if self.filtered else None

    def possible(self, source: bytes) -> frozenset[str] | None:
        """The filtered rules that may match `source`; None means all of them (unknown)."""
        if self._set is None:
            return frozenset()
        if not ENABLED:
            return None
        found = self._set.possible(source)
        if found is None:
            return None
        ids = self.filtered
        return frozenset(ids[i] for i in found if i < len(ids))

    def possible_near(self, source: bytes, lo: int, hi: int) -> frozenset[str] | None:
        """The filtered rules that `source` may have become able to match through a change in
        ``source[lo:hi]``: those whose literals occur across that range, and those with a
        relaxed regex requirement `source` meets. The rest were possible before the change or
        still are not (see `incremental`)."""
        if self._set is None:
            return frozenset()
        if not ENABLED:
            return None
        found = self._set.possible(source, lo, hi)
        if found is None:
            return None
        ids = self.filtered
        return frozenset(ids[i] for i in found if i < len(ids))


# -- native pre-checks for `where` regexes ---------------------------------------------------------
def exact_values(pattern: str) -> frozenset[str] | None:
    """The finite set of texts an anchored regex (``^(get|post)$``) can match, or None.

    Used to add ``#any-of?`` to a combined query: tree-sitter then drops, in C, the matches whose
    capture cannot pass the rule's `where` regex, which is still checked afterwards. The set
    only has to contain every text the regex accepts (it does: assertions inside count as
    empty), never the reverse."""
    if _UNSAFE.search(pattern) or _escape_in_class(pattern, "bB"):
        return None
    try:
        parsed = _p.parse(pattern)
    except Exception:
        return None
    if parsed.state.flags & (_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_VERBOSE | _c.SRE_FLAG_MULTILINE | _c.SRE_FLAG_DOTALL):
        return None
    if "(?" in pattern.replace("(?:", "").replace("(?P<", ""):  # scoped flags and the like
        return None
    items = list(parsed)
    if len(items) < 2 or items[0] != (_c.AT, _c.AT_BEGINNING) or items[-1] != (_c.AT, _c.AT_END):
        return None
    values = _exact(items)
    if not values or len(values) > MAX_ALTERNATIVES or any("\n" in v or "\0" in v for v in values):
        return None
    return frozenset(values)


def query_string(value: str) -> str:
    """A tree-sitter query string literal for `value`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


def with_native_checks(query: ts.Query, source: str, checks: dict[str, frozenset[str]]) -> str:
    """`source` (predicate-rewritten, as `query` was compiled from) with an ``#any-of?`` on each
    capture of `checks` added to every pattern where that capture is always present."""
    if not checks:
        return source
    raw = source.encode("utf-8")
    out = []
    for index in range(query.pattern_count):
        text = raw[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)].decode("utf-8")
        added = [
            f"(#any-of? @{capture} {' '.join(query_string(v) for v in sorted(values))})"
            for capture, values in sorted(checks.items())
            if _quantifier(query, index, capture) == ""
        ]
        out.append(f"({text.strip()} {' '.join(added)})" if added else text.strip())
    return "\n".join(out)


def _quantifier(query: ts.Query, pattern: int, capture: str) -> str | None:
    for index in range(query.capture_count):
        if query.capture_name(index) == capture:
            try:
                return query.capture_quantifier(pattern, index)
            except (SystemError, ValueError):
                return None
    return None
