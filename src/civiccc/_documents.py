"""Reading YAML/JSON documents for every loader: located errors, no silently dropped keys.

Core (imports only ``civiccc.errors``). PyYAML's ``safe_load`` keeps the *last* of two equal
keys in a mapping, so a duplicated calendar, department, queue or scenario field would be lost
without a word; this loader refuses them, naming the key and its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from civiccc.errors import ConfigError

__all__ = ["parse_yaml", "read_document", "refuse_unknown"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """PyYAML's safe mapping, after refusing a key written twice. Keys that a merge (``<<:
    *defaults``) brings in may be overridden, as YAML says; only written keys are compared."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            again = key in seen
        except TypeError:  # a list or mapping as a key: PyYAML's own error says so below
            break
        if again:
            mark = key_node.start_mark
            msg = f"duplicate key {key!r} (line {mark.line + 1})"
            raise ConfigError(msg, path=f"line {mark.line + 1}", value=key)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: a JSON object with a key written twice is refused, as in YAML."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ConfigError(f"duplicate key {key!r}", value=key)
        out[key] = value
    return out


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, file: str | None = None) -> Any:
    """Parse YAML text (safe tags only, no duplicate keys); errors name ``file`` and the line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as exc:
        raise exc.at(file=file) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", file=file, path=where) from None


def read_document(path: str | Path) -> Any:
    """Read a YAML or JSON (``.json``) document; errors name the file (and the line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (byte {exc.start})"
        raise ConfigError(msg, file=str(p)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", file=str(p)) from None
    if p.suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except ConfigError as exc:
            raise exc.at(file=str(p)) from None
        except json.JSONDecodeError as exc:
            msg = f"invalid JSON: {exc.msg}"
            raise ConfigError(msg, file=str(p), path=f"line {exc.lineno}") from None
    return parse_yaml(text, str(p))


def refuse_unknown(
    data: Mapping[Any, Any],
    allowed: Iterable[str],
    path: str = "",
    *,
    node: str | None = None,
    hint: str = "",
) -> None:
    """Refuse a key of ``data`` outside ``allowed``: a misspelt field is never silently
    ignored. The ``ConfigError`` is at ``path.key`` (``node``: the queue/agent it belongs to)."""
    # a sequence is listed in its own order (the author's), a set sorted
    names = sorted(allowed) if isinstance(allowed, (set, frozenset)) else list(allowed)
    for key in data:
        if key not in names:
            where = f"{path}.{key}" if path else str(key)
            msg = f"unknown field {key!r} (expected one of {', '.join(names)}){hint}"
            raise ConfigError(msg, path=where, node=node, value=key)
