"""``civiccc flow``: check, route and draw auto-attendant flows."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from civiccc.errors import CivicccError, ConfigError
from civiccc.routing import Flow, load_flow

__all__ = ["flow"]


#: Flow.route's arguments -> the options of `flow route` that give them
_OPTIONS = {"at": "--at", "caller": "--caller", "inputs": "--inputs"}


def _load(file: str, calendars: str | None) -> Flow:
    try:
        return load_flow(file, calendars=calendars)
    except CivicccError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def flow() -> None:
    """Auto-attendant flows: check them, route a call, draw them."""


@flow.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--calendars", type=click.Path(exists=True, dir_okay=False), help="calendars file")
@click.option("--json", "as_json", is_flag=True, help="findings as JSON")
@click.option("--strict", is_flag=True, help="exit 1 on warnings too")
def check_cmd(file: str, calendars: str | None, as_json: bool, strict: bool) -> None:
    """Load FILE and report static-analysis findings (exit 1 on errors)."""
    f = _load(file, calendars)
    findings = f.check()
    if as_json:
        data = [
            {"code": x.code, "node": x.node, "severity": x.severity, "message": x.message}
            for x in findings
        ]
        click.echo(json.dumps(data, indent=2))
    elif not findings:
        click.echo(f"{file}: flow {f.id!r} ({len(f.spec.nodes)} nodes): no findings")
    else:
        for x in findings:
            click.echo(f"{file}: {x}")
    bad = [x for x in findings if x.severity == "error" or strict]
    if bad:
        sys.exit(1)


@flow.command("route")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--caller", default="", help="calling number (empty = anonymous)")
@click.option(
    "--at", "at_text", required=True, help="ISO time with offset, e.g. 2025-06-02T10:00-07:00"
)
@click.option("--inputs", default="", help="keys the caller presses, e.g. 12")
@click.option("--calendars", type=click.Path(exists=True, dir_okay=False), help="calendars file")
@click.option("--json", "as_json", is_flag=True, help="the decision as JSON")
def route_cmd(
    file: str, caller: str, at_text: str, inputs: str, calendars: str | None, as_json: bool
) -> None:
    """Route one call through FILE and print the decision and its trace."""
    f = _load(file, calendars)
    try:
        at = datetime.fromisoformat(at_text.replace("Z", "+00:00"))
        decision = f.route(caller, at, inputs)
    except ValueError as exc:
        if not isinstance(exc, ConfigError):
            raise click.BadParameter(str(exc), param_hint="'--at'") from exc
        # a bad argument (an instant out of range, a key that is not DTMF) names its option
        option = _OPTIONS.get((exc.path or "").split("[")[0])
        if option is not None and exc.file is None:
            raise click.ClickException(f"{option}: {exc.message}") from exc
        raise click.ClickException(str(exc)) from exc
    except CivicccError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
        return
    extra = f" (priority {decision.priority})" if decision.priority is not None else ""
    click.echo(f"{decision.kind} -> {decision.target}{extra}")
    if decision.variables:
        variables = ", ".join(f"{k}={v}" for k, v in sorted(decision.variables.items()))
        click.echo(f"variables: {variables}")
    click.echo("path: " + " > ".join(decision.path))
    click.echo("trace:")
    for line in decision.trace:
        click.echo(f"  {line}")


@flow.command("draw")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="mermaid", show_default=True
)
@click.option("--calendars", type=click.Path(exists=True, dir_okay=False), help="calendars file")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to a file")
def draw_cmd(file: str, fmt: str, calendars: str | None, output: str | None) -> None:
    """Print FILE as Graphviz DOT or Mermaid text."""
    f = _load(file, calendars)
    text = f.to_dot() if fmt == "dot" else f.to_mermaid()
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            msg = f"cannot write {output}: {exc.strerror or exc}"
            raise click.BadParameter(msg, param_hint="'-o' / '--output'") from exc
    else:
        click.echo(text, nl=False)
