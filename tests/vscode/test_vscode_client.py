"""The VS Code client (vscode-client/): lint, unit tests, esbuild bundle, .vsix, and an end-to-end
test in a real VS Code (npm's code-server) driven by headless Chromium.

Installs are cached: node_modules is reused while package-lock.json is unchanged, and code-server
lives in ~/.cache/backend-audit/code-server (or $BACKEND_AUDIT_CACHE/code-server). The only reason
to skip is a machine without node and npm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
VSIX = CLIENT / "dist" / "backend-audit.vsix"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are not installed: the VS Code client cannot be built or tested",
)


def run(args: list[str], *, timeout: float, cwd: Path = CLIENT) -> str:
    """Runs a command and returns its output; on failure, fails the test with the output's tail."""
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
    try:
        proc = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(args)} timed out after {timeout}s:\n{exc.stdout or ''}\n{exc.stderr or ''}")
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-80:])
        pytest.fail(f"{' '.join(args)} exited {proc.returncode}:\n{tail}")
    return output


def cache_dir() -> Path:
    base = os.environ.get("BACKEND_AUDIT_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "backend-audit"


def server_bin_dir() -> Path:
    """The directory holding the `backend-audit` console script that this test run uses."""
    beside = Path(sys.executable).parent / "backend-audit"
    if beside.exists():
        return beside.parent
    found = shutil.which("backend-audit")
    if found:
        return Path(found).parent
    pytest.fail("backend-audit is not installed in this environment (run `make dev`)")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    run(["sh", "scripts/npm-ci-cached.sh"], timeout=300)
    return CLIENT / "node_modules"


@pytest.fixture(scope="module")
def vsix(node_modules: Path) -> Path:
    run(["npm", "run", "--silent", "package"], timeout=180)
    assert VSIX.is_file()
    return VSIX


def test_lint(node_modules: Path) -> None:
    run(["npm", "run", "--silent", "lint"], timeout=180)


def test_unit_tests(node_modules: Path) -> None:
    out = run(["npm", "test", "--silent"], timeout=180)
    assert "# fail 0" in out, out
    passed = next(line for line in out.splitlines() if line.startswith("# pass "))
    assert int(passed.split()[-1]) > 0, out


def test_bundle_keeps_vscode_external(node_modules: Path) -> None:
    run(["npm", "run", "--silent", "build"], timeout=120)
    bundle = (CLIENT / "dist" / "extension.js").read_text(encoding="utf-8")
    assert 'require("vscode")' in bundle
    assert 'require("vscode-languageclient' not in bundle  # bundled, not required at run time


def test_vsix_contents(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as zf:
        names = set(zf.namelist())
    assert {"extension/package.json", "extension/dist/extension.js", "extension.vsixmanifest"} <= names
    assert not any("node_modules/" in n or "/src/" in n or n.endswith(".map") for n in names), sorted(names)


def test_code_server_end_to_end(vsix: Path, tmp_path: Path) -> None:
    """Installs the .vsix into code-server and checks, in headless Chromium: tagged diagnostics, two
    quick fixes, the report and its preview, the status-bar score, activation in a JavaScript-only
    workspace, and the install message when no server is found (see vscode-client/e2e/run.mjs)."""
    prefix = cache_dir() / "code-server"
    run(["bash", "scripts/install-code-server.sh", str(prefix)], timeout=400)
    code_server = prefix / "node_modules" / ".bin" / "code-server"
    out = run(
        [
            "node",
            "e2e/run.mjs",
            "--code-server",
            str(code_server),
            "--vsix",
            str(vsix),
            "--server-bin",
            str(server_bin_dir()),
            "--artifacts",
            str(tmp_path / "artifacts"),
        ],
        timeout=330,
    )
    print(out)
    assert "PASS" in out
