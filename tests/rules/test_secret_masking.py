"""Secrets found by the `secret: true` rules never appear in any output of `check`.

A small workspace plants one credential per kind of file (Python settings, a provider-shaped
key, `.env`, YAML, `.properties`, a Dockerfile, a JWT key in TypeScript). The CLI writes the
findings as text, JSON and SARIF; each output must report every planted secret, show it only
masked (a short prefix and asterisks), and contain neither the value nor any long piece of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_audit.cli import main
from backend_audit.rules.compiler import load_pack

# rule id -> (relative path, file text, the secret planted in it)
PLANTED: dict[str, tuple[str, str, str]] = {
    "CFG001": (
        "shop/settings.py",
        'SECRET_KEY = "django-insecure-q9v!x2m7zk4p0wn8r5t3"\n',
        "django-insecure-q9v!x2m7zk4p0wn8r5t3",
    ),
    "CFG080": ("shop/aws.py", 'AWS_KEY_ID = "AKIA7JHET5OCWQFBPPK7"\n', "AKIA7JHET5OCWQFBPPK7"),
    "CFG081": (
        ".env",
        "DATABASE_URL=postgres://db/orders\nJWT_SECRET=9f2c4e7a1b3d5f60c8e1aa\n",
        "9f2c4e7a1b3d5f60c8e1aa",
    ),
    "CFG082": ("config/app.yaml", "db:\n  host: db\n  password: Sup3rS3cret-2024x\n", "Sup3rS3cret-2024x"),
    "CFG083": (
        "Dockerfile",
        "FROM node:20-alpine\nENV API_TOKEN=tok3n9f2c4e7a1b3d5f\n",
        "tok3n9f2c4e7a1b3d5f",
    ),
    "CFG040": (
        "src/auth.ts",
        'export const sign = (p: object) => jwt.sign(p, "ULDiSmkPRfbYwHK9jjpg");\n',
        "ULDiSmkPRfbYwHK9jjpg",
    ),
}
PROPERTIES = (
    "src/main/resources/application.properties",
    "mail.smtp.password=Wq8m2Lr7zQp4Xv\n",
    "Wq8m2Lr7zQp4Xv",
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secrets-ws")
    for path, text, _ in [*PLANTED.values(), PROPERTIES]:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def outputs(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out_dir = tmp_path_factory.mktemp("outputs")
    secret_rules = sorted(r.id for r in load_pack().rules if r.rule.secret)
    texts = {}
    for fmt in ("text", "json", "sarif"):
        out = out_dir / f"findings.{fmt}"
        code = main(
            [
                "check",
                str(workspace),
                "--format",
                fmt,
                "--output",
                str(out),
                "--fail-on",
                "none",
                "--select",
                ",".join(secret_rules),
            ]
        )
        assert code == 0
        texts[fmt] = out.read_text(encoding="utf-8")
    return texts


def test_secret_rules_are_marked_secret() -> None:
    pack = load_pack()
    for rule_id in [*PLANTED, "CFG082"]:
        rule = pack.rule(rule_id)
        assert rule is not None and rule.rule.secret, rule_id
        assert rule.rule.fix is None, f"{rule_id}: a fix would carry the secret into the output"


def test_every_planted_secret_is_reported(outputs: dict[str, str]) -> None:
    findings = json.loads(outputs["json"])["findings"]
    reported = {(f["rule"], f["path"]) for f in findings}
    for rule_id, (path, _, _) in PLANTED.items():
        assert (rule_id, path) in reported, (rule_id, path, sorted(reported))
    # A Spring application*.properties file belongs to the Java rule CFG301, reported once.
    assert ("CFG301", PROPERTIES[0]) in reported
    assert ("CFG082", PROPERTIES[0]) not in reported


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_output_contains_a_secret(outputs: dict[str, str], fmt: str) -> None:
    text = outputs[fmt]
    for _, _, secret in [*PLANTED.values(), PROPERTIES]:
        assert secret not in text, f"{fmt} output leaks {secret[:4]}…"
        # Not even a long piece of it: at most the 4-character prefix the mask keeps.
        for start in range(1, len(secret) - 7):
            assert secret[start : start + 8] not in text, f"{fmt} output leaks part of {secret[:4]}…"
    assert "********" in text


def test_messages_show_the_masked_prefix(outputs: dict[str, str]) -> None:
    findings = json.loads(outputs["json"])["findings"]
    messages = [f["message"] for f in findings if f["rule"] == "CFG081"]
    assert messages and all("9f2c********" in m for m in messages), messages
