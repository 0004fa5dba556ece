"""Watchlist hits: a vessel whose IMO, MMSI or name + flag is on a watchlist (DESIGN.md §7).

Screens the identities a vessel broadcast (statics: ``mmsi, ts, imo, name``; positions add
MMSIs that sent no statics) against watchlists with :func:`seawatch.watchlist.screen`.
One event per vessel and list entry: it spans the first to the last report carrying the
matching identity, its confidence is the best match's (IMO 1.0, MMSI 0.9, name + flag 0.6,
former name + flag 0.5 by default), and ``details`` names the list **with its date**
(``list``, ``list_date``), the entry (``entry_id``, ``entry_name``, ``program``) and every
kind of match found (``matches``). The location is the vessel's first position in the span
when positions are given, else null.

Default lists: the bundled OFAC SDN vessel list (as of 2024-05-03). The engine passes the
store's lists (:func:`seawatch.watchlist.all_lists`). This kernel needs all statics of a
vessel (any row order); it never reads files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch.detect._base import GeoContext, build_events, details_json, resolve_geo
from seawatch.detect._standoff import locate_first_after, with_keyed_ids
from seawatch.schema import EVENTS
from seawatch.watchlist import ScreenParams, Watchlist, bundled_lists, normalize_names, screen

TYPE = "watchlist_hit"
TYPES = (TYPE,)

__all__ = ["DEFAULT", "GFW", "TYPE", "WatchlistParams", "watchlist_hits"]


@dataclass(frozen=True, slots=True)
class WatchlistParams:
    """Parameters of :func:`watchlist_hits` (confidence of each kind of match; 0 disables)."""

    imo_confidence: float = 1.0
    """An IMO number (valid check digit) equal to the entry's."""
    mmsi_confidence: float = 0.9
    """An MMSI equal to the entry's (lists print MMSIs that go stale on reflagging)."""
    name_flag_confidence: float = 0.6
    """The normalised name and the flag (from the MMSI's MID) equal to the entry's."""
    alias_flag_confidence: float = 0.5
    """A former name (``f.k.a.``) of the entry and its flag."""
    min_confidence: float = 0.0
    """Hits whose best match is below this are not reported."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ParameterError("WatchlistParams: min_confidence must lie in [0, 1]")
        self.screen_params()  # validates the confidences

    def screen_params(self) -> ScreenParams:
        """The :class:`~seawatch.watchlist.ScreenParams` these parameters imply."""
        return ScreenParams(
            imo_confidence=self.imo_confidence,
            mmsi_confidence=self.mmsi_confidence,
            name_flag_confidence=self.name_flag_confidence,
            alias_flag_confidence=self.alias_flag_confidence,
        )


DEFAULT = WatchlistParams()
GFW = DEFAULT
"""GFW publishes no watchlist matching: the ``gfw`` preset uses ours."""


def _identities(statics: pa.Table | None, positions: pa.Table | None) -> pa.Table:
    """Distinct ``(mmsi, imo, name)`` with ``first_us``/``last_us``."""
    parts = []
    if statics is not None and statics.num_rows:
        ts = pc.cast(statics.column("ts"), pa.int64())
        names = (
            normalize_names(statics.column("name"))
            if "name" in statics.column_names
            else [""] * statics.num_rows
        )
        imo = (
            pc.cast(statics.column("imo"), pa.int64())
            if "imo" in statics.column_names
            else pa.nulls(statics.num_rows, pa.int64())
        )
        parts.append(
            pa.table(
                {
                    "mmsi": pc.cast(statics.column("mmsi"), pa.int64()),
                    "imo": imo,
                    "name": pa.array(names, pa.string()),
                    "ts": ts,
                }
            )
        )
    if positions is not None and positions.num_rows:
        parts.append(
            pa.table(
                {
                    "mmsi": pc.cast(positions.column("mmsi"), pa.int64()),
                    "imo": pa.nulls(positions.num_rows, pa.int64()),
                    "name": pa.array([""] * positions.num_rows, pa.string()),
                    "ts": pc.cast(positions.column("ts"), pa.int64()),
                }
            )
        )
    if not parts:
        return pa.table({"mmsi": [], "imo": [], "name": [], "first_us": [], "last_us": []})
    t = pa.concat_tables(parts).filter(pc.is_valid(pa.concat_tables(parts).column("ts")))
    t = t.set_column(2, "name", pc.if_else(pc.equal(t.column("name"), ""), None, t.column("name")))
    g = t.group_by(["mmsi", "imo", "name"], use_threads=False).aggregate(
        [("ts", "min"), ("ts", "max")]
    )
    g = pa.table(
        {
            "mmsi": g.column("mmsi"),
            "imo": g.column("imo"),
            "name": g.column("name"),
            "first_us": g.column("ts_min"),
            "last_us": g.column("ts_max"),
        }
    )
    return g.sort_by([("mmsi", "ascending"), ("first_us", "ascending"), ("imo", "ascending")])


def watchlist_hits(
    statics: pa.Table | None,
    *,
    lists: Sequence[Watchlist] | None = None,
    positions: pa.Table | None = None,
    params: WatchlistParams = DEFAULT,
    geo: GeoContext | None = None,
) -> pa.Table:
    """Watchlist-hit events (schema EVENTS) for the vessels in ``statics`` (and ``positions``).

    ``lists`` defaults to the bundled lists. Each event's details carry ``list`` and
    ``list_date``: a hit is only as current as its list.
    """
    lists = bundled_lists() if lists is None else list(lists)
    ids = _identities(statics, positions)
    if ids.num_rows == 0 or not lists:
        return EVENTS.empty_table()
    hits = screen(
        ids.select(["mmsi", "imo", "name"]).cast(
            pa.schema([("mmsi", pa.uint32()), ("imo", pa.uint32()), ("name", pa.string())])
        ),
        lists,
        params=params.screen_params(),
    )
    if hits.num_rows == 0:
        return EVENTS.empty_table()
    first = ids.column("first_us").to_numpy()
    last = ids.column("last_us").to_numpy()
    groups: dict[tuple[int, str, str], dict[str, Any]] = {}
    for h in hits.to_pylist():
        key = (int(h["mmsi"]), h["list"], h["entry_id"])
        g = groups.setdefault(
            key,
            {"first": int(first[h["row"]]), "last": int(last[h["row"]]), "hit": h, "matches": {}},
        )
        g["first"] = min(g["first"], int(first[h["row"]]))
        g["last"] = max(g["last"], int(last[h["row"]]))
        if h["confidence"] > g["hit"]["confidence"]:
            g["hit"] = h
        g["matches"][(h["match"], h["matched"])] = round(float(h["confidence"]), 6)
    rows = [
        (k, g) for k, g in sorted(groups.items()) if g["hit"]["confidence"] >= params.min_confidence
    ]
    if not rows:
        return EVENTS.empty_table()
    lat = np.full(len(rows), np.nan)
    lon = np.full(len(rows), np.nan)
    if positions is not None and positions.num_rows:
        locate_first_after(positions, [(k[0], g["first"]) for k, g in rows], lat, lon)
    g_ = resolve_geo(geo) if np.isfinite(lat).any() else None
    region: list[str | None] = [None] * len(rows)
    if g_ is not None:
        ok = np.isfinite(lat)
        reg = g_.region_of(lat[ok], lon[ok])
        for j, r in zip(np.flatnonzero(ok), reg, strict=True):
            region[j] = r
    details = []
    for (_, _, _), g in rows:
        h = g["hit"]
        details.append(
            details_json(
                params,
                list=h["list"],
                list_date=h["list_date"],
                entry_id=h["entry_id"],
                entry_name=h["entry_name"],
                entry_imo=h["entry_imo"],
                entry_mmsi=h["entry_mmsi"],
                entry_flag=h["entry_flag"],
                program=h["program"],
                best_match=h["match"],
                matches=[
                    {"match": m, "matched": v, "confidence": c}
                    for (m, v), c in sorted(g["matches"].items(), key=lambda kv: -kv[1])
                ],
            )
        )
    events = build_events(
        types=TYPE,
        start_us=[g["first"] for _, g in rows],
        end_us=[g["last"] for _, g in rows],
        vessels=np.array([k[0] for k, _ in rows], dtype=np.int64),
        lat=lat,
        lon=lon,
        region=region,
        confidence=[g["hit"]["confidence"] for _, g in rows],
        details=details,
    )
    return with_keyed_ids(events, details, [f"{k[1]}:{k[2]}" for k, _ in rows])
