"""The .NET (``*.csproj``, ``Directory.Packages.props``) and Ruby (``Gemfile``, ``Gemfile.lock``,
``.ruby-version``) manifest readers: names, specs, resolved versions, the ``dotnet``/``ruby``
pseudo-dependencies, dev groups, lock records and the 0-based declaring lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from backend_audit.engine.scan import scan
from backend_audit.project.manifests import Dependency, is_manifest, read_manifest

WORKSPACES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


def deps_of(path: str, text: str) -> dict[str, Dependency]:
    return {d.name: d for d in read_manifest(path, textwrap.dedent(text))}


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(textwrap.dedent(text).splitlines()):
        if needle in line:
            return i
    raise AssertionError(needle)


CSPROJ = """\
    <?xml version="1.0" encoding="utf-8"?>
    <Project Sdk="Microsoft.NET.Sdk.Web">
      <PropertyGroup>
        <TargetFrameworks>net6.0;net8.0</TargetFrameworks>
        <SerilogVersion>8.0.1</SerilogVersion>
      </PropertyGroup>
      <ItemGroup>
        <PackageReference Include="Serilog.AspNetCore" Version="$(SerilogVersion)" />
        <PackageReference Include="Polly">
          <Version>8.2.0</Version>
        </PackageReference>
        <PackageReference Include="Swashbuckle.AspNetCore" />
        <PackageReference Include="Npgsql" Version="[8.0.0, 9.0)" />
      </ItemGroup>
    </Project>
    """


def test_csproj_packages_versions_and_lines() -> None:
    deps = deps_of("src/Api/Api.csproj", CSPROJ)
    serilog = deps["serilog.aspnetcore"]
    assert (serilog.ecosystem, serilog.spec, serilog.version) == ("nuget", "8.0.1", "8.0.1")
    assert serilog.line == line_of(CSPROJ, "Serilog.AspNetCore")
    assert deps["polly"].version == "8.2.0"
    assert deps["polly"].line == line_of(CSPROJ, 'Include="Polly"')
    assert deps["swashbuckle.aspnetcore"].version is None  # central package management supplies it
    assert deps["npgsql"].version == "8.0.0"
    assert not any(d.dev or d.locked for d in deps.values())


def test_csproj_target_framework_and_aspnetcore() -> None:
    deps = deps_of("src/Api/Api.csproj", CSPROJ)
    dotnet = deps["dotnet"]
    assert (dotnet.spec, dotnet.version) == ("net6.0;net8.0", "8.0")  # the newest target
    assert dotnet.line == line_of(CSPROJ, "<TargetFrameworks>")
    web = deps["microsoft.aspnetcore.app"]
    assert web.version == "8.0" and web.line == line_of(CSPROJ, "<Project Sdk")


@pytest.mark.parametrize(
    ("tfm", "name", "version"),
    [
        ("netcoreapp3.1", "dotnet", "3.1"),
        ("net9.0-windows", "dotnet", "9.0"),
        ("net48", "dotnetframework", "4.8"),
    ],
)
def test_target_framework_monikers(tfm: str, name: str, version: str) -> None:
    text = f'<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>{tfm}</TargetFramework></PropertyGroup></Project>'
    deps = deps_of("Lib.csproj", text)
    assert deps[name].version == version
    assert "microsoft.aspnetcore.app" not in deps  # not a web SDK project


def test_netstandard_library_has_no_runtime() -> None:
    text = '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>netstandard2.0</TargetFramework></PropertyGroup></Project>'
    assert read_manifest("Lib.csproj", text) == []


def test_framework_reference_marks_aspnetcore() -> None:
    text = """\
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
          <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup>
        </Project>
        """
    deps = deps_of("Web.csproj", text)
    assert deps["microsoft.aspnetcore.app"].line == line_of(text, "FrameworkReference")


def test_test_project_is_dev() -> None:
    text = """\
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.10.0" />
            <PackageReference Include="xunit" Version="2.8.0" />
          </ItemGroup>
        </Project>
        """
    assert all(d.dev for d in read_manifest("tests/Api.Tests/Api.Tests.csproj", textwrap.dedent(text)))


def test_directory_packages_props_are_lock_records() -> None:
    text = """\
        <Project>
          <ItemGroup>
            <PackageVersion Include="Swashbuckle.AspNetCore" Version="6.5.0" />
            <PackageVersion Include="Polly" Version="8.4.0" />
          </ItemGroup>
        </Project>
        """
    deps = deps_of("Directory.Packages.props", text)
    assert deps["swashbuckle.aspnetcore"].locked and deps["swashbuckle.aspnetcore"].version == "6.5.0"
    assert deps["polly"].line == line_of(text, '"Polly"')


def test_central_versions_resolve_project_references(tmp_path: Path) -> None:
    (tmp_path / "src" / "Api").mkdir(parents=True)
    (tmp_path / "Directory.Packages.props").write_text(
        '<Project><ItemGroup><PackageVersion Include="Swashbuckle.AspNetCore" Version="6.5.0" /></ItemGroup></Project>\n'
    )
    (tmp_path / "src" / "Api" / "Api.csproj").write_text(
        '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>'
        '<ItemGroup><PackageReference Include="Swashbuckle.AspNetCore" /></ItemGroup></Project>\n'
    )
    result = scan(tmp_path)
    dep = result.facts.dependency("swashbuckle.aspnetcore")
    assert dep is not None and dep.path == "src/Api/Api.csproj" and dep.version == "6.5.0"
    assert all(d.path != "Directory.Packages.props" for d in result.facts.dependencies)


GEMFILE = """\
    source "https://rubygems.org"
    git_source(:github) { |repo| "https://github.com/#{repo}.git" }

    ruby "3.1.4"

    gem "rails", "~> 7.0.8"
    gem "pg", ">= 1.1", "< 2.0"
    gem "bootsnap", require: false
    gem "nokogiri", "1.16.2"
    gem "factory_bot_rails", group: :test

    platforms :mri do
      gem "byebug"
    end

    group :development, :test do
      gem "rspec-rails", "~> 6.1"  # specs
    end

    group :production do
      gem "lograge"
    end
    """


def test_gemfile_gems_specs_and_lines() -> None:
    deps = deps_of("Gemfile", GEMFILE)
    assert deps["rails"].spec == "~> 7.0.8" and deps["rails"].version is None
    assert deps["rails"].line == line_of(GEMFILE, 'gem "rails"')
    assert deps["pg"].spec == ">= 1.1, < 2.0"
    assert deps["bootsnap"].spec == ""
    assert deps["nokogiri"].version == "1.16.2"
    assert {d.ecosystem for d in deps.values()} == {"rubygems"}


def test_gemfile_groups() -> None:
    deps = deps_of("Gemfile", GEMFILE)
    assert deps["factory_bot_rails"].dev and deps["rspec-rails"].dev
    assert not deps["byebug"].dev and not deps["lograge"].dev and not deps["rails"].dev


def test_gemfile_ruby_directive() -> None:
    ruby = deps_of("Gemfile", GEMFILE)["ruby"]
    assert (ruby.spec, ruby.version, ruby.line) == ("3.1.4", "3.1.4", line_of(GEMFILE, 'ruby "3.1.4"'))


def test_gemfile_lock_records() -> None:
    text = (WORKSPACES / "rails-blog" / "Gemfile.lock").read_text()
    deps = {d.name: d for d in read_manifest("Gemfile.lock", text)}
    assert all(d.locked for d in deps.values())
    assert deps["rails"].version == "6.1.7.6" and deps["rails"].line == 73  # 0-based
    assert deps["nokogiri"].version == "1.15.4"  # platform suffix dropped
    assert deps["ruby"].version == "2.7.8"
    assert "bundler" not in deps  # a requirement of rails, not a spec entry


def test_ruby_version_file() -> None:
    (dep,) = read_manifest(".ruby-version", "ruby-3.2.2\n")
    assert (dep.name, dep.version) == ("ruby", "3.2.2")


def test_manifests_are_recognised() -> None:
    for path in (
        "Api.csproj",
        "src/Lib/Lib.fsproj",
        "Directory.Packages.props",
        "Gemfile",
        "Gemfile.lock",
        ".ruby-version",
    ):
        assert is_manifest(path), path
    assert not is_manifest("Directory.Build.targets")


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("Api.csproj", "<Project><ItemGroup><PackageReference Include="),
        ("Api.csproj", "\x00\x01not xml at all"),
        ("Api.csproj", "<Other><PackageReference Include='x' Version='1' /></Other>"),
        ("Directory.Packages.props", "<<<"),
        ("Gemfile", "gem(\ngroup :test do\nend\nend\nend\n"),
        ("Gemfile.lock", "GEM\n    broken (\n  specs:\n"),
        (".ruby-version", "\n\n"),
    ],
)
def test_garbage_never_raises(path: str, text: str) -> None:
    assert isinstance(read_manifest(path, text), list)


@pytest.mark.parametrize("props", ["Directory.Build.props", "Directory.Packages.props"])
def test_shared_target_framework(tmp_path: Path, props: str) -> None:
    """A target framework set once for the solution is the runtime of the web projects below."""
    (tmp_path / "src" / "Web").mkdir(parents=True)
    (tmp_path / props).write_text(
        "<Project>\n  <PropertyGroup>\n    <TargetFramework>net6.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n"
    )
    (tmp_path / "src" / "Web" / "Web.csproj").write_text(
        '<Project Sdk="Microsoft.NET.Sdk.Web">\n</Project>\n'
    )
    result = scan(tmp_path)
    runtime = result.facts.dependency("dotnet")
    assert runtime is not None and (runtime.path, runtime.line, runtime.version) == (props, 2, "6.0")
    web = result.facts.dependency("microsoft.aspnetcore.app")
    assert web is not None and (web.path, web.version) == ("src/Web/Web.csproj", "6.0")
    assert [(f.path, f.range.start.line) for f in result.findings if f.rule == "FWK504"] == [(props, 2)]
