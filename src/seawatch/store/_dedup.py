"""The positions merge in Arrow and numba: the same rows, in the same order, as
:func:`seawatch.store._merge.merge_sql` computes in DuckDB, about 3x faster and on one core.

Why it is the same: the output order (``mmsi, ts``, then every other column, nulls first)
restricted to the rows of one de-duplication key is the window's order (``ts, source,
station``, nulls first), because the key holds every other column. So a row is dropped
exactly when an earlier row of the sorted output has the same key and is at most
``window_us`` older; that row, if any, lies among the rows of the same MMSI just before it
(``ts`` is ascending within an MMSI). The kernel looks back over those rows.

The fast path declines (returns None, and the caller runs the SQL) whenever its equality or
order could differ from DuckDB's: a null ``ts``, a NaN or a negative zero in a float column,
or a run of more than ``_MAX_LOOKBACK`` rows of one vessel within the window (e.g. an
untimed file ingested with one ``--time`` for every message).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

POSITION_KEY_REST = ("msg_type", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
"""The positions' de-duplication key after ``mmsi`` (see ``DEDUP_KEYS``)."""
_MAX_LOOKBACK = 256
_PA_MAJOR = int(pa.__version__.split(".")[0])


@njit(cache=True, nogil=True)
def _isnan(x: float) -> bool:
    return x != x


@njit(cache=True, nogil=True)
def _dup_kernel(
    mmsi: I64, ts: I64, keys: F64, window_us: int, max_lookback: int
) -> tuple[Bool, bool]:
    """``drop[i]``: an earlier row of the same MMSI within ``window_us`` has the same key
    (``keys[k, :]``, one row per key column, NaN = null, nulls equal). Second value False
    when a look-back exceeded ``max_lookback`` rows (the result is then incomplete)."""
    n = len(ts)
    n_keys = keys.shape[0]
    drop = np.zeros(n, np.bool_)
    for i in range(1, n):
        j = i - 1
        steps = 0
        while j >= 0 and mmsi[j] == mmsi[i] and ts[i] - ts[j] <= window_us:
            steps += 1
            if steps > max_lookback:
                return drop, False
            same = True
            for k in range(n_keys):
                a = keys[k, j]
                b = keys[k, i]
                if a != b and not (_isnan(a) and _isnan(b)):
                    same = False
                    break
            if same:
                drop[i] = True
                break
            j -= 1
    return drop, True


def _sort_options(names: list[str]) -> dict[str, Any]:
    """Ascending on every column with nulls first (``mmsi`` and ``ts`` have none here)."""
    if _PA_MAJOR >= 25:
        return {"sort_keys": [(n, "ascending", "at_start") for n in names]}
    return {"sort_keys": [(n, "ascending") for n in names], "null_placement": "at_start"}


def _float_oddities(col: pa.ChunkedArray) -> bool:
    """True when a float column holds a NaN or a negative zero (DuckDB's grouping and
    ordering of those are its own)."""
    arr = np.asarray(col.to_numpy(), np.float64)  # nulls -> NaN
    nan = np.isnan(arr)
    if int(nan.sum()) != col.null_count:
        return True
    return bool(((arr == 0.0) & np.signbit(arr)).any())


def merge_positions(table: pa.Table, *, window_us: int) -> pa.Table | None:
    """Positions sorted by (mmsi, ts, every other column; nulls first) with repeats dropped,
    as the SQL merge does; None when this fast path cannot guarantee the same result."""
    if table.num_rows == 0:
        return table
    if table.column("ts").null_count or table.column("mmsi").null_count:
        return None
    for name in ("lat", "lon", "sog_kn", "cog_deg"):
        if _float_oddities(table.column(name)):
            return None
    names = table.column_names
    sortable = table
    for name in ("source", "station"):
        field = table.schema.field(name)
        if pa.types.is_dictionary(field.type):
            idx = sortable.schema.get_field_index(name)
            sortable = sortable.set_column(idx, name, pc.cast(table.column(name), pa.string()))
    rest = [c for c in names if c not in ("mmsi", "ts")]
    order = pc.sort_indices(sortable, **_sort_options(["mmsi", "ts", *rest]))
    table = table.take(order)
    mmsi = np.asarray(pc.cast(table.column("mmsi"), pa.int64()).to_numpy(), np.int64)
    ts = np.asarray(pc.cast(table.column("ts"), pa.int64()).to_numpy(), np.int64)
    # one contiguous row per key column: filling columns of a (rows, keys) array wrote with
    # a stride and cost a quarter of the merge
    keys = np.empty((len(POSITION_KEY_REST), table.num_rows), np.float64)
    for k, name in enumerate(POSITION_KEY_REST):
        keys[k] = pc.cast(table.column(name), pa.float64()).to_numpy(zero_copy_only=False)
    drop, complete = _dup_kernel(mmsi, ts, keys, int(window_us), _MAX_LOOKBACK)
    if not complete:
        return None
    if drop.any():
        table = table.filter(pa.array(~drop))
    return table
