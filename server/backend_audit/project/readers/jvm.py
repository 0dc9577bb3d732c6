"""JVM manifests: Maven's ``pom.xml`` and Gradle's ``build.gradle`` / ``build.gradle.kts``.

Dependency names are Maven coordinates without the version, ``groupId:artifactId``
(``org.springframework.boot:spring-boot-starter-web``); Gradle plugins are named by their plugin
id (``org.springframework.boot``). The Java language level becomes a pseudo-dependency named
``java`` (spec as written, version normalised so ``1.8`` reads ``8``), so that version rules
treat the runtime like any other dependency.

Nothing is executed and no other file is read (a reader is pure over one file's text):

* ``pom.xml`` is parsed with the standard library's expat binding (the parser under
  xml.etree), because ElementTree keeps no line numbers and a finding about a dependency must be
  shown on the line that declares it. Namespaces are stripped from tag names, so POMs with and
  without ``xmlns="http://maven.apache.org/POM/4.0.0"`` read the same. ``${property}``
  references are resolved from ``<properties>``, ``project.version`` and
  ``project.parent.version``. A ``spring-boot-starter-parent`` (or an imported
  ``spring-boot-dependencies`` BOM) gives the resolved version of the versionless
  ``org.springframework.boot`` artifacts it manages.
* Gradle build scripts are programs, so they are read by line scanning of the declarative
  shapes almost every build uses: ``plugins { id("x") version "v" }``, dependency
  configurations with ``"g:a:v"`` strings or ``group:/name:/version:`` maps, simple
  ``name = "value"`` variables for ``$name`` interpolation, and the Java level from
  ``sourceCompatibility``, ``JavaVersion.VERSION_x``, ``JavaLanguageVersion.of(x)`` and
  ``jvmToolchain(x)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from ..manifests import Dependency, register_reader
from ..xmltree import XmlElement, parse_xml

ECOSYSTEM = "maven"
JAVA = "java"
"""The pseudo-dependency that carries the Java language level."""
JAVA_ECOSYSTEM = "maven"

SPRING_BOOT_GROUP = "org.springframework.boot"
_BOOT_MANAGERS = {
    "org.springframework.boot:spring-boot-starter-parent",
    "org.springframework.boot:spring-boot-dependencies",
    "org.springframework.boot:spring-boot-gradle-plugin",
    "org.springframework.boot",
}
_TEST_SCOPES = {"test"}


def java_version(spec: str) -> str | None:
    """``1.8`` -> ``8``, ``11`` -> ``11``, ``17.0.2`` -> ``17``; None when it names no version."""
    m = re.match(r"^\s*(?:1\.)?(\d+)", spec or "")
    if not m:
        return None
    major = int(m.group(1))
    return str(major) if 1 <= major <= 99 else None


def _clean_version(spec: str) -> str | None:
    m = re.match(r"^\s*v?(\d+(?:\.\d+){0,3})", spec or "")
    return m.group(1) if m else None


# -- Maven ---------------------------------------------------------------------------------------


_PROPERTY_REF = re.compile(r"\$\{([^}]+)\}")


def _resolver(properties: dict[str, str]) -> Callable[[str], str]:
    def resolve(value: str) -> str:
        for _ in range(5):  # properties may refer to properties; stop on cycles
            new = _PROPERTY_REF.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
            if new == value:
                break
            value = new
        return value

    return resolve


def read_pom(path: str, text: str) -> list[Dependency]:
    root = parse_xml(text)
    if root is None or root.tag != "project":
        return []
    properties: dict[str, str] = {}
    props = root.child("properties")
    if props is not None:
        properties.update({c.tag: c.text.strip() for c in props.children})
    parent = root.child("parent")
    if parent is not None and parent.value("version"):
        properties.setdefault("project.parent.version", parent.value("version"))
        properties.setdefault("parent.version", parent.value("version"))
    version = root.value("version") or (parent.value("version") if parent is not None else "")
    if version:
        properties.setdefault("project.version", version)
        properties.setdefault("version", version)
    resolve = _resolver(properties)

    deps: list[Dependency] = []
    boot_version: str | None = None

    def coordinate(el: XmlElement, default_group: str = "") -> tuple[str, str, int] | None:
        group = resolve(el.value("groupId")) or default_group
        artifact = resolve(el.value("artifactId"))
        if not group or not artifact:
            return None
        v_el = el.child("version")
        line = v_el.line if v_el is not None else (el.child("artifactId") or el).line
        return f"{group}:{artifact}".lower(), resolve(el.value("version")), line

    if parent is not None:
        found = coordinate(parent)
        if found:
            name, spec, line = found
            deps.append(Dependency(ECOSYSTEM, name, spec, path, line, False, _clean_version(spec)))
            if name in _BOOT_MANAGERS:
                boot_version = _clean_version(spec)

    for dep_el in root.all("dependencyManagement", "dependencies", "dependency"):
        if dep_el.value("scope") != "import":
            continue  # managed versions declare nothing; imported BOMs name the platform
        found = coordinate(dep_el)
        if found:
            name, spec, line = found
            deps.append(Dependency(ECOSYSTEM, name, spec, path, line, False, _clean_version(spec)))
            if name in _BOOT_MANAGERS:
                boot_version = boot_version or _clean_version(spec)

    for dep_el in root.all("dependencies", "dependency"):
        found = coordinate(dep_el)
        if not found:
            continue
        name, spec, line = found
        resolved = _clean_version(spec)
        if resolved is None and not spec and name.startswith(SPRING_BOOT_GROUP + ":"):
            resolved = boot_version
        dev = dep_el.value("scope") in _TEST_SCOPES
        deps.append(Dependency(ECOSYSTEM, name, spec, path, line, dev, resolved))

    compiler_level: tuple[str, int] | None = None
    for plugin in root.all("build", "plugins", "plugin") + root.all("build", "pluginManagement", "plugins", "plugin"):
        found = coordinate(plugin, default_group="org.apache.maven.plugins")
        if not found:
            continue
        name, spec, line = found
        resolved = _clean_version(spec)
        if resolved is None and not spec and name.startswith(SPRING_BOOT_GROUP + ":"):
            resolved = boot_version
        deps.append(Dependency(ECOSYSTEM, name, spec, path, line, True, resolved))
        if name == "org.apache.maven.plugins:maven-compiler-plugin":
            conf = plugin.child("configuration")
            if conf is not None:
                for key in ("release", "source"):
                    el = conf.child(key)
                    if el is not None and el.text.strip():
                        compiler_level = (resolve(el.text.strip()), el.line)
                        break

    java = _pom_java_level(props, resolve) or compiler_level
    if java is not None:
        spec, line = java
        deps.append(Dependency(JAVA_ECOSYSTEM, JAVA, spec, path, line, False, java_version(spec)))
    return deps


_JAVA_PROPERTIES = ("java.version", "maven.compiler.release", "maven.compiler.source", "maven.compiler.target")


def _pom_java_level(props: XmlElement | None, resolve: Callable[[str], str]) -> tuple[str, int] | None:
    if props is None:
        return None
    for key in _JAVA_PROPERTIES:
        el = props.child(key)
        if el is not None and el.text.strip():
            return resolve(el.text.strip()), el.line
    return None


# -- Gradle --------------------------------------------------------------------------------------

_CONFIGURATIONS = (
    "implementation|api|compile|compileOnly|compileOnlyApi|runtime|runtimeOnly|annotationProcessor|kapt|ksp"
    "|developmentOnly|testImplementation|testCompile|testCompileOnly|testRuntimeOnly|testRuntime"
    "|testAnnotationProcessor|integrationTestImplementation|classpath|platform|enforcedPlatform"
)
_CONFIG_AT_START = re.compile(rf"^\s*({_CONFIGURATIONS}|\w+)\b\s*[\s(]")
_COORDINATE = re.compile(r"""["']([A-Za-z0-9_.\-]+):([A-Za-z0-9_.\-]+)(?::([^"':@\s]+))?(?::[A-Za-z0-9_.\-]+)?(?:@\w+)?["']""")
_MAP_NOTATION = re.compile(
    r"""group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["'](?:\s*,\s*version\s*[:=]\s*["']([^"']+)["'])?"""
)
_PLUGIN = re.compile(r"""^\s*id\s*\(?\s*["']([A-Za-z0-9_.\-]+)["']\s*\)?\s*(?:version\s*\(?\s*["']([^"']+)["'])?""")
_KOTLIN_PLUGIN = re.compile(r"""^\s*kotlin\s*\(\s*["']([\w.\-]+)["']\s*\)\s*(?:version\s*\(?\s*["']([^"']+)["'])?""")
_VARIABLE = re.compile(r"""^\s*(?:val\s+|def\s+|ext\.|set\(\s*["']|extra\[["'])?([A-Za-z_][\w.]*)["']?\]?\s*(?:=|,)\s*["']([^"'$]+)["']""")
_JAVA_LEVEL = (  # first listed wins: a toolchain decides over the compatibility flags
    re.compile(r"""languageVersion(?:\.set\(|\s*=)\s*JavaLanguageVersion\.of\(\s*["']?(\d+)"""),
    re.compile(r"""\bjvmToolchain\(\s*(\d+)"""),
    re.compile(r"""^\s*(?:java\.)?sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_([\d_]+)|["']?([\d.]+)["']?)"""),
    re.compile(r"""^\s*(?:options\.)?release\s*(?:=|\.set\()\s*(\d+)"""),
    re.compile(r"""^\s*(?:java\.)?targetCompatibility\s*=\s*(?:JavaVersion\.VERSION_([\d_]+)|["']?([\d.]+)["']?)"""),
)


def _strip_comment(line: str) -> str:
    """Drop a trailing ``//`` comment that is not inside a string (URLs in strings survive)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif line.startswith("//", i):
            return line[:i]
    return line


def read_gradle(path: str, text: str) -> list[Dependency]:
    lines = text.splitlines()
    variables: dict[str, str] = {}
    for raw in lines:
        m = _VARIABLE.match(_strip_comment(raw))
        if m:
            variables[m.group(1).removeprefix("ext.")] = m.group(2)

    def interpolate(value: str) -> str:
        return re.sub(
            r"\$\{?([A-Za-z_][\w.]*)\}?",
            lambda m: variables.get(m.group(1), variables.get(m.group(1).rsplit(".", 1)[-1], m.group(0))),
            value,
        )

    deps: list[Dependency] = []
    boot_version: str | None = None
    java_level: tuple[int, str, int] | None = None  # (priority, spec, line)
    in_plugins = False
    block_depth = 0
    depth = 0
    in_comment = False
    previous_config: str | None = None
    dependencies_depth: int | None = None

    for lineno, raw in enumerate(lines):
        line = raw
        if in_comment:
            end = line.find("*/")
            if end < 0:
                continue
            line = line[end + 2 :]
            in_comment = False
        while "/*" in line:
            start = line.find("/*")
            end = line.find("*/", start + 2)
            if end < 0:
                line = line[:start]
                in_comment = True
                break
            line = line[:start] + line[end + 2 :]
        line = _strip_comment(line)
        stripped = line.strip()

        if re.match(r"^plugins\s*\{", stripped):
            in_plugins, block_depth = True, depth
        if re.match(r"^dependencies\s*\{", stripped) and dependencies_depth is None:
            dependencies_depth = depth

        if in_plugins:
            m = _PLUGIN.match(line) or _KOTLIN_PLUGIN.match(line)
            if m:
                plugin = m.group(1) if not line.lstrip().startswith("kotlin") else f"org.jetbrains.kotlin.{m.group(1)}"
                if "." not in plugin:
                    plugin = f"org.gradle.{plugin}"  # core plugins (java, jacoco) by their qualified id
                spec = interpolate(m.group(2) or "")
                dev = plugin not in _BOOT_MANAGERS
                deps.append(Dependency(ECOSYSTEM, plugin.lower(), spec, path, lineno, dev, _clean_version(spec)))
                if plugin in _BOOT_MANAGERS:
                    boot_version = _clean_version(spec)
        elif dependencies_depth is not None:
            start = _CONFIG_AT_START.match(line)
            config = start.group(1) if start else (previous_config if previous_config else None)
            found = False
            for m in _COORDINATE.finditer(line):
                group, artifact, version = m.group(1), m.group(2), interpolate(m.group(3) or "")
                deps.append(_gradle_dep(path, lineno, group, artifact, version, config))
                found = True
            m = _MAP_NOTATION.search(line)
            if m and not found:
                deps.append(_gradle_dep(path, lineno, m.group(1), m.group(2), interpolate(m.group(3) or ""), config))
                found = True
            previous_config = config if found and stripped.endswith(",") else None

        for priority, pattern in enumerate(_JAVA_LEVEL):
            m = pattern.search(line)
            if m:
                spec = next(g for g in m.groups() if g)
                spec = spec.replace("_", ".")
                if java_level is None or priority < java_level[0]:
                    java_level = (priority, spec, lineno)
                break

        depth += line.count("{") - line.count("}")
        if in_plugins and depth <= block_depth:
            in_plugins = False
        if dependencies_depth is not None and depth <= dependencies_depth:
            dependencies_depth = None

    for i, dep in enumerate(deps):
        if not dep.version and not dep.spec and dep.name.startswith(SPRING_BOOT_GROUP + ":") and boot_version:
            deps[i] = attrs.evolve(dep, version=boot_version)
        elif dep.name in _BOOT_MANAGERS and dep.version and boot_version is None:
            boot_version = dep.version
    if boot_version:
        deps = [
            attrs.evolve(d, version=boot_version)
            if not d.version and not d.spec and d.name.startswith(SPRING_BOOT_GROUP + ":")
            else d
            for d in deps
        ]
    if java_level is not None:
        _, spec, line = java_level
        deps.append(Dependency(JAVA_ECOSYSTEM, JAVA, spec, path, line, False, java_version(spec)))
    return deps


def _gradle_dep(path: str, line: int, group: str, artifact: str, version: str, config: str | None) -> Dependency:
    dev = bool(config and re.match(r"^(test|integrationTest|checkstyle|pmd|spotbugs|jacoco)", config))
    return Dependency(ECOSYSTEM, f"{group}:{artifact}".lower(), version, path, line, dev, _clean_version(version))


register_reader(r"^pom\.xml$", read_pom)
register_reader(r"^build\.gradle(\.kts)?$", read_gradle)
