"""Event rows of the dark-vessel matcher (:mod:`seawatch.detect.dark`), column-wise.

The details JSON is written exactly as ``json.dumps(details, sort_keys=True)`` writes it
(the first implementation did that row by row): :func:`round_many` is Python's ``round``
vectorised, :func:`jf` and :func:`jcol` are ``json``'s float formatting (the latter by
Arrow, without a Python call per value), :func:`js` its string encoding. :class:`Out`
gathers the rows of each scene and builds the events table (schema ``EVENTS``).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _encode_str
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch.detect._base import event_ids_single, params_dict
from seawatch.schema import EVENTS


def js(s: str | None) -> str:
    """A JSON string (or null), as ``json.dumps`` writes it."""
    return "null" if s is None else _encode_str(s)


def js_strings(values: list[Any], *, few: bool = False) -> list[str]:
    """:func:`js` of each value; ``few``: few distinct values (scene ids, sources), each
    encoded once."""
    if few:
        enc = {s: js(s) for s in set(values)}
        return [enc[s] for s in values]
    return [js(s) for s in values]


def round_many(x: np.ndarray[Any, Any], ndigits: int) -> np.ndarray[Any, Any]:
    """``round(float(v), ndigits)`` of each value (Python's correctly rounded decimal
    rounding, half to even), vectorised: ``rint(x * 10**n) / 10**n`` equals it except when
    ``x * 10**n`` lies within a few ulps of a half-integer or beyond 2**52; those few
    values go through ``round`` itself."""
    x = np.asarray(x, dtype=np.float64)
    scale = 10.0**ndigits
    with np.errstate(over="ignore", invalid="ignore"):
        y = x * scale
        r = np.rint(y) / scale
        frac = np.abs(y - np.floor(y) - 0.5)
        near = (frac <= 8.0 * np.spacing(np.abs(y))) | (np.abs(y) >= 2.0**52)
    near &= np.isfinite(x)
    if near.any():
        at = np.flatnonzero(near)
        r[at] = [round(v, ndigits) for v in x[at].tolist()]
    return r


def jf(x: np.ndarray[Any, Any], *, null_nan: bool = False) -> list[str]:
    """Floats as ``json.dumps`` writes them (``repr``; NaN and infinities as JSON's
    extensions), or ``null`` for NaN when ``null_nan`` (an unknown value)."""
    out = list(map(float.__repr__, x.tolist()))
    bad = ~np.isfinite(x)
    if not bad.any():
        return out
    if bad.all() and np.isnan(x).all():  # an unknown column (no lengths, no ports)
        return ["null" if null_nan else "NaN"] * len(out)
    for i in np.flatnonzero(bad).tolist():
        f = float(x[i])
        if f != f:
            out[i] = "null" if null_nan else "NaN"
        else:
            out[i] = "Infinity" if f > 0 else "-Infinity"
    return out


_INTEGRAL = r"^-?[0-9]+$"


def jcol(x: np.ndarray[Any, Any], *, null_nan: bool = False) -> pa.Array:
    """:func:`jf` as an Arrow string array, without a Python call per value: Arrow's
    shortest round-trip formatting equals ``repr`` for 1e-4 <= |x| < 1e9 and 0 once
    integral values get their ``.0`` (tested); other values go through :func:`jf`."""
    x = np.asarray(x, np.float64)
    s = pc.cast(pa.array(x, pa.float64()), pa.string())
    s = pc.if_else(
        pc.match_substring_regex(s, _INTEGRAL), pc.binary_join_element_wise(s, ".0", ""), s
    )
    ax = np.abs(x)
    with np.errstate(invalid="ignore"):
        other = ~(((ax >= 1e-4) & (ax < 1e9)) | (x == 0))
    if other.any():
        s = pc.replace_with_mask(
            s, pa.array(other), pa.array(jf(x[other], null_nan=null_nan), pa.string())
        )
    return s


def join(*parts: str | pa.Array) -> pa.Array:
    """Row-wise concatenation of string arrays and literal strings."""
    return pc.binary_join_element_wise(*parts, "")


class Columns:
    """Numeric columns gathered scene by scene, concatenated once (the rows of one type
    for all scenes, then written with one Arrow call per column, not one per scene)."""

    def __init__(self) -> None:
        self._parts: dict[str, list[np.ndarray[Any, Any]]] = {}
        self.n = 0

    def add(self, **columns: np.ndarray[Any, Any]) -> None:
        for name, values in columns.items():
            self._parts.setdefault(name, []).append(values)
        self.n += len(next(iter(columns.values())))

    def __getitem__(self, name: str) -> np.ndarray[Any, Any]:
        return np.concatenate(self._parts[name])


class Out:
    """Event columns, gathered scene by scene in the order of the rows."""

    def __init__(self, params: object) -> None:
        self.tail = ', "params": ' + json.dumps(params_dict(params), sort_keys=True) + "}"
        self.types: list[str] = []
        self.vessels: list[np.ndarray[Any, Any]] = []
        self.n_vessels: list[int] = []
        self.ts: list[np.ndarray[Any, Any]] = []
        self.lat: list[np.ndarray[Any, Any]] = []
        self.lon: list[np.ndarray[Any, Any]] = []
        self.conf: list[np.ndarray[Any, Any]] = []
        self.keys: list[Any] = []
        self.details: list[pa.Array] = []

    def add(
        self,
        type_: str,
        vessels: np.ndarray[Any, Any],
        ts: np.ndarray[Any, Any],
        lat: np.ndarray[Any, Any],
        lon: np.ndarray[Any, Any],
        conf: np.ndarray[Any, Any],
        keys: list[Any],
        details: list[str] | pa.Array,
    ) -> None:
        """Rows of one type; ``vessels``: one mmsi per row, or none at all (dark)."""
        n = len(ts)
        if n == 0:
            return
        self.types.extend([type_] * n)
        self.vessels.append(np.asarray(vessels, np.int64))
        self.n_vessels.extend([1 if len(vessels) else 0] * n)
        self.ts.append(np.asarray(ts, np.int64))
        self.lat.append(np.asarray(lat, np.float64))
        self.lon.append(np.asarray(lon, np.float64))
        self.conf.append(np.asarray(conf, np.float64))
        self.keys.extend(keys)
        self.details.append(
            details if isinstance(details, pa.Array) else pa.array(details, pa.string())
        )

    def table(self) -> pa.Table:
        n = len(self.types)
        if n == 0:
            return EVENTS.empty_table()
        vessels = np.concatenate(self.vessels)
        ts = np.concatenate(self.ts)
        has = np.asarray(self.n_vessels, np.int64)
        one: list[int | None] = [None] * n
        for i, m in zip(np.flatnonzero(has).tolist(), vessels.tolist(), strict=True):
            one[i] = m
        ids = event_ids_single(self.types, one, ts.tolist(), self.keys)
        offsets = np.r_[0, np.cumsum(self.n_vessels)].astype(np.int32)
        start = pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        table = pa.table(
            {
                "event_id": pa.array(ids, pa.string()),
                "type": pa.array(self.types, pa.string()),
                "start": start,
                "end": start,
                "vessels": pa.ListArray.from_arrays(
                    pa.array(offsets), pa.array(vessels, pa.int64()).cast(pa.uint32())
                ),
                "lat": pa.array(np.concatenate(self.lat), pa.float64()),
                "lon": pa.array(np.concatenate(self.lon), pa.float64()),
                "duration_h": pa.array(np.zeros(n), pa.float64()),
                "region": pa.nulls(n, pa.string()),
                "zone": pa.nulls(n, pa.string()),
                "confidence": pa.array(np.concatenate(self.conf), pa.float64()).cast(pa.float32()),
                "details": pa.concat_arrays(self.details),
                "incident_id": pa.array(ids, pa.string()),  # its own incident until linked
                # as build_events: the engine marks the events of simulated vessels
                "simulated": pa.array(np.zeros(n, np.bool_), pa.bool_()),
            },
            schema=EVENTS,
        )
        # sorted (stable, as ``Table.sort_by``) before the parameters are appended to
        # each details string: the sort then moves a third of the bytes
        order = pc.sort_indices(
            table.select(["start", "type", "event_id"]),
            sort_keys=[("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")],
        )
        table = table.take(order)
        at = table.schema.get_field_index("details")
        full = pc.binary_join_element_wise(table.column("details"), self.tail, "")
        return table.set_column(at, EVENTS.field("details"), full)
