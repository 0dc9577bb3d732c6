"""Ruby manifests: Bundler's ``Gemfile`` and ``Gemfile.lock``, and ``.ruby-version``.

A Gemfile is Ruby code, so it is read by line scanning of the declarative shapes almost every
Gemfile uses (nothing is evaluated)::

    ruby "3.2.2"                         # -> pseudo-dependency ``ruby``
    gem "rails", "~> 7.1.0"
    gem "pg", ">= 1.1", "< 2.0"          # spec ">= 1.1, < 2.0"
    gem "rspec-rails", group: :test      # dev
    group :development, :test do         # dev until the matching ``end``
      gem "factory_bot_rails"
    end

Gem names are lower-cased. Gems in a group that names only ``development``/``test`` (block or
``group:``/``groups:`` option) are ``dev``. ``ruby file: ".ruby-version"`` declares no version
here; the ``.ruby-version`` reader gives it.

``Gemfile.lock`` records are ``locked`` (they list transitive gems too): the ``specs:`` entries
of the GEM/GIT/PATH sections (``    rails (7.1.3)``, four spaces; platform suffixes such as
``-x86_64-linux`` dropped) and the ``RUBY VERSION`` section (``ruby 3.2.2p53``). They resolve
the versions of the Gemfile's declarations (`ProjectFacts.merge`) and never count as declared.
"""

from __future__ import annotations

import re

from ..manifests import Dependency, register_reader

ECOSYSTEM = "rubygems"
RUBY = "ruby"
"""The pseudo-dependency that carries the Ruby version."""

_DEV_GROUPS = {"development", "test"}
_GEM = re.compile(r"""^\s*gem\s*\(?\s*["']([A-Za-z0-9_.\-]+)["']\s*(.*)$""")
_STRING = re.compile(r"""["']([^"']*)["']""")
_RUBY = re.compile(r"""^\s*ruby\s*\(?\s*["']([^"']+)["']""")
_GROUP_BLOCK = re.compile(r"^\s*group\s*\(?\s*(.+?)\)?\s+do\b")
_BLOCK_OPEN = re.compile(r"\bdo\s*(\|[^|]*\|)?\s*$")
_STATEMENT = re.compile(r"^\s*(if|unless|case|begin|while|until)\b")
_END = re.compile(r"^\s*end\b")
_GROUP_OPTION = re.compile(r"\bgroups?:\s*(\[[^\]]*\]|:\w+|[\"']\w+[\"'])")
_SYMBOL = re.compile(r":(\w+)|[\"'](\w+)[\"']")


def gem_version(spec: str) -> str | None:
    """The version an exact requirement pins (``1.2.3``, ``= 1.2.3``), else None."""
    m = re.match(r"^\s*=?\s*(\d+(?:\.\d+){0,3})\s*$", spec or "")
    return m.group(1) if m else None


def _groups(text: str) -> set[str]:
    return {a or b for a, b in _SYMBOL.findall(text)}


def read_gemfile(path: str, text: str) -> list[Dependency]:
    deps: list[Dependency] = []
    stack: list[bool] = []  # one entry per open block: is it a dev-only group?
    for lineno, raw in enumerate(text.splitlines()):
        line = raw.split("#", 1)[0] if "#{" not in raw else raw
        if not line.strip():
            continue
        m = _GROUP_BLOCK.match(line)
        if m:
            groups = _groups(m.group(1))
            stack.append(bool(groups) and groups <= _DEV_GROUPS)
            continue
        if _END.match(line):
            if stack:
                stack.pop()
            continue
        m = _RUBY.match(line)
        if m:
            spec = m.group(1).strip()
            deps.append(Dependency(ECOSYSTEM, RUBY, spec, path, lineno, False, _ruby_version(spec)))
            continue
        m = _GEM.match(line)
        if m:
            rest = m.group(2)
            options_at = re.search(r"\b\w+:", rest)
            requirement_part = rest[: options_at.start()] if options_at else rest
            spec = ", ".join(s.strip() for s in _STRING.findall(requirement_part))
            option = _GROUP_OPTION.search(rest)
            dev = any(stack) or (option is not None and _groups(option.group(1)) <= _DEV_GROUPS)
            deps.append(Dependency(ECOSYSTEM, m.group(1).lower(), spec, path, lineno, dev, gem_version(spec)))
            continue
        if _BLOCK_OPEN.search(line) or _STATEMENT.match(line):
            stack.append(False)
    return deps


def _ruby_version(spec: str) -> str | None:
    m = re.match(r"^\s*(?:ruby-)?(?:[=~>]+\s*)?(\d+\.\d+(?:\.\d+)?)", spec or "")
    return m.group(1) if m else None


_SPEC = re.compile(r"^ {4}([A-Za-z0-9_.\-]+) \(([^)]+)\)\s*$")


def read_gemfile_lock(path: str, text: str) -> list[Dependency]:
    deps: list[Dependency] = []
    section = ""
    for lineno, raw in enumerate(text.splitlines()):
        if raw and not raw.startswith(" "):
            section = raw.strip()
            continue
        if section in ("GEM", "GIT", "PATH"):
            m = _SPEC.match(raw)
            if m:
                version = re.sub(r"-[a-z].*$", "", m.group(2).strip())
                deps.append(
                    Dependency(
                        ECOSYSTEM,
                        m.group(1).lower(),
                        version,
                        path,
                        lineno,
                        False,
                        gem_version(version),
                        locked=True,
                    )
                )
        elif section == "RUBY VERSION":
            m = re.match(r"^\s+ruby (\d+\.\d+\.\d+)", raw)
            if m:
                deps.append(
                    Dependency(ECOSYSTEM, RUBY, m.group(1), path, lineno, False, m.group(1), locked=True)
                )
    return deps


def read_ruby_version(path: str, text: str) -> list[Dependency]:
    for lineno, raw in enumerate(text.splitlines()):
        spec = raw.strip()
        if spec and not spec.startswith("#"):
            version = _ruby_version(spec)
            return [Dependency(ECOSYSTEM, RUBY, spec, path, lineno, False, version)] if version else []
    return []


register_reader(r"^Gemfile$", read_gemfile)
register_reader(r"^gems\.rb$", read_gemfile)
register_reader(r"^Gemfile\.lock$", read_gemfile_lock)
register_reader(r"^gems\.locked$", read_gemfile_lock)
register_reader(r"^\.ruby-version$", read_ruby_version)
