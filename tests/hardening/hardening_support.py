"""Shared data of the hardening tests: rules of our own, a secret, and a file writer.

The tests define their own small rules (in an extra rule directory inside the workspace, named
by the workspace's `.backend-audit.yaml`), so that they depend neither on the bundled pack's
contents nor on the engineers who write it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

RULES = """\
rules:
  - id: DES901
    name: hardening-print-call
    section: design
    severity: High
    languages: [python]
    message: "print() in service code: $fn"
    match:
      query: |
        (call function: (identifier) @fn (#match? @fn "^print$")) @match
    examples:
      flagged: ["print('x')"]
      ok: ["log('x')"]
  - id: DES902
    name: hardening-call-outside-try
    section: design
    severity: Low
    languages: [python]
    message: "call to $fn outside a try block"
    match:
      query: |
        (call function: (identifier) @fn (#match? @fn "^risky$")) @match
      where:
        - capture: match
          not-inside: {kind: [try_statement]}
          has: {kind: [argument_list]}
    examples:
      flagged: ["risky(1)"]
      ok: ["try:\\n    risky(1)\\nexcept Exception:\\n    pass\\n"]
  - id: CFG901
    name: hardening-hardcoded-token
    section: config
    severity: Critical
    languages: [python, dotenv]
    secret: true
    message: "hard-coded token $secret"
    match:
      pattern: "(?m)API_TOKEN\\\\s*=\\\\s*['\\"]?(?P<secret>[A-Za-z0-9_\\\\-]{12,})"
      report-group: 1
    examples:
      flagged: ["API_TOKEN = 'sk_live_0123456789abcdef'"]
      ok: ["API_TOKEN = os.environ['API_TOKEN']"]
"""

SECRET = "sk_live_0123456789abcdefXYZ"
"""The token the secret rule finds in `secret_workspace`; no output may contain it."""

CONFIG = "rules: [.audit-rules]\n"


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


# -- the language server, started as `backend-audit lsp` is, with stderr kept in a file --------------

PACK_YAML = Path(__file__).resolve().parents[2] / "rules" / "backend-infrastructure" / "pack.yaml"
SERVER_CODE = (
    "import os, sys\n"
    "fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n"
    "os.dup2(fd, 2)\n"
    "from pathlib import Path\n"
    "from backend_audit.lsp.server import create_server\n"
    "create_server(pack_dir=Path(sys.argv[1])).start_io()\n"
)
"""The server with an injected pack: pack.yaml alone, so only the workspace's own rules (the
config's `rules: [.audit-rules]`) run and the test does not wait for the bundled pack."""


def empty_pack(root: Path) -> Path:
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACK_YAML, root / "pack.yaml")
    return root
