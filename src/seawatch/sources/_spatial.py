"""Positions held as point geometries: GeoPackage layers and GeoParquet geometry columns.

GIS tools (QGIS, MovingPandas, GeoPandas, ogr2ogr) write AIS points with the position in
a geometry column instead of lat/lon columns. A point's x and y become the ``lon`` and
``lat`` text columns the CSV conversion reads (:func:`seawatch.sources._csv.convert_table`),
so every other column is read by the same aliases (``mmsi``, ``basedatetime``, ``sog``
...) and ``--columns`` mapping as a CSV file. A geometry that is not a non-empty point
(a line, a polygon, bytes that are not WKB) leaves the row without a position: a
``csv_row`` reject carrying the row.

Only WGS 84 longitude/latitude is read (EPSG:4326, OGC:CRS84, or a CRS left undefined):
seawatch does not reproject, and a file in another CRS is refused with the command that
converts it. A GeoPackage is an SQLite database: it is opened read-only and immutable,
with ``trusted_schema`` off, and only the tables its ``gpkg_contents`` lists as point
features are read; a layer of other geometries is a ``skipped_layer`` reject.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.sources._batch import Batch, SourceBatch, file_reject
from seawatch.sources._csv import StaticsDeduper, convert_table
from seawatch.sources._dialects import generic_dialect
from seawatch.sources._lines import printable

SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APPLICATION_IDS = frozenset({0x47504B47, 0x47503130, 0x47503131})  # GPKG, GP10, GP11
_MAX_POINT_WKB = 64
"""The longest WKB a point can be (EWKB with an SRID and x, y, z, m is 41 bytes): longer
bytes are not a point and are never handed to the WKB parser."""
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_BATCH_ROWS = 65_536
LON_SUFFIX = ":lon"
LAT_SUFFIX = ":lat"
_POINT_TYPES = frozenset({"POINT", "GEOMETRY"})
_WGS84_NAMES = frozenset({"WGS 84", "WGS 84 (CRS84)", "WGS 84 LONGITUDE-LATITUDE", "WGS84"})
_REPROJECT_HINT = "reproject it first, e.g. ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg"


def wkb_lon_lat(
    values: Sequence[bytes | None],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(lon, lat) of WKB points; NaN where a value is not a non-empty point."""
    n = len(values)
    short = np.empty(n, dtype=object)
    short[:] = [v if isinstance(v, bytes) and len(v) <= _MAX_POINT_WKB else None for v in values]
    geoms = shapely.from_wkb(short, on_invalid="ignore")
    point = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    lon = np.where(point, shapely.get_x(geoms), np.nan)
    lat = np.where(point, shapely.get_y(geoms), np.nan)
    return lon, lat


def _wkb_offset(head: bytes) -> int | None:
    """Where the WKB starts in a GeoPackage geometry blob beginning with ``head`` (its first
    4 bytes: ``GP``, version, flags); ``None`` when it is not one, is an empty geometry, or
    an extension's own type."""
    if len(head) < 4 or head[:2] != b"GP":
        return None
    flags = head[3]
    envelope = _ENVELOPE_BYTES.get((flags >> 1) & 0b111)
    if envelope is None or flags & 0b1_0000 or flags & 0b10_0000:
        return None
    return 8 + envelope


def gpkg_wkb(blob: object) -> bytes | None:
    """The WKB inside a GeoPackage geometry blob (its ``GP`` header and envelope skipped);
    ``None`` for anything else or an empty geometry."""
    if not isinstance(blob, bytes) or len(blob) < 8:
        return None
    start = _wkb_offset(blob[:4])
    return None if start is None else blob[start:]


def gpkg_wkbs(blobs: Sequence[object]) -> list[bytes | None]:
    """:func:`gpkg_wkb` of each blob; at once when every one is bytes with the same header
    layout (a GeoPackage's writer gives all its points one), else one by one."""
    try:
        arr = pa.array(blobs, pa.binary())
    except (pa.ArrowException, TypeError):
        arr = None
    if arr is not None and arr.null_count == 0 and len(arr):
        heads = pc.unique(pc.binary_slice(arr, 0, 4)).to_pylist()
        start = _wkb_offset(heads[0]) if len(heads) == 1 else None
        if start is not None and pc.min(pc.binary_length(arr)).as_py() >= 8:
            wkbs: list[bytes | None] = pc.binary_slice(arr, start, 1 << 30).to_pylist()
            return wkbs
    return [gpkg_wkb(b) for b in blobs]


def _text(values: Sequence[object]) -> pa.Array:
    """SQLite values (any storage class, whatever the declared type) as text; a blob has
    none. A column of one storage class goes through Arrow whole."""
    try:
        typed = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        typed = None
    if typed is not None and (
        pa.types.is_string(typed.type)
        or pa.types.is_integer(typed.type)
        or pa.types.is_floating(typed.type)
        or pa.types.is_null(typed.type)
    ):
        return typed.cast(pa.string())
    return pa.array(
        [
            None
            if v is None or isinstance(v, bytes)
            else (v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v))
            for v in values
        ],
        pa.string(),
    )


def with_point_columns(
    table: pa.Table, geometry: str, lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]
) -> pa.Table:
    """``table`` without its geometry column, with ``GEOMETRY:lon`` and ``GEOMETRY:lat``
    (text, null where there is no point) appended."""
    kept = table.drop_columns([geometry])

    def as_text(values: np.ndarray[Any, Any]) -> pa.Array:
        return pa.array(values, pa.float64(), mask=np.isnan(values)).cast(pa.string())

    kept = kept.append_column(geometry + LON_SUFFIX, as_text(lon))
    return kept.append_column(geometry + LAT_SUFFIX, as_text(lat))


def point_header(columns: Sequence[str], geometry: str) -> list[str]:
    """The column names of a chunk after :func:`with_point_columns`."""
    return [c for c in columns if c != geometry] + [geometry + LON_SUFFIX, geometry + LAT_SUFFIX]


def point_mapping(geometry: str, mapping: Mapping[str, str]) -> dict[str, str]:
    """``mapping`` with lat/lon read from the geometry unless it maps them itself."""
    out = dict(mapping)
    if "lat" not in out and "lon" not in out:
        out["lon"] = geometry + LON_SUFFIX
        out["lat"] = geometry + LAT_SUFFIX
    return out


# --- GeoParquet ------------------------------------------------------------------------


def _wgs84(crs: object) -> bool:
    """True for a GeoParquet/PROJJSON CRS that is WGS 84 longitude/latitude."""
    if crs is None:
        return True
    if isinstance(crs, str):
        text = crs.strip().upper()
        if text in {"EPSG:4326", "OGC:CRS84", "CRS84", "4326"}:
            return True
        return any(n in text for n in ("WGS 84", "WGS84")) and "PROJ" not in text
    if isinstance(crs, dict):
        ident = crs.get("id")
        if isinstance(ident, dict):
            authority = str(ident.get("authority", "")).upper()
            code = str(ident.get("code", "")).upper()
            return (authority, code) in {("EPSG", "4326"), ("OGC", "CRS84")}
        return (
            crs.get("type") == "GeographicCRS" and str(crs.get("name", "")).upper() in _WGS84_NAMES
        )
    return False


def geoparquet_geometry(metadata: Mapping[bytes, bytes] | None, name: str) -> str | None:
    """The primary geometry column of a GeoParquet file (``None`` for plain Parquet).

    Raises:
        SourceError: the ``geo`` metadata is unreadable, or the geometry is not WGS 84.
    """
    raw = (metadata or {}).get(b"geo")
    if raw is None:
        return None
    try:
        geo = json.loads(raw)
        column = str(geo["primary_column"])
        spec = geo["columns"][column]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"cannot read the GeoParquet metadata of {name}: {exc!r}") from exc
    if not isinstance(spec, dict):
        raise SourceError(f"cannot read the GeoParquet metadata of {name}: bad column entry")
    if not _wgs84(spec.get("crs")):
        raise SourceError(
            f"{name}: geometry column {printable(column)!r} is not in WGS 84 longitude/latitude; "
            + _REPROJECT_HINT.replace("gpkg", "parquet")
        )
    encoding = str(spec.get("encoding", "WKB")).upper()
    if encoding not in {"WKB", "POINT"}:
        raise SourceError(
            f"{name}: geometry column {printable(column)!r} holds {encoding.lower()} "
            "geometries, not points (positions)"
        )
    return column


def geoparquet_points(table: pa.Table, geometry: str) -> pa.Table:
    """A GeoParquet chunk with its geometry turned into ``:lon``/``:lat`` text columns."""
    if geometry not in table.column_names:
        raise SourceError(f"the GeoParquet geometry column {printable(geometry)!r} is missing")
    column = table.column(geometry)
    if pa.types.is_struct(column.type):  # GeoArrow native points: struct<x, y[, z, m]>
        combined = column.combine_chunks()
        try:
            x = combined.field("x").to_numpy(zero_copy_only=False).astype(np.float64)
            y = combined.field("y").to_numpy(zero_copy_only=False).astype(np.float64)
        except KeyError as exc:
            raise SourceError(f"point column {printable(geometry)!r} has no x/y fields") from exc
        nulls = ~combined.is_valid().to_numpy(zero_copy_only=False)
        x[nulls] = np.nan
        y[nulls] = np.nan
        return with_point_columns(table, geometry, x, y)
    if not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
        raise SourceError(f"geometry column {printable(geometry)!r} is not WKB ({column.type})")
    lon, lat = wkb_lon_lat(column.to_pylist())
    return with_point_columns(table, geometry, lon, lat)


# --- GeoPackage ------------------------------------------------------------------------


def is_geopackage(head: bytes) -> bool:
    """True for the first 100+ bytes of an SQLite file with a GeoPackage application id."""
    if not head.startswith(SQLITE_MAGIC) or len(head) < 72:
        return False
    return struct.unpack(">I", head[68:72])[0] in _GPKG_APPLICATION_IDS


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _utf8_or_replace(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _connect(path: Path, name: str) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # text that is not UTF-8 becomes U+FFFD (as in a CSV), never an error for the file
        con.text_factory = _utf8_or_replace
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
        con.execute("PRAGMA cell_size_check = ON")
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise SourceError(f"cannot read GeoPackage {name}: {exc}") from exc
    return con


def _srs_ok(con: sqlite3.Connection, srs_id: int) -> bool:
    if srs_id == 0:  # "undefined geographic" in the GeoPackage spec
        return True
    row = con.execute(
        "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        return srs_id == 4326
    return _wgs84(f"{row[0]}:{row[1]}")


def _layers(con: sqlite3.Connection, name: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(point layers as (table, geometry column), what was skipped and why)."""
    try:
        rows = con.execute(
            "SELECT c.table_name, c.data_type, g.column_name, g.geometry_type_name, g.srs_id "
            "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g "
            "ON g.table_name = c.table_name ORDER BY c.table_name"
        ).fetchall()
    except sqlite3.Error as exc:
        raise SourceError(f"cannot read the layers of GeoPackage {name}: {exc}") from exc
    layers: list[tuple[str, str]] = []
    skipped: list[str] = []
    for table, data_type, column, geometry_type, srs_id in rows:
        label = printable(str(table))
        if data_type != "features" or column is None:
            skipped.append(f"layer {label!r} ({printable(str(data_type))}) holds no positions")
        elif str(geometry_type).upper() not in _POINT_TYPES:
            skipped.append(
                f"layer {label!r} holds {printable(str(geometry_type))} geometries, not points"
            )
        elif not isinstance(srs_id, int) or not _srs_ok(con, srs_id):
            skipped.append(
                f"layer {label!r} is not in WGS 84 longitude/latitude (srs_id "
                f"{printable(str(srs_id))}); {_REPROJECT_HINT}"
            )
        else:
            layers.append((str(table), str(column)))
    return layers, skipped


def read_geopackage(
    path: Path, name: str, mapping: Mapping[str, str], progress: Callable[[], None]
) -> Iterator[Batch]:
    """Every point layer of a GeoPackage, in layer-name then row order, as batches.

    Rows are numbered across the file (the first layer's rows first); a layer that holds
    no points is a ``skipped_layer`` reject naming it.

    Raises:
        SourceError: the file is not a readable GeoPackage, or has no point layer.
    """
    con = _connect(path, name)
    try:
        layers, skipped = _layers(con, name)
        for what in skipped:
            yield SourceBatch(rejects=file_reject(name, schema.RejectReason.SKIPPED_LAYER, what))
        if not layers:
            raise SourceError(f"GeoPackage {name} has no layer of points (positions)")
        source_dict = pa.array([name], pa.string())
        deduper = StaticsDeduper()
        offset = 0
        for table_name, geometry in layers:
            try:
                cursor = con.execute(f"SELECT * FROM {_quote(table_name)}")
                columns = [d[0] for d in cursor.description]
                if geometry not in columns:
                    raise SourceError(
                        f"layer {printable(table_name)!r} of GeoPackage {name} has no column "
                        f"{printable(geometry)!r}, its geometry column"
                    )
                g = columns.index(geometry)
                dialect = generic_dialect(
                    point_header(columns, geometry), point_mapping(geometry, mapping)
                )
                while rows := cursor.fetchmany(_BATCH_ROWS):
                    values = list(zip(*rows, strict=True))
                    lon, lat = wkb_lon_lat(gpkg_wkbs(values[g]))
                    table = pa.table(
                        [
                            _text(v) if i != g else pa.nulls(len(rows), pa.string())
                            for i, v in enumerate(values)
                        ],
                        names=columns,
                    )
                    table = with_point_columns(table, geometry, lon, lat)
                    yield convert_table(
                        table,
                        dialect,
                        table.column_names,
                        source_dict,
                        first_row=offset,
                        deduper=deduper,
                    )
                    offset += len(rows)
                    progress()
            except sqlite3.Error as exc:
                raise SourceError(
                    f"cannot read layer {printable(table_name)!r} of GeoPackage {name}: {exc}"
                ) from exc
    finally:
        con.close()
