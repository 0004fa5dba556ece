"""The README's "From Python" example runs (issue #9 §1): its first ``python`` block is
taken from README.md and executed in a folder whose ``./seawatch-data`` is a small store
with one engagement incident described by two events, so the README cannot go stale."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import seawatch
from seawatch.detect import event_id
from seawatch.schema import EVENTS
from tests.api._apistore import build_store, event_rows

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks(text: str, section: str) -> list[str]:
    """The ```python blocks of the README section headed ``## {section}``."""
    m = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m is not None, f"README.md has no section {section!r}"
    return re.findall(r"^```python\n(.*?)^```", m.group(1), re.S | re.M)


def _events_with_an_incident() -> pa.Table:
    """The fixture events plus an interception of the encounter's pair over the same hours:
    two engagement events, one incident."""
    rows = event_rows()
    enc = next(r for r in rows if r["type"] == "encounter")
    start, end = enc["start"], enc["end"]
    assert isinstance(start, datetime) and isinstance(end, datetime)
    intercept: dict[str, object] = {
        **enc,
        "type": "interception",
        "event_id": event_id("interception", [311000001, 775000002], start),
        "end": end + timedelta(hours=1),
        "duration_h": 4.0,
        "confidence": 0.8,
    }
    incident = min(str(enc["event_id"]), str(intercept["event_id"]))
    for r in rows:
        r["incident_id"] = incident if r is enc else r["event_id"]
    intercept["incident_id"] = incident
    return pa.Table.from_pylist([*rows, intercept], schema=EVENTS)


def test_the_from_python_section_has_one_store_example() -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8"), "From Python")
    assert len(blocks) == 2
    assert 'seawatch.open_store("./seawatch-data")' in blocks[0]
    assert "seawatch.to_pandas(" in blocks[0]


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")
    code = python_blocks(README.read_text(encoding="utf-8"), "From Python")[0]
    build_store(tmp_path / "seawatch-data", events=_events_with_an_incident())
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    text = out.getvalue()
    # the numbers it prints are the store's: 2 events (an encounter and an interception of
    # the same pair, overlapping), 1 incident, over 2022-01-03 UTC
    expected = seawatch.open_store(tmp_path / "seawatch-data").query(
        'SELECT count(*) AS n, min(start) AS lo, max("end") AS hi FROM events '
        "WHERE type IN ('encounter', 'interception') AND region = 'caribbean'"
    )
    n = expected.column("n")[0].as_py()
    lo, hi = expected.column("lo")[0].as_py(), expected.column("hi")[0].as_py()
    assert n == 2
    span = f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d} UTC"
    line = f"Caribbean, {span}: {n} engagement events (0 from simulated input), 1 incidents"
    assert line in text, text
    assert re.search(r"^encounter\s+1$", text, re.M), text
    assert re.search(r"^interception\s+1$", text, re.M), text
    # the counts by flag: NORDIC STAR (311: Bahamas) and GUARDACOSTAS 1 (775: Venezuela)
    assert re.search(r"\bBS\s+encounter\s+1\s+1\s+3\.0\s+1$", text, re.M), text
    assert re.search(r"\bVE\s+interception\s+1\s+1\s+4\.0\s+1$", text, re.M), text


def test_the_readme_example_fails_loudly_on_a_typo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's filter is validated: misspelling the region in it is an error that
    lists the valid regions, not a silently empty table."""
    pytest.importorskip("pandas")
    code = python_blocks(README.read_text(encoding="utf-8"), "From Python")[0]
    assert 'region="caribbean"' in code
    build_store(tmp_path / "seawatch-data")
    monkeypatch.chdir(tmp_path)
    with (
        contextlib.redirect_stdout(io.StringIO()),
        pytest.raises(seawatch.FilterError, match="did you mean 'caribbean'"),
    ):
        exec(compile(code.replace('region="caribbean"', 'region="carribean"'), "README", "exec"))


def _xor(text: str) -> int:
    value = 0
    for ch in text.encode():
        value ^= ch
    return value


def test_the_readme_build_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second block (ingest, detect, brief through the handle that open_store returns)
    runs on a one-sentence feed, and its detectors see the same events as the plain store."""
    import gzip

    import seawatch.store

    code = python_blocks(README.read_text(encoding="utf-8"), "From Python")[1]
    body = "AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0"
    tag = "c:1700000000"
    line = f"\\{tag}*{_xor(tag):02X}\\!{body}*{_xor(body):02X}\n"
    (tmp_path / "feed.nmea.gz").write_bytes(gzip.compress(line.encode()))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"seawatch": seawatch})
    assert "'engagements': 0" in out.getvalue(), out.getvalue()
    plain = seawatch.store.open_store(tmp_path / "my-store")
    assert plain.positions().column("mmsi").to_pylist() == [366053209]
    assert plain.manifest()["events"]["runs"], "run_detectors committed a run"
    assert seawatch.open_store(tmp_path / "my-store").events().equals(plain.events())
