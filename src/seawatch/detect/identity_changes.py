"""Identity changes: a vessel's name, call sign, IMO or ship type changing over time, and
one IMO number broadcast under several MMSIs (DESIGN.md §7).

Input: statics (schema STATICS or any table with ``mmsi, ts`` and some of ``imo, name,
callsign, ship_type``) of whole vessels, any row order. Values are compared after
normalisation: names and call signs upper-cased with AIS ``@`` padding, punctuation and
repeated spaces removed (so ``"Sea Star "`` and ``"SEA  STAR"`` are the same name);
placeholders (empty, ``UNKNOWN``, ``NONE``, the MMSI itself as a name, IMO 0 or an IMO whose
check digit is wrong, ship type 0) are ignored. Ship types are compared by ITU-R M.1371
category: in 2x, 4x and 6x-9x the second digit is the cargo's hazard class, which changes
from voyage to voyage, so 80 -> 84 is not a change but 70 -> 80 is.

Garbled messages are not renames: a run of a value in the middle of a vessel's history is
dropped when the vessel went back to reporting something else within ``min_hold_h``
**and** the value was reported in fewer than ``min_reports`` separate runs or only within
``min_hold_h`` of its first report (stores keep statics only when they change, so one row
per value is normal there; a mistyped name corrected two minutes later may still go out
twice, and a feed may relay a copy of it minutes late, after the correction; time held is
what tells a glitch, and a value that keeps coming back over hours, as from two
transmitters sharing an MMSI, is not one). For the same reason, after a change from A to
B, a run of A that ends within ``min_hold_h`` of A's last report before it, and after
which the vessel reports B again, is an echo of the old value (a feed relaying every
message minutes late, or a second transmitter: its changes still show, an hour apart) and
dropped. The last value is always kept. Each distinct change ``old -> new`` of one field
of one MMSI is one event (``start`` = last report with the old value, ``end`` = first with
the new one), however often it repeats: ``details.n_transitions`` counts repeats and ``details.reverted`` says
the vessel went back, which two transmitters sharing an MMSI do (confidence is lower).

A flag comes from the MMSI's MID, so a vessel changes flag by changing MMSI: an IMO seen
under several MMSIs is one event per IMO (``field = "imo_mmsi"``, all MMSIs as vessels,
``start`` = when the IMO first appeared under a second MMSI) with each MMSI's flag and time
range; ``details.flag_changed`` says the MIDs' flags differ and ``details.overlapping``
that two MMSIs broadcast it at the same time (a clone rather than a re-registration).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import ParameterError
from seawatch._units import US_PER_H
from seawatch.detect._base import build_events, details_json
from seawatch.detect._standoff import iso_us, locate_nearest, with_keyed_ids
from seawatch.schema import EVENTS
from seawatch.watchlist import normalize_name, valid_imo

TYPE = "identity_change"
TYPES = (TYPE,)
FIELDS = ("name", "callsign", "imo", "ship_type")

__all__ = ["DEFAULT", "FIELDS", "GFW", "TYPE", "IdentityParams", "identity_changes"]

_PLACEHOLDER_NAMES = frozenset({"", "UNKNOWN", "NONE", "NA", "N A", "NO NAME", "NONAME", "TEST"})


@dataclass(frozen=True, slots=True)
class IdentityParams:
    """Parameters of :func:`identity_changes`."""

    fields: tuple[str, ...] = FIELDS
    """Fields watched for changes (any of ``name, callsign, imo, ship_type``)."""
    min_reports: int = 2
    """A value reported in this many separate runs (other values between them), over more
    than ``min_hold_h``, is never treated as a glitch; 1: no value is. (A run counts once
    however often the value was repeated in it: a mistyped name corrected minutes later
    may go out twice.)"""
    min_hold_h: float = 1.0
    """A value held this long before the next different one is never treated as a glitch."""
    imo_min_reports: int = 1
    """Reports an MMSI needs with an IMO to count as using it (IMO under several MMSIs)."""
    ship_type_by_category: bool = True
    """Compare ship types by ITU category (ignore the hazard-class digit of 2x/4x/6x-9x)."""
    require_valid_imo: bool = True
    """Ignore IMO numbers whose check digit is wrong (placeholders such as 1234567 pass)."""
    imo_under_several_mmsi: bool = True
    """Report an IMO broadcast under several MMSIs."""
    confidence: float = 0.9
    """Confidence of a change that holds."""
    reverted_confidence: float = 0.5
    """Confidence of a change the vessel later undid (often two transmitters on one MMSI)."""

    def __post_init__(self) -> None:
        unknown = set(self.fields) - set(FIELDS)
        if unknown:
            raise ParameterError(f"IdentityParams: unknown field(s) {sorted(unknown)}")
        if self.min_reports < 1 or self.imo_min_reports < 1 or self.min_hold_h < 0:
            raise ParameterError(
                "IdentityParams: min_reports, imo_min_reports >= 1, min_hold_h >= 0"
            )


DEFAULT = IdentityParams()
GFW = DEFAULT
"""GFW has no published identity-change events: the ``gfw`` preset uses ours."""


def _norm_text(v: object, mmsi: int) -> str | None:
    n = normalize_name(None if v is None else str(v))
    if n in _PLACEHOLDER_NAMES or n == str(mmsi) or set(n) <= {"0", " "}:
        return None
    return n


def _norm_callsign(v: object, mmsi: int) -> str | None:
    n = _norm_text(v, mmsi)
    return None if n is None else n.replace(" ", "")


def _ship_category(t: int) -> int:
    return t // 10 * 10 if t // 10 in (2, 4, 6, 7, 8, 9) else t


def _column(table: pa.Table, name: str) -> list[Any]:
    if name not in table.column_names:
        return [None] * table.num_rows
    return list(table.column(name).to_pylist())


def identity_changes(
    statics: pa.Table,
    *,
    params: IdentityParams = DEFAULT,
    positions: pa.Table | None = None,
    vessels: pa.Table | None = None,
) -> pa.Table:
    """Identity-change events (schema EVENTS) in ``statics``.

    Give all statics of the vessels (IMO sharing needs every MMSI that used an IMO, so the
    engine calls this once on the whole statics table, which is small). ``positions``
    (optional) locates each event at the vessel's position nearest its ``end``.
    Whether MMSIs sharing an IMO were on the air at the same time (``overlapping``) is
    judged from when each was heard: ``vessels`` (``mmsi, first_seen, last_seen``, a
    store's vessels table), else ``positions``, else the statics alone (stores keep one
    statics row per change, so that span can be a single instant).
    """
    if statics.num_rows == 0:
        return EVENTS.empty_table()
    statics = statics.filter(pc.is_valid(statics.column("ts")))
    mmsi = pc.cast(statics.column("mmsi"), pa.int64()).to_numpy(zero_copy_only=False)
    ts = pc.cast(statics.column("ts"), pa.int64()).to_numpy(zero_copy_only=False)
    order = np.lexsort((ts, mmsi))
    mmsi, ts = mmsi[order], ts[order]

    def norm_imo(v: object, _m: int) -> int | None:
        if v is None or int(str(v)) == 0:
            return None
        i = int(str(v))
        return i if (valid_imo(i) or not params.require_valid_imo) else None

    def norm_type(v: object, _m: int) -> int | None:
        if v is None or int(str(v)) == 0:
            return None
        t = int(str(v))
        return _ship_category(t) if params.ship_type_by_category else t

    normalisers: dict[str, Callable[[object, int], object]] = {
        "name": _norm_text,
        "callsign": _norm_callsign,
        "imo": norm_imo,
        "ship_type": norm_type,
    }
    values: dict[str, list[object]] = {}
    mmsi_list = mmsi.tolist()
    # a vessel reporting one value of a field (nulls aside) changes nothing in it: only the
    # rows of vessels with several are normalised (all IMOs: the sharing check needs them)
    varying = {f: _varying(statics, f, mmsi) for f in params.fields}
    for f in set(params.fields) | ({"imo"} if params.imo_under_several_mmsi else set()):
        raw = _column(statics, f)
        fn = normalisers[f]
        need = None if f == "imo" and params.imo_under_several_mmsi else varying[f]
        cache: dict[tuple[object, int], object] = {}
        out_f: list[object] = [None] * len(order)
        rows = range(len(order)) if need is None else np.flatnonzero(need).tolist()
        for j in rows:
            k = order[j]
            key = (raw[k], mmsi_list[j])
            if key not in cache:
                cache[key] = fn(raw[k], mmsi_list[j])
            out_f[j] = cache[key]
        values[f] = out_f
    raw_values: dict[str, list[Any] | None] = {}
    for f in params.fields:
        if f in ("name", "callsign"):
            col = _column(statics, f)
            raw_values[f] = [col[k] for k in order]
        else:
            raw_values[f] = None

    ev: list[dict[str, Any]] = []
    bounds = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1], True])
    for a, b in itertools.pairwise(bounds):
        m = int(mmsi[a])
        for f in params.fields:
            if varying[f][a]:
                ev.extend(
                    _field_changes(m, f, values[f], raw_values[f], ts, int(a), int(b), params)
                )
    if params.imo_under_several_mmsi:
        ev.extend(_shared_imos(mmsi, ts, values["imo"], params, _heard(vessels, positions)))
    if not ev:
        return EVENTS.empty_table()
    lat = np.full(len(ev), np.nan)
    lon = np.full(len(ev), np.nan)
    if positions is not None and positions.num_rows:
        locate_nearest(positions, [(e["vessels"], e["end"]) for e in ev], lat, lon)
    details = [details_json(params, **e["details"]) for e in ev]
    table = build_events(
        types=TYPE,
        start_us=[e["start"] for e in ev],
        end_us=[e["end"] for e in ev],
        vessels=[e["vessels"] for e in ev],
        lat=lat,
        lon=lon,
        confidence=[e["confidence"] for e in ev],
        details=details,
    )
    return with_keyed_ids(table, details, [e["details"]["field"] for e in ev])


def _varying(statics: pa.Table, field: str, mmsi_sorted: npt.NDArray[np.int64]) -> Any:
    """Per row of the statics sorted by MMSI: whether its vessel reports several distinct
    values of ``field`` (nulls aside); False everywhere when the column is missing."""
    if field not in statics.column_names or statics.num_rows == 0:
        return np.zeros(len(mmsi_sorted), np.bool_)
    t = pa.table({"mmsi": pc.cast(statics.column("mmsi"), pa.int64()), "v": statics.column(field)})
    g = t.group_by("mmsi", use_threads=False).aggregate([("v", "count_distinct")])
    many = g.filter(pc.greater(g.column("v_count_distinct"), 1)).column("mmsi")
    return np.isin(mmsi_sorted, np.asarray(many.to_numpy(), np.int64))


def _field_changes(
    m: int,
    field: str,
    vals: list[object],
    raw: list[Any] | None,
    ts: Any,
    a: int,
    b: int,
    params: IdentityParams,
) -> list[dict[str, Any]]:
    idx = [j for j in range(a, b) if vals[j] is not None]
    counts: dict[object, int] = {}
    for j in idx:
        counts[vals[j]] = counts.get(vals[j], 0) + 1
    if len(idx) < 2:
        return []
    # runs of equal values: [value, first index, last index]
    raw_runs: list[list[Any]] = []
    for j in idx:
        if raw_runs and raw_runs[-1][0] == vals[j]:
            raw_runs[-1][2] = j
        else:
            raw_runs.append([vals[j], j, j])
    hold_us = params.min_hold_h * US_PER_H
    n_runs: dict[object, int] = {}
    first_ts: dict[object, int] = {}
    last_ts: dict[object, int] = {}
    for r in raw_runs:
        n_runs[r[0]] = n_runs.get(r[0], 0) + 1
        first_ts.setdefault(r[0], int(ts[r[1]]))
        last_ts[r[0]] = int(ts[r[2]])
    runs: list[list[Any]] = []
    kept_end: dict[object, int] = {}  # the last report of each value in a kept run
    for k, r in enumerate(raw_runs):
        last = k == len(raw_runs) - 1
        glitch = (
            not last
            and (
                n_runs[r[0]] < params.min_reports
                # a late copy of the same glitch (min_reports 1: no value is a glitch)
                or (params.min_reports > 1 and last_ts[r[0]] - first_ts[r[0]] < hold_us)
            )
            and ts[raw_runs[k + 1][1]] - ts[r[1]] < hold_us
        )
        # an echo: after A -> B, a run of A that ends within min_hold_h of A's last kept
        # report, after which the vessel reports B again (a feed relaying the reports of
        # before the change minutes late)
        echo = (
            not last
            and params.min_reports > 1
            and bool(runs)
            and runs[-1][0] != r[0]
            and r[0] in kept_end
            and int(ts[r[2]]) - kept_end[r[0]] < hold_us
            and raw_runs[k + 1][0] == runs[-1][0]
        )
        if glitch or echo:
            continue
        if runs and runs[-1][0] == r[0]:
            runs[-1][2] = r[2]  # A, glitch, A: one run of A
        else:
            runs.append(list(r))
        kept_end[r[0]] = int(ts[r[2]])
    if len(runs) < 2:
        return []
    seen: dict[tuple[object, object], dict[str, Any]] = {}
    order: list[tuple[object, object]] = []
    for r0, r1 in itertools.pairwise(runs):
        key = (r0[0], r1[0])
        if key in seen:
            seen[key]["n"] += 1
            continue
        seen[key] = {"n": 1, "last_old": r0[2], "first_new": r1[1]}
        order.append(key)
    out = []
    for old, new in order:
        s = seen[(old, new)]
        reverted = (new, old) in seen
        det: dict[str, Any] = {
            "field": field,
            "old": old,
            "new": new,
            "n_transitions": s["n"],
            "reverted": reverted,
            "old_reports": counts[old],
            "new_reports": counts[new],
        }
        if raw is not None:
            det["old_raw"] = raw[s["last_old"]]
            det["new_raw"] = raw[s["first_new"]]
        out.append(
            {
                "start": int(ts[s["last_old"]]),
                "end": int(ts[s["first_new"]]),
                "vessels": [m],
                "confidence": params.reverted_confidence if reverted else params.confidence,
                "details": det,
            }
        )
    return out


def _heard(vessels: pa.Table | None, positions: pa.Table | None) -> dict[int, tuple[int, int]]:
    """When each MMSI was heard: ``{mmsi: (first_us, last_us)}`` (empty when unknown)."""
    if vessels is not None and {"first_seen", "last_seen"} <= set(vessels.column_names):
        m = pc.cast(vessels.column("mmsi"), pa.int64()).to_pylist()
        f = pc.cast(vessels.column("first_seen"), pa.int64()).to_pylist()
        la = pc.cast(vessels.column("last_seen"), pa.int64()).to_pylist()
        return {
            int(a): (int(b), int(c))
            for a, b, c in zip(m, f, la, strict=True)
            if b is not None and c is not None
        }
    if positions is not None and positions.num_rows:
        t = positions.filter(pc.is_valid(positions.column("ts")))
        g = (
            pa.table(
                {
                    "mmsi": pc.cast(t.column("mmsi"), pa.int64()),
                    "ts": pc.cast(t.column("ts"), pa.int64()),
                }
            )
            .group_by("mmsi", use_threads=False)
            .aggregate([("ts", "min"), ("ts", "max")])
        )
        return {
            int(a): (int(b), int(c))
            for a, b, c in zip(
                g.column("mmsi").to_pylist(),
                g.column("ts_min").to_pylist(),
                g.column("ts_max").to_pylist(),
                strict=True,
            )
        }
    return {}


def _shared_imos(
    mmsi: Any,
    ts: Any,
    imos: list[object],
    params: IdentityParams,
    heard: dict[int, tuple[int, int]],
) -> list[dict[str, Any]]:
    from seawatch.ais.codes import flag_of_mmsi

    per: dict[int, dict[int, list[int]]] = {}
    for j, imo in enumerate(imos):
        if imo is None:
            continue
        rec = per.setdefault(int(str(imo)), {}).setdefault(int(mmsi[j]), [int(ts[j]), 0, 0])
        rec[1] = int(ts[j])
        rec[2] += 1
    out = []
    for imo, by_mmsi in sorted(per.items()):
        users = sorted(
            ((m, r) for m, r in by_mmsi.items() if r[2] >= params.imo_min_reports),
            key=lambda mr: (mr[1][0], mr[0]),
        )
        if len(users) < 2:
            continue
        spans = [heard.get(m, (r[0], r[1])) for m, r in users]
        overlapping = any(
            spans[i][0] <= spans[k][1] and spans[k][0] <= spans[i][1]
            for i in range(len(spans))
            for k in range(i + 1, len(spans))
        )
        flags = [flag_of_mmsi(m) for m, _ in users]
        out.append(
            {
                "start": users[1][1][0],
                "end": max(r[1] for _, r in users),
                "vessels": [m for m, _ in users],
                "confidence": params.confidence,
                "details": {
                    "field": "imo_mmsi",
                    "imo": imo,
                    "mmsis": [
                        {
                            "mmsi": m,
                            "flag": fl,
                            "first": iso_us(r[0]),
                            "last": iso_us(r[1]),
                            "reports": r[2],
                            "heard_first": iso_us(sp[0]),
                            "heard_last": iso_us(sp[1]),
                        }
                        for (m, r), fl, sp in zip(users, flags, spans, strict=True)
                    ],
                    "flags": sorted({fl for fl in flags if fl}),
                    "flag_changed": len({fl for fl in flags if fl}) > 1,
                    "overlapping": overlapping,
                },
            }
        )
    return out
