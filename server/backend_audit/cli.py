"""The terminal face: `backend-audit check | report | rules | lsp`.

The CLI parses arguments, calls the engine, and prints. It is the only module that prints.
Exit codes: 0 nothing reached --fail-on, 1 something did, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .engine.config import Config, ConfigError, load_config
from .rules.compiler import CompiledPack, PackError, load_pack
from .rules.model import SECTION_KEYS, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_SEVERITY_STYLE = {"Critical": "bold white on red", "High": "bold red", "Medium": "yellow", "Low": "cyan", "Info": "dim"}


def _csv(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backend-audit", description="Audit a backend codebase against the Backend Infrastructure Audit.")
    parser.add_argument("--version", action="version", version=f"backend-audit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="list findings (text, JSON or SARIF)")
    check.add_argument("path", nargs="?", default=".", help="workspace root (default: .)")
    check.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    check.add_argument("--output", "-o", help="write to this file instead of stdout")
    check.add_argument("--select", action="append", help="rule ids, prefixes, names or sections (comma-separated)")
    check.add_argument("--ignore", action="append", help="rule ids, prefixes, names or sections to skip")
    check.add_argument(
        "--fail-on",
        default="High",
        type=lambda v: v if v.lower() == "none" else Severity.parse(v).value,
        help="exit 1 when a finding reaches this severity (Critical|High|Medium|Low|Info|none; default High)",
    )
    check.add_argument("--config", help="config file (default: .backend-audit.yaml or pyproject.toml)")
    check.add_argument("--no-progress", action="store_true", help="no progress bar")
    check.add_argument(
        "--no-cache", action="store_true", help="analyse every file afresh (no per-file result cache read or written)"
    )
    check.add_argument("--jobs", "-j", type=int, help="processes for a cold scan (default: every core for large ones)")
    check.add_argument("--baseline", metavar="FILE", help="report only findings not in this baseline (default: config 'baseline')")
    check.add_argument(
        "--write-baseline", metavar="FILE", nargs="?", const="", default=None,
        help="record every current finding in a baseline file and exit 0 (default FILE: config 'baseline')",
    )
    check.add_argument("--prune-baseline", action="store_true", help="drop baseline entries that no longer occur")
    check.add_argument("--new-since", metavar="GIT_REF", help="report only findings on lines changed since this git ref")

    report = sub.add_parser("report", help="write the filled-in audit report")
    report.add_argument("path", nargs="?", default=".", help="workspace root (default: .)")
    report.add_argument("--output", "-o", help="write to this file (default: stdout)")
    report.add_argument("--format", choices=["markdown", "json", "html"], default=None)
    report.add_argument("--config", help="config file")

    lsp = sub.add_parser("lsp", help="start the language server")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    lsp.add_argument("--tcp", action="store_true", help="listen on TCP instead, for debugging")
    lsp.add_argument("--host", default="127.0.0.1")
    lsp.add_argument("--port", type=int, default=2087)

    rules = sub.add_parser("rules", help="list, validate, test or document the rule pack")
    rules.add_argument("action", choices=["list", "validate", "test", "docs"])
    rules.add_argument("--pack", help="pack directory (default: the bundled pack)")
    rules.add_argument("--rules", action="append", help="extra rule directory")
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    rules.add_argument("--only", action="append", help="rule ids (for test)")
    rules.add_argument("--output", "-o", help="for docs: a directory to write one page per rule")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return cmd_check(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "lsp":
            return cmd_lsp(args)
    except ConfigError as exc:
        _err(f"config error: {exc}")
        return EXIT_USAGE
    except PackError as exc:
        _err(f"rule pack error: {exc}")
        return EXIT_USAGE
    except AdoptionError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # `| head`
        return EXIT_OK
    return EXIT_USAGE


def _err(message: str) -> None:
    print(f"backend-audit: {message}", file=sys.stderr)


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")


def _config_for(root: Path, args: argparse.Namespace) -> Config:
    config = load_config(root, Path(args.config) if getattr(args, "config", None) else None)
    select = _csv(args.select)
    ignore = _csv(args.ignore)
    return config.merged(select=select or None, ignore=(config.ignore + ignore) if ignore else None)


def cmd_check(args: argparse.Namespace) -> int:
    from .engine.analyzer import Analyzer
    from .engine.scan import scan

    root = Path(args.path)
    if not root.exists():
        _err(f"no such path: {args.path}")
        return EXIT_USAGE
    if root.is_file():
        _err("check takes a workspace directory")
        return EXIT_USAGE
    root = root.resolve()
    config = _config_for(root, args)
    adoption = _Adoption(args, root, config)
    analyzer = Analyzer(root, config)
    for error in analyzer.pack.errors:
        _err(f"rule error: {error}")
    progress_cb, finish = _progress(args)
    try:
        result = scan(root, analyzer=analyzer, progress=progress_cb, cache=not args.no_cache, jobs=args.jobs)
    finally:
        finish()
    for problem in result.rule_errors:
        _err(f"rule failed: {problem}")
    adopted = adoption.apply(result.findings)
    if adopted is None:  # --write-baseline
        return EXIT_OK
    findings, sarif_findings = adopted
    if args.format == "json":
        from .formats import json_document

        doc = json_document(result, findings)
        if sarif_findings is not findings:
            doc["summary"]["baselined"] = sum(1 for f in sarif_findings if f.baseline_state == "unchanged")
        _write(json.dumps(doc, indent=2), args.output)
    elif args.format == "sarif":
        from .formats import sarif_document

        _write(json.dumps(sarif_document(result, sarif_findings), indent=2), args.output)
    else:
        _print_text(result, findings, args.output)
    if args.fail_on == "none":
        return EXIT_OK
    threshold = Severity.parse(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in findings) else EXIT_OK


class AdoptionError(RuntimeError):
    """A baseline or --new-since problem: exit 2 with the message."""


class _Adoption:
    """--write-baseline, --baseline/--prune-baseline and --new-since for one `check` run.

    Built before the scan, so that a missing baseline or a bad git ref fails at once."""

    def __init__(self, args: argparse.Namespace, root: Path, config: Config) -> None:
        from .engine.baseline import Baseline, BaselineError
        from .engine.config import resolve_inside
        from .engine.gitdiff import GitBase, GitDiffError

        self.args = args
        configured = resolve_inside(root, config.baseline, "baseline") if config.baseline else None
        self.write_to: Path | None = None
        self.path: Path | None = None
        self.baseline = None
        self.base = None
        if args.write_baseline is not None:
            self.write_to = Path(args.write_baseline) if args.write_baseline else configured
            if self.write_to is None:
                raise AdoptionError("--write-baseline needs a FILE (or 'baseline' in the config)")
            return
        self.path = Path(args.baseline) if args.baseline else configured
        if self.path is not None and not args.baseline and not self.path.exists():
            _err(f"the config's baseline {config.baseline} does not exist yet (create it with --write-baseline)")
            self.path = None
        if args.prune_baseline and self.path is None:
            raise AdoptionError("--prune-baseline needs a baseline (--baseline FILE or 'baseline' in the config)")
        try:
            if self.path is not None:
                self.baseline = Baseline.load(self.path)
            if args.new_since:
                self.base = GitBase.open(root, args.new_since)
        except BaselineError as exc:
            raise AdoptionError(f"baseline error: {exc}") from None
        except GitDiffError as exc:
            raise AdoptionError(f"--new-since: {exc}") from None

    def apply(self, findings: list) -> tuple[list, list] | None:
        """(findings to report, findings for SARIF: those plus the baselined ones marked
        ``unchanged``), or None after writing a baseline."""
        from .engine.baseline import Baseline, BaselineError
        from .engine.gitdiff import GitDiffError, filter_new_since

        try:
            if self.write_to is not None:
                Baseline.from_findings(findings).save(self.write_to)
                _err(f"wrote a baseline of {len(findings)} finding(s) to {self.write_to}")
                return None
            reported, sarif = findings, findings
            baseline = self.baseline
            if baseline is not None and self.path is not None:
                if self.args.prune_baseline:
                    pruned = baseline.pruned(findings)
                    pruned.save(self.path)
                    _err(f"pruned the baseline {self.path}: {baseline.total} -> {pruned.total} finding(s)")
                    baseline = pruned
                sarif = baseline.classify(findings).findings
                reported = [f for f in sarif if f.baseline_state == "new"]
            if self.base is not None:
                sarif = filter_new_since(self.base, sarif)
                keep = {id(f) for f in sarif}
                reported = [f for f in reported if id(f) in keep]
        except BaselineError as exc:
            raise AdoptionError(f"baseline error: {exc}") from None
        except GitDiffError as exc:
            raise AdoptionError(f"--new-since: {exc}") from None
        if baseline is not None and self.args.format == "text":
            _err(f"{len(sarif) - len(reported)} finding(s) in the baseline not shown")
        return reported, sarif


def _progress(args: argparse.Namespace):
    if args.no_progress or (args.format != "text" and not args.output) or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )
    state: dict = {}

    def update(done: int, total: int | None, path: str) -> None:
        if "task" not in state:
            if (total or 0) < 200:  # short scans need no bar
                state["task"] = None
                return
            progress.start()
            state["task"] = progress.add_task("scanning", total=total)
        if state["task"] is not None:
            progress.update(state["task"], completed=done)

    def finish() -> None:
        if state.get("task") is not None:
            progress.stop()

    return update, finish


def _print_text(result, findings, output: str | None) -> None:
    from rich.console import Console

    file = open(output, "w", encoding="utf-8") if output else None
    console = Console(file=file, highlight=False, soft_wrap=True) if file else Console(highlight=False, soft_wrap=True)
    try:
        by_path: dict[str, list] = {}
        for f in findings:
            by_path.setdefault(f.path or "(project)", []).append(f)
        pack = result.pack
        for path, items in by_path.items():
            console.print(f"[bold underline]{path}[/]")
            for f in items:
                style = _SEVERITY_STYLE[f.severity.value]
                loc = f"{f.range.start.line + 1}:{f.range.start.character + 1}"
                section = pack.section_title(f.section)
                fix = " [green](fix available)[/]" if f.fix else ""
                console.print(
                    f"  {loc:>8}  [{style}]{f.severity.value:<8}[/] [bold]{f.rule}[/] [dim]{section}[/]  {_escape(f.message)}{fix}"
                )
            console.print()
        summary = result.summary()
        counts = ", ".join(f"{n} {s}" for s, n in _by_severity(findings).items()) or "no findings"
        console.print(f"[bold]{len(findings)} finding(s)[/] in {summary['files']} file(s): {counts}")
        if result.skipped:
            console.print(f"[dim]{len(result.skipped)} file(s) skipped (see --format json for reasons)[/]")
    finally:
        if file:
            file.close()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _by_severity(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in Severity:
        n = sum(1 for f in findings if f.severity is s)
        if n:
            counts[s.value] = n
    return counts


def cmd_report(args: argparse.Namespace) -> int:
    from .report import cli_report

    root = Path(args.path)
    if not root.is_dir():
        _err(f"no such workspace directory: {args.path}")
        return EXIT_USAGE
    root = root.resolve()
    config = load_config(root, Path(args.config) if args.config else None)
    text, path = cli_report(root, config, args.format, args.output)
    if path is None:
        _write(text, None)
    else:
        _err(f"report written to {path}")
    return EXIT_OK


def cmd_lsp(args: argparse.Namespace) -> int:
    from .lsp.server import run

    run(tcp=(args.host, args.port) if args.tcp else None)
    return EXIT_OK


def _load_pack_for(args: argparse.Namespace) -> CompiledPack:
    extra = [Path(p) for p in _csv(args.rules)]
    return load_pack(Path(args.pack) if args.pack else None, extra)


def cmd_rules(args: argparse.Namespace) -> int:
    pack = _load_pack_for(args)
    if args.action == "validate":
        for e in pack.errors:
            print(str(e))
        print(f"{len(pack.rules)} rule(s) loaded, {len(pack.errors)} error(s)")
        return EXIT_USAGE if pack.errors else EXIT_OK
    if args.action == "list":
        return _rules_list(pack, args.format)
    if args.action == "test":
        from .engine.ruletest import run_pack_cases

        for e in pack.errors:
            print(f"LOAD ERROR {e}")
        results = run_pack_cases(pack, set(_csv(args.only)) or None)
        failed = [r for r in results if not r.ok]
        for r in failed:
            print(f"{r.status.upper():<16} {r.rule} {r.kind}[{r.index}]: {r.detail}")
        tested = len({r.rule for r in results})
        print(f"{tested} rule(s), {len(results)} case(s): {len(results) - len(failed)} passed, {len(failed)} failed")
        return EXIT_FINDINGS if failed or pack.errors else EXIT_OK
    if args.action == "docs":
        from .engine.ruledocs import rule_page

        if args.output:
            out = Path(args.output)
            out.mkdir(parents=True, exist_ok=True)
            for rule in pack.rules:
                (out / f"{rule.id}.md").write_text(rule_page(pack, rule), encoding="utf-8")
            print(f"wrote {len(pack.rules)} page(s) to {out}")
        else:
            for rule in pack.rules:
                print(rule_page(pack, rule))
        return EXIT_OK
    return EXIT_USAGE


def _rules_list(pack: CompiledPack, fmt: str) -> int:
    from collections import Counter

    from .syntax.languages import family_of

    if fmt == "json":
        print(json.dumps([
            {"id": r.id, "name": r.rule.name, "section": r.rule.section, "severity": r.severity.value,
             "kind": r.rule.kind.value, "languages": list(r.rule.languages), "enabled": r.rule.enabled,
             "checklist": r.rule.checklist}
            for r in pack.rules
        ], indent=2))
        return EXIT_OK
    for r in pack.rules:
        langs = ",".join(r.rule.languages) or "-"
        flag = "" if r.rule.enabled else " (disabled)"
        print(f"{r.id}  {r.severity.value:<8} {r.rule.kind.value:<7} {r.rule.section:<13} {langs:<24} {r.rule.name}{flag}")
    print()
    by_section = Counter(r.rule.section for r in pack.rules)
    print("per section:  " + "  ".join(f"{k} {by_section.get(k, 0)}" for k in SECTION_KEYS))
    # A rule belongs to the ecosystem of its folder (csharp/ holds .csproj probes as well as C#
    # queries); rules outside a language folder count under their language family.
    by_lang: Counter[str] = Counter()
    for r in pack.rules:
        folder = r.path.split("/", 1)[0] if "/" in r.path else ""
        if folder in ("python", "javascript", "java", "go", "csharp", "ruby", "common"):
            by_lang[folder] += 1
        else:
            for fam in {family_of(lang) for lang in (r.languages or ())} or {"project"}:
                by_lang[fam] += 1
    print("per language: " + "  ".join(f"{k} {v}" for k, v in sorted(by_lang.items())))
    folders = sorted(by_lang)
    print()
    print(f"{'section':<14}" + "".join(f"{f:>11}" for f in folders))
    for key in SECTION_KEYS:
        row = Counter(
            (r.path.split("/", 1)[0] if "/" in r.path else "project") for r in pack.rules if r.rule.section == key
        )
        print(f"{key:<14}" + "".join(f"{row.get(f, 0):>11}" for f in folders))
    kinds = Counter(r.rule.kind.value for r in pack.rules)
    print(f"total: {len(pack.rules)} ({kinds.get('finding', 0)} rules, {kinds.get('probe', 0)} probes)")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
