"""The one event count (``seawatch report --by``, ``/api/report``, ``Store.counts``, the
brief's events by type): events grouped by keys, as SQL over any DuckDB connection holding
the events and vessels relations that :class:`seawatch.store.EventTables` names.

Each row: the keys, ``n_events`` (distinct events), ``n_vessels`` (distinct MMSIs),
``duration_h`` (the events' total duration, each event once per row) and ``n_incidents``
(distinct incidents: an interception and the encounter of the same pair at the same time
count once). By ``flag`` or ``group`` an event counts once under each flag or role among its
vessels; an event without vessels (a dark satellite detection) counts under a null flag or
role, with no vessel. ``day`` is the UTC day of the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch.store import EventTables

__all__ = ["COUNT_KEYS", "count_events"]

COUNT_KEYS: dict[str, str] = {
    "type": "type",
    "day": 'CAST("start" AS DATE)',
    "region": "region",
    "zone": "zone",
    "flag": "flag",
    "group": "role",
}
"""What events can be counted by (key -> SQL over the events and their vessels; code
constants, never user input)."""

_STORE_TABLES = EventTables()


def count_events(
    con: Any,
    by: Sequence[str],
    *,
    where: str = "",
    args: Sequence[Any] = (),
    tables: EventTables = _STORE_TABLES,
) -> pa.Table:
    """Counts of the events that ``where`` (a compiled filter,
    :func:`seawatch.store.event_where`, with its bound ``args``) selects, grouped ``by``
    keys of :data:`COUNT_KEYS`, ordered by the keys (nulls last): columns the keys,
    ``n_events``, ``n_vessels``, ``duration_h``, ``n_incidents``.

    Raises:
        ParameterError: no key, or a key that is not one of :data:`COUNT_KEYS`.
    """
    unknown = [b for b in by if b not in COUNT_KEYS]
    if unknown or not by:
        raise ParameterError(
            f"cannot count by {unknown or list(by)!r}; use {', '.join(sorted(COUNT_KEYS))}"
        )
    select = ", ".join(f"{COUNT_KEYS[b]} AS {_q(b)}" for b in by)
    group = ", ".join(_q(b) for b in by)
    sql = f"""
        WITH e AS (SELECT event_id, type, "start", region, zone, duration_h, vessels,
                          coalesce(incident_id, event_id) AS incident
                   FROM {tables.events} {where}),
        x AS (SELECT event_id AS xid, unnest(vessels) AS vm FROM e),
        u AS (SELECT e.*, x.vm, v.flag, v.role FROM e
              LEFT JOIN x ON x.xid = e.event_id
              LEFT JOIN {tables.vessels} v ON v.mmsi = x.vm),
        g AS (SELECT {select}, event_id, incident, vm, duration_h FROM u),
        r AS (SELECT *, row_number() OVER (PARTITION BY {group}, event_id) AS rn FROM g)
        SELECT {group},
               CAST(count(DISTINCT event_id) AS BIGINT) AS n_events,
               CAST(count(DISTINCT vm) AS BIGINT) AS n_vessels,
               CAST(coalesce(sum(duration_h) FILTER (WHERE rn = 1), 0) AS DOUBLE) AS duration_h,
               CAST(count(DISTINCT incident) AS BIGINT) AS n_incidents
        FROM r GROUP BY {group} ORDER BY {", ".join(f"{_q(b)} NULLS LAST" for b in by)}
    """
    table: pa.Table = con.sql(sql, params=list(args)).to_arrow_table()
    return table


def _q(name: str) -> str:
    return f'"{name}"'
