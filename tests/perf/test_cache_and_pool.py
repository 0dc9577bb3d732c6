"""The fast paths give exactly the answers of the slow one.

A warm scan (results from the cache) and a cold scan in a process pool must report the same
findings, facts and skipped files as a serial cold scan without a cache; a changed file must be
analysed again; a changed config must not reuse results. No timing is asserted here: speed is
measured by `make bench`.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.cache import ResultCache
from backend_audit.engine.config import Config
from backend_audit.engine.scan import ScanResult, scan
from backend_audit.rules import prefilter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SUPPRESSED = "import requests\n\n\ndef fetch(url):\n    try:\n        return requests.get(url)\n    except:  # backend-audit: ignore[RES001] legacy\n        return None\n"
STALE_SUPPRESSION = "def handler():\n    return 1  # backend-audit: ignore[RES001] nothing to hide\n"


def _view(result: ScanResult) -> dict:
    """Everything a face shows from a scan, in comparable form."""
    return {
        "findings": [f.to_json() for f in result.findings],
        "files": result.files,
        "skipped": [s.to_json() for s in result.skipped],
        "errors": result.rule_errors,
        "evidence": {k: sorted(e.to_json().items()) for k, v in result.facts.evidence.items() for e in v},
        "dependencies": [d.to_json() for d in result.facts.dependencies],
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Two fixture backends side by side, plus files with used and unused suppressions."""
    root = tmp_path / "ws"
    shutil.copytree(FIXTURES / "workspaces" / "django-shop", root / "shop")
    shutil.copytree(FIXTURES / "workspaces" / "express-api", root / "api")
    (root / "shop" / "orders" / "legacy.py").write_text(SUPPRESSED)
    (root / "shop" / "orders" / "stale.py").write_text(STALE_SUPPRESSION)
    return root


def _cache(tmp_path: Path, root: Path, analyzer: Analyzer) -> ResultCache:
    cache = ResultCache.for_workspace(root, analyzer, tmp_path / "cache")
    assert cache is not None
    return cache


def test_fixture_exercises_suppressions_and_findings(workspace: Path):
    reference = scan(workspace, cache=False, jobs=1)
    rules = {f.rule for f in reference.findings}
    assert "CFG000" in rules, "the unused suppression is reported"
    assert not any(f.rule == "RES001" and f.path == "shop/orders/legacy.py" for f in reference.findings)
    assert len(reference.findings) > 5 and len(reference.files) > 10


def test_warm_scan_equals_cold_scan(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    reference = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    cold = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    warm = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    assert cold.cached == 0
    assert warm.cached == len(warm.files) == len(reference.files)
    assert _view(cold) == _view(reference)
    assert _view(warm) == _view(reference)


def test_pool_scan_equals_serial_scan(workspace: Path):
    analyzer = Analyzer(workspace)
    serial = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    pooled = scan(workspace, analyzer=analyzer, cache=False, jobs=2)
    assert pooled.jobs == 2, "the pool ran (a fallback to serial would hide its bugs)"
    assert _view(pooled) == _view(serial)


def test_pool_with_spawned_workers_equals_serial_scan(workspace: Path):
    """With another thread alive (as in the language server) workers are spawned and load
    the pack themselves instead of inheriting it."""
    analyzer = Analyzer(workspace)
    serial = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        pooled = scan(workspace, analyzer=analyzer, cache=False, jobs=2)
    finally:
        stop.set()
        other.join()
    assert pooled.jobs == 2
    assert _view(pooled) == _view(serial)


def test_pool_fills_the_cache_for_a_warm_scan(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    serial = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    pooled = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=2)
    warm = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=2)
    assert pooled.jobs == 2 and warm.cached == len(serial.files)
    assert _view(warm) == _view(serial)


def test_changed_file_is_analysed_again(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    target = workspace / "shop" / "orders" / "stale.py"
    target.write_text("def handler():\n    try:\n        work()\n    except:\n        pass\n")
    rescan = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    assert rescan.cached == len(rescan.files) - 1
    changed = [f for f in rescan.findings if f.path == "shop/orders/stale.py"]
    assert any(f.rule == "RES001" for f in changed)
    assert not any(f.rule == "CFG000" for f in changed), "the old result was not reused"
    assert _view(rescan) == _view(scan(workspace, analyzer=analyzer, cache=False, jobs=1))


def test_deleted_file_leaves_the_results(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    (workspace / "shop" / "orders" / "legacy.py").unlink()
    rescan = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    assert "shop/orders/legacy.py" not in rescan.files
    assert _view(rescan) == _view(scan(workspace, analyzer=analyzer, cache=False, jobs=1))


def test_changed_config_does_not_reuse_results(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    first = scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    assert any(f.rule == "CFG000" for f in first.findings)
    narrowed = Analyzer(workspace, Config(ignore=["RES"]), pack=analyzer.pack)
    again = scan(workspace, analyzer=narrowed, cache=_cache(tmp_path, workspace, narrowed), jobs=1)
    assert again.cached == 0
    assert not any(f.rule.startswith("RES") for f in again.findings)
    assert _view(again) == _view(scan(workspace, analyzer=narrowed, cache=False, jobs=1))


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, workspace: Path, tmp_path: Path):
    monkeypatch.setenv("BACKEND_AUDIT_CACHE_DIR", "off")
    assert ResultCache.for_workspace(workspace, Analyzer(workspace)) is None
    monkeypatch.setenv("BACKEND_AUDIT_CACHE_DIR", str(tmp_path / "elsewhere"))
    cache = ResultCache.for_workspace(workspace, Analyzer(workspace))
    assert cache is not None and (tmp_path / "elsewhere") in cache.file.parents


def test_default_cache_stays_out_of_the_workspace(monkeypatch: pytest.MonkeyPatch, workspace: Path, tmp_path: Path):
    monkeypatch.delenv("BACKEND_AUDIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    analyzer = Analyzer(workspace)
    before = sorted(p.relative_to(workspace) for p in workspace.rglob("*"))
    result = scan(workspace, analyzer=analyzer, jobs=1)
    assert sorted(p.relative_to(workspace) for p in workspace.rglob("*")) == before
    assert list((tmp_path / "xdg" / "backend-audit").rglob("results.json"))
    assert scan(workspace, analyzer=analyzer, jobs=1).cached == len(result.files)


def test_prefilter_changes_no_result(monkeypatch: pytest.MonkeyPatch, workspace: Path):
    """The literal prefilter only skips rules that cannot match: results are identical."""
    analyzer = Analyzer(workspace)
    with_prefilter = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    without = scan(workspace, analyzer=analyzer, cache=False, jobs=1)
    assert _view(with_prefilter) == _view(without)


def test_caches_of_deleted_workspaces_are_pruned(workspace: Path, tmp_path: Path):
    analyzer = Analyzer(workspace)
    gone = tmp_path / "gone"
    shutil.copytree(workspace / "api", gone)
    old = ResultCache.for_workspace(gone, analyzer, tmp_path / "cache")
    assert old is not None
    scan(gone, analyzer=analyzer, cache=old, jobs=1)
    unrelated = tmp_path / "cache" / "not-ours"
    unrelated.mkdir()
    shutil.rmtree(gone)
    scan(workspace, analyzer=analyzer, cache=_cache(tmp_path, workspace, analyzer), jobs=1)
    assert not old.file.parent.exists()
    assert unrelated.exists() and _cache(tmp_path, workspace, analyzer).file.exists()
