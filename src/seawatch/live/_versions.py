"""Versioned events: the change log of a live store.

The listener runs the detectors (the same engine run as ``seawatch detect``) after each
commit and compares the result with the events it already announced. Each difference is a
*change*: ``created`` (a new event id), ``updated`` (same id, other end, position, details
or status) or ``retracted`` (an announced event the detectors no longer find, with the
reason). Changes are kept in ``<store>/live/changes/*.parquet`` (schema
:data:`CHANGES`), one file per detection pass, each written atomically (temporary name,
fsync, rename) before the events themselves are replaced, so a kill at any point leaves a
log that a restart completes. Every row holds the event as it was at that revision:
nothing is deleted silently, and ``seawatch events --history ID`` shows every revision.

``status``: ``open`` while the event may still change (it ends after the watermark, the
latest position time received minus the allowed lateness), ``closed`` once the lateness
has passed (or the stream ended). The state of an event is the last row of its log.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seawatch import schema
from seawatch.store import write_parquet_atomic

LIVE_DIR = "live"
CHANGES_DIR = "live/changes"

CHANGES = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("revision", pa.int32(), nullable=False),
        pa.field("change", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("at", schema.TS, nullable=False),
        pa.field("type", pa.string()),
        pa.field("start", schema.TS),
        pa.field("end", schema.TS),
        pa.field("vessels", pa.list_(pa.uint32())),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("duration_h", pa.float64()),
        pa.field("region", pa.string()),
        pa.field("zone", pa.string()),
        pa.field("confidence", pa.float32()),
        pa.field("details", pa.string()),
        pa.field("fingerprint", pa.string()),
    ]
)
"""One row per revision of an event (``change``: created, updated, retracted)."""

CHANGE_KINDS = ("created", "updated", "retracted")

_FINGERPRINT = ("type", "start", "end", "vessels", "lat", "lon", "region", "zone", "confidence")
_COMPARED = ("type", "start", "end", "lat", "lon", "region", "zone", "confidence", "details")
"""The columns of :func:`fingerprint` but ``vessels``, compared in Arrow between passes."""


@dataclass(frozen=True, slots=True)
class EventState:
    """The last revision of an event in the log."""

    revision: int
    status: str
    fingerprint: str
    retracted: bool
    type: str
    vessels: tuple[int, ...]
    start_us: int
    end_us: int


def _us(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return int(value.timestamp() * 1_000_000)
    return int(value)


def fingerprint(row: dict[str, Any]) -> str:
    """A hash of what a user sees of an event (not its incident id or simulated mark)."""
    doc = {k: row.get(k) for k in _FINGERPRINT}
    doc["start"] = _us(row.get("start"))
    doc["end"] = _us(row.get("end"))
    conf = row.get("confidence")
    doc["confidence"] = None if conf is None else round(float(conf), 4)
    for k in ("lat", "lon"):
        v = row.get(k)
        doc[k] = None if v is None else round(float(v), 6)
    doc["details"] = row.get("details")
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def read_changes(store_root: Path, *, event_id: str | None = None, after_seq: int = -1) -> pa.Table:
    """The change log (schema :data:`CHANGES`), in order; one event's, or those after a
    sequence number (what a server-sent-events client has not seen yet)."""
    folder = store_root / CHANGES_DIR
    files = sorted(p for p in folder.glob("*.parquet")) if folder.is_dir() else []
    if after_seq >= 0:
        files = [p for p in files if _file_seq(p) > after_seq]
    parts = [pq.read_table(p, schema=CHANGES) for p in files]
    table = pa.concat_tables([CHANGES.empty_table(), *parts])
    if event_id is not None:
        table = table.filter(pc.equal(table.column("event_id"), event_id))
    return table


def _file_seq(path: Path) -> int:
    try:
        return int(path.name.split("-", 1)[0])
    except ValueError:
        return -1


def last_seq(store_root: Path) -> int:
    """The sequence number of the last change file (-1: none)."""
    folder = store_root / CHANGES_DIR
    if not folder.is_dir():
        return -1
    return max((_file_seq(p) for p in folder.glob("*.parquet")), default=-1)


def current_state(changes: pa.Table) -> dict[str, EventState]:
    """Each event's last revision."""
    state: dict[str, EventState] = {}
    if changes.num_rows == 0:
        return state

    def us(name: str) -> list[int]:
        col = pc.cast(pc.cast(changes.column(name), schema.TS), pa.int64())
        return list(pc.fill_null(col, 0).to_pylist())

    columns = [
        changes.column(c).to_pylist()
        for c in ("event_id", "revision", "status", "fingerprint", "change", "type", "vessels")
    ]
    for eid, rev, status, fp, change, type_, vessels, start, end in zip(
        *columns, us("start"), us("end"), strict=True
    ):
        state[eid] = EventState(
            revision=rev,
            status=status,
            fingerprint=fp or "",
            retracted=change == "retracted",
            type=type_ or "",
            vessels=tuple(vessels or ()),
            start_us=start,
            end_us=end,
        )
    return state


def current_status(store_root: Path) -> dict[str, tuple[str, int]]:
    """``event_id -> (status, revision)`` of the events the log holds and has not retracted."""
    return {
        k: (s.status, s.revision)
        for k, s in current_state(read_changes(store_root)).items()
        if not s.retracted
    }


class ChangeLog:
    """The change log of one store, held in memory by the (one) listener that writes it."""

    def __init__(self, store_root: Path) -> None:
        self.root = store_root
        self.state = current_state(read_changes(store_root))
        self.seq = last_seq(store_root)
        self._last: pa.Table | None = None
        """The events of the last pass whose changes were written, with a ``closed``
        column: the log's state of each of them is that row (see :meth:`_may_change`)."""
        self._pending: pa.Table | None = None

    def diff(
        self, events: pa.Table, *, watermark_us: int | None, final: bool = False
    ) -> list[dict[str, Any]]:
        """The changes that bring the log to ``events`` (schema EVENTS), not yet written.

        ``watermark_us``: events ending at or before it are ``closed``, the others
        ``open``; ``final``: the stream has ended, every event is closed.

        Only the rows that may differ from the log are compared one by one: after the
        first pass, a row whose event, values and status are those of the last pass
        (compared column by column in Arrow) has nothing to record."""
        now = datetime.now(UTC)
        closed_col = _closed(events, watermark_us=watermark_us, final=final)
        kept = _keep(events, closed_col)
        todo = self._may_change(kept)
        self._pending = kept
        rows = (events if todo is None else events.take(todo)).to_pylist()
        flags = closed_col.to_pylist() if todo is None else closed_col.take(todo).to_pylist()
        seen: set[str] = set(events.column("event_id").to_pylist())
        out: list[dict[str, Any]] = []
        for row, closed in zip(rows, flags, strict=True):
            eid = row["event_id"]
            status = "closed" if closed else "open"
            fp = fingerprint(row)
            old = self.state.get(eid)
            if old is None or old.retracted:
                change, reason = "created", None if old is None else "detected again"
            elif old.fingerprint != fp:
                change = "updated"
                reason = _update_reason(old, row)
                if old.status == "closed" and status == "closed":
                    reason += " (after it had closed: data later than the allowed lateness)"
            elif old.status != status:
                change = "updated"
                reason = "closed: the allowed lateness has passed" if closed else "reopened"
            else:
                continue
            revision = 1 if old is None else old.revision + 1
            out.append(_record(row, eid, revision, change, status, reason, now, fp))
        retracted = [s for s in self.state.items() if not s[1].retracted and s[0] not in seen]
        by_key: dict[tuple[str, tuple[int, ...]], list[dict[str, Any]]] = {}
        if retracted:
            keys = events.select(["event_id", "type", "start", "end", "vessels"]).to_pylist()
            for row in keys:
                by_key.setdefault((row["type"], tuple(row["vessels"] or ())), []).append(row)
        for eid, old in retracted:
            successor = next(
                (
                    r
                    for r in by_key.get((old.type, old.vessels), [])
                    if _us(r["start"]) <= old.end_us and _us(r["end"]) >= old.start_us
                ),
                None,
            )
            if successor is not None:
                reason = f"superseded by {successor['event_id']}: later positions changed its start"
            else:
                reason = (
                    "no longer detected: late positions changed the track (e.g. closed the gap)"
                )
            out.append(
                {
                    "event_id": eid,
                    "revision": old.revision + 1,
                    "change": "retracted",
                    "status": "closed",
                    "reason": reason,
                    "at": now,
                    "type": old.type,
                    "start": datetime.fromtimestamp(old.start_us / 1e6, UTC),
                    "end": datetime.fromtimestamp(old.end_us / 1e6, UTC),
                    "vessels": list(old.vessels),
                    "lat": None,
                    "lon": None,
                    "duration_h": None,
                    "region": None,
                    "zone": None,
                    "confidence": None,
                    "details": None,
                    "fingerprint": old.fingerprint,
                }
            )
        return out

    def write(self, changes: list[dict[str, Any]]) -> int:
        """Append ``changes`` as one atomically written file; returns its sequence number
        (or the last one when there is nothing to write)."""
        last, self._pending = self._pending, None
        if not changes:
            self._last = last
            return self.seq
        self.seq += 1
        for c in changes:
            c["seq"] = self.seq
        table = pa.Table.from_pylist(changes, schema=CHANGES)
        name = f"{self.seq:012d}-{uuid.uuid4().hex[:8]}.parquet"
        write_parquet_atomic(self.root / CHANGES_DIR / name, CHANGES, [table])
        self.state.update(current_state(table))
        self._last = last
        return self.seq

    def _may_change(self, kept: pa.Table) -> npt.NDArray[np.int64] | None:
        """The rows of ``kept`` (this pass's :func:`_keep`) that may differ from the log
        (None: all of them, as in the first pass): those not in the last pass, or with
        another value of a column the fingerprint covers, or another status. The others
        are, value for value, the last pass's rows, which the log holds as their state
        (written, or found equal)."""
        last = self._last
        if last is None or kept.num_rows == 0:
            return None
        idx = pc.index_in(kept.column("event_id"), value_set=last.column("event_id"))
        same = pc.is_valid(idx)
        prev = last.take(pc.fill_null(idx, 0))
        for name in (*_COMPARED, "closed"):
            a, b = kept.column(name), prev.column(name)
            equal = pc.fill_null(pc.equal(a, b), False)
            both_null = pc.and_(pc.is_null(a), pc.is_null(b))
            same = pc.and_(same, pc.or_(equal, both_null))
        keep = np.asarray(same.to_numpy(zero_copy_only=False), np.bool_)
        cand = np.flatnonzero(keep)
        if len(cand):  # the vessel lists (hashed into the id, checked all the same)
            keep[cand] = _same_lists(
                kept.column("vessels").take(cand), prev.column("vessels").take(cand)
            )
        return np.flatnonzero(~keep)

    def statuses(self) -> dict[str, str]:
        return {k: s.status for k, s in self.state.items() if not s.retracted}


def _closed(events: pa.Table, *, watermark_us: int | None, final: bool) -> pa.ChunkedArray:
    """Per event: closed (its end at or before the watermark, or the stream has ended)."""
    n = events.num_rows
    if final:
        return pa.chunked_array([pa.array(np.ones(n, np.bool_))])
    if watermark_us is None:
        return pa.chunked_array([pa.array(np.zeros(n, np.bool_))])
    end = pc.cast(pc.cast(events.column("end"), schema.TS), pa.int64())
    return pa.chunked_array([pc.fill_null(pc.less_equal(end, watermark_us), False)])


def _same_lists(a: pa.ChunkedArray, b: pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """Row by row, whether two list columns of equal length hold the same values (nulls
    equal nulls)."""
    la, lb = a.combine_chunks(), b.combine_chunks()
    na = np.asarray(pc.fill_null(pc.list_value_length(la), -1).to_numpy(zero_copy_only=False))
    nb = np.asarray(pc.fill_null(pc.list_value_length(lb), -1).to_numpy(zero_copy_only=False))
    same: npt.NDArray[np.bool_] = np.asarray(na == nb, np.bool_)
    rows = np.flatnonzero(same & (na > 0))
    if len(rows):
        fa, fb = la.take(rows), lb.take(rows)
        va, vb = pc.list_flatten(fa), pc.list_flatten(fb)
        eq = pc.fill_null(pc.equal(va, vb), False)
        both_null = pc.and_(pc.is_null(va), pc.is_null(vb))
        differs = ~np.asarray(pc.or_(eq, both_null).to_numpy(zero_copy_only=False), np.bool_)
        parent = np.asarray(pc.list_parent_indices(fa).to_numpy(zero_copy_only=False))
        bad = np.zeros(len(rows), np.bool_)
        bad[parent[differs]] = True
        same[rows[bad]] = False
    return same


def _keep(events: pa.Table, closed: pa.ChunkedArray) -> pa.Table:
    """What :meth:`ChangeLog._may_change` compares between two passes."""
    cols = ["event_id", "vessels", *_COMPARED]
    return events.select(cols).append_column("closed", closed)


def _update_reason(old: EventState, row: dict[str, Any]) -> str:
    parts = []
    if _us(row["end"]) != old.end_us:
        verb = "extended" if _us(row["end"]) > old.end_us else "shortened"
        parts.append(f"end {verb} by new positions")
    if not parts:
        parts.append("position, zone, confidence or details revised by new positions")
    return "; ".join(parts)


def _record(
    row: dict[str, Any],
    eid: str,
    revision: int,
    change: str,
    status: str,
    reason: str | None,
    now: datetime,
    fp: str,
) -> dict[str, Any]:
    details = row.get("details")
    return {
        "event_id": eid,
        "revision": revision,
        "change": change,
        "status": status,
        "reason": reason,
        "at": now,
        "type": row["type"],
        "start": row["start"],
        "end": row["end"],
        "vessels": row["vessels"],
        "lat": row["lat"],
        "lon": row["lon"],
        "duration_h": row.get("duration_h"),
        "region": row.get("region"),
        "zone": row.get("zone"),
        "confidence": row.get("confidence"),
        "details": details if isinstance(details, str) or details is None else json.dumps(details),
        "fingerprint": fp,
    }


def change_records(table: pa.Table) -> list[dict[str, Any]]:
    """Change rows as JSON-ready records (times ISO 8601 UTC)."""
    out = []
    for row in table.to_pylist():
        rec: dict[str, Any] = {}
        for k, v in row.items():
            rec[k] = v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
        out.append(rec)
    return out
