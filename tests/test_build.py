"""The two builds: pure Python (editable installs, the sources) and compiled (mypyc).

``make compiled-test`` runs the queue and simulation suites a second time with the compiled
build first on the path and ``CIVICCC_EXPECT_COMPILED=1``; these tests then check that the
compiled modules really are the ones imported.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import civiccc

ROOT = Path(__file__).resolve().parents[1]
EXPECT_COMPILED = os.environ.get("CIVICCC_EXPECT_COMPILED") == "1"


def test_the_compiled_modules_are_the_ones_the_build_hook_compiles() -> None:
    hook = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    include = hook["targets"]["wheel"]["hooks"]["mypyc"]["include"]
    as_modules = [p.removeprefix("/src/").removesuffix(".py").replace("/", ".") for p in include]
    assert sorted(as_modules) == sorted(civiccc.COMPILABLE)


def test_compiled_modules_names_only_compilable_modules() -> None:
    assert set(civiccc.compiled_modules()) <= set(civiccc.COMPILABLE)


@pytest.mark.skipif(not EXPECT_COMPILED, reason="pure-Python run (make compiled-test runs both)")
def test_the_compiled_build_is_the_one_imported() -> None:
    assert civiccc.compiled_modules() == list(civiccc.COMPILABLE)
    for name in civiccc.COMPILABLE:
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert module.__file__.endswith(tuple(EXTENSION_SUFFIXES)), module.__file__
    # the sources in this checkout are not what runs
    assert not Path(civiccc.__file__).resolve().is_relative_to(ROOT / "src")


@pytest.mark.skipif(EXPECT_COMPILED, reason="compiled run")
def test_no_extension_module_shadows_the_sources() -> None:
    # a compiled module left in src/ would be imported instead of the .py being edited
    if Path(civiccc.__file__).resolve().is_relative_to(ROOT / "src"):
        stray = [p for s in EXTENSION_SUFFIXES for p in (ROOT / "src").rglob(f"*{s}")]
        assert stray == [], f"remove the compiled files from src/: {stray}"
        assert civiccc.compiled_modules() == []
