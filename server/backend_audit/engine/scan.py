"""`scan(root)`: the whole-workspace analysis every face uses.

Files are read and hashed; a file whose bytes, rule pack and config are unchanged since the last
scan takes its result from the cache (`engine/cache.py`); the others are analysed, one by one or,
for a large cold scan, in a process pool on every core. Then facts are merged, project checks
run, and each file's findings are finalised with its suppressions, so cached and fresh results
go through the same last steps.

The pool: tree-sitter objects cannot be pickled, so workers never receive the pack. On Linux, in
a process with a single thread (the CLI), workers are forked after the parent has built the
rule prefilters, and inherit the loaded pack; elsewhere (the language server has threads, and
forking a threaded process can deadlock on a lock another thread held) they are spawned and load
the same pack themselves. Workers get (path, bytes) batches and return JSON-ready results, which
is also the form the cache stores.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from ..analysis.document import Document
from ..analysis.finding import Finding
from ..project.facts import ProjectFacts
from ..rules.compiler import CompiledPack, default_pack_dir
from ..syntax.languages import language_for_path
from .analyzer import Analyzer, FileResult
from .cache import ResultCache, content_hash, result_from_json, result_to_json
from .config import Config, load_config
from .walker import Skipped, Walker, read_file

Progress = Callable[[int, int | None, str], None]

JOBS_ENV = "BACKEND_AUDIT_JOBS"
POOL_MIN_BYTES = 1_500_000
"""Below this much source to analyse (about 45k lines) a pool costs more than it saves."""
BATCH_BYTES = 100_000
"""Work is sent to the pool in batches of about this many bytes: few round trips, yet small
enough to even out the workers, as the prefilter makes the cost per byte vary widely (a file
no selected rule can match is not even parsed)."""
NESTED_TOO_DEEPLY = "nested too deeply to analyse"


@attrs.define
class ScanResult:
    root: Path
    findings: list[Finding]
    files: list[str]
    skipped: list[Skipped]
    facts: ProjectFacts
    analyzer: Analyzer
    results: dict[str, FileResult] = attrs.field(factory=dict)
    rule_errors: list[str] = attrs.field(factory=list)
    cached: int = 0
    """Files whose result came from the cache."""
    jobs: int = 1
    """Processes that analysed the rest (1: this one)."""

    @property
    def pack(self) -> CompiledPack:
        return self.analyzer.pack

    def summary(self) -> dict:
        by_section = Counter(f.section for f in self.findings)
        by_severity = Counter(f.severity.value for f in self.findings)
        return {
            "files": len(self.files),
            "by_section": dict(sorted(by_section.items())),
            "by_severity": {s: by_severity[s] for s in ("Critical", "High", "Medium", "Low", "Info") if by_severity[s]},
            "skipped": [s.to_json() for s in self.skipped],
        }


def scan(
    root: Path,
    config: Config | None = None,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    keep_documents: bool = False,
    cache: ResultCache | bool | None = True,
    jobs: int | None = None,
) -> ScanResult:
    """Scan a workspace. Raises ConfigError for a bad config; never for bad files.

    `cache`: True uses the default cache of the workspace (see `engine/cache.py`; the
    ``BACKEND_AUDIT_CACHE_DIR`` variable moves it or switches it off), False/None none, or a
    given `ResultCache`. `jobs`: processes for the files that need analysis; None chooses (every
    core for a large cold scan, else 1; ``BACKEND_AUDIT_JOBS`` overrides)."""
    root = root.resolve()
    if analyzer is None:
        analyzer = Analyzer(root, config if config is not None else load_config(root))
    cfg = analyzer.config
    walker = Walker(root, cfg.exclude, cfg.max_file_size)
    candidates = list(walker.files())
    store = ResultCache.for_workspace(root, analyzer) if cache is True else (cache or None)

    results: dict[str, FileResult] = {}
    texts: dict[str, bytes] = {}
    todo: list[tuple[str, bytes, str]] = []
    total = len(candidates)
    done = 0
    for wf in candidates:
        data, reason = read_file(wf)
        if data is None:
            walker.skipped.append(Skipped(wf.path, reason or "unreadable"))
            continue
        digest = content_hash(data)
        hit = store.get(wf.path, digest) if store is not None else None
        if hit is not None:
            results[wf.path] = hit
            texts[wf.path] = data
            done += 1
            if progress is not None:
                progress(done, total, wf.path)
        else:
            todo.append((wf.path, data, digest))
    cached = len(results)

    workers = _jobs(jobs, sum(len(data) for _, data, _ in todo))
    analysed = _analyse_pool(analyzer, todo, workers) if workers > 1 else None
    if analysed is None:
        workers = 1
        analysed = _analyse_serial(analyzer, todo)
    for path, payload, skip_reason in analysed:
        done += 1
        if progress is not None:
            progress(done, total, path)
        if payload is None:
            walker.skipped.append(Skipped(path, skip_reason or "unreadable"))
            continue
        result, data, digest = payload
        results[path] = result
        texts[path] = data
        if store is not None:
            store.put(path, digest, result)
    if progress is not None:
        progress(total, total, "")

    ordered = {wf.path: results[wf.path] for wf in candidates if wf.path in results}
    if store is not None:
        store.save(keep=ordered)
    errors = [f"{path}: {e}" for path, result in ordered.items() for e in result.analysis.errors]

    facts, project = analyzer.project(ordered.values(), walker.other_files)
    findings: list[Finding] = []
    for path, result in ordered.items():
        if result.document is None and (keep_documents or result.analysis.suppressions):
            # Suppressions are applied against the text (positions of the comments).
            result.document = Document.from_bytes(path, texts[path])
        findings.extend(analyzer.finalize(result, project))
        if not keep_documents:
            result.document = None
    anchored = set(ordered)
    findings.extend(f for f in analyzer._adjust(project) if f.path not in anchored)
    findings.sort(key=lambda f: f.sort_key)
    return ScanResult(
        root=root,
        findings=findings,
        files=sorted(ordered),
        skipped=sorted(walker.skipped, key=lambda s: s.path),
        facts=facts,
        analyzer=analyzer,
        results=ordered,
        rule_errors=errors,
        cached=cached,
        jobs=workers,
    )


# -- analysis, here or in a pool ---------------------------------------------------------------
Analysed = tuple[str, tuple[FileResult, bytes, str] | None, str | None]
"""(path, (result, bytes, content hash) or None, the reason it was skipped)."""


def _jobs(jobs: int | None, todo_bytes: int) -> int:
    if jobs is None:
        env = os.environ.get(JOBS_ENV, "").strip()
        if env.isdigit() and int(env) > 0:
            jobs = int(env)
        else:
            return (os.cpu_count() or 1) if todo_bytes >= POOL_MIN_BYTES else 1
    return max(1, jobs)


def analyse_one(analyzer: Analyzer, path: str, data: bytes) -> FileResult | None:
    """One file's result (its document keeps no tree); None if it is nested too deeply."""
    doc = Document.from_bytes(path, data)
    try:
        result = analyzer.analyze_file(doc)
    except RecursionError:
        return None
    doc.drop_tree()
    return result


def _analyse_serial(analyzer: Analyzer, todo: list[tuple[str, bytes, str]]) -> Iterator[Analysed]:
    for path, data, digest in todo:
        result = analyse_one(analyzer, path, data)
        if result is None:
            yield path, None, NESTED_TOO_DEEPLY
        else:
            yield path, (result, data, digest), None


def _analyse_pool(analyzer: Analyzer, todo: list[tuple[str, bytes, str]], workers: int) -> list[Analysed] | None:
    """Analyse in `workers` processes; None when a pool cannot be used (the caller goes serial)."""
    from concurrent.futures import ProcessPoolExecutor  # imported here: most runs need no pool

    context, initargs = _pool_setup(analyzer, todo)
    if context is None:
        return None
    batches: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for path, data, _ in todo:
        if size >= BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((path, data))
        size += len(data)
    by_path = {path: (data, digest) for path, data, digest in todo}
    out: list[Analysed] = []
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=context, initializer=_init_worker, initargs=initargs) as pool:
            for batch_result in pool.map(_analyse_batch, batches):
                for path, payload in batch_result:
                    if payload is None:
                        out.append((path, None, NESTED_TOO_DEEPLY))
                    else:
                        data, digest = by_path[path]
                        out.append((path, (result_from_json(payload), data, digest), None))
    except Exception:  # a pool that cannot start or a worker that died: do it here instead
        return None
    finally:
        global _WORKER
        _WORKER = None
    return out


def _pool_setup(analyzer: Analyzer, todo: list[tuple[str, bytes, str]]) -> tuple[Any, tuple]:
    """The multiprocessing context and the initializer's arguments (None: no pool)."""
    import multiprocessing

    global _WORKER
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        # Build what every worker needs before forking, so each inherits it instead of
        # compiling its own: each language's prefilter (which compiles the selected rules'
        # queries) and the combined query of its rules without a prefilter.
        languages = {spec.name for path, _, _ in todo if (spec := language_for_path(path)) is not None}
        pack = analyzer.pack
        for language in languages:
            members = pack.query_rules(language)
            if members:
                selection = frozenset(r.id for r in members if analyzer.selected(r))
                unfiltered = pack.prefilter(language, selection).always & selection  # compiles the rules' queries
                if unfiltered:
                    pack.batch(language, unfiltered)
        _WORKER = analyzer
        return multiprocessing.get_context("fork"), (None,)
    # Spawned workers load the pack themselves: only the standard pack plus the config's rule
    # directories can be rebuilt that way.
    if analyzer.pack.root is None or analyzer.pack.root.resolve() != default_pack_dir().resolve():
        return None, ()
    spec = (str(analyzer.root), analyzer.config, [r.id for r in analyzer.pack.rules])
    return multiprocessing.get_context("spawn"), (spec,)


_WORKER: Analyzer | None = None


def _init_worker(spec: tuple[str, Config, list[str]] | None) -> None:
    global _WORKER
    if spec is None:  # forked: the parent's analyzer was inherited
        return
    root, config, rule_ids = spec
    analyzer = Analyzer(Path(root), config)
    if [r.id for r in analyzer.pack.rules] != rule_ids:
        raise RuntimeError("the worker's rule pack differs from the parent's")
    _WORKER = analyzer


def _analyse_batch(batch: list[tuple[str, bytes]]) -> list[tuple[str, dict[str, Any] | None]]:
    analyzer = _WORKER
    if analyzer is None:
        raise RuntimeError("worker without an analyzer")
    out: list[tuple[str, dict[str, Any] | None]] = []
    for path, data in batch:
        result = analyse_one(analyzer, path, data)
        out.append((path, None if result is None else result_to_json(result)))
    return out
