"""Shared fixtures for the routing tests."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "examples" / "flows"

# the hypothesis strategies module sits next to the tests (import mode is importlib)
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
