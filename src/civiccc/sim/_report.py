"""Plots (matplotlib, Agg) and a self-contained HTML report (plots as base64 PNG)."""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from civiccc.sim._records import Estimate, Results, Summary

__all__ = ["figures", "report_html", "write_report"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _local(res: Results, ts: list[float]) -> list[datetime]:
    zone = ZoneInfo(res.scenario.timezone)
    return [datetime.fromtimestamp(t, zone) for t in ts]


def figures(res: Results, queue: str | None = None) -> dict[str, Any]:
    """The four standard figures of one run as matplotlib ``Figure`` objects.

    Keys: ``arrivals`` (arrivals vs answered per interval), ``waits`` (waiting-time
    distribution of answered and abandoned calls), ``occupancy`` (agent occupancy by time of
    day), ``service_level`` (per interval).
    """
    plt = _plt()
    rows = res.by_interval(queue)
    x = _local(res, [r["interval"] for r in rows])
    width = res.scenario.interval / 86400.0
    out: dict[str, Any] = {}

    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.bar(x, [r["offered"] for r in rows], width=width, label="offered to queues", color="#9ecae1")
    ax.bar(x, [r["answered"] for r in rows], width=width * 0.6, label="answered", color="#3182bd")
    ax.set_ylabel("calls per interval")
    ax.set_title("Arrivals vs answered" + (f" ({queue})" if queue else ""))
    ax.legend(loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    out["arrivals"] = fig

    fig, ax = plt.subplots(figsize=(5, 3.2))
    calls = [c for c in res.calls if c.kind == "queue" and (queue is None or c.queue == queue)]
    ans = [c.wait for c in calls if c.outcome == "answered"]
    ab = [c.wait for c in calls if c.outcome == "abandoned"]
    top = max([*ans, *ab, 1.0])
    bins = [top * i / 40 for i in range(41)]
    ax.hist(
        [ans, ab],
        bins=bins,
        stacked=True,
        label=["answered", "abandoned"],
        color=["#3182bd", "#e6550d"],
    )
    ax.set_xlabel("seconds waited")
    ax.set_ylabel("calls")
    ax.set_title("Waiting time distribution")
    ax.legend()
    fig.tight_layout()
    out["waits"] = fig

    fig, ax = plt.subplots(figsize=(5, 3.2))
    zone = ZoneInfo(res.scenario.timezone)
    busy = [0.0] * 24
    staffed = [0.0] * 24
    for r in res.agents:
        t = r.start
        while t < r.end:
            lt = datetime.fromtimestamp(t, zone)
            nxt = min(r.end, t + 3600 - (lt.minute * 60 + lt.second + lt.microsecond / 1e6))
            d = nxt - t
            if r.status in ("on_queue_call", "wrap_up"):
                busy[lt.hour] += d
            if r.status in ("on_queue_call", "wrap_up", "ready", "offered"):
                staffed[lt.hour] += d
            t = nxt if nxt > t else t + 1.0
    occ = [b / s if s else 0.0 for b, s in zip(busy, staffed, strict=True)]
    ax.bar(range(24), occ, color="#31a354")
    ax.set_xlabel("hour of day (local)")
    ax.set_ylabel("occupancy")
    ax.set_ylim(0, 1)
    ax.set_title("Agent occupancy over the day")
    fig.tight_layout()
    out["occupancy"] = fig

    fig, ax = plt.subplots(figsize=(10, 3.2))
    pts = [
        (xx, r["service_level"])
        for xx, r in zip(x, rows, strict=True)
        if r["service_level"] is not None
    ]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", linestyle="-", color="#756bb1")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("service level")
    ax.set_title("Service level per interval (answered within target / answered)")
    fig.autofmt_xdate()
    fig.tight_layout()
    out["service_level"] = fig
    return out


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return base64.b64encode(buf.getvalue()).decode()


_COUNTS = frozenset(
    {"offered", "answered", "abandoned", "callbacks", "overflow", "cases", "sla_breaches"}
)


def _fmt(v: Any, column: str = "") -> str:
    """One KPI cell: counts as whole numbers (one decimal for a mean over replications),
    ``asa`` in seconds with one decimal, rates with three decimals."""
    if v is None:
        return "–"
    if isinstance(v, Estimate):
        return f"{_fmt(v.mean, column)} [{_fmt(v.low, column)}, {_fmt(v.high, column)}]"
    if isinstance(v, float):
        if column in _COUNTS:
            return str(int(v)) if v.is_integer() else f"{v:.1f}"
        if column == "asa":
            return f"{v:.1f}"
        return f"{v:.3f}"
    return html.escape(str(v))


def outcome_counts(res: Results) -> list[tuple[str, int]]:
    """How the calls of one run ended (``answered``, ``disconnect``, ``voicemail``, ...),
    most frequent first."""
    counts: dict[str, int] = {}
    for c in res.calls:
        counts[str(c.outcome)] = counts.get(str(c.outcome), 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def announcement_accuracy(res: Results) -> tuple[int, float, float] | None:
    """For answered callers who were told a wait estimate (``Scenario.announce``): how many,
    the mean announced wait and the mean actual wait (s); ``None`` if nobody was told one."""
    told = [(c.announced_wait, c.wait) for c in res.calls
            if c.announced_wait is not None and c.outcome == "answered"]  # fmt: skip
    if not told:
        return None
    n = len(told)
    return n, sum(a for a, _ in told) / n, sum(w for _, w in told) / n


_COLS = ("offered", "answered", "abandoned", "service_level", "asa", "abandonment",
         "unanswered_rate", "occupancy", "callbacks", "overflow", "cases", "sla_breaches",
         "transfer_rate", "fcr")  # fmt: skip


def kpi_rows(data: Results | Summary) -> list[tuple[str, dict[str, Any]]]:
    """(queue, KPIs) rows, ``all`` first; estimates with CIs for a :class:`Summary`."""
    first = data.runs[0] if isinstance(data, Summary) else data
    rows: list[tuple[str, dict[str, Any]]] = [("all", dict(data.kpis()))]
    for q in first.queues():
        rows.append((q, dict(data.kpis(q))))
    return rows


def report_html(data: Results | Summary, *, title: str | None = None) -> str:
    """A self-contained HTML page: KPI table (with 95 % CIs over replications) and plots."""
    res = data.runs[0] if isinstance(data, Summary) else data
    sc = res.scenario
    name = title or f"civiccc simulation: {sc.name}"
    head = "".join(f"<th>{c}</th>" for c in ("queue", *_COLS))
    body = "".join(
        "<tr>"
        + f"<th>{html.escape(q)}</th>"
        + "".join(f"<td>{_fmt(k.get(c), c)}</td>" for c in _COLS)
        + "</tr>"
        for q, k in kpi_rows(data)
    )
    n = len(data.runs) if isinstance(data, Summary) else 1
    figs = figures(res)
    imgs = "".join(
        f'<figure id="fig-{k}"><img alt="{k}" src="data:image/png;base64,{_png(f)}">'
        f"<figcaption>{k.replace('_', ' ')}</figcaption></figure>"
        for k, f in figs.items()
    )
    ci_note = "Figures are means with 95 % confidence intervals over replications." if n > 1 else ""
    out_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in outcome_counts(res)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
figure{{display:inline-block;margin:1em}}</style>
</head><body>
<h1>{html.escape(name)}</h1>
<p>Start {html.escape(sc.start.isoformat())}, {sc.days:g} days,
time zone {html.escape(sc.timezone)}; {n} replication(s), seed {res.seed};
{len(res.calls)} calls, {len(res.cases)} cases in the first run.
{ci_note}</p>
<h2>KPIs by queue</h2>
<table id="kpis"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>Call outcomes (first run)</h2>
<table id="outcomes"><tbody>{out_rows}</tbody></table>
<h2>Plots (first run)</h2>
{imgs}
</body></html>
"""


def write_report(data: Results | Summary, path: str | Path, *, title: str | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (parents created); return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(report_html(data, title=title), encoding="utf-8")
    return p
