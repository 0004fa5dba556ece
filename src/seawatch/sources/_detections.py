"""Readers for vessel detections of non-AIS sensors (satellite SAR, optical, night lights, radar).

Bytes in, Arrow out (schemas ``DETECTIONS``, ``SCENES``, ``REJECTS``); no store, no policy
beyond the row checks. Formats (``DETECTION_FORMATS``), detected from the content:

- ``allenai_csv``: the Skylight / Allen Institute for AI Sentinel-1 and Sentinel-2 detector
  output (``predictions.csv``: ``lon, lat, score, vessel_length_m, vessel_width_m,
  heading_bucket_0..15, vessel_speed_k, detect_id, scene_id``). The time is in the scene id
  (the Sentinel product name: ``S1B_IW_GRDH_1SDV_<start>_<stop>_...``,
  ``S2B_MSIL1C_<datatake start>_...``); every detection of a scene gets the scene's start.
  The heading is the centre of the most probable of the 16 heading buckets (22.5° each),
  a coarse estimate.
- ``viirs_json``: the Skylight VIIRS detector response (``acquisition_time``,
  ``frame_extents`` (the scene footprint), ``predictions`` with ``latitude, longitude,
  orientation``); one scene, named after ``filename``.
- ``csv``, ``parquet``, ``geojson`` (a FeatureCollection of Points with the columns as
  properties): ``time`` (or ``ts``), ``lat``, ``lon`` and optional ``length_m, width_m,
  heading_deg, speed_kn, score, source, scene_id, detection_id``. Times without a zone are
  UTC.

Row checks, each a counted reject with a reason (:class:`seawatch.schema.RejectReason`):
no or unreadable time (``no_timestamp``); a time outside ``[schema.TIME_MIN,
schema.TIME_MAX)``, a missing position, latitude outside [-90, 90] or
longitude outside [-180, 180], a non-numeric optional value (``bad_value``); a column
seawatch does not know (``unknown_column``, once per column: its values are kept in each
row's ``raw`` JSON); a scene id given twice in a footprint file (``duplicate_scene``); a
detection outside its own scene's footprint (``outside_footprint``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from seawatch import schema
from seawatch._exceptions import ParameterError, SourceError
from seawatch.sources._open import open_binary

DETECTION_FORMATS: tuple[str, ...] = ("allenai_csv", "viirs_json", "csv", "parquet", "geojson")

KNOWN_COLUMNS: frozenset[str] = frozenset(
    {
        "time",
        "ts",
        "lat",
        "lon",
        "length_m",
        "width_m",
        "heading_deg",
        "speed_kn",
        "score",
        "source",
        "scene_id",
        "detection_id",
    }
)
"""Columns of the generic formats (csv, parquet, geojson)."""

_ALLENAI_REQUIRED = frozenset({"lon", "lat", "detect_id", "scene_id", "vessel_length_m"})
_NUMERIC = ("length_m", "width_m", "heading_deg", "speed_kn", "score")
_S1 = re.compile(r"^S1[ABCD]_\w\w_\w{4}_\w{4}_(\d{8}T\d{6})_(\d{8}T\d{6})_")
_S2 = re.compile(r"^S2[ABCD]_MSI\w{3}_(\d{8}T\d{6})_")


@dataclass(frozen=True, slots=True)
class DetectionRead:
    """What one detections file holds: detections, scenes and rejects (Arrow tables)."""

    format: str
    detections: pa.Table
    scenes: pa.Table
    rejects: pa.Table


def detection_id(source: str, scene_id: str | None, ts: datetime, lat: float, lon: float) -> str:
    """Stable id: first 16 hex digits of BLAKE2b over source, scene, time (µs) and position."""
    us = int(ts.timestamp() * 1_000_000)
    text = f"{source}|{scene_id or ''}|{us}|{lat:.6f}|{lon:.6f}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def scene_time(scene_id: str) -> tuple[datetime, datetime] | None:
    """Start and end time of a Sentinel-1 or Sentinel-2 product name, or None."""
    m = _S1.match(scene_id)
    if m:
        return _compact(m.group(1)), _compact(m.group(2))
    m = _S2.match(scene_id)
    if m:
        t = _compact(m.group(1))
        return t, t
    return None


def _compact(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def scene_source(scene_id: str) -> str | None:
    if scene_id.startswith("S1"):
        return "sentinel1"
    if scene_id.startswith("S2"):
        return "sentinel2"
    return None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        t = value
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _num(value: Any) -> float | None:
    """A finite float, None for empty; raises ValueError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError("not finite")
    return f


class _Builder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.rejects: list[tuple[int | None, str, str]] = []

    def reject(self, line_no: int | None, reason: schema.RejectReason, raw: Any) -> None:
        text = raw if isinstance(raw, str) else json.dumps(raw, default=str, sort_keys=True)
        self.rejects.append((line_no, reason.value, text[: schema.MAX_RAW_CHARS]))

    def add(
        self,
        line_no: int | None,
        raw: Mapping[str, Any],
        *,
        ts: Any,
        lat: Any,
        lon: Any,
        source: str,
        scene_id: str | None,
        values: Mapping[str, Any],
        given_id: str | None = None,
    ) -> None:
        t = _parse_time(ts)
        if t is None:
            self.reject(line_no, schema.RejectReason.NO_TIMESTAMP, raw)
            return
        if not schema.TIME_MIN <= t < schema.TIME_MAX:
            self.reject(line_no, schema.RejectReason.BAD_VALUE, raw)
            return
        try:
            la, lo = _num(lat), _num(lon)
            nums = {k: _num(values.get(k)) for k in _NUMERIC}
        except (TypeError, ValueError):
            self.reject(line_no, schema.RejectReason.BAD_VALUE, raw)
            return
        if la is None or lo is None or not (-90 <= la <= 90 and -180 <= lo <= 180):
            self.reject(line_no, schema.RejectReason.BAD_VALUE, raw)
            return
        if any(v is not None and v < 0 for k, v in nums.items() if k != "heading_deg"):
            self.reject(line_no, schema.RejectReason.BAD_VALUE, raw)
            return
        if nums["heading_deg"] is not None:
            nums["heading_deg"] = nums["heading_deg"] % 360.0
        did = given_id or detection_id(source, scene_id, t, la, lo)
        if did in self.seen:
            return  # the same detection twice in one file: stored once
        self.seen.add(did)
        self.rows.append(
            {
                "detection_id": did,
                "source": source,
                "scene_id": scene_id,
                "ts": t,
                "lat": la,
                "lon": lo,
                **nums,
                "raw": json.dumps(raw, default=str, sort_keys=True),
            }
        )

    def detections(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=schema.DETECTIONS)

    def reject_table(self) -> pa.Table:
        return pa.table(
            {
                "source": pa.array([self.name] * len(self.rejects), pa.string()),
                "line_no": pa.array([r[0] for r in self.rejects], pa.int64()),
                "reason": pa.array([r[1] for r in self.rejects], pa.string()),
                "raw": pa.array([r[2] for r in self.rejects], pa.string()),
            },
            schema=schema.REJECTS,
        )


def _read_bytes(path: Path) -> bytes:
    with open_binary(path) as f:
        data: bytes = f.read()
    return data


def sniff_detection_format(path: Path, data: bytes) -> str:
    """The format of a detections file from its content (and name for Parquet)."""
    if data[:4] == b"PAR1":
        return "parquet"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: not valid JSON: {exc}") from None
        if isinstance(obj, dict) and "predictions" in obj and "acquisition_time" in obj:
            return "viirs_json"
        if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
            return "geojson"
        raise SourceError(f"{path}: JSON that is neither a VIIRS response nor a GeoJSON")
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    header = {c.strip() for c in first.split(",")}
    if header >= _ALLENAI_REQUIRED:
        return "allenai_csv"
    return "csv"


def read_detections(
    path: str | Path,
    *,
    fmt: str | None = None,
    source_name: str | None = None,
    scene_footprint: str | Path | None = None,
) -> DetectionRead:
    """Read one detections file (``fmt``: one of :data:`DETECTION_FORMATS`; None: detect).

    ``scene_footprint``: a GeoJSON file of scene footprints (Polygon or MultiPolygon
    features with ``scene_id`` and optional ``ts_start``, ``ts_end``, ``source``
    properties; a single feature without ``scene_id`` is the footprint of every scene of
    the file).

    Raises:
        SourceError: the file cannot be read or is not of a detections format.
        ParameterError: ``fmt`` is not a known format.
    """
    p = Path(path)
    if fmt is not None and fmt not in DETECTION_FORMATS:
        raise ParameterError(
            f"unknown detections format {fmt!r} (choose from {', '.join(DETECTION_FORMATS)})"
        )
    data = _read_bytes(p)
    used = fmt or sniff_detection_format(p, data)
    b = _Builder(source_name or str(p))
    scenes: dict[str, dict[str, Any]] = {}
    if used == "allenai_csv":
        _allenai(data, b, scenes)
    elif used == "viirs_json":
        _viirs(p, data, b, scenes)
    elif used == "csv":
        text = data.decode("utf-8-sig", "replace")
        reader = csv.DictReader(io.StringIO(text))
        _generic(list(reader.fieldnames or []), enumerate(reader, start=2), b, scenes)
    elif used == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(io.BytesIO(data))
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"{p}: not a readable Parquet file: {exc}") from None
        _generic(table.column_names, enumerate(table.to_pylist(), start=1), b, scenes)
    else:
        _geojson(p, data, b, scenes)
    if scene_footprint is not None:
        _footprints(Path(scene_footprint), b, scenes)
    _check_inside(b, scenes)
    return DetectionRead(
        format=used,
        detections=b.detections(),
        scenes=pa.Table.from_pylist(
            [{"scene_id": k, **v} for k, v in sorted(scenes.items())], schema=schema.SCENES
        ),
        rejects=b.reject_table(),
    )


def _scene_span(scenes: dict[str, dict[str, Any]], scene_id: str, source: str, t: datetime) -> None:
    s = scenes.setdefault(
        scene_id, {"source": source, "ts_start": t, "ts_end": t, "footprint": None}
    )
    s["ts_start"] = min(s["ts_start"], t)
    s["ts_end"] = max(s["ts_end"], t)


def _allenai(data: bytes, b: _Builder, scenes: dict[str, dict[str, Any]]) -> None:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", "replace")))
    buckets = sorted(
        (int(c.rsplit("_", 1)[1]), c)
        for c in reader.fieldnames or []
        if re.fullmatch(r"heading_bucket_\d+", c)
    )
    for line_no, row in enumerate(reader, start=2):
        scene = (row.get("scene_id") or "").strip()
        span = scene_time(scene) if scene else None
        source = scene_source(scene) or "satellite"
        heading: float | None = None
        if buckets:
            try:
                probs = [float(row.get(c) or "nan") for _, c in buckets]
            except ValueError:
                probs = []
            if probs and all(math.isfinite(x) for x in probs):
                best = max(range(len(probs)), key=probs.__getitem__)
                heading = (best + 0.5) * 360.0 / len(probs)
        b.add(
            line_no,
            row,
            ts=None if span is None else span[0],
            lat=row.get("lat"),
            lon=row.get("lon"),
            source=source,
            scene_id=scene or None,
            values={
                "length_m": row.get("vessel_length_m"),
                "width_m": row.get("vessel_width_m"),
                "heading_deg": heading,
                "speed_kn": row.get("vessel_speed_k"),
                "score": row.get("score"),
            },
            given_id=None,
        )
        if span is not None:
            s = scenes.setdefault(
                scene, {"source": source, "ts_start": span[0], "ts_end": span[1], "footprint": None}
            )
            s["ts_end"] = max(s["ts_end"], span[1])


def _polygon_wkb(coords: Sequence[Any]) -> bytes | None:
    from shapely import Polygon, to_wkb

    try:
        ring = [(float(x), float(y)) for x, y, *_ in coords]
        poly = Polygon(ring)
    except (TypeError, ValueError):
        return None
    if len(ring) < 3 or not poly.is_valid or poly.area == 0:
        return None
    out: bytes = to_wkb(poly)
    return out


def _viirs(path: Path, data: bytes, b: _Builder, scenes: dict[str, dict[str, Any]]) -> None:
    obj = json.loads(data)
    t = _parse_time(obj.get("acquisition_time"))
    scene = str(obj.get("filename") or f"viirs-{obj.get('acquisition_time')}")
    preds = obj.get("predictions") or []
    if not isinstance(preds, list):
        raise SourceError(f"{path}: 'predictions' is not a list")
    for i, p in enumerate(preds, start=1):
        if not isinstance(p, dict):
            b.reject(i, schema.RejectReason.BAD_VALUE, p)
            continue
        b.add(
            i,
            p,
            ts=t,
            lat=p.get("latitude"),
            lon=p.get("longitude"),
            source="viirs",
            scene_id=scene,
            values={"heading_deg": p.get("orientation")},
        )
    if t is not None:
        extents = obj.get("frame_extents")
        fp = _polygon_wkb(extents) if isinstance(extents, list) else None
        scenes[scene] = {"source": "viirs", "ts_start": t, "ts_end": t, "footprint": fp}


def _generic(
    columns: Sequence[str],
    rows: Any,
    b: _Builder,
    scenes: dict[str, dict[str, Any]],
) -> None:
    for col in columns:
        if col not in KNOWN_COLUMNS:
            b.reject(None, schema.RejectReason.UNKNOWN_COLUMN, f"column {col!r}")
    if not {"lat", "lon"} <= set(columns) or not {"time", "ts"} & set(columns):
        raise SourceError(
            f"{b.name}: a detections file needs columns time (or ts), lat, lon; "
            f"found {', '.join(columns) or 'none'}"
        )
    for line_no, row in rows:
        source = str(row.get("source") or "").strip() or "unknown"
        scene = str(row.get("scene_id") or "").strip() or None
        ts = row.get("time") if row.get("time") not in (None, "") else row.get("ts")
        before = len(b.rows)
        b.add(
            line_no,
            row,
            ts=ts,
            lat=row.get("lat"),
            lon=row.get("lon"),
            source=source,
            scene_id=scene,
            values=row,
            given_id=str(row["detection_id"]) if row.get("detection_id") else None,
        )
        if scene is not None and len(b.rows) > before:
            _scene_span(scenes, scene, source, b.rows[-1]["ts"])


def _geojson(path: Path, data: bytes, b: _Builder, scenes: dict[str, dict[str, Any]]) -> None:
    obj = json.loads(data)
    rows: list[tuple[int, dict[str, Any]]] = []
    columns: set[str] = set()
    for i, feat in enumerate(obj.get("features") or [], start=1):
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = dict(props) if isinstance(props, dict) else {}
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            b.reject(i, schema.RejectReason.BAD_VALUE, feat)
            continue
        xy = geom.get("coordinates")
        if not isinstance(xy, list) or len(xy) < 2:
            b.reject(i, schema.RejectReason.BAD_VALUE, feat)
            continue
        columns.update(props)
        props["lon"], props["lat"] = xy[0], xy[1]
        rows.append((i, props))
    _generic(sorted(columns | {"lat", "lon"}), rows, b, scenes)


_FOOTPRINT_TOLERANCE_DEG = 0.01
"""A detection this close to its scene's footprint edge (about 1 km) is still inside it."""


def _check_inside(b: _Builder, scenes: dict[str, dict[str, Any]]) -> None:
    """Reject detections outside the footprint of their own scene (``outside_footprint``)."""
    import shapely

    shapes = {
        k: shapely.from_wkb(s["footprint"]).buffer(_FOOTPRINT_TOLERANCE_DEG)
        for k, s in scenes.items()
        if s.get("footprint") is not None
    }
    if not shapes:
        return
    kept = []
    for row in b.rows:
        shape = shapes.get(row["scene_id"])
        if shape is not None and not shapely.contains_xy(shape, row["lon"], row["lat"]):
            b.reject(None, schema.RejectReason.OUTSIDE_FOOTPRINT, json.loads(row["raw"]))
            continue
        kept.append(row)
    b.rows = kept


def _footprints(path: Path, b: _Builder, scenes: dict[str, dict[str, Any]]) -> None:
    try:
        obj = json.loads(_read_bytes(path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not valid JSON: {exc}") from None
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        feats = obj.get("features") or []
    elif isinstance(obj, dict) and obj.get("type") == "Feature":
        feats = [obj]
    elif isinstance(obj, dict) and obj.get("type") in ("Polygon", "MultiPolygon"):
        feats = [{"type": "Feature", "geometry": obj, "properties": {}}]
    else:
        raise SourceError(f"{path}: a scene footprint file must be GeoJSON polygons")
    from shapely import from_geojson, to_wkb
    from shapely.errors import GEOSException

    given: set[str] = set()
    for i, feat in enumerate(feats, start=1):
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            b.reject(i, schema.RejectReason.BAD_VALUE, feat)
            continue
        try:
            shape = from_geojson(json.dumps(geom))
        except GEOSException as exc:
            b.reject(i, schema.RejectReason.BAD_VALUE, f"{feat} ({exc})")
            continue
        if shape.is_empty or not shape.is_valid:
            b.reject(i, schema.RejectReason.BAD_VALUE, feat)
            continue
        wkb: bytes = to_wkb(shape)
        sid = props.get("scene_id")
        targets = [str(sid)] if sid else (list(scenes) if len(feats) == 1 else [])
        if not targets:
            b.reject(i, schema.RejectReason.BAD_VALUE, feat)
            continue
        for scene in targets:
            if scene in given:
                b.reject(i, schema.RejectReason.DUPLICATE_SCENE, feat)
                continue
            given.add(scene)
            s = scenes.get(scene)
            t0 = _parse_time(props.get("ts_start"))
            t1 = _parse_time(props.get("ts_end")) or t0
            if s is None:
                if t0 is None or t1 is None:
                    b.reject(i, schema.RejectReason.NO_TIMESTAMP, feat)
                    continue
                s = scenes[scene] = {
                    "source": str(props.get("source") or "unknown"),
                    "ts_start": t0,
                    "ts_end": t1,
                    "footprint": None,
                }
            elif t0 is not None and t1 is not None:
                s["ts_start"], s["ts_end"] = min(t0, s["ts_start"]), max(t1, s["ts_end"])
            s["footprint"] = wkb
