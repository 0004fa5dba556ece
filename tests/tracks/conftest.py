"""Builders for track tests: small POSITIONS tables from (minutes, lat, lon, sog) rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from seawatch.schema import POSITIONS

T0 = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)


def positions(rows: Iterable[tuple[int, float, float, float, float | None]]) -> pa.Table:
    """``(mmsi, minutes after T0, lat, lon, sog_kn)`` rows -> a POSITIONS table."""
    data = [
        {
            "mmsi": m,
            "ts": T0 + timedelta(minutes=t),
            "lat": la,
            "lon": lo,
            "sog_kn": s,
            "msg_type": 1,
        }
        for m, t, la, lo, s in rows
    ]
    return pa.Table.from_pylist(data, schema=POSITIONS)


class _Sea:
    """Everything is sea (the land test uses its own mask)."""

    def on_land(self, lat, lon):  # type: ignore[no-untyped-def]
        import numpy as np

        return np.asarray(lon, dtype=float) < -100.0


@pytest.fixture
def sea() -> _Sea:
    return _Sea()
