"""Dated version facts, and how far a declared dependency is behind them.

The pack's ``data/versions.yaml`` lists, for each framework, runtime and key library, its latest
release, the date the list was checked, and which release lines are end-of-life. An
``outdated`` rule (`rules.model.Outdated`) compares a declared dependency with its entry.

Why the *highest admitted* version: a requirement such as ``^4.18.2`` or ``>=3.2,<4`` is
compared by the best version it lets the project install (4.x, 3.x), so a project is only
called behind when its own manifest keeps it there. A requirement with no upper bound
(``>=3.2``, ``*``) says nothing about the installed version and is never reported, unless a
lock file resolves it. End-of-life is judged on the data file's ``checked`` date, not on
today's, so results are reproducible and change only when the data is refreshed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import attrs

INF = 10**9
Version = tuple[int | None, int | None, int | None]
"""major, minor, patch; None means "any" (a wildcard, or the rest of a caret range)."""


@attrs.frozen
class VersionEntry:
    key: str
    title: str
    names: tuple[str, ...]
    ecosystem: str | None
    latest: str
    line: str = "major"
    """Which part of a version names a release line: ``major`` (Django 5, Express 5) or
    ``minor`` (Python 3.13, Go 1.23, FastAPI 0.115)."""
    recommended: str | None = None
    """The line most projects should be on, when it is not the newest (Node's active LTS)."""
    step: int = 1
    """Release lines per counted step (2 for Node, whose odd majors are never LTS)."""
    eol_below: str | None = None
    """Every version below this one is end-of-life."""
    eol: dict[str, dt.date] = attrs.field(factory=dict)
    """Release line (``"4.2"``, ``"16"``) -> end-of-life date."""
    source: str = ""


@attrs.frozen
class VersionFacts:
    checked: dt.date
    entries: dict[str, VersionEntry]

    def entry_for(self, name: str, ecosystem: str | None) -> VersionEntry | None:
        for entry in self.entries.values():
            if name in entry.names and (entry.ecosystem is None or ecosystem is None or entry.ecosystem == ecosystem):
                return entry
        return None


class VersionDataError(ValueError):
    pass


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise VersionDataError(f"{where}: not a date (YYYY-MM-DD): {value!r}") from None


def parse_version_facts(data: dict, where: str = "versions.yaml") -> VersionFacts:
    if not isinstance(data, dict) or "entries" not in data:
        raise VersionDataError(f"{where}: needs 'checked' and 'entries'")
    checked = _date(data.get("checked"), f"{where}: checked")
    entries: dict[str, VersionEntry] = {}
    for key, raw in (data.get("entries") or {}).items():
        at = f"{where}: entries.{key}"
        if not isinstance(raw, dict) or "latest" not in raw:
            raise VersionDataError(f"{at}: needs 'latest'")
        unknown = set(raw) - {"title", "names", "ecosystem", "latest", "line", "recommended", "step", "eol-below", "eol", "source", "kind", "note"}
        if unknown:
            raise VersionDataError(f"{at}: unknown keys {sorted(unknown)}")
        line = raw.get("line", "major")
        if line not in ("major", "minor"):
            raise VersionDataError(f"{at}.line: major or minor")
        for field in ("latest", "recommended", "eol-below"):
            if raw.get(field) is not None and parse_exact(str(raw[field])) is None:
                raise VersionDataError(f"{at}.{field}: not a version: {raw[field]!r}")
        entries[str(key)] = VersionEntry(
            key=str(key),
            title=str(raw.get("title", key)),
            names=tuple(str(n).lower() for n in raw.get("names") or [key]),
            ecosystem=raw.get("ecosystem"),
            latest=str(raw["latest"]),
            line=line,
            recommended=str(raw["recommended"]) if raw.get("recommended") is not None else None,
            step=int(raw.get("step", 1)),
            eol_below=str(raw["eol-below"]) if raw.get("eol-below") is not None else None,
            eol={str(k): _date(v, f"{at}.eol.{k}") for k, v in (raw.get("eol") or {}).items()},
            source=str(raw.get("source", "")),
        )
    return VersionFacts(checked, entries)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> VersionFacts:
    import yaml  # on first use: most runs never read the version facts

    with open(path, encoding="utf-8") as fh:
        return parse_version_facts(yaml.safe_load(fh), Path(path).name)


def load_version_facts(data_dir: Path | None) -> VersionFacts | None:
    """The pack's version facts, or None when the pack has no ``data/versions.yaml``."""
    if data_dir is None:
        return None
    path = data_dir / "versions.yaml"
    if not path.is_file():
        return None
    return _load(str(path), path.stat().st_mtime)


# -- versions and requirements -----------------------------------------------------------------

_NUM = re.compile(r"^[vV]?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?")


def _parts(text: str) -> tuple[Version, bool] | None:
    """(version, has_wildcard) from the start of a version string; missing parts are 0 unless a
    wildcard came before them."""
    m = _NUM.match(text.strip())
    if not m:
        return None
    out: list[int | None] = []
    wild = False
    for group in m.groups():
        if wild:
            out.append(None)
        elif group is None:
            out.append(0)
        elif group in ("x", "X", "*"):
            wild = True
            out.append(None)
        else:
            out.append(int(group))
    return (out[0], out[1], out[2]), wild


def parse_exact(text: str) -> Version | None:
    parsed = _parts(text)
    return parsed[0] if parsed else None


def _partial(text: str) -> Version | None:
    """A version where the parts not written are wildcards (``<=2`` -> 2.any.any)."""
    m = _NUM.match(text.strip())
    if not m:
        return None
    out: list[int | None] = []
    for group in m.groups():
        out.append(None if group is None or group in ("x", "X", "*") else int(group))
        if out[-1] is None:
            break
    out += [None] * (3 - len(out))
    return (out[0], out[1], out[2])


def _key(v: Version) -> tuple[int, int, int]:
    return tuple(INF if p is None else p for p in v)  # type: ignore[return-value]


def _predecessor(v: Version) -> Version | None:
    """The highest version below ``v`` (exclusive upper bound), as a wildcard version."""
    a, b, c = (p or 0 for p in v)
    if c > 0:
        return (a, b, c - 1)
    if b > 0:
        return (a, b - 1, None)
    if a > 0:
        return (a - 1, None, None)
    return None


_OPS = re.compile(r"(===|==|~=|~>|>=|<=|!=|\^|~|>|<|=)\s+")


def _clause_upper(clause: str) -> tuple[bool, Version | None]:
    """(bounded, highest admitted) for one clause; unbounded clauses give (False, None)."""
    clause = clause.strip().strip("'\"")
    if not clause or clause in ("*", "latest", "x", "X"):
        return False, None
    for op in ("===", "==", "~=", "~>", ">=", "<=", "!=", "^", "~", ">", "<", "="):
        if clause.startswith(op):
            rest = clause[len(op) :].strip()
            break
    else:
        op, rest = "", clause
    if op in (">=", ">", "!="):
        return False, None
    if op == "<":
        v = parse_exact(rest)
        return (True, _predecessor(v)) if v else (False, None)
    if op == "<=":
        v = _partial(rest)
        return (v is not None), v
    parsed = _parts(rest)
    if parsed is None:
        return False, None
    (a, b, c), _wild = parsed
    written = len(re.match(r"[vV]?[\dxX*]+(?:\.[\dxX*]+)*", rest.strip()).group(0).split("."))  # type: ignore[union-attr]
    if op == "^":
        if a:
            return True, (a, None, None)
        if b:
            return True, (0, b, None)
        return True, (0, 0, c) if written >= 3 else (0, 0 if written >= 2 else None, None)
    if op == "~":
        return True, (a, b, None) if written >= 2 else (a, None, None)
    if op in ("~=", "~>"):
        return True, (a, b, None) if written >= 3 else (a, None, None)
    # exact (==, ===, =, bare): a wildcard keeps its parts open; a short bare npm version
    # ("18", "4.2") is a range over the parts not written.
    if op == "" and written < 3:
        return True, _partial(rest)
    return True, (a, b, c)


def highest_admitted(spec: str) -> Version | None:
    """The highest version a requirement lets a project install, with wildcards for the parts
    left open; None when the requirement has no upper bound (or is not a version at all)."""
    spec = (spec or "").strip()
    if not spec or re.match(r"^(workspace:|file:|link:|git|https?:|github:|npm:)", spec):
        return None
    best: Version | None = None
    for alternative in spec.split("||"):
        upper = _alternative_upper(alternative.strip())
        if upper is None:
            return None
        if best is None or _key(upper) > _key(best):
            best = upper
    return best


def _alternative_upper(alt: str) -> Version | None:
    if not alt:
        return None
    m = re.match(r"^([\[\(])\s*([^,]*),\s*([^\]\)]*)\s*([\]\)])$", alt)  # Maven/NuGet range
    if m:
        high = m.group(3).strip()
        if not high:
            return None
        v = parse_exact(high)
        return (v if m.group(4) == "]" else _predecessor(v)) if v else None
    m = re.match(r"^(\S+)\s+-\s+(\S+)$", alt)  # npm hyphen range
    if m:
        return _partial(m.group(2))
    alt = _OPS.sub(lambda mm: mm.group(1), alt)
    uppers = []
    for clause in re.split(r"[,\s]+", alt):
        if not clause:
            continue
        bounded, upper = _clause_upper(clause)
        if bounded:
            if upper is None:
                return None
            uppers.append(upper)
    if not uppers:
        return None
    return min(uppers, key=_key)


def current_version(version: str | None, spec: str) -> Version | None:
    """The resolved version when a lock file or pin gives one, else the highest admitted."""
    if version:
        exact = parse_exact(version)
        if exact is not None:
            return exact
    return highest_admitted(spec)


def show(v: Version) -> str:
    parts = []
    for p in v:
        if p is None:
            parts.append("x")
            break
        parts.append(str(p))
    return ".".join(parts)


@attrs.frozen
class Assessment:
    entry: VersionEntry
    current: Version
    behind: int | None
    """Release lines behind the latest (or recommended) line; None when it cannot be told."""
    eol: bool
    eol_date: dt.date | None = None


def assess(entry: VersionEntry, current: Version, checked: dt.date) -> Assessment:
    target = parse_exact(entry.recommended or entry.latest)
    assert target is not None  # validated when the data file was parsed
    behind: int | None
    if current[0] is None:
        behind = None
    elif entry.line == "major":
        behind = max(0, (target[0] or 0) - current[0]) // max(entry.step, 1)
    elif current[0] < (target[0] or 0):
        behind = (target[1] or 0) + 1  # at least every line of the newer major
    elif current[0] > (target[0] or 0) or current[1] is None:
        behind = 0 if current[0] > (target[0] or 0) else None
    else:
        behind = max(0, (target[1] or 0) - current[1]) // max(entry.step, 1)
    eol = False
    eol_date = None
    if entry.eol_below is not None:
        floor = parse_exact(entry.eol_below)
        if floor is not None and _key(current) < _key(floor):
            eol = True
    for line, date in entry.eol.items():
        prefix = tuple(int(p) for p in line.split("."))
        if tuple(current[: len(prefix)]) == prefix:
            eol_date = date
            if date <= checked:
                eol = True
    return Assessment(entry, current, behind, eol, eol_date)
