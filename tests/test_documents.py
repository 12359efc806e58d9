"""Every loader reads files through civiccc._documents: duplicate keys refused, errors located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from civiccc._documents import read_document
from civiccc.calendar import load_calendars
from civiccc.cases import Catalogue
from civiccc.errors import ConfigError
from civiccc.routing import load_flow
from civiccc.sim import load_scenario

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"

LOADERS: dict[str, tuple[Path, Callable[[Path], Any]]] = {
    "calendar": (EX / "calendars" / "city_hall.yaml", load_calendars),
    "catalogue": (EX / "cases" / "services.yaml", Catalogue.load),
    "flow": (EX / "flows" / "city_hall.yaml", load_flow),
    "scenario": (EX / "scenarios" / "town_storm_de.yaml", load_scenario),
}


def _copy(tmp_path: Path, src: Path) -> Path:
    """The example next to copies of the files it names (relative paths keep working)."""
    for f in src.parent.parent.rglob("*"):
        if f.is_file() and f.suffix in (".yaml", ".yml", ".csv", ".json"):
            dst = tmp_path / f.relative_to(src.parent.parent)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(f.read_bytes())
    return tmp_path / src.relative_to(src.parent.parent)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_a_duplicated_top_level_key_is_refused_with_file_and_line(
    tmp_path: Path, kind: str
) -> None:
    src, load = LOADERS[kind]
    path = _copy(tmp_path, src)
    load(path)  # the copy loads
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, ln in enumerate(lines) if ln and ln[0].isalpha() and ":" in ln)
    key = lines[first].split(":")[0]
    # the first top-level key again, at the end: PyYAML alone would keep this one silently
    path.write_text("\n".join([*lines, lines[first]]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load(path)
    msg = str(err.value)
    assert f"duplicate key {key!r} (line {len(lines) + 1})" in msg
    assert str(path) in msg


def _refused(load: Callable[[Path], Any], path: Path, content: str | bytes, match: str) -> None:
    """Writing ``content`` to ``path``, ``load`` raises the ConfigError ``match`` naming it."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as err:
        load(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_bad_bytes_and_bad_yaml_name_the_file(tmp_path: Path, kind: str) -> None:
    _, load = LOADERS[kind]
    _refused(load, tmp_path / "b.yaml", b"\xff\xfe\x00x", "not UTF-8")
    _refused(load, tmp_path / "c.yaml", "a: [unclosed\nb: 1\n", "invalid YAML")
    unsafe = "a: !!python/object/apply:os.system ['true']\n"
    _refused(load, tmp_path / "d.yaml", unsafe, "invalid YAML")


def test_duplicate_nested_key_in_a_calendar_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "cal.yaml"
    f.write_text(
        "calendars:\n"
        "  hall: {timezone: America/Vancouver, hours: 24/7}\n"
        "  hall: {timezone: Europe/Berlin, hours: 24/7}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"duplicate key 'hall' \(line 3\)"):
        load_calendars(f)


def test_scenario_queues_file_errors_are_located(tmp_path: Path) -> None:
    src = _copy(tmp_path, LOADERS["scenario"][0])
    q = tmp_path / "scenarios" / "q.yaml"
    q.write_text("- not\n- a mapping\n", encoding="utf-8")
    # replace the scenario's inline queues block by a queues_file reference
    out, skipping = [], False
    for ln in src.read_text(encoding="utf-8").splitlines():
        if ln.startswith("queues:"):
            out.append("queues_file: q.yaml")
            skipping = True
            continue
        if skipping and (ln.startswith(" ") or not ln):
            continue
        skipping = False
        out.append(ln)
    src.write_text("\n".join(out) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="queues_file") as err:
        load_scenario(src)
    assert "mapping" in str(err.value)
    q.write_text("queues_config:\n  agents: {}\n  agents: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate key 'agents'"):
        load_scenario(src)


def test_yaml_merge_keys_still_work_and_may_be_overridden(tmp_path: Path) -> None:
    """``<<: *anchor`` (which PyYAML's safe loader accepts) is kept; a key the merge brings in
    may be overridden, but a key written twice is still refused."""
    f = tmp_path / "m.yaml"
    f.write_text(
        "base: &b {timezone: UTC, hours: 24/7}\nhall:\n  <<: *b\n  timezone: Europe/Berlin\n",
        encoding="utf-8",
    )
    assert read_document(f)["hall"] == {"timezone": "Europe/Berlin", "hours": "24/7"}
    f.write_text("base: &b {a: 1}\nhall:\n  <<: *b\n  c: 2\n  c: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"duplicate key 'c' \(line 5\)"):
        read_document(f)


def test_json_duplicates_and_odd_yaml_keys_are_located(tmp_path: Path) -> None:
    duplicate = '{"calendars": {}, "calendars": {"x": 1}}'
    _refused(read_document, tmp_path / "d.json", duplicate, "duplicate key 'calendars'")
    _refused(read_document, tmp_path / "k.yaml", "? [a, b]\n: 1\n", "invalid YAML")  # list key
