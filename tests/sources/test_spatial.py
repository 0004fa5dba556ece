"""Positions held as point geometries: GeoPackage layers and GeoParquet columns."""

from __future__ import annotations

import gzip
import json
import sqlite3
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import shapely

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.sources import detect_format, read_source

BOSTON = "noaa-ais-boston-2014-trajectools/sample_data/ais.gpkg"


def _read(path: Path, **kw: object) -> tuple[pa.Table, pa.Table]:
    batches = list(read_source(path, **kw))  # type: ignore[arg-type]
    positions = pa.concat_tables([b.positions for b in batches])
    rejects = pa.concat_tables([b.rejects for b in batches])
    assert positions.schema.equals(schema.POSITIONS)
    return positions, rejects


def _gp(wkb: bytes | None, *, srs_id: int = 4326, envelope: bool = True) -> bytes | None:
    """A GeoPackage geometry blob: ``GP`` header (little-endian), an xy envelope, WKB."""
    if wkb is None:
        return None
    geom = shapely.from_wkb(wkb)
    if not envelope or shapely.is_empty(geom):
        flags = 0b1 | (0b1_0000 if shapely.is_empty(geom) else 0)
        return b"GP\x00" + bytes([flags]) + struct.pack("<i", srs_id) + wkb
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return (
        b"GP\x00"
        + bytes([0b011])
        + struct.pack("<i", srs_id)
        + struct.pack("<4d", minx, maxx, miny, maxy)
        + wkb
    )


def _geopackage(path: Path, layers: dict[str, tuple[str, int, list[tuple[object, ...]]]]) -> None:
    """A minimal GeoPackage: ``{table: (geometry type, srs_id, [(geom, mmsi, time, sog)])}``,
    plus an attributes table that holds no geometry."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1196444487")  # "GPKG"
    con.execute(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, "
        "organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT)"
    )
    con.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
        [("WGS 84", 4326, "EPSG", 4326, "", ""), ("UTM 19N", 32619, "EPSG", 32619, "", "")],
    )
    con.execute(
        "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier "
        "TEXT, description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, "
        "max_y REAL, srs_id INTEGER)"
    )
    con.execute(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, "
        "geometry_type_name TEXT, srs_id INTEGER, z TINYINT, m TINYINT)"
    )
    for name, (gtype, srs, rows) in layers.items():
        con.execute(
            f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY, geom BLOB, mmsi INTEGER, '
            "basedatetime DATETIME, sog REAL)"
        )
        con.executemany(
            f'INSERT INTO "{name}" (geom, mmsi, basedatetime, sog) VALUES (?,?,?,?)', rows
        )
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES (?, 'features', ?)",
            (name, srs),
        )
        con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)", (name, gtype, srs)
        )
    con.execute("CREATE TABLE notes (fid INTEGER PRIMARY KEY, text TEXT)")
    con.execute("INSERT INTO gpkg_contents (table_name, data_type) VALUES ('notes', 'attributes')")
    con.commit()
    con.close()


def _pt(lon: float, lat: float) -> bytes:
    return bytes(shapely.to_wkb(shapely.Point(lon, lat)))


def test_the_boston_trajectools_geopackage(shared_data: Path) -> None:
    path = shared_data / BOSTON
    assert detect_format(path) == "geopackage"
    positions, rejects = _read(path)
    assert rejects.num_rows == 0
    assert positions.num_rows == 972  # PROVENANCE: 972 rows, 4 vessels
    assert sorted(pc.unique(positions.column("mmsi")).to_pylist()) == [
        215020081,
        240000208,
        255880350,
        257990100,
    ]
    first = positions.filter(pc.equal(positions.column("mmsi"), 240000208)).sort_by("ts")
    row = first.slice(0, 1).to_pylist()[0]
    # fid 1: 2014-01-01T04:43:53Z, sog 1.3, cog 83.3, heading 268, status 0
    assert row["ts"].isoformat() == "2014-01-01T04:43:53+00:00"
    assert row["sog_kn"] == pytest.approx(1.3)
    assert row["heading_deg"] == pytest.approx(268)
    assert row["nav_status"] == 0
    assert -71.0635 <= row["lon"] <= -70.8001 and 42.2368 <= row["lat"] <= 42.4258
    lon = positions.column("lon").to_numpy()
    lat = positions.column("lat").to_numpy()
    assert lon.min() >= -71.0635 and lon.max() <= -70.8001
    assert lat.min() >= 42.2368 and lat.max() <= 42.4258


def test_a_geopackage_s_bad_rows_and_layers_are_counted_rejects(tmp_path: Path) -> None:
    line = shapely.to_wkb(shapely.LineString([(0, 0), (1, 1)]))
    empty = shapely.to_wkb(shapely.Point())
    good: list[tuple[object, ...]] = [
        (_gp(_pt(-66.0 + i / 100, 12.0)), 311000001, f"2025-05-01T00:0{i}:00Z", 10.0)
        for i in range(5)
    ]
    bad: list[tuple[object, ...]] = [
        (_gp(line), 311000002, "2025-05-01T00:00:00Z", 1.0),  # not a point
        (_gp(empty), 311000003, "2025-05-01T00:00:00Z", 1.0),  # empty point
        (b"GP\x00\x0f" + b"\x00" * 20, 311000004, "2025-05-01T00:00:00Z", 1.0),  # bad envelope
        (b"not a geometry at all", 311000005, "2025-05-01T00:00:00Z", 1.0),
        (None, 311000006, "2025-05-01T00:00:00Z", 1.0),
        (_gp(_pt(-66, 12)), "=HYPERLINK(1)", "2025-05-01T00:00:00Z", 1.0),  # text in mmsi
        (_gp(_pt(-66, 12)), 311000007, b"\xff\xfe", 1.0),  # a blob for a time
        (_gp(_pt(-66, 12)), 311000010, "not UTF-8", 1.0),  # made invalid below
        # latitude 95: kept without a position, as a CSV row's or an AIS report's lat 91
        (_gp(_pt(-66, 95)), 311000008, "2025-05-01T00:00:00Z", 1.0),
        (_gp(_pt(-66, 12), envelope=False), 311000009, "2025-05-01T00:00:00Z", "fast"),
    ]
    path = tmp_path / "track.gpkg"
    _geopackage(
        path,
        {
            "points": ("POINT", 4326, good + bad),
            "tracks": ("LINESTRING", 4326, [(_gp(line), 1, "2025-05-01T00:00:00Z", 1.0)]),
            "utm": ("POINT", 32619, [(_gp(_pt(500000, 1300000)), 1, "2025-05-01T00:00:00Z", 1)]),
        },
    )
    con = sqlite3.connect(path)  # a TEXT cell that is not UTF-8 failed the whole layer
    con.execute("UPDATE points SET basedatetime = CAST(X'FFFE41' AS TEXT) WHERE mmsi = 311000010")
    con.commit()
    con.close()
    positions, rejects = _read(path)
    # the good rows, and the last two (lat null; sog not a number: null, as in a CSV)
    assert sorted(positions.column("mmsi").to_pylist()) == [311000001] * 5 + [
        311000008,
        311000009,
    ]
    assert positions.filter(pc.equal(positions.column("mmsi"), 311000008)).column(
        "lat"
    ).to_pylist() == [None]
    assert positions.filter(pc.equal(positions.column("mmsi"), 311000009)).column(
        "sog_kn"
    ).to_pylist() == [None]
    by_reason: dict[str, int] = {}
    for r in rejects.column("reason").to_pylist():
        by_reason[r] = by_reason.get(r, 0) + 1
    assert by_reason == {"csv_row": 8, "skipped_layer": 3}
    skipped = " ".join(
        rejects.filter(pc.equal(rejects.column("reason"), "skipped_layer"))
        .column("raw")
        .to_pylist()
    )
    assert "'tracks' holds LINESTRING" in skipped
    assert "'utm' is not in WGS 84" in skipped and "ogr2ogr" in skipped
    assert "'notes' (attributes) holds no positions" in skipped
    rows = rejects.filter(pc.equal(rejects.column("reason"), "csv_row"))
    assert rows.column("line_no").to_pylist() == list(range(6, 14))
    assert all("311000" in r or "HYPERLINK" in r for r in rows.column("raw").to_pylist())
    assert "\ufffd\ufffdA" in rows.column("raw").to_pylist()[-1]


def test_a_geopackage_is_never_written_and_other_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.gpkg"
    _geopackage(path, {"p": ("POINT", 4326, [(_gp(_pt(1, 2)), 5, "2025-05-01T00:00:00Z", 1)])})
    before = path.read_bytes()
    _read(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "one.gpkg-journal").exists()
    assert not (tmp_path / "one.gpkg-wal").exists()

    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(SourceError, match="SQLite database, not a GeoPackage"):
        detect_format(plain)

    packed = tmp_path / "one.gpkg.gz"
    packed.write_bytes(gzip.compress(before))
    with pytest.raises(SourceError, match="decompress"):
        _read(packed)

    nothing = tmp_path / "nothing.gpkg"
    _geopackage(nothing, {})
    with pytest.raises(SourceError, match="no layer of points"):
        _read(nothing)


def _geoparquet(path: Path, crs: object = "absent", encoding: str = "WKB") -> None:
    geometry: pa.Array
    if encoding == "point":
        geometry = pa.array(
            [{"x": -66.0, "y": 12.0}, {"x": -66.01, "y": 12.01}, None],
            pa.struct([("x", pa.float64()), ("y", pa.float64())]),
        )
    else:
        geometry = pa.array(
            [
                _pt(-66.0, 12.0),
                _pt(-66.01, 12.01),
                shapely.to_wkb(shapely.LineString([(0, 0), (1, 1)])),
            ],
            pa.binary(),
        )
    table = pa.table(
        {
            "MMSI": pa.array([311000001, 311000001, 311000002], pa.int64()),
            "BaseDateTime": [
                "2025-05-01T00:00:00Z",
                "2025-05-01T00:01:00Z",
                "2025-05-01T00:02:00Z",
            ],
            "SOG": [10.0, 10.5, 3.0],
            "geometry": geometry,
        }
    )
    column: dict[str, object] = {"encoding": encoding, "geometry_types": ["Point"]}
    if crs != "absent":
        column["crs"] = crs
    meta = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}
    pq.write_table(table.replace_schema_metadata({b"geo": json.dumps(meta).encode()}), path)


@pytest.mark.parametrize(
    ("crs", "encoding"),
    [
        ("absent", "WKB"),
        (None, "WKB"),
        ({"id": {"authority": "EPSG", "code": 4326}, "name": "WGS 84"}, "WKB"),
        ("OGC:CRS84", "point"),
    ],
)
def test_geoparquet_points_are_positions(tmp_path: Path, crs: object, encoding: str) -> None:
    path = tmp_path / "pts.parquet"
    _geoparquet(path, crs, encoding)
    positions, rejects = _read(path)
    assert positions.column("lon").to_pylist() == [-66.0, -66.01]
    assert positions.column("lat").to_pylist() == [12.0, 12.01]
    assert positions.column("sog_kn").to_pylist() == [10.0, 10.5]
    assert rejects.column("reason").to_pylist() == ["csv_row"]  # the line (or null point)
    assert rejects.column("line_no").to_pylist() == [3]


def test_geoparquet_in_another_crs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "utm.parquet"
    _geoparquet(path, {"id": {"authority": "EPSG", "code": 32619}, "name": "UTM 19N"})
    with pytest.raises(SourceError, match="not in WGS 84"):
        _read(path)
