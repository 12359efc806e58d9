"""civiccc: the logic of a municipal contact centre as an embeddable Python SDK.

Packages: :mod:`civiccc.clock`, :mod:`civiccc.calendar`, :mod:`civiccc.numbers`,
:mod:`civiccc.events`, :mod:`civiccc.errors` (core); :mod:`civiccc.routing`,
:mod:`civiccc.queues`, :mod:`civiccc.cases` (domains); :mod:`civiccc.sim` (simulation).
"""

from __future__ import annotations

import logging
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from civiccc.errors import CivicccError

__all__ = ["COMPILABLE", "CivicccError", "__version__", "compiled_modules"]

__version__ = "0.1.0"

#: The modules the compiled build compiles with mypyc (the hot paths of the queue engine and the
#: simulator; ``[tool.hatch.build.targets.wheel.hooks.mypyc]`` in pyproject.toml lists the same).
COMPILABLE: tuple[str, ...] = ("civiccc.queues._engine", "civiccc.sim._core", "civiccc.sim._model")


def compiled_modules() -> list[str]:
    """The modules of :data:`COMPILABLE` that this installation runs compiled (``[]``: pure Python).

    A compiled module is a C extension beside its ``.py`` source, which Python then imports
    instead. Nothing is imported to find out.

    >>> set(compiled_modules()) <= set(COMPILABLE)
    True
    """
    root = Path(__file__).parent
    out = []
    for name in COMPILABLE:
        base = root.joinpath(*name.split(".")[1:])
        if any(base.with_name(base.name + suffix).exists() for suffix in EXTENSION_SUFFIXES):
            out.append(name)
    return out


logging.getLogger(__name__).addHandler(logging.NullHandler())
