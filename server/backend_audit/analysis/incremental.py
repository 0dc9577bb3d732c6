"""Re-analysing an open document by region: what changed since its last analysis, and the memo
of that analysis (`RegionMemo`), which the matcher (`matcher.analyze_document`) reads and
refreshes.

The changed region is found by comparing texts, not by replaying the editor's edits: the bytes
before the first difference and after the last one are the same in both texts, whatever edits
(several per `didChange`, a paste, an undo) led from one to the other, so an analysis of any
later snapshot can be compared with the memo of any earlier one. That one replacement is also
what the old tree is told (`Tree.edit`) before `Tree.changed_ranges` reports where the syntax
changed beyond the text (a quote that turns the rest of the file into a string). The changed
ranges miss a text change inside a leaf whose structure stays the same, hence the union with the
changed bytes, widened by a byte on each side so that nodes which end or start at the change
count as touching it.

Why re-running the queries over the region is exact: a tree-sitter query cursor limited to a
byte range starts a pattern only at a node that intersects the range (the pattern's root; for a
pattern of several sibling roots, their parent), and then follows the match wherever it goes.
A match whose root lies wholly outside the region reads only unchanged bytes and unchanged
structure, so it is the same match, shifted, in the old and in the new text. The matcher
therefore drops the old matches whose root touched the region (found by running the same
queries over the region of the old tree) and adds the new matches found over the region of the
new tree. What a match reads outside its root is handled here too:

- ``inside``/``not-inside`` climb a capture's ancestors. An ancestor that crosses the region
  may have changed (its kind, its text), so the region is widened to the outermost crossing
  node of a kind such a spec names (`widen`); a spec without a kind can read every ancestor up
  to the root, and then the whole file is analysed again.
- ``file-regex`` reads the whole text: the matcher compares its answers.
- the literal prefilter: a rule it ruled out may become possible (`RulePrefilter.possible_near`).
- pattern rules (regexes over the text) run whole, unless the text lacks the literals their
  matches need, which after a region pass is only searched for around the region.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import attrs
import tree_sitter as ts

from ..rules.compiler import CompiledRule
from ..syntax.positions import LineIndex

CHUNK = 4096


@attrs.frozen
class Region:
    """``old[old_lo:old_hi]`` became ``new[new_lo:new_hi]``; the bytes around are the same."""

    old_lo: int
    old_hi: int
    new_lo: int
    new_hi: int

    @property
    def delta(self) -> int:
        return self.new_hi - self.old_hi

    def shift(self, offset: int) -> int:
        """An old offset outside the region, in the new text."""
        return offset + self.new_hi - self.old_hi if offset >= self.old_hi else offset


def common_prefix(a: bytes, b: bytes) -> int:
    """How many leading bytes `a` and `b` share (chunk compares, then a bisection)."""
    n = min(len(a), len(b))
    lo = 0
    while lo + CHUNK <= n and a[lo : lo + CHUNK] == b[lo : lo + CHUNK]:
        lo += CHUNK
    hi = min(n, lo + CHUNK)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """How many trailing bytes `a` and `b` share, at most `limit`."""
    la, lb = len(a), len(b)
    n = 0
    while n + CHUNK <= limit and a[la - n - CHUNK : la - n] == b[lb - n - CHUNK : lb - n]:
        n += CHUNK
    hi = min(limit, n + CHUNK)
    while n < hi:
        mid = (n + hi + 1) // 2
        if a[la - mid : la - n] == b[lb - mid : lb - n]:
            n = mid
        else:
            hi = mid - 1
    return n


def _point(lines: LineIndex, offset: int) -> tuple[int, int]:
    line = lines.line_of(offset)
    return (line, offset - lines.line_starts[line])


def changed_region(
    old_source: bytes, old_lines: LineIndex, old_tree: ts.Tree, new_source: bytes, new_lines: LineIndex, new_tree: ts.Tree
) -> Region:
    """The changed bytes plus the ranges whose syntax changed, one byte wider on each side."""
    prefix = common_prefix(old_source, new_source)
    suffix = common_suffix(old_source, new_source, min(len(old_source), len(new_source)) - prefix)
    old_end = len(old_source) - suffix
    new_end = len(new_source) - suffix
    lo, hi = prefix, new_end
    if (old_end, new_end) != (prefix, prefix):
        edited = old_tree.copy()
        edited.edit(
            start_byte=prefix,
            old_end_byte=old_end,
            new_end_byte=new_end,
            start_point=_point(old_lines, prefix),
            old_end_point=_point(old_lines, old_end),
            new_end_point=_point(new_lines, new_end),
        )
        for changed in edited.changed_ranges(new_tree):
            lo = min(lo, changed.start_byte)
            hi = max(hi, changed.end_byte)
    lo = max(0, lo - 1)
    hi = min(len(new_source), hi + 1)
    delta = len(new_source) - len(old_source)
    return Region(lo, max(lo, hi - delta), lo, hi)


ClimbKinds = tuple[frozenset[str], frozenset[str]]


def climb_kinds(rules: Iterable[CompiledRule]) -> ClimbKinds | None:
    """What the ``inside``/``not-inside`` specs of these rules read above a capture: (every kind
    they name, stop-at kinds included; the kinds whose text a regex of theirs reads), or None
    when a spec names no kind (its regex reads any ancestor, the root included)."""
    kinds: set[str] = set()
    text_kinds: set[str] = set()
    for rule in rules:
        for c in rule.constraints:
            for spec in (c.inside, c.not_inside):
                if spec is None:
                    continue
                if not spec.kinds:
                    return None
                kinds |= spec.kinds | spec.stop_at
                if spec.regex is not None or spec.not_regex is not None:
                    text_kinds |= spec.kinds
    return frozenset(kinds), frozenset(text_kinds)


def _crossing(tree: ts.Tree, lo: int, hi: int, size: int) -> Iterable[ts.Node]:
    """The nodes that intersect ``[lo, hi)`` and reach outside it: the ancestors of the two
    boundaries (nodes are nested, so each boundary's crossing nodes form one chain)."""
    root = tree.root_node
    for at in (lo, hi):
        if at <= 0 or at >= size:
            continue
        node: ts.Node | None = root.descendant_for_byte_range(at - 1, at + 1)
        while node is not None:
            if node.start_byte < at < node.end_byte:
                yield node
            node = node.parent


def widen(region: Region, old_tree: ts.Tree, new_tree: ts.Tree, kinds: ClimbKinds, old_size: int, new_size: int) -> Region | None:
    """The region grown to the outermost node crossing it (in either tree) of a kind an
    ``inside``/``not-inside`` spec names: a match outside the region whose capture has such an
    ancestor can change its answer. None: the whole file (the root's own text is read).

    Growing once is enough: a node crossing the grown region either crosses the first one too
    (an ancestor of the outermost such node: not of those kinds) or would overlap that node
    without nesting, which trees do not do."""
    all_kinds, text_kinds = kinds
    if not all_kinds:
        return region
    lo, new_hi, old_hi = region.new_lo, region.new_hi, region.old_hi
    delta = region.delta
    for tree, a, b, size, shift in (
        (new_tree, region.new_lo, region.new_hi, new_size, 0),
        (old_tree, region.old_lo, region.old_hi, old_size, delta),
    ):
        root_id = tree.root_node.id
        for node in _crossing(tree, a, b, size):
            if node.type not in all_kinds:
                continue
            if node.id == root_id:
                if node.type in text_kinds:
                    return None
                continue  # the root's kind never changes, and no regex reads its text
            lo = min(lo, node.start_byte)
            new_hi = max(new_hi, node.end_byte + shift)
    old_hi = new_hi - delta
    return Region(lo, old_hi, lo, new_hi)


@attrs.define(eq=False)
class MemoEntry:
    """One analysis of one text: what a region re-analysis starts from."""

    pack: Any
    """The `CompiledPack` analysed with (a reload makes a new one)."""
    source: bytes
    lines: LineIndex
    tree: ts.Tree
    """A private copy: never edited in place."""
    matches: list[Any]
    """The matcher's query matches that passed their constraints (`matcher._Match`)."""
    possible: frozenset[str] | None
    """The prefilter's answer the queries ran with (kept as the text changes: a superset)."""
    file_answers: dict[int, tuple[Any, bool]]
    """file-regex answers of the rules that ran, by regex id: (regex, answer)."""
    kinds: ClimbKinds | None
    visits: int
    """has/not-has node visits so far (a region pass adds its own; `matcher.HAS_BUDGET`)."""
    loc: int
    quiet: frozenset[str] = frozenset()
    """Pattern rules skipped because the text lacks the literals their matches need."""


class RegionMemo:
    """The latest analyses of one open document, one per rule selection (findings, probes),
    shared by the document and its snapshots. Analyses may run in a worker thread."""

    MAX_ENTRIES = 4

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, MemoEntry] = OrderedDict()
        self._lock = threading.Lock()
        self.region_passes = 0
        """Analyses that re-ran the queries over a region only (the others ran whole)."""

    def get(self, key: tuple) -> MemoEntry | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple, entry: MemoEntry, region: bool = False) -> None:
        with self._lock:
            self.region_passes += region
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def fresh(self) -> RegionMemo:
        """An empty memo for a replaced text (the old analyses tell nothing about it)."""
        return RegionMemo()
