"""Benchmark: the full audit report of a ~100k-LOC workspace, cold, in a fresh process.

The workspace is built from registry packages only: the sdists of Flask and Django
(`pip download --no-deps --no-binary :all:`), pinned, unpacked under `bench/.work/report/`
(git-ignored). It holds all of Flask (sources, tests, examples) and Django's own package,
sub-package by sub-package in name order, until about 100,000 non-blank lines of Python:
real projects, so the module graph, the layers and the metrics are those of real code.

Each run is `backend-audit report WS --format F --output WS/...` in a new process with the
result cache switched off (BACKEND_AUDIT_CACHE_DIR=off): interpreter start, rule-pack load,
scan, scoring, code map and rendering all count. Warm runs (the cache filled by a first run)
are printed for comparison.
One in-process run then splits the time into scan, report model and rendering. The target
(docs: under 5 s cold for 100k LOC) is printed next to the numbers; this is a benchmark, not
a test: it never fails on time.

    .venv/bin/python bench/report_bench.py [--runs 3] [--loc 100000] [--html]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work" / "report"
SDISTS = (("flask", "3.1.3"), ("django", "5.2.19"))
TARGET_S = 5.0
SKIP_DIRS = {"locale", "static", "__pycache__", "docs", "node_modules"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fetch() -> dict[str, Path]:
    downloads = WORK / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, version in SDISTS:
        target = WORK / "src" / f"{name}-{version}"
        if not (target / ".complete").exists():
            archive = next(iter(downloads.glob(f"{name}-{version}.tar.gz")), None)
            if archive is None:
                log(f"pip download {name}=={version} (sdist)")
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", f"{name}=={version}", "-d", str(downloads)],
                    check=True,
                )
                archive = next(downloads.glob(f"{name}-{version}.tar.gz"))
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            with tarfile.open(archive) as tf:
                tf.extractall(target, filter="data")
            (target / ".complete").touch()
        (inner,) = [p for p in target.iterdir() if p.is_dir()]
        out[name] = inner
    return out


def loc_of(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def build_workspace(loc_target: int) -> tuple[Path, int, int]:
    sources = fetch()
    ws = WORK / f"ws-{loc_target}"
    meta = WORK / f"ws-{loc_target}.json"
    if meta.exists() and ws.exists():
        m = json.loads(meta.read_text())
        return ws, m["loc"], m["files"]
    if ws.exists():
        shutil.rmtree(ws)
    total = files = 0

    def add_tree(src: Path, dest: Path) -> None:
        nonlocal total, files
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(filenames):
                if not name.endswith((".py", ".toml", ".cfg", ".txt", ".md", ".rst")) or name.startswith("."):
                    continue
                path = Path(dirpath) / name
                target = dest / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                if name.endswith(".py"):
                    total += loc_of(path)
                    files += 1

    add_tree(sources["flask"], ws / "flask")
    django_pkg = sources["django"] / "django"
    for top in [django_pkg / "__init__.py", django_pkg / "__main__.py", django_pkg / "shortcuts.py"]:
        (ws / "django" / "django").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(top, ws / "django" / "django" / top.name)
        total += loc_of(top)
        files += 1
    for sub in sorted(p for p in django_pkg.iterdir() if p.is_dir() and p.name not in SKIP_DIRS):
        if total >= loc_target:
            break
        add_tree(sub, ws / "django" / "django" / sub.name)
    shutil.copyfile(sources["django"] / "pyproject.toml", ws / "pyproject.toml")
    meta.write_text(json.dumps({"loc": total, "files": files}))
    return ws, total, files


def cold_run(ws: Path, fmt: str, cache_dir: str = "off") -> float:
    """One `backend-audit report` in a fresh process; the result cache is off (cold) unless a
    cache directory is given (warm, when it was filled by an earlier run)."""
    out = ws / f"audit-bench.{ 'md' if fmt == 'markdown' else fmt}"
    exe = Path(sys.executable).parent / "backend-audit"
    env = {**os.environ, "BACKEND_AUDIT_CACHE_DIR": cache_dir}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(exe), "report", str(ws), "--format", fmt, "--output", str(out)], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"report failed: {proc.stderr[-2000:]}")
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed


CPU: list[float] = []
"""CPU seconds (user + system, pool workers included) of each run: on a loaded machine the
wall clock measures the neighbours too."""


def breakdown(ws: Path) -> dict[str, float]:
    """One in-process run, split into its stages (the same calls `produce` makes)."""
    from backend_audit.engine.analyzer import Analyzer
    from backend_audit.engine.config import load_config
    from backend_audit.engine.scan import scan
    from backend_audit.report import _maturity
    from backend_audit.report.build import build_report
    from backend_audit.report.render import render
    from backend_audit.report.stack import load_versions

    t0 = time.perf_counter()
    config = load_config(ws)
    analyzer = Analyzer(ws, config)
    model = _maturity(analyzer.pack)
    t1 = time.perf_counter()
    result = scan(ws, analyzer=analyzer, keep_documents=True, cache=False)
    t2 = time.perf_counter()
    report = build_report(result, model, load_versions(analyzer.pack.data_dir))
    t3 = time.perf_counter()
    templates = analyzer.pack.root / "templates"
    md = render(report, "markdown", templates)
    t4 = time.perf_counter()
    render(report, "html", templates)
    t5 = time.perf_counter()
    return {"pack load": t1 - t0, "scan": t2 - t1, "report model (scoring, code map, graph)": t3 - t2,
            "render markdown": t4 - t3, "render html": t5 - t4, "findings": len(result.findings), "files": len(result.files),
            "markdown bytes": len(md)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loc", type=int, default=100_000)
    parser.add_argument("--html", action="store_true", help="also time the HTML format")
    args = parser.parse_args()
    ws, loc, files = build_workspace(args.loc)
    log(f"workspace: {ws.relative_to(REPO)} ({loc} LOC of Python in {files} files; Flask + Django)")
    formats = ["markdown"] + (["html"] if args.html else [])
    results = {}
    for fmt in formats:
        CPU.clear()
        times = [cold_run(ws, fmt) for _ in range(args.runs)]
        results[fmt] = times
        verdict = "meets" if statistics.median(times) < TARGET_S else "MISSES"
        print(f"report --format {fmt:<8} cold, fresh process: median {statistics.median(times):.2f} s wall "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}), median {statistics.median(CPU):.2f} s CPU; "
              f"target < {TARGET_S:.0f} s: {verdict}")
    cache_dir = WORK / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cold_run(ws, "markdown", str(cache_dir))  # fills the cache
    warm = [cold_run(ws, "markdown", str(cache_dir)) for _ in range(args.runs)]
    print(f"report --format markdown warm (result cache filled), fresh process: median {statistics.median(warm):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in warm)})")
    stages = breakdown(ws)
    print("in-process breakdown:")
    for key, value in stages.items():
        print(f"  {key:<42} {value:.2f} s" if isinstance(value, float) else f"  {key:<42} {value}")
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
