"""Per-file analysis: `(document, compiled pack, context) -> findings and evidence`.

This is pure: nothing here reads other files or keeps state between calls, which is what lets
the server re-analyse one file per keystroke and the engine cache results per content hash.
A literal prefilter (`rules/prefilter.py`) first rules out the query rules whose required
strings the file lacks; the rules without a prefilter run as one batched tree-sitter query and the
remaining candidates with their own queries. Each match is then checked against its rule's
relational constraints.

An open document carries a memo of its last analysis (`Document.regions`); its next analysis
then re-runs the queries over the region changed since (`incremental`) and keeps the other
matches. The result is the same as a whole analysis of the same text and tree (the property
test holds it to that), so the purity above still describes what comes out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import tree_sitter as ts

from ..rules.compiler import (
    MATCH_PREDICATE,
    NOT_MATCH_PREDICATE,
    CompiledNodeSpec,
    CompiledPack,
    CompiledRule,
)
from ..rules.model import Relevance
from ..rules.prefilter import RulePrefilter, requirement
from ..rules.regex import Pattern, RegexError, compile_regex
from .document import Document
from .finding import Evidence, Finding, Fix, TextEdit, fingerprint, mask_secret
from .incremental import MemoEntry, Region, changed_region, climb_kinds, widen
from .suppress import Suppression, parse_suppressions

RuleFilter = Callable[[CompiledRule], bool]


class RuleSelection:
    """A rule filter that also remembers which of a language's query rules it lets through:
    asking the filter for every rule of every file cost more than the rest of the Python work
    of a scan. Build a new one whenever the answer can change (a new config)."""

    __slots__ = ("_memo", "_test")

    def __init__(self, test: RuleFilter) -> None:
        self._test = test
        self._memo: dict[int, tuple[tuple[CompiledRule, ...], list[CompiledRule]]] = {}

    def __call__(self, rule: CompiledRule) -> bool:
        return self._test(rule)

    def chosen(self, members: tuple[CompiledRule, ...]) -> list[CompiledRule]:
        found = self._memo.get(id(members))
        if found is None or found[0] is not members:  # the id of a tuple since freed: recompute
            found = self._memo[id(members)] = (members, [r for r in members if self._test(r)])
        return found[1]


def _chosen(members: tuple[CompiledRule, ...], rule_filter: RuleFilter | None) -> list[CompiledRule]:
    if rule_filter is None:
        return list(members)
    if isinstance(rule_filter, RuleSelection):
        return rule_filter.chosen(members)
    return [r for r in members if rule_filter(r)]


@attrs.define
class FileAnalysis:
    """What one file contributes: its findings (before suppressions), evidence and metrics."""

    path: str
    language: str | None
    findings: list[Finding] = attrs.field(factory=list)
    evidence: list[Evidence] = attrs.field(factory=list)
    suppressions: list[Suppression] = attrs.field(factory=list)
    loc: int = 0
    has_syntax_errors: bool = False
    is_backend: bool = True
    errors: list[str] = attrs.field(factory=list)
    """Rules that raised while running on this file (contained, logged by the caller)."""

    def to_json(self) -> dict[str, Any]:
        """Everything, for the result cache and the process pool (round-trips with from_json)."""
        out: dict[str, Any] = {}
        for field in attrs.fields(FileAnalysis):
            value = getattr(self, field.name)
            if field.name in _SERIALISED_LISTS:
                value = [item.to_json() for item in value]
            elif isinstance(value, list):
                value = list(value)
            out[field.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileAnalysis:
        values = dict(data)
        for name, item_type in _SERIALISED_LISTS.items():
            values[name] = [item_type.from_json(item) for item in data.get(name, ())]
        return cls(**values)


_SERIALISED_LISTS: dict[str, Any] = {"findings": Finding, "evidence": Evidence, "suppressions": Suppression}


def node_text(source: bytes, node: ts.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


try:  # google-re2's compiled object matches UTF-8 bytes directly (no str round trip)
    from re2 import _Anchor as _RE2_ANCHOR

    _UNANCHORED = _RE2_ANCHOR.UNANCHORED
except ImportError:  # pragma: no cover - another re2 binding
    _UNANCHORED = None


def search_bytes(pattern: Pattern, data: bytes) -> bool:
    """``pattern.search(data.decode())`` without decoding: the hot path of every regex
    predicate and constraint. google-re2's Python wrapper re-encodes a str and maps offsets back
    on every call, which cost more than the query itself; its compiled object searches the
    UTF-8 bytes directly (the same RE2 program, so the same answer for UTF-8 text)."""
    raw = getattr(pattern, "_regexp", None)
    if raw is None or _UNANCHORED is None:  # pragma: no cover - another re2 binding
        return pattern.search(data.decode("utf-8", "replace")) is not None
    return raw.Match(_UNANCHORED, data, 0, len(data))[0][0] != -1


def count_loc(source: bytes) -> int:
    """Non-blank lines."""
    return sum(map(bool, map(bytes.strip, source.splitlines())))


def is_backend_file(path: str, text: str, relevance: Relevance, _cache: dict = {}) -> bool:  # noqa: B006
    """Does the pack's relevance mark this file as backend code?

    A file is backend code unless it matches ``not-backend`` (frontend bundles, scripts,
    tooling), when its path matches a file pattern or names a keyword, or when it imports one of
    the frameworks named by ``config-keys``.
    """
    key = id(relevance)
    specs = _cache.get(key)
    if specs is None:
        import pathspec

        specs = _cache[key] = (
            pathspec.GitIgnoreSpec.from_lines(relevance.not_backend),
            pathspec.GitIgnoreSpec.from_lines(relevance.file_patterns),
        )
    not_backend, backend = specs
    if not_backend.match_file(path):
        return False
    if backend.match_file(path):
        return True
    lowered = path.lower()
    if any(k in lowered for k in relevance.keywords):
        return True
    head = text[:4000]
    return any(k in head for k in relevance.config_keys) or relevance.always_include


_PREDICATE_REGEXES: dict[str, Pattern | None] = {}


def _predicate_regex(pattern: str) -> Pattern | None:
    regex = _PREDICATE_REGEXES.get(pattern, False)
    if regex is False:
        try:
            regex = compile_regex(pattern)
        except RegexError:
            regex = None
        _PREDICATE_REGEXES[pattern] = regex
    return regex


_GENERATED_MARKERS = (
    re.compile(rb"^// Code generated .* DO NOT EDIT\.$", re.M),  # Go's convention (go help generate)
    re.compile(rb"<auto-generated[ >/]"),  # .NET tools
    re.compile(rb"@generated\b"),  # Facebook/Buck convention, protoc plugins, many JS tools
    re.compile(rb"(?i)\bauto-?generated by\b.*\bdo not (edit|modify)"),
    re.compile(rb"(?i)generated by the protocol buffer compiler\.\s+do not edit"),
)


_GENERATED_HINT = re.compile(rb"(?i)generated")
"""In every marker: one search of the head rules most files out before the five."""


def is_generated(source: bytes) -> bool:
    """Does the file say it is generated? Only its head is read, as the conventions put it there."""
    head = source[:2048]
    return _GENERATED_HINT.search(head) is not None and any(marker.search(head) for marker in _GENERATED_MARKERS)


def _predicate(source: bytes) -> Callable:
    # Called by tree-sitter for every candidate match of a pattern with a regex predicate (on
    # an `(identifier) @x (#match? @x ...)` pattern: once per identifier in the file), so it is
    # kept to dict lookups, a bytes slice and one RE2 call.
    regexes = _PREDICATE_REGEXES

    def predicate(name: str, args: list, pattern_index: int, captures: dict) -> bool:
        if name == MATCH_PREDICATE:
            positive = True
        elif name == NOT_MATCH_PREDICATE:
            positive = False
        else:
            return True
        pattern = args[1][0]
        regex = regexes.get(pattern, False)
        if regex is False:
            regex = _predicate_regex(pattern)
        if regex is None:
            return False
        nodes = captures.get(args[0][0])
        if not nodes:
            return not positive
        for n in nodes:
            if not search_bytes(regex, source[n.start_byte : n.end_byte]):
                return not positive
        return positive

    return predicate


def _spec_matches(spec: CompiledNodeSpec, node: ts.Node, source: bytes) -> bool:
    if spec.kinds and node.type not in spec.kinds:
        return False
    if spec.regex is not None or spec.not_regex is not None:
        data = source[node.start_byte : node.end_byte]
        if spec.regex is not None and not search_bytes(spec.regex, data):
            return False
        if spec.not_regex is not None and search_bytes(spec.not_regex, data):
            return False
    return True


HAS_BUDGET = 2_000_000
"""Descendant visits allowed per document for has/not-has, so a pathologically nested file
(``f(f(f(…)))`` 10,000 deep) costs bounded time: past it, the rule stops on that file with an
error instead of running for minutes."""


class BudgetExceeded(RuntimeError):
    pass


class _Climb:
    """Per-document memo for relational constraints.

    tree-sitter finds a node's parent by descending from the root, so ``node.parent`` costs
    O(depth), and climbing from every match of a deeply nested file is cubic (10,000 nested
    calls took minutes). Parents and ``inside`` answers are memoised by node id, which makes
    the climbs of one document linear overall."""

    __slots__ = ("file_hits", "inside", "parents", "visits")

    def __init__(self) -> None:
        self.parents: dict[int, ts.Node | None] = {}
        self.inside: dict[tuple[int, int], bool] = {}
        self.visits = 0
        self.file_hits: dict[int, bool] = {}
        """file-regex answers by regex id: one search of the whole file per regex, not per match."""

    def file_matches(self, regex: Pattern, source: bytes) -> bool:
        key = id(regex)
        hit = self.file_hits.get(key)
        if hit is None:
            hit = self.file_hits[key] = search_bytes(regex, source)
        return hit

    def parent(self, node: ts.Node) -> ts.Node | None:
        key = node.id
        if key in self.parents:
            return self.parents[key]
        parent = self.parents[key] = node.parent
        return parent


def _inside(spec: CompiledNodeSpec, node: ts.Node, source: bytes, climb: _Climb | None = None) -> bool:
    climb = climb or _Climb()
    if spec.max_depth is not None:
        depth = 0
        parent = climb.parent(node)
        while parent is not None:
            depth += 1
            if depth > spec.max_depth:
                return False
            if _spec_matches(spec, parent, source):
                return True
            if parent.type in spec.stop_at:
                return False
            parent = climb.parent(parent)
        return False
    # Every node on the way up shares the answer of the first node whose answer is known.
    sid = id(spec)
    chain = [node]
    current = node
    while True:
        known = climb.inside.get((sid, current.id))
        if known is not None:
            result = known
            break
        parent = climb.parent(current)
        if parent is None:
            result = False
            break
        if _spec_matches(spec, parent, source):
            result = True
            break
        if parent.type in spec.stop_at:
            result = False
            break
        chain.append(parent)
        current = parent
    for n in chain:
        climb.inside[(sid, n.id)] = result
    return result


def _has(spec: CompiledNodeSpec, node: ts.Node, source: bytes, language: str, climb: _Climb | None = None) -> bool:
    query = spec.queries.get(language)
    if query is not None:
        cursor = ts.QueryCursor(query)
        for _, captures in cursor.matches(node, predicate=_predicate(source)):
            if all(
                node.start_byte <= n.start_byte and n.end_byte <= node.end_byte
                for ns in captures.values()
                for n in ns
            ):
                if not (spec.kinds or spec.regex or spec.not_regex):
                    return True
                if any(_spec_matches(spec, n, source) for ns in captures.values() for n in ns):
                    return True
        return False
    climb = climb or _Climb()
    cursor = node.walk()
    # Pre-order walk over descendants (the node itself excluded).
    if not cursor.goto_first_child():
        return False
    while True:
        climb.visits += 1
        if climb.visits > HAS_BUDGET:
            raise BudgetExceeded(f"has/not-has stopped after {HAS_BUDGET:,} nodes: the file is nested too deeply")
        current = cursor.node
        if current is not None and _spec_matches(spec, current, source):
            return True
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return False


def _check_constraints(
    rule: CompiledRule, captures: dict[str, list[ts.Node]], doc: Document, language: str, climb: _Climb | None = None
) -> bool:
    climb = climb or _Climb()
    source = doc.source
    for c in rule.constraints:
        nodes = captures.get(c.capture)
        node = nodes[0] if nodes else None
        if c.file_regex is not None and not climb.file_matches(c.file_regex, source):
            return False
        if c.not_file_regex is not None and climb.file_matches(c.not_file_regex, source):
            return False
        if node is None:
            if c.regex is not None or c.inside is not None or c.has is not None:
                return False
            continue
        if c.regex is not None or c.not_regex is not None:
            data = source[node.start_byte : node.end_byte]
            if c.regex is not None and not search_bytes(c.regex, data):
                return False
            if c.not_regex is not None and search_bytes(c.not_regex, data):
                return False
        if c.inside is not None and not _inside(c.inside, node, source, climb):
            return False
        if c.not_inside is not None and _inside(c.not_inside, node, source, climb):
            return False
        if c.has is not None and not _has(c.has, node, source, language, climb):
            return False
        if c.not_has is not None and _has(c.not_has, node, source, language, climb):
            return False
    return True


def _expand(template: str, values: dict[str, str]) -> str:
    """Replace ``$name`` / ``${name}`` with capture texts (longest names first)."""
    out = template
    for name in sorted(values, key=len, reverse=True):
        out = out.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return out


@attrs.define
class _Hit:
    rule: CompiledRule
    start: int
    end: int
    values: dict[str, str]
    fix: Fix | None = None


Identity = tuple[tuple[str, int, int, int], ...]


@attrs.define(eq=False)
class _Match:
    """A query match that passed its rule's constraints (before duplicates are merged)."""

    rule: CompiledRule
    start: int
    end: int
    """The reported node."""
    values: dict[str, str]
    identity: Identity
    """(capture, start, end, kind id) of each capture's first node, by capture name: everything
    the constraints, the message and the fix read, so equal identities are the same match."""
    target: tuple[int, int] | None
    """The fix's target node, for a rule with a fix."""

    def shifted(self, region: Region) -> _Match:
        shift = region.shift
        return _Match(
            self.rule,
            shift(self.start),
            shift(self.end),
            self.values,
            tuple((name, shift(s), shift(e), kind) for name, s, e, kind in self.identity),
            (shift(self.target[0]), shift(self.target[1])) if self.target is not None else None,
        )

    def touches(self, lo: int, hi: int) -> bool:
        """Does a captured node intersect ``[lo, hi)`` as a query cursor's range test has it?"""
        return any((s < hi and e > lo) or (s == e and lo <= s < hi) for _, s, e, _ in self.identity)


def _identity(captures: dict[str, list[ts.Node]]) -> Identity:
    return tuple(sorted((name, ns[0].start_byte, ns[0].end_byte, ns[0].kind_id) for name, ns in captures.items() if ns))


QueryRun = tuple[ts.Query, list[CompiledRule]]


def _query_runs(
    pack: CompiledPack,
    chosen: list[CompiledRule],
    language: str,
    possible: frozenset[str] | None,
    always: frozenset[str],
    applicable: Callable[[CompiledRule], bool],
    hot: bool = True,
) -> list[QueryRun]:
    """The queries to run on one file, each with the rule of each of its patterns.

    Rules the literal prefilter rules out for this file (not in `possible`) do not run at all.
    The rest run as one combined query for the rules without a prefilter (selected rules only)
    plus each remaining rule's own query: tree-sitter's cost grows with the number of patterns,
    not with the number of passes, so the combined query of all rules would cost more than the
    few that can match."""
    if possible is None:  # prefilter off or undecided: every selected rule, in one query
        combined = pack.batch(language, frozenset(r.id for r in chosen))
        return [(combined.query, combined.rule_of_pattern)] if combined is not None else []
    unfiltered = frozenset(r.id for r in chosen if r.id in always)
    candidates = [r for r in chosen if r.id in possible and applicable(r)]
    # The same selection again and again (an open document): one combined query. Not in a
    # scan, where a selection recurs across files too seldom to repay compiling it (measured).
    combined_hot = pack.hot_batch(language, unfiltered | {r.id for r in candidates}) if hot else None
    if combined_hot is not None:
        return [(combined_hot.query, combined_hot.rule_of_pattern)]
    runs: list[QueryRun] = []
    if unfiltered:
        combined = pack.batch(language, unfiltered)
        if combined is not None:
            runs.append((combined.query, combined.rule_of_pattern))
    for r in candidates:
        query = r.queries[language]
        runs.append((query, [r] * query.pattern_count))
    return runs


def _collect(
    doc: Document,
    runs: list[QueryRun],
    language: str,
    applicable: Callable[[CompiledRule], bool],
    climb: _Climb,
    errors: list[str],
    byte_range: tuple[int, int] | None = None,
) -> list[_Match]:
    """The matches of `runs` that pass their constraints (all of them, or those whose pattern
    root intersects `byte_range`: see `incremental`)."""
    source = doc.source
    tree = doc.tree
    assert tree is not None
    predicate = _predicate(source)
    out: list[_Match] = []
    for query, rule_of_pattern in runs:
        cursor = ts.QueryCursor(query)
        if byte_range is not None:
            cursor.set_byte_range(*byte_range)
        for pattern_index, captures in cursor.matches(tree.root_node, predicate=predicate):
            rule = rule_of_pattern[pattern_index]
            if not applicable(rule):
                continue
            try:
                if rule.constraints and not _check_constraints(rule, captures, doc, language, climb):
                    continue
            except BudgetExceeded as exc:
                message = f"{rule.id}: {exc}"
                if message not in errors:
                    errors.append(message)
                continue
            except Exception as exc:  # a rule bug must not take the file down
                errors.append(f"{rule.id}: {exc!r}")
                continue
            reported = captures.get(rule.report_capture or "match")
            if not reported:
                continue
            node = reported[0]
            values = {name: node_text(source, ns[0]) for name, ns in captures.items() if ns}
            target = None
            if rule.rule.fix is not None:
                targets = captures.get(rule.rule.fix.target)
                if targets:
                    target = (targets[0].start_byte, targets[0].end_byte)
            out.append(_Match(rule, node.start_byte, node.end_byte, values, _identity(captures), target))
    return out


def _identities(
    tree: ts.Tree,
    source: bytes,
    runs: list[QueryRun],
    applicable: Callable[[CompiledRule], bool],
    byte_range: tuple[int, int],
) -> Counter[tuple[str, Identity]]:
    """The matches (before constraints) whose pattern root intersects `byte_range`."""
    predicate = _predicate(source)
    found: Counter[tuple[str, Identity]] = Counter()
    for query, rule_of_pattern in runs:
        cursor = ts.QueryCursor(query)
        cursor.set_byte_range(*byte_range)
        for pattern_index, captures in cursor.matches(tree.root_node, predicate=predicate):
            rule = rule_of_pattern[pattern_index]
            if applicable(rule):
                found[(rule.id, _identity(captures))] += 1
    return found


def _file_answers(runs: list[QueryRun], source: bytes) -> dict[int, tuple[Pattern, bool]]:
    answers: dict[int, tuple[Pattern, bool]] = {}
    for _, rule_of_pattern in runs:
        for rule in dict.fromkeys(rule_of_pattern):
            for c in rule.constraints:
                for regex in (c.file_regex, c.not_file_regex):
                    if regex is not None and id(regex) not in answers:
                        answers[id(regex)] = (regex, search_bytes(regex, source))
    return answers


def _query_matches(
    doc: Document,
    pack: CompiledPack,
    language: str,
    rule_filter: RuleFilter | None,
    applicable: Callable[[CompiledRule], bool],
    scope: tuple,
    result: FileAnalysis,
    found: _Pass,
) -> list[_Match]:
    """The query matches of a document: over the region changed since its memo's analysis when
    it has one (open documents), else over the whole tree."""
    members = pack.query_rules(language)
    chosen = _chosen(members, rule_filter)
    selection = frozenset(r.id for r in chosen)
    prefilter = pack.prefilter(language, selection)
    memo = doc.regions
    key = (language, selection, *scope)
    if memo is None:  # a one-off analysis (a scan): a file no query can match is not parsed
        possible = prefilter.possible(doc.source)
        runs = _query_runs(pack, chosen, language, possible, prefilter.always, applicable, hot=False)
        if not runs or doc.tree is None:
            return []
        return _collect(doc, runs, language, applicable, _Climb(), result.errors)
    tree = doc.tree
    assert tree is not None
    entry = memo.get(key)
    if entry is not None and entry.pack is pack:
        refreshed = _region_matches(entry, doc, pack, chosen, language, prefilter, applicable)
        if refreshed is not None:
            found.key, found.previous = key, entry
            found.entry, found.region = refreshed
            result.loc = found.entry.loc
            return found.entry.matches
    result.loc = count_loc(doc.source)
    possible = prefilter.possible(doc.source)
    runs = _query_runs(pack, chosen, language, possible, prefilter.always, applicable)
    climb = _Climb()
    matches = _collect(doc, runs, language, applicable, climb, result.errors)
    if not result.errors:
        found.key = key
        found.entry = MemoEntry(
            pack=pack,
            source=doc.source,
            lines=doc.lines,
            tree=tree.copy(),
            matches=matches,
            possible=possible,
            file_answers=_file_answers(runs, doc.source),
            kinds=climb_kinds(r for _, rules in runs for r in dict.fromkeys(rules)),
            visits=climb.visits,
            loc=result.loc,
        )
    return matches


def _region_matches(
    entry: MemoEntry,
    doc: Document,
    pack: CompiledPack,
    chosen: list[CompiledRule],
    language: str,
    prefilter: RulePrefilter,
    applicable: Callable[[CompiledRule], bool],
) -> tuple[MemoEntry, Region] | None:
    """The memo's matches brought up to this text by re-running the queries over the changed
    region only (see `incremental`); None when the whole file must be analysed again."""
    tree = doc.tree
    source = doc.source
    if entry.kinds is None or tree is None:
        return None
    region = widen(
        changed_region(entry.source, entry.lines, entry.tree, source, doc.lines, tree),
        entry.tree,
        tree,
        entry.kinds,
        len(entry.source),
        len(source),
    )
    if region is None:
        return None
    if entry.possible is not None:
        near = prefilter.possible_near(source, region.new_lo, region.new_hi)
        if near is None or not near <= entry.possible:
            return None  # a rule the prefilter had ruled out may match now, anywhere
    for regex, answer in entry.file_answers.values():
        if search_bytes(regex, source) != answer:
            return None
    runs = _query_runs(pack, chosen, language, entry.possible, prefilter.always, applicable)
    gone = _identities(entry.tree, entry.source, runs, applicable, (region.old_lo, region.old_hi))
    kept: list[_Match] = []
    for m in entry.matches:
        identity = (m.rule.id, m.identity)
        if gone[identity] > 0:
            gone[identity] -= 1
            continue
        if m.touches(region.old_lo, region.old_hi):
            return None  # not reported by the old tree's region pass: do not guess
        kept.append(m.shifted(region))
    climb = _Climb()
    climb.visits = entry.visits
    errors: list[str] = []
    fresh = _collect(doc, runs, language, applicable, climb, errors, (region.new_lo, region.new_hi))
    if errors or climb.visits > HAS_BUDGET // 2:
        return None  # near the budget, only a whole pass counts it as a fresh analysis would
    refreshed = MemoEntry(
        pack=pack,
        source=source,
        lines=doc.lines,
        tree=tree.copy(),
        matches=kept + fresh,
        possible=entry.possible,
        file_answers=entry.file_answers,
        kinds=entry.kinds,
        visits=climb.visits,
        loc=entry.loc - count_loc(_lines_around(entry.source, region.old_lo, region.old_hi))
        + count_loc(_lines_around(source, region.new_lo, region.new_hi)),
    )
    return refreshed, region


@attrs.define
class _Pass:
    """What the query pass of an open document leaves for the memo, stored once the pattern
    rules have run too."""

    key: tuple | None = None
    entry: MemoEntry | None = None
    previous: MemoEntry | None = None
    region: Region | None = None
    """Set for a region pass: what changed since `previous`."""


def _lines_around(source: bytes, lo: int, hi: int) -> bytes:
    """The whole lines that `source[lo:hi]` touches (without the newline that ends the last)."""
    start = source.rfind(b"\n", 0, lo) + 1
    end = source.find(b"\n", hi)
    return source[start : len(source) if end == -1 else end]


def _hits(matches: list[_Match], doc: Document) -> list[_Hit]:
    """One hit per rule and reported node. Of several matches reporting the same node, the one
    with the smallest identity wins (not the first found: a region pass finds them in another
    order than a whole pass, and both must give the same message)."""
    hits: list[_Hit] = []
    last: tuple[str, int, int] | None = None
    fixes: dict[str, Any] = {}
    for m in sorted(matches, key=lambda m: (m.start, m.end, m.rule.id, m.identity)):
        key = (m.rule.id, m.start, m.end)
        if key == last:
            continue
        last = key
        hit = _Hit(m.rule, m.start, m.end, m.values)
        if m.target is not None:
            hit.fix = _build_fix(m.rule, m.target, m.values, doc, fixes)
        hits.append(hit)
    return hits


def analyze_document(
    doc: Document,
    pack: CompiledPack,
    rule_filter: RuleFilter | None = None,
    is_backend: bool | None = None,
) -> FileAnalysis:
    """Run every applicable file-level rule on one document."""
    language = doc.language.name if doc.language else None
    text = doc.text
    backend = is_backend if is_backend is not None else is_backend_file(doc.path, text, pack.header.relevance)
    result = FileAnalysis(path=doc.path, language=language, loc=-1, is_backend=backend)
    if language is None:
        result.loc = count_loc(doc.source)
        return result

    answers: dict[str, bool] = {}

    def applicable(rule: CompiledRule) -> bool:
        # Asked once per match; the answer is per rule and file (path specs cost a glob match).
        answer = answers.get(rule.id)
        if answer is None:
            answer = answers[rule.id] = _applicable(rule)
        return answer

    generated = is_generated(doc.source)

    path_answers: dict[tuple[int, int], bool] = {}

    def _applicable(rule: CompiledRule) -> bool:
        if rule_filter is not None and not rule_filter(rule):
            return False
        if rule.rule.backend_only and not backend:
            return False
        if generated and not rule.is_probe:
            return False  # nobody fixes generated code by hand; its evidence still counts
        # Rules with the same path lists share their spec objects (compiler._shared_spec), so
        # a path is matched once per distinct list, not once per rule.
        key = (id(rule.include), id(rule.exclude))
        answer = path_answers.get(key)
        if answer is None:
            answer = path_answers[key] = rule.applies_to_path(doc.path)
        return answer

    hits: list[_Hit] = []
    found = _Pass()
    if doc.language is not None and doc.language.has_grammar and pack.query_rules(language):
        scope = (doc.path, backend, generated)
        hits = _hits(_query_matches(doc, pack, language, rule_filter, applicable, scope, result, found), doc)
    tree = doc.parsed_tree
    if tree is not None:  # not parsed: no query could match, and the answer is not worth a parse
        result.has_syntax_errors = tree.root_node.has_error
    if result.loc < 0:
        result.loc = count_loc(doc.source)
    quiet: set[str] = set()
    for rule in pack.rules:
        if rule.pattern is None or language not in rule.languages or not applicable(rule):
            continue
        if found.entry is not None and _still_quiet(rule, doc.source, found):
            quiet.add(rule.id)
            continue
        hits.extend(_pattern_hits(rule, doc, text))
    if found.entry is not None and found.key is not None and doc.regions is not None:
        found.entry.quiet = frozenset(quiet)
        doc.regions.put(found.key, found.entry, region=found.region is not None)

    occurrences: Counter[tuple[str, str]] = Counter()
    hits.sort(key=lambda h: (h.start, h.end, h.rule.id))
    for hit in hits:
        r = hit.rule.rule
        matched = doc.source[hit.start : hit.end].decode("utf-8", "replace")
        key = (r.id, matched)
        occurrence = occurrences[key]
        occurrences[key] += 1
        rng = doc.position_range(hit.start, hit.end)
        if hit.rule.is_probe:
            detail = _expand(r.message, _masked(hit.values, r.secret))
            result.evidence.append(Evidence(r.fact or r.name, doc.path, rng.start.line, detail, r.id))
            continue
        result.findings.append(
            Finding(
                rule=r.id,
                name=r.name,
                section=r.section,
                severity=hit.rule.severity,
                path=doc.path,
                range=rng,
                message=_expand(r.message, _masked(hit.values, r.secret)),
                scope="file",
                fingerprint=fingerprint(r.id, doc.path, matched, occurrence),
                fix=hit.fix,
            )
        )
    result.suppressions = parse_suppressions(doc)
    return result


def _masked(values: dict[str, str], secret: bool) -> dict[str, str]:
    if not secret:
        return values
    return {k: mask_secret(v) for k, v in values.items()}


_PATTERN_LITERALS: dict[int, tuple[CompiledRule, Pattern | None, int]] = {}


def _pattern_literals(rule: CompiledRule) -> tuple[Pattern | None, int]:
    """A regex of the literals every match of a pattern rule contains (None: no such literals),
    and how many bytes one of them can span."""
    known = _PATTERN_LITERALS.get(id(rule))
    if known is None or known[0] is not rule:
        needed = requirement(rule.rule.match.pattern or "")
        regex: Pattern | None = None
        reach = 0
        if needed is not None and needed[1] > 1:
            try:
                regex = compile_regex("|".join(sorted(needed[0])))
            except RegexError:
                regex = None
            reach = 4 * max(len(a) for a in needed[0]) + 4
        known = _PATTERN_LITERALS[id(rule)] = (rule, regex, reach)
    return known[1], known[2]


def _still_quiet(rule: CompiledRule, source: bytes, found: _Pass) -> bool:
    """Can a pattern rule be skipped on an open document because its text lacks the literals
    every match needs? After a region pass, when they were missing before, only the bytes
    around the region are searched: a new occurrence overlaps the change (a regex scan of the
    whole text per pattern rule cost more than the region's queries)."""
    regex, reach = _pattern_literals(rule)
    if regex is None:
        return False
    region, previous = found.region, found.previous
    if region is not None and previous is not None and rule.id in previous.quiet:
        return not search_bytes(regex, source[max(0, region.new_lo - reach) : region.new_hi + reach])
    return not search_bytes(regex, source)


def _pattern_hits(rule: CompiledRule, doc: Document, text: str) -> Iterable[_Hit]:
    assert rule.pattern is not None
    group = rule.rule.match.report_group
    if not rule.pattern.search(text):
        return
    encoded_prefix_cache: dict[int, int] = {}

    def byte_offset(char_offset: int) -> int:
        if text.isascii():
            return char_offset
        cached = encoded_prefix_cache.get(char_offset)
        if cached is None:
            cached = encoded_prefix_cache[char_offset] = len(text[:char_offset].encode("utf-8", "surrogatepass"))
        return cached

    for m in rule.pattern.finditer(text):
        try:
            span = m.span(group) if group is not None else m.span()
        except (IndexError, KeyError):
            span = m.span()
        if span[0] < 0:
            span = m.span()
        values = {"match": m.group(0)}
        try:
            groupdict = m.groupdict()
        except Exception:  # pragma: no cover - binding differences
            groupdict = {}
        values.update({k: v for k, v in groupdict.items() if v is not None})
        if span[1] == span[0]:
            continue
        if rule.constraints and not _pattern_constraints_hold(rule, values, text):
            continue
        yield _Hit(rule, byte_offset(span[0]), byte_offset(span[1]), values)


def _pattern_constraints_hold(rule: CompiledRule, values: dict[str, str], text: str) -> bool:
    """`where` on a pattern rule: regex conditions on named groups (``match`` = whole match)."""
    for c in rule.constraints:
        if c.file_regex is not None and not c.file_regex.search(text):
            return False
        if c.not_file_regex is not None and c.not_file_regex.search(text):
            return False
        value = values.get(c.capture)
        if value is None:
            if c.regex is not None:
                return False
            continue
        if c.regex is not None and not c.regex.search(value):
            return False
        if c.not_regex is not None and c.not_regex.search(value):
            return False
    return True


def _build_fix(
    rule: CompiledRule, target: tuple[int, int], values: dict[str, str], doc: Document, memo: dict[str, Any]
) -> Fix | None:
    spec = rule.rule.fix
    assert spec is not None
    new_text = _expand(spec.replace, values)
    edits = [TextEdit(doc.position_range(*target), new_text)]
    for line in spec.imports:
        if line in doc.text:
            continue
        offset = memo.get("import_offset")
        if offset is None:
            offset = memo["import_offset"] = _import_offset(doc)
        needs_newline = offset == len(doc.source) and offset > 0 and not doc.source.endswith(b"\n")
        edits.append(TextEdit(doc.position_range(offset, offset), ("\n" if needs_newline else "") + line + "\n"))
    return Fix(spec.title, tuple(edits))


def _import_offset(doc: Document) -> int:
    """Where a new import line goes: after the last top-level import, else after a docstring."""
    tree = doc.tree
    if tree is None:
        return 0
    last_end = None
    first_stmt = None
    for child in tree.root_node.children:
        if "import" in child.type or child.type in ("package_clause", "package_declaration", "using_directive"):
            last_end = child.end_byte
        elif first_stmt is None and child.type == "expression_statement" and child.child(0) is not None and child.child(0).type == "string":
            first_stmt = child.end_byte  # a module docstring
    end = last_end if last_end is not None else first_stmt
    if end is None:
        return 0
    nl = doc.source.find(b"\n", end)
    return len(doc.source) if nl == -1 else nl + 1
