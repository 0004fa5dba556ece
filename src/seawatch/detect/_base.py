"""What every detector shares: event ids, the EVENTS table builder, the details JSON,
and the geography a detector may ask about (:class:`GeoContext`).

A detector is a pure kernel::

    def kernel(table: pa.Table, *, params: XParams = XParams(), geo: GeoContext | None = None)
        -> pa.Table  # schema.EVENTS

given whole vessels in any row order. It never reads files and never knows the engine.

``geo=None`` means :class:`BundledGeo` (the offline geography of :mod:`seawatch.geo`,
imported lazily). Tests pass a :class:`FakeGeo`, an in-memory world with a straight
coastline, a few ports and rectangular zones, so detector tests never depend on bundled data.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import EARTH_RADIUS_M as EARTH_RADIUS_M
from seawatch._units import M_PER_NM as M_PER_NM
from seawatch._units import US_PER_H
from seawatch.geo import BundledGeo as BundledGeo
from seawatch.geo import FakeGeo as FakeGeo
from seawatch.geo import FakePort as FakePort
from seawatch.geo import GeoContext as GeoContext
from seawatch.geo import resolve_geo as resolve_geo
from seawatch.schema import EVENTS

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]


__all__ = [
    "M_PER_NM",
    "BundledGeo",
    "FakeGeo",
    "FakePort",
    "GeoContext",
    "build_events",
    "details_json",
    "event_id",
    "event_ids_single",
    "fill_region",
    "params_dict",
    "params_json",
    "resolve_geo",
]


# --------------------------------------------------------------------------------------
# event ids


def _start_us(start: datetime | int | np.integer[Any]) -> int:
    if isinstance(start, datetime):
        if start.tzinfo is None:
            raise ParameterError("event start must be timezone-aware (UTC)")
        delta = start.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return int(start)


def event_id(
    type_: str,
    vessels: Iterable[int],
    start: datetime | int | np.integer[Any],
    *,
    key: str | None = None,
) -> str:
    """Stable id of an event: a hash of its type, its vessels (sorted) and its start.

    ``start`` is a UTC-aware datetime or microseconds since the Unix epoch. The id is
    the first 16 hex digits of BLAKE2b over ``"type|mmsi,mmsi|start_us"``; it does not
    depend on the vessels' order, the engine, the partition or the run.

    ``key`` (optional) tells apart events of one type, vessel set and start that differ in
    another attribute (the zone of a zone event: entering two nested zones at once);
    when given, ``"|key"`` is appended to the hashed text.
    """
    ms = ",".join(str(v) for v in sorted(int(v) for v in vessels))
    text = f"{type_}|{ms}|{_start_us(start)}"
    if key:
        text += f"|{key}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def event_ids_single(
    types: Sequence[str],
    vessel: Sequence[int | None],
    start_us: Sequence[int],
    keys: Sequence[str | None],
) -> list[str]:
    """:func:`event_id` of many events of at most one vessel each (``None``: no vessel),
    starts in microseconds: the same ids, without the per-call sorting and conversion."""
    blake = hashlib.blake2b
    out: list[str] = []
    for t, m, s, k in zip(types, vessel, start_us, keys, strict=True):
        text = f"{t}|{'' if m is None else int(m)}|{int(s)}"
        if k:
            text += f"|{k}"
        out.append(blake(text.encode(), digest_size=8).hexdigest())
    return out


# --------------------------------------------------------------------------------------
# details JSON


def params_dict(params: object) -> dict[str, Any]:
    """Every field of a parameter dataclass, by name (tuples become lists)."""
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise ParameterError(f"not a parameter dataclass instance: {params!r}")
    return {f.name: _jsonable(getattr(params, f.name)) for f in dataclasses.fields(params)}


@functools.lru_cache(maxsize=64)
def _params_cached(params: object) -> dict[str, Any]:
    return params_dict(params)  # never mutated: only serialised


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, np.datetime64):
        us = int(value.astype("datetime64[us]").astype(np.int64))
        return _jsonable(datetime.fromtimestamp(us / 1e6, tz=UTC))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return params_dict(value)
    return value


@functools.lru_cache(maxsize=64)
def _params_json_cached(params: object) -> str:
    return json.dumps(params_dict(params), sort_keys=True, separators=(",", ":"), allow_nan=False)


def params_json(params: object) -> str:
    """The ``"params"`` value of :func:`details_json` as JSON text (cached per parameter
    object): for kernels that format their details themselves, byte for byte as
    :func:`details_json` would."""
    try:
        return _params_json_cached(params)
    except TypeError:  # an unhashable parameter object
        return json.dumps(
            params_dict(params), sort_keys=True, separators=(",", ":"), allow_nan=False
        )


def details_json(params: object, **details: Any) -> str:
    """The ``details`` column: ``{"params": {every parameter}, **details}`` as compact JSON.

    Keys are sorted; NaN and infinities become ``null``; numpy scalars and datetimes
    (ISO 8601 with ``Z``) are converted.
    """
    try:
        pd = _params_cached(params)
    except TypeError:  # an unhashable parameter object
        pd = params_dict(params)
    body = {k: _jsonable(v) for k, v in details.items()}
    body["params"] = pd
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)


# --------------------------------------------------------------------------------------
# EVENTS builder


def _unique_ids(
    ids: list[str],
    types: Sequence[str],
    vessels: Sequence[Sequence[int]],
    start: npt.NDArray[np.int64],
    keys: Sequence[str | None],
) -> list[str]:
    """``ids`` made unique: an event whose type, vessels, start and key repeat an earlier
    one's gets its occurrence number hashed in too (``key|2``, ``key|3`` ...), in the order
    given. Real data has it: one MMSI heard on two tracks at once (two transmitters set to
    one number, or a copied MMSI), each track with its own visit of the same zone or port
    from the same instant; a detector gives a vessel's tracks in the order they began, so
    the numbering is the same on every engine and every run."""
    if len(set(ids)) == len(ids):
        return ids
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, plain in enumerate(ids):
        k = seen.get(plain, 0) + 1
        seen[plain] = k
        key = f"{keys[i] or ''}|{k}"
        out.append(plain if k == 1 else event_id(types[i], vessels[i], int(start[i]), key=key))
    return out


def build_events(
    *,
    types: str | Sequence[str],
    start_us: npt.ArrayLike,
    end_us: npt.ArrayLike,
    vessels: Sequence[Sequence[int]] | npt.ArrayLike,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    details: Sequence[str],
    region: Sequence[str | None] | None = None,
    zone: Sequence[str | None] | None = None,
    confidence: npt.ArrayLike | None = None,
) -> pa.Table:
    """A table with schema :data:`seawatch.schema.EVENTS`, sorted by start, type, event_id.

    ``vessels`` is either one MMSI per event (a 1-d integer array) or a sequence of MMSI
    lists. ``duration_h``, ``event_id`` and ``incident_id`` (the event's own id) are computed
    here (the zone, when set, is the id's ``key``; ids are unique: see :func:`_unique_ids`);
    ``region``, ``zone`` and ``confidence`` default to null.
    """
    start = np.asarray(start_us, dtype=np.int64)
    end = np.asarray(end_us, dtype=np.int64)
    n = len(start)
    type_list = [types] * n if isinstance(types, str) else [str(t) for t in types]
    if isinstance(vessels, np.ndarray) and vessels.ndim == 1:
        vessel_lists = [[int(v)] for v in vessels]
    else:
        vessel_lists = [sorted(int(v) for v in vs) for vs in vessels]  # type: ignore[union-attr,arg-type]
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    if not (
        len(end) == n == len(type_list) == len(vessel_lists) == len(lat_a) == len(lon_a)
        and len(details) == n
    ):
        raise ParameterError("build_events: columns have different lengths")
    if np.any(end < start):
        raise ParameterError("build_events: an event ends before it starts")
    zone_list: list[str | None] = [None] * n if zone is None else [_opt_str(z) for z in zone]
    ids = _unique_ids(
        [
            event_id(t, v, int(s), key=z)
            for t, v, s, z in zip(type_list, vessel_lists, start, zone_list, strict=True)
        ],
        type_list,
        vessel_lists,
        start,
        zone_list,
    )
    conf = (
        pa.nulls(n, pa.float32())
        if confidence is None
        else pa.array(np.asarray(confidence, dtype=np.float32), pa.float32())
    )
    table = pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "type": pa.array(type_list, pa.string()),
            "start": pa.array(start, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "end": pa.array(end, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "vessels": pa.array(vessel_lists, pa.list_(pa.uint32())),
            "lat": pa.array(lat_a, pa.float64(), from_pandas=True),
            "lon": pa.array(lon_a, pa.float64(), from_pandas=True),
            "duration_h": pa.array((end - start) / US_PER_H, pa.float64()),
            "region": pa.array(
                [None] * n if region is None else [_opt_str(r) for r in region], pa.string()
            ),
            "zone": pa.array(zone_list, pa.string()),
            "confidence": conf,
            "details": pa.array(list(details), pa.string()),
            # each event is its own incident until seawatch.detect.incidents links it
            "incident_id": pa.array(ids, pa.string()),
            # kernels cannot know: the engine marks events of simulated vessels
            "simulated": pa.array(np.zeros(n, np.bool_), pa.bool_()),
        },
        schema=EVENTS,
    )
    if n == 0:
        return table
    return table.sort_by([("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")])


def _opt_str(v: object) -> str | None:
    return None if v is None else str(v)


def fill_region(table: pa.Table, geo: GeoContext) -> pa.Table:
    """``table`` (EVENTS) with the region of events that have none filled in from their
    position (the engine's last finishing step, for every detector)."""
    if table.num_rows == 0:
        return table
    region = table.column("region")
    need = pc.and_(
        pc.is_null(region),
        pc.and_(pc.is_valid(table.column("lat")), pc.is_valid(table.column("lon"))),
    )
    rows = np.flatnonzero(np.asarray(need.to_numpy(False), np.bool_))
    if len(rows) == 0:
        return table
    lat = np.asarray(pc.cast(table.column("lat"), pa.float64()).to_numpy(False), np.float64)
    lon = np.asarray(pc.cast(table.column("lon"), pa.float64()).to_numpy(False), np.float64)
    found = geo.region_of(lat[rows], lon[rows])
    values = region.to_pylist()
    for r, v in zip(rows.tolist(), list(found), strict=True):
        values[r] = None if v is None else str(v)
    idx = table.schema.get_field_index("region")
    return table.set_column(idx, "region", pa.array(values, pa.string()))
