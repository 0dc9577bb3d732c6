"""Typed model of a rule pack, as written in YAML.

These are the *raw* classes: they say what a rule file may contain. The strict converter in
`loader.py` structures YAML into them (unknown keys are errors), and `compiler.py` turns them
into executable matchers. YAML keys are the field names with ``_`` spelled ``-``.
"""

from __future__ import annotations

import enum

import attrs


class Severity(enum.Enum):
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    INFO = "Info"

    @property
    def rank(self) -> int:
        """Higher is more severe: Info 0 … Critical 4."""
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> Severity:
        for member in cls:
            if member.value.lower() == str(value).lower():
                return member
        raise ValueError(f"unknown severity {value!r}; expected one of {', '.join(m.value for m in cls)}")


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

SECTION_KEYS: tuple[str, ...] = (
    "architecture",
    "framework",
    "design",
    "scalability",
    "data",
    "testing",
    "resilience",
    "config",
    "observability",
    "api",
)

SECTION_PREFIXES: dict[str, str] = {
    "architecture": "ARC",
    "framework": "FWK",
    "design": "DES",
    "scalability": "SCL",
    "data": "DAT",
    "testing": "TST",
    "resilience": "RES",
    "config": "CFG",
    "observability": "OBS",
    "api": "API",
}


class RuleKind(enum.Enum):
    FINDING = "finding"
    """Reports a problem."""
    PROBE = "probe"
    """Records evidence for a fact (``fact``); shows no diagnostic."""


@attrs.define
class NodeSpec:
    """A node that a relational constraint looks for (an ancestor or a descendant)."""

    kind: list[str] = attrs.field(factory=list)
    """Node types that qualify; empty means any."""
    regex: str | None = None
    """The node's text must match (RE2, searched)."""
    not_regex: str | None = None
    query: str | None = None
    """A tree-sitter query that must match within the node (for has/not-has)."""
    stop_at: list[str] = attrs.field(factory=list)
    """For inside: stop climbing at these node types (e.g. function boundaries)."""
    max_depth: int | None = None
    """For inside: how many ancestors to climb at most."""


@attrs.define
class Constraint:
    """A condition on one capture of a query match."""

    capture: str = "match"
    regex: str | None = None
    not_regex: str | None = None
    inside: NodeSpec | None = None
    not_inside: NodeSpec | None = None
    has: NodeSpec | None = None
    not_has: NodeSpec | None = None
    file_regex: str | None = None
    """The whole file's text must match (e.g. the module imports the library)."""
    not_file_regex: str | None = None


@attrs.define
class Conditions:
    """Project-level conditions: any listed item satisfies the condition."""

    facts: list[str] = attrs.field(factory=list)
    dependencies: list[str] = attrs.field(factory=list)
    files: list[str] = attrs.field(factory=list)
    """Glob patterns, relative to the workspace root (gitignore style)."""
    languages: list[str] = attrs.field(factory=list)
    """The workspace contains source files of one of these languages."""


@attrs.define
class ProjectCheck:
    """A finding about the project as a whole, decided from merged facts."""

    when: Conditions | None = None
    """The check applies only when every listed kind of condition holds (AND across kinds)."""
    unless: Conditions | None = None
    """No finding when any listed item is present."""
    anchor: list[str] = attrs.field(factory=list)
    """Where to show it: fact names (``fact:web-entrypoint``) or globs, first hit wins."""


@attrs.define
class Outdated:
    """A declared dependency (framework, runtime, library) compared with the pack's dated
    version facts (``data/versions.yaml``): how many release lines it is behind the latest, and
    whether its line is end-of-life. Reported on the manifest line that declares it."""

    dependency: list[str] = attrs.field(factory=list)
    """Dependency names as the manifest readers normalise them (``django``, ``express``,
    ``node``, ``python``, ``go``…); each must be listed under an entry of the data file."""
    ecosystem: str | None = None
    """Only dependencies of this ecosystem (pypi, npm, maven, go, nuget, rubygems, runtime)."""
    min_behind: int = 1
    """Report when the version is at least this many release lines behind the latest."""
    max_behind: int | None = None
    """…and at most this many (to give 1-behind and 2+-behind different severities)."""
    eol: bool | None = None
    """True: only versions whose line is end-of-life; False: only lines still supported."""


@attrs.define
class Match:
    """How a rule finds its matches. Exactly one of query, pattern, dependency, project,
    outdated."""

    query: str | None = None
    """tree-sitter query; the capture ``@match`` (else the first capture) is reported."""
    where: list[Constraint] = attrs.field(factory=list)
    pattern: str | None = None
    """RE2 pattern over the text of files in the rule's languages (config files)."""
    report_group: int | None = None
    """For pattern rules: the number of the group that is reported (default: the whole match)."""
    dependency: list[str] = attrs.field(factory=list)
    """Dependency names (manifest-level); matches on the manifest line declaring one."""
    project: ProjectCheck | None = None
    outdated: Outdated | None = None
    """Compare declared versions with the pack's version facts (see `Outdated`)."""


@attrs.define
class Fix:
    """A safe, local rewrite: the target capture is replaced by the template."""

    title: str
    replace: str
    """Template; ``$name`` and ``${name}`` expand to the text of capture ``name``."""
    target: str = "match"
    imports: list[str] = attrs.field(factory=list)
    """Lines inserted at the top of the file (after leading comments) if absent."""


@attrs.define
class Example:
    code: str = ""
    language: str | None = None
    """Defaults to the rule's first language."""
    path: str | None = None
    """A file path for the snippet, for rules scoped by path or file name."""
    fixed: str | None = None
    """For flagged examples of a rule with a fix: the text after the fix."""
    count: int | None = None
    """For flagged examples: how many findings are expected (default: at least one)."""
    files: dict[str, str] = attrs.field(factory=dict)
    """For project checks: a whole small workspace, path -> content (``code`` is ignored)."""


@attrs.define
class Examples:
    flagged: list[Example] = attrs.field(factory=list)
    ok: list[Example] = attrs.field(factory=list)


@attrs.define
class PathFilter:
    include: list[str] = attrs.field(factory=list)
    exclude: list[str] = attrs.field(factory=list)


@attrs.define
class Rule:
    id: str
    name: str
    section: str
    severity: Severity
    languages: list[str]
    message: str
    checklist: str | None = None
    """The audit checklist item this rule informs: ``<section>.<item-key>``."""
    kind: RuleKind = RuleKind.FINDING
    fact: str | None = None
    """For probes: the fact a match records as evidence."""
    rationale: str = ""
    match: Match = attrs.field(factory=Match)
    fix: Fix | None = None
    examples: Examples = attrs.field(factory=Examples)
    paths: PathFilter | None = None
    backend_only: bool = False
    """Only files the pack's relevance marks as backend code (not scripts or frontend)."""
    secret: bool = False
    """The ``secret`` capture (or the whole match) is a credential: mask it in every output."""
    enabled: bool = True
    """Disabled rules are loaded and tested but run only when selected explicitly."""
    tags: list[str] = attrs.field(factory=list)
    impact: str = ""
    """One line for the report's Findings table: what happens if it is left alone."""


@attrs.define
class RuleFile:
    rules: list[dict] = attrs.field(factory=list)
    """Raw rule mappings; each is structured on its own so one bad rule spoils nothing else."""
    section: str | None = None
    """Default section for the file's rules."""


@attrs.define
class ChecklistItem:
    key: str
    title: str
    static: bool = True
    """False when static analysis cannot decide this item."""
    reason: str | None = None
    """Why it cannot be determined statically (required when static is false)."""
    facts: list[str] = attrs.field(factory=list)
    """Facts whose evidence answers this item."""


@attrs.define
class Section:
    key: str
    title: str
    prefix: str
    checklist: list[ChecklistItem] = attrs.field(factory=list)


@attrs.define
class Relevance:
    file_patterns: list[str] = attrs.field(factory=list)
    keywords: list[str] = attrs.field(factory=list)
    config_keys: list[str] = attrs.field(factory=list)
    always_include: bool = True
    not_backend: list[str] = attrs.field(factory=list)
    """Globs of files that are never backend code (frontend bundles, scripts)."""


@attrs.define
class PackHeader:
    name: str
    title: str
    genre: str
    category: str
    analysis_type: str
    relevance: Relevance
    severity_scale: list[str]
    sections: list[Section]
    docs_url: str = "https://backend-audit.dev/rules/{id}"
    """Documentation page of a rule; ``{id}`` and ``{name}`` are filled in."""
    version: str = "1"
