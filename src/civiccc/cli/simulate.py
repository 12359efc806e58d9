"""``civiccc simulate SCENARIO``: run replications of a scenario and print KPIs."""

from __future__ import annotations

from pathlib import Path

import click

from civiccc.errors import CivicccError

__all__ = ["announce_line", "kpi_table", "outcome_line", "simulate"]


def kpi_table(data: object) -> str:
    """The KPI table (``all`` and per queue) as aligned text."""
    from civiccc.sim._report import _fmt, kpi_rows

    cols = ("offered", "answered", "abandonment", "service_level", "asa", "occupancy",
            "callbacks", "cases", "sla_breaches", "fcr")  # fmt: skip
    rows: list[tuple[str, ...]] = [("queue", *cols)]
    for q, k in kpi_rows(data):  # type: ignore[arg-type]
        rows.append((q, *(_fmt(k.get(c), c) for c in cols)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols) + 1)]
    return "\n".join(
        "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


def outcome_line(res: object) -> str:
    """How the calls of one run ended, most frequent first (``answered 1635, disconnect ...``).

    Calls that never reach a queue (an emergency or after-hours announcement, voicemail, a
    transfer by the flow) are not in the KPI table's ``offered``; this line accounts for them.
    """
    from civiccc.sim._report import outcome_counts

    return "call outcomes: " + ", ".join(
        f"{k} {v}"
        for k, v in outcome_counts(res)  # type: ignore[arg-type]
    )


def announce_line(res: object) -> str | None:
    """How the wait announcements compared with the waits (``None`` without announcements)."""
    from civiccc.sim._report import announcement_accuracy

    acc = announcement_accuracy(res)  # type: ignore[arg-type]
    if acc is None:
        return None
    n, told, waited = acc
    return (
        f"wait announcements: {n} answered callers were told {told:.0f} s on average"
        f" and waited {waited:.0f} s"
    )


@click.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replications", "-n", default=1, show_default=True, type=click.IntRange(1))
@click.option(
    "--seed",
    "-s",
    default=None,
    type=int,
    help="Seed of the first replication (default: the scenario's seed, else 0).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML report here.",
)
@click.option("--workers", type=click.IntRange(1), help="Process pool size (default: one per CPU).")
def simulate(
    scenario: Path, replications: int, seed: int | None, report: Path | None, workers: int | None
) -> None:
    """Simulate SCENARIO (YAML) and print KPIs (means and 95 % CIs over replications)."""
    from concurrent.futures import ProcessPoolExecutor

    from civiccc.sim import load_scenario, run_replications, write_report
    from civiccc.sim._scenario import resolve_seed

    try:
        sc = load_scenario(scenario)
        seed = resolve_seed(sc, seed)
        if workers is not None and replications > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                summary = run_replications(sc, replications, seed=seed, executor=pool)
        else:
            summary = run_replications(sc, replications, seed=seed)
    except CivicccError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{sc.name}: {replications} replication(s), seeds {seed}..{seed + replications - 1}")
    click.echo(kpi_table(summary if replications > 1 else summary.runs[0]))
    first = " (first run)" if replications > 1 else ""
    click.echo(outcome_line(summary.runs[0]) + first)
    announced = announce_line(summary.runs[0])
    if announced is not None:
        click.echo(announced + first)
    if report is not None:
        try:
            write_report(summary if replications > 1 else summary.runs[0], report)
        except OSError as e:
            raise click.ClickException(f"{e.filename or report}: {e.strerror or e}") from None
        click.echo(f"report: {report}")
