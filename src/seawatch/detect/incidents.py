"""Incidents: events that describe one occurrence in the world share an ``incident_id``
(DESIGN.md §11).

An interception is also an encounter of the same pair over the same time: two events, one
incident. Counting "vessel engagements" must count the incident once.

The rule (general, not per detector):

* Each detector module may declare ``INCIDENT_KIND`` (a string); :data:`INCIDENT_KINDS`
  maps its event types to it. Today ``encounter`` and ``interception`` are of kind
  ``engagement`` (a contact between vessels). Types without a kind are never linked.
* Two events are **linked** when they are of the same incident kind, have the *same set
  of vessels* (MMSIs, order ignored) and overlap in time (``start_a <= end_b`` and
  ``start_b <= end_a``: touching counts, so zero-length events link too).
* An incident is a connected group of linked events (links are transitive: an encounter,
  an interception overlapping it and a second encounter overlapping the interception are
  one incident). Its ``incident_id`` is the smallest ``event_id`` of the group, so it is
  stable across runs (event ids are) and names one of the incident's own events.
* An event nothing links to is its own incident: ``incident_id == event_id``.

The engine calls :func:`link_incidents` as a finishing step over *all* the store's events
(also those of detectors not re-run), so ids never go stale after ``detect --only``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch.detect import encounters as _encounters
from seawatch.detect import interceptions as _interception
from seawatch.schema import EVENTS

__all__ = ["INCIDENT_KINDS", "incident_ids", "link_incidents"]

INCIDENT_KINDS: Mapping[str, str] = {m.TYPE: m.INCIDENT_KIND for m in (_encounters, _interception)}
"""Event type -> incident kind, from each detector module's ``INCIDENT_KIND``."""


def incident_ids(events: pa.Table) -> pa.Array:
    """The ``incident_id`` of each row, with null (stores written before the column
    existed) read as the event's own id."""
    own = events.column("event_id")
    if "incident_id" not in events.column_names:
        return own.combine_chunks() if isinstance(own, pa.ChunkedArray) else own
    out = pc.coalesce(events.column("incident_id"), own)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def link_incidents(
    events: pa.Table,
    *,
    kinds: Mapping[str, str] | None = None,
) -> pa.Table:
    """``events`` (schema EVENTS, or EVENTS without ``incident_id``) with ``incident_id``
    set by the rule of this module; row order and every other column unchanged.

    ``kinds``: event type -> incident kind (default :data:`INCIDENT_KINDS`).
    """
    kinds = INCIDENT_KINDS if kinds is None else kinds
    own = events.column("event_id").combine_chunks()
    is_linkable = pc.fill_null(pc.is_in(events.column("type"), pa.array(sorted(kinds))), False)
    rows = np.flatnonzero(np.asarray(is_linkable.to_numpy(zero_copy_only=False), np.bool_))
    column: pa.Array = own
    if len(rows) > 1:
        sub = events.take(pa.array(rows))
        ids = sub.column("event_id").to_pylist()
        out: list[str] = list(ids)
        types = sub.column("type").to_pylist()
        starts = np.asarray(pc.cast(sub.column("start"), pa.int64()).to_numpy(False), np.int64)
        ends = np.asarray(pc.cast(sub.column("end"), pa.int64()).to_numpy(False), np.int64)
        vessels = sub.column("vessels").to_pylist()
        by_key: dict[tuple[str, tuple[int, ...]], list[int]] = {}
        for i in range(len(ids)):
            key = (kinds[types[i]], tuple(sorted({int(v) for v in vessels[i] or ()})))
            by_key.setdefault(key, []).append(i)
        for members in by_key.values():
            if len(members) < 2:
                continue
            # connected components of overlapping intervals: sweep in start order
            members.sort(key=lambda i: (starts[i], ends[i], ids[i]))
            group = [members[0]]
            reach = ends[members[0]]
            for i in members[1:]:
                if starts[i] <= reach:
                    group.append(i)
                    reach = max(reach, ends[i])
                    continue
                _assign(group, ids, out)
                group, reach = [i], ends[i]
            _assign(group, ids, out)
        mask = np.zeros(events.num_rows, np.bool_)
        mask[rows] = True
        column = pc.replace_with_mask(own, pa.array(mask), pa.array(out, pa.string()))
    if "incident_id" in events.column_names:
        return events.set_column(
            events.schema.get_field_index("incident_id"), "incident_id", column
        )
    table = events.append_column(pa.field("incident_id", pa.string()), column)
    if all(name in table.column_names for name in EVENTS.names):
        return table.select(EVENTS.names)
    return table


def _assign(group: list[int], ids: list[str], out: list[str]) -> None:
    first = min(ids[i] for i in group)
    for i in group:
        out[i] = first
