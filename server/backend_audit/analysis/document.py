"""A source document: its text, its UTF-8 bytes, its tree, and incremental edits.

Text is decoded with replacement, so a file with invalid UTF-8 still parses and the bytes the
tree refers to are always valid UTF-8 (positions then convert cleanly to UTF-16).
Edits come in LSP form (a UTF-16 range and new text); `apply_edit` updates the bytes, tells the
old tree what changed (`Tree.edit`) and reparses with it, which reuses unchanged subtrees.
An open document also carries a `RegionMemo` (`regions`): its last analyses, which let the next
one re-run the queries over the changed region only (`incremental`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter as ts

from ..syntax.languages import LanguageSpec, language_for_path, parser_for
from ..syntax.positions import LineIndex, Position, Range

if TYPE_CHECKING:
    from .incremental import RegionMemo


class Document:
    __slots__ = ("_index", "_tree", "language", "path", "regions", "source", "version")

    def __init__(self, path: str, text: str, language: LanguageSpec | None = None, version: int | None = None) -> None:
        self.path = path
        """POSIX path relative to the workspace root (or the URI path for loose files)."""
        self.language = language if language is not None else language_for_path(path)
        self.version = version
        self.source = text.encode("utf-8", "surrogatepass")
        self._index: LineIndex | None = None
        self._tree: ts.Tree | None = None
        self.regions: RegionMemo | None = None
        """The memo of this document's analyses, shared with its snapshots (None: analyse whole)."""

    @classmethod
    def from_bytes(cls, path: str, data: bytes, language: LanguageSpec | None = None) -> Document:
        return cls(path, data.decode("utf-8", "replace"), language)

    @property
    def text(self) -> str:
        return self.source.decode("utf-8", "surrogatepass")

    @property
    def lines(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.source)
        return self._index

    @property
    def tree(self) -> ts.Tree | None:
        """The syntax tree (parsed on first use); None for text languages."""
        if self._tree is None and self.language is not None and self.language.has_grammar:
            self._tree = parser_for(self.language.name).parse(self.source)
        return self._tree

    @property
    def parsed_tree(self) -> ts.Tree | None:
        """The tree if it has been parsed, without parsing."""
        return self._tree

    def snapshot(self) -> Document:
        """An independent copy (text, version, a copy of the tree, the same memo) that another
        thread can analyse while this one keeps taking edits: `Tree.edit` mutates in place."""
        copy = Document(self.path, "", self.language, self.version)
        copy.source = self.source
        copy._index = self._index  # immutable: an edit makes a new one
        copy.regions = self.regions
        tree = self.tree
        if tree is not None:
            copy._tree = tree.copy()
        return copy

    def drop_tree(self) -> None:
        """Release the tree (closed documents keep only their text)."""
        self._tree = None

    def line_text(self, line: int) -> str:
        return self.lines.line_bytes(line).decode("utf-8", "replace")

    def apply_edit(self, range_: Range | None, new_text: str, version: int | None = None) -> None:
        """Apply one LSP content change; a None range replaces the whole text."""
        if version is not None:
            self.version = version
        if range_ is None:
            self.source = new_text.encode("utf-8", "surrogatepass")
            self._index = None
            self._tree = None
            if self.regions is not None:
                self.regions = self.regions.fresh()
            return
        index = self.lines
        start = index.offset(range_.start)
        end = max(start, index.offset(range_.end))
        new_bytes = new_text.encode("utf-8", "surrogatepass")
        old_end_point = _point(index, end)
        start_point = _point(index, start)
        self.source = self.source[:start] + new_bytes + self.source[end:]
        new_end = start + len(new_bytes)
        self._index = index.replaced(self.source, start, end, new_end)
        if self._tree is not None:
            self._tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=new_end,
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=_point(self.lines, new_end),
            )
            assert self.language is not None
            self._tree = parser_for(self.language.name).parse(self.source, self._tree)

    def position_range(self, start_byte: int, end_byte: int) -> Range:
        return self.lines.range(start_byte, end_byte)

    def offset(self, position: Position) -> int:
        return self.lines.offset(position)


def _point(index: LineIndex, offset: int) -> tuple[int, int]:
    line = index.line_of(offset)
    return (line, offset - index.line_starts[line])
