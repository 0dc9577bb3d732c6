"""Settings, project config and rule pack: loading them, and reloading them without a restart.

- Editor settings (`initializationOptions`, `workspace/configuration` section `backendAudit`)
  are laid over the project config (`.backend-audit.yaml` or `[tool.backend-audit]`).
  A bad value or a bad config file gives a message, and the defaults are used.
- Rule files, the project config and the manifests are watched with
  `workspace/didChangeWatchedFiles`, registered dynamically where the client supports it (and
  a save of a rule or config file counts as a change where it does not).
- A rule file that fails to load keeps its previous rules; its errors become diagnostics on the
  rule file and a window message. The other files' rules are reloaded.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls import uris

from ..engine.analyzer import Analyzer
from ..engine.config import CONFIG_FILE, Config, ConfigError, load_config, resolve_inside
from ..engine.workspace import WorkspaceState
from ..rules.compiler import CompiledPack, PackError, default_pack_dir, load_pack
from ..syntax.languages import LANGUAGES
from .settings import parse_settings

if TYPE_CHECKING:
    from .session import Session

CONFIG_NAMES = (CONFIG_FILE, ".backend-audit.yml", "pyproject.toml")
MANIFEST_GLOB = (
    "**/{requirements*.txt,requirements/*.txt,Pipfile,setup.cfg,package.json,pom.xml,build.gradle,"
    "build.gradle.kts,go.mod,*.csproj,Gemfile}"
)
WATCH_ID = "backend-audit-watched-files"


def _source_glob() -> str:
    exts = sorted({e.lstrip(".") for spec in LANGUAGES.values() for e in spec.extensions})
    return "**/*.{" + ",".join(exts) + "}"


def merge_packs(old: CompiledPack | None, new: CompiledPack) -> CompiledPack:
    """The new pack, plus the previous rules of every rule file that now fails to load."""
    if old is None or not new.errors:
        return new
    broken = {e.path for e in new.errors}
    have = {r.id for r in new.rules}
    kept = [r for r in old.rules if r.path in broken and r.id not in have]
    if not kept:
        return new
    return CompiledPack(
        header=new.header,
        root=new.root,
        rules=new.rules + kept,
        errors=new.errors,
        maturity_path=new.maturity_path,
        data_dir=new.data_dir,
    )


class Reloader:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rule_dirs: list[Path] = []
        """Every directory whose YAML files are rules (the pack and the extra directories)."""
        self._extra: list[Path] = list(session.extra_rule_dirs)
        """The extra rule directories: injected ones plus the config's `rules`."""
        self._registered = False

    # -- settings ----------------------------------------------------------------------------
    def apply_settings(self, raw: Any, reload: bool) -> bool:
        """Take a settings object; with `reload`, reload if it changed anything. True if reloaded."""
        s = self.session
        settings, errors = parse_settings(raw)
        if errors:
            s.show("invalid settings, using the defaults for: " + "; ".join(errors), types.MessageType.Warning)
        if reload and settings == s.settings:
            return False  # e.g. workspace/configuration repeating the initializationOptions
        s.settings = settings
        s.set_focus(settings.focus)
        if reload:
            self.reload(config=True)
        return reload

    async def fetch_configuration(self) -> Any:
        s = self.session
        if not getattr(getattr(s.capabilities, "workspace", None), "configuration", False):
            return None
        try:
            result = await s.server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(scope_uri=s.root.as_uri(), section="backendAudit")])
            )
        except Exception as exc:
            s.log_error("workspace/configuration failed", exc)
            return None
        value = result[0] if result else None
        return value if isinstance(value, dict) and value else None

    async def on_configuration_changed(self, pushed: Any) -> None:
        raw = await self.fetch_configuration()
        if raw is None and isinstance(pushed, dict):
            raw = pushed.get("backendAudit", None)
        if raw is None:
            return
        self.apply_settings(raw, reload=True)

    # -- config and pack ---------------------------------------------------------------------
    def load_all(self) -> None:
        """Load the project config and the pack (used at initialize and on config changes)."""
        s = self.session
        try:
            config = load_config(s.root)
        except ConfigError as exc:
            s.show(f"config error: {exc}; using the defaults", types.MessageType.Error)
            config = Config()
        s.config = s.settings.apply_to(config)
        extra = list(s.extra_rule_dirs)
        for d in s.config.rules:
            try:
                extra.append(resolve_inside(s.root, d, "rules"))
            except ConfigError as exc:
                s.show(str(exc), types.MessageType.Error)
        self._extra = extra
        self._load_baseline()
        self.load_pack()

    def _load_baseline(self) -> None:
        s = self.session
        s.baseline = None
        if not s.config.baseline:
            return
        try:
            from ..engine.baseline import Baseline, BaselineError

            s.baseline = Baseline.load(resolve_inside(s.root, s.config.baseline, "baseline"))
        except ImportError:  # pragma: no cover - the baseline module is optional
            return
        except (ConfigError, BaselineError) as exc:  # type: ignore[misc]
            s.show(f"baseline not used: {exc}", types.MessageType.Warning)

    def load_pack(self) -> None:
        s = self.session
        extra = self._extra
        try:
            new = load_pack(s.pack_dir, extra)
        except PackError as exc:
            s.show(f"rule pack error: {exc}", types.MessageType.Error)
            if s.pack is not None:
                return
            new = load_pack(None, [])
        pack = merge_packs(s.pack, new)
        if new.errors:
            kept = " (the previous rules of those files are kept)" if pack is not new else ""
            first = "; ".join(str(e) for e in new.errors[:3])
            s.show(f"{len(new.errors)} rule problem(s){kept}: {first}", types.MessageType.Error)
        s.pack = pack
        # The pack lives until the next reload: keep its objects out of every collection.
        gc.collect()
        gc.freeze()
        self.rule_dirs = [(pack.root or default_pack_dir()).resolve(), *(d.resolve() for d in extra)]
        s.analyzer = Analyzer(s.root, s.config, pack)
        s.state = WorkspaceState(s.analyzer)

    def reload(self, config: bool) -> None:
        """Reload (config and) rules, then re-analyse everything."""
        s = self.session
        s.log("reloading the " + ("settings, config and rules" if config else "rules"))
        old_dirs = list(self.rule_dirs)
        if config:
            self.load_all()
        else:
            self.load_pack()
        s.publisher.publish_rule_errors()
        s.reanalyse_open_documents()
        s.scanner.start()
        if self.rule_dirs != old_dirs and self._registered:
            s.background(self.register_watchers())

    # -- watching ----------------------------------------------------------------------------
    async def register_watchers(self) -> None:
        s = self.session
        caps = getattr(getattr(s.capabilities, "workspace", None), "did_change_watched_files", None)
        if caps is None or not caps.dynamic_registration:
            return
        relative = bool(getattr(caps, "relative_pattern_support", False))
        watchers = [
            types.FileSystemWatcher(glob_pattern="**/{.backend-audit.yaml,.backend-audit.yml,pyproject.toml}"),
            types.FileSystemWatcher(glob_pattern=MANIFEST_GLOB),
            types.FileSystemWatcher(glob_pattern=_source_glob()),
        ]
        for d in self.rule_dirs:
            if relative:
                pattern: Any = types.RelativePattern(base_uri=d.as_uri(), pattern="**/*.{yaml,yml}")
            else:
                pattern = d.as_posix() + "/**/*.{yaml,yml}"
            watchers.append(types.FileSystemWatcher(glob_pattern=pattern))
        try:
            if self._registered:
                await s.server.client_unregister_capability_async(
                    types.UnregistrationParams(
                        unregisterations=[types.Unregistration(id=WATCH_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)]
                    )
                )
            await s.server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=WATCH_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                        )
                    ]
                )
            )
            self._registered = True
        except Exception as exc:
            s.log_error("could not register file watchers", exc)

    def _is_rule_file(self, path: Path) -> bool:
        if path.suffix not in (".yaml", ".yml"):
            return False
        return any(d == path or d in path.parents for d in self.rule_dirs)

    def _is_config_file(self, path: Path) -> bool:
        return path.name in CONFIG_NAMES and path.parent == self.session.root

    def on_saved(self, uri: str) -> None:
        """Without file watching, a saved rule or config file still reloads."""
        fs = uris.to_fs_path(uri)
        if fs is None or self._registered:
            return
        path = Path(fs).resolve()
        if self._is_config_file(path):
            self.reload(config=True)
        elif self._is_rule_file(path):
            self.reload(config=False)

    async def on_files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        s = self.session
        reload_config = reload_rules = False
        files: list[tuple[str, types.FileChangeType]] = []
        for change in changes:
            fs = uris.to_fs_path(change.uri)
            if fs is None:
                continue
            path = Path(fs).resolve()
            if self._is_config_file(path):
                reload_config = True
            elif self._is_rule_file(path):
                reload_rules = True
            else:
                files.append((s.path_of(change.uri), change.type))
        if reload_config or reload_rules:
            self.reload(config=reload_config)
            return
        for path, kind in files:
            if path in s.uri_of_path:
                continue  # the editor's text wins over the disk while a file is open
            if kind == types.FileChangeType.Deleted and s.state is not None:
                changed = s.state.remove(path)
                for p in sorted(changed | {path}):
                    s.publisher.publish(s.uri_for(p), force=p == path)
                if changed - {path}:
                    s.publisher.refresh()
            else:
                await s.analyse_disk(path)
