"""Rendering the report model: Markdown and HTML through jinja2 templates, JSON directly.

Templates live in the pack (`templates/report.md.j2`, `templates/report.html.j2`); the config's
`report.template` may name a template of the user's own inside the workspace. Templates are
rendered in jinja2's sandbox: a template is a workspace file, and opening an untrusted
repository must not let it reach Python objects beyond the report model. Undefined names are
errors (StrictUndefined), so a template typo fails loudly instead of leaving a blank cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

FORMATS = ("markdown", "json", "html")
TEMPLATE_FOR = {"markdown": "report.md.j2", "html": "report.html.j2"}
EXTENSIONS = {"markdown": ".md", "json": ".json", "html": ".html"}


class TemplateError(ValueError):
    """A template cannot be loaded or rendered; the message names the template and line."""


def _cell(value: Any) -> str:
    """A Markdown table cell: one line, pipes escaped, never empty."""
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip().replace("|", "\\|")
    return text or "\u2013"


def _box(status: str) -> str:
    return "[x]" if status == "yes" else "[ ]"


_STATUS_LABEL = {"yes": "yes", "partial": "partial", "no": "no", "n/a": "n/a", "unknown": "not statically determinable"}


def _label(status: str) -> str:
    return _STATUS_LABEL.get(status, status)


def _link(location: str, base: str = "") -> str:
    """A Markdown link to ``path:line`` (``[app/x.py:3](app/x.py#L3)``), relative to the report
    file's directory (``base`` is the way from it to the workspace root). Editors and code
    hosts open such links at the line."""
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit() or not path or path.startswith("("):
        return f"`{location}`"
    return f"[{location}]({base}{path}#L{line})"


def _environment(search: list[Path], autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = _cell
    env.filters["box"] = _box
    env.filters["label"] = _label
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.filters["link"] = _link
    return env


def render(report: dict[str, Any], fmt: str, templates_dir: Path, user_template: Path | None = None) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATE_FOR:
        raise TemplateError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    search = [templates_dir]
    name = TEMPLATE_FOR[fmt]
    if user_template is not None:
        # The user's directory comes first, so their template may also override the pack's
        # partials; it can still `{% extends "report.md.j2" %}` from the pack by that name
        # as long as its own file is named differently.
        search = [user_template.parent, templates_dir]
        name = user_template.name
    env = _environment(search, autoescape=fmt == "html")
    try:
        template = env.get_template(name)
        return template.render(report=report, r=report)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: {exc}") from None
