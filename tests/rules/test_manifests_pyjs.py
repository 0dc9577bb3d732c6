"""Python and Node manifest readers: Pipfile, the lock files, runtime pins, and how lock files
resolve the versions of declared dependencies without declaring any themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_audit.analysis.document import Document
from backend_audit.engine.analyzer import Analyzer
from backend_audit.engine.config import Config
from backend_audit.project.manifests import is_manifest, read_manifest


def _by_name(deps):
    return {d.name: d for d in deps}


PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"

[packages]
flask = "==1.0.2"
SQLAlchemy = "*"
"flask-cors" = {version = ">=3.0"}

[dev-packages]
pytest = "*"

[requires]
python_version = "3.6"
"""


def test_pipfile_declares_dependencies_with_lines_and_python() -> None:
    deps = _by_name(read_manifest("Pipfile", PIPFILE))
    assert deps["flask"].spec == "==1.0.2" and deps["flask"].version == "1.0.2" and deps["flask"].line == 4
    assert deps["sqlalchemy"].spec == "" and deps["sqlalchemy"].line == 5
    assert deps["flask-cors"].spec == ">=3.0"
    assert deps["pytest"].dev and not deps["flask"].dev
    assert deps["python"].version == "3.6" and deps["python"].line == 12
    assert not any(d.locked for d in deps.values())


PIPFILE_LOCK = """\
{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "flask": {"hashes": [], "version": "==1.0.2"},
        "sqlalchemy": {"hashes": [], "version": "==1.3.0"}
    },
    "develop": {
        "pytest": {"version": "==7.0.0"}
    }
}
"""


def test_pipfile_lock_records_are_locked() -> None:
    deps = _by_name(read_manifest("Pipfile.lock", PIPFILE_LOCK))
    assert deps["sqlalchemy"].version == "1.3.0" and deps["sqlalchemy"].locked and deps["sqlalchemy"].line == 4
    assert deps["pytest"].dev


POETRY_LOCK = """\
[[package]]
name = "fastapi"
version = "0.95.1"
description = "x"

[[package]]
name = "Pydantic"
version = "1.10.7"
"""

UV_LOCK = """\
version = 1

[[package]]
name = "orders"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "django"
version = "4.2.11"
source = { registry = "https://pypi.org/simple" }
"""


@pytest.mark.parametrize(("name", "text", "expected"), [
    pytest.param("poetry.lock", POETRY_LOCK, {"fastapi": ("0.95.1", 1), "pydantic": ("1.10.7", 6)}, id="poetry"),
    pytest.param("uv.lock", UV_LOCK, {"django": ("4.2.11", 8)}, id="uv-skips-the-project-itself"),
])
def test_toml_lock_files(name: str, text: str, expected: dict) -> None:
    deps = read_manifest(name, text)
    assert {d.name: (d.version, d.line) for d in deps} == expected
    assert all(d.locked for d in deps)


def test_runtime_pins() -> None:
    assert read_manifest(".python-version", "3.11.4\n")[0].version == "3.11.4"
    runtime = read_manifest("runtime.txt", "python-3.8.10\n")[0]
    assert (runtime.name, runtime.version, runtime.locked) == ("python", "3.8.10", False)
    nvm = read_manifest(".nvmrc", "v18\n")[0]
    assert (nvm.name, nvm.spec, nvm.version) == ("node", "18", None)
    assert read_manifest(".node-version", "lts/iron\n") == []


PACKAGE_LOCK_V3 = """\
{
  "name": "api",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "api", "dependencies": {"express": "^4.18.2"}},
    "node_modules/express": {"version": "4.18.2"},
    "node_modules/@nestjs/core": {"version": "10.3.0"},
    "node_modules/foo/node_modules/express": {"version": "3.0.0"},
    "node_modules/jest": {"version": "29.0.0", "dev": true}
  }
}
"""

PACKAGE_LOCK_V1 = """\
{
  "name": "api",
  "lockfileVersion": 1,
  "dependencies": {
    "express": {"version": "4.16.0"},
    "debug": {"version": "2.6.9"}
  }
}
"""


def test_package_lock_v3_reads_hoisted_packages_only() -> None:
    deps = _by_name(read_manifest("package-lock.json", PACKAGE_LOCK_V3))
    assert set(deps) == {"express", "@nestjs/core", "jest"}
    assert deps["express"].version == "4.18.2" and deps["express"].line == 5
    assert deps["jest"].dev and all(d.locked for d in deps.values())


def test_package_lock_v1() -> None:
    deps = _by_name(read_manifest("package-lock.json", PACKAGE_LOCK_V1))
    assert deps["express"].version == "4.16.0" and deps["express"].line == 4


YARN_CLASSIC = """\
# yarn lockfile v1


"@babel/core@^7.0.0", "@babel/core@^7.1.0":
  version "7.2.2"
  resolved "https://registry.yarnpkg.com/x"

express@^4.17.1:
  version "4.17.1"

express@^5.0.0:
  version "5.0.1"
"""

YARN_BERRY = """\
__metadata:
  version: 6

"express@npm:^4.18.2":
  version: 4.18.2
  resolution: "express@npm:4.18.2"
"""


def test_yarn_classic_and_berry() -> None:
    classic = read_manifest("yarn.lock", YARN_CLASSIC)
    assert {(d.name, d.spec, d.version) for d in classic} == {
        ("@babel/core", "^7.0.0", "7.2.2"),
        ("@babel/core", "^7.1.0", "7.2.2"),
        ("express", "^4.17.1", "4.17.1"),
        ("express", "^5.0.0", "5.0.1"),
    }
    berry = read_manifest("yarn.lock", YARN_BERRY)
    assert [(d.name, d.spec, d.version, d.line) for d in berry] == [("express", "^4.18.2", "4.18.2", 3)]


PNPM_V9 = """\
lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      express:
        specifier: ^4.18.2
        version: 4.18.2
      '@nestjs/core':
        specifier: ^10.0.0
        version: 10.3.0(reflect-metadata@0.2.1)
    devDependencies:
      local-lib:
        specifier: link:../lib
        version: link:../lib

packages:

  express@4.18.2:
    resolution: {integrity: sha512-x}
"""

PNPM_V5 = """\
lockfileVersion: 5.4

specifiers:
  express: ^4.17.0

dependencies:
  express: 4.17.3_debug@2.6.9
"""


def test_pnpm_lock_versions() -> None:
    v9 = _by_name(read_manifest("pnpm-lock.yaml", PNPM_V9))
    assert v9["express"].version == "4.18.2" and v9["express"].line == 6
    assert v9["@nestjs/core"].version == "10.3.0"
    assert "local-lib" not in v9
    assert _by_name(read_manifest("pnpm-lock.yaml", PNPM_V5))["express"].version == "4.17.3"


@pytest.mark.parametrize("path", ["Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", ".nvmrc", "svc/.python-version", "runtime.txt"])
def test_registered_as_manifests(path: str) -> None:
    assert is_manifest(path)


@pytest.mark.parametrize(("name", "text"), [("poetry.lock", "[[package]\nname="), ("pnpm-lock.yaml", "a: [b"), ("package-lock.json", "{"), ("Pipfile", "[packages\n")])
def test_malformed_files_contribute_nothing(name: str, text: str) -> None:
    assert read_manifest(name, text) == []


def _facts(files: dict[str, str]):
    analyzer = Analyzer(Path("."), Config(select=["none-selected"]))
    results = [analyzer.analyze_file(Document(path, text)) for path, text in files.items()]
    facts, _ = analyzer.project(results)
    return facts


def test_lock_files_resolve_declared_versions_and_declare_nothing() -> None:
    facts = _facts({
        "package.json": '{"dependencies": {"express": "^4.17.1"}}',
        "yarn.lock": YARN_CLASSIC,
        "svc/pyproject.toml": '[tool.poetry.dependencies]\nfastapi = "^0.95"\n',
        "svc/poetry.lock": POETRY_LOCK,
    })
    express = facts.dependency("express")
    assert express is not None and express.version == "4.17.1" and express.path == "package.json"
    assert facts.dependency("fastapi").version == "0.95.1"
    # transitive packages from lock files are not declared dependencies
    assert not facts.has_dependency("@babel/core") and not facts.has_dependency("pydantic")
    assert facts.dependency("@babel/core") is None


def test_nearest_lock_file_wins() -> None:
    facts = _facts({
        "poetry.lock": '[[package]]\nname = "fastapi"\nversion = "0.60.0"\n',
        "svc/poetry.lock": POETRY_LOCK,
        "svc/pyproject.toml": '[tool.poetry.dependencies]\nfastapi = "*"\n',
    })
    assert facts.dependency("fastapi").version == "0.95.1"


def test_pinned_version_is_kept() -> None:
    facts = _facts({"requirements.txt": "django==3.2.1\n", "Pipfile.lock": '{"default": {"django": {"version": "==4.0.0"}}}'})
    assert facts.dependency("django").version == "3.2.1"


def test_requirement_names_starting_with_http_are_read() -> None:
    """httpx and httplib2 are packages, not URLs."""
    deps = read_manifest("requirements.txt", "httpx==0.27.0\nhttplib2\nhttps://example.invalid/pkg.whl\n")
    assert [d.name for d in deps] == ["httpx", "httplib2"]


DOCKERFILE = """\
ARG PYTHON_VERSION=3.12
FROM --platform=linux/amd64 python:3.8.10-slim AS base
FROM docker.io/library/node:18-alpine AS build
FROM python:${PYTHON_VERSION}
FROM node:lts
FROM mcr.microsoft.com/dotnet/aspnet:8.0
FROM eclipse-temurin:21-jre
FROM golang:1.19@sha256:abc
FROM nginx:1.27
"""


def test_dockerfile_runtime_images() -> None:
    deps = read_manifest("Dockerfile", DOCKERFILE)
    assert [(d.name, d.spec, d.version, d.line, d.dev) for d in deps] == [
        ("python", "3.8.10", "3.8.10", 1, False),
        ("node", "18", None, 2, True),
        ("dotnet", "8.0", None, 5, False),
        ("java", "21", None, 6, False),
        ("go", "1.19", None, 7, False),
    ]
    assert all(d.ecosystem == "docker" and not d.locked for d in deps)
    assert is_manifest("docker/production.Dockerfile") and is_manifest("Dockerfile.prod")


def test_dockerfile_runtime_is_judged_by_outdated_rules() -> None:
    from backend_audit.rules.compiler import load_pack

    pack = load_pack()
    analyzer = Analyzer(Path("."), Config(select=["FWK012"]), pack)
    results = [analyzer.analyze_file(Document("Dockerfile", "FROM python:3.8-slim\nCOPY . /app\n"))]
    _, findings = analyzer.project(results)
    assert [(f.rule, f.path, f.range.start.line) for f in findings] == [("FWK012", "Dockerfile", 0)]
