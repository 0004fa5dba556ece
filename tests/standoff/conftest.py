"""Builders for hand-made standoff scenarios: tracks as functions of time, statics rows."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from seawatch.detect import FakeGeo
from seawatch.schema import POSITIONS, STATICS

T0 = datetime(2024, 3, 1, tzinfo=UTC)
M_PER_NM = 1852.0
R = 6_371_008.8

Track = Callable[[float], tuple[float, float]]
"""Hours since T0 -> (lat, lon)."""


def move(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` metres from (lat, lon)."""
    return (
        lat + math.degrees(north_m / R),
        lon + math.degrees(east_m / (R * math.cos(math.radians(lat)))),
    )


def legs(lat: float, lon: float, plan: Sequence[tuple[float, float, float]]) -> Track:
    """Dead reckoning from (lat, lon) at T0 through legs ``(hours, course_deg, speed_kn)``;
    after the last leg the vessel stays put."""

    def at(h: float) -> tuple[float, float]:
        la, lo = lat, lon
        left = h
        for dur, course, speed in plan:
            step = min(left, dur)
            if step <= 0:
                break
            d = speed * M_PER_NM * step
            la, lo = move(
                la, lo, d * math.cos(math.radians(course)), d * math.sin(math.radians(course))
            )
            left -= step
        return la, lo

    return at


def positions(tracks: dict[int, tuple[Track, float, float]], *, step_min: float = 2.0) -> pa.Table:
    """Positions (schema POSITIONS) of ``{mmsi: (track, first_h, last_h)}`` every
    ``step_min`` minutes; ``sog_kn`` from the track itself."""
    cols: dict[str, list[object]] = {f: [] for f in ("mmsi", "ts", "lat", "lon", "sog_kn")}
    for mmsi, (track, h0, h1) in tracks.items():
        hs = np.arange(h0, h1 + 1e-9, step_min / 60.0)
        for h in hs:
            la, lo = track(float(h))
            la2, lo2 = track(float(h) + 1 / 60)
            d = math.dist(
                (0, 0), ((la2 - la) * 111_195, (lo2 - lo) * 111_195 * math.cos(math.radians(la)))
            )
            cols["mmsi"].append(mmsi)
            cols["ts"].append(T0 + timedelta(hours=float(h)))
            cols["lat"].append(la)
            cols["lon"].append(lo)
            cols["sog_kn"].append(d * 60 / M_PER_NM)
    n = len(cols["mmsi"])
    data = {
        "mmsi": pa.array(cols["mmsi"], pa.uint32()),
        "ts": pa.array(cols["ts"], POSITIONS.field("ts").type),
        "lat": pa.array(cols["lat"], pa.float64()),
        "lon": pa.array(cols["lon"], pa.float64()),
        "sog_kn": pa.array(cols["sog_kn"], pa.float32()),
    }
    for f in POSITIONS:
        if f.name not in data:
            data[f.name] = pa.nulls(n, f.type)
    return pa.table(data, schema=POSITIONS)


def statics(rows: Sequence[dict[str, object]]) -> pa.Table:
    """Statics (schema STATICS) from dicts with ``mmsi``, ``h`` (hours since T0) and any
    static fields."""
    cols: dict[str, list[object]] = {f.name: [] for f in STATICS}
    for r in rows:
        for f in STATICS:
            if f.name == "ts":
                cols["ts"].append(T0 + timedelta(hours=float(r["h"])))  # type: ignore[arg-type]
            else:
                cols[f.name].append(r.get(f.name))
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in STATICS}, schema=STATICS)


@pytest.fixture
def fake_geo() -> FakeGeo:
    """Coast along lon 0 (land to the west), a 200 nm-ish EEZ box near the coast."""
    return FakeGeo(
        coast_lon=0.0,
        zone_boxes=(("XX-eez", (-10.0, 30.0, 0.0, 3.0)),),
        region_boxes=(("caribbean", (0.0, 30.0, -10.0, 20.0)),),
    )
