"""Screening vessels against watchlists: IMO and MMSI exact, name + flag as a weaker match."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch.watchlist._lists import Watchlist, valid_imo

__all__ = ["HITS", "ScreenParams", "normalize_name", "normalize_names", "screen", "vessel_status"]

HITS = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("match", pa.string(), nullable=False),
        pa.field("confidence", pa.float32(), nullable=False),
        pa.field("matched", pa.string(), nullable=False),
        pa.field("list", pa.string(), nullable=False),
        pa.field("list_date", pa.string(), nullable=False),
        pa.field("entry_id", pa.string(), nullable=False),
        pa.field("entry_name", pa.string()),
        pa.field("entry_imo", pa.uint32()),
        pa.field("entry_mmsi", pa.uint32()),
        pa.field("entry_flag", pa.string()),
        pa.field("program", pa.string()),
    ]
)
"""One row per (input row, watchlist entry, kind of match). ``row`` indexes the input table;
``match`` is ``imo``, ``mmsi``, ``name_flag`` or ``alias_flag``; ``matched`` the value that
matched; ``list_date`` the date the list is valid for (always show it)."""


@dataclass(frozen=True, slots=True)
class ScreenParams:
    """How much each kind of match is trusted (0 disables that kind).

    IMO numbers are permanent (1.0); an MMSI is re-issued when a vessel changes flag, so
    lists print stale ones (0.9); a normalised name with the same flag is weak evidence
    (0.6), a former name (``f.k.a.``) with the same flag weaker (0.5).
    """

    imo_confidence: float = 1.0
    mmsi_confidence: float = 0.9
    name_flag_confidence: float = 0.6
    alias_flag_confidence: float = 0.5

    def __post_init__(self) -> None:
        for v in (
            self.imo_confidence,
            self.mmsi_confidence,
            self.name_flag_confidence,
            self.alias_flag_confidence,
        ):
            if not 0.0 <= v <= 1.0:
                raise ParameterError("ScreenParams: confidences must lie in [0, 1]")


_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


def normalize_name(name: str | None) -> str:
    """Upper case, accents removed, AIS ``@`` padding and punctuation turned into single
    spaces: ``" Dona  María@@"`` -> ``"DONA MARIA"``. Empty for None."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return _NON_ALNUM.sub(" ", text.replace("@", " ")).strip()


def normalize_names(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """:func:`normalize_name` of each value of a string column, each distinct value
    normalised once (names repeat: a vessel sends its name in every static report)."""
    values = pa.chunked_array([column]) if isinstance(column, pa.Array) else column
    if len(values) == 0:
        return []
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    distinct = pc.unique(values)
    normal = [normalize_name(v) for v in distinct.to_pylist()]
    # a null finds the null among the distinct values (normalised to ""); the extra ""
    # at the end is a fallback for anything index_in leaves null
    index = pc.index_in(values, value_set=distinct)
    lookup = pa.array([*normal, ""], pa.string())
    slot = pc.fill_null(index, len(normal))
    return list(lookup.take(slot).to_pylist())


def _imo_column(table: pa.Table) -> list[int | None]:
    if "imo" not in table.column_names:
        return [None] * table.num_rows
    col = table.column("imo")
    if pa.types.is_integer(col.type):
        return [None if v is None else int(v) for v in col.to_pylist()]
    out: list[int | None] = []
    for v in col.to_pylist():
        t = "" if v is None else str(v).strip().upper().removeprefix("IMO").strip()
        out.append(int(t) if t.isdigit() else None)
    return out


def _flags(table: pa.Table) -> list[str | None]:
    if "flag" in table.column_names:
        return [None if v is None else str(v) for v in table.column("flag").to_pylist()]
    from seawatch.ais.codes import flags_of

    arr = pc.cast(table.column("mmsi"), pa.int64()).to_numpy(zero_copy_only=False)
    return [None if v is None else str(v) for v in flags_of(np.asarray(arr)).to_pylist()]


def _other_hull(imo: int | None, entry_imo: object) -> bool:
    """Both IMO numbers are valid and differ: a namesake under the same flag, not the
    listed vessel (an IMO number stays with the hull through renames and reflags)."""
    return (
        imo is not None
        and valid_imo(imo)
        and isinstance(entry_imo, int)
        and valid_imo(entry_imo)
        and imo != entry_imo
    )


Entry = dict[str, object]


@dataclass(frozen=True, slots=True)
class _Index:
    by_imo: dict[int, list[Entry]]
    by_mmsi: dict[int, list[Entry]]
    by_name: dict[tuple[str, str], list[tuple[Entry, bool]]]


_INDEX_CACHE: OrderedDict[int, tuple[pa.Table, _Index]] = OrderedDict()
_INDEX_CACHE_SIZE = 16
_INDEX_LOCK = threading.Lock()


def _build_index(entries: pa.Table) -> _Index:
    idx = _Index({}, {}, {})
    for e in entries.to_pylist():
        if e["imo"] is not None:
            idx.by_imo.setdefault(int(e["imo"]), []).append(e)
        if e["mmsi"] is not None:
            idx.by_mmsi.setdefault(int(e["mmsi"]), []).append(e)
        if e["flag"]:
            for alias, is_alias in [(e["name"], False)] + [(a, True) for a in e["aliases"]]:
                key = (normalize_name(alias), str(e["flag"]))
                if key[0]:
                    idx.by_name.setdefault(key, []).append((e, is_alias))
    return idx


def _index(entries: pa.Table) -> _Index:
    """Lookups of a list's entries by IMO, MMSI and (name, flag), built once per entries
    table (the cache holds the table, so its ``id`` is not reused while cached)."""
    with _INDEX_LOCK:
        hit = _INDEX_CACHE.get(id(entries))
        if hit is not None and hit[0] is entries:
            _INDEX_CACHE.move_to_end(id(entries))
            return hit[1]
        idx = _build_index(entries)
        _INDEX_CACHE[id(entries)] = (entries, idx)
        while len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
        return idx


def screen(
    table: pa.Table,
    lists: Sequence[Watchlist],
    *,
    params: ScreenParams | None = None,
) -> pa.Table:
    """Hits (schema :data:`HITS`) of the rows of ``table`` on ``lists``.

    ``table`` is any table with ``mmsi`` and optionally ``imo`` (integer or ``"IMO1234567"``),
    ``name`` and ``flag`` (ISO alpha-2; derived from the MMSI's MID when absent): the
    ``vessels`` table of a store, or raw statics. IMOs with a wrong check digit never match.
    A name + flag match is dropped when the vessel and the entry both carry valid IMO
    numbers that differ: a namesake, not the listed hull. Sorted by ``row``, then confidence (highest first), list and entry.
    """
    p = params or ScreenParams()
    if "mmsi" not in table.column_names:
        raise ParameterError("screen: the table needs an mmsi column")
    mmsis = [int(v) for v in pc.cast(table.column("mmsi"), pa.int64()).to_pylist()]
    imos = _imo_column(table)
    names = (
        normalize_names(table.column("name"))
        if "name" in table.column_names
        else [""] * table.num_rows
    )
    flags = _flags(table) if any(names) else [None] * table.num_rows

    hits: dict[str, list[object]] = {f.name: [] for f in HITS}

    def add(
        row: int, kind: str, conf: float, matched: str, wl: Watchlist, e: dict[str, object]
    ) -> None:
        hits["row"].append(row)
        hits["mmsi"].append(mmsis[row])
        hits["match"].append(kind)
        hits["confidence"].append(conf)
        hits["matched"].append(matched)
        hits["list"].append(wl.name)
        hits["list_date"].append(wl.date)
        hits["entry_id"].append(e["entry_id"])
        hits["entry_name"].append(e["name"])
        hits["entry_imo"].append(e["imo"])
        hits["entry_mmsi"].append(e["mmsi"])
        hits["entry_flag"].append(e["flag"])
        hits["program"].append(e["program"])

    for wl in lists:
        idx = _index(wl.entries)
        by_imo, by_mmsi, by_name = idx.by_imo, idx.by_mmsi, idx.by_name
        for i in range(table.num_rows):
            imo = imos[i]
            if p.imo_confidence > 0 and imo is not None and valid_imo(imo):
                for e in by_imo.get(imo, ()):
                    add(i, "imo", p.imo_confidence, str(imo), wl, e)
            if p.mmsi_confidence > 0:
                for e in by_mmsi.get(mmsis[i], ()):
                    add(i, "mmsi", p.mmsi_confidence, str(mmsis[i]), wl, e)
            flag = flags[i]
            if names[i] and flag:
                for e, is_alias in by_name.get((names[i], flag), ()):
                    if _other_hull(imo, e["imo"]):
                        continue
                    conf = p.alias_flag_confidence if is_alias else p.name_flag_confidence
                    if conf > 0:
                        kind = "alias_flag" if is_alias else "name_flag"
                        add(i, kind, conf, f"{names[i]} / {flag}", wl, e)
    out = pa.table({f.name: pa.array(hits[f.name], f.type) for f in HITS}, schema=HITS)
    if out.num_rows == 0:
        return out
    return out.sort_by(
        [
            ("row", "ascending"),
            ("confidence", "descending"),
            ("list", "ascending"),
            ("entry_id", "ascending"),
            ("match", "ascending"),
        ]
    )


def vessel_status(
    mmsi: int,
    identities: Sequence[tuple[str | None, int | None]],
    lists: Sequence[Watchlist],
    *,
    flag: str | None = None,
) -> dict[str, Any]:
    """Sanctions status of one vessel: every identity it broadcast (``(name, imo)`` pairs,
    from its statics history) and its MMSI screened against ``lists``.

    Returns ``status`` (``"hit"`` or ``"no_hit"``), ``lists`` (name and date of each list
    screened) and ``hits`` (one per list, entry and kind of match, the strongest first).
    """
    idents = list(identities) or [(None, None)]
    table = pa.table(
        {
            "mmsi": pa.array([mmsi] * len(idents), pa.int64()),
            "imo": pa.array([imo for _, imo in idents], pa.int64()),
            "name": pa.array([name for name, _ in idents], pa.string()),
            "flag": pa.array([flag] * len(idents), pa.string()),
        }
    )
    hits: dict[tuple[str, str, str], dict[str, Any]] = {}
    rows = screen(table, lists).sort_by([("confidence", "descending"), ("list", "ascending")])
    for h in rows.to_pylist():
        key = (h["list"], h["entry_id"], h["match"])
        if key not in hits:
            hits[key] = {
                "list": h["list"],
                "list_date": h["list_date"],
                "match": h["match"],
                "confidence": round(float(h["confidence"]), 3),
                "matched": h["matched"],
                "entry_id": h["entry_id"],
                "entry_name": h["entry_name"],
                "program": h["program"],
            }
    return {
        "status": "hit" if hits else "no_hit",
        "lists": [{"name": w.name, "date": w.date} for w in lists],
        "hits": list(hits.values()),
    }
