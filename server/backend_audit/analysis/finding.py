"""The Finding type: one problem at one place, exactly as the contract serialises it.

The CLI, the report and the language server all receive these objects from the same scan
functions. `fingerprint` is what baselines are built from: it hashes the rule, the path, the
whitespace-normalised matched text and the occurrence of that text in the file, never a line
number, so it survives unrelated lines moving.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import attrs

from ..rules.model import Severity
from ..syntax.positions import Range


@attrs.frozen
class TextEdit:
    range: Range
    new_text: str

    def to_json(self) -> dict[str, Any]:
        return {"range": self.range.to_json(), "newText": self.new_text}


@attrs.frozen
class Fix:
    title: str
    edits: tuple[TextEdit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "edits": [e.to_json() for e in self.edits]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        return cls(data["title"], tuple(TextEdit(Range.from_json(e["range"]), e["newText"]) for e in data["edits"]))


@attrs.frozen
class Evidence:
    """A place in the workspace that shows a fact (a health route, a logger set-up…)."""

    fact: str
    path: str | None
    line: int | None
    """0-based, like Finding ranges."""
    detail: str = ""
    rule: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"fact": self.fact, "path": self.path, "line": self.line, "detail": self.detail, "rule": self.rule}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(data["fact"], data.get("path"), data.get("line"), data.get("detail", ""), data.get("rule"))


@attrs.frozen
class Finding:
    rule: str
    name: str
    section: str
    severity: Severity
    path: str | None
    range: Range
    message: str
    scope: str = "file"
    fingerprint: str = ""
    fix: Fix | None = None
    tags: tuple[str, ...] = ()
    """Extra markers, e.g. ``unnecessary`` for an unused suppression (LSP tag)."""
    baseline_state: str | None = None
    """Set when a baseline was applied: ``new`` or ``unchanged`` (SARIF baselineState)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "name": self.name,
            "section": self.section,
            "severity": self.severity.value,
            "path": self.path,
            "range": self.range.to_json(),
            "message": self.message,
            "scope": self.scope,
            "fingerprint": self.fingerprint,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.tags:
            out["tags"] = list(self.tags)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            name=data["name"],
            section=data["section"],
            severity=Severity.parse(data["severity"]),
            path=data.get("path"),
            range=Range.from_json(data["range"]),
            message=data["message"],
            scope=data.get("scope", "file"),
            fingerprint=data.get("fingerprint", ""),
            fix=Fix.from_json(data["fix"]) if data.get("fix") else None,
            tags=tuple(data.get("tags", ())),
        )

    @property
    def sort_key(self) -> tuple:
        return (self.path or "", self.range.start.line, self.range.start.character, self.rule)


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def fingerprint(rule: str, path: str | None, matched_text: str, occurrence: int) -> str:
    digest = hashlib.sha256(f"{rule}\0{path or ''}\0{normalise(matched_text)}\0{occurrence}".encode()).hexdigest()
    return digest[:32]


def mask_secret(value: str) -> str:
    """Keep enough to recognise the secret, never enough to use it."""
    shown = value[:4] if len(value) > 12 else value[:2] if len(value) > 6 else ""
    return f"{shown}{'*' * 8}"
