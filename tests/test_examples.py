"""Every shipped example loads and every example script runs (examples must not rot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from civiccc.calendar import load_calendars
from civiccc.cases import Catalogue
from civiccc.queues import QueuesConfig
from civiccc.routing import load_flow
from civiccc.sim import load_scenario

EXAMPLES = Path(__file__).parents[1] / "examples"


@pytest.mark.parametrize("path", sorted((EXAMPLES / "flows").glob("*.yaml")), ids=lambda p: p.name)
def test_flows_load_and_check_clean(path: Path) -> None:
    flow = load_flow(path)
    errors = [f for f in flow.check() if getattr(f, "severity", "error") == "error"]
    assert not errors, errors


@pytest.mark.parametrize(
    "path", sorted((EXAMPLES / "calendars").glob("*.yaml")), ids=lambda p: p.name
)
def test_calendars_load(path: Path) -> None:
    assert load_calendars(path)


@pytest.mark.parametrize("path", sorted((EXAMPLES / "queues").glob("*.yaml")), ids=lambda p: p.name)
def test_queue_configs_load(path: Path) -> None:
    import yaml

    assert QueuesConfig.from_dict(yaml.safe_load(path.read_text()), file=str(path))


def _is_catalogue(path: Path) -> bool:
    import yaml

    return "services" in (yaml.safe_load(path.read_text()) or {})


@pytest.mark.parametrize(
    "path", sorted((EXAMPLES / "scenarios").glob("*.yaml")), ids=lambda p: p.name
)
def test_scenarios_and_catalogues_load(path: Path) -> None:
    if _is_catalogue(path):  # a scenario's service catalogue lives beside it
        assert Catalogue.load(path)
    else:
        assert load_scenario(path)


@pytest.mark.parametrize("path", sorted((EXAMPLES / "cases").glob("*.yaml")), ids=lambda p: p.name)
def test_catalogues_load(path: Path) -> None:
    assert Catalogue.load(path)


@pytest.mark.parametrize(
    "script",
    sorted(p for p in EXAMPLES.glob("*/*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_example_scripts_run(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-P", str(script)],
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "an example script should show what it does"
