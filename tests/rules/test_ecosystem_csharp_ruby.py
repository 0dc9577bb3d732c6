"""`backend-audit check` (through `engine.scan.scan`, with the bundled pack) on the ASP.NET Core
and Rails fixture workspaces: every problem planted in their AUDIT_NOTES.md is found, by rule id,
file and line, every section where the code has a problem has a finding, and the practices the
notes call good are not flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_audit.engine.scan import ScanResult, scan

WORKSPACES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


@pytest.fixture(scope="module")
def dotnet() -> ScanResult:
    return scan(WORKSPACES / "dotnet-catalog")


@pytest.fixture(scope="module")
def rails() -> ScanResult:
    return scan(WORKSPACES / "rails-blog")


def found(result: ScanResult) -> set[tuple[str, str, int]]:
    """(rule, path, 1-based line), as AUDIT_NOTES.md and an editor count lines."""
    return {(f.rule, f.path, f.range.start.line + 1) for f in result.findings}


def rules_by_path(result: ScanResult) -> dict[str, set[str]]:
    by_path: dict[str, set[str]] = {}
    for f in result.findings:
        by_path.setdefault(f.path or "", set()).add(f.rule)
    return by_path


DOTNET_PLANTED = [
    ("FWK504", "Catalog.csproj", 4),  # net6.0 out of support
    ("CFG501", "appsettings.json", 3),  # connection string with a password
    ("SCL501", "Services/PricingService.cs", 28),  # new HttpClient() per call
    ("RES504", "Services/PricingService.cs", 28),  # ... with the 100 s default timeout
    ("RES501", "Services/PricingService.cs", 35),  # empty catch {}
    ("OBS501", "Services/PricingService.cs", 37),  # Console.WriteLine
    ("DAT501", "Controllers/ProductsController.cs", 46),  # FromSqlRaw with an interpolated string
    ("RES508", "Program.cs", 14),  # no AddHealthChecks / MapHealthChecks
]

RAILS_PLANTED = [
    ("FWK604", "Gemfile", 6),  # Rails 6.1 end of life (version resolved from Gemfile.lock)
    ("FWK605", "Gemfile", 4),  # Ruby 2.7 end of life
    ("CFG082", "config/database.yml", 21),  # production password (the language-neutral rule)
    ("DAT603", "app/controllers/posts_controller.rb", 5),  # Post.all without paging
    ("DAT602", "app/controllers/posts_controller.rb", 11),  # N+1: comments.count per post
    ("DAT601", "app/controllers/posts_controller.rb", 23),  # SQL injection in where
    ("RES603", "app/services/link_preview.rb", 14),  # Net::HTTP.get without timeouts
    ("RES601", "app/services/link_preview.rb", 17),  # rescue => e that returns nil
    ("RES608", "config/routes.rb", 1),  # no health route (absent, project level)
]


@pytest.mark.parametrize(("rule", "path", "line"), DOTNET_PLANTED, ids=lambda v: str(v))
def test_dotnet_planted_problem_is_found(dotnet: ScanResult, rule: str, path: str, line: int) -> None:
    assert (rule, path, line) in found(dotnet), sorted(found(dotnet))


@pytest.mark.parametrize(("rule", "path", "line"), RAILS_PLANTED, ids=lambda v: str(v))
def test_rails_planted_problem_is_found(rails: ScanResult, rule: str, path: str, line: int) -> None:
    assert (rule, path, line) in found(rails), sorted(found(rails))


def test_dotnet_every_problem_section_has_a_finding(dotnet: ScanResult) -> None:
    sections = {f.section for f in dotnet.findings}
    assert {"framework", "config", "data", "resilience", "scalability", "observability"} <= sections


def test_rails_every_problem_section_has_a_finding(rails: ScanResult) -> None:
    sections = {f.section for f in rails.findings}
    assert {"framework", "config", "data", "resilience", "api"} <= sections


def test_rails_version_comes_from_the_lockfile(rails: ScanResult) -> None:
    eol = [f for f in rails.findings if f.rule == "FWK604"]
    assert len(eol) == 1 and "6.1.7.6" in eol[0].message, [f.message for f in eol]
    # lock records resolve the declaration; they are never reported themselves
    assert not any(f.path == "Gemfile.lock" for f in rails.findings)


def test_dotnet_secret_is_masked(dotnet: ScanResult) -> None:
    (cfg,) = [f for f in dotnet.findings if f.rule == "CFG501"]
    assert "Vq7!rN2xLp9#Tz4k" not in cfg.message


def test_dotnet_good_practices_are_not_flagged(dotnet: ScanResult) -> None:
    by_path = rules_by_path(dotnet)
    # the paged list, constructor injection and the structured log template in the controller
    assert by_path.get("Controllers/ProductsController.cs") == {"DAT501"}
    # DI registration, Swagger, models, migration, DbContext and the xUnit project are clean
    for clean in (
        "Models/Product.cs",
        "Data/CatalogDbContext.cs",
        "Migrations/20240115093000_InitialCreate.cs",
        "tests/Catalog.Tests/ProductsControllerTests.cs",
    ):
        assert not by_path.get(clean), (clean, by_path.get(clean))
    assert by_path.get("Program.cs") == {"RES508"}
    # Swagger is generated from code, so the missing-OpenAPI check stays quiet
    assert "API504" not in {f.rule for f in dotnet.findings}


def test_dotnet_facts(dotnet: ScanResult) -> None:
    facts = dotnet.facts
    for fact in (
        "web-framework",
        "framework-version",
        "language-version",
        "orm",
        "openapi-generated",
        "http-route",
        "api-versioning",
        "pagination",
        "validation",
        "dependency-injection",
        "migrations",
        "db-indexes",
        "unit-tests",
        "coverage-config",
        "structured-logging",
        "async-code",
    ):
        assert facts.has(fact), fact
    for absent in ("health-endpoint", "retry", "circuit-breaker", "central-error-handler", "http-client"):
        assert not facts.has(absent), absent


def test_rails_good_practices_are_not_flagged(rails: ScanResult) -> None:
    lines = found(rails)
    controller = "app/controllers/posts_controller.rb"
    # eager-loaded show (18) and strong parameters (55) are not reported
    assert not any(path == controller and line not in (5, 11, 23) for _, path, line in lines)
    by_path = rules_by_path(rails)
    for clean in (
        "app/controllers/application_controller.rb",
        "app/models/post.rb",
        "app/models/comment.rb",
        "db/migrate/20230410120000_create_posts_and_comments.rb",
        "spec/requests/posts_spec.rb",
        "spec/rails_helper.rb",
        "Gemfile.lock",
    ):
        assert not by_path.get(clean), (clean, by_path.get(clean))


def test_rails_facts(rails: ScanResult) -> None:
    facts = rails.facts
    for fact in (
        "web-framework",
        "framework-version",
        "language-version",
        "orm",
        "validation",
        "central-error-handler",
        "structured-errors",
        "eager-loading",
        "migrations",
        "dtos",
        "unit-tests",
        "integration-tests",
        "http-route",
        "connection-pool",
        "env-config",
    ):
        assert facts.has(fact), fact
    for absent in (
        "health-endpoint",
        "api-versioning",
        "task-queue",
        "pagination",
        "rate-limiter",
        "openapi-generated",
    ):
        assert not facts.has(absent), absent
