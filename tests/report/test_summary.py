"""Event counts by type, flag, day and region on hand-made EVENTS tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.detect import build_events
from seawatch.report import as_records, report, split_csv, summarize

H = 3_600_000_000
T0 = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp()) * 1_000_000

# 538 = Marshall Islands (MH), 636 = Liberia (LR), 351 = Panama (PA)
EVENTS_T = build_events(
    types=["encounter", "encounter", "loitering", "gap", "encounter"],
    start_us=[T0 + 1 * H, T0 + 30 * H, T0 + 2 * H, T0 + 5 * H, T0 + 50 * H],
    end_us=[T0 + 4 * H, T0 + 33 * H, T0 + 8 * H, T0 + 20 * H, T0 + 52 * H],
    vessels=[[538000001, 636000002], [538000001, 538000003], [351000004], [636000002], [1, 2]],
    lat=[12.0, 13.0, 14.0, 15.0, 16.0],
    lon=[-70.0, -71.0, -72.0, -73.0, -100.0],
    region=["caribbean", "caribbean", "caribbean", None, "eastern-pacific"],
    details=["{}"] * 5,
)


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return as_records(table)


def test_by_type() -> None:
    rows = _rows(summarize(EVENTS_T))
    assert rows == [
        {"type": "encounter", "events": 3, "vessels": 5, "hours": 8.0, "incidents": 3},
        {"type": "gap", "events": 1, "vessels": 1, "hours": 15.0, "incidents": 1},
        {"type": "loitering", "events": 1, "vessels": 1, "hours": 6.0, "incidents": 1},
    ]


def test_by_region_with_filters() -> None:
    rows = _rows(summarize(EVENTS_T, by="region"))
    assert [(r["region"], r["type"], r["events"]) for r in rows] == [
        ("caribbean", "encounter", 2),
        ("caribbean", "loitering", 1),
        ("eastern-pacific", "encounter", 1),
        (None, "gap", 1),
    ]
    rows = _rows(summarize(EVENTS_T, by="region", regions=["caribbean", "eastern-pacific"]))
    assert sum(int(str(r["events"])) for r in rows) == 4
    # overlapping [since, until): the encounter 30-33 h and the gap 5-20 h are out
    rows = _rows(summarize(EVENTS_T, since="2024-03-01T04:30:00Z", until="2024-03-02"))
    assert [(r["type"], r["events"]) for r in rows] == [("gap", 1), ("loitering", 1)]


def test_by_flag_counts_each_event_once_per_flag() -> None:
    rows = _rows(summarize(EVENTS_T, by="flag", types=["encounter"]))
    got = {(r["flag"], r["events"], r["vessels"], r["hours"]) for r in rows}
    # MH: both MH encounters (3 h + 3 h), 2 MH vessels; LR: one; unknown MIDs: null flag
    assert ("MH", 2, 2, 6.0) in got
    assert ("LR", 1, 1, 3.0) in got
    assert rows[-1]["flag"] is None


def test_by_day() -> None:
    rows = _rows(summarize(EVENTS_T, by="day"))
    assert [(r["day"], r["type"], r["events"]) for r in rows] == [
        ("2024-03-01", "encounter", 1),
        ("2024-03-01", "gap", 1),
        ("2024-03-01", "loitering", 1),
        ("2024-03-02", "encounter", 1),
        ("2024-03-03", "encounter", 1),
    ]


def test_empty_and_errors() -> None:
    empty = summarize(EVENTS_T.slice(0, 0), by="flag")
    assert empty.num_rows == 0 and "events" in empty.column_names
    with pytest.raises(ParameterError):
        summarize(EVENTS_T, by="month")  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        summarize(EVENTS_T, since="yesterday")
    assert split_csv("a, b,,c") == ["a", "b", "c"]
    assert split_csv(None) is None


def test_report_reads_the_store() -> None:
    class Fake:
        def events(self) -> pa.Table:
            return EVENTS_T

    # a partial store: report reads only its events
    assert report(Fake(), by="type").num_rows == 3  # type: ignore[arg-type]
