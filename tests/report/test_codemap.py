"""The code map: complexity, imports resolved to workspace files, cycles and layer violations."""

from __future__ import annotations

import textwrap
from pathlib import Path

from backend_audit.report.codemap import build_graph, layer_of, map_file, mermaid, svg
from backend_audit.syntax.languages import language_for_path, parser_for


def _maps(files: dict[str, str]):
    maps = []
    for path, text in files.items():
        spec = language_for_path(path)
        if spec is None or not spec.has_grammar:
            continue
        source = textwrap.dedent(text).encode()
        maps.append(map_file(path, spec.name, parser_for(spec.name).parse(source), source))
    return maps


def test_cyclomatic_complexity_counts_decisions_of_the_own_body_only() -> None:
    (fmap,) = _maps({"app/x.py": """
        def outer(a, b):
            if a and b:
                return 1
            elif a:
                for i in range(3):
                    pass
            def inner(c):
                return 1 if c else 2
            return [i for i in b if i]
        """})
    by_name = {f.name: f for f in fmap.functions}
    # outer: 1 + if + and + elif + for + comprehension for + comprehension if = 7
    assert by_name["outer"].complexity == 7 and by_name["outer"].line == 1 and by_name["outer"].length == 9
    assert by_name["inner"].complexity == 2


def test_js_complexity_and_arrow_function_names() -> None:
    (fmap,) = _maps({"src/a.ts": """
        export const handler = async (req: any) => {
          if (!req.ok || req.retry) { return null; }
          return req.value ?? (req.x ? 1 : 2);
        };
        """})
    (fn,) = fmap.functions
    assert fn.name == "handler" and fn.complexity == 5


def test_python_cycle_and_layer_violation_are_found_with_their_lines() -> None:
    files = {
        "app/__init__.py": "",
        "app/api/__init__.py": "",
        "app/api/routes.py": "from app.services import svc\n",
        "app/services/__init__.py": "",
        "app/services/svc.py": "from ..repositories.repo import load\nimport json\n",
        "app/repositories/__init__.py": "",
        "app/repositories/repo.py": "import os\nfrom app.api.routes import router\n",
        "tests/test_x.py": "from app.api import routes\n",
    }
    graph = build_graph(_maps(files), files)
    edges = {(e.source, e.target): e.line for e in graph.file_edges}
    assert edges == {
        ("app/api/routes.py", "app/services/svc.py"): 0,
        ("app/services/svc.py", "app/repositories/repo.py"): 0,
        ("app/repositories/repo.py", "app/api/routes.py"): 1,
    }
    assert graph.cycles == [["app/api/routes.py", "app/repositories/repo.py", "app/services/svc.py"]]
    ((edge, src, dst),) = graph.violations
    assert (edge.source, edge.line, src, dst) == ("app/repositories/repo.py", 1, "data", "presentation")
    text = mermaid(graph)
    assert text.startswith("graph LR") and "classDef cycle" in text and "linkStyle" in text
    assert svg(graph).count("<rect") == len(graph.nodes)


def test_relative_js_and_go_module_imports_resolve(tmp_path: Path) -> None:
    files = {
        "src/app.ts": "import { db } from './db';\nimport express from 'express';\nconst x = require('./util/index.js');\n",
        "src/db.ts": "export const db = 1;\n",
        "src/util/index.ts": "export const u = 1;\n",
        "go.mod": "module example.com/inv\n\ngo 1.22\n",
        "main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/inv/internal/store"\n)\n',
        "internal/store/store.go": "package store\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    graph = build_graph(_maps(files), files, tmp_path)
    assert {(e.source, e.target) for e in graph.file_edges} == {
        ("src/app.ts", "src/db.ts"), ("src/app.ts", "src/util/index.ts"), ("main.go", "internal/store/store.go"),
    }
    assert graph.cycles == [] and graph.violations == []


def test_layers_from_directory_and_file_names() -> None:
    assert layer_of("app/api/orders.py") == ("presentation", 4)
    assert layer_of("src/products/products.controller.ts") == ("presentation", 4)
    assert layer_of("app/services/order_service.py") == ("service", 3)
    assert layer_of("internal/store/store.go") == ("data", 2)
    assert layer_of("app/models.py") == ("domain", 1)
    assert layer_of("app/main.py") is None
