"""The JVM (pom.xml, build.gradle[.kts]) and Go (go.mod) manifest readers: names, specs,
resolved versions, the `java`/`go` pseudo-dependencies and the 0-based declaring lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from backend_audit.project.manifests import Dependency, is_manifest, read_manifest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def deps_of(path: str, text: str) -> dict[str, Dependency]:
    found = read_manifest(path, textwrap.dedent(text))
    return {d.name: d for d in found}


def line_of(text: str, needle: str) -> int:
    """0-based line of the first line containing needle (in the dedented text)."""
    for i, line in enumerate(textwrap.dedent(text).splitlines()):
        if needle in line:
            return i
    raise AssertionError(needle)


POM = """\
    <?xml version="1.0" encoding="UTF-8"?>
    <project xmlns="http://maven.apache.org/POM/4.0.0">
        <modelVersion>4.0.0</modelVersion>
        <parent>
            <groupId>org.springframework.boot</groupId>
            <artifactId>spring-boot-starter-parent</artifactId>
            <version>2.7.14</version>
        </parent>
        <artifactId>orders</artifactId>
        <version>1.4.0</version>
        <properties>
            <java.version>1.8</java.version>
            <resilience4j.version>2.1.0</resilience4j.version>
            <r4j>${resilience4j.version}</r4j>
        </properties>
        <dependencyManagement>
            <dependencies>
                <dependency>
                    <groupId>org.springframework.cloud</groupId>
                    <artifactId>spring-cloud-dependencies</artifactId>
                    <version>2021.0.8</version>
                    <type>pom</type>
                    <scope>import</scope>
                </dependency>
                <dependency>
                    <groupId>com.example</groupId>
                    <artifactId>managed-only</artifactId>
                    <version>9.9</version>
                </dependency>
            </dependencies>
        </dependencyManagement>
        <dependencies>
            <dependency>
                <groupId>org.springframework.boot</groupId>
                <artifactId>spring-boot-starter-web</artifactId>
            </dependency>
            <dependency>
                <groupId>io.github.resilience4j</groupId>
                <artifactId>resilience4j-spring-boot2</artifactId>
                <version>${r4j}</version>
            </dependency>
            <dependency>
                <groupId>com.example</groupId>
                <artifactId>orders-client</artifactId>
                <version>${project.version}</version>
            </dependency>
            <dependency>
                <groupId>org.testcontainers</groupId>
                <artifactId>postgresql</artifactId>
                <version>1.19.3</version>
                <scope>test</scope>
            </dependency>
        </dependencies>
        <build>
            <plugins>
                <plugin>
                    <groupId>org.jacoco</groupId>
                    <artifactId>jacoco-maven-plugin</artifactId>
                    <version>0.8.11</version>
                </plugin>
            </plugins>
        </build>
    </project>
"""


def test_pom_parent_properties_and_lines() -> None:
    deps = deps_of("svc/pom.xml", POM)
    parent = deps["org.springframework.boot:spring-boot-starter-parent"]
    assert (parent.ecosystem, parent.spec, parent.version) == ("maven", "2.7.14", "2.7.14")
    assert parent.line == line_of(POM, "<version>2.7.14</version>")
    assert parent.path == "svc/pom.xml"

    web = deps["org.springframework.boot:spring-boot-starter-web"]
    assert web.spec == "" and web.version == "2.7.14", "managed by the Boot parent"
    assert web.line == line_of(POM, "spring-boot-starter-web")

    r4j = deps["io.github.resilience4j:resilience4j-spring-boot2"]
    assert r4j.spec == "2.1.0", "a property that refers to a property resolves"
    assert deps["com.example:orders-client"].spec == "1.4.0"

    tc = deps["org.testcontainers:postgresql"]
    assert tc.dev and tc.version == "1.19.3"
    assert not web.dev

    assert deps["org.springframework.cloud:spring-cloud-dependencies"].spec == "2021.0.8", "imported BOMs count"
    assert "com.example:managed-only" not in deps, "managed versions declare nothing"
    assert deps["org.jacoco:jacoco-maven-plugin"].dev

    java = deps["java"]
    assert (java.spec, java.version) == ("1.8", "8")
    assert java.line == line_of(POM, "<java.version>")


def test_pom_without_namespace_and_compiler_plugin_release() -> None:
    pom = """\
        <project>
          <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
          <dependencies>
            <dependency><groupId>org.flywaydb</groupId><artifactId>flyway-core</artifactId><version>9.22.0</version></dependency>
          </dependencies>
          <build><plugins><plugin>
            <artifactId>maven-compiler-plugin</artifactId>
            <configuration><release>21</release></configuration>
          </plugin></plugins></build>
        </project>
    """
    deps = deps_of("pom.xml", pom)
    assert deps["org.flywaydb:flyway-core"].version == "9.22.0"
    assert "org.apache.maven.plugins:maven-compiler-plugin" in deps, "plugins default to the Maven group"
    assert deps["java"].version == "21"
    assert deps["java"].line == line_of(pom, "<release>21")


def test_malformed_pom_reads_nothing() -> None:
    assert read_manifest("pom.xml", "<project><dependencies><dependency>") == []
    assert read_manifest("pom.xml", "<settings/>") == []


GRADLE = """\
    plugins {
        id 'java'
        id 'org.springframework.boot' version '2.6.3'
        id("io.spring.dependency-management") version "1.1.4"
    }
    sourceCompatibility = '11'
    ext.jjwtVersion = "0.11.2"
    def lombokVersion = '1.18.30'

    dependencies {
        implementation 'org.springframework.boot:spring-boot-starter-web'
        implementation("org.mybatis.spring.boot:mybatis-spring-boot-starter:2.2.2")
        implementation "io.jsonwebtoken:jjwt-api:${jjwtVersion}"
        runtimeOnly 'io.jsonwebtoken:jjwt-impl:0.11.2',
                    'io.jsonwebtoken:jjwt-jackson:0.11.2'
        compileOnly group: 'org.projectlombok', name: 'lombok', version: lombokVersion
        // implementation 'commented:out:1.0'
        testImplementation 'org.testcontainers:junit-jupiter:1.19.3'
    }
"""


def test_gradle_groovy() -> None:
    deps = deps_of("build.gradle", GRADLE)
    boot = deps["org.springframework.boot"]
    assert (boot.spec, boot.version, boot.dev) == ("2.6.3", "2.6.3", False)
    assert boot.line == line_of(GRADLE, "org.springframework.boot' version")
    assert "org.gradle.java" in deps, "core plugins by their qualified id, never as the `java` level"
    assert deps["io.spring.dependency-management"].spec == "1.1.4"

    web = deps["org.springframework.boot:spring-boot-starter-web"]
    assert web.version == "2.6.3" and web.line == line_of(GRADLE, "spring-boot-starter-web")
    assert deps["org.mybatis.spring.boot:mybatis-spring-boot-starter"].spec == "2.2.2"
    assert deps["io.jsonwebtoken:jjwt-api"].spec == "0.11.2", "$variable interpolation"
    jackson = deps["io.jsonwebtoken:jjwt-jackson"]
    assert jackson.line == line_of(GRADLE, "jjwt-jackson"), "continuation lines of one configuration"
    assert not jackson.dev
    assert "org.projectlombok:lombok" in deps
    assert "commented:out" not in deps
    assert deps["org.testcontainers:junit-jupiter"].dev

    java = deps["java"]
    assert (java.spec, java.version, java.line) == ("11", "11", line_of(GRADLE, "sourceCompatibility"))


def test_gradle_kotlin_dsl_and_toolchain() -> None:
    kts = """\
        plugins {
            id("org.springframework.boot") version "3.3.1"
            kotlin("jvm") version "1.9.24"
        }
        java {
            sourceCompatibility = JavaVersion.VERSION_17
            toolchain {
                languageVersion = JavaLanguageVersion.of(21)
            }
        }
        val testcontainersVersion = "1.19.8"
        dependencies {
            implementation("org.springframework.boot:spring-boot-starter-webflux")
            testImplementation("org.testcontainers:postgresql:$testcontainersVersion")
            implementation(platform("io.opentelemetry:opentelemetry-bom:1.38.0"))
        }
    """
    deps = deps_of("service/build.gradle.kts", kts)
    assert deps["org.springframework.boot"].version == "3.3.1"
    assert deps["org.jetbrains.kotlin.jvm"].spec == "1.9.24"
    assert deps["org.springframework.boot:spring-boot-starter-webflux"].version == "3.3.1"
    assert deps["org.testcontainers:postgresql"].spec == "1.19.8"
    assert deps["io.opentelemetry:opentelemetry-bom"].spec == "1.38.0"
    assert deps["java"].version == "21", "the toolchain decides over sourceCompatibility"
    assert deps["java"].line == line_of(kts, "JavaLanguageVersion.of(21)")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sourceCompatibility = JavaVersion.VERSION_1_8", "8"),
        ("java.sourceCompatibility = JavaVersion.VERSION_11", "11"),
        ("kotlin { jvmToolchain(17) }", "17"),
        ("sourceCompatibility = 1.8", "8"),
    ],
)
def test_gradle_java_level_forms(line: str, expected: str) -> None:
    assert deps_of("build.gradle", line + "\n")["java"].version == expected


GO_MOD = """\
    module github.com/example/go-inventory

    go 1.19

    toolchain go1.21.5

    require github.com/lib/pq v1.10.9

    require (
    \tgithub.com/go-chi/chi/v5 v5.0.8
    \tgithub.com/Shopify/sarama v1.38.1
    \tgithub.com/dgrijalva/jwt-go v3.2.0+incompatible
    \tgithub.com/davecgh/go-spew v1.1.1 // indirect
    )

    replace github.com/lib/pq => ../pq
    exclude (
    \tgithub.com/old/thing v0.1.0
    )
"""


def test_go_mod() -> None:
    deps = deps_of("go.mod", GO_MOD)
    go = deps["go"]
    assert (go.ecosystem, go.spec, go.version, go.line) == ("go", "1.19", "1.19", line_of(GO_MOD, "go 1.19"))
    pq = deps["github.com/lib/pq"]
    assert (pq.spec, pq.version, pq.line) == ("v1.10.9", "1.10.9", line_of(GO_MOD, "require github.com/lib/pq"))
    chi = deps["github.com/go-chi/chi/v5"]
    assert chi.version == "5.0.8" and chi.line == line_of(GO_MOD, "go-chi/chi/v5")
    assert "github.com/shopify/sarama" in deps, "module paths are lower-cased for matching"
    assert deps["github.com/dgrijalva/jwt-go"].version == "3.2.0"
    assert "github.com/davecgh/go-spew" not in deps, "indirect requirements are not the project's choice"
    assert "github.com/old/thing" not in deps
    assert set(deps) == {"go", "github.com/lib/pq", "github.com/go-chi/chi/v5", "github.com/shopify/sarama", "github.com/dgrijalva/jwt-go"}


def test_manifest_names_are_recognised() -> None:
    for path in ("pom.xml", "a/b/pom.xml", "build.gradle", "build.gradle.kts", "go.mod", "svc/go.mod"):
        assert is_manifest(path), path
    for path in ("settings.gradle", "go.sum", "pom.xml.bak"):
        assert not is_manifest(path), path


def test_fixture_workspaces() -> None:
    pom = (FIXTURES / "workspaces" / "spring-orders" / "pom.xml").read_text()
    deps = {d.name: d for d in read_manifest("pom.xml", pom)}
    assert deps["org.springframework.boot:spring-boot-starter-parent"].line == 9  # pom.xml:10 in an editor
    assert deps["java"].line == 20 and deps["java"].version == "11"
    gomod = (FIXTURES / "workspaces" / "go-inventory" / "go.mod").read_text()
    deps = {d.name: d for d in read_manifest("go.mod", gomod)}
    assert deps["go"].line == 2 and deps["go"].version == "1.19"


@pytest.mark.parametrize("name", ["pom.xml", "build.gradle", "build.gradle.kts", "go.mod"])
def test_readers_never_raise_on_garbage(name: str) -> None:
    """A malformed manifest contributes nothing or something; it never raises (checked on the
    reader itself, not through read_manifest's safety net)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from backend_audit.project.readers import go as go_reader
    from backend_audit.project.readers import jvm

    reader = {"pom.xml": jvm.read_pom, "go.mod": go_reader.read_go_mod}.get(name, jvm.read_gradle)
    fragments = st.sampled_from([
        "<project>", "</project>", "<dependency>", "<version>${a}</version>", "${", "plugins {", "}", "{",
        "dependencies {", "implementation 'a:b:c'", "id 'x' version", "/*", "*/", "//", "require (", ")",
        "go 1.", "\n", " ", "'", '"', "sourceCompatibility = ", "\x00", "é",
    ])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(fragments, max_size=40).map("".join))
    def check(text: str) -> None:
        deps = reader(name, text)
        assert all(d.line >= 0 and d.line <= text.count("\n") for d in deps)

    check()
