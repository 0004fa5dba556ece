"""Cleaning: drop unusable rows, null sentinel speeds, remove duplicates, flag land."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch.tracks._kernels import relay_copies, repeats_of_moving
from seawatch.tracks.columns import f64, f64_or_nan, i64, require, sort_positions, ts_us


class LandMask(Protocol):
    """Anything that can tell land from sea (``seawatch.geo`` or a detector GeoContext)."""

    def on_land(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]: ...


class _BundledLand:
    def on_land(
        self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        from seawatch.geo import on_land

        return np.asarray(on_land(lat, lon), dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class CleanParams:
    """Parameters of :func:`clean`.

    ``sentinel_speeds_kn``: reported speeds that mean "not available" or "out of range" in
    practice (51.2, 63 and 102.3 kn, as GFW's segmenter excludes); they become null (the
    position is kept). ``sentinel_tol_kn``: how close a float32 speed must be to count.
    ``drop_null_island``: drop positions at exactly (0, 0).
    ``flag_on_land``: add the boolean column ``on_land`` (rows on land are kept, not dropped).
    ``relay_window_s``: drop *relayed copies*: a row that jumps from the vessel's last kept
    row, or to its next one, farther than ``relay_jump_m`` and faster than
    ``relay_max_speed_kn`` (the jump that would open a second segment,
    :class:`~seawatch.tracks.SegmentParams`'s defaults), repeats exactly (position, speed,
    course, heading, status) a report of the vessel at most this many seconds earlier, and
    the vessel has since been seen elsewhere (a later report within reach of that one at
    the speed it reported, +10 kn, that the row jumps from or to): the same message heard
    again through a feed that relays it minutes late, beyond the store's de-duplication
    window. Such copies made the segmenter keep a second track beside the vessel's own, and
    each per-vessel detector count the vessel's port calls and visits once per track. 0
    keeps them.
    ``relay_path_m``: a row that jumps both ways (from the last kept row and to the next)
    is also a relayed copy when it lies within this distance of the vessel's own path
    (between two consecutive kept reports) in that window and the vessel has since been
    seen elsewhere: the copy of a report whose original was lost (garbled, out of range).
    0: only exact repeats are copies.
    ``relay_repeat_window_s``, ``relay_moving_kn``: a row that jumps so and repeats
    exactly a report of the vessel up to this long before is a copy however late it
    comes, when that report was made at ``relay_moving_kn`` or faster (a moving vessel
    never reports the same position twice) or the vessel has since been seen elsewhere, as
    above (a feed stamping messages on arrival hours late made a second track of the
    vessel hours behind it, with its own port visits). 0 (or no more than
    ``relay_window_s``): only the rules above.
    """

    sentinel_speeds_kn: tuple[float, ...] = (51.2, 63.0, 102.3)
    sentinel_tol_kn: float = 0.01
    drop_null_island: bool = True
    flag_on_land: bool = True
    relay_window_s: float = 1800.0
    relay_jump_m: float = 500.0
    relay_max_speed_kn: float = 50.0
    relay_path_m: float = 100.0
    relay_repeat_window_s: float = 86_400.0
    relay_moving_kn: float = 1.0

    def __post_init__(self) -> None:
        if not (
            0.0 <= self.relay_window_s <= 86_400.0
            and self.relay_jump_m >= 0.0
            and self.relay_max_speed_kn > 0.0
            and self.relay_path_m >= 0.0
            and 0.0 <= self.relay_repeat_window_s <= 30 * 86_400.0
            and self.relay_moving_kn >= 0.0
        ):
            from seawatch._exceptions import ParameterError

            raise ParameterError(
                "CleanParams: relay_window_s within 0 .. 86400, relay_jump_m >= 0, "
                "relay_max_speed_kn > 0, relay_path_m >= 0, relay_repeat_window_s within "
                "0 .. 30 days, relay_moving_kn >= 0"
            )


_DEFAULT = CleanParams()
_RELAY_KEYS = ("sog_kn", "cog_deg", "heading_deg", "nav_status")
_H1 = np.int64(-7046029254386353131)
_H2 = np.int64(-4658895280553007687)
_H3 = np.int64(6364136223846793005)
_RELAY_PASSES = 8
"""Passes of :func:`relay_copies`, each over the rows the previous ones kept (a run of k
copies in a row is found in at most k passes)."""


def clean(
    table: pa.Table, *, params: CleanParams = _DEFAULT, geo: LandMask | None = None
) -> pa.Table:
    """Cleaned positions, sorted by ``mmsi, ts``.

    Drops rows without ``ts``, ``lat`` or ``lon`` or with coordinates off the globe (and
    (0, 0) when ``params.drop_null_island``); sets sentinel speeds to null; removes
    duplicates (same ``mmsi, ts, lat, lon``: the same message heard twice, first kept in a
    total order); adds ``on_land`` (bool) from ``geo`` (default: :mod:`seawatch.geo`).
    Accepts any table with at least ``mmsi, ts, lat, lon`` (``sog_kn`` optional).
    """
    require(table, ("mmsi", "ts", "lat", "lon"), "clean")
    lat = pc.cast(table.column("lat"), pa.float64())
    lon = pc.cast(table.column("lon"), pa.float64())
    ok = pc.and_(
        pc.and_(pc.is_valid(table.column("ts")), pc.is_valid(table.column("mmsi"))),
        pc.and_(
            pc.and_(pc.less_equal(pc.abs(lat), 90.0), pc.less_equal(pc.abs(lon), 180.0)),
            pc.and_(pc.is_valid(lat), pc.is_valid(lon)),
        ),
    )
    if params.drop_null_island:
        ok = pc.and_(ok, pc.invert(pc.and_(pc.equal(lat, 0.0), pc.equal(lon, 0.0))))
    table = table.filter(pc.fill_null(ok, False))
    if "sog_kn" in table.column_names and params.sentinel_speeds_kn and table.num_rows:
        sog = f64(table, "sog_kn")
        bad = np.zeros(len(sog), dtype=np.bool_)
        for s in params.sentinel_speeds_kn:
            bad |= np.abs(sog - s) < params.sentinel_tol_kn
        if bad.any():
            typ = table.schema.field("sog_kn").type
            new = pc.if_else(pa.array(bad), pa.scalar(None, typ), table.column("sog_kn"))
            table = table.set_column(table.schema.get_field_index("sog_kn"), "sog_kn", new)
    table = sort_positions(table)
    if table.num_rows > 1:
        m = i64(table, "mmsi")
        t = ts_us(table)
        la = f64(table, "lat")
        lo = f64(table, "lon")
        dup = np.zeros(len(t), dtype=np.bool_)
        dup[1:] = (m[1:] == m[:-1]) & (t[1:] == t[:-1]) & (la[1:] == la[:-1]) & (lo[1:] == lo[:-1])
        if params.relay_window_s > 0:
            dup |= _relayed(table, m, t, la, lo, ~dup, params)
        if dup.any():
            table = table.filter(pa.array(~dup))
    if params.flag_on_land:
        land = geo if geo is not None else _BundledLand()
        flags = (
            land.on_land(f64(table, "lat"), f64(table, "lon"))
            if table.num_rows
            else np.zeros(0, dtype=np.bool_)
        )
        arr = pa.array(np.asarray(flags, dtype=np.bool_), pa.bool_())
        if "on_land" in table.column_names:
            table = table.set_column(table.schema.get_field_index("on_land"), "on_land", arr)
        else:
            table = table.append_column("on_land", arr)
    return table


def _relayed(
    table: pa.Table,
    m: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    la: npt.NDArray[np.float64],
    lo: npt.NDArray[np.float64],
    keep: npt.NDArray[np.bool_],
    params: CleanParams,
) -> npt.NDArray[np.bool_]:
    """The relayed copies among the ``keep`` rows (see :class:`CleanParams`): exact
    repeats first (those of the last ``relay_window_s``, then those of a moving vessel up to
    ``relay_repeat_window_s``, again until none is left), then the copies on the vessel's
    path, whose neighbours must not be copies any more (a copy beside a real report makes
    the real one jump)."""
    out = np.zeros(len(t), dtype=np.bool_)
    cols = [c for c in _RELAY_KEYS if c in table.column_names]
    keys = np.column_stack([f64(table, c) for c in cols]) if cols else np.zeros((len(t), 0))
    keys = np.ascontiguousarray(keys, dtype=np.float64)
    sog = f64_or_nan(table, "sog_kn")
    idx = np.flatnonzero(keep)
    window_us = int(params.relay_window_s * 1_000_000)

    def passes(path_m: float) -> npt.NDArray[np.bool_]:
        """``relay_copies`` again without the copies found (a run of copies makes its
        first one look like no jump: it jumps into the next copy, not out to the
        vessel's own track); the rows of the last pass that jumped and stayed."""
        nonlocal idx
        odd = np.zeros(len(idx), dtype=np.bool_)
        for _ in range(_RELAY_PASSES):
            relay, odd = relay_copies(
                m[idx],
                t[idx],
                la[idx],
                lo[idx],
                sog[idx],
                keys[idx],
                window_us,
                params.relay_jump_m,
                params.relay_max_speed_kn,
                path_m,
            )
            if not relay.any():
                break
            out[idx[relay]] = True
            idx = idx[~relay]
            odd = odd[~relay]
        return odd

    for _ in range(_RELAY_PASSES):
        odd = passes(0.0)
        if not odd.any() or params.relay_repeat_window_s <= params.relay_window_s:
            break
        # exact repeats of a report hours before, among the vessels with rows that jumped
        # and stayed (the copies after the vessel's last own report jump only from it)
        sel = np.flatnonzero(np.isin(m[idx], np.unique(m[idx][odd])))  # whole vessels
        rows = idx[sel]
        km, kla, klo = m[rows], la[rows], lo[rows]
        h = (kla.view(np.int64) * _H1) ^ (klo.view(np.int64) * _H2) ^ (km * _H3)
        order = np.argsort(h, kind="stable").astype(np.int64)
        late = repeats_of_moving(
            km,
            t[rows],
            kla,
            klo,
            sog[rows],
            keys[rows],
            np.arange(len(rows), dtype=np.int64),
            odd[sel],
            order,
            h[order],
            h,
            int(params.relay_repeat_window_s * 1_000_000),
            params.relay_moving_kn,
            window_us,
            params.relay_jump_m,
            params.relay_max_speed_kn,
        )
        if not late.any():
            break
        out[rows[late]] = True
        idx = np.delete(idx, sel[late])
    if params.relay_path_m > 0:
        passes(params.relay_path_m)
    return out
