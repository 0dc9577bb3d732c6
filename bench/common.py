"""Helpers for `bench/run.py`: the inputs, the tools, the clock.

Inputs come only from package registries: the sdists of Django, Flask, SQLAlchemy and FastAPI
(`pip download`) and the npm tarballs of express, fastify and @nestjs/core (`npm pack`), at pinned
versions. They are unpacked under `bench/.work/` (git-ignored) and filtered into a corpus that
every tool scans identically: only Python / JavaScript / TypeScript sources, no hidden or
dependency folders, no minified or huge files, nothing that is not UTF-8. Workspaces of a given
size are then cut from that corpus in a fixed pseudo-random file order (so each size has the same
mix of languages and projects) as hard links.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work"
ANCHORS = REPO / "bench" / "anchors"
BIN = Path(sys.executable).parent

# Pinned so that every run measures the same code.
PYPI_SDISTS: tuple[tuple[str, str], ...] = (
    ("django", "5.2.19"),
    ("flask", "3.1.3"),
    ("sqlalchemy", "2.1.9"),
    ("fastapi", "0.165.0"),
)
NPM_TARBALLS: tuple[tuple[str, str], ...] = (
    ("express", "5.3.0"),
    ("fastify", "5.12.8"),
    ("@nestjs/core", "12.5.1"),
)

CODE_EXTENSIONS = frozenset({".py", ".js", ".mjs", ".cjs", ".ts"})
# Folders one of the tools skips by default whatever its flags, or that hold no backend code
# (rendered documentation with bundled JavaScript).
SKIPPED_DIRS = frozenset(
    {
        "node_modules", "__pycache__", "venv", "env", "site-packages", "bower_components", "coverage",
        "doc", "docs", "_static", "build", "dist",
    }
)
MAX_FILE_BYTES = 256 * 1024
MAX_LINE_CHARS = 1000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


# -- tools ---------------------------------------------------------------------------------------
def tool(name: str) -> Path:
    return BIN / name


def ensure_tools() -> None:
    """Install the `bench` extra (semgrep, ast-grep-cli) into this interpreter's venv if missing."""
    if tool("semgrep").exists() and tool("ast-grep").exists():
        return
    log("installing the bench tools (pip install -e '.[bench]') ...")
    run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{REPO}[bench]"])


def tool_versions() -> dict[str, str]:
    out = {}
    for name, cmd in (("semgrep", [str(tool("semgrep")), "--version", "--disable-version-check"]), ("ast-grep", [str(tool("ast-grep")), "--version"])):
        proc = run(cmd, check=False, env=semgrep_env())
        text = (proc.stdout.strip() or proc.stderr.strip()).splitlines()[-1] if (proc.stdout or proc.stderr) else "?"
        out[name] = text.removeprefix(f"{name} ")
    from backend_audit import __version__ as ours  # type: ignore[attr-defined]

    out["backend-audit"] = ours
    return out


def semgrep_env() -> dict[str, str]:
    env = dict(os.environ)
    env["SEMGREP_ENABLE_VERSION_CHECK"] = "0"
    env["SEMGREP_SEND_METRICS"] = "off"
    return env


# -- machine -------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "?"
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


# -- inputs --------------------------------------------------------------------------------------
def fetch_inputs(work: Path = WORK) -> list[Path]:
    """Download (once) and unpack the registry packages; return the unpacked source folders."""
    downloads = work / "downloads"
    sources = work / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    sources.mkdir(parents=True, exist_ok=True)
    folders = []
    for name, version in PYPI_SDISTS:
        target = sources / f"{name}-{version}"
        if not (target / ".complete").exists():
            archive = _pip_sdist(name, version, downloads)
            _unpack(archive, target)
        folders.append(target)
    for name, version in NPM_TARBALLS:
        flat = name.lstrip("@").replace("/", "-")
        target = sources / f"{flat}-{version}"
        if not (target / ".complete").exists():
            archive = downloads / f"{flat}-{version}.tgz"
            if not archive.exists():
                log(f"npm pack {name}@{version}")
                run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=downloads)
            _unpack(archive, target)
        folders.append(target)
    return folders


def _pip_sdist(name: str, version: str, downloads: Path) -> Path:
    for candidate in downloads.glob(f"{name}-{version}*"):
        if candidate.suffix in (".gz", ".whl", ".zip"):
            return candidate
    log(f"pip download {name}=={version} (sdist)")
    # --no-binary only for the package itself: its build requirements may come as wheels, so pip
    # does not compile a C toolchain's worth of build backends just to read the metadata.
    proc = run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", name, f"{name}=={version}", "-d", str(downloads)],
        check=False,
    )
    if proc.returncode != 0:
        log(f"  sdist failed ({proc.stderr.strip().splitlines()[-1:] or '?'}); taking the wheel")
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", f"{name}=={version}", "-d", str(downloads)])
    for candidate in downloads.glob(f"{name}-{version}*"):
        if candidate.suffix in (".gz", ".whl", ".zip"):
            return candidate
    raise RuntimeError(f"pip download left no archive for {name}=={version}")


def _unpack(archive: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    (target / ".complete").touch()


def _wanted(rel: Path, path: Path) -> bool:
    if path.suffix not in CODE_EXTENSIONS or path.name.endswith(".min.js"):
        return False
    if any(part.startswith(".") or part in SKIPPED_DIRS for part in rel.parts[:-1]) or rel.name.startswith("."):
        return False
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return False
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "\0" in text or "\r" in text:
        return False
    return all(len(line) <= MAX_LINE_CHARS for line in text.splitlines())


def count_loc(data: bytes) -> int:
    """Non-blank lines, as backend-audit counts them."""
    return sum(1 for line in data.splitlines() if line.strip())


def build_corpus(folders: Iterable[Path], work: Path = WORK) -> list[tuple[str, Path, int]]:
    """Every wanted source file as (relative path, file, LOC), in a fixed pseudo-random order."""
    index_file = work / "corpus.json"
    if index_file.exists():
        data = json.loads(index_file.read_text())
        return [(rel, Path(p), loc) for rel, p, loc in data]
    files = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = path.relative_to(folder.parent)
                if _wanted(path.relative_to(folder), path):
                    files.append((rel.as_posix(), path, count_loc(path.read_bytes())))
    files.sort(key=lambda f: hashlib.sha1(f[0].encode()).hexdigest())
    index_file.write_text(json.dumps([(rel, str(p), loc) for rel, p, loc in files]))
    return files


def workspace(files: list[tuple[str, Path, int]], loc: int | None, name: str, work: Path = WORK, repeat: bool = False) -> tuple[Path, int, int]:
    """A workspace of about `loc` lines (all files if None): hard links into `work/sets/name`.

    With `repeat`, the corpus is laid out again under copy-N/ folders until `loc` is reached
    (for sizes larger than the corpus). Returns (root, LOC, files)."""
    root = work / "sets" / name
    stamp = root / ".semgrepignore"  # empty: semgrep's default ignore list switched off
    meta = work / "sets" / f"{name}.json"
    if stamp.exists() and meta.exists():
        m = json.loads(meta.read_text())
        return root, m["loc"], m["files"]
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    total = count = 0
    copy = 0
    while True:
        for rel, path, n in files:
            if loc is not None and total >= loc:
                break
            target = root / (f"copy-{copy}/" if copy else "") / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
            total += n
            count += 1
        copy += 1
        if loc is None or total >= loc or not repeat:
            break
    stamp.write_text("")
    meta.write_text(json.dumps({"loc": total, "files": count}))
    return root, total, count


# -- clock ---------------------------------------------------------------------------------------
def timed(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def fmt_s(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
