"""Loading rule packs: YAML -> raw attrs model, strictly, with errors that point at the line.

The converter here is deliberately separate from pygls' (which ignores unknown keys, right for
editor settings): in a rule file an unknown key is a typo that would silently disable a
constraint, so it is an error. Errors name the file, the line and the key path, e.g.
``rules/x.yaml:12: rules[3].match.where[0]: extra fields found (captur)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception

from .model import PackHeader, Rule, RuleFile, Severity
from .snapshot import file_key, rule_file_snapshot

if TYPE_CHECKING:
    import yaml


def _loader() -> type:
    # pyyaml is imported on first use: rule files usually come from the snapshot, and importing
    # it cost 10 ms of every start-up.
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)

T = TypeVar("T")


@attrs.frozen
class LoadError:
    """One problem in a rule or config file; the rest of the file keeps loading."""

    path: str
    line: int | None
    """1-based, None when unknown."""
    message: str
    rule_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        rule = f" [{self.rule_id}]" if self.rule_id else ""
        return f"{where}:{rule} {self.message}"


def _hyphenated_structure_hook(cls: type, converter: cattrs.Converter) -> Any:
    overrides = {a.name: override(rename=a.name.replace("_", "-")) for a in attrs.fields(cls)}
    return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True, **overrides)


def make_converter() -> cattrs.Converter:
    """A strict converter: hyphenated keys, unknown keys forbidden, scalars promoted to lists."""
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook_factory(attrs.has, lambda cls: _hyphenated_structure_hook(cls, conv))
    conv.register_structure_hook(Severity, lambda v, _: Severity.parse(v))

    def str_list(value: Any, _: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"expected a string or a list of strings, got {type(value).__name__}")
        return list(value)

    def strict_str(value: Any, _: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return value

    def strict_bool(value: Any, _: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value

    def strict_int(value: Any, _: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value

    conv.register_structure_hook_func(lambda t: t == list[str], str_list)
    conv.register_structure_hook(str, strict_str)
    conv.register_structure_hook(bool, strict_bool)
    conv.register_structure_hook(int, strict_int)

    from .model import Example

    generated: list[Any] = []  # the mapping form's structure function, generated once

    def example_hook(value: Any, _: Any) -> Example:
        if isinstance(value, str):
            return Example(code=value)
        if not generated:  # generating it per example cost a `compile()` each (1,300 per pack)
            generated.append(_hyphenated_structure_hook(Example, conv))
        return generated[0](value, Example)

    conv.register_structure_hook(Example, example_hook)
    return conv


CONVERTER = make_converter()

_PATH_TOKEN = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")


def _node_at(node: yaml.Node | None, path: str) -> yaml.Node | None:
    """Follow a cattrs path (``$.rules[3].match``) through a composed YAML node tree."""
    if node is None:
        return None
    import yaml

    for name, index, quoted in _PATH_TOKEN.findall(path):
        key = name or quoted
        if node is None:
            return None
        if key and isinstance(node, yaml.MappingNode):
            yaml_key = key.replace("_", "-")
            nxt = None
            for k, v in node.value:
                if getattr(k, "value", None) in (key, yaml_key):
                    nxt = v
                    break
            node = nxt
        elif index and isinstance(node, yaml.SequenceNode):
            i = int(index)
            node = node.value[i] if i < len(node.value) else None
        else:
            return node
    return node


def _extra_key_line(node: yaml.Node | None, message: str) -> int | None:
    match = re.search(r"extra fields found \(([^)]*)\)", message)
    if not match or node is None:
        return None
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    names = {n.strip() for n in match.group(1).split(",")}
    for k, _ in node.value:
        if getattr(k, "value", None) in names:
            return k.start_mark.line + 1
    return None


def _format_exception(exc: BaseException, type_: Any) -> str:
    """Our own hooks raise ValueError with a message meant for users; keep it."""
    if type(exc) is ValueError and exc.args:
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        # cattrs joins the keys as strings; YAML keys can be null or numbers (`?`, `1: x`).
        return f"extra fields found ({', '.join(sorted(str(k) for k in exc.extra_fields))})"
    return format_exception(exc, type_)


def structure_errors(exc: Exception, root: yaml.Node | None, base_path: str = "$") -> list[tuple[int | None, str]]:
    """Turn a cattrs failure into (line, "key.path: message") pairs."""
    out: list[tuple[int | None, str]] = []
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc, path=base_path, format_exception=_format_exception)
    else:
        messages = [f"{exc} @ {base_path}"]
    for message in messages:
        text, _, path = message.rpartition(" @ ")
        if not text:
            text, path = message, base_path
        node = _node_at(root, path)
        line = _extra_key_line(node, text) or (node.start_mark.line + 1 if node is not None else None)
        shown = path.removeprefix("$.").removeprefix("$").replace("_", "-")
        out.append((line, f"{shown}: {text}" if shown else text))
    return out


def read_yaml(path: Path, display: str, raw: bytes | None = None) -> tuple[Any, yaml.Node | None, list[LoadError]]:
    """Parse a YAML file (or its bytes `raw`, already read), returning (data, composed node
    tree, errors)."""
    try:
        text = (raw if raw is not None else path.read_bytes()).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [LoadError(display, None, f"cannot read: {exc}")]
    import yaml

    try:
        # One parse for both (yaml.compose then yaml.load parsed every file twice): the node
        # tree, then the data constructed from it, as yaml.load does.
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, None, [LoadError(display, line, f"invalid YAML: {problem}")]
    except RecursionError:
        return None, None, [LoadError(display, None, "invalid YAML: nested too deeply")]
    return data, node, []


def structure(data: Any, cls: type[T], root: yaml.Node | None, display: str, base: str = "$") -> tuple[T | None, list[LoadError]]:
    try:
        return CONVERTER.structure(data, cls), []
    except Exception as exc:
        return None, [LoadError(display, line, msg) for line, msg in structure_errors(exc, root, base)]


def load_rule_file(path: Path, display: str) -> tuple[list[tuple[Rule, int]], list[LoadError]]:
    """Rules of one file with their 1-based line; errors for the ones that could not load.

    A file loaded before without errors comes from the snapshot of parsed files
    (rules/snapshot.py) instead of being parsed again; it then goes through the same structuring."""
    raw_bytes, key, hit, unreadable = _snapshotted(path, display)
    if unreadable is not None:
        return [], [unreadable]
    if hit is not None:
        data, lines = hit
        rules, errors = _rules_of(data, None, display, lines)
        if not errors:
            return rules, errors
    data, root, errors = read_yaml(path, display, raw_bytes)
    if errors:
        return [], errors
    rules, errors = _rules_of(data, root, display, None)
    if not errors and isinstance(data, dict):
        rules_node = _node_at(root, "$.rules")
        found: dict[str, int] = {}
        for index in range(len(data.get("rules") or [])):
            item_node = _node_at(rules_node, f"$[{index}]")
            if item_node is not None:
                found[f"$.rules[{index}]"] = item_node.start_mark.line + 1
        rule_file_snapshot().put(key, data, found)
    return rules, errors


def _snapshotted(path: Path, display: str) -> tuple[bytes, str, tuple[Any, dict[str, int]] | None, LoadError | None]:
    """A file's bytes, its snapshot key, the snapshot's parsed data for it if any, and the
    error that stopped reading it."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        return b"", "", None, LoadError(display, None, f"cannot read: {exc}")
    key = file_key(raw_bytes)
    return raw_bytes, key, rule_file_snapshot().get(key), None


def _rules_of(
    data: Any, root: yaml.Node | None, display: str, lines: dict[str, int] | None
) -> tuple[list[tuple[Rule, int]], list[LoadError]]:
    """Structure a rule file's data; item lines come from the node tree or, for a snapshot,
    from `lines`."""
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [LoadError(display, 1, "a rule file is a mapping with a 'rules' list")]
    raw, errs = structure(data, RuleFile, root, display)
    if raw is None:
        return [], errs
    errors: list[LoadError] = []
    rules: list[tuple[Rule, int]] = []
    rules_node = _node_at(root, "$.rules") if root is not None else None
    for index, item in enumerate(raw.rules):
        if lines is not None:
            item_node = None
            line = lines.get(f"$.rules[{index}]")
        else:
            item_node = _node_at(rules_node, f"$[{index}]")
            line = item_node.start_mark.line + 1 if item_node is not None else None
        rule_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item, dict) and raw.section and "section" not in item:
            item = {**item, "section": raw.section}
        rule, rule_errors = structure(item, Rule, item_node, display, base=f"$.rules[{index}]")
        if rule is None:
            # Errors are relative to the rule item; rebase the node lookups.
            fixed = []
            for e in rule_errors:
                fixed.append(attrs.evolve(e, rule_id=str(rule_id) if rule_id else None))
            errors.extend(_rebase(fixed, item_node, index))
            continue
        rules.append((rule, line or 0))
    return rules, errors


def _rebase(errors: Iterable[LoadError], item_node: yaml.Node | None, index: int) -> list[LoadError]:
    """structure() looked paths up from the item node with the full path; retry relative."""
    out = []
    prefix = f"rules[{index}]"
    for e in errors:
        msg = e.message
        line = e.line
        path = msg.split(":", 1)[0]
        rel = path.removeprefix(prefix)
        node = _node_at(item_node, "$" + rel)
        if node is not None:
            line = _extra_key_line(node, msg) or node.start_mark.line + 1
        out.append(attrs.evolve(e, line=line))
    return out


def load_pack_header(path: Path, display: str) -> tuple[PackHeader | None, list[LoadError]]:
    raw_bytes, key, hit, unreadable = _snapshotted(path, display)
    if unreadable is not None:
        return None, [unreadable]
    if hit is not None:
        header, errors = structure(hit[0], PackHeader, None, display)
        if header is not None:
            return header, errors
    data, root, errors = read_yaml(path, display, raw_bytes)
    if errors:
        return None, errors
    header, errors = structure(data, PackHeader, root, display)
    if header is not None:
        rule_file_snapshot().put(key, data, {})
    return header, errors
