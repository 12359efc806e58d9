"""The ``civiccc`` command line (click).

Sub-commands live in their own modules and are loaded lazily, so ``civiccc --help`` stays fast
and a domain's optional dependencies are imported only when its command runs.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

__all__ = ["main"]

#: command name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "calendar": "civiccc.cli.calendar:calendar",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        command: Any = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="civiccc")
def main() -> None:
    """civiccc: routing, queues, cases and simulation for a municipal contact centre."""
