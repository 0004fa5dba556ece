"""Presence hours within ranges of a country's coast on a hand-made track."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError
from seawatch.detect import FakeGeo
from seawatch.report.presence import PresenceParams, presence, range_column, unheard_column
from tests.standoff.conftest import T0, move

LAT = 10.0
NM = 1852.0
# the fake coast runs along lon 0; at lat 10 one degree of longitude is ~59.1 nm
DEG_NM = 1 / 59.09
GEO = FakeGeo(
    coast_lon=0.0,
    zone_boxes=(
        ("VE-territorial", (-90.0, 90.0, 0.0, 12 * DEG_NM)),
        ("VE-contiguous", (-90.0, 90.0, 0.0, 24 * DEG_NM)),
        ("VE-eez", (-90.0, 90.0, 0.0, 200 * DEG_NM)),
    ),
)
NAVY, TANKER, FAR = 244_000_001, 775_000_002, 538_000_003


def at_nm(nm: float) -> tuple[float, float]:
    return move(LAT, 0.0, 0.0, nm * NM)


def track(mmsi: int, phases: list[tuple[int, int, float]]) -> list[tuple[int, int, float, float]]:
    """``(start_min, n_points, distance_nm)`` phases, a point every 10 minutes."""
    out = []
    for start, n, nm in phases:
        lat, lon = at_nm(nm)
        out += [(mmsi, start + 10 * k, lat, lon) for k in range(n)]
    return out


def table(rows: list[tuple[int, int, float, float]]) -> pa.Table:
    return pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.uint32()),
            "ts": pa.array(
                [T0 + timedelta(minutes=r[1]) for r in rows], pa.timestamp("us", tz="UTC")
            ),
            "lat": pa.array([r[2] for r in rows], pa.float64()),
            "lon": pa.array([r[3] for r in rows], pa.float64()),
        }
    )


ROWS = (
    # 3 h at 100 nm, 2 h at 20 nm, 1 h at 5 nm; 3 h silent; 1 h at 5 nm again
    track(NAVY, [(0, 18, 100.0), (180, 12, 20.0), (300, 7, 5.0), (540, 7, 5.0)])
    + track(TANKER, [(0, 13, 150.0)])
    + track(FAR, [(0, 13, 250.0)])
)
VESSELS = pa.table(
    {
        "mmsi": pa.array([NAVY, TANKER, FAR], pa.uint32()),
        "name": ["KAREL DOORMAN", "SEA STAR", "FAR AWAY"],
        "ship_group": ["military", "tanker", "cargo"],
    }
)


def test_hours_within_each_range_and_closest_approach() -> None:
    out = presence(table(ROWS), params=PresenceParams(country="VE"), geo=GEO, vessels=VESSELS)
    rows = {r["mmsi"]: r for r in out.to_pylist()}
    assert set(rows) == {NAVY, TANKER}  # FAR never within 200 nm
    navy = rows[NAVY]
    # half of each 10-minute interval goes to each end; the 3 h silence counts for nothing
    assert navy[range_column(200)] == pytest.approx(6.0 + 1.0)
    assert navy[range_column(24)] == pytest.approx(185 / 60 + 1.0)
    assert navy[range_column(12)] == pytest.approx(65 / 60 + 1.0)
    assert navy["closest_nm"] == pytest.approx(5.0, rel=1e-3)
    assert navy["name"] == "KAREL DOORMAN" and navy["flag"] == "NL"
    assert navy["positions"] == 44
    assert rows[TANKER][range_column(200)] == pytest.approx(2.0)
    assert rows[TANKER][range_column(12)] == 0.0
    assert out.column("mmsi").to_pylist() == [NAVY, TANKER]  # most hours first


def test_custom_ranges_use_distance_inside_the_eez() -> None:
    p = PresenceParams(country="VE", ranges_nm=(10.0, 50.0, 120.0))
    navy = presence(table(ROWS), params=p, geo=GEO).to_pylist()[0]
    assert navy[range_column(10)] == pytest.approx(65 / 60 + 1.0)
    assert navy[range_column(50)] == pytest.approx(185 / 60 + 1.0)
    assert navy[range_column(120)] == pytest.approx(7.0)


def test_longer_max_gap_counts_the_silence() -> None:
    p = PresenceParams(country="VE", max_gap_h=4.0, ranges_nm=(12.0,))
    navy = presence(table(ROWS), params=p, geo=GEO).to_pylist()[0]
    # 65 min + half the 3 h silence at each end (90 + 90) + 50 min: 305 min
    assert navy[range_column(12)] == pytest.approx(305 / 60)


def test_a_silence_between_two_positions_within_a_range_is_unheard_time_there() -> None:
    # the navy's 3 h silence lies between two positions 5 nm out: at least 2 h 5 min within
    # 12 nm, at most 3 h more; the tanker never fell silent
    out = presence(table(ROWS), params=PresenceParams(country="VE"), geo=GEO)
    rows = {r["mmsi"]: r for r in out.to_pylist()}
    for r in (12, 24, 200):
        assert rows[NAVY][unheard_column(r)] == pytest.approx(3.0)
        assert rows[TANKER][unheard_column(r)] == 0.0
    # a silence with one end outside the range is not time within it
    out_and_back = track(NAVY, [(0, 7, 5.0), (240, 7, 30.0)])
    navy = presence(table(out_and_back), params=PresenceParams(country="VE"), geo=GEO).to_pylist()
    assert navy[0][unheard_column(12)] == 0.0 and navy[0][unheard_column(200)] == pytest.approx(3.0)
    # longer than max_unheard_h, or max_unheard_h 0: not counted
    for p in (
        PresenceParams(country="VE", max_unheard_h=2.5),
        PresenceParams(country="VE", max_unheard_h=0),
    ):
        assert presence(table(ROWS), params=p, geo=GEO).to_pylist()[0][unheard_column(12)] == 0.0
    # by day, a silence across midnight goes to each day's row for its own part
    late = track(NAVY, [(22 * 60, 7, 5.0), (26 * 60, 7, 5.0)])  # silent 23:00 -> 02:00
    days = presence(table(late), params=PresenceParams(country="VE", by="day"), geo=GEO)
    assert days.column(unheard_column(12)).to_pylist() == pytest.approx([1.0, 2.0])
    for bad in (-1.0, float("nan")):
        with pytest.raises(ParameterError):
            PresenceParams(country="VE", max_unheard_h=bad)


def test_group_and_flag_filters_and_by_day() -> None:
    mil = presence(
        table(ROWS), params=PresenceParams(country="VE", group="military"), geo=GEO, vessels=VESSELS
    )
    assert mil.column("mmsi").to_pylist() == [NAVY]
    ve = presence(table(ROWS), params=PresenceParams(country="VE", flag="VE"), geo=GEO)
    assert ve.column("mmsi").to_pylist() == [TANKER]
    by_day = presence(table(ROWS), params=PresenceParams(country="VE", by="day"), geo=GEO)
    assert by_day.column_names[:2] == ["day", "mmsi"]
    assert sum(by_day.column(range_column(200)).to_pylist()) == pytest.approx(7.0 + 2.0)


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        PresenceParams(country="VEN")
    with pytest.raises(ParameterError):
        PresenceParams(country="VE", ranges_nm=(250.0,))
    with pytest.raises(ParameterError):
        presence(table(ROWS), params=PresenceParams(country="CO"), geo=GEO)  # no CO zones


def test_cli_presence_on_a_store(tmp_path: Path) -> None:
    import seawatch.geo

    if not hasattr(seawatch.geo, "zones"):
        pytest.skip("seawatch.geo.zones has not landed")
    from seawatch.cli import app

    # 30 minutes off La Guaira, Venezuela (~5 nm out), then far out in the Caribbean
    csv = tmp_path / "ve.csv"
    lines = [
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
    ]
    for k in range(4):
        lines.append(
            f"244000001,2024-03-01T00:{10 * k:02d}:00,10.68,-66.93,0.0,0,511,KAREL DOORMAN,,,35,0,200,30,6,,A"
        )
    csv.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    store = tmp_path / "store"
    res = runner.invoke(app, ["ingest", str(csv), "--store", str(store)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["presence", "--country", "VE", "--store", str(store), "--format", "csv"]
    )
    assert res.exit_code == 0, res.output
    lines = [line for line in res.stdout.splitlines() if line.startswith(("mmsi", "244000001"))]
    assert lines[0].startswith(
        "mmsi,name,flag,ship_group,role,role_source,hours_12nm,hours_24nm,hours_200nm"
    )
    assert lines[1].split(",")[3:7] == ["military", "military", "ship_type", "0.5"]
