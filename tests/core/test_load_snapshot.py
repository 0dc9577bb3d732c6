"""Loading a pack from the snapshot of parsed rule files and the record of compiled pieces:
the second load skips YAML and compilation, and must load exactly what the first loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_audit.rules import loader, snapshot
from backend_audit.rules.compiler import load_pack
from backend_audit.rules.regex import LazyPattern

RULES = """
rules:
  - id: RES901
    name: sleepy
    section: resilience
    severity: Low
    languages: [python]
    message: "sleep in $fn"
    paths: {exclude: ["**/vendor/**"]}
    match:
      query: |
        (call function: (attribute) @fn) @match
      where:
        - capture: fn
          regex: "(^|\\\\.)sleep$"
    examples:
      flagged: ["time.sleep(1)"]
      ok: ["time.monotonic()"]
"""


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BACKEND_AUDIT_CACHE_DIR", str(folder))
    return folder


def _fresh_process() -> None:
    """Forget what this process has read, as a new process would."""
    snapshot._snapshots.clear()


def _rules(pack) -> list:
    return [(r.id, r.path, r.line, r.rule) for r in pack.rules]


def test_second_load_reads_no_yaml_and_loads_the_same(make_pack, cache: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_pack({"python/r.yaml": RULES})
    first = load_pack(root)
    assert not first.errors and [r.id for r in first.rules] == ["RES901"]
    assert (cache / snapshot.FILE_NAME).is_file()
    _fresh_process()

    def no_yaml(*args, **kwargs):
        raise AssertionError("YAML parsed although the snapshot has the file")

    monkeypatch.setattr(loader, "read_yaml", no_yaml)
    second = load_pack(root)
    assert _rules(second) == _rules(first)
    assert second.header == first.header


def test_lazy_pieces_behave_like_compiled_ones(make_pack, cache: Path):
    root = make_pack({"python/r.yaml": RULES})
    load_pack(root)
    _fresh_process()
    rule = load_pack(root).rules[0]
    regex = rule.constraints[0].regex
    assert isinstance(regex, LazyPattern)  # known to compile: deferred
    assert regex.search("time.sleep") and not regex.search("time.sleeper")
    assert rule.applies_to_path("app/jobs.py") and not rule.applies_to_path("vendor/x/jobs.py")


def test_an_edited_file_is_read_again(make_pack, cache: Path):
    root = make_pack({"python/r.yaml": RULES})
    load_pack(root)
    _fresh_process()
    (root / "python" / "r.yaml").write_text(RULES.replace("sleep in $fn", "sleeping in $fn"), encoding="utf-8")
    assert load_pack(root).rules[0].rule.message == "sleeping in $fn"


def test_a_broken_or_foreign_snapshot_changes_nothing(make_pack, cache: Path):
    root = make_pack({"python/r.yaml": RULES})
    expected = _rules(load_pack(root))
    file = cache / snapshot.FILE_NAME
    data = json.loads(file.read_text())
    for entry in data["files"].values():  # data that no longer structures: parsed again
        entry["data"] = {"rules": [{"id": 5}]}
    file.write_text(json.dumps(data))
    _fresh_process()
    assert _rules(load_pack(root)) == expected
    file.write_text("{not json")
    _fresh_process()
    assert _rules(load_pack(root)) == expected


def test_errors_keep_their_lines_on_every_load(make_pack, cache: Path):
    broken = RULES + (
        "  - id: RES902\n    name: broken\n    section: resilience\n    severity: Low\n"
        "    languages: [python]\n    message: m\n    match: {query: '(call) @match', captur: x}\n"
    )
    root = make_pack({"python/r.yaml": broken})
    first = [str(e) for e in load_pack(root).errors]
    _fresh_process()
    second = [str(e) for e in load_pack(root).errors]
    assert first == second == ["python/r.yaml:25: [RES902] rules[1].match: extra fields found (captur)"]


def test_bad_regex_and_bad_paths_are_still_reported_at_load(make_pack, cache: Path):
    bad = RULES.replace('"(^|\\\\.)sleep$"', '"(?<=x)sleep"').replace('"**/vendor/**"', '"!"')
    root = make_pack({"python/r.yaml": bad})
    errors = [str(e) for e in load_pack(root).errors]
    assert len(errors) == 1 and "RES901" in errors[0], errors
    good_regex_bad_paths = RULES.replace('"**/vendor/**"', '"[z-a]"')
    (root / "python" / "r.yaml").write_text(good_regex_bad_paths, encoding="utf-8")
    _fresh_process()
    errors = [str(e) for e in load_pack(root).errors]
    assert len(errors) == 1 and "paths: invalid pattern list" in errors[0], errors


def test_hostile_cache_files_are_ignored(make_pack, cache: Path):
    root = make_pack({"python/r.yaml": RULES})
    expected = _rules(load_pack(root))
    file = cache / snapshot.FILE_NAME
    data = json.loads(file.read_text())
    for entry in data["files"].values():
        entry["lines"] = {key: "12" for key in entry["lines"]}  # not a line number
    file.write_text(json.dumps(data))
    _fresh_process()
    assert _rules(load_pack(root)) == expected
    deep = "[" * 100_000 + "]" * 100_000
    for name in (snapshot.FILE_NAME, "queries-v1.json"):
        (cache / name).write_text(deep)
    _fresh_process()
    from backend_audit.rules import querycache

    querycache._known.clear()
    assert _rules(load_pack(root)) == expected
