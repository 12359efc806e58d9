"""Erlang B/C/A against published values and identities."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.sim import (
    agents_for_abandonment,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
)


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [  # classic Erlang B table values
        (1, 1.0, 0.5),
        (2, 1.0, 0.2),
        (5, 2.0, 0.0366972),
        (10, 5.0, 0.0183846),
        (20, 15.0, 0.0455932),
    ],
)
def test_erlang_b_table(c: int, a: float, expected: float) -> None:
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-5)


def test_erlang_c_published() -> None:
    # Two agents, one Erlang: C = 1/3; with mean handle 1 and rate 1, ASA = C / (c mu - lambda)
    r = erlang_c(2, rate=1.0, handle=1.0, target=0.0)
    assert r.p_wait == pytest.approx(1 / 3)
    assert r.asa == pytest.approx(1 / 3)
    assert r.service_level == pytest.approx(2 / 3)
    # the widely published worked example (Call Centre Helper's Erlang C walk-through):
    # 100 calls per 30 minutes, 180 s AHT (10 Erlang): P(wait) for 11..14 agents
    for n, pw in ((11, 0.6821), (12, 0.4494), (13, 0.2853), (14, 0.1741)):
        r = erlang_c(n, rate=100 / 1800, handle=180, target=20)
        assert r.p_wait == pytest.approx(pw, abs=5e-5)
        drain = n / 180 - 100 / 1800
        assert r.service_level == pytest.approx(1 - r.p_wait * math.exp(-drain * 20))
        assert r.asa == pytest.approx(r.p_wait / drain)


def test_erlang_c_unstable_rejected() -> None:
    with pytest.raises(ValueError, match="no steady state"):
        erlang_c(3, rate=1.0, handle=3.0)


def test_erlang_a_poisson_identity() -> None:
    # theta == mu: the number in system is Poisson(a)
    for c, a in ((3, 1.0), (10, 8.0), (5, 7.0)):
        r = erlang_a(c, rate=a, handle=1.0, patience=1.0)
        tail = 1 - sum(math.exp(-a) * a**k / math.factorial(k) for k in range(c))
        assert r.p_wait == pytest.approx(tail, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    c=st.integers(1, 30),
    load=st.floats(0.05, 0.95),
    patience=st.floats(30.0, 3000.0),
)
def test_erlang_a_identities(c: int, load: float, patience: float) -> None:
    handle = 300.0
    rate = load * c / handle
    r = erlang_a(c, rate=rate, handle=handle, patience=patience, target=20)
    # abandonment = theta * E[Q] / lambda = mean wait / mean patience
    assert r.abandonment == pytest.approx(r.mean_wait / patience, rel=1e-6, abs=1e-12)
    assert 0 <= r.abandonment <= r.p_wait <= 1
    assert 0 <= r.service_level <= 1 + 1e-9
    # with patience -> infinity Erlang A tends to Erlang C
    big = erlang_a(c, rate=rate, handle=handle, patience=1e12, target=20)
    ec = erlang_c(c, rate=rate, handle=handle, target=20)
    assert big.p_wait == pytest.approx(ec.p_wait, rel=1e-5, abs=1e-9)
    assert big.service_level == pytest.approx(ec.service_level, rel=1e-5, abs=1e-9)


def test_erlang_a_overloaded_is_stable() -> None:
    r = erlang_a(5, rate=10 / 60, handle=60, patience=60)  # twice the capacity
    assert r.abandonment > 0.4
    assert r.occupancy < 1


def test_staffing() -> None:
    n = agents_for_service_level(rate=100 / 1800, handle=180, level=0.8, target=20)
    assert n == 14  # the worked example's answer for 80/20
    assert erlang_c(n - 1, rate=100 / 1800, handle=180, target=20).service_level < 0.8
    m = agents_for_abandonment(rate=100 / 3600, handle=300, patience=180, rate_max=0.03)
    assert erlang_a(m, rate=100 / 3600, handle=300, patience=180).abandonment <= 0.03
    assert erlang_a(m - 1, rate=100 / 3600, handle=300, patience=180).abandonment > 0.03
    with pytest.raises(ValueError, match="level"):
        agents_for_service_level(rate=1, handle=1, level=1.5, target=1)
