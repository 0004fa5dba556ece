"""Invariants of every per-vessel detector (hypothesis): events stay inside the input's
time range, the input's row order does not matter, event ids are the documented hash."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch.detect import KERNELS, PRESETS, event_id
from seawatch.schema import EVENTS
from tests.detect.conftest import WORLD, positions

SEA_SPOTS = [(10.0, 1.0), (10.0, 0.03), (12.0, 1.0), (5.5, 2.0), (10.0, 0.2), (5.0, 3.0)]


@st.composite
def scenes(draw: st.DrawFn) -> pa.Table:
    """A few vessels mixing stops near ports/zone edges, slow drifts, transits and gaps."""
    rows = []
    for mmsi in draw(st.lists(st.integers(100, 105), min_size=1, max_size=3, unique=True)):
        lat, lon = draw(st.sampled_from(SEA_SPOTS))
        t = draw(st.floats(0, 600))
        for _ in range(draw(st.integers(1, 6))):
            speed = draw(st.sampled_from([0.0, 0.3, 1.5, 3.0, 12.0]))
            course = draw(st.floats(0, 360))
            hours = draw(st.sampled_from([0.5, 2.0, 4.5, 7.0]))
            step = draw(st.sampled_from([3.0, 10.0, 30.0]))
            n = int(hours * 60 / step)
            for _ in range(n):
                rows.append((mmsi, t, lat, lon, speed))
                t += step
                d = speed * step / 60 / 60
                lat += d * np.cos(np.radians(course))
                lon = max(lon + d * np.sin(np.radians(course)), 0.001)
            t += draw(st.sampled_from([0.0, 0.0, 90.0, 7 * 60.0, 13 * 60.0]))
    return positions(rows)


def _range(table: pa.Table) -> tuple[int, int]:
    us = pc.cast(table.column("ts"), pa.int64()).to_numpy()
    return int(us.min()), int(us.max())


@given(scenes(), st.integers(0, 10_000), st.sampled_from(["default", "gfw"]))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_detector_invariants(table: pa.Table, seed: int, preset: str) -> None:
    lo, hi = _range(table)
    shuffled = table.take(np.random.default_rng(seed).permutation(table.num_rows))
    for name, kernel in KERNELS.items():
        params = PRESETS[preset][name]
        ev = kernel(table, params=params, geo=WORLD)
        assert ev.schema.equals(EVENTS)
        assert ev.equals(kernel(shuffled, params=params, geo=WORLD)), name
        if ev.num_rows == 0:
            continue
        start = pc.cast(ev.column("start"), pa.int64()).to_numpy()
        end = pc.cast(ev.column("end"), pa.int64()).to_numpy()
        assert (start >= lo).all() and (end <= hi).all() and (start <= end).all(), name
        for row in ev.to_pylist():
            assert row["event_id"] == event_id(
                row["type"], row["vessels"], row["start"], key=row["zone"]
            )
        assert len(set(ev.column("event_id").to_pylist())) == ev.num_rows, name
