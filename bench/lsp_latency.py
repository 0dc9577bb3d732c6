"""Edit-to-diagnostics latency of `backend-audit lsp`, against `ruff server`, in the same run.

    .venv/bin/python bench/lsp_latency.py [--iterations 200] [--skip-rss]

What it measures, as a client sees it:
- The input is a real ~3,000-line Python file: of the registry packages `bench/common.py`
  downloads (Django, Flask, SQLAlchemy, FastAPI sdists), the non-test file whose line count is
  closest to 3,000.
- One minimal JSON-RPC client (this file) drives each server over stdio: open the file, then alternately insert
  a comment line in the middle of it, then rewrite that line with a new number at every edit
  (`didChange`, incremental; no text repeats, so no content cache can help), and time from
  sending the change to receiving the `publishDiagnostics` of that version. backend-audit runs
  with `debounceMs: 0`; ruff publishes on every change by design. Both push (the client does not
  advertise pull diagnostics).
- In process, the same edits through `Document.apply_edit` and `Analyzer.analyze_file` on the
  bundled pack: the analysis time alone (the DESIGN target: p95 under 10 ms for 3,000 lines),
  of the whole file with every rule, and as the server runs it on an open document (the
  region changed since its last analysis, the finding rules).
- The server's RSS (VmRSS, and the peak VmHWM) after its background scan of a ~100k-LOC
  workspace (`bench/common.py`'s `loc100k` set) has ended (work-done progress `end`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, WORK, build_corpus, fetch_inputs, log, median, p95, workspace

LINES_WANTED = 3000


def pick_file(corpus: list[tuple[str, Path, int]]) -> tuple[str, Path, int]:
    """The non-test Python file with the line count closest to 3,000 (ties: path order)."""
    best: tuple[int, str, Path, int] | None = None
    for rel, path, _ in corpus:
        parts = rel.split("/")
        if not rel.endswith(".py") or any("test" in p for p in parts):
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        key = (abs(lines - LINES_WANTED), rel, path, lines)
        if best is None or key[:2] < best[:2]:
            best = key
    assert best is not None, "no Python file in the corpus"
    return best[1], best[2], best[3]


def edit_line(text: str) -> int:
    """A blank line near the middle: a comment inserted there is valid at any indentation."""
    lines = text.split("\n")
    middle = len(lines) // 2
    for offset in range(len(lines)):
        for candidate in (middle + offset, middle - offset):
            if 0 <= candidate < len(lines) and not lines[candidate].strip():
                return candidate
    return middle


class Client:
    """A minimal JSON-RPC client over stdio: the same code, and the same cost, for both servers.

    It answers the server's requests (configuration: null, progress creation and registrations:
    null) and queues every publishDiagnostics with the time it was read."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.published: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self.progress_ended = asyncio.Event()
        self._ids = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    async def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.proc.stdin.drain()

    async def request(self, method: str, params: Any) -> Any:
        self._ids += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._ids] = future
        await self._send({"id": self._ids, "method": method, "params": params})
        return await future

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"method": method, "params": params})

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(await stdout.readexactly(length))
            at = time.perf_counter()
            method = message.get("method")
            if method is None:
                future = self._pending.pop(message.get("id"), None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))
            elif "id" in message:
                params = message.get("params") or {}
                result = [None for _ in params.get("items", [])] if method == "workspace/configuration" else None
                await self._send({"id": message["id"], "result": result})
            elif method == "textDocument/publishDiagnostics":
                self.published.put_nowait((at, message["params"]))
            elif method == "$/progress" and (message["params"].get("value") or {}).get("kind") == "end":
                self.progress_ended.set()

    async def start(self, cmd: list[str], root: Path, options: dict[str, Any] | None, progress: bool = False) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, limit=1 << 24
        )
        self._reader = asyncio.ensure_future(self._read())
        capabilities = {
            "window": {"workDoneProgress": progress},
            "textDocument": {"synchronization": {}, "publishDiagnostics": {"versionSupport": True}},
            "workspace": {"configuration": True},
        }
        await self.request(
            "initialize",
            {
                "processId": None,
                "capabilities": capabilities,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "initializationOptions": options,
            },
        )
        await self.notify("initialized", {})

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_published(self, uri: str, version: int | None) -> float:
        while True:
            at, params = await self.published.get()
            got = params.get("version")
            if params["uri"] == uri and (got is None or version is None or got == version):
                return at

    async def stop(self) -> None:
        assert self.proc is not None
        try:
            await asyncio.wait_for(self.request("shutdown", None), 30)
            await self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 30)
        except (TimeoutError, ConnectionError):
            self.proc.kill()
        if self._reader is not None:
            self._reader.cancel()


async def latency(name: str, cmd: list[str], root: Path, path: Path, options: dict[str, Any] | None, iterations: int, warmup: int) -> list[float]:
    client = Client()
    await client.start(cmd, root, options)
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    await client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    await client.wait_published(uri, 1)
    line = edit_line(text)
    samples: list[float] = []
    version = 1
    for i in range(warmup + iterations):
        version += 1
        end_line = line if i == 0 else line + 1  # the first edit inserts the line, later ones rewrite it
        change = {
            "range": {"start": {"line": line, "character": 0}, "end": {"line": end_line, "character": 0}},
            "text": f"# an edit from the latency bench, number {i}\n",
        }
        while not client.published.empty():
            client.published.get_nowait()
        started = time.perf_counter()
        await client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        )
        received = await client.wait_published(uri, version)
        if i >= warmup:
            samples.append(received - started)
    await client.stop()
    log(f"  {name}: {len(samples)} edits")
    return samples


def analysis_times(path: Path, iterations: int) -> tuple[list[float], list[float], list[float]]:
    """In process: apply_edit (tree.edit + incremental reparse), analyze_file of the whole
    document (every rule, no memo, as a scan analyses a file) and analyze_file as the server
    runs it after an edit (an open document's memo: the changed region, the finding rules),
    with the garbage-collector settings the server runs with."""
    import gc

    from backend_audit.analysis.document import Document
    from backend_audit.analysis.incremental import RegionMemo
    from backend_audit.engine.analyzer import Analyzer
    from backend_audit.engine.config import Config
    from backend_audit.engine.workspace import snapshot
    from backend_audit.lsp.server import tune_gc
    from backend_audit.rules.compiler import load_pack
    from backend_audit.syntax.positions import Position, Range

    tune_gc()
    pack = load_pack()
    gc.collect()
    gc.freeze()
    analyzer = Analyzer(path.parent, Config(), pack)
    text = path.read_text(encoding="utf-8")
    doc = Document("lib/module.py", text)
    doc.regions = RegionMemo()
    analyzer.analyze_file(snapshot(doc), "findings")
    line = edit_line(text)
    edits: list[float] = []
    analyses: list[float] = []
    regions: list[float] = []
    for i in range(iterations + 10):
        rng = Range(Position(line, 0), Position(line if i == 0 else line + 1, 0))
        new = f"# an edit from the latency bench, number {i}\n"
        t0 = time.perf_counter()
        doc.apply_edit(rng, new)
        t1 = time.perf_counter()
        analyzer.analyze_file(snapshot(doc), "findings")
        t2 = time.perf_counter()
        whole = snapshot(doc)
        whole.regions = None
        t3 = time.perf_counter()
        analyzer.analyze_file(whole)
        t4 = time.perf_counter()
        if i >= 10:
            edits.append(t1 - t0)
            regions.append(t2 - t1)
            analyses.append(t4 - t3)
    return edits, analyses, regions


async def server_rss(root: Path) -> tuple[int, int, float]:
    """(VmRSS, VmHWM) in kB after the initial scan of `root`, and the scan's wall time."""
    client = Client()
    started = time.perf_counter()
    await client.start([str(BIN / "backend-audit"), "lsp"], root, {"debounceMs": 0, "scope": "workspace"}, progress=True)
    await client.progress_ended.wait()
    elapsed = time.perf_counter() - started
    status = Path(f"/proc/{client.pid}/status").read_text()
    fields = {k: v for k, _, v in (line.partition(":") for line in status.splitlines())}
    rss = int(fields["VmRSS"].split()[0])
    hwm = int(fields["VmHWM"].split()[0])
    await client.stop()
    return rss, hwm, elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--skip-rss", action="store_true", help="do not scan the 100k-LOC workspace")
    args = parser.parse_args()

    corpus = build_corpus(fetch_inputs())
    rel, source, lines = pick_file(corpus)
    single = WORK / "lsp" / "single"
    if single.exists():
        shutil.rmtree(single)
    single.mkdir(parents=True)
    target = single / Path(rel).name
    shutil.copyfile(source, target)
    log(f"file: {rel} ({lines} lines)")

    results: dict[str, Any] = {"file": rel, "lines": lines, "iterations": args.iterations}
    ours = await latency(
        "backend-audit", [str(BIN / "backend-audit"), "lsp"], single, target, {"debounceMs": 0}, args.iterations, args.warmup
    )
    ruff = await latency("ruff", [str(BIN / "ruff"), "server"], single, target, None, args.iterations, args.warmup)
    edits, analyses, regions = analysis_times(target, args.iterations)
    results["edit_to_diagnostics"] = {
        "backend-audit": {"p50_ms": median(ours) * 1000, "p95_ms": p95(ours) * 1000},
        "ruff server": {"p50_ms": median(ruff) * 1000, "p95_ms": p95(ruff) * 1000},
    }
    results["in_process"] = {
        "apply_edit": {"p50_ms": median(edits) * 1000, "p95_ms": p95(edits) * 1000},
        "analyze_file": {"p50_ms": median(analyses) * 1000, "p95_ms": p95(analyses) * 1000},
        "analyze_file_open_document": {"p50_ms": median(regions) * 1000, "p95_ms": p95(regions) * 1000},
    }

    print(f"Edit to diagnostics, {rel} ({lines} lines), {args.iterations} edits each, as the client sees it")
    print(f"  {'server':<16} {'p50':>10} {'p95':>10}")
    print(f"  {'backend-audit':<16} {ms(median(ours)):>10} {ms(p95(ours)):>10}   (debounceMs 0)")
    print(f"  {'ruff server':<16} {ms(median(ruff)):>10} {ms(p95(ruff)):>10}")
    verdict = "at or below" if p95(ours) <= p95(ruff) else "ABOVE"
    print(f"  backend-audit p95 is {verdict} ruff's")
    print("In the server's process (bundled pack), per edit:")
    print(f"  apply_edit (tree.edit + reparse)  p50 {ms(median(edits))}  p95 {ms(p95(edits))}")
    print(f"  analyze_file, open document       p50 {ms(median(regions))}  p95 {ms(p95(regions))}   "
          "(the server's pass after an edit: region, finding rules; target: p95 < 10 ms)")
    print(f"  analyze_file, whole file          p50 {ms(median(analyses))}  p95 {ms(p95(analyses))}   "
          "(every rule, no memo: what a scan spends once per file)")

    if not args.skip_rss:
        root, loc, files = workspace(corpus, 100_000, "loc100k")
        rss, hwm, elapsed = await server_rss(root)
        results["rss"] = {"workspace_loc": loc, "files": files, "rss_mb": rss / 1024, "peak_mb": hwm / 1024, "scan_s": elapsed}
        print(f"Server memory after scanning {loc:,} LOC in {files:,} files ({elapsed:.1f} s from start to progress end):")
        print(f"  RSS {rss / 1024:.0f} MB (peak {hwm / 1024:.0f} MB; target < 300 MB)")
    out = WORK / "lsp_latency.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results: {out.relative_to(WORK.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
