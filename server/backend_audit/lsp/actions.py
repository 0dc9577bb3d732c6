"""Code actions: the rule's quick fix (preferred), suppressions, the rule's documentation, and
`source.fixAll.backend-audit`.

The fix travels in `Diagnostic.data["fix"]` (contract JSON, UTF-16 ranges), so a quick fix needs
no cache; its ranges are converted to the client's encoding against the current text.
Suppressions use the file's own comment syntax: at the end of the line for code (where a
trailing comment is always valid), on the line above for text formats (where ``#`` inside a
value may be part of it) and after a line continuation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..analysis.document import Document
from ..analysis.finding import Fix, TextEdit
from ..analysis.suppress import UNUSED_RULE_ID
from ..syntax.positions import Position, Range, utf16_len
from .diagnostics import SOURCE

if TYPE_CHECKING:
    from .session import Session

FIX_ALL_KIND = "source.fixAll.backend-audit"
SHOW_RULE_DOC = "backendAudit.showRuleDoc"

_LINE_DIRECTIVE = re.compile(r"backend-audit:\s*ignore\s*\[([^\]]*)\]")
_FILE_DIRECTIVE = re.compile(r"backend-audit:\s*ignore-file\s*\[([^\]]*)\]")


def _wants(only: list[str] | None, kind: str) -> bool:
    if not only:
        return kind == types.CodeActionKind.QuickFix
    return any(kind == k or kind.startswith(k + ".") for k in only)


def workspace_edit(session: Session, uri: str, doc: Document | None, edits: list[TextEdit]) -> types.WorkspaceEdit:
    lsp_edits = [types.TextEdit(range=session.positions.range_to_client(doc, e.range), new_text=e.new_text) for e in edits]
    supports_versions = getattr(
        getattr(getattr(session.capabilities, "workspace", None), "workspace_edit", None), "document_changes", False
    )
    if supports_versions and uri in session.docs:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=session.docs[uri].version),
                    edits=lsp_edits,  # type: ignore[arg-type]
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: lsp_edits})


def _comment(doc: Document) -> tuple[str, str] | None:
    language = doc.language
    if language is None:
        return ("#", "")
    if language.line_comments:
        return (language.line_comments[0], "")
    if language.block_comments:
        start, end = language.block_comments[0]
        return (start, " " + end)
    return None


def _line_end(doc: Document, line: int) -> Position:
    return Position(line, utf16_len(doc.line_text(line)))


def suppress_line_edit(doc: Document, line: int, rule: str) -> TextEdit | None:
    if line >= doc.lines.line_count:
        return None
    text = doc.line_text(line)
    existing = _LINE_DIRECTIVE.search(text)
    if existing is not None:
        if rule in {r.strip() for r in existing.group(1).split(",")}:
            return None
        at = Position(line, utf16_len(text[: existing.end(1)]))
        sep = "," if existing.group(1).strip() else ""
        return TextEdit(Range(at, at), f"{sep}{rule}")
    comment = _comment(doc)
    if comment is None:
        return None
    start, end = comment
    code = doc.language is not None and doc.language.has_grammar
    if code and not text.rstrip().endswith("\\"):
        at = _line_end(doc, line)
        return TextEdit(Range(at, at), f"  {start} backend-audit: ignore[{rule}]{end}")
    indent = text[: len(text) - len(text.lstrip())]
    at = Position(line, 0)
    return TextEdit(Range(at, at), f"{indent}{start} backend-audit: ignore-next-line[{rule}]{end}\n")


def suppress_file_edit(doc: Document, rule: str) -> TextEdit | None:
    text = doc.text
    existing = _FILE_DIRECTIVE.search(text)
    if existing is not None:
        rules = {r.strip() for r in existing.group(1).split(",")}
        if rule in rules:
            return None
        offset = len(text[: existing.end(1)].encode("utf-8"))
        at = doc.lines.position(offset)
        return TextEdit(Range(at, at), ("," if existing.group(1).strip() else "") + rule)
    comment = _comment(doc)
    if comment is None:
        return None
    start, end = comment
    line = 0
    first = doc.line_text(0) if doc.lines.line_count else ""
    if first.startswith("#!") or re.match(r"^#.*coding[:=]", first):
        line = 1
    if line >= doc.lines.line_count:
        at = _line_end(doc, line - 1)
        return TextEdit(Range(at, at), f"\n{start} backend-audit: ignore-file[{rule}]{end}")
    at = Position(line, 0)
    return TextEdit(Range(at, at), f"{start} backend-audit: ignore-file[{rule}]{end}\n")


def _overlaps(a: Range, b: Range) -> bool:
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    if a0 == a1 == b0 == b1:
        return False
    return a0 < b1 and b0 < a1


def fix_all_edits(fixes: list[Fix]) -> list[TextEdit]:
    """Every fix that does not overlap one taken before it; identical edits (a shared import)
    are made once."""
    taken: list[TextEdit] = []
    seen: set[tuple] = set()
    for fix in fixes:
        new = [e for e in fix.edits if (e.range, e.new_text) not in seen]
        if any(_overlaps(e.range, t.range) for e in new for t in taken):
            continue
        for e in new:
            seen.add((e.range, e.new_text))
            taken.append(e)
    return taken


async def code_actions(session: Session, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    await session.publisher.wait_fresh(uri)
    path = session.path_of(uri)
    doc = session.docs.get(uri) or session.document_for(path)
    only = [str(k) for k in params.context.only] if params.context.only else None
    out: list[types.CodeAction] = []
    if doc is None:
        return out
    if _wants(only, types.CodeActionKind.QuickFix):
        for diagnostic in params.context.diagnostics:
            data: Any = diagnostic.data
            if diagnostic.source != SOURCE or not isinstance(data, dict):
                continue
            rule = str(data.get("rule") or diagnostic.code or "")
            if not rule:
                continue
            if data.get("fix"):
                fix = Fix.from_json(data["fix"])
                out.append(
                    types.CodeAction(
                        title=f"{fix.title} ({rule})",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=True,
                        edit=workspace_edit(session, uri, doc, list(fix.edits)),
                    )
                )
            if rule != UNUSED_RULE_ID:
                line = session.positions.from_client(doc, diagnostic.range.start).line
                for title, edit in (
                    (f"Suppress {rule} on this line", suppress_line_edit(doc, line, rule)),
                    (f"Suppress {rule} in this file", suppress_file_edit(doc, rule)),
                ):
                    if edit is not None:
                        out.append(
                            types.CodeAction(
                                title=title,
                                kind=types.CodeActionKind.QuickFix,
                                diagnostics=[diagnostic],
                                edit=workspace_edit(session, uri, doc, [edit]),
                            )
                        )
            out.append(
                types.CodeAction(
                    title=f"Show documentation for {rule}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    command=types.Command(title=f"Show documentation for {rule}", command=SHOW_RULE_DOC, arguments=[rule]),
                )
            )
    if only and _wants(only, FIX_ALL_KIND):
        fixes = [f.fix for f in session.display_findings(path) if f.fix is not None]
        edits = fix_all_edits(fixes)
        if edits:
            out.append(
                types.CodeAction(
                    title="Fix all backend-audit problems",
                    kind=FIX_ALL_KIND,
                    edit=workspace_edit(session, uri, doc, edits),
                )
            )
    return out
