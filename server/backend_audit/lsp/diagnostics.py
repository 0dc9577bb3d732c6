"""The only place where a Finding (or a rule-file load error) becomes a `types.Diagnostic`.

    message          "High · Error Handling & Resilience: bare except hides failures"
    source           "backend-audit"
    code             the rule id; codeDescription.href = the pack's docs URL for the rule
    data             {"section", "severity", "rule", "fingerprint", "fix"?}   (fix: contract JSON,
                     UTF-16 ranges, so a code action needs no cache)
    tags             Unnecessary for findings tagged "unnecessary" (unused suppressions)
    severity         the settings' severityMap (default: Critical/High Error, Medium Warning,
                     Low Information, Info Hint); Hint for a finding the baseline accepts
                     (``baselined: hint``) or on a line unchanged since the focus ref
                     (``focus: changed-lines``), both marked by `Session.display_findings`
"""

from __future__ import annotations

from lsprotocol import types

from ..analysis.document import Document
from ..analysis.finding import Finding
from ..rules.compiler import CompiledPack
from ..rules.loader import LoadError
from .positions import PositionConverter
from .settings import DEFAULT_SEVERITY_MAP

SOURCE = "backend-audit"
LOAD_ERROR_CODE = "rule-load-error"
DEMOTED_TAG = "demoted"
"""A finding tag: shown as a Hint (on a line unchanged since the focus ref)."""


def diagnostic_message(finding: Finding, pack: CompiledPack) -> str:
    text = (finding.message or "").strip() or finding.name or finding.rule
    return f"{finding.severity.value} · {pack.section_title(finding.section)}: {text}"


def to_diagnostic(
    finding: Finding,
    pack: CompiledPack,
    positions: PositionConverter,
    doc: Document | None,
    severity_map=DEFAULT_SEVERITY_MAP,
) -> types.Diagnostic:
    data: dict = {
        "section": finding.section,
        "severity": finding.severity.value,
        "rule": finding.rule,
        "fingerprint": finding.fingerprint,
    }
    if finding.fix is not None:
        data["fix"] = finding.fix.to_json()
    compiled = pack.rule(finding.rule)
    # Findings without a pack rule (CFG000, the unused suppression) still have a docs page.
    href = pack.docs_url(compiled.rule) if compiled is not None else pack.header.docs_url.format(id=finding.rule, name=finding.name)
    tags = [types.DiagnosticTag.Unnecessary] if "unnecessary" in finding.tags else None
    demoted = finding.baseline_state == "unchanged" or DEMOTED_TAG in finding.tags
    return types.Diagnostic(
        range=positions.range_to_client(doc, finding.range),
        message=diagnostic_message(finding, pack),
        severity=types.DiagnosticSeverity.Hint if demoted else severity_map.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        tags=tags,
        data=data,
    )


def load_error_diagnostic(error: LoadError) -> types.Diagnostic:
    line = max((error.line or 1) - 1, 0)
    rule = f"[{error.rule_id}] " if error.rule_id else ""
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line + 1, character=0)),
        message=f"{rule}{error.message}".strip() or "this rule file failed to load",
        severity=types.DiagnosticSeverity.Error,
        code=LOAD_ERROR_CODE,
        source=SOURCE,
    )
