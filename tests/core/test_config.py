"""Config discovery and strict validation: a bad config names the file and the key."""

import pytest

from backend_audit.cli import main
from backend_audit.engine.config import ConfigError, load_config
from backend_audit.rules.model import Severity


def test_yaml_config(tmp_path):
    (tmp_path / ".backend-audit.yaml").write_text(
        "select: [RES]\nignore: OBS001\nseverity: {RES001: medium}\nexclude: ['migrations/**']\nmax-file-size: 5000\n"
    )
    config = load_config(tmp_path)
    assert config.select == ["RES"] and config.ignore == ["OBS001"]
    assert config.severity == {"RES001": Severity.MEDIUM}
    assert config.exclude == ["migrations/**"] and config.max_file_size == 5000


def test_pyproject_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.backend-audit]\nignore = ["OBS"]\n[tool.backend-audit.report]\noutput = "docs/audit.md"\n')
    config = load_config(tmp_path)
    assert config.ignore == ["OBS"] and config.report.output == "docs/audit.md"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("selct: [RES]\n", "selct"),
        ("severity: {RES001: Severe}\n", "severity"),
        ("max-file-size: lots\n", "max-file-size"),
        ("exclude: [1, 2]\n", "exclude"),
        ("report: {outptu: x}\n", "outptu"),
        ("select: [\n", "invalid YAML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, needle):
    (tmp_path / ".backend-audit.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert ".backend-audit.yaml" in str(info.value) and needle in str(info.value)


def test_cli_exits_2_on_bad_config(tmp_path, capsys):
    (tmp_path / ".backend-audit.yaml").write_text("selct: [RES]\n")
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert ".backend-audit.yaml" in err and "selct" in err


def test_extra_rules_outside_workspace_are_refused(tmp_path, capsys):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".backend-audit.yaml").write_text("rules: ['../elsewhere']\n")
    assert main(["check", str(ws)]) == 2
    assert "outside the workspace" in capsys.readouterr().err
