"""``civiccc calendar``: show and check business calendars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pendulum

from civiccc.calendar import Calendar, load_calendars
from civiccc.calendar._calendar import SUPPORTED_DATES
from civiccc.errors import ConfigError

__all__ = ["calendar"]


def _load(path: Path) -> dict[str, Calendar]:
    try:
        return load_calendars(path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


@click.group()
def calendar() -> None:
    """Show and check business calendars (YAML/JSON files)."""


@calendar.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Load FILE and report its calendars, or the first error with its location."""
    cals = _load(file)
    for cal in cals.values():
        shared = f", shares {', '.join(r.name for r in cal.shared)}" if cal.shared else ""
        src = cal.holiday_source
        hol = (
            f", holidays {src.country}{'/' + src.subdiv if src and src.subdiv else ''}"
            if src
            else ""
        )
        click.echo(f"ok  {cal.id}: {cal.timezone}{hol}{shared}")


@calendar.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "cal_id", help="Only this calendar (default: all in the file).")
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First local date (default: 2025-06-30).",
)
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366))
@click.option("--scope", default=None, help="Emergency scope to apply (e.g. service:waste).")
def show(
    file: Path, cal_id: str | None, start: dt.datetime | None, days: int, scope: str | None
) -> None:
    """Print each local day's opening states and changes, with the rule that decided them."""
    cals = _load(file)
    if cal_id is not None:
        if cal_id not in cals:
            msg = f"no calendar {cal_id!r} in {file} (has: {', '.join(cals)})"
            raise click.ClickException(msg)
        cals = {cal_id: cals[cal_id]}
    first = start.date() if start is not None else dt.date(2025, 6, 30)
    for cal in cals.values():
        try:
            _show(cal, first, days, scope)
        except (ConfigError, OverflowError) as e:
            # an instant outside the calendar's compiled range: the dates asked for are the problem
            why = (
                e.message
                if isinstance(e, ConfigError)
                else f"outside the dates a calendar supports ({SUPPORTED_DATES}, local time)"
            )
            msg = f"{first.isoformat()} + {days} days: {why}"
            raise click.BadParameter(msg, param_hint="'--from' / '--days'") from None


def _show(cal: Calendar, first: dt.date, days: int, scope: str | None) -> None:
    tz = pendulum.timezone(cal.timezone)  # the calendar's zone, without laying out any year
    a = dt.datetime(first.year, first.month, first.day, tzinfo=tz)
    b = a + dt.timedelta(days=days)
    open_total = cal.business_time_between(a, b, scope)  # checks the range before printing
    click.echo(f"{cal.id} ({cal.timezone})")
    for t, state in cal.changes(a, b, scope):
        local = t.astimezone(tz)
        click.echo(f"  {local:%a %Y-%m-%d %H:%M %Z}  {state.kind.value:<9} {state.rule}")
    nxt = cal.next_open(b, scope)
    click.echo(
        f"  open time in the period: {open_total}; next opening after it: "
        f"{nxt.astimezone(tz):%a %Y-%m-%d %H:%M %Z}"
        if nxt
        else "  never opens again"
    )
