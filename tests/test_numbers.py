from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civiccc.errors import ConfigError
from civiccc.numbers import (
    ANONYMOUS_TOKENS,
    CallerKind,
    Classifier,
    Pseudonymizer,
    classify,
    mask,
)


@pytest.mark.parametrize(
    ("raw", "kind", "e164", "region", "mobile"),
    [
        ("+16045551234", CallerKind.DOMESTIC, "+16045551234", "CA", False),
        ("604-555-1234", CallerKind.DOMESTIC, "+16045551234", "CA", False),
        ("(250) 555-1212", CallerKind.DOMESTIC, "+12505551212", "CA", False),
        ("+1 416 555 0199", CallerKind.DOMESTIC, "+14165550199", "CA", False),
        ("+12125550147", CallerKind.FOREIGN, "+12125550147", "US", False),
        ("+447911123456", CallerKind.FOREIGN, "+447911123456", "GG", True),
        ("+4930123456", CallerKind.FOREIGN, "+4930123456", "DE", False),
        ("+33612345678", CallerKind.FOREIGN, "+33612345678", "FR", True),
        ("+919876543210", CallerKind.FOREIGN, "+919876543210", "IN", True),
    ],
)
def test_valid_numbers(raw: str, kind: CallerKind, e164: str, region: str, mobile: bool) -> None:
    info = classify(raw, region="CA", home_regions=("CA",))
    assert (info.kind, info.e164, info.region, info.is_mobile) == (kind, e164, region, mobile)
    assert info.is_valid


def test_fixed_line_or_mobile_is_not_mobile() -> None:
    info = classify("+16045551234")
    assert info.number_type == "fixed_line_or_mobile"
    assert not info.is_mobile


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "anonymous",
        "Anonymous",
        "PRIVATE",
        "restricted",
        "unavailable",
        "Unknown",
        "withheld",
        " Withheld ",
    ],
)
def test_anonymous(raw: str | None) -> None:
    info = classify(raw)
    assert info.kind is CallerKind.ANONYMOUS
    assert info.e164 is None and not info.is_valid


@pytest.mark.parametrize("raw", ["abc", "12", "+15555550100", "+999123", "0000000000000000000"])
def test_invalid(raw: str) -> None:
    assert classify(raw).kind is CallerKind.INVALID


def test_home_regions_decide_domestic() -> None:
    assert classify("+12125550147", home_regions=("CA", "US")).kind is CallerKind.DOMESTIC
    de = Classifier("DE", home_regions=("DE", "AT"))
    assert de.classify("089 1234567").kind is CallerKind.DOMESTIC
    assert de.classify("089 1234567").e164 == "+49891234567"
    assert de.classify("+43 1 5123456").kind is CallerKind.DOMESTIC
    assert de.classify("+41 44 668 18 00").kind is CallerKind.FOREIGN


def test_bad_configuration_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"home_regions\[1\]: unknown region code 'XX'"):
        Classifier("CA", home_regions=("CA", "XX"))
    with pytest.raises(ConfigError, match="region: unknown region code"):
        classify("+16045551234", region="Canada")
    with pytest.raises(ConfigError, match="memo_size"):
        Classifier(memo_size=-1)


def test_memo_is_bounded_and_returns_the_same_answers() -> None:
    c = Classifier("CA", memo_size=3)
    numbers = ["+16045550101", "+16045550102", "+16045550103", "+16045550104"]
    first = [c.classify(n) for n in numbers]
    assert c.memo_len() == 3
    again = [c.classify(n) for n in numbers]
    assert first == again
    c.clear()
    assert c.memo_len() == 0
    assert Classifier(memo_size=0).classify("+16045550101") == first[0]


@given(st.text(max_size=20))
def test_classify_never_raises_and_memo_agrees(raw: str) -> None:
    c = Classifier("CA")
    a = c.classify(raw)
    assert c.classify(raw) is a
    assert a == classify(raw)
    if a.kind in (CallerKind.DOMESTIC, CallerKind.FOREIGN):
        assert a.e164 is not None and a.e164.startswith("+")
        assert classify(a.e164).e164 == a.e164
    if raw.strip().lower() in ANONYMOUS_TOKENS:
        assert a.kind is CallerKind.ANONYMOUS


def test_mask() -> None:
    assert mask("+16045551234") == "+1604*****34"
    assert mask("withheld") == "anonymous"
    assert mask("12345") == "*****"


def test_pseudonymizer_is_stable_keyed_and_format_independent() -> None:
    p = Pseudonymizer("a-long-secret-key")
    q = Pseudonymizer("another-secret-key")
    t = p.token("+16045551234")
    assert t == p.token("(604) 555-1234") == p.token("604.555.1234")
    assert t != q.token("+16045551234")
    assert t != p.token("+16045551235")
    assert "6045551234" not in t
    assert p.token("anonymous") == "caller:anonymous"
    assert p.token("garbage").startswith("caller:")
    assert len(Pseudonymizer(b"12345678", length=8).token("+16045551234")) == len("caller:") + 8
    with pytest.raises(ConfigError, match="key"):
        Pseudonymizer("short")
    with pytest.raises(ConfigError, match="length"):
        Pseudonymizer("a-long-secret-key", length=4)
