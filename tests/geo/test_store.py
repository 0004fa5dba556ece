"""The compact ring storage round-trips polygons, multipolygons and holes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import shapely

from seawatch.geo._store import QUANTUM_DEG, RingSet, encode_rings


def test_rings_round_trip() -> None:
    square = shapely.box(-70.123456789, 10.0, -69.5, 10.75)
    holed = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    multi = shapely.MultiPolygon(
        [shapely.box(170, -10, 179.999999, -9), shapely.box(-180, -10, -179, -9)]
    )
    geoms = [square, holed, shapely.MultiPolygon(), multi]
    buf = io.BytesIO()
    savez: Any = np.savez_compressed  # numpy's stub types **arrays as allow_pickle
    savez(buf, **encode_rings(geoms, prefix="t_"))
    buf.seek(0)
    rings = RingSet(np.load(buf), "t_")
    back = rings.geometries()
    assert len(back) == 4
    assert back[2].is_empty
    for a, b in zip(geoms, back, strict=True):
        if a.is_empty:
            continue
        assert shapely.equals_exact(
            shapely.normalize(a), shapely.normalize(b), tolerance=QUANTUM_DEG
        )
        assert b.is_valid
    x1, _, _, _, owner = rings.edges()
    # closed rings: 4 edges per ring (square, shell + hole, two boxes)
    assert len(x1) == 4 * 5
    assert owner.tolist() == [0] * 4 + [1] * 8 + [3] * 8
