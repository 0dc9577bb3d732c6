"""The layering of DESIGN.md: every import points downward; only lsp/ imports pygls."""

import ast
from pathlib import Path

import backend_audit

PACKAGE = Path(backend_audit.__file__).parent
FLOORS = {"syntax": 1, "rules": 2, "analysis": 3, "project": 4, "engine": 5, "report": 6, "lsp": 7, "cli": 7, "formats": 7, "packs": 0}


def _floor(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "backend_audit":
        return None
    if len(parts) == 1:
        return 0  # the package root (version only)
    return FLOORS.get(parts[1])


def _imports(path: Path) -> list[str]:
    module_parts = ["backend_audit", *path.relative_to(PACKAGE).with_suffix("").parts]
    if module_parts[-1] == "__init__":
        module_parts.pop()
        package = module_parts
    else:
        package = module_parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    out.extend(f"{mod}.{a.name}" for a in node.names)
                else:
                    out.append(mod)
            elif node.module:
                out.append(node.module)
    return out


def test_imports_point_downward():
    violations = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        own = _floor("backend_audit." + ".".join(rel.with_suffix("").parts))
        if own is None or own == 0:
            continue
        for imported in _imports(path):
            floor = _floor(imported)
            if floor is not None and floor > own:
                violations.append(f"{rel} (floor {own}) imports {imported} (floor {floor})")
    assert violations == []


def test_only_lsp_imports_pygls():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "lsp":
            continue
        for imported in _imports(path):
            if imported.split(".")[0] in ("pygls", "lsprotocol"):
                offenders.append(str(rel))
    assert offenders == []
