"""One Markdown documentation page per rule (`backend-audit rules docs`, `showRuleDoc`)."""

from __future__ import annotations

from ..rules.compiler import CompiledPack, CompiledRule


def rule_page(pack: CompiledPack, compiled: CompiledRule) -> str:
    r = compiled.rule
    section = pack.section_title(r.section)
    item = ""
    if r.checklist:
        sec, _, key = r.checklist.partition(".")
        for s in pack.sections:
            if s.key == sec:
                item = next((c.title for c in s.checklist if c.key == key), "")
    lines = [
        f"# {r.id} {r.name}",
        "",
        f"- **Section**: {section}",
        f"- **Severity**: {compiled.severity.value}",
        f"- **Kind**: {r.kind.value}",
        f"- **Languages**: {', '.join(r.languages) or 'project'}",
    ]
    if item:
        lines.append(f"- **Checklist item**: {item}")
    if not r.enabled:
        lines.append("- **Enabled by default**: no (select it explicitly)")
    lines += ["", r.message.replace("$", ""), ""]
    if r.rationale:
        lines += ["## Why", "", r.rationale.strip(), ""]
    if r.fix:
        lines += ["## Fix", "", r.fix.title, ""]
    if r.examples.flagged:
        lines += ["## Flagged", ""]
        for ex in r.examples.flagged[:2]:
            lines += ["```" + (ex.language or (r.languages[0] if r.languages else "")), ex.code.rstrip() or "(workspace example)", "```", ""]
    if r.examples.ok:
        lines += ["## Not flagged", ""]
        for ex in r.examples.ok[:2]:
            lines += ["```" + (ex.language or (r.languages[0] if r.languages else "")), ex.code.rstrip() or "(workspace example)", "```", ""]
    return "\n".join(lines)
