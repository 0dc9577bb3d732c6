"""The one place where positions cross between the engine and the client.

Findings, fixes and `Document` edits count columns in UTF-16 code units (the contract); the
client counts in the encoding negotiated at `initialize` (UTF-16 for VS Code, UTF-8 for Neovim,
maybe UTF-32). Every range sent or received goes through `PositionConverter`, which converts
per line with `syntax.positions.convert_column`, so an emoji is counted the same way everywhere.
"""

from __future__ import annotations

from lsprotocol import types

from ..analysis.document import Document
from ..syntax.positions import Encoding, Position, Range, convert_column

_ENCODINGS: dict[str, Encoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


class PositionConverter:
    def __init__(self, encoding: str | None = "utf-16") -> None:
        self.encoding: Encoding = _ENCODINGS.get(str(encoding or "utf-16").lower(), "utf-16")

    def _line(self, doc: Document | None, line: int) -> str | None:
        if doc is None or self.encoding == "utf-16" or line < 0 or line >= doc.lines.line_count:
            return None
        return doc.line_text(line)

    def to_client(self, doc: Document | None, position: Position) -> types.Position:
        text = self._line(doc, position.line)
        character = position.character
        if text is not None:
            character = convert_column(text, character, "utf-16", self.encoding)
        return types.Position(line=position.line, character=character)

    def range_to_client(self, doc: Document | None, rng: Range) -> types.Range:
        return types.Range(start=self.to_client(doc, rng.start), end=self.to_client(doc, rng.end))

    def from_client(self, doc: Document | None, position: types.Position) -> Position:
        text = self._line(doc, position.line)
        character = position.character
        if text is not None:
            character = convert_column(text, character, self.encoding, "utf-16")
        return Position(position.line, character)

    def range_from_client(self, doc: Document | None, rng: types.Range) -> Range:
        return Range(self.from_client(doc, rng.start), self.from_client(doc, rng.end))
