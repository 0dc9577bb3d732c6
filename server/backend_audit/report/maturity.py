"""The maturity model (`maturity.yaml`): which checks each level of each section requires.

The file is data, read strictly: an unknown key, a level outside 2-5, or a check naming an item
that pack.yaml does not have is an error that names the file and the key. A check on an item
that pack.yaml marks `static: false` is an error too: no workspace could ever pass it.

    sections:
      resilience:
        2: [{item: global-exception-handling, min: partial}]
        3: [global-exception-handling, health-checks]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ..rules.loader import read_yaml
from ..rules.model import SECTION_KEYS, PackHeader, Severity

STATUS_RANK = {"no": 0, "unknown": 0, "partial": 1, "yes": 2}


class MaturityError(ValueError):
    """maturity.yaml is malformed; the message names the file and the key."""


@attrs.frozen
class Check:
    item: str
    """Checklist item key within the section."""
    min: str = "yes"
    """The weakest status that passes: ``yes`` or ``partial``."""

    def passes(self, status: str) -> bool:
        if status == "n/a":
            return True
        if status == "unknown":
            return False
        return STATUS_RANK.get(status, 0) >= STATUS_RANK[self.min]


@attrs.frozen
class NotApplicable:
    items: tuple[str, ...]
    """``<section>.<item>`` keys."""
    reason: str
    languages: tuple[str, ...] = ()
    """The primary language (family) is one of these."""
    max_loc: int | None = None
    min_loc: int | None = None
    facts: tuple[str, ...] = ()
    """Any of these facts is present."""
    unless_facts: tuple[str, ...] = ()
    """None of these facts is present."""


@attrs.frozen
class StackRole:
    key: str
    fact: str | None
    packages: tuple[str, ...]


@attrs.frozen
class RoadmapItem:
    title: str
    done: Any
    """``always``, ``never``, or {items: [...], min?} / {levels: {section: n}}."""
    reason: str = ""


@attrs.frozen
class RoadmapPhase:
    phase: str
    outcome: str
    items: tuple[RoadmapItem, ...]


@attrs.define
class MaturityModel:
    caps: dict[str, int]
    weights: dict[str, float]
    rubric: dict[int, str]
    levels: dict[str, dict[int, tuple[Check, ...]]]
    """section -> level (2..5) -> the checks that level adds."""
    combine: dict[str, str]
    """``<section>.<item>`` -> ``any`` | ``all`` (default any)."""
    not_applicable: list[NotApplicable]
    languages: dict[str, dict[str, str]]
    roles: list[StackRole]
    roadmap: list[RoadmapPhase]
    recommendations: dict[int, dict[str, Any]]
    source: str = "maturity.yaml"

    def cap_for(self, severity: Severity) -> int | None:
        return self.caps.get(severity.value)

    def checks_up_to(self, section: str, level: int) -> list[tuple[int, Check]]:
        out = []
        for lvl in range(2, level + 1):
            out.extend((lvl, c) for c in self.levels.get(section, {}).get(lvl, ()))
        return out


def _fail(source: str, key: str, message: str) -> MaturityError:
    return MaturityError(f"{source}: {key}: {message}")


def _expect(value: Any, kind: type | tuple[type, ...], source: str, key: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _fail(source, key, f"expected {names}, got {type(value).__name__}")
    return value


def _only(mapping: dict, allowed: set[str], source: str, key: str) -> None:
    extra = sorted(set(mapping) - allowed)
    if extra:
        raise _fail(source, key, f"unknown key(s): {', '.join(map(str, extra))}")


_TOP = {"version", "caps", "weights", "rubric", "sections", "items", "not-applicable", "stack", "roadmap", "recommendations"}


def load_maturity(path: Path, header: PackHeader) -> MaturityModel:
    """Read and validate maturity.yaml against the pack's sections and checklist items."""
    source = path.name
    data, _node, errors = read_yaml(path, source)
    if errors:
        raise MaturityError("; ".join(str(e) for e in errors))
    _expect(data, dict, source, "$")
    _only(data, _TOP, source, "$")
    items_of = {s.key: {i.key: i for i in s.checklist} for s in header.sections}

    caps: dict[str, int] = {}
    for sev, lvl in (_expect(data.get("caps") or {}, dict, source, "caps")).items():
        try:
            Severity.parse(sev)
        except ValueError as exc:
            raise _fail(source, f"caps.{sev}", str(exc)) from None
        if not isinstance(lvl, int) or not 1 <= lvl <= 5:
            raise _fail(source, f"caps.{sev}", "a level from 1 to 5")
        caps[Severity.parse(sev).value] = lvl

    weights: dict[str, float] = {}
    for key, w in (_expect(data.get("weights") or {}, dict, source, "weights")).items():
        if key not in SECTION_KEYS:
            raise _fail(source, f"weights.{key}", "not a section key")
        if not isinstance(w, int | float) or w < 0:
            raise _fail(source, f"weights.{key}", "a non-negative number")
        weights[key] = float(w)
    for key in SECTION_KEYS:
        weights.setdefault(key, 1.0)

    rubric = {int(k): str(v) for k, v in (_expect(data.get("rubric") or {}, dict, source, "rubric")).items()}

    levels: dict[str, dict[int, tuple[Check, ...]]] = {}
    for section, per_level in (_expect(data.get("sections") or {}, dict, source, "sections")).items():
        if section not in items_of:
            raise _fail(source, f"sections.{section}", "not a section of pack.yaml")
        _expect(per_level, dict, source, f"sections.{section}")
        levels[section] = {}
        for lvl, checks in per_level.items():
            where = f"sections.{section}.{lvl}"
            if not isinstance(lvl, int) or not 2 <= lvl <= 5:
                raise _fail(source, where, "levels are 2 to 5 (level 1 needs nothing)")
            parsed = []
            for i, raw in enumerate(_expect(checks, list, source, where)):
                if isinstance(raw, str):
                    check = Check(raw)
                elif isinstance(raw, dict):
                    _only(raw, {"item", "min"}, source, f"{where}[{i}]")
                    check = Check(str(raw.get("item")), str(raw.get("min", "yes")))
                else:
                    raise _fail(source, f"{where}[{i}]", "an item key or {item, min}")
                if check.min not in ("yes", "partial"):
                    raise _fail(source, f"{where}[{i}].min", "yes or partial")
                item = items_of[section].get(check.item)
                if item is None:
                    raise _fail(source, f"{where}[{i}]", f"no checklist item {check.item!r} in section {section}")
                if not item.static:
                    raise _fail(source, f"{where}[{i}]", f"{check.item} is not statically determinable; no level can require it")
                parsed.append(check)
            levels[section][lvl] = tuple(parsed)

    def qualified(key: str, where: str) -> str:
        section, _, item = key.partition(".")
        if section not in items_of or item not in items_of[section]:
            raise _fail(source, where, f"no checklist item {key!r} (write <section>.<item>)")
        return key

    combine = {}
    for key, how in (_expect(data.get("items") or {}, dict, source, "items")).items():
        qualified(key, f"items.{key}")
        if how not in ("any", "all"):
            raise _fail(source, f"items.{key}", "any or all")
        combine[key] = how

    not_applicable = []
    for i, raw in enumerate(_expect(data.get("not-applicable") or [], list, source, "not-applicable")):
        where = f"not-applicable[{i}]"
        _expect(raw, dict, source, where)
        _only(raw, {"items", "when", "reason"}, source, where)
        when = _expect(raw.get("when") or {}, dict, source, f"{where}.when")
        _only(when, {"languages", "max-loc", "min-loc", "facts", "unless-facts"}, source, f"{where}.when")
        if not raw.get("reason"):
            raise _fail(source, f"{where}.reason", "required: say why the items do not count")
        not_applicable.append(
            NotApplicable(
                items=tuple(qualified(k, f"{where}.items") for k in raw.get("items") or []),
                reason=str(raw["reason"]),
                languages=tuple(when.get("languages") or ()),
                max_loc=when.get("max-loc"),
                min_loc=when.get("min-loc"),
                facts=tuple(when.get("facts") or ()),
                unless_facts=tuple(when.get("unless-facts") or ()),
            )
        )

    stack = _expect(data.get("stack") or {}, dict, source, "stack")
    _only(stack, {"language", "roles"}, source, "stack")
    languages = {str(k): dict(v) for k, v in (stack.get("language") or {}).items()}
    roles = []
    for key, raw in (stack.get("roles") or {}).items():
        _expect(raw, dict, source, f"stack.roles.{key}")
        _only(raw, {"fact", "packages"}, source, f"stack.roles.{key}")
        roles.append(StackRole(str(key), raw.get("fact"), tuple(str(p).lower() for p in raw.get("packages") or ())))

    roadmap = []
    for i, raw in enumerate(_expect(data.get("roadmap") or [], list, source, "roadmap")):
        _only(raw, {"phase", "outcome", "items"}, source, f"roadmap[{i}]")
        items = []
        for j, it in enumerate(raw.get("items") or []):
            where = f"roadmap[{i}].items[{j}]"
            _only(it, {"title", "done", "reason"}, source, where)
            done = it.get("done")
            if isinstance(done, dict):
                _only(done, {"items", "min", "levels"}, source, f"{where}.done")
                for key in done.get("items") or []:
                    qualified(key, f"{where}.done.items")
            elif done not in ("always", "never"):
                raise _fail(source, f"{where}.done", "always, never, {items: [...]} or {levels: {...}}")
            items.append(RoadmapItem(str(it["title"]), done, str(it.get("reason", ""))))
        roadmap.append(RoadmapPhase(str(raw["phase"]), str(raw.get("outcome", "")), tuple(items)))

    recommendations = {int(k): dict(v) for k, v in (data.get("recommendations") or {}).items()}
    return MaturityModel(
        caps=caps,
        weights=weights,
        rubric=rubric,
        levels=levels,
        combine=combine,
        not_applicable=not_applicable,
        languages=languages,
        roles=roles,
        roadmap=roadmap,
        recommendations=recommendations,
        source=source,
    )
