"""Suppression comments, in each file's own comment syntax.

    # backend-audit: ignore[RES001] reason          -> this line
    // backend-audit: ignore-next-line[RES001,OBS002] -> the next line
    /* backend-audit: ignore-file[SCL003] */          -> the whole file

Rule ids or rule names are accepted. A suppression that suppresses nothing is reported
(rule CFG000, Info, tagged ``unnecessary``) so stale ones do not pile up.
"""

from __future__ import annotations

import re

import attrs

from ..rules.model import Severity
from ..syntax.languages import LanguageSpec
from .document import Document
from .finding import Finding, fingerprint

UNUSED_RULE_ID = "CFG000"
UNUSED_RULE_NAME = "unused-suppression"

_DIRECTIVE = re.compile(r"backend-audit:\s*(ignore-next-line|ignore-file|ignore)\s*\[([^\]]*)\]([^\n]*)")


@attrs.define
class Suppression:
    kind: str
    """``ignore`` (same line), ``ignore-next-line`` or ``ignore-file``."""
    rules: frozenset[str]
    line: int
    """0-based line of the comment."""
    start_byte: int
    end_byte: int
    reason: str
    used: set[str] = attrs.field(factory=set)

    def to_json(self) -> dict:
        """The parsed comment (not `used`, which each finalisation fills afresh)."""
        return {
            "kind": self.kind,
            "rules": sorted(self.rules),
            "line": self.line,
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict) -> Suppression:
        return cls(data["kind"], frozenset(data["rules"]), data["line"], data["start_byte"], data["end_byte"], data["reason"])

    @property
    def target_line(self) -> int | None:
        if self.kind == "ignore":
            return self.line
        if self.kind == "ignore-next-line":
            return self.line + 1
        return None

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.rules and finding.name not in self.rules:
            return False
        target = self.target_line
        return target is None or finding.range.start.line == target


def _in_comment(doc: Document, offset: int) -> bool:
    language: LanguageSpec | None = doc.language
    tree = doc.tree
    if tree is not None:
        node = tree.root_node.descendant_for_byte_range(offset, offset)
        while node is not None:
            if "comment" in node.type:
                return True
            if node.type in ("string", "string_content", "template_string", "string_literal"):
                return False
            node = node.parent
        return False
    # Text languages: a comment marker earlier on the same line.
    line_start = doc.source.rfind(b"\n", 0, offset) + 1
    prefix = doc.source[line_start:offset].decode("utf-8", "replace")
    markers = list(language.line_comments) if language else ["#", "//"]
    markers += [start for start, _ in (language.block_comments if language else ())]
    return any(m in prefix for m in markers) if markers else False


def parse_suppressions(doc: Document) -> list[Suppression]:
    if b"backend-audit:" not in doc.source:
        return []
    out = []
    text = doc.text
    for match in _DIRECTIVE.finditer(text):
        # str offsets differ from byte offsets after non-ASCII text.
        start_byte = len(text[: match.start()].encode("utf-8", "surrogatepass"))
        if not _in_comment(doc, start_byte):
            continue
        rules = frozenset(r.strip() for r in match.group(2).split(",") if r.strip())
        reason = match.group(3).strip().removesuffix("*/").removesuffix("-->").strip()
        end_byte = start_byte + len(match.group(0).encode("utf-8"))
        out.append(
            Suppression(match.group(1), rules, doc.lines.line_of(start_byte), start_byte, end_byte, reason)
        )
    return out


def apply_suppressions(
    doc: Document, findings: list[Finding], suppressions: list[Suppression], report_unused: bool = True
) -> list[Finding]:
    """Drop suppressed findings; add a CFG000 finding for each suppression that hid nothing."""
    if not suppressions:
        return findings
    kept = []
    for finding in findings:
        hit = next((s for s in suppressions if s.covers(finding)), None)
        if hit is None:
            kept.append(finding)
        else:
            hit.used.update((finding.rule, finding.name))
    if report_unused:
        for s in suppressions:
            unused = sorted(r for r in s.rules if r not in s.used)
            if not unused:
                continue
            rng = doc.position_range(s.start_byte, s.end_byte)
            text = f"{s.kind}[{','.join(unused)}]"
            kept.append(
                Finding(
                    rule=UNUSED_RULE_ID,
                    name=UNUSED_RULE_NAME,
                    section="config",
                    severity=Severity.INFO,
                    path=doc.path,
                    range=rng,
                    message=f"unused suppression: {text} hides no finding; remove it",
                    fingerprint=fingerprint(UNUSED_RULE_ID, doc.path, text, s.line),
                    tags=("unnecessary",),
                )
            )
    return kept

