"""Baselines: adopt backend-audit on a legacy codebase, then see only new findings.

The acceptance case runs over a copy of the example backend (the bundled pack's rules plus our
own): `--write-baseline` then `--baseline` reports nothing; reordering every module's functions
still reports nothing; one newly added problem is reported, alone, and fails the run.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hardening_support import CONFIG, RULES, write_files

from backend_audit.analysis.finding import Finding, fingerprint
from backend_audit.engine.baseline import PROJECT_KEY, Baseline, BaselineError
from backend_audit.rules.model import Severity
from backend_audit.syntax.positions import Position, Range

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders-service"

REPORTS = '''\
"""Reports with a few planted problems of our own rules."""


def daily_totals(orders):
    print("computing totals")
    return risky(orders)


def weekly_totals(orders):
    print("computing weekly totals")
    return sum(daily_totals(o) for o in orders)


def monthly_totals(orders):
    print("computing totals")
    try:
        return risky(orders)
    except Exception:
        return None
'''


def _finding(rule: str, path: str | None, line: int, text: str, occurrence: int = 0) -> Finding:
    return Finding(
        rule=rule, name=rule.lower(), section="design", severity=Severity.HIGH, path=path,
        range=Range(Position(line, 0), Position(line, len(text))), message=text,
        fingerprint=fingerprint(rule, path, text, occurrence),
    )


# -- the matching rules, on findings made by hand ------------------------------------------------


def test_every_finding_of_a_baseline_is_unchanged_and_nothing_is_new():
    findings = [_finding("DES901", "a.py", i, f"print({i})") for i in range(3)] + [_finding("OBS001", None, 0, "proj")]
    classified = Baseline.from_findings(findings).classify(findings)
    assert classified.new == []
    assert [f.baseline_state for f in classified.findings] == ["unchanged"] * 4


def test_moved_findings_keep_matching_because_fingerprints_hold_no_line():
    before = [_finding("DES901", "a.py", 3, "print(1)"), _finding("DES901", "a.py", 9, "print(2)")]
    after = [_finding("DES901", "a.py", 40, "print(2)"), _finding("DES901", "a.py", 70, "print(1)")]
    assert Baseline.from_findings(before).classify(after).new == []


def test_a_fourth_finding_where_three_were_accepted_reports_exactly_the_unknown_one():
    baseline = Baseline.from_findings([_finding("DES901", "a.py", i, f"print({i})") for i in range(3)])
    now = [
        _finding("DES901", "a.py", 0, "print('new')"),  # first in the file, but unknown
        _finding("DES901", "a.py", 5, "print(0)"),
        _finding("DES901", "a.py", 6, "print(1)"),
        _finding("DES901", "a.py", 7, "print(2)"),
    ]
    new = baseline.classify(now).new
    assert [f.message for f in new] == ["print('new')"]


def test_counts_are_per_file_and_rule():
    baseline = Baseline.from_findings([_finding("DES901", "a.py", 0, "print(1)")])
    now = [
        _finding("DES901", "a.py", 0, "print(1)"),
        _finding("DES901", "b.py", 0, "print(1)"),  # same text, other file
        _finding("DES902", "a.py", 0, "print(1)"),  # same text, other rule
    ]
    assert [(f.path, f.rule) for f in baseline.classify(now).new] == [("b.py", "DES901"), ("a.py", "DES902")]


def test_an_edited_baselined_finding_keeps_its_place_in_the_count():
    baseline = Baseline.from_findings([_finding("DES901", "a.py", 0, "print(1)"), _finding("DES901", "a.py", 1, "print(2)")])
    now = [_finding("DES901", "a.py", 0, "print(1)"), _finding("DES901", "a.py", 1, "print(2, flush=True)")]
    assert baseline.classify(now).new == []
    now.append(_finding("DES901", "a.py", 2, "print(3)"))
    assert [f.message for f in baseline.classify(now).new] == ["print(3)"]


def test_a_count_only_entry_works_like_eslint_bulk_suppressions():
    data = {"version": 1, "findings": {"a.py": {"DES901": {"count": 2}}}}
    baseline = Baseline.from_json(data, "hand-written.json")
    now = [_finding("DES901", "a.py", i, f"print({i})") for i in range(3)]
    assert len(baseline.classify(now).new) == 1


def test_pruning_drops_what_no_longer_occurs_and_never_adds():
    old = [_finding("DES901", "a.py", i, f"print({i})") for i in range(3)] + [_finding("DES901", "gone.py", 0, "print()")]
    baseline = Baseline.from_findings(old)
    now = [old[0], old[1]]  # print(2) and gone.py were fixed
    pruned = baseline.pruned([*now, _finding("DES901", "b.py", 0, "print('new')")])
    assert pruned.total == 2
    assert set(pruned.entries) == {"a.py"}
    # Under the old baseline a fixed finding's slot would hide a new one; after the prune it cannot.
    comeback = [*now, _finding("DES901", "a.py", 9, "print('new')")]
    assert baseline.classify(comeback).new == []
    assert [f.message for f in pruned.classify(comeback).new] == ["print('new')"]


def test_the_file_round_trips_and_is_sorted_for_readable_diffs(tmp_path: Path):
    findings = [_finding("DES901", "b.py", 0, "x"), _finding("DES901", "a.py", 0, "y"), _finding("OBS001", None, 0, "p")]
    path = tmp_path / "baseline.json"
    Baseline.from_findings(findings).save(path)
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert list(data["findings"]) == sorted(data["findings"])
    assert PROJECT_KEY in data["findings"]
    assert Baseline.load(path).classify(findings).new == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("{not json", r"baseline\.json:1: invalid JSON", id="invalid-json"),
        pytest.param("[]", r"a baseline is a JSON object", id="not-an-object"),
        pytest.param('{"version": 7, "findings": {}}', r"version: expected 1", id="wrong-version"),
        pytest.param('{"version": 1, "findings": {}, "extra": 1}', r"unknown key\(s\): extra", id="unknown-key"),
        pytest.param('{"version": 1, "findings": {"a.py": {"R": {"count": -1}}}}', r"findings\.a\.py\.R\.count", id="bad-count"),
        pytest.param('{"version": 1, "findings": {"a.py": {"R": {"count": 1, "fingerprints": [1]}}}}', r"fingerprints: expected a list of strings", id="bad-fingerprints"),
    ],
)
def test_a_broken_baseline_names_the_file_and_the_key(tmp_path: Path, content: str, expected: str):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=expected):
        Baseline.load(path)


# -- the CLI, over a copy of the example backend ---------------------------------------------------


def _top_level_reversed(source: str) -> str:
    """Move functions around: the module's top-level defs and classes, in reverse order."""
    lines = source.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"(async\s+def|def|class)\s", line) or line.startswith("@")]
    # A decorator belongs to the def below it.
    blocks: list[int] = [s for k, s in enumerate(starts) if k == 0 or not lines[starts[k - 1]].startswith("@") or s != starts[k - 1] + 1]
    if len(blocks) < 2:
        return source
    header = "".join(lines[: blocks[0]])
    chunks = ["".join(lines[a:b]).rstrip("\n") + "\n\n\n" for a, b in zip(blocks, [*blocks[1:], len(lines)], strict=True)]
    return header + "".join(reversed(chunks)).rstrip("\n") + "\n"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    root = tmp_path / "orders-service"
    shutil.copytree(EXAMPLE, root)
    write_files(root, {".audit-rules/hardening.yaml": RULES, ".backend-audit.yaml": CONFIG, "app/reports.py": REPORTS})
    return root


def _findings(cli, root: Path, *extra: str) -> tuple[int, list[dict], dict]:
    code, out, err = cli("check", root, "--format", "json", "--no-progress", *extra)
    assert code in (0, 1), err
    doc = json.loads(out)
    return code, doc["findings"], doc["summary"]


def test_adopting_on_a_legacy_codebase_then_refactoring_then_adding_a_problem(cli, legacy: Path):
    baseline = legacy / ".backend-audit-baseline.json"
    _, before, _ = _findings(cli, legacy, "--fail-on", "none")
    assert {"DES901", "DES902"} <= {f["rule"] for f in before}, "the planted problems are found"
    assert any(f["rule"] == "RES001" for f in before), "the pack's own rules run too"

    code, out, err = cli("check", legacy, "--write-baseline", baseline)
    assert code == 0 and out == ""
    assert f"wrote a baseline of {len(before)} finding(s)" in err

    code, after, summary = _findings(cli, legacy, "--baseline", baseline)
    assert (code, after) == (0, [])
    assert summary["baselined"] == len(before)

    # A refactor that moves every module's functions around (and shifts every line).
    moved = 0
    for path in sorted((legacy / "app").rglob("*.py")):
        text = path.read_text()
        reordered = _top_level_reversed(text)
        if reordered != text:
            path.write_text("# refactored: functions reordered\n\n" + reordered)
            moved += 1
    assert moved >= 3
    _, moved_findings, _ = _findings(cli, legacy, "--fail-on", "none")
    assert sorted(f["fingerprint"] for f in moved_findings) == sorted(f["fingerprint"] for f in before)
    assert any(
        a["fingerprint"] == b["fingerprint"] and a["range"] != b["range"] for a in moved_findings for b in before
    ), "the refactor really moved findings"
    code, after, _ = _findings(cli, legacy, "--baseline", baseline)
    assert (code, after) == (0, [])

    # One new problem, in a file that already had accepted ones of the same rule.
    reports = legacy / "app" / "reports.py"
    reports.write_text(reports.read_text() + '\n\ndef yearly_totals(orders):\n    print("yearly")\n    return orders\n')
    code, after, _ = _findings(cli, legacy, "--baseline", baseline)
    assert code == 1
    new_line = reports.read_text().splitlines().index('    print("yearly")')
    # Only the new line is reported (by our rule, and by any pack rule that flags it too).
    assert {(f["path"], f["range"]["start"]["line"]) for f in after} == {("app/reports.py", new_line)}
    assert [f["message"] for f in after if f["rule"] == "DES901"] == ["print() in service code: print"]


def test_the_config_names_the_default_baseline_and_prune_rewrites_it(cli, legacy: Path):
    (legacy / ".backend-audit.yaml").write_text(CONFIG + "baseline: audit/baseline.json\n")
    code, _, _ = cli("check", legacy, "--write-baseline")
    assert code == 0
    stored = json.loads((legacy / "audit" / "baseline.json").read_text())
    assert stored["findings"]["app/reports.py"]["DES901"]["count"] == 3

    assert _findings(cli, legacy)[:2] == (0, [])  # applied without --baseline

    reports = legacy / "app" / "reports.py"
    reports.write_text(reports.read_text().replace('    print("computing weekly totals")\n', ""))
    code, _, err = cli("check", legacy, "--prune-baseline", "--no-progress")
    assert code == 0
    counts = re.search(r"pruned the baseline .*: (\d+) -> (\d+) finding", err)
    assert counts is not None and int(counts.group(2)) < int(counts.group(1))
    stored = json.loads((legacy / "audit" / "baseline.json").read_text())
    assert stored["findings"]["app/reports.py"]["DES901"]["count"] == 2

    # What the prune dropped is reported again when it comes back.
    reports.write_text(reports.read_text() + '\n\ndef again():\n    print("computing weekly totals")\n')
    code, after, _ = _findings(cli, legacy)
    assert code == 1 and "DES901" in [f["rule"] for f in after]
    assert {f["range"]["start"]["line"] for f in after} == {reports.read_text().splitlines().index('    print("computing weekly totals")')}


def test_baseline_usage_errors_exit_2_with_a_clear_message(cli, make_workspace, tmp_path: Path):
    legacy = make_workspace({"app/x.py": "print(1)\n"})
    code, _, err = cli("check", legacy, "--baseline", tmp_path / "missing.json")
    assert code == 2 and "baseline file not found" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code, _, err = cli("check", legacy, "--baseline", broken)
    assert code == 2 and "broken.json:1: invalid JSON" in err
    code, _, err = cli("check", legacy, "--prune-baseline")
    assert code == 2 and "--prune-baseline needs a baseline" in err
    (legacy / ".backend-audit.yaml").write_text(CONFIG + "baseline: ../outside.json\n")
    code, _, err = cli("check", legacy, "--write-baseline")
    assert code == 2 and "points outside the workspace" in err
    assert not (tmp_path / "outside.json").exists()


def test_sarif_marks_baselined_results_unchanged_and_suppressed(cli, legacy: Path):
    baseline = legacy / "baseline.json"
    cli("check", legacy, "--write-baseline", baseline)
    reports = legacy / "app" / "reports.py"
    reports.write_text(reports.read_text() + '\n\ndef extra():\n    print("extra")\n')
    code, out, _ = cli("check", legacy, "--baseline", baseline, "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    states = {r["baselineState"] for r in results}
    assert states == {"new", "unchanged"}
    new = [r for r in results if r["baselineState"] == "new"]
    new_line = reports.read_text().splitlines().index('    print("extra")') + 1
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in new} == {new_line}
    assert [r["ruleId"] for r in new if r["ruleId"].startswith("DES9")] == ["DES901"]
    assert all("suppressions" not in r for r in new)
    assert all(r["suppressions"][0]["kind"] == "external" for r in results if r["baselineState"] == "unchanged")
