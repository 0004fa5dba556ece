"""Detectors with the bundled geography (skipped until ``seawatch.geo`` provides it)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

import seawatch
from seawatch.detect import BundledGeo, loitering, port_visits, zone_events
from seawatch.schema import POSITIONS
from tests.detect.conftest import drift, positions

geo_mod = pytest.importorskip("seawatch.geo")
if not all(hasattr(geo_mod, f) for f in ("nearest_port", "region_of", "on_land")):
    pytest.skip("seawatch.geo is not there yet", allow_module_level=True)

SAMPLE = Path(seawatch.__file__).parent / "data" / "samples" / "noaa_caribbean_20220103.csv.gz"


@pytest.fixture(scope="module")
def geo() -> BundledGeo:
    return BundledGeo()


def _sample() -> pa.Table:
    raw = pacsv.read_csv(io.BytesIO(gzip.decompress(SAMPLE.read_bytes())))
    n = raw.num_rows
    ts = pc.assume_timezone(pc.cast(raw.column("BaseDateTime"), pa.timestamp("us")), timezone="UTC")
    cols = {
        "mmsi": pc.cast(raw.column("MMSI"), pa.uint32()),
        "ts": ts,
        "lat": pc.cast(raw.column("LAT"), pa.float64()),
        "lon": pc.cast(raw.column("LON"), pa.float64()),
        "sog_kn": pc.cast(raw.column("SOG"), pa.float32()),
    }
    return pa.table(
        {f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in POSITIONS}, schema=POSITIONS
    )


def test_geography_basics(geo: BundledGeo) -> None:
    lat = np.array([15.0, 18.2])
    lon = np.array([-75.0, -66.5])  # open Caribbean Sea; inland Puerto Rico
    assert list(geo.on_land(lat, lon)) == [False, True]
    assert geo.distance_to_shore_m(lat[:1], lon[:1])[0] > 100 * 1852
    assert geo.region_of(lat[:1], lon[:1])[0] == "caribbean"


def test_port_visits_in_noaa_sample(geo: BundledGeo) -> None:
    # 24 minutes of NOAA AIS from Cuba to the Virgin Islands (2022-01-03)
    ev = port_visits(_sample(), geo=geo)
    assert ev.num_rows > 20
    ports = [json.loads(d)["port"] for d in ev.column("details").to_pylist()]
    assert all(p["name"] for p in ports)
    assert {"PR", "VI"} <= {p["country"] for p in ports}
    assert "Charlotte Amalie" in {p["name"] for p in ports}
    lat = np.asarray(ev.column("lat").to_numpy())
    lon = np.asarray(ev.column("lon").to_numpy())
    assert ((lat > 10) & (lat < 25) & (lon > -85) & (lon < -60)).all()
    assert set(ev.column("region").to_pylist()) <= {"caribbean", None}


def test_slow_vessel_in_the_open_caribbean_is_loitering(geo: BundledGeo) -> None:
    rows = drift(1, start_min=0, hours=6, lat=14.5, lon=-72.0, speed_kn=0.5)
    ev = loitering(positions(rows), geo=geo).to_pylist()
    assert len(ev) == 1 and ev[0]["region"] == "caribbean"


def test_sailing_into_venezuelan_waters(geo: BundledGeo) -> None:
    try:
        geo_mod.zones()
    except (AttributeError, seawatch.GeoError):
        pytest.skip("seawatch.geo has no zones yet")
    # due south along 66 W from 14 N (already in Venezuela's EEZ: Isla de Aves) past
    # La Orchila / La Tortuga to the mainland coast (~10.6 N)
    rows = drift(2, start_min=0, hours=22, lat=14.0, lon=-66.0, speed_kn=9, course_deg=180)
    ev = zone_events(positions(rows), geo=geo)
    zones = ev.column("zone").to_pylist()
    types = ev.column("type").to_pylist()
    entries = {z for z, t in zip(zones, types, strict=True) if t == "zone_entry"}
    assert {"VE-contiguous", "VE-territorial"} <= entries
    visited = {z for z, t in zip(zones, types, strict=True) if t == "zone_visit"}
    assert {"caribbean", "VE-eez"} <= visited
    visits = [
        json.loads(d)
        for d, z, t in zip(
            ev.column("details").to_pylist(),
            ev.column("zone").to_pylist(),
            ev.column("type").to_pylist(),
            strict=True,
        )
        if t == "zone_visit" and z == "VE-territorial"
    ]
    assert visits and visits[0]["closest_shore_nm"] < 12
