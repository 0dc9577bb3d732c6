"""The code map for the report's appendix: functions (length, cyclomatic complexity), imports,
the module dependency graph with its cycles and layer violations.

Everything comes from one tree-sitter query per language, run once per file: the query
captures functions (`@fn`), decision points (`@dec`) and import statements (`@imp`), and a
sweep over byte offsets assigns each decision point to its innermost function. Walking every
node in Python would cost seconds on 100k lines; the query runs in C.

Complexity is McCabe's: 1 + the decision points (branches, loops, catch clauses, ternaries,
short-circuit operators, case labels) of the function's own body, nested functions excluded.

Imports are resolved to workspace files only (third-party and standard-library imports are
not part of the module graph): Python by module name from its source roots and by relative
import, JS/TS by relative specifier, Java by package and class, Go by the module path in
go.mod, C# by namespace, Ruby by require_relative.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import attrs
import tree_sitter as ts

from ..syntax.languages import family_of, ts_language

_FAMILY_QUERIES = {
    "python": """
(function_definition) @fn
[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause) (conditional_expression)
 (boolean_operator) (for_in_clause) (if_clause) (case_clause)] @dec
(import_statement) @imp
(import_from_statement) @imp
""",
    "javascript": """
[(function_declaration) (function_expression) (arrow_function) (method_definition) (generator_function_declaration)] @fn
[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement) (switch_case) (catch_clause)
 (ternary_expression)] @dec
(binary_expression operator: ["&&" "||" "??"]) @dec
(import_statement source: (string (string_fragment) @imp))
(export_statement source: (string (string_fragment) @imp))
(call_expression function: (identifier) @_req arguments: (arguments . (string (string_fragment) @imp)) (#eq? @_req "require"))
""",
    "java": """
[(method_declaration) (constructor_declaration)] @fn
[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement) (catch_clause)
 (ternary_expression) (switch_label)] @dec
(binary_expression operator: ["&&" "||"]) @dec
(import_declaration) @imp
(package_declaration) @pkg
""",
    "go": """
[(function_declaration) (method_declaration)] @fn
[(if_statement) (for_statement) (expression_case) (type_case) (communication_case)] @dec
(binary_expression operator: ["&&" "||"]) @dec
(import_spec path: (interpreted_string_literal) @imp)
""",
    "csharp": """
[(method_declaration) (constructor_declaration) (local_function_statement)] @fn
[(if_statement) (for_statement) (foreach_statement) (while_statement) (do_statement) (catch_clause)
 (conditional_expression) (switch_section)] @dec
(binary_expression operator: ["&&" "||" "??"]) @dec
(using_directive) @imp
[(namespace_declaration) (file_scoped_namespace_declaration)] @pkg
""",
    "ruby": """
[(method) (singleton_method)] @fn
[(if) (elsif) (unless) (while) (until) (for) (when) (rescue) (conditional) (if_modifier) (unless_modifier)
 (while_modifier) (until_modifier)] @dec
(binary operator: ["&&" "||" "and" "or"]) @dec
(call method: (identifier) @_m arguments: (argument_list (string (string_content) @imp)) (#eq? @_m "require_relative"))
""",
}


@cache
def _query(language: str) -> ts.Query | None:
    source = _FAMILY_QUERIES.get(family_of(language))
    return ts.Query(ts_language(language), source) if source else None


@attrs.frozen
class Function:
    path: str
    name: str
    line: int
    """0-based start line."""
    length: int
    complexity: int


@attrs.frozen
class RawImport:
    target: str
    """The import as written (a module name, a relative specifier, a package path)."""
    line: int
    names: tuple[str, ...] = ()
    """Python ``from X import a, b``: the imported names (they may be modules)."""
    level: int = 0
    """Python relative-import dots."""


@attrs.define
class FileMap:
    path: str
    language: str
    functions: list[Function] = attrs.field(factory=list)
    imports: list[RawImport] = attrs.field(factory=list)
    package: str | None = None
    """Java package / C# namespace declared by the file."""


def _text(source: bytes, node: ts.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _function_name(source: bytes, node: ts.Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(source, name)
    parent = node.parent
    if parent is not None and parent.type in ("variable_declarator", "pair", "assignment_expression", "public_field_definition"):
        key = parent.child_by_field_name("name") or parent.child_by_field_name("key") or parent.child_by_field_name("left")
        if key is not None:
            return _text(source, key)
    return "<anonymous>"


def map_file(path: str, language: str, tree: ts.Tree, source: bytes) -> FileMap | None:
    """Functions, complexity and imports of one parsed file (None for languages without a query)."""
    query = _query(language)
    if query is None:
        return None
    caps = ts.QueryCursor(query).captures(tree.root_node)
    fmap = FileMap(path, language)
    fns = sorted(caps.get("fn", []), key=lambda n: (n.start_byte, -n.end_byte))
    decs = sorted(d.start_byte for d in caps.get("dec", []))
    counts = [1] * len(fns)
    stack: list[int] = []
    fi = 0
    for pos in decs:
        while fi < len(fns) and fns[fi].start_byte <= pos:
            while stack and fns[stack[-1]].end_byte <= fns[fi].start_byte:
                stack.pop()
            stack.append(fi)
            fi += 1
        while stack and fns[stack[-1]].end_byte <= pos:
            stack.pop()
        if stack:
            counts[stack[-1]] += 1
    for i, node in enumerate(fns):
        fmap.functions.append(
            Function(path, _function_name(source, node), node.start_point.row, node.end_point.row - node.start_point.row + 1, counts[i])
        )
    family = family_of(language)
    for node in caps.get("imp", []):
        line = node.start_point.row
        if family == "python":
            fmap.imports.extend(_python_imports(source, node))
        elif family in ("javascript", "ruby"):
            fmap.imports.append(RawImport(_text(source, node), line))
        elif family == "go":
            fmap.imports.append(RawImport(_text(source, node).strip('"`'), line))
        elif family == "java":
            text = re.sub(r"\s+", "", _text(source, node)).removeprefix("import").removeprefix("static").rstrip(";")
            fmap.imports.append(RawImport(text, line))
        elif family == "csharp":
            m = re.match(r"using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)\s*;", _text(source, node))
            if m:
                fmap.imports.append(RawImport(m.group(1), line))
    for node in caps.get("pkg", []):
        name = node.child_by_field_name("name")
        text = _text(source, name) if name is not None else re.sub(r"^package\s+|;$", "", _text(source, node)).strip()
        fmap.package = re.sub(r"\s+", "", text)
    return fmap


def _python_imports(source: bytes, node: ts.Node) -> list[RawImport]:
    line = node.start_point.row
    if node.type == "import_statement":
        out = []
        for child in node.children_by_field_name("name"):
            target = child.child_by_field_name("name") if child.type == "aliased_import" else child
            if target is not None:
                out.append(RawImport(_text(source, target), line))
        return out
    module = node.child_by_field_name("module_name")
    if module is None:
        return []
    text = _text(source, module)
    level = len(text) - len(text.lstrip("."))
    names = []
    for child in node.children_by_field_name("name"):
        target = child.child_by_field_name("name") if child.type == "aliased_import" else child
        if target is not None:
            names.append(_text(source, target))
    return [RawImport(text.lstrip("."), line, tuple(names), level)]


# -- resolution --------------------------------------------------------------------------------

_TEST_PATH = re.compile(
    r"(^|/)(tests?|spec|specs|__tests__|testing|e2e|test-fixtures|fixtures)/|(^|/)test_[^/]*\.py$|_test\.(py|go)$"
    r"|\.(test|spec|e2e-spec)\.[jt]sx?$|Tests?\.(java|cs)$|_spec\.rb$"
)


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path))


_JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


@attrs.frozen
class Edge:
    source: str
    target: str
    line: int
    """0-based line of the import in the source file."""


class _Resolver:
    def __init__(self, maps: list[FileMap], files: set[str], root: Path | None) -> None:
        self.files = files
        self.py_modules: dict[str, str] = {}
        py_files = [m.path for m in maps if family_of(m.language) == "python"]
        dirs_with_init = {posixpath.dirname(p) for p in py_files if p.endswith("/__init__.py") or p == "__init__.py"}
        roots = {""}
        for d in dirs_with_init:
            parent = posixpath.dirname(d)
            if parent not in dirs_with_init:
                roots.add(parent)
        for d in ("src", "lib"):
            roots.add(d)
        for p in py_files:
            stem = p[: -len(".py")] if p.endswith(".py") else p.rsplit(".", 1)[0]
            for r in roots:
                if r and not stem.startswith(r + "/"):
                    continue
                rel = stem[len(r) + 1 :] if r else stem
                name = rel.replace("/", ".")
                if name.endswith(".__init__"):
                    name = name[: -len(".__init__")]
                self.py_modules.setdefault(name, p)
        self.java_classes: dict[str, str] = {}
        self.java_packages: dict[str, list[str]] = defaultdict(list)
        self.cs_namespaces: dict[str, list[str]] = defaultdict(list)
        self.go_dirs: dict[str, list[str]] = defaultdict(list)
        for m in maps:
            fam = family_of(m.language)
            if fam == "java" and m.package:
                stem = posixpath.basename(m.path).rsplit(".", 1)[0]
                self.java_classes[f"{m.package}.{stem}"] = m.path
                self.java_packages[m.package].append(m.path)
            elif fam == "csharp" and m.package:
                self.cs_namespaces[m.package].append(m.path)
            elif fam == "go" and not is_test_path(m.path):
                self.go_dirs[posixpath.dirname(m.path)].append(m.path)
        self.go_modules: list[tuple[str, str]] = []
        if root is not None:
            for f in files:
                if posixpath.basename(f) == "go.mod":
                    try:
                        text = (root / f).read_text(encoding="utf-8", errors="replace")
                    except OSError:
                        continue
                    m = re.search(r"^module\s+(\S+)", text, re.M)
                    if m:
                        self.go_modules.append((m.group(1), posixpath.dirname(f)))

    def resolve(self, fmap: FileMap, imp: RawImport) -> list[str]:
        fam = family_of(fmap.language)
        if fam == "python":
            return self._python(fmap.path, imp)
        if fam == "javascript":
            return self._relative(fmap.path, imp.target, _JS_EXTS) if imp.target.startswith(".") else []
        if fam == "ruby":
            return self._relative(fmap.path, "./" + imp.target if not imp.target.startswith(".") else imp.target, (".rb",))
        if fam == "java":
            target = self.java_classes.get(imp.target)
            if target:
                return [target]
            if imp.target.endswith(".*"):
                return list(self.java_packages.get(imp.target[:-2], []))
            parent = imp.target.rsplit(".", 1)[0]  # static import of a member
            return [self.java_classes[parent]] if parent in self.java_classes else []
        if fam == "csharp":
            return list(self.cs_namespaces.get(imp.target, []))
        if fam == "go":
            for module, base in self.go_modules:
                if imp.target == module or imp.target.startswith(module + "/"):
                    rel = imp.target[len(module) :].lstrip("/")
                    return list(self.go_dirs.get(posixpath.join(base, rel) if base else rel, []))
        return []

    def _python(self, path: str, imp: RawImport) -> list[str]:
        if imp.level:
            package = posixpath.dirname(path)
            for _ in range(imp.level - 1):
                package = posixpath.dirname(package)
            base = posixpath.join(package, imp.target.replace(".", "/")) if imp.target else package
            out = []
            for name in imp.names or ("",):
                for cand in (posixpath.join(base, name) + ".py" if name else None, base + ".py", posixpath.join(base, "__init__.py")):
                    if cand and cand in self.files:
                        out.append(cand)
                        break
            return out
        out = []
        for name in imp.names or ():
            hit = self.py_modules.get(f"{imp.target}.{name}")
            if hit:
                out.append(hit)
        if not out:
            parts = imp.target.split(".")
            while parts:
                hit = self.py_modules.get(".".join(parts))
                if hit:
                    out.append(hit)
                    break
                parts.pop()
        return out

    def _relative(self, path: str, spec: str, exts: tuple[str, ...]) -> list[str]:
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
        candidates = [base] + [base + e for e in exts] + [posixpath.join(base, "index" + e) for e in exts]
        stem, dot, ext = base.rpartition(".")
        if dot and "." + ext in (".js", ".mjs", ".cjs"):  # TS sources imported with .js specifiers
            candidates += [stem + e for e in (".ts", ".tsx", ".mts", ".cts")]
        for c in candidates:
            if c in self.files:
                return [c]
        return []


# -- layers ------------------------------------------------------------------------------------

# Ranks: a module may import its own rank or lower. Infrastructure adapters (hexagonal/clean
# architecture) sit on the outside with the presentation layer: they implement the
# application's ports, so their importing the application is the intended direction.
LAYERS: list[tuple[str, int, frozenset[str]]] = [
    ("presentation", 4, frozenset({"api", "apis", "routes", "routers", "router", "controllers", "controller", "views",
                                   "handlers", "handler", "web", "endpoints", "resources", "rest", "http", "graphql"})),
    ("infrastructure", 4, frozenset({"infrastructure", "infra", "adapters", "adapter", "gateways"})),
    ("service", 3, frozenset({"services", "service", "usecases", "use_cases", "usecase", "application", "interactors"})),
    ("data", 2, frozenset({"repositories", "repository", "repo", "repos", "dao", "daos", "store", "stores",
                           "persistence", "clients", "client", "db", "data"})),
    ("domain", 1, frozenset({"domain", "models", "model", "entities", "entity"})),
]


_LAYER_SUFFIX = [(name, rank, re.compile(r"(^|[_.\-])(" + "|".join(sorted(words)) + r")$")) for name, rank, words in LAYERS]


@cache
def layer_of(path: str, by_directory_only: bool = False) -> tuple[str, int] | None:
    """The architectural layer a module belongs to: the outermost directory that names one
    (``application/data/x`` is application code), else the file's own name (``order_service``,
    ``products.controller``). Go imports whole packages, so Go modules go by directory only."""
    for part in path.split("/")[:-1]:
        low = part.lower()
        for name, rank, words in LAYERS:
            if low in words:
                return name, rank
    if by_directory_only:
        return None
    stem = posixpath.basename(path).rsplit(".", 1)[0].lower()
    for name, rank, pattern in _LAYER_SUFFIX:
        if pattern.search(stem):
            return name, rank
    return None


@attrs.define
class ModuleGraph:
    nodes: list[str]
    """Aggregated node names (directories or files, shown in the diagram)."""
    edges: list[tuple[str, str]]
    node_depth: int
    file_edges: list[Edge]
    cycles: list[list[str]]
    """File-level import cycles (strongly connected components), each sorted."""
    violations: list[tuple[Edge, str, str]]
    """(edge, source layer, target layer): a lower layer importing a higher one."""
    cyclic_nodes: set[str]
    bad_edges: set[tuple[str, str]]
    layers: dict[str, str]
    """Aggregated node -> layer name, where one is recognisable."""
    files: int = 0
    prefix: str = ""
    """The directory every module shares (``src/main/java/com/acme``), left out of node names."""

    def to_json(self) -> dict:
        return {
            "nodes": self.nodes,
            "edges": [list(e) for e in self.edges],
            "depth": self.node_depth,
            "cycles": self.cycles,
            "layer_violations": [
                {"from": e.source, "to": e.target, "line": e.line, "from_layer": a, "to_layer": b} for e, a, b in self.violations
            ],
            "files": self.files,
            "prefix": self.prefix,
        }


def _sccs(nodes: Iterable[str], adj: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (deep import chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(adj.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(adj.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(comp)
    return out


MAX_NODES = 40


def _groups(paths: list[str]) -> dict[str, str]:
    """Each path's diagram node: directories are opened, largest first, while the diagram
    stays within MAX_NODES nodes; a module whose directory is open is its own node."""

    def node(path: str, open_dirs: set[str]) -> str:
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix not in open_dirs:
                return prefix
        return path.rsplit(".", 1)[0]

    open_dirs: set[str] = set()
    while True:
        current = {p: node(p, open_dirs) for p in paths}
        count = len(set(current.values()))
        sizes: dict[str, int] = defaultdict(int)
        for p, n in current.items():
            if n != p.rsplit(".", 1)[0]:  # a closed directory
                sizes[n] += 1
        opened = False
        for candidate in sorted(sizes, key=lambda n: (-sizes[n], n)):
            trial = open_dirs | {candidate}
            if len({node(p, trial) for p in paths}) <= MAX_NODES or count == 1:
                open_dirs = trial
                opened = True
                break
        if not opened:
            return current


def build_graph(maps: list[FileMap], all_files: Iterable[str], root: Path | None = None) -> ModuleGraph:
    """The import graph between workspace modules (tests left out), aggregated for display."""
    files = set(all_files)
    src_maps = [m for m in maps if not is_test_path(m.path)]
    resolver = _Resolver(maps, files, root)
    graph_files = {m.path for m in src_maps}
    file_edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    for m in src_maps:
        for imp in m.imports:
            for target in resolver.resolve(m, imp):
                if target == m.path or target not in graph_files or (m.path, target) in seen:
                    continue
                seen.add((m.path, target))
                file_edges.append(Edge(m.path, target, imp.line))
    adj: dict[str, set[str]] = defaultdict(set)
    for e in file_edges:
        adj[e.source].add(e.target)
    nodes_sorted = sorted(graph_files)
    cycles = sorted((sorted(c) for c in _sccs(nodes_sorted, adj) if len(c) > 1), key=lambda c: (-len(c), c))
    go_files = {m.path for m in src_maps if family_of(m.language) == "go"}
    violations = []
    for e in file_edges:
        a, b = layer_of(e.source, e.source in go_files), layer_of(e.target, e.target in go_files)
        if a and b and a[1] < b[1]:
            violations.append((e, a[0], b[0]))
    # Node names leave out the directory all modules share; the aggregation depth is the
    # deepest that keeps the diagram readable.
    dirs = [posixpath.dirname(p) for p in graph_files]
    prefix = posixpath.commonpath(dirs) if dirs and all(dirs) else ""
    cut = len(prefix) + 1 if prefix else 0
    rel = {p: p[cut:] for p in graph_files}
    groups = _groups(list(rel.values()))
    agg = {p: groups[rel[p]] for p in graph_files}
    depth = max((n.count("/") + 1 for n in agg.values()), default=1)
    agg_nodes = sorted(set(agg.values()))
    agg_edges = sorted({(agg[e.source], agg[e.target]) for e in file_edges if agg[e.source] != agg[e.target]})
    agg_adj: dict[str, set[str]] = defaultdict(set)
    for a, b in agg_edges:
        agg_adj[a].add(b)
    cyclic_nodes: set[str] = set()
    bad_edges: set[tuple[str, str]] = set()
    for comp in _sccs(agg_nodes, agg_adj):
        if len(comp) > 1:
            members = set(comp)
            cyclic_nodes |= members
            bad_edges |= {(a, b) for a, b in agg_edges if a in members and b in members}
    for e, _, _ in violations:
        if agg[e.source] != agg[e.target]:
            bad_edges.add((agg[e.source], agg[e.target]))
    layers = {}
    for node in agg_nodes:
        found = layer_of(node + "/x") or layer_of(node)
        if found:
            layers[node] = found[0]
    return ModuleGraph(agg_nodes, agg_edges, depth, file_edges, cycles, violations, cyclic_nodes, bad_edges, layers,
                       len(graph_files), prefix)


def mermaid(graph: ModuleGraph) -> str:
    """The graph as a Mermaid flowchart; cycles and layer violations in red."""
    ids = {n: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["graph LR"]
    for n in graph.nodes:
        label = n.replace('"', "'")
        layer = graph.layers.get(n)
        lines.append(f'  {ids[n]}["{label}{" · " + layer if layer else ""}"]')
    bad_links = []
    for i, (a, b) in enumerate(graph.edges):
        lines.append(f"  {ids[a]} --> {ids[b]}")
        if (a, b) in graph.bad_edges:
            bad_links.append(str(i))
    if graph.cyclic_nodes:
        lines.append("  classDef cycle fill:#fde2e2,stroke:#c00,stroke-width:2px")
        lines.append("  class " + ",".join(ids[n] for n in sorted(graph.cyclic_nodes)) + " cycle")
    if bad_links:
        lines.append(f"  linkStyle {','.join(bad_links)} stroke:#c00,stroke-width:2px")
    return "\n".join(lines)


def svg(graph: ModuleGraph) -> str:
    """The graph as inline SVG (for HTML, which cannot load Mermaid from a CDN): a layered
    layout, columns by longest import path, red for cycles and layer violations."""
    from html import escape

    if not graph.nodes:
        return ""
    adj: dict[str, set[str]] = defaultdict(set)
    for a, b in graph.edges:
        adj[a].add(b)
    comp_of: dict[str, int] = {}
    comps = _sccs(graph.nodes, adj)
    for i, comp in enumerate(comps):
        for n in comp:
            comp_of[n] = i
    # Tarjan emits components in reverse topological order: dependencies first.
    column: dict[int, int] = {}
    for i, comp in enumerate(comps):
        deps = {comp_of[t] for n in comp for t in adj[n] if comp_of[t] != i}
        column[i] = 1 + max((column[d] for d in deps), default=-1)
    cols: dict[int, list[str]] = defaultdict(list)
    for n in graph.nodes:
        cols[column[comp_of[n]]].append(n)
    width_col, height_row, box_w, box_h = 230, 46, 200, 30
    ncols = max(cols) + 1
    pos = {}
    for c, members in cols.items():
        x = (ncols - 1 - c) * width_col + 10
        for r, n in enumerate(sorted(members)):
            pos[n] = (x, r * height_row + 10)
    width = ncols * width_col
    height = max(len(m) for m in cols.values()) * height_row + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="module dependency graph">',
        '<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        '<marker id="arrbad" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#c00"/></marker></defs>',
    ]
    for a, b in graph.edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        bad = (a, b) in graph.bad_edges
        sx, sy = x1 + box_w, y1 + box_h / 2
        tx, ty = x2, y2 + box_h / 2
        if x2 <= x1:  # same column or backwards (cycles): route around
            sx, tx = x1 + box_w / 2, x2 + box_w / 2
            sy, ty = y1 + (box_h if y2 > y1 else 0), y2 + (0 if y2 > y1 else box_h)
        mx = (sx + tx) / 2
        colour = "#c00" if bad else "#888"
        marker = "arrbad" if bad else "arr"
        parts.append(
            f'<path d="M{sx:.0f},{sy:.0f} C{mx:.0f},{sy:.0f} {mx:.0f},{ty:.0f} {tx:.0f},{ty:.0f}" fill="none" stroke="{colour}"'
            f' stroke-width="{2 if bad else 1}" marker-end="url(#{marker})"><title>{escape(a)} → {escape(b)}</title></path>'
        )
    for n in graph.nodes:
        x, y = pos[n]
        cyc = n in graph.cyclic_nodes
        label = n if len(n) <= 28 else "…" + n[-27:]
        layer = graph.layers.get(n)
        suffix = f'<tspan fill="#777"> · {escape(layer)}</tspan>' if layer else ""
        parts.append(
            f'<g><rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="5" fill="{"#fde2e2" if cyc else "#eef3fb"}"'
            f' stroke="{"#c00" if cyc else "#6a8fc7"}" stroke-width="{2 if cyc else 1}"/>'
            f'<text x="{x + 8}" y="{y + 19}" font-size="12" font-family="sans-serif">{escape(label)}'
            f"{suffix}</text>"
            f"<title>{escape(n)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
