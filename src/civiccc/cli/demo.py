"""``civiccc demo``: a week at the reference city, with a storm, cases stored, HTML report."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from civiccc.errors import CivicccError

__all__ = ["DEMO_MARK", "demo"]

_SCENARIO = Path(__file__).resolve().parents[3] / "examples" / "scenarios" / "city_week.yaml"

#: The meta entry (``SqliteStore.put_meta``) by which the demo recognises its own database.
DEMO_MARK = "civiccc.demo"
#: Who the simulator's case events are by (``civiccc.sim``).
_SIMULATOR = ("sim-agent", "sim-clerk")


def _is_demo_output(db: Path) -> bool | None:
    """``None``: no database at ``db``; ``True``: one the demo wrote (marked, or from an earlier
    version: only the simulator's cases and no meta entries); ``False``: anything else.

    Read as an immutable file (no lock, no -wal/-shm files created): a database that is not
    the demo's is left untouched, byte for byte.
    """
    wal = Path(f"{db}-wal")
    if not db.exists():
        return False if wal.exists() else None
    if wal.exists() and wal.stat().st_size > 0:  # changes not in the file yet: not readable here
        return False
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            if con.execute("SELECT 1 FROM meta WHERE key = ?", (DEMO_MARK,)).fetchone():
                return True
            # the output of a demo from before the mark: nothing but the simulator's cases
            meta = con.execute("SELECT count(*) FROM meta").fetchone()[0]
            others = con.execute(
                "SELECT count(*) FROM audit WHERE by NOT IN (?, ?)", _SIMULATOR
            ).fetchone()[0]
            simulated = con.execute("SELECT count(*) FROM audit").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(meta == 0 and others == 0 and simulated > 0)


@click.command()
@click.option("--scenario", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Scenario file (default: examples/scenarios/city_week.yaml).")  # fmt: skip
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Directory for cases.sqlite and report.html.",
)
@click.option(
    "--seed",
    default=None,
    type=int,
    help="Random seed (default: the scenario's seed, else 2025).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@click.option(
    "--force",
    is_flag=True,
    help="Replace OUT/cases.sqlite even when it is not the demo's own output.",
)
def demo(scenario: Path | None, out: Path, seed: int | None, progress: bool, force: bool) -> None:
    """Simulate a week at the reference city (storm on Friday) and write a report.

    The cases are kept in OUT/cases.sqlite and the report is written to OUT/report.html. A
    database the demo wrote itself (it carries a "civiccc.demo" meta entry; or, written by
    an earlier version, holds only the simulator's cases) is replaced, so the demo can run
    again and again; any other database there is refused and left as it is, unless --force
    is given.
    """
    from tqdm import tqdm

    from civiccc.cases import SqliteStore
    from civiccc.cli.simulate import announce_line, kpi_table, outcome_line
    from civiccc.sim import load_scenario, simulate_to_sqlite, write_report
    from civiccc.sim._scenario import resolve_seed

    path = scenario or _SCENARIO
    if not path.exists():
        raise click.ClickException(
            f"scenario not found: {path} (run from a clone of the repository)"
        )
    db = out / "cases.sqlite"
    try:
        sc = load_scenario(path)
        seed = resolve_seed(sc, seed, 2025)
        if not force and _is_demo_output(db) is False:
            raise click.ClickException(
                f"{db} exists and is not the demo's own output: it was left as it is"
                " (choose another --out, or --force to replace it)"
            )
        hours = round(sc.days * 24)
        with tqdm(total=hours, unit="h", desc="simulating", disable=not progress) as bar:
            res = simulate_to_sqlite(
                sc, db, seed=seed, progress=lambda s: bar.update(round(s / 3600))
            )
        # marked once written; a run cut short leaves only the simulator's cases, which
        # _is_demo_output recognises as well
        store = SqliteStore(db)
        try:
            store.put_meta(DEMO_MARK, {"scenario": sc.name, "seed": seed})
            stored = len(store.query())
        finally:
            store.close()
        click.echo(kpi_table(res))
        click.echo(outcome_line(res))
        announced = announce_line(res)
        if announced is not None:
            click.echo(announced)
        click.echo(f"{len(res.calls)} calls, {len(res.cases)} cases ({stored} stored in {db})")
        report = write_report(res, out / "report.html")
    except CivicccError as e:
        raise click.ClickException(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"{e.filename or out}: {e.strerror or e}") from None
    click.echo(f"report: {report}")
