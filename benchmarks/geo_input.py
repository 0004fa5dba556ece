"""Reading positions from a GeoPackage and from a CSV with ISO times ending in ``Z``.

Peers in the same run: ``geopandas.read_file`` (pyogrio, GDAL) for the GeoPackage, as
MovingPandas users load one, and ``pandas.read_csv`` + ``pandas.to_datetime`` for the
CSV; each is skipped when not installed. seawatch does more per row than either (it
validates every value and counts rejects), so the ratio is the figure to watch.

    python benchmarks/geo_input.py --points 1000000
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from seawatch.sources import read_source


def write_geopackage(path: Path, n: int, seed: int = 0) -> None:
    """``n`` random points in one WGS 84 layer, as GDAL writes them (GP header with an
    xy envelope, little-endian WKB)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-80, -60, n)
    lat = rng.uniform(5, 20, n)
    wkb = shapely.to_wkb(shapely.points(lon, lat))
    head = b"GP\x00\x03" + struct.pack("<i", 4326)
    t0 = np.datetime64("2024-01-01T00:00:00")
    times = (t0 + np.arange(n).astype("timedelta64[s]")).astype(str)
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1196444487")
    con.execute(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, "
        "organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT)"
    )
    con.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, '', '')")
    con.execute(
        "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier "
        "TEXT, description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, "
        "max_y REAL, srs_id INTEGER)"
    )
    con.execute(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, "
        "geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT)"
    )
    con.execute(
        "INSERT INTO gpkg_contents VALUES ('ais', 'features', 'ais', '', '', 0, 0, 0, 0, 4326)"
    )
    con.execute("INSERT INTO gpkg_geometry_columns VALUES ('ais', 'geom', 'POINT', 4326, 0, 0)")
    con.execute(
        "CREATE TABLE ais (fid INTEGER PRIMARY KEY, geom BLOB, mmsi INTEGER, "
        "basedatetime DATETIME, sog REAL, cog REAL, heading INTEGER, status INTEGER)"
    )
    mmsi = rng.integers(200_000_000, 700_000_000, n)
    sog = rng.uniform(0, 20, n)
    cog = rng.uniform(0, 360, n)
    heading = rng.integers(0, 360, n)
    status = rng.integers(0, 15, n)
    rows = (
        (
            head + struct.pack("<4d", lon[i], lon[i], lat[i], lat[i]) + wkb[i],
            int(mmsi[i]),
            times[i] + "Z",
            float(sog[i]),
            float(cog[i]),
            int(heading[i]),
            int(status[i]),
        )
        for i in range(n)
    )
    con.executemany(
        "INSERT INTO ais (geom, mmsi, basedatetime, sog, cog, heading, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()


def write_csv(path: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2024-01-01T00:00:00")
    times = (t0 + np.arange(n).astype("timedelta64[s]")).astype(str)
    mmsi = rng.integers(200_000_000, 700_000_000, n)
    lat, lon, sog = rng.uniform(5, 20, n), rng.uniform(-80, -60, n), rng.uniform(0, 20, n)
    with path.open("w") as f:
        f.write("mmsi,ts,lat,lon,sog\n")
        for i in range(n):
            f.write(f"{mmsi[i]},{times[i]}Z,{lat[i]:.5f},{lon[i]:.5f},{sog[i]:.1f}\n")


def _seawatch(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    n = sum(b.positions.num_rows for b in read_source(path))
    return time.perf_counter() - t, n


def _geopandas(path: Path) -> float | None:
    try:
        import geopandas as gpd
    except ImportError:
        return None
    t = time.perf_counter()
    gpd.read_file(path)
    return time.perf_counter() - t


def _pandas(path: Path) -> float | None:
    try:
        import pandas as pd
    except ImportError:
        return None
    t = time.perf_counter()
    df = pd.read_csv(path)
    pd.to_datetime(df["ts"], utc=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    args = ap.parse_args()
    out: dict[str, object] = {"points": args.points}
    with tempfile.TemporaryDirectory(prefix="seawatch-geo-input-") as tmp:
        gpkg, csv = Path(tmp) / "points.gpkg", Path(tmp) / "points.csv"
        write_geopackage(gpkg, args.points)
        write_csv(csv, args.points)
        _seawatch(gpkg)  # warm: numba kernels, imports
        sw_g, n_g = _seawatch(gpkg)
        sw_c, n_c = _seawatch(csv)
        gp, pd_c = _geopandas(gpkg), _pandas(csv)
        out.update(
            geopackage_seawatch_s=round(sw_g, 2),
            geopackage_positions=n_g,
            geopackage_geopandas_s=None if gp is None else round(gp, 2),
            geopackage_ratio=None if gp is None else round(sw_g / gp, 2),
            csv_seawatch_s=round(sw_c, 2),
            csv_positions=n_c,
            csv_pandas_s=None if pd_c is None else round(pd_c, 2),
            csv_ratio=None if pd_c is None else round(sw_c / pd_c, 2),
        )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
