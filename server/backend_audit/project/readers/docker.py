"""Runtime versions from container images: ``FROM python:3.8-slim`` declares a Python 3.8
runtime, ``FROM node:18-alpine`` a Node 18 one, and so on for Go, Java, Ruby and .NET.

Many services pin their runtime only in the Dockerfile, so without this the ``outdated`` rules
would not see it. Each ``FROM`` of a known official image becomes a ``Dependency`` of ecosystem
``docker`` named after the runtime (``python``, ``node``, ``go``, ``java``, ``ruby``,
``dotnet``), on the ``FROM`` line. Build-argument tags (``python:${VERSION}``) and aliases
(``node:lts``) say nothing about the version and are skipped. Nothing is pulled or run.
"""

from __future__ import annotations

import re

from ..manifests import Dependency, register_reader

_IMAGES: dict[str, str] = {
    "python": "python",
    "pypy": "python",
    "node": "node",
    "golang": "go",
    "openjdk": "java",
    "eclipse-temurin": "java",
    "amazoncorretto": "java",
    "ibm-semeru-runtimes": "java",
    "azul/zulu-openjdk": "java",
    "ruby": "ruby",
    "dotnet/aspnet": "dotnet",
    "dotnet/runtime": "dotnet",
    "dotnet/sdk": "dotnet",
}

_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I)
_REGISTRY = re.compile(r"^(?:docker\.io/|index\.docker\.io/|public\.ecr\.aws/docker/|mcr\.microsoft\.com/|registry\.hub\.docker\.com/)?(?:library/)?")


def read_dockerfile(path: str, text: str) -> list[Dependency]:
    deps: list[Dependency] = []
    for lineno, line in enumerate(text.splitlines()):
        m = _FROM.match(line)
        if not m:
            continue
        image = _REGISTRY.sub("", m.group(1).split("@", 1)[0], count=1)
        name, _, tag = image.partition(":")
        runtime = _IMAGES.get(name.lower())
        if runtime is None or not tag:
            continue
        v = re.match(r"^v?(\d+(?:\.\d+){0,2})(?![\d.])", tag)
        if not v:
            continue  # latest, lts, ${ARG}, alpine…
        version = v.group(1)
        stage = (m.group(2) or "").lower()
        dev = stage in ("build", "builder", "deps", "compile", "test", "development", "dev")
        exact = version if version.count(".") == 2 else None
        deps.append(Dependency("docker", runtime, version, path, lineno, dev, exact))
    return deps


register_reader(r"^(Dockerfile|Containerfile)(\.[\w.\-]+)?$|^[\w.\-]+\.[Dd]ockerfile$", read_dockerfile)
