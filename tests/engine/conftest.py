"""A small two-day store for engine and CLI tests (built once per session).

World: the fake geography of the detector tests (land west of lon 0, ports Harbor at
(10.0, 0.02) and Terminal at (12.0, 1.0)). Traffic, 2024-03-01 12:00 to 2024-03-02 12:00 UTC:

* 201 and 202 drift side by side 200 m apart from 22:00 to 02:00 (an encounter across
  midnight; both also loiter);
* 203 loiters alone from 13:00 to 19:00;
* 204 and 205 cross each other at 12 kn (no encounter);
* 206 is silent for 14 h (a gap across midnight);
* 301..340 sail past at 10 kn (filler, spread over several mmsi buckets).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch.detect import FakeGeo, FakePort
from seawatch.schema import POSITIONS
from seawatch.store import Store, open_store

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DEG_PER_M = 1 / 111_195.0
NM_DEG = 1852 * DEG_PER_M

WORLD = FakeGeo(
    coast_lon=0.0,
    port_list=(
        FakePort("Harbor", "XX", 10.0, 0.02),
        FakePort("Terminal", "YY", 12.0, 1.0, kind="anchorage"),
    ),
    zone_boxes=(("XX-territorial", (-90.0, 90.0, 0.0, 0.22)),),
    region_boxes=(("north", (11.5, 90.0, -180.0, 180.0)),),
    default_region="test-sea",
)

Row = tuple[int, float, float, float, float]


def track(
    mmsi: int,
    *,
    start_h: float,
    hours: float,
    lat: float,
    lon: float,
    speed_kn: float,
    course_deg: float = 0.0,
    step_min: float = 5.0,
) -> list[Row]:
    rows: list[Row] = []
    for i in range(round(hours * 60 / step_min) + 1):
        t = start_h * 60 + i * step_min
        d = speed_kn * i * step_min / 60 * NM_DEG
        la = lat + d * math.cos(math.radians(course_deg))
        lo = lon + d * math.sin(math.radians(course_deg)) / math.cos(math.radians(lat))
        rows.append((mmsi, t, la, lo, speed_kn))
    return rows


def scenario() -> list[Row]:
    rows: list[Row] = []
    rows += track(201, start_h=10, hours=4, lat=10.0, lon=1.5, speed_kn=0.4, course_deg=90)
    rows += track(
        202, start_h=10, hours=4, lat=10.0 + 200 * DEG_PER_M, lon=1.5, speed_kn=0.4, course_deg=90
    )
    rows += track(203, start_h=1, hours=6, lat=10.5, lon=2.0, speed_kn=0.5)
    rows += track(204, start_h=2, hours=4, lat=10.8, lon=2.0, speed_kn=12, course_deg=90)
    rows += track(205, start_h=2, hours=4, lat=11.0, lon=2.4, speed_kn=12, course_deg=180)
    rows += track(206, start_h=0, hours=6, lat=9.0, lon=3.0, speed_kn=8, course_deg=45)
    rows += track(206, start_h=20, hours=3, lat=9.5, lon=3.5, speed_kn=8, course_deg=45)
    for k in range(40):
        rows += track(
            301 + k,
            start_h=k % 20,
            hours=3,
            lat=8.0 + k * 0.05,
            lon=4.0,
            speed_kn=10,
            course_deg=90,
            step_min=10,
        )
    return rows


def positions_table(rows: list[Row]) -> pa.Table:
    data = [
        {"mmsi": m, "ts": T0 + timedelta(minutes=t), "lat": la, "lon": lo, "sog_kn": s}
        for m, t, la, lo, s in rows
    ]
    return pa.Table.from_pylist(data, schema=POSITIONS)


def build_store(path: Path) -> Store:
    path.mkdir(parents=True, exist_ok=True)
    src = path.parent / f"{path.name}-input.parquet"
    pq.write_table(positions_table(scenario()), src)
    store = open_store(path, create=True)
    store.ingest([src])
    return store


@pytest.fixture(scope="session")
def small_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("engine") / "store"
    build_store(path)
    return path


@pytest.fixture()
def small_store(small_store_dir: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the session store (tests write events into it)."""
    import shutil

    dst = tmp_path / "store"
    shutil.copytree(small_store_dir, dst)
    yield open_store(dst)
