"""Hover on a finding: the rule, its severity and section, why it matters (the rule's
rationale) and the audit checklist item it informs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..analysis.finding import Finding
from ..rules.compiler import CompiledPack
from ..syntax.positions import Position

if TYPE_CHECKING:
    from .session import Session


def checklist_title(pack: CompiledPack, checklist: str | None) -> str | None:
    """``resilience.global-exception-handling`` -> its title in pack.yaml."""
    if not checklist:
        return None
    section, _, key = checklist.partition(".")
    for s in pack.sections:
        if s.key == section:
            for item in s.checklist:
                if item.key == key:
                    return item.title
    return None


def _contains(f: Finding, pos: Position) -> bool:
    start, end = f.range.start, f.range.end
    after_start = (pos.line, pos.character) >= (start.line, start.character)
    before_end = (pos.line, pos.character) <= (end.line, end.character)
    return after_start and (before_end or (start == end and pos.line == start.line))


def hover_markdown(pack: CompiledPack, finding: Finding) -> str:
    compiled = pack.rule(finding.rule)
    section = pack.section_title(finding.section)
    lines = [f"**{finding.rule}** `{finding.name}` · {finding.severity.value} · {section}", "", finding.message]
    if compiled is not None:
        rule = compiled.rule
        if rule.rationale:
            lines += ["", f"**Why:** {rule.rationale.strip()}"]
        title = checklist_title(pack, rule.checklist)
        if title:
            lines += ["", f"**Audit checklist item:** {section} / {title}"]
        lines += ["", f"[Rule documentation]({pack.docs_url(rule)})"]
    return "\n".join(lines)


def hover(session: Session, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    path = session.path_of(uri)
    doc = session.docs.get(uri) or session.document_for(path)
    if doc is None or session.pack is None:
        return None
    pos = session.positions.from_client(doc, params.position)
    hits = [f for f in session.display_findings(path) if _contains(f, pos)]
    if not hits:
        return None
    body = "\n\n---\n\n".join(hover_markdown(session.pack, f) for f in hits)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=body),
        range=session.positions.range_to_client(doc, hits[0].range),
    )
