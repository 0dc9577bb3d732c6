"""Baselines: the findings a legacy repository has accepted, so that only new ones are reported.

A baseline file records, per file and per rule, how many findings were accepted and their
fingerprints (see `analysis.finding.fingerprint`: rule, path, whitespace-normalised matched
text and occurrence, never a line number). The shape, sorted so that diffs stay readable:

    {
      "version": 1,
      "tool": "backend-audit",
      "findings": {
        "app/orders.py": {"RES001": {"count": 2, "fingerprints": ["9f2c…", "a41b…"]}},
        "<project>": {"OBS004": {"count": 1, "fingerprints": ["…"]}}
      }
    }

Matching keeps counts per file and rule, as ESLint's bulk suppressions do, and uses the
fingerprints to decide *which* findings are the new ones. For one file and rule with a budget of
``count`` accepted findings:

1. findings whose fingerprint is in the baseline are accepted first (they moved, or the file
   changed elsewhere: fingerprints hold no line numbers);
2. the remaining budget goes to findings whose fingerprint is not in the baseline, in file
   order (a baselined finding whose matched text was edited keeps its place in the count);
3. whatever is left over is new.

So a file with 3 accepted findings of a rule that now has 4 reports exactly one, and it is
one whose fingerprint the baseline does not know. A hand-written entry with a count and no
fingerprints works too (pure counting).

Everything here is pure: no printing, and files are read or written only by `load` and `save`.
The language server classifies one file's findings with the same `Baseline.classify`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ..analysis.finding import Finding

BASELINE_VERSION = 1
PROJECT_KEY = "<project>"
"""The key of findings that name no file (project findings with ``path: null``)."""
NEW, UNCHANGED = "new", "unchanged"
"""Values of `Finding.baseline_state`, as SARIF's ``baselineState`` spells them."""


class BaselineError(ValueError):
    """A baseline file that cannot be read or is not a baseline; the message names the file."""


@attrs.define
class Entry:
    count: int
    fingerprints: list[str] = attrs.field(factory=list)


@attrs.define
class Classified:
    """The outcome of applying a baseline to a list of findings."""

    findings: list[Finding]
    """Every finding, in the order given, with `baseline_state` set to ``new`` or ``unchanged``."""

    @property
    def new(self) -> list[Finding]:
        return [f for f in self.findings if f.baseline_state == NEW]

    @property
    def unchanged(self) -> list[Finding]:
        return [f for f in self.findings if f.baseline_state == UNCHANGED]


def _key(finding: Finding) -> str:
    return finding.path if finding.path is not None else PROJECT_KEY


@attrs.define
class Baseline:
    entries: dict[str, dict[str, Entry]] = attrs.field(factory=dict)
    """path (or ``<project>``) -> rule id -> accepted count and fingerprints."""

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        entries: dict[str, dict[str, Entry]] = {}
        for f in findings:
            entry = entries.setdefault(_key(f), {}).setdefault(f.rule, Entry(0))
            entry.count += 1
            entry.fingerprints.append(f.fingerprint)
        return cls(entries)

    @property
    def total(self) -> int:
        return sum(e.count for rules in self.entries.values() for e in rules.values())

    # -- matching ----------------------------------------------------------------------------
    def classify(self, findings: Iterable[Finding]) -> Classified:
        """Mark every finding ``new`` or ``unchanged`` (see the module docstring for the order)."""
        items = list(findings)
        states: list[str] = [NEW] * len(items)
        groups: dict[tuple[str, str], list[int]] = {}
        for index, f in enumerate(items):
            groups.setdefault((_key(f), f.rule), []).append(index)
        for (path, rule), indices in groups.items():
            entry = self.entries.get(path, {}).get(rule)
            if entry is None or entry.count <= 0:
                continue
            budget = entry.count
            known = Counter(entry.fingerprints)
            indices.sort(key=lambda i: items[i].sort_key)
            unmatched: list[int] = []
            for i in indices:
                fp = items[i].fingerprint
                if budget > 0 and known[fp] > 0:
                    known[fp] -= 1
                    budget -= 1
                    states[i] = UNCHANGED
                else:
                    unmatched.append(i)
            for i in unmatched:
                if budget <= 0:
                    break
                budget -= 1
                states[i] = UNCHANGED
        return Classified([attrs.evolve(f, baseline_state=s) for f, s in zip(items, states, strict=True)])

    def pruned(self, findings: Iterable[Finding]) -> Baseline:
        """The baseline without the entries that no longer occur.

        Only accepted findings stay (never a new one), each with its current fingerprint, so a
        pruned baseline also follows edits to baselined code."""
        return Baseline.from_findings(self.classify(findings).unchanged)

    # -- files -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": BASELINE_VERSION,
            "tool": "backend-audit",
            "findings": {
                path: {
                    rule: {"count": e.count, "fingerprints": sorted(e.fingerprints)}
                    for rule, e in sorted(rules.items())
                }
                for path, rules in sorted(self.entries.items())
            },
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.dumps(), encoding="utf-8")
        except OSError as exc:
            raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None

    @classmethod
    def from_json(cls, data: Any, display: str) -> Baseline:
        def bad(where: str, what: str) -> BaselineError:
            return BaselineError(f"{display}: {where}: {what}")

        if not isinstance(data, dict):
            raise bad("$", "a baseline is a JSON object with 'version' and 'findings'")
        extra = set(data) - {"version", "tool", "findings"}
        if extra:
            raise bad("$", f"unknown key(s): {', '.join(sorted(extra))}")
        if data.get("version") != BASELINE_VERSION:
            raise bad("version", f"expected {BASELINE_VERSION}, got {data.get('version')!r}")
        files = data.get("findings", {})
        if not isinstance(files, dict):
            raise bad("findings", "expected an object of path -> rule -> entry")
        entries: dict[str, dict[str, Entry]] = {}
        for path, rules in files.items():
            if not isinstance(rules, dict):
                raise bad(f"findings.{path}", "expected an object of rule -> entry")
            for rule, raw in rules.items():
                where = f"findings.{path}.{rule}"
                if not isinstance(raw, dict) or set(raw) - {"count", "fingerprints"}:
                    raise bad(where, "expected {\"count\": N, \"fingerprints\": [...]}")
                count = raw.get("count")
                fps = raw.get("fingerprints", [])
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise bad(where + ".count", f"expected a non-negative integer, got {count!r}")
                if not isinstance(fps, list) or not all(isinstance(x, str) for x in fps):
                    raise bad(where + ".fingerprints", "expected a list of strings")
                entries.setdefault(path, {})[rule] = Entry(count, list(fps))
        return cls(entries)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a baseline file; raise BaselineError naming the file and the key."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BaselineError(f"{path}: baseline file not found (create it with --write-baseline)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BaselineError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        return cls.from_json(data, str(path))
