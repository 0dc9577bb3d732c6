"""`backend-audit check` and `rules` as a user runs them: output shapes and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend_audit.cli import main
from backend_audit.rules.model import SECTION_KEYS, Severity

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders-service"

SEVERITIES = {s.value for s in Severity}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend_audit.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def example_json():
    proc = run_cli("check", str(EXAMPLE), "--format", "json", "--fail-on", "none")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_follows_the_contract(example_json):
    doc = example_json
    assert set(doc) >= {"version", "root", "findings", "summary"}
    assert set(doc["summary"]) >= {"files", "by_section", "by_severity", "skipped"}
    assert doc["summary"]["files"] > 5
    assert doc["findings"], "the example backend has planted problems"
    keys = {"rule", "name", "section", "severity", "path", "range", "message", "scope", "fingerprint", "fix"}
    for f in doc["findings"]:
        assert keys <= set(f)
        assert f["section"] in SECTION_KEYS
        assert f["severity"] in SEVERITIES
        assert f["scope"] in ("file", "project")
        assert f["path"] is None or (not f["path"].startswith("/") and "\\" not in f["path"])
        start, end = f["range"]["start"], f["range"]["end"]
        assert (start["line"], start["character"]) <= (end["line"], end["character"])
        assert f["message"].strip()
        assert len(f["fingerprint"]) >= 16
    assert any(f["rule"] == "RES001" and f["path"].endswith(".py") for f in doc["findings"])
    assert sum(doc["summary"]["by_severity"].values()) == len(doc["findings"])


def test_sarif_is_2_1_0_with_rule_metadata():
    proc = run_cli("check", str(EXAMPLE), "--format", "sarif", "--fail-on", "none")
    sarif = json.loads(proc.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert run["results"]
    for result in run["results"]:
        meta = rules[result["ruleId"]]
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert meta["properties"]["section"] in SECTION_KEYS
        assert meta["properties"]["severity"] in SEVERITIES
        assert result["partialFingerprints"]
        if meta["id"] != "CFG000":
            assert meta["helpUri"].startswith("https://")


def test_fail_on_exit_codes(tmp_path):
    (tmp_path / "app.py").write_text("try:\n    x()\nexcept:\n    pass\n")
    assert main(["check", str(tmp_path), "--select", "RES001", "--fail-on", "High"]) == 1
    assert main(["check", str(tmp_path), "--select", "RES001", "--fail-on", "Critical"]) == 0
    assert main(["check", str(tmp_path), "--select", "RES001", "--fail-on", "none"]) == 0
    assert main(["check", str(tmp_path / "missing")]) == 2


def test_text_output_groups_by_file(tmp_path, capsys):
    (tmp_path / "app.py").write_text("try:\n    x()\nexcept:\n    pass\n")
    main(["check", str(tmp_path), "--select", "RES001", "--fail-on", "none"])
    out = capsys.readouterr().out
    assert "app.py" in out and "RES001" in out and "High" in out and "Error Handling & Resilience" in out


def test_output_file(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    out = tmp_path / "out.json"
    assert main(["check", str(tmp_path), "--format", "json", "--output", str(out), "--fail-on", "none"]) == 0
    assert json.loads(out.read_text())["summary"]["files"] == 1


def test_rules_commands():
    validate = run_cli("rules", "validate")
    assert validate.returncode == 0, validate.stdout
    listing = run_cli("rules", "list")
    assert "per section:" in listing.stdout and "per language:" in listing.stdout
    tested = run_cli("rules", "test", "--only", "RES001")
    assert tested.returncode == 0 and "1 rule(s)" in tested.stdout


def test_rules_test_reports_noisy_and_missing(make_pack, tmp_path):
    pack = make_pack({"python/r.yaml": """
        rules:
          - id: OBS150
            name: print-call
            section: observability
            severity: Low
            languages: [python]
            message: print
            match:
              query: '((call function: (identifier) @f) @match (#eq? @f "print"))'
            examples:
              flagged: ["log(1)\\n", "print(\\n"]
              ok: ["print(2)\\n"]
        """})
    proc = run_cli("rules", "test", "--pack", str(pack))
    assert proc.returncode == 1
    assert "MISSING" in proc.stdout and "NOISY" in proc.stdout and "PARSE-ERROR" in proc.stdout


def test_no_cache_and_jobs_give_the_same_findings(tmp_path, capsys):
    (tmp_path / "app.py").write_text("try:\n    x()\nexcept:\n    pass\n")
    outputs = []
    for extra in ([], ["--no-cache"], ["--no-cache", "--jobs", "2"]):
        assert main(["check", str(tmp_path), "--select", "RES001", "--format", "json", "--fail-on", "none", *extra]) == 0
        outputs.append([(f["rule"], f["range"]) for f in json.loads(capsys.readouterr().out)["findings"]])
    assert outputs[0] == outputs[1] == outputs[2] and outputs[0]
