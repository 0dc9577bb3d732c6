"""The hardening matrix for workspace files: odd input gets a clear skip reason, never a crash.

Every case runs the real scan (the same path as `check`, the report and the server's workspace
scan) and checks both that nothing raised and that the file was analysed or skipped with a
reason a user can act on.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from backend_audit.analysis import matcher
from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import load_config
from backend_audit.engine.scan import scan
from backend_audit.engine.walker import Walker, read_file
from backend_audit.rules.compiler import load_pack


@pytest.fixture
def run_scan(audit_pack):
    def run(root: Path, **kwargs):
        root = root.resolve()
        return scan(root, analyzer=Analyzer(root, load_config(root), pack=audit_pack), **kwargs)

    return run


def _skips(result) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def _rules_in(result, path: str) -> list[str]:
    return sorted(f.rule for f in result.findings if f.path == path and f.rule.startswith(("DES9", "CFG9")))


def test_invalid_utf8_is_analysed_with_replacement(make_workspace, run_scan):
    root = make_workspace({"app/latin1.py": b"# caf\xe9 \xff\xfe\nprint('ok')\nname = '\xc3\x28'\n"})
    result = run_scan(root)
    assert "app/latin1.py" in result.files
    assert _rules_in(result, "app/latin1.py") == ["DES901"]
    finding = next(f for f in result.findings if f.rule == "DES901")
    assert finding.range.start.line == 1


def test_nul_bytes_mark_a_binary_file_which_is_skipped(make_workspace, run_scan):
    root = make_workspace({"app/blob.py": b"print(1)\n\x00\x01\x02" * 10, "app/fine.py": "print(2)\n"})
    result = run_scan(root)
    assert _skips(result)["app/blob.py"] == "binary file"
    assert _rules_in(result, "app/fine.py") == ["DES901"]


def test_a_50_mb_file_is_skipped_by_size_with_the_reason(make_workspace, run_scan):
    root = make_workspace({"app/fine.py": "print(1)\n"})
    block = b"print('padding')\n" * 4096
    with (root / "app" / "huge.py").open("wb") as fh:
        for _ in range((50 << 20) // len(block) + 1):
            fh.write(block)
    assert (root / "app" / "huge.py").stat().st_size > 50 << 20
    result = run_scan(root)
    assert _skips(result)["app/huge.py"].startswith("larger than max-file-size (")
    assert "app/huge.py" not in result.files
    assert _rules_in(result, "app/fine.py") == ["DES901"]


NESTED = 10_000


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("app/deep_list.py", "x = " + "[" * NESTED + "]" * NESTED + "\n", id="python-list"),
        pytest.param("app/deep_parens.py", "x = " + "(" * NESTED + "1" + ")" * NESTED + "\n", id="python-parens"),
        pytest.param("data/deep.json", "[" * NESTED + "]" * NESTED, id="json"),
        pytest.param("package.json", '{"dependencies": ' + "[" * NESTED + "]" * NESTED + "}", id="package-json"),
        pytest.param("web/deep.js", "const x = " + "[" * NESTED + "]" * NESTED + ";\n", id="javascript"),
        pytest.param("pom.xml", "<project>" + "<a>" * NESTED + "</a>" * NESTED + "</project>", id="pom-xml"),
        pytest.param("config/app.yaml", "x: " + "[" * NESTED + "]" * NESTED + "\n", id="yaml"),
    ],
)
def test_nesting_10k_deep_does_not_crash(make_workspace, run_scan, name: str, content: str):
    root = make_workspace({name: content, "app/fine.py": "print(1)\n"})
    result = run_scan(root)
    assert name in result.files, _skips(result).get(name)
    assert _rules_in(result, "app/fine.py") == ["DES901"]


def test_deeply_nested_calls_with_relational_constraints_stay_fast_enough_to_finish(make_workspace, run_scan):
    depth = 2_000
    root = make_workspace({"app/deep_calls.py": "x = " + "risky(" * depth + ")" * depth + "\n"})
    result = run_scan(root)
    assert len([f for f in result.findings if f.rule == "DES902"]) == depth
    assert result.rule_errors == []


def test_a_has_search_over_a_pathological_tree_stops_with_a_message(make_workspace, make_pack, monkeypatch):
    monkeypatch.setattr(matcher, "HAS_BUDGET", 5_000)  # the real budget, made small enough to reach quickly
    depth = 500
    root = make_workspace(
        {
            "app/deep_calls.py": "x = " + "risky(" * depth + ")" * depth + "\n",
            ".audit-rules/not-has.yaml": """\
                rules:
                  - id: DES903
                    name: risky-without-keyword
                    section: design
                    severity: Low
                    languages: [python]
                    message: "risky() without a keyword argument"
                    match:
                      query: "(call function: (identifier) @fn (#eq? @fn \\"risky\\")) @match"
                      where:
                        - capture: match
                          not-has: {kind: [keyword_argument]}
            """,
        }
    )
    pack = load_pack(make_pack({}), extra_rule_dirs=[root / ".audit-rules"])
    result = scan(root.resolve(), analyzer=Analyzer(root.resolve(), pack=pack))
    assert any("DES903: has/not-has stopped after 5,000 nodes" in e for e in result.rule_errors), result.rule_errors
    assert sum(1 for f in result.findings if f.rule == "DES902") == depth  # other rules ran to the end


def test_a_symlink_loop_ends_with_a_reason(make_workspace, run_scan):
    root = make_workspace({"app/fine.py": "print(1)\n"})
    (root / "app" / "loop").symlink_to(root / "app")
    (root / "app" / "self.py").symlink_to(root / "app" / "self.py")
    result = run_scan(root)
    assert result.files.count("app/fine.py") == 1
    reasons = _skips(result)
    assert "loop" in reasons.get("app/loop", "")
    assert "app/self.py" not in result.files


def test_a_symlink_out_of_the_workspace_is_not_followed(make_workspace, run_scan, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("API_TOKEN = 'sk_live_0123456789abcdefXYZ'\nprint(1)\n")
    root = make_workspace({"app/fine.py": "print(1)\n"})
    (root / "app" / "linked.py").symlink_to(outside / "secret.py")
    (root / "linked-dir").symlink_to(outside)
    (root / "rootfs").symlink_to("/")
    result = run_scan(root)
    reasons = _skips(result)
    for name in ("app/linked.py", "linked-dir", "rootfs"):
        assert reasons[name] == "symlink to a path outside the workspace"
    assert not [f for f in result.files if f.startswith(("app/linked", "linked-dir", "rootfs"))]
    assert not [f for f in result.findings if f.rule == "CFG901"]


def test_a_file_deleted_between_listing_and_reading_is_skipped(make_workspace):
    root = make_workspace({f"app/m{i}.py": "print(1)\n" for i in range(4)}).resolve()
    walker = Walker(root)
    listed = {wf.path: wf for wf in walker.files()}  # the scan lists every file first…
    (root / "app" / "m2.py").unlink()  # …and one goes away before it is read
    (root / "app" / "m3.py").unlink()
    (root / "app" / "m3.py").mkdir()  # or turns into a directory
    outcomes = {path: read_file(wf)[1] for path, wf in listed.items() if path.startswith("app/")}
    assert outcomes == {
        "app/m0.py": None,
        "app/m1.py": None,
        "app/m2.py": "vanished before it could be read",
        "app/m3.py": "is a directory",
    }


def test_an_unreadable_file_is_skipped_with_the_reason(make_workspace, run_scan, audit_pack):
    """chmod 000 stops everyone but root; as root the scan runs in a child without privileges."""
    if os.geteuid() != 0:
        root = make_workspace({"app/secret.py": "print(1)\n", "app/fine.py": "print(2)\n"})
        (root / "app" / "secret.py").chmod(0)
        result = run_scan(root)
        skipped, files = _skips(result), result.files
    else:
        base = Path(tempfile.mkdtemp(prefix="backend-audit-unreadable-"))
        try:
            base.chmod(0o755)
            root = base / "ws"
            shutil.copytree(make_workspace({"app/secret.py": "print(1)\n", "app/fine.py": "print(2)\n"}), root)
            # The pack's data files are read during the scan too; the checkout itself may be
            # unreadable to `nobody` (a clone in a mktemp folder), so the child gets a copy.
            shutil.copytree(audit_pack.root, base / "pack")
            for path in [root, base / "pack", *root.rglob("*"), *(base / "pack").rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            (root / "app" / "secret.py").chmod(0)
            pack = load_pack(base / "pack")  # rules loaded while privileged
            analyzer = Analyzer(root, load_config(root), pack=pack)
            skipped, files = _scan_unprivileged(root, analyzer)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    assert skipped["app/secret.py"].startswith("cannot read: Permission denied")
    assert "app/fine.py" in files


def _scan_unprivileged(root: Path, analyzer: Analyzer) -> tuple[dict[str, str], list[str]]:
    # The interpreter's and the checkout's files may be unreadable to `nobody` (a Python under
    # /root, a clone in a mktemp folder). A scan imports some modules on first use (manifest
    # readers, pkgutil): a privileged scan imports them first. The child runs without the
    # result cache, whose key hashes the package's source; the cache is not what is tested.
    scan(root, analyzer=analyzer, cache=False)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            result = scan(root, analyzer=analyzer, cache=False)
            payload = json.dumps({"skipped": _skips(result), "files": result.files}).encode()
            with os.fdopen(write_end, "wb") as fh:
                fh.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        payload = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and payload, "the unprivileged scan failed"
    data = json.loads(payload)
    return data["skipped"], data["files"]


def test_a_workspace_of_20k_files(make_workspace, run_scan):
    root = make_workspace({"app/fine.py": "print(1)\n"})
    for d in range(100):
        folder = root / "pkg" / f"m{d:03d}"
        folder.mkdir(parents=True)
        for i in range(200):
            (folder / f"f{i:03d}.py").write_text("x = 1\n" if i else "print('x')\n")
    result = run_scan(root)
    assert len([f for f in result.files if f.startswith("pkg/")]) == 20_000
    assert sum(1 for f in result.findings if f.rule == "DES901") == 101


def test_the_cli_lists_skips_with_their_reasons_in_json(cli, make_workspace):
    root = make_workspace({"app/blob.py": b"\x00\x00", "app/fine.py": "print(1)\n"})
    (root / "app" / "out").symlink_to("/")
    code, out, err = cli("check", root, "--format", "json", "--fail-on", "none")
    assert code == 0, err
    skipped = {s["path"]: s["reason"] for s in json.loads(out)["summary"]["skipped"]}
    assert skipped == {"app/blob.py": "binary file", "app/out": "symlink to a path outside the workspace"}


def test_a_document_with_nul_bytes_and_lone_surrogates_parses():
    """What an editor may send (the server never reads it from disk, so nothing skips it)."""
    doc = Document("app/x.py", "print('\x00')\nx = '\ud800'\n")
    assert doc.tree is not None
    doc.apply_edit(None, "print(1)\n")
    assert doc.text == "print(1)\n"
