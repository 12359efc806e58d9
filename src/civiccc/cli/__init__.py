"""The ``civiccc`` command line (click).

Sub-commands live in their own modules and are loaded lazily, so ``civiccc --help`` stays fast
and a domain's optional dependencies are imported only when its command runs.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

__all__ = ["main"]

#: command name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "calendar": "civiccc.cli.calendar:calendar",
    "cases": "civiccc.cli.cases:cases",
    "demo": "civiccc.cli.demo:demo",
    "flow": "civiccc.cli.flow:flow",
    "simulate": "civiccc.cli.simulate:simulate",
}


def _available(name: str) -> bool:
    module_name = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *filter(_available, COMMANDS)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or not _available(cmd_name):
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        command: Any = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="civiccc")
def main() -> None:
    """civiccc: routing, queues, cases and simulation for a municipal contact centre."""
