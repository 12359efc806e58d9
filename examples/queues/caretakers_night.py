"""A night on the caretakers' 24/7 line and a morning on the city's waste hotline.

Run: python examples/queues/caretakers_night.py

Loads examples/queues/hotlines.yaml, drives the engine on a virtual clock (the same way the
simulator does: push events, fire timers with next_timer()/advance(), hand commands to a
telephony adapter), and prints commands, coverage decisions, hand-over and KPIs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from civiccc.calendar import load_calendars
from civiccc.clock import VirtualClock
from civiccc.errors import PolicyViolation
from civiccc.events import EventBus
from civiccc.numbers import Pseudonymizer, mask
from civiccc.queues import CoverageChanged, QueueEngine, QueuesConfig

HERE = Path(__file__).resolve().parent


def load() -> tuple[QueuesConfig, dict]:  # type: ignore[type-arg]
    doc = yaml.safe_load((HERE / "hotlines.yaml").read_text(encoding="utf-8"))
    calendars: dict = {}  # type: ignore[type-arg]
    for f in doc["calendar_files"]:
        calendars.update(load_calendars(HERE / f))
    return QueuesConfig.from_dict(doc["queues_config"], file="hotlines.yaml"), calendars


def adapter(eng: QueueEngine, pseudo: Pseudonymizer) -> None:
    """A stand-in telephony adapter: print what it would do."""
    for cmd in eng.drain():
        when = datetime.fromtimestamp(cmd.at, UTC).strftime("%H:%M:%S")
        who = cmd.agent or ""
        extra = f" {cmd.data}" if cmd.data is not None else ""
        if cmd.kind == "connect" and cmd.contacts:  # auto-accepted: bridge to the agent's device
            extra += f" via={','.join(mask(n) for n in cmd.contacts)}"
        print(f"  {when} {cmd.kind:<14} call={cmd.call} agent={who} present={cmd.present}{extra}")


def main() -> None:
    cfg, calendars = load()
    clock = VirtualClock(datetime(2025, 12, 24, 22, 0, tzinfo=UTC))  # Christmas Eve, 23:00 Berlin
    bus = EventBus()
    bus.subscribe(
        CoverageChanged,
        lambda e: print(f"  coverage {e.queue}: {e.reachable}/{e.required} ok={e.ok}"),
    )
    eng = QueueEngine(cfg, clock=clock, bus=bus, calendars=calendars)
    pseudo = Pseudonymizer(b"example-key")

    print("Caretakers log in (Huber by phone feature code *61, Schmid by app):")
    eng.feature_code("+491701110001", "*61")
    eng.login("schmid")
    try:
        eng.logout("schmid")
        eng.logout("huber")
    except PolicyViolation as exc:
        print(f"  refused: {exc}")
    eng.login("schmid")

    print("Huber hands the line to Wagner until 06:00 local; Wagner accepts:")
    hid = eng.hand_over(
        "huber", "hausmeister", "wagner", until=datetime(2025, 12, 25, 5, 0, tzinfo=UTC)
    )
    eng.login("wagner")
    eng.respond_hand_over(hid, "wagner", accept=True)

    print("A burst pipe is reported; nobody answers the first ring:")
    call = eng.arrive("hausmeister", caller=pseudo.token("+4915112345678"))
    adapter(eng, pseudo)
    clock.advance(25)
    eng.advance()  # ring timeout fires
    adapter(eng, pseudo)
    nxt = eng.call_info(call)["offered"][0]
    clock.advance(3)
    eng.answer(call, nxt)
    clock.advance(240)
    eng.end(call)
    adapter(eng, pseudo)

    print("Simulator-style loop: fire every timer until 06:30 local:")
    end = datetime(2025, 12, 25, 5, 30, tzinfo=UTC).timestamp()
    while (t := eng.next_timer()) is not None and t <= end:
        clock.set(t)
        eng.advance()
    clock.set(end)
    print("  hand-overs:", [(h["to"], h["state"]) for h in eng.handovers()])
    print("  audit:", [(e.actor, e.action) for e in eng.audit])

    print("Morning on the waste hotline (08:00 Vancouver; Priya's softphone auto-accepts):")
    clock.set(datetime(2025, 12, 29, 16, 0, tzinfo=UTC))
    for a in ("priya", "maria"):
        eng.login(a)
    calls = [eng.arrive("waste_collection") for _ in range(3)]
    eng.announce(calls[2])
    for c in calls:
        info = eng.call_info(c)
        if info["offered"]:
            eng.answer(c, info["offered"][0])
    clock.advance(timedelta(minutes=4))
    for c in calls[:2]:
        eng.end(c)
    adapter(eng, pseudo)
    k = eng.kpis("waste_collection", actor="tom")
    print(f"  KPIs: offered={k.offered} answered={k.answered} ASA={k.asa} SL={k.service_level}")
    s = eng.stats("waste_collection")
    print(f"  now: waiting={s.waiting} agents={dict(s.agents)} EWT={s.estimated_wait:.0f}s")


if __name__ == "__main__":
    main()
