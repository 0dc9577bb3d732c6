"""`backend-audit check` (through `engine.scan.scan`, with the bundled pack) on the Spring Boot
and Go fixture workspaces: every problem planted in their AUDIT_NOTES.md is found, by rule id,
file and line, every section where the code has a problem has a finding, and the practices the
notes call good are not flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_audit.engine.scan import ScanResult, scan

WORKSPACES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


@pytest.fixture(scope="module")
def spring() -> ScanResult:
    return scan(WORKSPACES / "spring-orders")


@pytest.fixture(scope="module")
def go() -> ScanResult:
    return scan(WORKSPACES / "go-inventory")


def found(result: ScanResult) -> set[tuple[str, str, int]]:
    """(rule, path, 1-based line), as AUDIT_NOTES.md and an editor count lines."""
    return {(f.rule, f.path, f.range.start.line + 1) for f in result.findings}


JAVA = "src/main/java/com/example/orders/"

SPRING_PLANTED = [
    ("FWK311", "pom.xml", 10),  # Spring Boot 2.7 out of OSS support
    ("FWK312", "pom.xml", 21),  # Java 11
    ("CFG301", "src/main/resources/application.yml", 11),  # hardcoded datasource password
    ("DES301", JAVA + "web/OrderController.java", 26),  # @Autowired field (reported on the field name)
    ("DAT303", JAVA + "web/OrderController.java", 30),  # list endpoint returns findAll()
    ("DAT304", JAVA + "service/OrderService.java", 37),  # findAll() without Pageable
    ("OBS301", JAVA + "service/OrderService.java", 61),  # System.out.println
    ("RES301", JAVA + "service/OrderService.java", 72),  # empty catch block
    ("RES302", JAVA + "client/PaymentClient.java", 13),  # RestTemplate without timeouts
    ("OBS302", JAVA + "client/PaymentClient.java", 28),  # e.printStackTrace()
    ("DAT301", JAVA + "repository/OrderSearchRepository.java", 17),  # JPQL by concatenation
    ("API310", "pom.xml", 1),  # no OpenAPI (springdoc) for the HTTP API
]

GO_PLANTED = [
    ("FWK406", "go.mod", 3),  # Go 1.19 unsupported
    ("RES411", "main.go", 49),  # ListenAndServe, no graceful shutdown
    ("RES423", "main.go", 49),  # ... and no http.Server timeouts
    ("OBS401", "main.go", 48),  # fmt.Println
    ("RES415", "main.go", 40),  # no health route
    ("API404", "main.go", 40),  # unversioned routes
    ("DAT401", "internal/store/store.go", 30),  # SQL built with fmt.Sprintf
    ("RES401", "internal/handlers/items.go", 47),  # _ = Encode
    ("RES401", "internal/handlers/items.go", 86),
    *[("OBS402", "internal/handlers/items.go", line) for line in (42, 58, 80, 106, 112, 133)],  # log.Printf
    ("SCL401", "internal/handlers/items.go", 110),  # goroutine in a handler without context
    ("RES404", "internal/supplier/client.go", 18),  # &http.Client{} without Timeout
    ("RES405", "internal/supplier/client.go", 40),  # http.Get on the default client
]


@pytest.mark.parametrize(("rule", "path", "line"), SPRING_PLANTED, ids=lambda v: str(v))
def test_spring_planted_problem_is_found(spring: ScanResult, rule: str, path: str, line: int) -> None:
    assert (rule, path, line) in found(spring), sorted(found(spring))


@pytest.mark.parametrize(("rule", "path", "line"), GO_PLANTED, ids=lambda v: str(v))
def test_go_planted_problem_is_found(go: ScanResult, rule: str, path: str, line: int) -> None:
    assert (rule, path, line) in found(go), sorted(found(go))


def test_spring_every_problem_section_has_a_finding(spring: ScanResult) -> None:
    sections = {f.section for f in spring.findings}
    assert {"framework", "config", "design", "data", "observability", "resilience", "api"} <= sections


def test_go_every_problem_section_has_a_finding(go: ScanResult) -> None:
    sections = {f.section for f in go.findings}
    assert {"framework", "resilience", "observability", "data", "scalability", "api"} <= sections


def test_spring_good_practices_are_not_flagged(spring: ScanResult) -> None:
    by_path: dict[str, set[str]] = {}
    for f in spring.findings:
        by_path.setdefault(f.path or "", set()).add(f.rule)
    # idiomatic @PersistenceContext and test-class @Autowired fields are not field injection
    assert "DES301" not in by_path.get(JAVA + "repository/OrderSearchRepository.java", set())
    assert not by_path.get("src/test/java/com/example/orders/web/OrderControllerTest.java")
    # the paged Spring Data query, the advice and the validated DTO are clean
    for clean in ("repository/OrderRepository.java", "web/GlobalExceptionHandler.java", "web/CreateOrderRequest.java"):
        assert not by_path.get(JAVA + clean), (clean, by_path.get(JAVA + clean))
    # constructor injection in the service
    assert "DES301" not in by_path.get(JAVA + "service/OrderService.java", set())
    # the paged endpoint (line 34) is not reported as unpaged
    assert not any(f.rule == "DAT303" and f.range.start.line + 1 != 30 for f in spring.findings)


def test_spring_facts(spring: ScanResult) -> None:
    facts = spring.facts
    for fact in ("central-error-handler", "health-endpoint", "readiness-probe", "migrations", "validation",
                 "connection-pool", "api-versioning", "unit-tests", "mocking", "orm", "transactions"):
        assert facts.has(fact), fact
    for absent in ("openapi-generated", "circuit-breaker", "retry", "tracing"):
        assert not facts.has(absent), absent


def test_go_good_practices_are_not_flagged(go: ScanResult) -> None:
    lines = {(f.rule, f.path, f.range.start.line + 1) for f in go.findings}
    # parameterised queries and the checked Encode in writeJSON
    assert not any(path == "internal/store/store.go" and line >= 50 for _, path, line in lines)
    assert not any(rule in ("RES401", "RES403") and line == 132 for rule, _, line in lines)
    # the tests use httptest and fakes: nothing to report there
    assert not any(path == "internal/handlers/items_test.go" for _, path, _ in lines)
    facts = go.facts
    for fact in ("connection-pool", "central-error-handler", "correlation-id", "unit-tests", "mocking", "pagination"):
        assert facts.has(fact), fact
    for absent in ("health-endpoint", "graceful-shutdown", "migrations", "metrics", "tracing"):
        assert not facts.has(absent), absent
