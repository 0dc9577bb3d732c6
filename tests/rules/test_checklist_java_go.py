"""Checklist coverage for Java and Go: every checklist item of pack.yaml has a Java detector and a
Go detector, unless static analysis cannot decide it (`static: false`) or it is answered by
language-neutral evidence (deployment files, CI configuration, documents).

A detector for an item is a rule in `java/` (resp. `go/`) that names the item in `checklist:`, or
a probe of that folder whose fact is one of the item's facts.
"""

from __future__ import annotations

import pytest

from backend_audit.rules.compiler import CompiledPack, load_pack
from backend_audit.rules.model import RuleKind

# Facts decided from files that are the same whatever the service's language: produced by the
# project checks and text rules in common/ (file presence, deployment and CI files), never by
# Java or Go code.
NEUTRAL = {
    "architecture-style",  # docker-compose services, Kubernetes manifests, serverless configs
    "service-boundaries",  # several deployables in one repository
    "architecture-docs",  # docs/architecture*, ADRs, C4 diagrams
    "container-image",  # Dockerfile / Containerfile
    "orchestration",  # Kubernetes, Helm, Nomad, ECS files
    "load-balancer-config",  # ingress, nginx, ALB definitions
    "autoscaling-config",  # HorizontalPodAutoscaler, KEDA, cloud autoscaling files
    "changelog",  # CHANGELOG.md and friends
    "rate-limit-docs",  # rate limits described in API docs
    "config-docs",  # .env.example, configuration docs
    "ci-config",  # .github/workflows, .gitlab-ci.yml, Jenkinsfile
    "coverage-report",  # coverage.xml, lcov.info, jacoco.xml
    "alerting-config",  # Prometheus alert rules, Alertmanager, PagerDuty/Opsgenie configs
    "dashboards",  # Grafana dashboard JSON
    "slo-definitions",  # SLO files (OpenSLO, sloth)
    "log-shipping",  # Fluent Bit / Vector / Promtail / Filebeat configs
}


@pytest.fixture(scope="module")
def pack() -> CompiledPack:
    loaded = load_pack()
    ours = [e for e in loaded.errors if str(e.path).startswith(("java/", "go/"))]
    assert not ours, ours
    return loaded


def detectors(pack: CompiledPack, folder: str) -> tuple[set[str], set[str]]:
    """(checklist items named, facts probed) by the rules of one language folder."""
    items: set[str] = set()
    facts: set[str] = set()
    for rule in pack.rules:
        if not rule.path.startswith(folder + "/"):
            continue
        if rule.rule.checklist:
            items.add(rule.rule.checklist)
        if rule.rule.kind is RuleKind.PROBE and rule.rule.fact:
            facts.add(rule.rule.fact)
    return items, facts


def static_items(pack: CompiledPack) -> list[tuple[str, list[str]]]:
    return [
        (f"{section.key}.{item.key}", list(item.facts))
        for section in pack.sections
        for item in section.checklist
        if item.static
    ]


@pytest.mark.parametrize("language", ["java", "go"])
def test_every_language_specific_checklist_item_has_a_detector(pack: CompiledPack, language: str) -> None:
    items, facts = detectors(pack, language)
    missing = []
    for item, item_facts in static_items(pack):
        if set(item_facts) & NEUTRAL:
            continue
        if item in items or set(item_facts) & facts:
            continue
        missing.append((item, item_facts))
    assert not missing, f"{language}: checklist items without a detector: {missing}"


@pytest.mark.parametrize("language", ["java", "go"])
def test_every_section_has_findings_rules(pack: CompiledPack, language: str) -> None:
    """Each of the ten sections has at least one rule for the language."""
    sections = {r.rule.section for r in pack.rules if r.path.startswith(language + "/")}
    assert sections == {s.key for s in pack.sections}


@pytest.mark.parametrize("language", ["java", "go"])
def test_at_least_25_rules_and_probes(pack: CompiledPack, language: str) -> None:
    rules = [r for r in pack.rules if r.path.startswith(language + "/")]
    findings = [r for r in rules if r.rule.kind is RuleKind.FINDING]
    assert len(rules) >= 25 and len(findings) >= 10, (len(rules), len(findings))


def test_neutral_facts_are_facts_of_the_pack(pack: CompiledPack) -> None:
    """The exemption list names real facts: a typo would silently exempt nothing."""
    known = {fact for section in pack.sections for item in section.checklist for fact in item.facts}
    assert NEUTRAL <= known, NEUTRAL - known


def test_neutral_facts_are_produced_in_common(pack: CompiledPack) -> None:
    """The facts exempted as language-neutral really have a common/ probe: removing it would
    leave their checklist items without any detector for Java and Go."""
    produced = {
        r.rule.fact for r in pack.rules if r.path.startswith("common/") and r.rule.kind is RuleKind.PROBE
    }
    assert NEUTRAL <= produced, NEUTRAL - produced

