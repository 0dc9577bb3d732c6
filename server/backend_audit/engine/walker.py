"""The workspace walker: which files a scan looks at, and why others are left out.

It honours `.gitignore` files (at every level, via pathspec) and config excludes, skips
well-known dependency and build folders, never follows a directory symlink twice (so loops
end) nor a symlink that leads outside the workspace, skips binary and oversized files with
the reason, and treats a file that vanishes or cannot be read between listing and reading as
skipped rather than as an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import pathspec

from ..project.manifests import is_manifest
from ..syntax.languages import language_for_path

ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "__pycache__", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", ".tox", ".nox", ".idea", ".vscode", ".backend-audit-cache",
        "site-packages", "bower_components", ".next", ".nuxt", ".gradle", ".terraform", "coverage",
    }
)
BINARY_SNIFF = 8192
MANIFEST_SIZE_LIMIT = 32_000_000
"""Lock files of real projects often pass 1 MB; they are read by the manifest readers only."""


@attrs.frozen
class Skipped:
    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@attrs.frozen
class WorkspaceFile:
    path: str
    """POSIX, relative to the root."""
    location: str
    """Where to open it (the walk's own path string: building a Path per file cost more than
    listing the directory)."""
    size: int

    @property
    def abspath(self) -> Path:
        return Path(self.location)


class Walker:
    def __init__(self, root: Path, exclude: list[str] | None = None, max_file_size: int = 1_000_000) -> None:
        self.root = root
        self.exclude = pathspec.GitIgnoreSpec.from_lines(exclude or [])
        self._excluding = bool(exclude)
        self.max_file_size = max_file_size
        self.skipped: list[Skipped] = []
        self.other_files: list[str] = []
        """Files no rule reads (docs, images…), kept for project checks on file presence."""

    def wanted(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        return language_for_path(rel) is not None or is_manifest(rel) or name in ("Dockerfile",)

    def files(self) -> Iterator[WorkspaceFile]:
        """Yield candidate files in a stable order; record the ones left out."""
        root = self.root
        seen_dirs: set[tuple[int, int]] = set()
        # Relative paths are built as strings from the directory's own (pathlib's relative_to
        # per entry cost more than the rest of the walk).
        stack: list[tuple[str, str, list[tuple[str, pathspec.PathSpec]]]] = [(str(root), "", [])]
        while stack:
            directory, prefix, ignores = stack.pop()
            try:
                st = os.stat(directory)
            except OSError as exc:
                self.skipped.append(Skipped(prefix or ".", f"cannot read directory: {exc.strerror}"))
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                self.skipped.append(Skipped(prefix, "symlink loop or duplicate directory"))
                continue
            seen_dirs.add(key)
            local = list(ignores)
            gitignore = os.path.join(directory, ".gitignore")
            if os.path.isfile(gitignore):
                try:
                    with open(gitignore, encoding="utf-8", errors="replace") as fh:
                        lines = fh.read().splitlines()
                    local.append((prefix, pathspec.GitIgnoreSpec.from_lines(lines)))
                except OSError:
                    pass
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                self.skipped.append(Skipped(prefix or ".", f"cannot list directory: {exc.strerror}"))
                continue
            subdirs = []
            for entry in entries:
                rel = f"{prefix}/{entry.name}" if prefix else entry.name
                try:
                    is_dir = entry.is_dir()  # follows symlinks; loops end through seen_dirs
                    is_file = not is_dir and entry.is_file()
                except OSError:
                    continue
                if is_dir:
                    if entry.name in ALWAYS_SKIPPED_DIRS or self._ignored(rel + "/", local):
                        continue
                    if entry.is_symlink() and (reason := self._escapes(Path(entry.path))):
                        self.skipped.append(Skipped(rel, reason))
                        continue
                    subdirs.append((entry.path, rel, local))
                    continue
                if not is_file or self._ignored(rel, local):
                    continue
                if not self.wanted(rel):
                    self.other_files.append(rel)
                    continue
                if entry.is_symlink() and (reason := self._escapes(Path(entry.path))):
                    self.skipped.append(Skipped(rel, reason))
                    continue
                try:
                    size = entry.stat().st_size
                except OSError:
                    self.skipped.append(Skipped(rel, "vanished before it could be read"))
                    continue
                limit = max(self.max_file_size, MANIFEST_SIZE_LIMIT) if is_manifest(rel) else self.max_file_size
                if size > limit:
                    self.skipped.append(Skipped(rel, f"larger than max-file-size ({size} > {limit} bytes)"))
                    continue
                yield WorkspaceFile(rel, entry.path, size)
            stack.extend(reversed(subdirs))

    def _escapes(self, link: Path) -> str | None:
        """Why a symlink is not followed: it leads outside the workspace (a link to / would
        walk the whole disk, a link to a secret would put it in the output), or it loops."""
        try:
            target = link.resolve(strict=True)
        except (OSError, RuntimeError):
            return "symlink loop or broken symlink"
        root = self.root.resolve()
        if target != root and root not in target.parents:
            return "symlink to a path outside the workspace"
        return None

    def _ignored(self, rel: str, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
        if self._excluding and self.exclude.match_file(rel):
            return True
        for base, spec in ignores:
            sub = rel[len(base) + 1 :] if base else rel
            if spec.match_file(sub):
                return True
        return False


def read_file(wf: WorkspaceFile) -> tuple[bytes | None, str | None]:
    """The file's bytes, or None with the reason it is skipped."""
    try:
        with open(wf.location, "rb") as fh:
            data = fh.read(wf.size + 1 if wf.size else 1 << 20)
    except FileNotFoundError:
        return None, "vanished before it could be read"
    except IsADirectoryError:
        return None, "is a directory"
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "binary file"
    return data, None
