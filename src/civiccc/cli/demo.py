"""``civiccc demo``: a week at the reference city, with a storm, cases stored, HTML report."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["demo"]

_SCENARIO = Path(__file__).resolve().parents[3] / "examples" / "scenarios" / "city_week.yaml"


@click.command()
@click.option("--scenario", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Scenario file (default: examples/scenarios/city_week.yaml).")  # fmt: skip
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
)
@click.option("--seed", default=2025, show_default=True, type=int)
@click.option("--progress/--no-progress", default=True, show_default=True)
def demo(scenario: Path | None, out: Path, seed: int, progress: bool) -> None:
    """Simulate a week at the reference city (storm on Friday) and write a report."""
    from tqdm import tqdm

    from civiccc.cases import SqliteStore
    from civiccc.cli.simulate import announce_line, kpi_table, outcome_line
    from civiccc.sim import load_scenario, simulate_to_sqlite, write_report

    path = scenario or _SCENARIO
    if not path.exists():
        raise click.ClickException(
            f"scenario not found: {path} (run from a clone of the repository)"
        )
    sc = load_scenario(path)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "cases.sqlite"
    with tqdm(total=round(sc.days * 24), unit="h", desc="simulating", disable=not progress) as bar:
        res = simulate_to_sqlite(sc, db, seed=seed, progress=lambda s: bar.update(round(s / 3600)))
    store = SqliteStore(db)
    try:
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
    click.echo(f"report: {report}")
