"""Compiling raw rules into executable matchers, and loading whole packs.

Compilation validates meaning (the loader only validated shape): known section and checklist
item, an id with the section's prefix, languages with a grammar for query rules, queries that
compile for every language, captures that exist, RE2-compatible regexes. A rule that fails is
reported as a `LoadError` and left out; the rest of the pack still runs.

For speed, the query rules of one language are also batched into a single tree-sitter query
(`CompiledPack.batch`), so each file gets one query pass for all its rules. ``#match?``
predicates are rewritten to a custom predicate evaluated with RE2, so that no rule regex ever
runs on Python's backtracking engine.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import attrs
import pathspec
import tree_sitter as ts

from ..syntax.languages import LANGUAGES, expand_languages, ts_language
from .loader import LoadError, load_pack_header, load_rule_file
from .model import (
    SECTION_KEYS,
    SECTION_PREFIXES,
    NodeSpec,
    PackHeader,
    Rule,
    RuleKind,
    Severity,
)
from .prefilter import (
    RulePrefilter,
    best,
    constraint_requirements,
    exact_values,
    query_requirement,
    with_native_checks,
)
from .querycache import LazyQueries, known_queries
from .regex import LazyPattern, Pattern, RegexError, compile_regex
from .snapshot import rule_file_snapshot

MATCH_PREDICATE = "ba-match?"
NOT_MATCH_PREDICATE = "ba-not-match?"
_PREDICATE_REWRITE = re.compile(r"#(not-)?match\?")
_CAPTURE_NAME = re.compile(r"@([A-Za-z_][A-Za-z0-9_.\-]*)")
_ID = re.compile(r"^([A-Z]{3})(\d{3})$")


class CompileError(ValueError):
    pass


def rewrite_predicates(query: str) -> str:
    return _PREDICATE_REWRITE.sub(lambda m: "#ba-not-match?" if m.group(1) else "#ba-match?", query)


def query_regexes(query: str) -> list[str]:
    """The regex strings used by (#match? ...) predicates, to validate them with RE2."""
    return re.findall(r'#(?:not-)?match\?\s+@\S+\s+"((?:[^"\\]|\\.)*)"', query)


@attrs.define
class CompiledNodeSpec:
    kinds: frozenset[str]
    regex: Pattern | None
    not_regex: Pattern | None
    queries: Mapping[str, ts.Query]
    stop_at: frozenset[str]
    max_depth: int | None


@attrs.define
class CompiledConstraint:
    capture: str
    regex: Pattern | None = None
    not_regex: Pattern | None = None
    inside: CompiledNodeSpec | None = None
    not_inside: CompiledNodeSpec | None = None
    has: CompiledNodeSpec | None = None
    not_has: CompiledNodeSpec | None = None
    file_regex: Pattern | None = None
    not_file_regex: Pattern | None = None


@attrs.define(eq=False)
class CompiledRule:
    rule: Rule
    path: str
    """The rule file, relative to the pack (or absolute for extra rule directories)."""
    line: int
    languages: tuple[str, ...]
    severity: Severity
    query_source: str | None = None
    queries: dict[str, ts.Query] = attrs.field(factory=dict)
    report_capture: str | None = None
    constraints: list[CompiledConstraint] = attrs.field(factory=list)
    pattern: Pattern | None = None
    include: PathPatterns | None = None
    exclude: PathPatterns | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def is_project(self) -> bool:
        return self.rule.match.project is not None

    @property
    def is_dependency(self) -> bool:
        return bool(self.rule.match.dependency)

    @property
    def is_outdated(self) -> bool:
        return self.rule.match.outdated is not None

    @property
    def is_probe(self) -> bool:
        return self.rule.kind is RuleKind.PROBE

    def applies_to_path(self, path: str) -> bool:
        if self.include is not None and not self.include.match_file(path):
            return False
        return not (self.exclude is not None and self.exclude.match_file(path))


class PathPatterns:
    """A rule's gitignore-style path list, compiled on first use: a run that never asks about a
    rule (a --select, a warm scan) should not pay for compiling its globs."""

    __slots__ = ("_spec", "patterns")

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._spec: pathspec.PathSpec | None = None
        known = known_queries()
        joined = "\0".join(patterns)
        if not known.knows("paths", joined):  # check it at load, where an error names the rule
            try:
                self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)
            except Exception as exc:  # pathspec raises its own error types, and re.error
                raise CompileError(f"paths: invalid pattern list {list(patterns)}: {exc}") from None
            known.add_known("paths", joined)

    def match_file(self, path: str) -> bool:
        spec = self._spec
        if spec is None:
            spec = self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        return spec.match_file(path)


def _spec(patterns: list[str]) -> PathPatterns | None:
    return _shared_spec(tuple(patterns)) if patterns else None


@functools.lru_cache(maxsize=1024)
def _shared_spec(patterns: tuple[str, ...]) -> PathPatterns:
    """One spec object per distinct pattern list, so the matcher can answer a path once for
    every rule that shares the list (most rules exclude the same test folders)."""
    return PathPatterns(patterns)


def _regex(pattern: str | None) -> Pattern | None:
    if pattern is None:
        return None
    known = known_queries()
    if known.knows("re2", pattern):
        return LazyPattern(pattern)
    compiled = compile_regex(pattern)
    known.add_known("re2", pattern)
    return compiled


def _check_query_regexes(source: str) -> None:
    for regex in query_regexes(source):
        compile_regex(regex.encode().decode("unicode_escape"))


def _compile_query(language: str, source: str) -> ts.Query:
    try:
        return ts.Query(ts_language(language), rewrite_predicates(source))
    except ts.QueryError as exc:
        raise CompileError(f"invalid query for {language}: {exc}") from None


def _lazy_queries(languages: tuple[str, ...], source: str) -> tuple[LazyQueries, str | None]:
    """The rule's queries, compiled now only if this text never compiled before (so an error
    is still reported at load), and the name of the query's first capture."""
    known = known_queries()
    compiled: dict[str, ts.Query] = {}
    first_capture: str | None = None
    checked = False
    for index, lang in enumerate(languages):
        meta = known.get(lang, source)
        if meta is None:
            if not checked:  # a recorded text had its regexes checked when it was recorded
                _check_query_regexes(source)
                checked = True
            compiled[lang] = _compile_query(lang, source)
            meta = known.add(lang, source, compiled[lang])
        if index == 0:
            first_capture = meta.get("first_capture")
    return LazyQueries(languages, source, _compile_query, compiled), first_capture


def _node_spec(spec: NodeSpec | None, languages: tuple[str, ...], relation: str) -> CompiledNodeSpec | None:
    if spec is None:
        return None
    if spec.query and relation in ("inside", "not-inside"):
        raise CompileError(f"{relation}: 'query' is only supported in has/not-has; use kind and regex")
    queries: Mapping[str, ts.Query] = _lazy_queries(languages, spec.query)[0] if spec.query else {}
    if not (spec.kind or spec.regex or spec.not_regex or spec.query):
        raise CompileError(f"{relation}: give at least one of kind, regex, not-regex, query")
    for lang in languages:
        known = _node_kinds(lang)
        for kind in spec.kind:
            if kind not in known:
                raise CompileError(f"{relation}: unknown node kind {kind!r} for {lang}")
    return CompiledNodeSpec(
        kinds=frozenset(spec.kind),
        regex=_regex(spec.regex),
        not_regex=_regex(spec.not_regex),
        queries=queries,
        stop_at=frozenset(spec.stop_at),
        max_depth=spec.max_depth,
    )


_kinds_cache: dict[str, frozenset[str]] = {}


def _node_kinds(language: str) -> frozenset[str]:
    kinds = _kinds_cache.get(language)
    if kinds is None:
        lang = ts_language(language)
        kinds = frozenset(
            name for i in range(lang.node_kind_count) if (name := lang.node_kind_for_id(i)) is not None
        )
        _kinds_cache[language] = kinds
    return kinds


def compile_rule(rule: Rule, path: str, line: int, header: PackHeader) -> CompiledRule:
    """Validate and compile one rule; raise CompileError with an actionable message."""
    sections = {s.key: s for s in header.sections}
    id_match = _ID.match(rule.id)
    if not id_match:
        raise CompileError(f"id {rule.id!r} must be a section prefix and three digits, e.g. RES001")
    if rule.section not in sections:
        raise CompileError(f"unknown section {rule.section!r}; expected one of {', '.join(SECTION_KEYS)}")
    prefix = sections[rule.section].prefix
    if id_match.group(1) != prefix:
        raise CompileError(f"id {rule.id} must start with {prefix} for section {rule.section}")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name):
        raise CompileError(f"name {rule.name!r} must be a lower-case slug")
    if not rule.message.strip():
        raise CompileError("message must not be empty")
    if rule.checklist is not None:
        sec, _, item = rule.checklist.partition(".")
        if sec not in sections or item not in {c.key for c in sections[sec].checklist}:
            raise CompileError(f"checklist {rule.checklist!r} is not an item of the pack (section.item-key)")
    if rule.kind is RuleKind.PROBE and not rule.fact:
        raise CompileError("a probe needs 'fact': the fact its matches are evidence for")
    try:
        languages = tuple(expand_languages(rule.languages)) if rule.languages else ()
    except KeyError as exc:
        raise CompileError(f"unknown language {exc.args[0]!r}; known: {', '.join(LANGUAGES)}") from None

    m = rule.match
    kinds = [k for k, v in (("query", m.query), ("pattern", m.pattern), ("dependency", m.dependency), ("project", m.project), ("outdated", m.outdated)) if v]
    if len(kinds) != 1:
        raise CompileError("match needs exactly one of query, pattern, dependency, project, outdated" + (f" (got {', '.join(kinds)})" if kinds else ""))
    compiled = CompiledRule(
        rule=rule,
        path=path,
        line=line,
        languages=languages,
        severity=rule.severity,
        include=_spec(rule.paths.include) if rule.paths else None,
        exclude=_spec(rule.paths.exclude) if rule.paths else None,
    )
    try:
        if m.query:
            if not languages:
                raise CompileError("a query rule needs languages")
            no_grammar = [lang for lang in languages if not LANGUAGES[lang].has_grammar]
            if no_grammar:
                raise CompileError(f"no tree-sitter grammar for {', '.join(no_grammar)}; use match.pattern")
            compiled.query_source = m.query
            compiled.queries, first_capture = _lazy_queries(languages, m.query)  # type: ignore[assignment]
            names = set(_CAPTURE_NAME.findall(m.query))
            if not names:
                raise CompileError("the query captures nothing; capture the reported node as @match")
            compiled.report_capture = "match" if "match" in names else first_capture
            for constraint in m.where:
                if constraint.capture not in names:
                    raise CompileError(f"where: capture @{constraint.capture} is not in the query")
                compiled.constraints.append(
                    CompiledConstraint(
                        capture=constraint.capture,
                        regex=_regex(constraint.regex),
                        not_regex=_regex(constraint.not_regex),
                        inside=_node_spec(constraint.inside, languages, "inside"),
                        not_inside=_node_spec(constraint.not_inside, languages, "not-inside"),
                        has=_node_spec(constraint.has, languages, "has"),
                        not_has=_node_spec(constraint.not_has, languages, "not-has"),
                        file_regex=_regex(constraint.file_regex),
                        not_file_regex=_regex(constraint.not_file_regex),
                    )
                )
            if rule.fix and rule.fix.target not in names:
                raise CompileError(f"fix.target @{rule.fix.target} is not a capture of the query")
        elif m.pattern:
            if not languages:
                raise CompileError("a pattern rule needs languages (e.g. dotenv, yaml, properties, python)")
            compiled.pattern = compile_regex(m.pattern)
            for constraint in m.where:
                # Pattern rules take regex conditions on named groups (or the whole match), so
                # a secret rule can exclude placeholders without RE2 lookarounds.
                if constraint.inside or constraint.not_inside or constraint.has or constraint.not_has:
                    raise CompileError("pattern rules take only regex, not-regex, file-regex and not-file-regex in where")
                if constraint.capture != "match" and constraint.capture not in compiled.pattern.groupindex:
                    raise CompileError(f"where: group {constraint.capture!r} is not a named group of the pattern")
                compiled.constraints.append(
                    CompiledConstraint(
                        capture=constraint.capture,
                        regex=_regex(constraint.regex),
                        not_regex=_regex(constraint.not_regex),
                        file_regex=_regex(constraint.file_regex),
                        not_file_regex=_regex(constraint.not_file_regex),
                    )
                )
            if rule.fix:
                raise CompileError("fixes are supported on query rules only")
        elif m.project:
            if rule.fix:
                raise CompileError("project checks cannot carry a fix")
        elif m.outdated:
            o = m.outdated
            if not o.dependency:
                raise CompileError("outdated: list the dependency names to compare (outdated.dependency)")
            if rule.fix:
                raise CompileError("outdated checks cannot carry a fix")
            if o.min_behind < 0 or (o.max_behind is not None and o.max_behind < o.min_behind):
                raise CompileError("outdated: need 0 <= min-behind <= max-behind")
        if m.where and not (m.query or m.pattern):
            raise CompileError("where applies to query and pattern rules only")
    except RegexError as exc:
        raise CompileError(str(exc)) from None
    return compiled


@attrs.define(eq=False)
class QueryBatch:
    """All query rules of one language in one tree-sitter query."""

    query: ts.Query
    rule_of_pattern: list[CompiledRule]
    rules: tuple[CompiledRule, ...] = ()
    """The member rules, in pattern order."""


@attrs.define(eq=False)
class CompiledPack:
    header: PackHeader
    root: Path | None
    rules: list[CompiledRule]
    errors: list[LoadError]
    maturity_path: Path | None = None
    data_dir: Path | None = None
    _batches: dict[str, QueryBatch | None] = attrs.field(factory=dict)
    _sub_batches: dict[tuple[str, frozenset[str]], QueryBatch | None] = attrs.field(factory=dict)
    _prefilters: dict[tuple[str, frozenset[str] | None], RulePrefilter] = attrs.field(factory=dict)
    _members: dict[str, tuple[CompiledRule, ...]] = attrs.field(factory=dict)
    _hot: OrderedDict[tuple[str, frozenset[str]], QueryBatch] = attrs.field(factory=OrderedDict)
    _uses: dict[tuple[str, frozenset[str]], int] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    @property
    def sections(self):  # noqa: ANN201 - list[Section]
        return self.header.sections

    def rule(self, rule_id: str) -> CompiledRule | None:
        for r in self.rules:
            if r.id == rule_id or r.rule.name == rule_id:
                return r
        return None

    def section_title(self, key: str) -> str:
        for s in self.header.sections:
            if s.key == key:
                return s.title
        return key

    def docs_url(self, rule: Rule) -> str:
        return self.header.docs_url.format(id=rule.id, name=rule.name)

    def batch(self, language: str, only: frozenset[str] | None = None) -> QueryBatch | None:
        """The combined query of a language's query rules (built once, thread-safe).

        With `only`, the query of just those rules (for a select/ignore that leaves rules out);
        each distinct selection is built once."""
        if only is not None and len(only) == len(self.query_rules(language)):
            only = None
        if only is None:
            full = self._batches.get(language, False)
            if full is False:
                with self._lock:
                    if language not in self._batches:
                        self._batches[language] = self._build_batch(language)
                full = self._batches[language]
            return full
        key = (language, only)
        sub = self._sub_batches.get(key, False)
        if sub is False:
            with self._lock:
                if key not in self._sub_batches:
                    if len(self._sub_batches) > 32:  # configs change rarely; bound it anyway
                        self._sub_batches.clear()
                    self._sub_batches[key] = self._build_batch(language, only)
                sub = self._sub_batches[key]
        return sub

    HOT_AFTER = 3
    """Uses of one rule selection before it gets its own combined query (see `hot_batch`)."""

    def hot_batch(self, language: str, only: frozenset[str]) -> QueryBatch | None:
        """The combined query of exactly these rules, once the same selection has been asked for
        `HOT_AFTER` times (an open document re-analysed on every edit), else None.

        One combined query walks the tree once, so for a selection used again and again it beats
        running each rule's own query (27 rules on a 2,800-line file: 29 ms against 48 ms); it
        costs a compile (about 45 ms there), which a one-off selection in a scan never repays."""
        if not only:
            return None
        key = (language, only)
        with self._lock:
            found = self._hot.get(key)
            if found is not None:
                self._hot.move_to_end(key)
                return found
            uses = self._uses[key] = self._uses.get(key, 0) + 1
            if len(self._uses) > 4096:
                self._uses.clear()
            if uses < self.HOT_AFTER:
                return None
        built = self._build_batch(language, only)
        if built is None:
            return None
        with self._lock:
            self._hot[key] = built
            while len(self._hot) > 64:
                self._hot.popitem(last=False)
        return built

    def query_rules(self, language: str) -> tuple[CompiledRule, ...]:
        """The query rules of a language, in pack order (without compiling a combined query)."""
        found = self._members.get(language)
        if found is None:
            found = self._members[language] = tuple(r for r in self.rules if language in r.queries)
        return found

    def prefilter(self, language: str, only: frozenset[str] | None = None) -> RulePrefilter:
        """Which query rules of a language a file's bytes rule out (see `prefilter`); with
        `only`, for just those rules (a select/ignore), so unselected queries stay uncompiled."""
        members = self.query_rules(language)
        if only is not None and len(only) == len(members):
            only = None
        key = (language, only)
        found = self._prefilters.get(key)
        if found is None:
            with self._lock:
                found = self._prefilters.get(key)
                if found is None:
                    requirements = {}
                    known = known_queries()
                    for r in members:
                        if only is not None and r.id not in only:
                            continue
                        source = r.query_source or ""
                        # Recorded per query text, so a rule no file can match never compiles.
                        stored = known.requirement(language, source)
                        if stored is known._MISSING:
                            own = query_requirement(r.queries[language], rewrite_predicates(source))
                            known.set_requirement(language, source, [sorted(own[0]), own[1]] if own else None)
                        else:
                            own = (frozenset(stored[0]), stored[1]) if stored else None  # type: ignore[index]
                        requirements[r.id] = best([own, *constraint_requirements(r.rule.match.where)])
                    known.save()
                    if len(self._prefilters) > 32:
                        self._prefilters.clear()
                    found = self._prefilters[key] = RulePrefilter(requirements)
        return found

    def _build_batch(self, language: str, only: frozenset[str] | None = None) -> QueryBatch | None:
        members = [r for r in self.rules if language in r.queries and (only is None or r.id in only)]
        if not members:
            return None
        rule_of_pattern: list[CompiledRule] = []
        for r in members:
            rule_of_pattern.extend([r] * r.queries[language].pattern_count)
        plain = "\n".join(rewrite_predicates(r.query_source or "") for r in members)
        checked = "\n".join(_with_native_checks(r, language) for r in members)
        for source in dict.fromkeys((checked, plain)):  # the checked form, else the plain one
            try:
                query = ts.Query(ts_language(language), source)
            except ts.QueryError:
                continue
            if query.pattern_count == len(rule_of_pattern):
                return QueryBatch(query, rule_of_pattern, tuple(members))
        raise RuntimeError("combined query lost patterns")  # pragma: no cover - tree-sitter invariant


def _with_native_checks(rule: CompiledRule, language: str) -> str:
    """The rule's query for a combined query, with its exact-alternation `where` regexes also
    checked by tree-sitter (`prefilter.with_native_checks`); the constraints still run after."""
    source = rewrite_predicates(rule.query_source or "")
    checks: dict[str, frozenset[str]] = {}
    for c in rule.rule.match.where:
        values = exact_values(c.regex) if c.regex else None
        if values is not None:
            checks[c.capture] = values & checks[c.capture] if c.capture in checks else values
    try:
        return with_native_checks(rule.queries[language], source, checks)
    except (UnicodeDecodeError, ValueError):
        return source


def packs_dir() -> Path:
    """Where the bundled packs live: the source tree's rules/ (editable installs, checkouts),
    else the data package a wheel installs them as (backend_audit.packs)."""
    here = Path(__file__).resolve()
    source_tree = here.parents[3] / "rules"
    if (source_tree / "backend-infrastructure" / "pack.yaml").is_file():
        return source_tree
    # Installed from a wheel: rules/ was packaged as backend_audit/packs (a namespace
    # package, so importlib.resources would hand back a MultiplexedPath; use the file system).
    return here.parents[1] / "packs"


def default_pack_dir() -> Path:
    return packs_dir() / "backend-infrastructure"


_SPECIAL_FILES = {"pack.yaml", "maturity.yaml"}


def rule_files(pack_dir: Path) -> list[Path]:
    out = []
    for p in sorted(pack_dir.rglob("*.y*ml")):
        rel = p.relative_to(pack_dir)
        if p.name in _SPECIAL_FILES or rel.parts[0] in ("data", "templates") or "examples" in rel.parts:
            continue
        out.append(p)
    return out


def load_pack(pack_dir: Path | None = None, extra_rule_dirs: list[Path] | None = None) -> CompiledPack:
    """Load, validate and compile a pack; never raises for problems in rule files."""
    pack_dir = pack_dir or default_pack_dir()
    header, errors = load_pack_header(pack_dir / "pack.yaml", "pack.yaml")
    if header is None:
        raise PackError("; ".join(str(e) for e in errors) or f"no pack.yaml in {pack_dir}")
    errors = list(errors)
    files: list[tuple[Path, str]] = [(p, p.relative_to(pack_dir).as_posix()) for p in rule_files(pack_dir)]
    for extra in extra_rule_dirs or []:
        if not extra.is_dir():
            errors.append(LoadError(str(extra), None, "extra rule directory does not exist"))
            continue
        files.extend((p, str(p)) for p in sorted(extra.rglob("*.y*ml")))
    rules: list[CompiledRule] = []
    seen: dict[str, str] = {}
    for path, display in files:
        raw_rules, file_errors = load_rule_file(path, display)
        errors.extend(file_errors)
        for rule, line in raw_rules:
            if rule.id in seen:
                errors.append(LoadError(display, line, f"duplicate rule id (first in {seen[rule.id]})", rule.id))
                continue
            try:
                rules.append(compile_rule(rule, display, line, header))
                seen[rule.id] = display
            except CompileError as exc:
                errors.append(LoadError(display, line, str(exc), rule.id))
    maturity = pack_dir / "maturity.yaml"
    known_queries().save()
    rule_file_snapshot().save()
    return CompiledPack(
        header=header,
        root=pack_dir,
        rules=rules,
        errors=errors,
        maturity_path=maturity if maturity.exists() else None,
        data_dir=pack_dir / "data" if (pack_dir / "data").is_dir() else None,
    )


class PackError(RuntimeError):
    """The pack itself (pack.yaml) cannot be loaded: nothing can run."""
