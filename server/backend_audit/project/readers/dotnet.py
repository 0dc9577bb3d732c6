""".NET manifests: SDK-style project files (``*.csproj``, ``*.fsproj``, ``*.vbproj``) and
central package management (``Directory.Packages.props``).

The shapes read::

    <Project Sdk="Microsoft.NET.Sdk.Web">
      <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
      <ItemGroup>
        <PackageReference Include="Serilog.AspNetCore" Version="8.0.1" />
        <PackageReference Include="Polly"><Version>8.2.0</Version></PackageReference>
        <PackageReference Include="Swashbuckle.AspNetCore" />      <!-- central version -->
        <FrameworkReference Include="Microsoft.AspNetCore.App" />
      </ItemGroup>
    </Project>

    <Project><ItemGroup><PackageVersion Include="Serilog" Version="3.1.1" /></ItemGroup></Project>

Package ids are NuGet ids, lower-cased (NuGet ids are case-insensitive). The target framework
becomes a pseudo-dependency named ``dotnet`` (``net8.0`` -> spec ``net8.0``, version ``8.0``;
``netcoreapp3.1`` -> ``3.1``); with ``<TargetFrameworks>`` the newest .NET target is taken,
because that is the one an application runs on. .NET Framework targets (``net48``) become
``dotnetframework`` and ``netstandard`` targets (libraries only) are left out, so that .NET
version rules never compare them with .NET 5+. A web SDK project (``Microsoft.NET.Sdk.Web``) or a
``FrameworkReference`` to ``Microsoft.AspNetCore.App`` becomes ``microsoft.aspnetcore.app`` with
the target framework's version: ASP.NET Core ships with the runtime.

``Directory.Build.props`` may set the target framework for every project below it: it declares
``dotnet`` there, and a web project without a ``<TargetFramework>`` of its own declares
``microsoft.aspnetcore.app`` without a version, which the props file's lock record resolves.

``Directory.Packages.props`` records are ``locked``: they pin versions for the project files in
their folder and below (exactly how `ProjectFacts.merge` resolves lock records) and declare
nothing themselves.

Lines come from expat (the parser under xml.etree), which reports the line of each start tag;
ElementTree itself keeps none. ``$(Property)`` references are resolved from the file's own
``<PropertyGroup>`` elements; nothing else is read and nothing is executed.
"""

from __future__ import annotations

import re

from ..manifests import Dependency, register_reader
from ..xmltree import XmlElement, parse_xml

ECOSYSTEM = "nuget"
DOTNET = "dotnet"
"""The pseudo-dependency that carries the target framework (.NET 5+ and .NET Core)."""
DOTNET_FRAMEWORK = "dotnetframework"
ASPNETCORE = "microsoft.aspnetcore.app"
_TEST_PACKAGES = {"microsoft.net.test.sdk", "xunit", "nunit", "mstest.testframework"}


_PROPERTY_REF = re.compile(r"\$\(([A-Za-z_][\w.]*)\)")


def _properties(root: XmlElement) -> dict[str, str]:
    props: dict[str, str] = {}
    for group in root.children:
        if group.tag == "PropertyGroup":
            for c in group.children:
                props.setdefault(c.tag.lower(), c.text.strip())
    return props


def _resolve(value: str, props: dict[str, str]) -> str:
    for _ in range(5):
        new = _PROPERTY_REF.sub(lambda m: props.get(m.group(1).lower(), m.group(0)), value)
        if new == value:
            break
        value = new
    return value


def package_version(spec: str) -> str | None:
    """``8.0.1`` -> ``8.0.1``; ``[6.0.0, 7.0)`` -> ``6.0.0``; ``8.*`` -> ``8``; else None."""
    m = re.match(r"^\s*[\[(]?\s*v?(\d+(?:\.\d+){0,3})", spec or "")
    return m.group(1) if m else None


def target_framework(moniker: str) -> tuple[str, str] | None:
    """``net8.0`` -> (dotnet, 8.0); ``netcoreapp3.1`` -> (dotnet, 3.1); ``net48`` ->
    (dotnetframework, 4.8); ``net8.0-windows`` -> (dotnet, 8.0); ``netstandard2.0`` -> None."""
    tfm = moniker.strip().lower()
    m = re.match(r"^netcoreapp(\d+\.\d+)", tfm)
    if m:
        return DOTNET, m.group(1)
    m = re.match(r"^net(\d+\.\d+)", tfm)
    if m:
        return DOTNET, m.group(1)
    m = re.match(r"^net(\d)(\d)(\d?)$", tfm)
    if m:
        return DOTNET_FRAMEWORK, ".".join(g for g in m.groups() if g)
    return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def read_project(path: str, text: str) -> list[Dependency]:
    root = parse_xml(text)
    if root is None or root.tag != "Project":
        return []
    props = _properties(root)
    packages: list[tuple[str, str, int]] = []
    aspnet_line: int | None = None
    for node in root.walk():
        if node.tag == "PackageReference" and node.attr("Include"):
            version = node.attr("Version") or node.attr("VersionOverride") or node.child_text("Version")
            packages.append((node.attr("Include"), _resolve(version, props), node.line))
        elif node.tag == "FrameworkReference" and node.attr("Include").lower() == ASPNETCORE:
            aspnet_line = node.line
    names = {name.lower() for name, _, _ in packages}
    base = path.rsplit("/", 1)[-1].lower()
    dev = (
        bool(names & _TEST_PACKAGES)
        or props.get("istestproject", "").lower() == "true"
        or bool(re.search(r"\.(unit|integration|functional)?tests?\.\w+proj$", base))
    )
    deps = [
        Dependency(ECOSYSTEM, name.lower(), version, path, line, dev, package_version(version))
        for name, version, line in packages
    ]
    tfm = _target(root, props)
    sdk = root.attr("Sdk").lower()
    web = sdk.startswith("microsoft.net.sdk.web") or aspnet_line is not None
    if tfm is not None:
        name, version, spec, line = tfm
        deps.append(Dependency(ECOSYSTEM, name, spec, path, line, dev, version))
        if name == DOTNET and web:
            web_line = aspnet_line if aspnet_line is not None else root.line
            deps.append(Dependency(ECOSYSTEM, ASPNETCORE, version, path, web_line, dev, version))
    elif web:
        # the target framework comes from a Directory.Build.props above (its lock record
        # resolves the version)
        deps.append(
            Dependency(
                ECOSYSTEM, ASPNETCORE, "", path, aspnet_line if aspnet_line is not None else root.line, dev
            )
        )
    return deps


def _target(root: XmlElement, props: dict[str, str]) -> tuple[str, str, str, int] | None:
    """(name, version, spec, line) of the project's target framework, the newest .NET one when
    it names several; None without a (recognised) target framework."""
    node = next(
        (
            c
            for g in root.children
            if g.tag == "PropertyGroup"
            for c in g.children
            if c.tag in ("TargetFramework", "TargetFrameworks")
        ),
        None,
    )
    if node is None:
        return None
    spec = _resolve(node.text, props).strip()
    targets = [t for t in (target_framework(m) for m in spec.split(";")) if t]
    modern = [t for t in targets if t[0] == DOTNET]
    chosen = max(modern, key=lambda t: _version_key(t[1])) if modern else (targets[0] if targets else None)
    return (chosen[0], chosen[1], spec, node.line) if chosen is not None else None


def read_build_props(path: str, text: str) -> list[Dependency]:
    """``Directory.Build.props``: the target framework shared by the projects below it. It is a
    declaration (``dotnet``), and a lock record for ``microsoft.aspnetcore.app`` so that web
    projects without their own ``<TargetFramework>`` get its version."""
    root = parse_xml(text)
    if root is None or root.tag != "Project":
        return []
    return _shared_target(path, root, _properties(root))


def _shared_target(path: str, root: XmlElement, props: dict[str, str]) -> list[Dependency]:
    tfm = _target(root, props)
    if tfm is None:
        return []
    name, version, spec, line = tfm
    deps = [Dependency(ECOSYSTEM, name, spec, path, line, False, version)]
    if name == DOTNET:
        deps.append(Dependency(ECOSYSTEM, ASPNETCORE, version, path, line, False, version, locked=True))
    return deps


def read_central_packages(path: str, text: str) -> list[Dependency]:
    root = parse_xml(text)
    if root is None or root.tag != "Project":
        return []
    props = _properties(root)
    deps = _shared_target(path, root, props)  # some solutions set the target framework here too
    for node in root.walk():
        if node.tag == "PackageVersion" and node.attr("Include"):
            version = _resolve(node.attr("Version") or node.child_text("Version"), props)
            deps.append(
                Dependency(
                    ECOSYSTEM,
                    node.attr("Include").lower(),
                    version,
                    path,
                    node.line,
                    False,
                    package_version(version),
                    locked=True,
                )
            )
    return deps


register_reader(r"^.+\.(csproj|fsproj|vbproj)$", read_project)
register_reader(r"^Directory\.Packages\.props$", read_central_packages)
register_reader(r"^Directory\.Build\.props$", read_build_props)
