"""The brief's tables on a narrow terminal: numbers are never squeezed out, long paths
fold, and the period says where open ends fall."""

from __future__ import annotations

import io

from rich.console import Console

from seawatch.cli._brief import _period, print_table


def _render(rows: list[dict[str, object]], cols: list[str], width: int) -> str:
    out = io.StringIO()
    print_table(Console(file=out, width=width, color_system=None), "t", rows, cols)
    return out.getvalue()


def test_a_count_column_survives_a_narrow_terminal_next_to_a_long_path() -> None:
    rows = [
        {"data": "real", "positions": 2391, "vessels": 299, "events": 1216, "sources": ""},
        {
            "data": "SIMULATED",
            "positions": 64292,
            "vessels": 17,
            "events": 251,
            "sources": "/tmp/seawatch-demo-k6bnm3nq/a-rather-long-directory/standoff.nmea",
        },
    ]
    for width in (60, 80, 120):
        text = _render(rows, ["data", "positions", "vessels", "events", "sources"], width)
        for number in ("2,391", "299", "1,216", "64,292", "17", "251"):
            assert number in text, (width, number, text)
        assert "standoff.nmea" in text.replace("\n", "").replace("│", "").replace(" ", "")


def test_counts_are_grouped_and_right_aligned_identifiers_are_not_grouped() -> None:
    rows = [
        {"mmsi": 369970582, "name": "US WARSHIP 71", "hours_12nm": 1234.5, "n": 12345},
        {"mmsi": 369970583, "name": "X", "hours_12nm": 0.0, "n": 7},
    ]
    text = _render(rows, ["mmsi", "name", "hours_12nm", "n"], 120)
    body = [line for line in text.splitlines() if line.startswith("│")]
    assert "369970582" in body[0] and "12,345" in body[0] and "1,234.5" in body[0]
    cells = [line.split("│")[1:-1] for line in body]
    # numbers end at their column's right edge (one space of padding), text starts at its left
    assert cells[1][3].endswith(" 7 ") and cells[0][3].endswith(" 12,345 ")
    assert cells[1][2].endswith(" 0.0 ")
    assert cells[1][1].startswith(" X ")


def test_a_list_of_names_still_wraps() -> None:
    names = " / ".join(f"VESSEL NUMBER {i} (PA, tanker)" for i in range(6))
    text = _render([{"kinds": "encounter", "vessels": names}], ["kinds", "vessels"], 60)
    cell = " ".join(line.split("│")[2].strip() for line in text.splitlines() if "│" in line)
    assert cell == names


def test_the_period_names_the_data_where_an_end_is_open() -> None:
    data = {"first": "2022-01-03T00:00:00Z", "last": "2025-12-11T00:00:00Z"}
    assert _period({"since": None, "until": None, "data": data}) == (
        "the first position (2022-01-03T00:00:00Z) to the last position (2025-12-11T00:00:00Z)"
    )
    assert _period({"since": "2025-12-08", "until": None, "data": data}).startswith("2025-12-08 to")
    assert _period({"since": None, "until": None, "data": {}}) == "the start to the end"
