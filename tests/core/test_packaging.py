"""A wheel built from this repository carries the rule pack and finds it once installed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_finds_the_rule_pack(tmp_path):
    src = tmp_path / "src"
    # Build from a clean copy of the tracked sources so a stray build/ never leaks in.
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "node_modules", "build", "*.egg-info", "bench", "tests", "vscode-client"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)],
        check=True, capture_output=True, timeout=600,
    )
    (wheel,) = wheels.glob("backend_audit-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    code = (
        "import backend_audit, sys\n"
        "from backend_audit.rules.compiler import load_pack\n"
        "pack = load_pack()\n"
        "assert backend_audit.__file__.startswith(sys.argv[1]), backend_audit.__file__\n"
        "assert str(pack.root).startswith(sys.argv[1]), pack.root\n"
        "assert pack.rules and not pack.errors, pack.errors\n"
        "print(len(pack.rules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 0
