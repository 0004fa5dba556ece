"""``write_table`` (query, presence, watchlists, roles) on a narrow terminal: an MMSI, a
count or a time is never folded over lines or squeezed to nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from seawatch.cli._store import write_table


def _lines(table: pa.Table, monkeypatch: pytest.MonkeyPatch, width: int = 80) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    out = io.StringIO()
    write_table(table, "table", out=out)
    return out.getvalue().splitlines()


def _cells(lines: list[str]) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]


WIDE = pa.table(
    {
        "mmsi": pa.array([369970582, 7751005], pa.uint32()),
        "name": ["US WARSHIP 71", "A VERY LONG VESSEL NAME THAT GOES ON AND ON AND ON"],
        "flag": ["US", "VE"],
        "ship_group": ["military", "tanker"],
        "role": ["military", "tanker"],
        "role_source": ["ship_type", "ship_type"],
        "hours_12nm": [0.0, 10.3076],
        "hours_24nm": [0.0, 32.4417],
        "hours_200nm": [68.2983, 65.4192],
        "closest_nm": [45.259, 10.765],
        "first_seen": ["2025-12-08T00:00:05Z", "2025-12-08T00:00:09Z"],
        "last_seen": pa.array(
            [datetime(2025, 12, 10, 20, 17, 59, tzinfo=UTC)] * 2, pa.timestamp("us", "UTC")
        ),
        "n_positions": [3957, 3820],
    }
)


def test_numbers_times_and_tokens_stay_whole_on_a_narrow_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _cells(_lines(WIDE, monkeypatch))
    rows: list[list[list[str]]] = []  # each row: its lines (a row's first line has its mmsi)
    for line in lines:
        if line[0]:
            rows.append([])
        rows[-1].append(line)
    first = rows[0][0]
    assert first[0] == "369970582" and first[8] == "68.2983" and first[-1] == "3957"
    assert first[10] == "2025-12-08T00:00:05Z" and first[11] == "2025-12-10 20:17:59Z"
    assert [len(r) for r in rows] == [2, 5]  # the names fold, nothing else does
    assert all(not c for r in rows for line in r[1:] for j, c in enumerate(line) if j != 1)
    # folded text reads back whole
    names = [" ".join(line[1] for line in r).replace("  ", " ") for r in rows]
    assert names == WIDE.column("name").to_pylist()


def test_an_empty_result_keeps_its_column_names(monkeypatch: pytest.MonkeyPatch) -> None:
    header = next(line for line in _lines(WIDE.slice(0, 0), monkeypatch) if line.startswith("┃"))
    assert [c.strip() for c in header.split("┃")[1:-1]] == WIDE.column_names


def test_a_narrow_table_is_unchanged_by_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    t = pa.table({"type": ["zone_visit", "gap"], "n": [1159, 2]})
    assert _lines(t, monkeypatch, 80) == _lines(t, monkeypatch, 200)
