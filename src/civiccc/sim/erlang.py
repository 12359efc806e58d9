"""Queueing formulas for contact centres: Erlang B, Erlang C (M/M/c) and Erlang A (M/M/c+M).

All times are in one unit of your choice (seconds throughout civiccc): ``rate`` is calls per
unit, ``handle`` the mean handle time, ``patience`` the mean patience, ``target`` the service
level threshold.

>>> round(erlang_b(2, 1.0), 4)
0.2
>>> r = erlang_c(2, rate=1 / 60, handle=60, target=20)
>>> round(r.p_wait, 4), round(r.asa, 2)
(0.3333, 20.0)
>>> a = erlang_a(10, rate=100 / 3600, handle=300, patience=180, target=20)
>>> 0 < a.abandonment < a.p_wait < 1
True
>>> agents_for_service_level(rate=100 / 3600, handle=300, level=0.8, target=20)
12
"""

from __future__ import annotations

import math

import attrs

__all__ = [
    "ErlangResult",
    "agents_for_abandonment",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
]


@attrs.frozen(kw_only=True)
class ErlangResult:
    """Steady-state figures of one model.

    ``p_wait``: probability an arriving call waits; ``abandonment``: probability it abandons
    (0 for Erlang C); ``asa``: mean wait of answered calls; ``mean_wait``: mean wait of all calls;
    ``service_level``: share of *answered* calls answered within ``target`` (the definition
    :class:`civiccc.queues.Kpis` uses); ``occupancy``: share of agent time busy.
    """

    agents: int
    load: float
    occupancy: float
    p_wait: float
    abandonment: float
    asa: float
    mean_wait: float
    service_level: float
    target: float


def _check(agents: int, rate: float, handle: float) -> None:
    if agents < 1:
        raise ValueError(f"agents must be >= 1, got {agents}")
    if rate <= 0 or handle <= 0:
        raise ValueError(f"rate and handle must be > 0, got rate={rate}, handle={handle}")


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c with offered ``load`` (Erlangs); stable recursion.

    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    """
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be >= 0")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, *, rate: float, handle: float, target: float = 20.0) -> ErlangResult:
    """M/M/c with FCFS and infinite patience; raises ``ValueError`` when the load is >= agents.

    >>> r = erlang_c(10, rate=100 / 3600, handle=300, target=20)
    >>> round(r.p_wait, 4), round(r.asa, 1), round(r.service_level, 4)
    (0.4876, 87.8, 0.5637)
    """
    _check(agents, rate, handle)
    a = rate * handle
    if a >= agents:
        raise ValueError(f"load {a:.3f} Erlang >= {agents} agents: no steady state")
    b = erlang_b(agents, a)
    rho = a / agents
    c = b / (1 - rho * (1 - b))
    drain = agents / handle - rate  # rate at which the queue empties
    asa_all = c / drain
    sl_all = 1 - c * math.exp(-drain * target)
    # among answered calls (all are answered): the same figures
    return ErlangResult(
        agents=agents,
        load=a,
        occupancy=rho,
        p_wait=c,
        abandonment=0.0,
        asa=asa_all,
        mean_wait=asa_all,
        service_level=sl_all,
        target=target,
    )


def _states(agents: int, rate: float, mu: float, theta: float) -> list[float]:
    """Stationary distribution of M/M/c+M (birth-death), truncated where the tail is < 1e-16."""
    logs = [0.0]
    lp = 0.0
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        lp += math.log(rate / death)
        logs.append(lp)
        if n > agents and lp - max(logs) < -40 and rate < death:
            break
        if n > agents + 1_000_000:  # pragma: no cover - only for absurd inputs
            break
    top = max(logs)
    w = [math.exp(x - top) for x in logs]
    s = math.fsum(w)
    return [x / s for x in w]


def erlang_a(
    agents: int, *, rate: float, handle: float, patience: float, target: float = 20.0
) -> ErlangResult:
    """M/M/c+M (Palm/Erlang A): exponential patience with mean ``patience``; FCFS.

    The stationary distribution of the number in system is computed exactly (birth-death
    recursion in log space, truncated at a relative tail of e^-40). For a caller who finds ``k``
    callers waiting ahead, the time until a server takes them is a sum of exponential stages
    (rates ``c·mu + j·theta``, j = k..0) and they abandon at rate ``theta`` meanwhile; answered
    probability and mean wait follow in closed form, the service level from uniformising that
    stage chain. Works at any load (abandonment keeps it stable).

    >>> a = erlang_a(3, rate=1.0, handle=1.0, patience=1.0, target=0.0)
    >>> round(a.p_wait, 6)  # theta == mu: the number in system is Poisson(1)
    0.080301
    """
    _check(agents, rate, handle)
    if patience <= 0:
        raise ValueError(f"patience must be > 0, got {patience}")
    mu = 1.0 / handle
    theta = 1.0 / patience
    pi = _states(agents, rate, mu, theta)
    cmu = agents * mu
    p_wait = math.fsum(pi[agents:])
    served = 1.0 - p_wait  # callers finding a free agent
    wait_served = 0.0
    lost = 0.0
    ps = 1.0  # P(served | k ahead), built up stage by stage
    es = 0.0  # sum of 1/(c mu + (j+1) theta)
    start = pi[agents:]
    for k, p in enumerate(start):
        ps *= (cmu + k * theta) / (cmu + (k + 1) * theta)
        es += 1.0 / (cmu + (k + 1) * theta)
        served += p * ps
        lost += p * (1.0 - ps)
        wait_served += p * ps * es
    abandonment = lost
    asa = wait_served / served
    mean_wait = math.fsum((n - agents) * p for n, p in enumerate(pi) if n > agents) / rate
    # P(served within target): uniformise the stage chain (stage j -> j-1 at c mu + j theta,
    # stage 0 -> served at c mu, abandonment theta everywhere)
    kmax = len(start) - 1
    lam = cmu + (kmax + 1) * theta
    x = lam * target
    vec = list(start)
    done = 0.0
    weight = math.exp(-x) if x < 700 else 0.0
    cdf_term = 0.0
    if x >= 700:  # pragma: no cover - huge targets: everything that is served is served in time
        within = served - (1.0 - p_wait)
    else:
        # P(served by T) = sum_n Pois(n; x) * P(absorbed in served after n jumps)
        n = 0
        nmax = int(x + 12 * math.sqrt(x + 1) + 30)
        acc = 0.0
        while n <= nmax:
            acc += weight * done
            cdf_term += weight
            # one uniformised jump
            new = [0.0] * len(vec)
            for j, pj in enumerate(vec):
                if pj == 0.0:
                    continue
                down = cmu + j * theta
                if j == 0:
                    done += pj * cmu / lam
                else:
                    new[j - 1] += pj * down / lam
                new[j] += pj * (1.0 - (down + theta) / lam)
            vec = new
            n += 1
            weight *= x / n
        within = acc + (1.0 - cdf_term) * done
    sl = ((1.0 - p_wait) + within) / served
    busy = (rate * served) * handle / agents
    return ErlangResult(
        agents=agents,
        load=rate * handle,
        occupancy=busy,
        p_wait=p_wait,
        abandonment=abandonment,
        asa=asa,
        mean_wait=mean_wait,
        service_level=sl,
        target=target,
    )


def agents_for_service_level(
    *,
    rate: float,
    handle: float,
    level: float,
    target: float,
    patience: float | None = None,
    max_agents: int = 10_000,
) -> int:
    """Fewest agents whose service level (answered within ``target``) reaches ``level``.

    With ``patience`` Erlang A is used, else Erlang C.

    >>> agents_for_service_level(rate=100 / 3600, handle=300, level=0.8, target=20, patience=180)
    10
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    start = 1 if patience is not None else math.floor(rate * handle) + 1
    for c in range(start, max_agents + 1):
        if patience is None:
            r = erlang_c(c, rate=rate, handle=handle, target=target)
        else:
            r = erlang_a(c, rate=rate, handle=handle, patience=patience, target=target)
        if r.service_level >= level:
            return c
    raise ValueError(f"no staffing up to {max_agents} agents reaches {level}")


def agents_for_abandonment(
    *, rate: float, handle: float, patience: float, rate_max: float, max_agents: int = 10_000
) -> int:
    """Fewest agents whose Erlang A abandonment probability is at most ``rate_max``.

    >>> agents_for_abandonment(rate=100 / 3600, handle=300, patience=180, rate_max=0.05)
    11
    """
    if not 0 < rate_max < 1:
        raise ValueError(f"rate_max must be in (0, 1), got {rate_max}")
    for c in range(1, max_agents + 1):
        r = erlang_a(c, rate=rate, handle=handle, patience=patience)
        if r.abandonment <= rate_max:
            return c
    raise ValueError(f"no staffing up to {max_agents} agents reaches {rate_max}")
