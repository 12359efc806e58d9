"""The layering of docs/architecture.md, enforced on the source tree."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import civiccc

SRC = Path(civiccc.__file__).parent
CORE = {"clock", "calendar", "numbers", "events", "errors", "_documents"}
DOMAINS = {"routing", "queues", "cases"}
TOP = {"sim", "cli"}


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "civiccc" or len(parts) == 1:
        return "root"
    return parts[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("civiccc.")}


def _source_files() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        out.append((".".join(("civiccc", *rel.parts)), path))
    return out


@pytest.mark.parametrize(("module", "path"), _source_files(), ids=lambda v: str(v))
def test_layering(module: str, path: Path) -> None:
    own = _layer(module)
    for imported in _imports(path):
        other = _layer(imported)
        if other in ("root", own):
            continue
        if own in CORE:
            assert other in CORE, f"core module {module} imports {imported}"
        elif own in DOMAINS:
            assert other in CORE, (
                f"domain module {module} imports {imported} (domains meet through core types)"
            )
        # sim and cli may use the domains, but only their public packages
        if other in DOMAINS and own != other:
            private = [p for p in imported.split(".")[2:] if p.startswith("_")]
            assert not private, f"{module} imports private {imported}"


def _packages() -> list[str]:
    names = ["civiccc"]
    for info in pkgutil.iter_modules([str(SRC)]):
        if not info.name.startswith("_") and info.name != "cli":
            names.append(f"civiccc.{info.name}")
    return names


@pytest.mark.parametrize("name", _packages())
def test_public_api_is_small_sorted_and_real(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr!r}"
