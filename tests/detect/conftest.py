"""A small in-memory world for detector tests and a track builder.

World (:data:`WORLD`): land west of longitude 0 (a straight coast), the sea to the east.
At latitude 10, 1° of longitude is ~59 nm. Ports: ``Harbor`` (XX) on the coast at
(10.0, 0.02) and an offshore anchorage ``Terminal`` (YY) at (12.0, 1.0), ~59 nm out.
Zones: ``XX-territorial`` (coast to lon 0.22, ~12 nm) and ``box`` (lat 5-6, lon 2-3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from seawatch.detect import FakeGeo, FakePort
from seawatch.schema import POSITIONS

T0 = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
DEG_PER_M = 1 / 111_195.0
NM_DEG = 1852 * DEG_PER_M

WORLD = FakeGeo(
    coast_lon=0.0,
    port_list=(
        FakePort("Harbor", "XX", 10.0, 0.02),
        FakePort("Terminal", "YY", 12.0, 1.0, kind="anchorage"),
    ),
    zone_boxes=(
        ("XX-territorial", (-90.0, 90.0, 0.0, 0.22)),
        ("box", (5.0, 6.0, 2.0, 3.0)),
    ),
    region_boxes=(("north", (11.5, 90.0, -180.0, 180.0)),),
    default_region="test-sea",
)


Row = tuple[int, float, float, float, float | None]
"""``(mmsi, minutes after T0, lat, lon, sog_kn)``."""


def positions(rows: Iterable[Row]) -> pa.Table:
    """``(mmsi, minutes after T0, lat, lon, sog_kn)`` rows -> a POSITIONS table."""
    data = [
        {"mmsi": m, "ts": T0 + timedelta(minutes=t), "lat": la, "lon": lo, "sog_kn": s}
        for m, t, la, lo, s in rows
    ]
    return pa.Table.from_pylist(data, schema=POSITIONS)


def drift(
    mmsi: int,
    *,
    start_min: float,
    hours: float,
    lat: float,
    lon: float,
    speed_kn: float,
    course_deg: float = 0.0,
    step_min: float = 5.0,
    sog: float | None = None,
) -> list[Row]:
    """Reports every ``step_min`` of a vessel sailing a straight line at ``speed_kn``."""
    rows: list[Row] = []
    n = round(hours * 60 / step_min)
    for i in range(n + 1):
        t = start_min + i * step_min
        d_nm = speed_kn * i * step_min / 60
        la = lat + d_nm * NM_DEG * math.cos(math.radians(course_deg))
        lo = lon + d_nm * NM_DEG * math.sin(math.radians(course_deg)) / math.cos(math.radians(lat))
        rows.append((mmsi, t, la, lo, speed_kn if sog is None else sog))
    return rows
