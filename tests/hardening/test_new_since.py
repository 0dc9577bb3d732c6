"""Diff-aware runs: `check --new-since REF` reports only findings on lines changed since REF.

Each test builds a real git repository in a temporary directory. git is asked only for data
(rev-parse, ls-tree, cat-file); a repository whose local config names commands (fsmonitor, an
external diff, a textconv or clean filter) must not get them run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_audit.engine.gitdiff import ALL_LINES, GitBase, GitDiffError, changed_lines_between

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.email=test@example.invalid", "-c", "user.name=test", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *env_args, *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(make_workspace) -> Path:
    root = make_workspace(
        {
            "app/orders.py": "def place(order):\n    print(order)\n    return order\n\n\ndef cancel(order):\n    print('cancel')\n",
            "app/other.py": "print('old')\n",
        }
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def _rules_and_lines(out: str) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["range"]["start"]["line"]) for f in json.loads(out)["findings"])


def test_only_findings_on_changed_lines_and_in_untracked_files_are_reported(cli, repo: Path):
    orders = repo / "app" / "orders.py"
    orders.write_text(orders.read_text().replace("    return order\n", "    print('placed')\n    return order\n"))
    (repo / "app" / "new.py").write_text("x = 1\nprint(x)\n")  # untracked: every line is new
    code, out, err = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--new-since", "HEAD", "--fail-on", "none")
    assert code == 0, err
    assert _rules_and_lines(out) == [("DES901", "app/new.py", 1), ("DES901", "app/orders.py", 2)]
    # Without --new-since every finding is there.
    code, out, _ = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--fail-on", "none")
    assert len(json.loads(out)["findings"]) == 5


def test_nothing_changed_means_nothing_reported_and_exit_0(cli, repo: Path):
    code, out, _ = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--new-since", "HEAD")
    assert code == 0 and json.loads(out)["findings"] == []


def test_a_workspace_in_a_subdirectory_of_the_repository(cli, repo: Path):
    service = repo / "services" / "billing"
    service.mkdir(parents=True)
    shutil.copytree(repo / ".audit-rules", service / ".audit-rules")
    shutil.copy(repo / ".backend-audit.yaml", service / ".backend-audit.yaml")
    (service / "billing.py").write_text("def bill():\n    return 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "billing")
    (service / "billing.py").write_text("def bill():\n    print('billing')\n    return 1\n")
    code, out, err = cli("check", service, "--select", "DES9,CFG9", "--format", "json", "--new-since", "HEAD", "--fail-on", "none")
    assert code == 0, err
    assert _rules_and_lines(out) == [("DES901", "billing.py", 1)]


def test_an_older_ref_counts_committed_changes_too(cli, repo: Path):
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app" / "other.py").write_text("print('old')\nprint('committed later')\n")
    git(repo, "commit", "-qam", "more")
    _, out, _ = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--new-since", first, "--fail-on", "none")
    assert _rules_and_lines(out) == [("DES901", "app/other.py", 1)]
    _, out, _ = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--new-since", "HEAD", "--fail-on", "none")
    assert _rules_and_lines(out) == []


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("no-such-branch", "unknown git ref 'no-such-branch'", id="unknown-ref"),
        pytest.param("--output=/tmp/x", "is not a git ref", id="option-injection"),
        pytest.param("HEAD:app", "unknown git ref", id="not-a-commit"),
    ],
)
def test_a_bad_ref_is_a_usage_error(cli, repo: Path, ref: str, message: str):
    code, out, err = cli("check", repo, "--select", "DES9,CFG9", f"--new-since={ref}")
    assert code == 2 and out == ""
    assert message in err


def test_outside_a_git_repository_is_a_usage_error(cli, make_workspace, tmp_path: Path):
    root = make_workspace({"a.py": "print(1)\n"}, name="no-git")
    if subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode == 0:
        pytest.skip("the temporary directory is itself inside a git repository")
    code, _, err = cli("check", root, "--select", "DES9,CFG9", "--new-since", "HEAD")
    assert code == 2 and "not inside a git work tree" in err


def test_no_command_named_by_the_repository_config_runs(cli, repo: Path, tmp_path: Path):
    marker = tmp_path / "ran"
    hook = f"touch {marker}"
    git(repo, "config", "core.fsmonitor", hook)
    git(repo, "config", "diff.external", hook)
    git(repo, "config", "diff.evil.textconv", hook)
    git(repo, "config", "filter.evil.clean", hook)
    (repo / ".gitattributes").write_text("*.py diff=evil filter=evil\n")
    (repo / "app" / "orders.py").write_text("print('changed')\n")
    code, out, err = cli("check", repo, "--select", "DES9,CFG9", "--format", "json", "--new-since", "HEAD", "--fail-on", "none")
    assert code == 0, err
    assert _rules_and_lines(out) == [("DES901", "app/orders.py", 0)]
    assert not marker.exists()


def test_changed_lines_between_texts():
    assert changed_lines_between(None, "a\n") is ALL_LINES
    assert changed_lines_between("a\nb\n", "a\nb\n") == frozenset()
    assert changed_lines_between("a\nb\nc\n", "a\nB\nc\nd\n") == {1, 3}
    assert changed_lines_between("a\nb\nc\n", "x\na\nb\nc\n") == {0}
    assert changed_lines_between("a\nb\n", "b\n") == frozenset()  # a deletion adds no line


def test_git_base_answers_for_editor_buffers(repo: Path):
    base = GitBase.open(repo, "HEAD")
    assert base.changed_lines("app/other.py", "print('old')\nprint('typed, not saved')\n") == {1}
    assert base.changed_lines("app/unsaved-new-file.py", "x\n") is ALL_LINES
    with pytest.raises(GitDiffError):
        GitBase.open(repo, "-x")
