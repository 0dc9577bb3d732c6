"""Diff-aware runs: which lines of the workspace changed since a git ref.

`check --new-since REF` keeps only findings on changed lines, and the language server's
``focus: changed-lines`` demotes the others. Both ask the same object, `GitBase`, which holds
the tree of REF and compares a file's text, as it is now on disk or in an editor buffer, with
the file at REF.

Why not ``git diff REF``: diffing the working tree makes git refresh its index, which runs the
repository's ``core.fsmonitor`` command and its ``filter.*.clean`` drivers, and ``diff`` runs
``diff.external`` and textconv drivers: commands a repository's local configuration can name.
backend-audit never runs workspace code, so it only asks git for data: ``rev-parse`` (the
commit), ``ls-tree`` (the files at REF) and ``cat-file`` (their contents, without filters).
It diffs the texts itself with difflib, line by line. That is also what the server needs, since
an editor buffer is not on disk. Every git call is a list argv (no shell), runs in the
workspace, and the ref is verified as a commit before it is used.

A file that is not in REF's tree (untracked, or added since) is new in every line.
"""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from ..analysis.finding import Finding

ALL_LINES = None
"""`GitBase.changed_lines` returns this (None) for a file that is new as a whole."""
_GIT_TIMEOUT = 60


class GitDiffError(RuntimeError):
    """No git, not a repository, or a ref that is not a commit: the message says which."""


def _git(root: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", *args],
            cwd=root,
            input=input_bytes,
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise GitDiffError("--new-since needs git, and git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitDiffError(f"git {args[0]} did not answer within {_GIT_TIMEOUT} s") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed ({proc.returncode})")
    return proc.stdout


class _GitFailed(GitDiffError):
    pass


def changed_lines_between(old: str | None, new: str) -> frozenset[int] | None:
    """0-based lines of ``new`` that are added or changed relative to ``old``.

    None (`ALL_LINES`) when there is no old text: the file is new."""
    if old is None:
        return ALL_LINES
    if old == new:
        return frozenset()
    a = old.splitlines()
    b = new.splitlines()
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(j1, j2))
    return frozenset(changed)


@attrs.define
class GitBase:
    """The files of a workspace as they were at a git ref."""

    root: Path
    ref: str
    commit: str
    blobs: dict[str, str]
    """Workspace-relative POSIX path -> blob id at the ref."""
    _cache: dict[str, str | None] = attrs.field(factory=dict)

    @classmethod
    def open(cls, root: Path, ref: str) -> GitBase:
        """Resolve ``ref`` in the repository that holds ``root``. Raises GitDiffError."""
        if not ref or ref.startswith("-") or "\0" in ref:
            raise GitDiffError(f"{ref!r} is not a git ref")
        root = root.resolve()
        try:
            inside = _git(root, "rev-parse", "--is-inside-work-tree").strip()
        except _GitFailed as exc:
            raise GitDiffError(f"{root} is not inside a git work tree ({exc})") from None
        if inside != b"true":
            raise GitDiffError(f"{root} is not inside a git work tree")
        try:
            commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        except _GitFailed:
            raise GitDiffError(f"unknown git ref {ref!r} (not a branch, tag or commit of this repository)") from None
        commit_id = commit.decode().strip()
        prefix = _git(root, "rev-parse", "--show-prefix").decode("utf-8", "surrogateescape").strip()
        listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit_id)
        blobs: dict[str, str] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob":
                continue  # submodules (commit) and anything unexpected
            path = name.decode("utf-8", "surrogateescape")
            if prefix and not path.startswith(prefix):
                continue
            blobs[path[len(prefix) :]] = parts[2].decode()
        return cls(root=root, ref=ref, commit=commit_id, blobs=blobs)

    def text_at_ref(self, path: str) -> str | None:
        """The file's text at the ref, or None when it did not exist there."""
        if path in self._cache:
            return self._cache[path]
        blob = self.blobs.get(path)
        text = None
        if blob is not None:
            data = _git(self.root, "cat-file", "blob", blob)
            text = data.decode("utf-8", "replace")
        self._cache[path] = text
        return text

    def changed_lines(self, path: str, text: str) -> frozenset[int] | None:
        """0-based lines of ``text`` (the file now) that changed since the ref; None: all of them."""
        return changed_lines_between(self.text_at_ref(path), text)

    def current_text(self, path: str) -> str | None:
        try:
            return (self.root / path).read_bytes().decode("utf-8", "replace")
        except OSError:
            return None


def on_changed_lines(finding: Finding, changed: frozenset[int] | None) -> bool:
    """Does the finding touch a changed line? A project finding counts only in a new file."""
    if changed is ALL_LINES:
        return True
    if finding.scope == "project":
        return False
    return any(line in changed for line in range(finding.range.start.line, finding.range.end.line + 1))


def filter_new_since(
    base: GitBase, findings: Iterable[Finding], text_of: Callable[[str], str | None] | None = None
) -> list[Finding]:
    """The findings on lines changed since the base ref (the CLI's ``--new-since``).

    ``text_of(path)`` gives a file's current text (default: read it from disk). Findings that
    name no file are about the project as a whole, not about changed lines: they are left out."""
    text_of = text_of or base.current_text
    changed: dict[str, frozenset[int] | None] = {}
    out = []
    for f in findings:
        if f.path is None:
            continue
        if f.path not in changed:
            text = text_of(f.path)
            changed[f.path] = frozenset() if text is None else base.changed_lines(f.path, text)
        if on_changed_lines(f, changed[f.path]):
            out.append(f)
    return out
