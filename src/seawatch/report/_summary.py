"""Event counts by type, flag, UTC day or region (the "how many encounters in the Caribbean
and the Eastern Pacific last month, and between whom" question).

:func:`summarize` works on any EVENTS table; :func:`report` reads the store's events.
Each row counts distinct ``events``, distinct ``vessels`` (MMSIs) and the events' total
``hours``. Grouped ``by`` a key other than ``type``, rows are per key *and* type. By flag,
an event counts once for each distinct flag among its vessels (an encounter between a
Panamanian and a Liberian tanker counts under PA and under LR); ``flag`` comes from the
MMSI's MID (:func:`seawatch.ais.codes.flags_of`), null when it carries none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._duck import connect
from seawatch._exceptions import ParameterError
from seawatch.ais.codes import flags_of
from seawatch.schema import EVENTS

__all__ = ["BY", "By", "filter_events", "report", "summarize", "vessels_matching", "with_vessel_in"]

By = Literal["type", "flag", "day", "region"]
BY: tuple[By, ...] = ("type", "flag", "day", "region")
_TS = pa.timestamp("us", tz="UTC")


class EventSource(Protocol):
    """What :func:`report` needs of :class:`seawatch.store.Store`."""

    def events(self) -> pa.Table: ...

    def vessels(self) -> pa.Table: ...


def _utc(value: datetime | date | str | None, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ParameterError(f"{name}: not an ISO 8601 date or time: {value!r}") from exc
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def vessels_matching(
    vessels: pa.Table,
    *,
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
) -> pa.Array:
    """MMSIs of the ``vessels`` table (the store's ``vessels`` view: ``mmsi``, ``flag``,
    ``role``) with one of ``flags`` and one of the roles ``groups`` (``None``: any; a
    role is military, law_enforcement, government or the ship group: docs/ROLES.md)."""
    mask = pa.array(np.ones(vessels.num_rows, np.bool_))
    if flags:
        wanted = pa.array([f.upper() for f in flags], pa.string())
        mask = pc.and_(mask, pc.is_in(vessels.column("flag"), wanted))
    if groups:
        wanted = pa.array([g.lower() for g in groups], pa.string())
        mask = pc.and_(mask, pc.is_in(vessels.column("role"), wanted))
    return pc.cast(vessels.column("mmsi").filter(pc.fill_null(mask, False)), pa.int64())


def with_vessel_in(events: pa.Table, mmsis: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Events with at least one vessel among ``mmsis``."""
    vessels = events.column("vessels").combine_chunks()
    flat = pc.cast(pc.list_flatten(vessels), pa.int64())
    parents = pc.list_parent_indices(vessels).to_numpy(zero_copy_only=False)
    hits = pc.fill_null(pc.is_in(flat, mmsis), False).to_numpy(zero_copy_only=False)
    keep = np.zeros(events.num_rows, np.bool_)
    keep[parents[hits]] = True
    return events.filter(pa.array(keep))


def filter_events(
    events: pa.Table,
    *,
    regions: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    vessels: pa.Table | None = None,
) -> pa.Table:
    """Events in ``regions`` and of ``types`` (when given) overlapping ``[since, until)``.

    ``flags`` and ``groups`` keep events with a vessel that has one of the flags *and* one
    of the groups (roles: :data:`seawatch.ais.roles.ROLES`), looked up in ``vessels`` (the
    store's ``vessels`` view), which groups need; flags alone fall back to the MMSI's MID
    when ``vessels`` is not given. Values are used as given (no validation: see
    :class:`~seawatch.report.EventFilter`, whose compiled SQL this runs).
    """
    from seawatch.report._query import EventFilter

    def tup(values: Sequence[str] | None) -> tuple[str, ...] | None:
        return tuple(values) if values else None

    f = EventFilter(
        regions=tup(regions),
        types=tup(types),
        since=_utc(since, "since"),
        until=_utc(until, "until"),
        flags=tup([x.upper() for x in flags] if flags else None),
        groups=tup([x.lower() for x in groups] if groups else None),
    )
    return f.apply(events, vessels=vessels)


def summarize(
    events: pa.Table,
    *,
    by: By = "type",
    regions: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    vessels: pa.Table | None = None,
) -> pa.Table:
    """Counts of ``events`` (schema EVENTS) grouped ``by`` type, flag, day or region.

    Columns: the key (``type``; or ``flag``/``day``/``region`` then ``type``), ``events``,
    ``vessels``, ``hours``, ``incidents``; sorted by key (nulls last) then type. Counted
    by :func:`seawatch.report.count_events`, the count of the API and the brief too.
    """
    if by not in BY:
        raise ParameterError(f"--by must be one of {', '.join(BY)}, not {by!r}")
    ev = filter_events(
        events,
        regions=regions,
        types=types,
        since=since,
        until=until,
        flags=flags,
        groups=groups,
        vessels=vessels,
    )
    return _count_table(ev, ["type"] if by == "type" else [by, "type"], vessels=vessels)


def _count_table(events: pa.Table, by: list[str], *, vessels: pa.Table | None) -> pa.Table:
    """:func:`seawatch.report.count_events` over an EVENTS table, in an in-memory DuckDB:
    flags from each MMSI's MID, roles from ``vessels`` where given; columns renamed to
    :func:`summarize`'s ``events``, ``vessels``, ``hours``, ``incidents``."""

    from seawatch.report._counts import count_events

    mmsis = pc.unique(pc.cast(pc.list_flatten(events.column("vessels")), pa.int64()))
    info = pa.table({"mmsi": mmsis, "flag": flags_of(mmsis)})
    if vessels is not None and "role" in vessels.column_names:
        roles = vessels.select(["mmsi", "role"]).cast(
            pa.schema([("mmsi", pa.int64()), ("role", pa.string())])
        )
        info = info.join(roles, "mmsi", join_type="left outer")
    else:
        info = info.append_column("role", pa.nulls(info.num_rows, pa.string()))
    with connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("events", events)
        con.register("vessels", info)
        table = count_events(con, by)
    return table.rename_columns([*by, "events", "vessels", "hours", "incidents"])


def report(
    store: EventSource,
    *,
    by: By = "type",
    regions: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
) -> pa.Table:
    """:func:`summarize` over the store's events (``flags``/``groups`` as in
    :func:`filter_events`, looked up in the store's vessels). The filter values are
    validated (:class:`~seawatch.report.EventFilter`): an unknown one raises
    :class:`~seawatch.FilterError`."""
    from seawatch.report._query import EventFilter, vocabulary

    events = store.events()
    if not events.schema.equals(EVENTS, check_metadata=False):
        events = events.select(EVENTS.names).cast(EVENTS)
    f = EventFilter.build(
        types=types, regions=regions, flags=flags, groups=groups, vocab=vocabulary(events)
    )
    regions, types, flags, groups = f.regions, f.types, f.flags, f.groups
    return summarize(
        events,
        by=by,
        regions=regions,
        types=types,
        since=since,
        until=until,
        flags=flags,
        groups=groups,
        vessels=store.vessels() if (flags or groups) else None,
    )


def split_csv(value: str | Iterable[str] | None) -> list[str] | None:
    """``"a,b"`` or ``["a", "b,c"]`` -> ``["a", "b", "c"]``; None or empty -> None."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out = [s.strip() for item in items for s in item.split(",") if s.strip()]
    return out or None


def as_records(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates as ISO strings, times as ISO 8601 UTC with ``Z``)."""
    rows: list[dict[str, Any]] = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, datetime):
                utc = v.astimezone(UTC) if v.tzinfo else v
                r[k] = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(v, date):
                r[k] = v.isoformat()
    return rows
