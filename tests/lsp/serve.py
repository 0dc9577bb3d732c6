"""Start the language server for the end-to-end tests, with an injected pack (`--pack DIR`) and
extra rule directories (`--rules DIR`), over stdio: the same server `backend-audit lsp` runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from backend_audit.lsp.server import run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", type=Path)
    parser.add_argument("--rules", type=Path, action="append", default=[])
    args = parser.parse_args()
    run(pack_dir=args.pack, extra_rule_dirs=args.rules)


if __name__ == "__main__":
    main()
