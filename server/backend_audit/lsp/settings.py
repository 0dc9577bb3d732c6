"""Editor settings: the `backendAudit` object, and how it is merged over the project config.

The same shape arrives as `initializationOptions` and as the answer to `workspace/configuration`
for section `backendAudit`:

    {"debounceMs": 150, "scope": "workspace", "severityMap": {"High": "Error", ...},
     "select": ["RES"], "ignore": [], "sections": ["resilience", ...], "reportPath": "audit.md",
     "baseline": ".backend-audit-baseline.json", "baselined": "hide", "focus": ["app/**"],
     "focusRef": "HEAD", "trace": "off"}

``focus`` may also hold ``changed-lines`` (alone, or with globs): findings on lines unchanged
since ``focusRef`` are then shown as Hints, like Sonar's "focus on new code".

Parsing is lenient per key, unlike the rule loader: a bad value gives a message naming the key
and that key keeps its default, so a typo in the editor never stops the server. Unknown keys are
ignored (clients send their own extras).
"""

from __future__ import annotations

from typing import Any

import attrs
from lsprotocol import types

from ..engine.config import Config
from ..rules.model import SECTION_KEYS, Severity

DEFAULT_DEBOUNCE_MS = 150
MAX_DEBOUNCE_MS = 10_000

_LSP_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}

DEFAULT_SEVERITY_MAP: dict[Severity, types.DiagnosticSeverity] = {
    Severity.CRITICAL: types.DiagnosticSeverity.Error,
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
    Severity.LOW: types.DiagnosticSeverity.Information,
    Severity.INFO: types.DiagnosticSeverity.Hint,
}


@attrs.define
class Settings:
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    """Per-document delay before re-analysis; 0 analyses on every change."""
    scope: str = "workspace"
    """``workspace``: every file gets diagnostics; ``openFiles``: open documents only."""
    severity_map: dict[Severity, types.DiagnosticSeverity] = attrs.field(factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    select: list[str] = attrs.field(factory=list)
    ignore: list[str] = attrs.field(factory=list)
    sections: list[str] = attrs.field(factory=list)
    """Sections shown; empty (or all ten) shows every section."""
    report_path: str | None = None
    baseline: str | None = None
    """A baseline file: findings it accepts are not shown."""
    focus: list[str] = attrs.field(factory=list)
    """gitignore-style globs; when set, only matching files get diagnostics."""
    focus_changed_lines: bool = False
    """``focus`` holds ``changed-lines``: findings on lines unchanged since `focus_ref` are Hints."""
    focus_ref: str = "HEAD"
    """The git ref that ``changed-lines`` compares with."""
    baselined: str = "hide"
    """How findings the baseline accepts are shown: ``hide`` (not at all) or ``hint``."""
    trace: str = "off"

    def apply_to(self, config: Config) -> Config:
        """The project config with these settings laid over it (editor settings win)."""
        merged = config.merged(select=self.select, ignore=self.ignore, baseline=self.baseline)
        if self.report_path:
            merged = attrs.evolve(merged, report=attrs.evolve(merged.report, output=self.report_path))
        return merged

    def shows_section(self, section: str) -> bool:
        return not self.sections or section in self.sections


def _str_list(value: Any, key: str, errors: list[str]) -> list[str] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    errors.append(f"{key}: expected a list of strings, got {value!r}")
    return None


def parse_settings(raw: Any) -> tuple[Settings, list[str]]:
    """Settings from a `backendAudit` object; every problem is returned as a message."""
    settings = Settings()
    errors: list[str] = []
    if raw is None:
        return settings, errors
    if not isinstance(raw, dict):
        return settings, [f"backendAudit: expected an object, got {raw!r}"]
    if "backendAudit" in raw and isinstance(raw["backendAudit"], dict) and len(raw) == 1:
        raw = raw["backendAudit"]  # some clients nest the section
    if "debounceMs" in raw:
        v = raw["debounceMs"]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= MAX_DEBOUNCE_MS:
            errors.append(f"debounceMs: expected a number of milliseconds from 0 to {MAX_DEBOUNCE_MS}, got {v!r}")
        else:
            settings.debounce_ms = int(v)
    if "scope" in raw:
        v = raw["scope"]
        if v in ("workspace", "openFiles"):
            settings.scope = v
        else:
            errors.append(f"scope: expected 'workspace' or 'openFiles', got {v!r}")
    if "severityMap" in raw and raw["severityMap"] is not None:
        v = raw["severityMap"]
        if not isinstance(v, dict):
            errors.append(f"severityMap: expected an object like {{'High': 'Error'}}, got {v!r}")
        else:
            for sev_name, lsp_name in v.items():
                try:
                    sev = Severity.parse(str(sev_name))
                except ValueError:
                    errors.append(f"severityMap.{sev_name}: not a severity (Critical, High, Medium, Low, Info)")
                    continue
                mapped = _LSP_SEVERITY.get(str(lsp_name).lower())
                if mapped is None:
                    errors.append(f"severityMap.{sev_name}: expected Error, Warning, Information or Hint, got {lsp_name!r}")
                    continue
                settings.severity_map[sev] = mapped
    for key, attr in (("select", "select"), ("ignore", "ignore"), ("focus", "focus")):
        if raw.get(key) is not None:
            value = _str_list(raw[key], key, errors)
            if value is not None:
                setattr(settings, attr, value)
    if "changed-lines" in settings.focus:
        settings.focus = [g for g in settings.focus if g != "changed-lines"]
        settings.focus_changed_lines = True
    if raw.get("focusRef") is not None:
        v = raw["focusRef"]
        if isinstance(v, str) and v.strip() and not v.startswith("-"):
            settings.focus_ref = v.strip()
        else:
            errors.append(f"focusRef: expected a git ref such as HEAD or origin/main, got {v!r}")
    if raw.get("baselined") is not None:
        v = raw["baselined"]
        if v in ("hide", "hint"):
            settings.baselined = v
        else:
            errors.append(f"baselined: expected 'hide' or 'hint', got {v!r}")
    if raw.get("sections") is not None:
        value = _str_list(raw["sections"], "sections", errors)
        if value is not None:
            unknown = [s for s in value if s not in SECTION_KEYS]
            if unknown:
                errors.append(f"sections: unknown section(s) {', '.join(unknown)} (known: {', '.join(SECTION_KEYS)})")
            else:
                settings.sections = [] if set(value) == set(SECTION_KEYS) else value
    for key, attr in (("reportPath", "report_path"), ("baseline", "baseline")):
        v = raw.get(key)
        if v is None or v == "":
            continue
        if isinstance(v, str):
            setattr(settings, attr, v)
        else:
            errors.append(f"{key}: expected a path, got {v!r}")
    if raw.get("trace") is not None:
        v = raw["trace"]
        if isinstance(v, dict):  # VS Code's `trace.server` nesting
            v = v.get("server", "off")
        if v in ("off", "messages", "verbose"):
            settings.trace = v
        else:
            errors.append(f"trace: expected 'off', 'messages' or 'verbose', got {v!r}")
    return settings, errors
