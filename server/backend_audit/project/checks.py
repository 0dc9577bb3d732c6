"""Project-level checks: findings about the workspace as a whole, and dependency rules.

A project check says: *when* these conditions hold (a web framework is used, Python files
exist), and *unless* one of these is present (a health-endpoint fact, a tests/ folder), report
the rule, shown on its anchor (a fact's first evidence, or the first file matching a glob).
"""

from __future__ import annotations

import posixpath
import re

import attrs
import pathspec

from ..analysis.finding import Evidence, Finding, fingerprint
from ..rules.compiler import CompiledPack, CompiledRule
from ..rules.model import Conditions
from ..syntax.languages import expand_languages
from ..syntax.positions import Position, Range
from .facts import ProjectFacts
from .manifests import Dependency
from .versions import assess, current_version, load_version_facts, show


def _files_match(patterns: list[str], files: list[str]) -> str | None:
    if not patterns:
        return None
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    for f in files:
        if spec.match_file(f):
            return f
    return None


def _any(cond: Conditions, facts: ProjectFacts) -> bool:
    """Any single listed item is present."""
    if any(facts.has(f) for f in cond.facts):
        return True
    if any(facts.has_dependency(d) for d in cond.dependencies):
        return True
    if _files_match(cond.files, facts.files):
        return True
    if cond.languages:
        wanted = set(expand_languages(cond.languages))
        if any(facts.loc_by_language.get(lang, 0) > 0 for lang in wanted):
            return True
    return False


def _all_kinds(cond: Conditions, facts: ProjectFacts) -> bool:
    """Every kind of condition listed holds (each by any one of its items)."""
    checks = []
    if cond.facts:
        checks.append(any(facts.has(f) for f in cond.facts))
    if cond.dependencies:
        checks.append(any(facts.has_dependency(d) for d in cond.dependencies))
    if cond.files:
        checks.append(_files_match(cond.files, facts.files) is not None)
    if cond.languages:
        wanted = set(expand_languages(cond.languages))
        checks.append(any(facts.loc_by_language.get(lang, 0) > 0 for lang in wanted))
    return all(checks)


def _anchor(rule: CompiledRule, facts: ProjectFacts) -> tuple[str | None, int]:
    check = rule.rule.match.project
    assert check is not None
    negations = [a for a in check.anchor if a.startswith("!")]  # "!**/tests/**" excludes from every glob
    for anchor in check.anchor:
        if anchor.startswith("fact:"):
            ev = facts.first(anchor[5:])
            if ev is not None and ev.path:
                return ev.path, ev.line or 0
        elif not anchor.startswith("!"):
            hit = _files_match([anchor, *negations], facts.files)
            if hit:
                return hit, 0
    if facts.dependencies:
        return facts.dependencies[0].path, 0
    return (facts.files[0], 0) if facts.files else (None, 0)


def project_findings(pack: CompiledPack, facts: ProjectFacts, rule_filter=None) -> tuple[list[Finding], list[Evidence]]:
    findings: list[Finding] = []
    evidence: list[Evidence] = []
    findings.extend(outdated_findings(pack, facts, rule_filter))
    for rule in pack.rules:
        check = rule.rule.match.project
        if check is None or (rule_filter is not None and not rule_filter(rule)):
            continue
        if check.when is not None and not _all_kinds(check.when, facts):
            continue
        if check.unless is not None and _any(check.unless, facts):
            continue
        path, line = _anchor(rule, facts)
        if rule.is_probe:
            evidence.append(Evidence(rule.rule.fact or rule.rule.name, path, line, rule.rule.message, rule.id))
            continue
        rng = Range(Position(line, 0), Position(line + 1, 0)) if path else Range(Position(0, 0), Position(0, 0))
        findings.append(
            _finding(rule, path, rng, rule.rule.message, fingerprint(rule.id, None, rule.rule.name, 0), "project")
        )
    return findings, evidence


def _finding(rule: CompiledRule, path: str | None, rng: Range, message: str, fp: str, scope: str = "file") -> Finding:
    r = rule.rule
    return Finding(
        rule=rule.id, name=r.name, section=r.section, severity=rule.severity, path=path, range=rng,
        message=message, scope=scope, fingerprint=fp,
    )


def dependency_matches(
    pack: CompiledPack, path: str, dependencies: list[Dependency], line_length, rule_filter=None
) -> tuple[list[Finding], list[Evidence]]:
    """Dependency rules for one manifest: findings or evidence on the declaring line."""
    findings: list[Finding] = []
    evidence: list[Evidence] = []
    for rule in pack.rules:
        if not rule.is_dependency or (rule_filter is not None and not rule_filter(rule)):
            continue
        if not rule.applies_to_path(path):
            continue
        wanted = {n.lower() for n in rule.rule.match.dependency}
        for dep in dependencies:
            if dep.name not in wanted or dep.locked:
                continue
            detail = rule.rule.message.replace("$name", dep.name).replace("$spec", dep.spec or "*")
            if rule.is_probe:
                evidence.append(Evidence(rule.rule.fact or rule.rule.name, path, dep.line, detail, rule.id))
                continue
            rng = Range(Position(dep.line, 0), Position(dep.line, line_length(dep.line)))
            findings.append(_finding(rule, path, rng, detail, fingerprint(rule.id, path, dep.name, 0)))
    return findings, evidence


_FRONTEND_PACKAGES = frozenset(
    {"react", "react-dom", "vue", "@angular/core", "svelte", "@sveltejs/kit", "next", "nuxt", "vite", "preact", "solid-js"}
)
_SERVER_PACKAGES = frozenset(
    {"express", "fastify", "@nestjs/core", "koa", "@hapi/hapi", "hapi", "hono", "restify", "@adonisjs/core", "sails", "@apollo/server", "apollo-server"}
)


def _frontend_dirs(dependencies: list[Dependency]) -> tuple[set[str], set[str]]:
    """(every folder holding a package.json, those whose package.json is a frontend's).

    A package.json that declares a frontend framework (React, Vue, Angular, Svelte, Next,
    Vite…) and no server framework belongs to a browser app next to the backend (a
    full-stack template's ``frontend/``): its TypeScript, its Node image and its ``.nvmrc``
    say nothing about the backend, so the backend's outdated rules leave that folder alone.
    """
    names: dict[str, set[str]] = {}
    for dep in dependencies:
        if not dep.locked and dep.ecosystem == "npm" and dep.path and posixpath.basename(dep.path) == "package.json":
            names.setdefault(posixpath.dirname(dep.path), set()).add(dep.name)
    frontend = {d for d, n in names.items() if n & _FRONTEND_PACKAGES and not n & _SERVER_PACKAGES}
    return set(names), frontend


def _in_frontend(dep: Dependency, package_dirs: set[str], frontend: set[str]) -> bool:
    """A Node dependency or runtime whose nearest package.json folder is a frontend's."""
    if not frontend or not dep.path or not (dep.ecosystem == "npm" or (dep.ecosystem == "docker" and dep.name == "node")):
        return False
    folder = posixpath.dirname(dep.path)
    while True:
        if folder in package_dirs:
            return folder in frontend
        if not folder:
            return False
        folder = posixpath.dirname(folder)


def _dedupe(found: list[tuple[tuple, tuple, Dependency, Finding]]) -> list[Finding]:
    """One finding per (rule, package, version): the same pin repeated in requirements.txt and
    requirements-dev.txt, in two Dockerfiles, or in both stages of one, is one problem. The
    runtime declaration is kept (not a dev manifest or a build stage), and the message lists
    where else the same version is declared."""
    groups: dict[tuple, list[tuple[tuple, Dependency, Finding]]] = {}
    for key, order, dep, finding in found:
        groups.setdefault(key, []).append((order, dep, finding))
    out: list[Finding] = []
    for items in groups.values():
        items.sort(key=lambda item: item[0])
        _, _, kept = items[0]
        others = [f"{d.path}:{d.line + 1}" for _, d, _ in items[1:]]
        if others:
            more = f" and {len(others) - 3} more" if len(others) > 3 else ""
            kept = attrs.evolve(kept, message=f"{kept.message}; also declared in {', '.join(others[:3])}{more}")
        out.append(kept)
    return out


_DEV_MANIFEST = re.compile(r"(^|[/_.\-])(dev|devel|development|test|tests|testing|lint|docs?|ci|local)([/_.\-]|$)", re.I)


def outdated_findings(pack: CompiledPack, facts: ProjectFacts, rule_filter=None) -> list[Finding]:
    """`outdated` rules: declared dependencies (versions resolved from lock files) compared with
    the pack's dated version facts, reported on the declaring manifest line. Message
    placeholders: $name, $spec, $current, $latest, $behind, $eol (the end-of-life date), $title,
    $checked. Dependencies of a frontend package.json are skipped (`_frontend_dirs`) and the
    same version declared in several places is reported once (`_dedupe`)."""
    rules = [r for r in pack.rules if r.is_outdated and (rule_filter is None or rule_filter(r))]
    if not rules:
        return []
    data = load_version_facts(pack.data_dir)
    if data is None:
        return []
    package_dirs, frontend = _frontend_dirs(facts.dependencies)
    found: list[tuple[tuple, tuple, Dependency, Finding]] = []
    for rule in rules:
        spec = rule.rule.match.outdated
        assert spec is not None
        wanted = {n.lower() for n in spec.dependency}
        for dep in facts.dependencies:
            if dep.name not in wanted or (spec.ecosystem and dep.ecosystem != spec.ecosystem):
                continue
            if dep.path is None or not rule.applies_to_path(dep.path):
                continue
            if _in_frontend(dep, package_dirs, frontend):
                continue
            entry = data.entry_for(dep.name, dep.ecosystem)
            current = current_version(dep.version, dep.spec)
            if entry is None or current is None:
                continue
            result = assess(entry, current, data.checked)
            if spec.eol is not None and result.eol != spec.eol:
                continue
            if result.behind is None and spec.min_behind > 0:
                continue
            behind = result.behind or 0
            if behind < spec.min_behind or (spec.max_behind is not None and behind > spec.max_behind):
                continue
            values = {
                "name": dep.name,
                "spec": dep.spec or "*",
                "current": dep.version or show(current),
                "latest": entry.latest,
                "behind": str(behind),
                "eol": result.eol_date.isoformat() if result.eol_date else "",
                "title": entry.title,
                "checked": data.checked.isoformat(),
            }
            message = rule.rule.message
            for key in sorted(values, key=len, reverse=True):
                message = message.replace("$" + key, values[key])
            finding = _finding(
                rule,
                dep.path,
                Range(Position(dep.line, 0), Position(dep.line + 1, 0)),
                message,
                fingerprint(rule.id, dep.path, dep.name, 0),
            )
            key = (rule.id, entry.key, show(current))
            order = (dep.dev, bool(_DEV_MANIFEST.search(dep.path)), dep.path.count("/"), dep.path, dep.line)
            found.append((key, order, dep, finding))
    return _dedupe(found)
