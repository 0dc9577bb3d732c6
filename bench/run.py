"""`make bench`: backend-audit against semgrep and ast-grep on real backend code, side by side.

Everything it needs comes from package registries (see `common.py`): the inputs (sdists and npm
tarballs, unpacked under bench/.work/) and the tools (the `bench` extra). It measures, in one run:

1. cold full scans of the same workspace by the three tools with the same 16 rules
   (bench/anchors/), after checking on a sample that the rules find the same matches;
2. a warm scan (nothing changed) from the result cache;
3. incremental analysis of a real ~3,000-line file after an edit (the engine part);
4. the memory of a process that scanned 100k LOC the way the language server does;
5. scaling of a cold scan at 10k, 50k, 100k and 500k LOC, and a profile of where the time goes.

Medians of several runs; ratios are throughput ratios (other tool's time / ours). Results also go
to bench/.work/results.json. `--quick` runs fewer repetitions and sizes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ANCHORS,
    REPO,
    WORK,
    build_corpus,
    ensure_tools,
    fetch_inputs,
    fmt_s,
    machine,
    median,
    p95,
    semgrep_env,
    tool,
    tool_versions,
    workspace,
)

ANCHOR_RULES = (
    "RES001", "DES009", "RES002", "RES004", "CFG007", "TST010", "TST011", "CFG003", "API002",
    "RES040", "RES041", "DAT044", "DAT045", "TST046", "TST047", "CFG044",
)
SIZES = (10_000, 50_000, 100_000, 500_000)
COMPARE_LOC = 100_000


# -- the anchored rules, with the pack's path filters ------------------------------------------------
def anchor_configs() -> tuple[Path, Path]:
    """bench/anchors/ with each rule's path filters copied from the pack (its `paths`, plus the
    pack's not-backend globs for a backend-only rule), written under bench/.work/anchors/."""
    import shutil

    import yaml

    from backend_audit.rules.compiler import load_pack

    pack = load_pack()
    filters: dict[str, tuple[list[str], list[str]]] = {}
    for rid in ANCHOR_RULES:
        rule = pack.rule(rid)
        if rule is None:
            raise SystemExit(f"anchored rule {rid} is not in the pack")
        include = list(rule.rule.paths.include) if rule.rule.paths else []
        exclude = list(rule.rule.paths.exclude) if rule.rule.paths else []
        if rule.rule.backend_only:
            exclude += list(pack.header.relevance.not_backend)
        filters[rid] = (include, exclude)
    out = WORK / "anchors"
    if out.exists():
        shutil.rmtree(out)
    (out / "ast-grep" / "rules").mkdir(parents=True)
    semgrep = yaml.safe_load((ANCHORS / "semgrep.yml").read_text())
    for rule in semgrep["rules"]:
        include, exclude = filters[rule["id"]]
        paths = {k: v for k, v in (("include", include), ("exclude", exclude)) if v}
        if paths:
            rule["paths"] = paths
    (out / "semgrep.yml").write_text(yaml.safe_dump(semgrep, sort_keys=False))
    shutil.copy(ANCHORS / "ast-grep" / "sgconfig.yml", out / "ast-grep" / "sgconfig.yml")
    for source in sorted((ANCHORS / "ast-grep" / "rules").glob("*.yml")):
        docs = list(yaml.safe_load_all(source.read_text()))
        for doc in docs:
            include, exclude = filters[doc["id"].removesuffix("-ts")]
            if include:
                doc["files"] = include
            if exclude:
                doc["ignores"] = exclude
        (out / "ast-grep" / "rules" / source.name).write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return out / "semgrep.yml", out / "ast-grep" / "sgconfig.yml"


SEMGREP_CONFIG = WORK / "anchors" / "semgrep.yml"
ASTGREP_CONFIG = WORK / "anchors" / "ast-grep" / "sgconfig.yml"


# -- running the tools ---------------------------------------------------------------------------
_PROBES: list[str] = []


def probe_ids() -> list[str]:
    if not _PROBES:
        from backend_audit.rules.compiler import load_pack

        _PROBES.extend(r.id for r in load_pack().rules if r.is_probe)
    return _PROBES


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of one run of a command."""
    cpu = _child_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, _child_cpu() - cpu, proc


def ours_env(cache: Path | None = None, jobs: int | None = None) -> dict[str, str]:
    """Our environment: a result cache only when given; the record of compiled queries (like
    Python's .pyc files: kept from the first run on) lives in bench/.work/cache-queries."""
    env = dict(os.environ)
    env["BACKEND_AUDIT_CACHE_DIR"] = str(cache) if cache is not None else str(WORK / "cache-queries")
    env["BACKEND_AUDIT_RESULT_CACHE"] = "on" if cache is not None else "off"
    if jobs is not None:
        env["BACKEND_AUDIT_JOBS"] = str(jobs)
    else:
        env.pop("BACKEND_AUDIT_JOBS", None)
    return env


def run_ours(root: Path, select: tuple[str, ...] | None, env: dict[str, str]) -> tuple[float, float, Counter]:
    out = WORK / "ours.json"
    cmd = [str(tool("backend-audit")), "check", str(root), "--format", "json", "--output", str(out), "--fail-on", "none"]
    if select:
        # Probes (evidence for the report) run even outside --select; leave them out too, so
        # every tool runs exactly the same rules.
        cmd += ["--select", ",".join(select), "--ignore", ",".join(probe_ids())]
    wall, cpu, proc = _run(cmd, env=env)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"backend-audit failed: {proc.stderr[-2000:]}")
    findings = json.loads(out.read_text())["findings"]
    counts = Counter(f["rule"] for f in findings if select is None or f["rule"] in select)
    return wall, cpu, counts


def run_semgrep(root: Path) -> tuple[float, float, Counter]:
    # The workspace root holds an empty .semgrepignore (semgrep's default list skips tests/,
    # dist/, vendor/ ...); --no-git-ignore and --project-root make it the one consulted.
    cmd = [
        str(tool("semgrep")), "scan", "--config", str(SEMGREP_CONFIG), "--metrics=off",
        "--disable-version-check", "--no-git-ignore", "--project-root", ".", "--json", "--quiet",
        "--timeout", "0", "--max-target-bytes", "0", "--no-rewrite-rule-ids", ".",
    ]
    wall, cpu, proc = _run(cmd, env=semgrep_env(), cwd=root)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(f"semgrep failed ({proc.returncode}): {proc.stderr[-2000:]}") from None
    counts = Counter(r["check_id"].rsplit(".", 1)[-1] for r in data.get("results", []))
    return wall, cpu, counts


def run_astgrep(root: Path) -> tuple[float, float, Counter]:
    cmd = [
        str(tool("ast-grep")), "scan", "-c", str(ASTGREP_CONFIG), "--json=compact",
        "--no-ignore", "hidden", "--no-ignore", "vcs", "--no-ignore", "parent", "--no-ignore", "dot", str(root),
    ]
    wall, cpu, proc = _run(cmd)
    try:
        data = json.loads(proc.stdout or "[]")
    except ValueError:
        raise RuntimeError(f"ast-grep failed ({proc.returncode}): {proc.stderr[-2000:]}") from None
    counts = Counter(m["ruleId"].removesuffix("-ts") for m in data)
    return wall, cpu, counts


# -- 1. equivalence -------------------------------------------------------------------------------
def build_sample() -> Path:
    """Every example of the anchored rules (flagged and ok) as files, at the rule's own example
    paths: the ground truth each tool should reproduce."""
    from backend_audit.engine.ruletest import DEFAULT_PATHS
    from backend_audit.rules.compiler import load_pack

    pack = load_pack()
    root = WORK / "sample"
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / ".semgrepignore").write_text("")
    expected: Counter = Counter()
    for rid in ANCHOR_RULES:
        rule = pack.rule(rid)
        if rule is None:
            raise SystemExit(f"anchored rule {rid} is not in the pack")
        for kind, examples in (("flagged", rule.rule.examples.flagged), ("ok", rule.rule.examples.ok)):
            for n, ex in enumerate(examples):
                language = ex.language or rule.languages[0]
                name = ex.path or DEFAULT_PATHS.get(language, f"example.{language}")
                target = root / rid / f"{kind}{n}" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(ex.code)
                if kind == "flagged":
                    expected[rid] += ex.count or 1
    (root / "expected.json").write_text(json.dumps(expected))
    return root


def equivalence(root: Path, label: str) -> dict[str, dict[str, int]]:
    _, _, ours = run_ours(root, ANCHOR_RULES, ours_env())
    _, _, semgrep = run_semgrep(root)
    _, _, astgrep = run_astgrep(root)
    table = {rid: {"backend-audit": ours[rid], "semgrep": semgrep[rid], "ast-grep": astgrep[rid]} for rid in ANCHOR_RULES}
    print(f"\nMatches per rule on {label}:")
    print(f"  {'rule':8} {'backend-audit':>14} {'semgrep':>8} {'ast-grep':>9}")
    for rid, row in table.items():
        mark = "" if row["backend-audit"] == row["semgrep"] == row["ast-grep"] else "  (differs)"
        print(f"  {rid:8} {row['backend-audit']:>14} {row['semgrep']:>8} {row['ast-grep']:>9}{mark}")
    same = sum(1 for row in table.values() if row["backend-audit"] == row["semgrep"] == row["ast-grep"])
    print(f"  {same}/{len(table)} rules with equal counts in all three tools")
    return table


# -- 2. cold comparison ---------------------------------------------------------------------------
def compare(root: Path, loc: int, repeats: int) -> dict:
    runs: dict[str, list[tuple[float, float]]] = {"backend-audit": [], "backend-audit (1 process)": [], "semgrep": [], "ast-grep": []}
    for _ in range(repeats):
        wall, cpu, _ = run_ours(root, ANCHOR_RULES, ours_env())
        runs["backend-audit"].append((wall, cpu))
        wall, cpu, _ = run_ours(root, ANCHOR_RULES, ours_env(jobs=1))
        runs["backend-audit (1 process)"].append((wall, cpu))
        wall, cpu, _ = run_semgrep(root)
        runs["semgrep"].append((wall, cpu))
        wall, cpu, _ = run_astgrep(root)
        runs["ast-grep"].append((wall, cpu))
    out = {}
    print(f"\nCold scan, {loc:,} LOC, the 16 anchored rules, median of {repeats}:")
    print(f"  {'tool':26} {'wall':>9} {'CPU':>9} {'LOC/s (wall)':>13}")
    for name, values in runs.items():
        wall = median([v[0] for v in values])
        cpu = median([v[1] for v in values])
        out[name] = {"wall": wall, "cpu": cpu, "loc_per_s": loc / wall}
        print(f"  {name:26} {fmt_s(wall):>9} {fmt_s(cpu):>9} {loc / wall:>13,.0f}")
    ours = out["backend-audit"]
    for other in ("semgrep", "ast-grep"):
        out[f"ratio_{other}"] = {"wall": out[other]["wall"] / ours["wall"], "cpu": out[other]["cpu"] / ours["cpu"]}
        print(f"  throughput vs {other}: {out[f'ratio_{other}']['wall']:.1f}x (wall), {out[f'ratio_{other}']['cpu']:.1f}x (CPU)")
    return out


# -- 3. warm --------------------------------------------------------------------------------------
def warm(root: Path, loc: int, repeats: int) -> dict:
    import shutil

    for old in WORK.glob("warmcache-*"):  # from earlier runs
        shutil.rmtree(old, ignore_errors=True)
    cache = Path(tempfile.mkdtemp(prefix="warmcache-", dir=WORK))
    cold_wall, _, _ = run_ours(root, None, ours_env(cache))
    walls = []
    for _ in range(repeats):
        wall, _, _ = run_ours(root, None, ours_env(cache))
        walls.append(wall)
    inproc = _inprocess_warm(root, cache)
    print(f"\nWarm scan (nothing changed), {loc:,} LOC, full pack:")
    print(f"  first (cold, fills the cache): {fmt_s(cold_wall)}")
    print(f"  warm, CLI end to end (median of {repeats}): {fmt_s(median(walls))}")
    print(f"  warm, scan() in a running process (median): {fmt_s(inproc)}")
    return {"cold_fill": cold_wall, "warm_cli": median(walls), "warm_inprocess": inproc}


def _inprocess_warm(root: Path, cache: Path) -> float:
    code = (
        "import sys,time,json\nfrom pathlib import Path\n"
        "from backend_audit.engine.analyzer import Analyzer\nfrom backend_audit.engine.scan import scan\n"
        "root=Path(sys.argv[1]); an=Analyzer(root); scan(root, analyzer=an)\nts=[]\n"
        "for _ in range(5):\n    t=time.perf_counter(); r=scan(root, analyzer=an); ts.append(time.perf_counter()-t)\n"
        "    assert r.cached==len(r.files), (r.cached, len(r.files))\n"
        "ts.sort(); print(json.dumps(ts[len(ts)//2]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(root)], env=ours_env(cache), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return float(proc.stdout.strip().splitlines()[-1])


# -- 4. incremental -------------------------------------------------------------------------------
def incremental(files: list[tuple[str, Path, int]], edits: int) -> dict:
    """Edits of a real ~3,000-line file, each followed by its analysis, two ways: as the language
    server does it after a keystroke (the document's region memo, the rules that report
    findings; the evidence probes run later, when typing pauses), and the whole file with every
    rule (what a document without a memo costs)."""
    from backend_audit.analysis.document import Document
    from backend_audit.analysis.incremental import RegionMemo
    from backend_audit.engine.analyzer import Analyzer
    from backend_audit.engine.workspace import WorkspaceState

    lines_of = {rel: len(path.read_bytes().splitlines()) for rel, path, _ in files if rel.endswith(".py")}
    rel = min(lines_of, key=lambda r: abs(lines_of[r] - 3000))
    path = next(p for r, p, _ in files if r == rel)
    analyzer = Analyzer(REPO)
    out: dict = {"file": rel, "edits": edits}
    print(f"\nIncremental: {edits} edits of {rel}, each followed by its analysis:")
    for mode, part, memo in (("server", "findings", True), ("whole", "all", False)):
        measured = _edit_loop(analyzer, Document(rel, path.read_text()), edits, part, RegionMemo() if memo else None)
        out["lines"] = measured.pop("lines")
        out[mode] = measured
        label = "as the server after a keystroke (region memo, finding rules)" if mode == "server" else "whole file, every rule"
        print(f"  {label}: apply_edit + analyze_file wall p50 {fmt_s(measured['p50'])}, p95 {fmt_s(measured['p95'])}")
        print(f"    of which apply_edit (tree-sitter's incremental reparse) p50 {fmt_s(measured['apply_edit_p50'])}, "
              f"p95 {fmt_s(measured['apply_edit_p95'])}; analyze_file p50 {fmt_s(measured['analyze_p50'])}, "
              f"p95 {fmt_s(measured['analyze_p95'])}")
    # The headline figures are the server's (what a user waits for after typing).
    out.update({k: out["server"][k] for k in ("p50", "p95", "analyze_p50", "analyze_p95", "apply_edit_p50", "apply_edit_p95")})
    state = WorkspaceState(analyzer)
    doc = Document(rel, path.read_text())
    updates = []
    for _ in range(50):
        result = analyzer.analyze_file(doc)
        t = time.perf_counter()
        state.update(result)
        updates.append(time.perf_counter() - t)
    out["project_update_p95"] = p95(updates)
    print(f"  project facts update (WorkspaceState.update, no rescan) p95 {fmt_s(out['project_update_p95'])}")
    return out


def _edit_loop(analyzer: Any, doc: Any, edits: int, part: str, memo: Any) -> dict:
    import tree_sitter as ts

    from backend_audit.syntax.languages import ts_language
    from backend_audit.syntax.positions import Position, Range

    doc.regions = memo
    for _ in range(5):  # warm up, as an open document is: prefilter and combined query built
        analyzer.analyze_file(doc, part)
    # Where someone would type: before an existing statement, at its indentation.
    assert doc.tree is not None
    statements = ts.QueryCursor(ts.Query(ts_language("python"), "(expression_statement) @s")).captures(doc.tree.root_node)["s"]
    spots = sorted({n.start_point for n in statements})
    timings, analysis, edits_only = [], [], []
    for i in range(edits):
        line, column = spots[(i // 2 * 37) % len(spots)]
        start = time.perf_counter()
        if i % 2 == 0:  # type a statement on a new line, indented like the statement it precedes
            doc.apply_edit(Range(Position(line, 0), Position(line, 0)), " " * column + "x = 1\n")
        else:  # and take it out again (the file stays the real one)
            doc.apply_edit(Range(Position(line, 0), Position(line + 1, 0)), "")
        edited = time.perf_counter()
        analyzer.analyze_file(doc, part)
        timings.append(time.perf_counter() - start)
        analysis.append(time.perf_counter() - edited)
        edits_only.append(edited - start)
    return {
        "lines": doc.lines.line_count, "p50": median(timings), "p95": p95(timings),
        "analyze_p50": median(analysis), "analyze_p95": p95(analysis),
        "apply_edit_p50": median(edits_only), "apply_edit_p95": p95(edits_only),
    }


# -- 5. memory ------------------------------------------------------------------------------------
def memory(root: Path, loc: int) -> dict:
    code = (
        "import sys,resource\nfrom pathlib import Path\n"
        "from backend_audit.engine.analyzer import Analyzer\nfrom backend_audit.engine.workspace import WorkspaceState, analyse_workspace\n"
        "root=Path(sys.argv[1]); an=Analyzer(root); out=analyse_workspace(root, an)\n"
        "state=WorkspaceState(an); state.replace_all(out.results, out.other_files)\n"
        "import gc; gc.collect()\n"
        "rss=0\nfor line in open('/proc/self/status'):\n    if line.startswith('VmRSS'): rss=int(line.split()[1])\n"
        "print(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(state.results))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(root)], env=ours_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    rss, peak, count = (int(x) for x in proc.stdout.split())
    print(f"\nMemory after analysing {loc:,} LOC ({count} files) as the language server does: RSS {rss / 1024:.0f} MB (peak {peak / 1024:.0f} MB)")
    return {"rss_mb": rss / 1024, "peak_mb": peak / 1024, "files": count}


# -- 6. scaling and profile ----------------------------------------------------------------------
def scaling(corpus: list, sizes: tuple[int, ...]) -> list[dict]:
    rows = []
    print("\nScaling, cold scan, full pack (backend-audit CLI, cache off):")
    print(f"  {'LOC':>9} {'files':>6} {'all cores':>10} {'1 process':>10} {'LOC/s (all)':>12}")
    for size in sizes:
        root, loc, count = workspace(corpus, size, f"loc{size // 1000}k", repeat=True)
        wall, _, _ = run_ours(root, None, ours_env())
        wall1, _, _ = run_ours(root, None, ours_env(jobs=1))
        rows.append({"loc": loc, "files": count, "wall": wall, "wall_1": wall1})
        print(f"  {loc:>9,} {count:>6} {fmt_s(wall):>10} {fmt_s(wall1):>10} {loc / wall:>12,.0f}")
    return rows


def profile(root: Path) -> str:
    from backend_audit.engine.analyzer import Analyzer
    from backend_audit.engine.scan import scan

    analyzer = Analyzer(root)
    profiler = cProfile.Profile()
    profiler.enable()
    scan(root, analyzer=analyzer, cache=False, jobs=1)
    profiler.disable()
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(15)
    text = buf.getvalue()
    (WORK / "profile.txt").write_text(text)
    print("\nProfile of a serial cold scan of 100k LOC (top functions by own time; full: bench/.work/profile.txt):")
    for line in text.splitlines():
        if line.strip() and (line.lstrip()[:1].isdigit() or "ncalls" in line):
            print("  " + line.rstrip()[:150])
    return text


def compile_bytecode() -> None:
    """Write the package's .pyc files, as installing a wheel does. The editable install of
    `make` leaves none, and where PYTHONDONTWRITEBYTECODE is set (this machine) every run would
    compile all of backend-audit's modules again: 30 ms of each start-up that no user pays."""
    import compileall

    import backend_audit

    compileall.compile_dir(Path(backend_audit.__file__).parent, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and sizes")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    ensure_tools()
    compile_bytecode()
    results: dict = {"machine": machine(), "versions": tool_versions()}
    print("Machine:", ", ".join(f"{k} {v}" for k, v in results["machine"].items()))
    print("Tools:", ", ".join(f"{k} {v}" for k, v in results["versions"].items()))

    corpus = build_corpus(fetch_inputs())
    print(f"Corpus: {len(corpus):,} files, {sum(n for *_, n in corpus):,} LOC (Python, JavaScript, TypeScript)")
    compare_root, compare_loc, _ = workspace(corpus, COMPARE_LOC, f"loc{COMPARE_LOC // 1000}k")

    anchor_configs()
    sample = build_sample()
    expected = json.loads((sample / "expected.json").read_text())
    results["equivalence_sample"] = equivalence(sample, "the anchored rules' own examples")
    print("  expected (flagged examples):", ", ".join(f"{k} {v}" for k, v in expected.items()))
    results["equivalence_corpus"] = equivalence(compare_root, f"the {compare_loc:,}-LOC workspace")

    results["cold"] = compare(compare_root, compare_loc, repeats)
    if not args.quick:  # a larger workspace: start-up costs (ours and semgrep's) weigh less
        big_root, big_loc, _ = workspace(corpus, SIZES[-1], f"loc{SIZES[-1] // 1000}k", repeat=True)
        results["cold_large"] = compare(big_root, big_loc, repeats)
    results["warm"] = warm(compare_root, compare_loc, repeats)
    results["incremental"] = incremental(corpus, 40 if args.quick else 200)
    results["memory"] = memory(compare_root, compare_loc)
    results["scaling"] = scaling(corpus, SIZES[:3] if args.quick else SIZES)
    results["profile"] = profile(compare_root)

    cold = results["cold"]
    print("\nSummary")
    print(f"  1. cold, {compare_loc:,} LOC, same rules: {cold['ratio_semgrep']['wall']:.1f}x semgrep's throughput (target 10x), "
          f"{cold['ratio_ast-grep']['wall']:.2f}x ast-grep's")
    if "cold_large" in results:
        large = results["cold_large"]
        print(f"     cold, {SIZES[-1]:,}+ LOC, same rules: {large['ratio_semgrep']['wall']:.1f}x semgrep's throughput, "
              f"{large['ratio_ast-grep']['wall']:.2f}x ast-grep's")
    print(f"  2. warm, {compare_loc:,} LOC: CLI {fmt_s(results['warm']['warm_cli'])}, in process {fmt_s(results['warm']['warm_inprocess'])} (target < 1 s)")
    inc = results["incremental"]
    print(f"  3. incremental p95 on {inc['lines']:,} lines, edit + analysis as the server does it: {fmt_s(inc['p95'])} "
          f"(analyze_file alone {fmt_s(inc['analyze_p95'])}; target < 10 ms); whole file, every rule: "
          f"{fmt_s(inc['whole']['p95'])}")
    print(f"  4. memory after {compare_loc:,} LOC: {results['memory']['rss_mb']:.0f} MB RSS (target < 300 MB)")
    rows = results["scaling"]
    steps = ", ".join(
        f"{a['loc'] // 1000}k->{b['loc'] // 1000}k: {(b['wall_1'] - a['wall_1']) / (b['loc'] - a['loc']) * 100_000:.2f} s"
        for a, b in itertools.pairwise(rows)
    )
    print(f"  5. scaling, added time per extra 100k LOC (1 process): {steps}; start-up {rows[0]['wall_1']:.2f} s at {rows[0]['loc'] // 1000}k")
    (WORK / "results.json").write_text(json.dumps(results, indent=2, default=str))

    for other in ("lsp_latency.py", "report_bench.py"):
        script = Path(__file__).resolve().parent / other
        if script.exists():
            print(f"\n== bench/{other}")
            sys.stdout.flush()
            subprocess.run([sys.executable, str(script)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
