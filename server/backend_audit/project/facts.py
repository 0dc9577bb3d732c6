"""Project facts: what the workspace as a whole has, merged from every file's contribution.

Facts are named strings (``health-endpoint``, ``orm``, ``structured-logging``) with evidence.
Each file contributes evidence and dependencies independently; `ProjectFacts.merge` combines
them, so that a changed file only replaces its own contribution.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import attrs

from ..analysis.finding import Evidence
from .manifests import Dependency


@attrs.define
class FileContribution:
    path: str
    language: str | None
    loc: int
    evidence: list[Evidence] = attrs.field(factory=list)
    dependencies: list[Dependency] = attrs.field(factory=list)
    is_backend: bool = True


@attrs.define
class ProjectFacts:
    evidence: dict[str, list[Evidence]] = attrs.field(factory=lambda: defaultdict(list))
    dependencies: list[Dependency] = attrs.field(factory=list)
    files: list[str] = attrs.field(factory=list)
    loc_by_language: Counter[str] = attrs.field(factory=Counter)
    locked: list[Dependency] = attrs.field(factory=list)
    """Lock-file records (`Dependency.locked`): they resolve versions, they declare nothing."""

    @classmethod
    def merge(cls, contributions: Iterable[FileContribution], extra_files: Iterable[str] = ()) -> ProjectFacts:
        facts = cls()
        for c in sorted(contributions, key=lambda c: c.path):
            facts.files.append(c.path)
            if c.language:
                facts.loc_by_language[c.language] += c.loc
            for e in c.evidence:
                facts.evidence[e.fact].append(e)
            facts.dependencies.extend(d for d in c.dependencies if not d.locked)
            facts.locked.extend(d for d in c.dependencies if d.locked)
        if facts.locked:
            facts.dependencies = resolve_locked(facts.dependencies, facts.locked)
        facts.files.extend(f for f in extra_files if f not in facts.files)
        for dep in facts.dependencies:
            facts.evidence[f"dependency:{dep.name}"].append(
                Evidence(f"dependency:{dep.name}", dep.path, dep.line, f"{dep.name} {dep.spec}".strip())
            )
        return facts

    def has(self, fact: str) -> bool:
        return bool(self.evidence.get(fact))

    def has_dependency(self, name: str) -> bool:
        return self.has(f"dependency:{name.lower()}")

    def dependency(self, name: str) -> Dependency | None:
        for dep in self.dependencies:
            if dep.name == name.lower():
                return dep
        return None

    def first(self, fact: str) -> Evidence | None:
        found = self.evidence.get(fact)
        return found[0] if found else None


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def resolve_locked(declared: list[Dependency], locked: list[Dependency]) -> list[Dependency]:
    """Fill in the resolved version of declared dependencies from lock-file records of the same
    ecosystem and name: a lock file in the manifest's own folder wins, else the nearest one
    above it (monorepo roots), else none. A version already known (pinned) is kept."""
    by_key: dict[tuple[str, str], list[Dependency]] = defaultdict(list)
    for rec in locked:
        if rec.version:
            by_key[(rec.ecosystem, rec.name)].append(rec)
    out = []
    for dep in declared:
        candidates = by_key.get((dep.ecosystem, dep.name))
        if dep.version or not candidates:
            out.append(dep)
            continue
        folder = _folder(dep.path)
        best = None
        for rec in candidates:
            lock_folder = _folder(rec.path)
            if folder == lock_folder or folder.startswith(lock_folder + "/") or lock_folder == "":
                if best is None or len(lock_folder) > len(_folder(best.path)):
                    best = rec
                elif lock_folder == _folder(best.path) and rec.spec == dep.spec and best.spec != dep.spec:
                    best = rec  # Yarn lists one entry per requested range: take the declared one
        out.append(attrs.evolve(dep, version=best.version) if best is not None else dep)
    return out
