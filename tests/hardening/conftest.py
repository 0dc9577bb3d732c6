"""Fixtures for the hardening matrix: a workspace factory with our own rules, and the CLI."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from hardening_support import CONFIG, RULES, SERVER_CODE, empty_pack, write_files
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from backend_audit.cli import main
from backend_audit.rules.compiler import CompiledPack, load_pack


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """A workspace with our rules and config plus the given files: {relative path: content}."""

    def build(files: dict[str, str | bytes] | None = None, name: str = "ws", config: str = CONFIG) -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        write_files(root, {".audit-rules/hardening.yaml": RULES, ".backend-audit.yaml": config})
        return write_files(root, files or {})

    return build


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `backend-audit ARGS` in this process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def audit_pack(tmp_path_factory: pytest.TempPathFactory) -> CompiledPack:
    """The bundled pack plus our rules, loaded once (loading 500 rules takes seconds)."""
    rules = tmp_path_factory.mktemp("audit-rules")
    (rules / "hardening.yaml").write_text(RULES, encoding="utf-8")
    return load_pack(extra_rule_dirs=[rules])


class AuditClient(LanguageClient):
    """pytest-lsp's client, also recording every publishDiagnostics with its version."""

    stderr_path: Path

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []

        def publish(client: AuditClient, params: types.PublishDiagnosticsParams) -> None:
            client.diagnostics[params.uri] = params.diagnostics
            client.published.append(params)

        def register(client: AuditClient, params: types.RegistrationParams) -> None:
            return None

        register_lsp_features(
            self,
            {
                **DEFAULT_CLIENT_FEATURES,
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
                types.CLIENT_REGISTER_CAPABILITY: register,
            },
        )

    async def wait_for_diagnostics(
        self, uri: str, predicate: Callable[[list[types.Diagnostic]], bool]
    ) -> list[types.Diagnostic]:
        """Await publishDiagnostics until the URI's diagnostics satisfy `predicate` (no sleeps)."""
        while True:
            current = self.diagnostics.get(uri)
            if current is not None and predicate(list(current)):
                return list(current)
            await self.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    async def wait_for_version(self, uri: str, version: int) -> types.PublishDiagnosticsParams:
        while True:
            for p in self.published:
                if p.uri == uri and p.version == version:
                    return p
            await self.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


@pytest_asyncio.fixture
async def lsp_client_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[AuditClient]]]:
    """Start the real server over stdio for a workspace: `await factory(root, options)`."""
    clients: list[AuditClient] = []
    pack = empty_pack(tmp_path / "lsp-pack")

    async def start(root: Path, options: dict | None = None) -> AuditClient:
        client = AuditClient()
        client.stderr_path = tmp_path / f"server-stderr-{len(clients)}.log"
        await client.start_io(sys.executable, "-c", SERVER_CODE, str(pack), str(client.stderr_path))
        clients.append(client)
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options=options if options is not None else {"debounceMs": 0},
            )
        )
        return client

    yield start
    for client in clients:
        with contextlib.suppress(Exception):
            await client.shutdown_session()
        with contextlib.suppress(Exception):
            await client.stop()
