"""Fixtures for the hardening matrix: a workspace factory with our own rules, and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hardening_support import CONFIG, RULES, write_files

from backend_audit.cli import main
from backend_audit.rules.compiler import CompiledPack, load_pack


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """A workspace with our rules and config plus the given files: {relative path: content}."""

    def build(files: dict[str, str | bytes] | None = None, name: str = "ws", config: str = CONFIG) -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        write_files(root, {".audit-rules/hardening.yaml": RULES, ".backend-audit.yaml": config})
        return write_files(root, files or {})

    return build


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `backend-audit ARGS` in this process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def audit_pack(tmp_path_factory: pytest.TempPathFactory) -> CompiledPack:
    """The bundled pack plus our rules, loaded once (loading 500 rules takes seconds)."""
    rules = tmp_path_factory.mktemp("audit-rules")
    (rules / "hardening.yaml").write_text(RULES, encoding="utf-8")
    return load_pack(extra_rule_dirs=[rules])
