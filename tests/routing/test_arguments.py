"""Wrong argument types and values for Flow.route, sessions, loading and `civiccc flow`.

Every one is a ConfigError naming the argument (or the option, from the command line); none is
a raw AttributeError/TypeError/OverflowError.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from civiccc.cli.flow import flow as flow_cli
from civiccc.errors import ConfigError
from civiccc.routing import Flow, load_flow, reference_walk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"

CITY_FILE = EXAMPLES / "city_hall.yaml"
VAN = ZoneInfo("America/Vancouver")
OPEN = datetime(2025, 6, 17, 10, 0, tzinfo=VAN)  # a Tuesday morning: the menus are reached
CALLER = "+1 604 555 0199"
DTMF = "0123456789*#"


@pytest.fixture(scope="module")
def city() -> Flow:
    return load_flow(CITY_FILE)


_SHARED = load_flow(CITY_FILE)


def fresh() -> Flow:
    """The city flow with its memos emptied (the checks on a memo miss are exercised)."""
    _SHARED.engine.clear_memos()
    return _SHARED


@pytest.mark.parametrize(
    "at", ["2025-06-17T10:00Z", date(2025, 6, 17), 1750154400, None, 17.5], ids=repr
)
def test_at_that_is_not_an_aware_datetime(city: Flow, at: Any) -> None:
    with pytest.raises(ConfigError, match="expected an aware datetime") as info:
        city.route(CALLER, at, "14")
    assert info.value.path == "at"
    with pytest.raises(ConfigError, match="expected an aware datetime"):
        city.start(CALLER, at)


def test_naive_at_is_still_refused(city: Flow) -> None:
    with pytest.raises(ConfigError, match="naive") as info:
        city.route(CALLER, datetime(2025, 6, 17, 10), "14")
    assert info.value.path == "at"


@pytest.mark.parametrize("caller", [16045550199, 6.04e9, b"+16045550199", ["+1604"]], ids=repr)
def test_caller_that_is_not_a_string(caller: Any) -> None:
    for city in (fresh(), load_flow(CITY_FILE)):
        for at in (OPEN, datetime(2025, 6, 17, 23, tzinfo=VAN)):  # classified or not
            with pytest.raises(ConfigError, match="calling number") as info:
                city.route(caller, at, "14")
            assert info.value.path == "caller"
        with pytest.raises(ConfigError, match="calling number"):
            city.start(caller, OPEN)
    with pytest.raises(ConfigError, match="calling number"):
        reference_walk(fresh(), caller, OPEN, "14")


def _error(route: Any, caller: Any, at: datetime, inputs: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        route(caller, at, inputs)
    return info.value


_NOT_CALLERS = st.one_of(
    st.integers(), st.floats(), st.booleans(), st.binary(max_size=3),
    st.lists(st.integers(0, 9), max_size=2), st.tuples(st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1), st.just(object()),
)  # fmt: skip
_LATE = datetime(2025, 6, 17, 23, tzinfo=VAN)  # closed: voicemail, whoever calls


@settings(max_examples=80, deadline=None)
@given(
    caller=_NOT_CALLERS,
    at=st.sampled_from([OPEN, _LATE]),
    inputs=st.sampled_from(["", "14", "2", "9"]),
)
def test_a_warm_memo_checks_the_caller_as_a_cold_call_does(
    caller: Any, at: datetime, inputs: str
) -> None:
    """A memoised decision, even one that does not depend on the caller (voicemail at 23:00),
    refuses a caller that is not a string with the cold call's error (0 is not anonymous)."""
    city = fresh()
    cold = _error(city.route, caller, at, inputs)
    city.route(CALLER, at, inputs)  # warms the decision memo for (at, inputs)
    warm = _error(city.route, caller, at, inputs)
    assert (warm.path, str(warm), warm.value is caller) == (cold.path, str(cold), True)
    assert cold.path == "caller" and "calling number" in str(cold)


def test_int_zero_after_a_valid_late_call(city: Flow) -> None:
    """The review's case: route(0, at, "14") once the 23:00 voicemail decision is memoised."""
    assert city.route(CALLER, _LATE, "14").target == "voicemail"
    with pytest.raises(ConfigError, match="calling number") as info:
        city.route(0, _LATE, "14")  # type: ignore[arg-type]
    assert info.value.path == "caller" and info.value.value == 0


def test_anonymous_callers_are_fine(city: Flow) -> None:
    assert city.route(None, OPEN, "") == city.route("", OPEN, "")


@pytest.mark.parametrize(
    "inputs", [None, 14, 1.0, object()], ids=["None", "int", "float", "object"]
)
def test_inputs_that_are_neither_keys_nor_a_sequence(city: Flow, inputs: Any) -> None:
    with pytest.raises(ConfigError, match="DTMF keys") as info:
        city.route(CALLER, OPEN, inputs)
    assert info.value.path == "inputs"


def test_bytes_are_not_keys(city: Flow) -> None:
    with pytest.raises(ConfigError, match="got int 49") as info:
        city.route(CALLER, OPEN, b"14")
    assert info.value.path == "inputs[0]"


@pytest.mark.parametrize("bad", [None, 1, 4.0, ("1",)], ids=repr)
def test_a_sequence_item_that_is_not_a_string(city: Flow, bad: Any) -> None:
    with pytest.raises(ConfigError, match="each input") as info:
        city.route(CALLER, OPEN, ["1", bad])
    assert info.value.path == "inputs[1]"
    with pytest.raises(ConfigError, match="each input"):
        reference_walk(city, CALLER, OPEN, ["1", bad])


@settings(max_examples=60, deadline=None)
@given(
    head=st.text(alphabet=DTMF, max_size=3),
    bad=st.characters(blacklist_characters=DTMF, blacklist_categories=("Cs",)),
    tail=st.text(alphabet=DTMF, max_size=3),
)
def test_a_character_no_telephone_can_send(head: str, bad: str, tail: str) -> None:
    """`route(..., "1x4")` and `start(...).press("x")` agree: a programming error."""
    city = fresh()
    keys = head + bad + tail
    with pytest.raises(ConfigError, match="not a DTMF key") as info:
        city.route(CALLER, OPEN, keys)
    assert info.value.path == "inputs"
    # the same string again (nothing was memoised for it) and after a valid call warmed the memo
    city.route(CALLER, OPEN, head)
    with pytest.raises(ConfigError, match="not a DTMF key"):
        city.route(CALLER, OPEN, keys)
    with pytest.raises(ConfigError, match="not a DTMF key") as pressed:
        city.start(CALLER, OPEN).press(keys)
    assert pressed.value.path == "keys"
    with pytest.raises(ConfigError, match="not a DTMF key"):
        reference_walk(city, CALLER, OPEN, keys)


def test_inputs_from_an_iterator_are_read_once(city: Flow) -> None:
    """Checking the items does not use up a one-shot iterator before routing reads it."""
    listed = reference_walk(city, CALLER, OPEN, ["1", "4"])
    assert reference_walk(city, CALLER, OPEN, iter(["1", "4"])) == listed
    assert city.route(CALLER, OPEN, iter(["1", "4"])) == listed


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=DTMF, max_size=5))
def test_valid_keys_route_as_before(keys: str) -> None:
    """A key a menu does not map is a caller's doing: the flow's invalid-key path, no error."""
    city = fresh()
    assert city.route(CALLER, OPEN, keys) == reference_walk(city, CALLER, OPEN, keys)
    s = city.start(CALLER, OPEN)
    for key in keys:
        if s.done:
            break
        s.press(key)
    while not s.done:
        s.timeout()
    assert s.decision == city.route(CALLER, OPEN, list(s.inputs))


def test_unmapped_key_takes_the_invalid_path(city: Flow) -> None:
    d = city.route(CALLER, OPEN, "9")  # the language menu maps 1 and 2 only
    assert "invalid" in " ".join(d.trace)


def test_session_inputs_of_the_wrong_type(city: Flow) -> None:
    s = city.start(CALLER, OPEN)
    with pytest.raises(ConfigError, match="DTMF keys") as info:
        s.press(1)  # type: ignore[arg-type]
    assert info.value.path == "keys"
    with pytest.raises(ConfigError, match="phrase") as said:
        s.say(5)  # type: ignore[arg-type]
    assert said.value.path == "phrase"
    assert s.inputs == ()  # nothing was fed
    s.say("x")  # an unrecognised phrase is the caller's doing: not an error
    assert s.inputs == ("x",)


@pytest.mark.parametrize(
    "at",
    [
        datetime(9999, 12, 31, 23, tzinfo=UTC),
        datetime(1, 1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 12, tzinfo=VAN),
    ],
    ids=str,
)
def test_instants_outside_the_calendars_range(city: Flow, at: datetime) -> None:
    with pytest.raises(ConfigError, match="outside the dates") as info:
        city.route(CALLER, at, "")
    assert info.value.path == "at"
    assert "0002-01-01 to 9998-12-31" in str(info.value)
    with pytest.raises(ConfigError, match="outside the dates"):
        city.start(CALLER, at)


@pytest.mark.parametrize(
    "at", [datetime(9998, 6, 16, 10, tzinfo=VAN), datetime(3, 6, 16, 10, tzinfo=UTC)], ids=str
)
def test_far_but_supported_instants_route(at: datetime) -> None:
    # a flow of its own: its calendars lay out only the years around ``at``
    assert load_flow(CITY_FILE).route(CALLER, at, "").target


# ----------------------------------------------------------------- regions, at load


def _city_with(**classify: Any) -> dict[str, Any]:
    data = yaml.safe_load(CITY_FILE.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["nodes"]["classify"].update(classify)
    return data


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"region": "ZZ"}, "nodes.classify.region"),
        ({"home_regions": ["CA", "QQ"]}, "nodes.classify.home_regions[1]"),
        ({"region": "ZZ", "home_regions": ["CA"]}, "nodes.classify.region"),
    ],
)
def test_classify_regions_are_checked_at_load(patch: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError, match="unknown region code") as info:
        load_flow(_city_with(**patch))
    assert info.value.path == path
    assert info.value.node == "classify"


def test_classify_region_error_names_file_and_node(tmp_path: Path) -> None:
    file = tmp_path / "zz.yaml"
    file.write_text(yaml.safe_dump(_city_with(region="ZZ")), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_flow(file)
    assert info.value.file == str(file)
    assert str(info.value).startswith(f"{file}: nodes.classify.region: unknown region code 'ZZ'")
    result = CliRunner().invoke(flow_cli, ["check", str(file)])
    assert result.exit_code == 1
    assert "nodes.classify.region" in result.output and str(file) in result.output
    assert "Traceback" not in result.output


def test_valid_node_regions_load() -> None:
    city = load_flow(_city_with(region="fr", home_regions=["FR", "BE"]))
    assert city.route("+33 6 12 34 56 78", OPEN, "").target


# ----------------------------------------------------------------- the command line


def test_cli_route_out_of_range_and_bad_keys() -> None:
    runner = CliRunner()
    base = ["route", str(CITY_FILE), "--caller", CALLER]
    result = runner.invoke(flow_cli, [*base, "--at", "9999-12-31T23:00+00:00"])
    assert result.exit_code == 1
    assert "--at" in result.output and "0002-01-01 to 9998-12-31" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    result = runner.invoke(flow_cli, [*base, "--at", "2025-06-17T10:00-07:00", "--inputs", "1x4"])
    assert result.exit_code == 1
    assert "--inputs" in result.output and "'x' is not a DTMF key" in result.output


def test_cli_draw_into_a_missing_directory(tmp_path: Path) -> None:
    out = tmp_path / "nodir" / "x.mmd"
    result = CliRunner().invoke(flow_cli, ["draw", str(CITY_FILE), "-o", str(out)])
    assert result.exit_code == 2
    assert "--output" in result.output and "No such file or directory" in result.output
    assert isinstance(result.exception, SystemExit)
    ok = tmp_path / "x.mmd"
    assert CliRunner().invoke(flow_cli, ["draw", str(CITY_FILE), "-o", str(ok)]).exit_code == 0
    assert ok.read_text(encoding="utf-8").startswith("flowchart")
