"""Shared helpers: sorting whole vessels and pulling numpy arrays out of Arrow tables."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._jit import read_only

TS_TYPE = pa.timestamp("us", tz="UTC")


def require(table: pa.Table, columns: tuple[str, ...], what: str) -> None:
    """Raise :class:`ParameterError` naming the columns ``table`` lacks."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ParameterError(f"{what}: input lacks column(s) {', '.join(missing)}")


def sort_positions(table: pa.Table, *, by_segment: bool = False) -> pa.Table:
    """Rows by vessel (and segment), time, then position and speed (a total order, so the
    result does not depend on the input's row order). Already sorted tables are returned
    as they are."""
    keys = [("mmsi", "ascending")]
    if by_segment:
        keys.append(("seg_id", "ascending"))
    keys.append(("ts", "ascending"))
    tie_keys = [c for c in ("lat", "lon", "sog_kn") if c in table.column_names]
    if not by_segment and _sorted_by_mmsi_ts(table, tie_keys):
        return table
    keys += [(c, "ascending") for c in tie_keys]
    return table.sort_by(keys)


def _sorted_by_mmsi_ts(table: pa.Table, tie_keys: list[str]) -> bool:
    """True when rows are already in the order of a stable sort by ``mmsi, ts`` and then
    ``tie_keys`` (so sorting would change nothing): ordered by (mmsi, ts), and rows that
    tie on it ordered by the tie keys (a NaN or null among those: False, the sort decides;
    rows tied on every key keep their order, as the stable sort keeps it)."""
    if table.num_rows < 2:
        return True
    if table.column("ts").null_count or table.column("mmsi").null_count:
        return False
    m = i64(table, "mmsi")
    t = ts_us(table)
    dm = np.diff(m)
    if (dm < 0).any():
        return False
    dt = np.diff(t)
    if ((dm == 0) & (dt < 0)).any():
        return False
    tied = np.flatnonzero((dm == 0) & (dt == 0))  # rows tied with the row after them
    for name in tie_keys:
        if len(tied) == 0:
            break
        v = f64(table, name)
        a, b = v[tied], v[tied + 1]
        if np.isnan(a).any() or np.isnan(b).any():
            return False
        if (b < a).any():
            return False
        tied = tied[a == b]
    return True


def ts_us(table: pa.Table, column: str = "ts") -> npt.NDArray[np.int64]:
    """A timestamp column as int64 microseconds since the epoch (nulls not allowed)."""
    col = table.column(column)
    if col.null_count:
        raise ParameterError(f"column {column!r} has nulls; clean the table first")
    if col.type != TS_TYPE:
        col = pc.cast(col, TS_TYPE)
    return read_only(np.asarray(pc.cast(col, pa.int64()).to_numpy(), dtype=np.int64))


def f64(table: pa.Table, column: str) -> npt.NDArray[np.float64]:
    """A numeric column as float64 with nulls as NaN."""
    col = table.column(column)
    arr = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    return read_only(np.asarray(arr, dtype=np.float64))


def f64_or_nan(table: pa.Table, column: str) -> npt.NDArray[np.float64]:
    """:func:`f64`, or all NaN where the table has no such column (``sog_kn`` is optional)."""
    if column in table.column_names:
        return f64(table, column)
    return read_only(np.full(table.num_rows, np.nan, dtype=np.float64))


def i64(table: pa.Table, column: str) -> npt.NDArray[np.int64]:
    """An integer column as int64 (nulls not allowed)."""
    col = table.column(column)
    if col.null_count:
        raise ParameterError(f"column {column!r} has nulls")
    return read_only(np.asarray(pc.cast(col, pa.int64()).to_numpy(), dtype=np.int64))


def group_bounds(*keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Start offsets of runs of equal key tuples in sorted arrays, plus the length at the end."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(1, np.int64)
    change = np.zeros(n - 1, dtype=np.bool_)
    for k in keys:
        change |= k[1:] != k[:-1]
    return np.concatenate(([0], np.flatnonzero(change) + 1, [n])).astype(np.int64)
