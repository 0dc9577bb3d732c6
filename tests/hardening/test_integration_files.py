"""The CI integration as users copy it: the pre-commit hook, the GitHub Actions workflow and the
documented exit codes must stay true to the CLI."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from backend_audit import cli

REPO = Path(__file__).resolve().parents[2]
CI_DOC = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")


def _blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", markdown, flags=re.S)


def _check_commands(text: str) -> list[list[str]]:
    """Every `backend-audit check ...` command line in a text (comments dropped)."""
    out = []
    for line in text.splitlines():
        match = re.search(r"backend-audit (check[^#\n]*)", line)
        if match:
            args = [a for a in shlex.split(match.group(1).replace("${{ github.base_ref }}", "main"))]
            out.append(args)
    return out


def test_the_pre_commit_hook():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "backend-audit"
    assert hook["language"] == "python"
    assert hook["entry"] == "backend-audit check"
    assert hook["pass_filenames"] is False
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["backend-audit"] == "backend_audit.cli:main"
    cli.build_parser().parse_args(hook["entry"].split()[1:] + hook.get("args", []))


def test_the_github_actions_workflow_uploads_the_sarif():
    (workflow_text,) = [b for b in _blocks(CI_DOC, "yaml") if "upload-sarif" in b]
    workflow = yaml.safe_load(workflow_text)
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["audit"]["steps"]
    audit = next(s for s in steps if "backend-audit check" in s.get("run", ""))
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    args = cli.build_parser().parse_args(shlex.split(audit["run"])[1:])
    assert args.format == "sarif" and args.output == upload["with"]["sarif_file"]
    assert upload["if"] == "always()"
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0


CODE = "\n".join(_blocks(CI_DOC, "sh") + _blocks(CI_DOC, "yaml"))


@pytest.mark.parametrize("command", _check_commands(CODE), ids=lambda c: " ".join(c))
def test_every_documented_check_command_parses(command: list[str]):
    cli.build_parser().parse_args(command)


def test_the_documented_commands_cover_the_adoption_flags():
    flags = {a for command in _check_commands(CODE) for a in command if a.startswith("--")}
    assert {"--write-baseline", "--baseline", "--new-since", "--fail-on", "--format"} <= flags


def test_the_documented_exit_codes_are_the_cli_s():
    table = dict(re.findall(r"^\| `(\d)` \| (.+?) \|$", CI_DOC, flags=re.M))
    assert set(table) == {"0", "1", "2"}
    assert (cli.EXIT_OK, cli.EXIT_FINDINGS, cli.EXIT_USAGE) == (0, 1, 2)
    assert "no reported finding reaches" in table["0"]
    assert "usage or configuration error" in table["2"]
    for severity in ("Critical", "High", "Medium", "Low", "Info", "none"):
        assert f"`{severity}`" in CI_DOC
    help_text = cli.build_parser()._subparsers._group_actions[0].choices["check"].format_help()
    assert "--fail-on" in help_text and "--baseline" in help_text and "--new-since" in help_text


def test_the_readme_links_the_ci_and_security_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "(docs/ci.md)" in readme and "docs/security.md" in readme
    security = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    for heading in ("never executes workspace code", "What it reads", "What it writes", "Reporting a problem"):
        assert heading in security
