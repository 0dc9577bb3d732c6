"""Machine-readable outputs of `check`: the contract's JSON document and SARIF 2.1.0.

These build plain data; the CLI serialises and prints them. SARIF carries each rule's
metadata (help URI, section and severity as properties), `partialFingerprints` from our
fingerprint, and `baselineState` when a baseline was applied.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from . import __version__
from .engine.scan import ScanResult
from .rules.model import Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "7.5", Severity.MEDIUM: "5.0", Severity.LOW: "2.5", Severity.INFO: "0.0"}


def _uri(path: str) -> str:
    """A workspace path as a relative URI reference (spaces, ``%``, ``:`` and non-ASCII escaped)."""
    return quote(path, safe="/")


def json_document(result: ScanResult, findings=None) -> dict[str, Any]:
    findings = result.findings if findings is None else findings
    summary = result.summary()
    from collections import Counter

    summary["by_section"] = dict(sorted(Counter(f.section for f in findings).items()))
    sev = Counter(f.severity.value for f in findings)
    summary["by_severity"] = {s.value: sev[s.value] for s in Severity if sev[s.value]}
    return {
        "version": __version__,
        "root": str(result.root),
        "findings": [f.to_json() for f in findings],
        "summary": summary,
    }


def sarif_document(result: ScanResult, findings=None) -> dict[str, Any]:
    findings = result.findings if findings is None else findings
    pack = result.pack
    # Declare every rule that ran, not only those that fired: code scanning then knows that a
    # rule ran and found nothing, and closes its fixed alerts.
    ran = {r.id for r in pack.rules if not r.is_probe and result.analyzer.selected(r)}
    used = sorted(ran | {f.rule for f in findings})
    rule_index: dict[str, int] = {}
    rules_meta = []
    for rule_id in used:
        compiled = pack.rule(rule_id)
        rule_index[rule_id] = len(rules_meta)
        if compiled is None:  # built-in (unused suppression)
            rules_meta.append(
                {
                    "id": rule_id,
                    "name": "unused-suppression",
                    "shortDescription": {"text": "A suppression comment that suppresses nothing"},
                    "defaultConfiguration": {"level": "note"},
                    "properties": {"section": "config", "severity": "Info", "tags": ["config"]},
                }
            )
            continue
        r = compiled.rule
        rules_meta.append(
            {
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.message.replace("$", "")[:200]},
                "fullDescription": {"text": r.rationale or r.message},
                "helpUri": pack.docs_url(r),
                "help": {"text": r.rationale or r.message},
                "defaultConfiguration": {"level": _SARIF_LEVEL[compiled.severity], "enabled": r.enabled},
                "properties": {
                    "section": r.section,
                    "sectionTitle": pack.section_title(r.section),
                    "severity": compiled.severity.value,
                    "checklist": r.checklist,
                    "tags": list(dict.fromkeys([r.section, *r.tags])),  # SARIF: unique items
                    "security-severity": _SECURITY_SEVERITY[compiled.severity],
                },
            }
        )
    results = []
    for f in findings:
        item: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "partialFingerprints": {"backendAudit/v1": f.fingerprint},  # stable across moves
            "properties": {"section": f.section, "severity": f.severity.value, "scope": f.scope},
        }
        if f.path is not None:
            item["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "SRCROOT"},
                        "region": {
                            "startLine": f.range.start.line + 1,
                            "startColumn": f.range.start.character + 1,
                            "endLine": f.range.end.line + 1,
                            "endColumn": f.range.end.character + 1,
                        },
                    }
                }
            ]
        if f.baseline_state:
            item["baselineState"] = f.baseline_state
            if f.baseline_state == "unchanged":
                # Accepted in the baseline: shown as suppressed, not as an open alert.
                item["suppressions"] = [{"kind": "external", "justification": "in the backend-audit baseline"}]
        if f.fix is not None and f.path is not None:
            item["fixes"] = [
                {
                    "description": {"text": f.fix.title},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "SRCROOT"},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e.range.start.line + 1,
                                        "startColumn": e.range.start.character + 1,
                                        "endLine": e.range.end.line + 1,
                                        "endColumn": e.range.end.character + 1,
                                    },
                                    "insertedContent": {"text": e.new_text},
                                }
                                for e in f.fix.edits
                            ],
                        }
                    ],
                }
            ]
        results.append(item)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "backend-audit",
                        "version": __version__,
                        "semanticVersion": __version__.split("+")[0],
                        "informationUri": "https://github.com/backend-audit/backend-audit",
                        "rules": rules_meta,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": result.root.as_uri() + "/"}},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
