"""Settings shared by the whole test suite."""

from __future__ import annotations

from hypothesis import settings

# Hypothesis' default 200 ms deadline per example is a timed assertion: on a shared 2-core
# machine running the suite in parallel it fails at random (seen: 339 ms for an example that
# imports networkx). Performance lives in benchmarks/, so no example has a deadline here.
settings.register_profile("civiccc", deadline=None)
settings.load_profile("civiccc")
