"""``civiccc cases``: check a service catalogue, export Open311 services, compute due times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from civiccc.calendar import load_calendars
from civiccc.cases import CaseDesk, Catalogue, MemoryStore, services_json
from civiccc.clock import VirtualClock
from civiccc.errors import ConfigError, NoOpenTimeError

__all__ = ["cases"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _catalogue(path: Path) -> Catalogue:
    try:
        return Catalogue.load(path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


@click.group()
def cases() -> None:
    """311 cases: service catalogues, Open311 export, SLA due times."""


@cases.command()
@click.argument("file", type=_FILE)
def check(file: Path) -> None:
    """Load the catalogue FILE and list its services, or show the first error and where."""
    cat = _catalogue(file)
    for svc in sorted(cat.services.values(), key=lambda s: s.code):
        targets = ", ".join(
            f"{p}:{k}={t.seconds / 3600:g}h{'' if t.business else ' (calendar)'}"
            for p, per in svc.targets.items()
            for k, t in per.items()
        )
        click.echo(f"{svc.code}  [{svc.department}]  {svc.name}  {targets}")
    click.echo(f"{len(cat.services)} services, {len(cat.departments)} departments: ok")


@cases.command("services")
@click.argument("file", type=_FILE)
def services(file: Path) -> None:
    """Print the Open311 GeoReport v2 service list (services.json) of FILE."""
    click.echo(json.dumps(services_json(_catalogue(file)), indent=2))


@cases.command()
@click.argument("file", type=_FILE)
@click.option("--calendars", "calendars_file", type=_FILE, required=True, help="calendars YAML")
@click.option("--service", required=True, help="service code")
@click.option("--at", "at", required=True, help="opening instant, ISO 8601 with offset")
@click.option("--priority", default=None, help="priority (default: the service's)")
@click.option("--attr", "attrs_", multiple=True, help="attribute as code=value (repeatable)")
def due(
    file: Path,
    calendars_file: Path,
    service: str,
    at: str,
    priority: str | None,
    attrs_: tuple[str, ...],
) -> None:
    """Explain when a case of SERVICE opened AT is due, clock by clock."""
    cat = _catalogue(file)
    try:
        opened = dt.datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(
            f"{at!r} is not an ISO 8601 date/time", param_hint="--at"
        ) from None
    if opened.tzinfo is None:
        raise click.BadParameter(
            "needs a UTC offset, e.g. 2025-06-16T09:00-07:00", param_hint="--at"
        )
    attributes = dict(a.split("=", 1) for a in attrs_ if "=" in a)
    try:
        desk = CaseDesk(
            cat,
            clock=VirtualClock(opened),
            calendars=load_calendars(calendars_file),
            store=MemoryStore(),
        )
        case = desk.create(service, by="cli", priority=priority, at=opened, attributes=attributes)
    except OverflowError:
        raise _out_of_range(at, "it is outside the supported dates") from None
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    try:
        explained = [desk.explain(case.id, kind) for kind in case.clocks]
    except OverflowError:
        raise _out_of_range(at, "it is outside the supported dates") from None
    except (ConfigError, NoOpenTimeError) as e:
        # calendars lay out a bounded range of years: a due time beyond is not computable
        raise _out_of_range(at, str(e)) from None
    for text in explained:
        click.echo(text)


def _out_of_range(at: str, why: str) -> click.BadParameter:
    return click.BadParameter(
        f"cannot compute due times for a case opened at {at!r}: {why}", param_hint="'--at'"
    )
