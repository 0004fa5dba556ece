"""The situation brief: what an analyst writing the story behind the headlines needs first.

One call gathers, for some regions and a period: engagements (encounters and interceptions)
by region and type and by flag, each engagement with the vessels' names, flags and groups,
naval presence near a country's coast, dark activity (AIS gaps), spoofing and identity
changes, and watchlist hits (with the list's date). Every section is a plain list of
records, so the brief serialises to JSON as it is (``seawatch report --brief --format json``)
and prints as tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from seawatch.ais.roles import NAVAL_ROLES, role_evidence, role_index
from seawatch.report._summary import as_records, filter_events, summarize
from seawatch.report.presence import PresenceParams, presence

__all__ = ["ENGAGEMENT_TYPES", "Brief", "BriefSource", "brief"]

ENGAGEMENT_TYPES = ("encounter", "interception")
"""Event types counted as vessel engagements."""


class BriefSource(Protocol):
    """What :func:`brief` needs of :class:`seawatch.store.Store`."""

    def events(self) -> pa.Table: ...

    def vessels(self) -> pa.Table: ...

    def role_entries(self) -> pa.Table: ...

    def positions(
        self,
        *,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
    ) -> pa.Table: ...


@dataclass(frozen=True, slots=True)
class Brief:
    """The sections of a situation brief, each a list of JSON-ready records."""

    regions: list[str] | None
    since: str | None
    until: str | None
    country: str
    flags: list[str] | None = None
    groups: list[str] | None = None
    by_type: list[dict[str, Any]] = field(default_factory=list)
    engagements_by_region: list[dict[str, Any]] = field(default_factory=list)
    engagements_by_flag: list[dict[str, Any]] = field(default_factory=list)
    engagements: list[dict[str, Any]] = field(default_factory=list)
    naval_presence: list[dict[str, Any]] = field(default_factory=list)
    dark_activity: list[dict[str, Any]] = field(default_factory=list)
    spoofing: list[dict[str, Any]] = field(default_factory=list)
    identity_changes: list[dict[str, Any]] = field(default_factory=list)
    watchlist_hits: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (times as ISO 8601 strings with ``Z``)."""
        return {
            "regions": self.regions,
            "since": self.since,
            "until": self.until,
            "country": self.country,
            "flags": self.flags,
            "groups": self.groups,
            "counts": self.counts,
            "by_type": self.by_type,
            "engagements_by_region": self.engagements_by_region,
            "engagements_by_flag": self.engagements_by_flag,
            "engagements": self.engagements,
            "naval_presence": self.naval_presence,
            "dark_activity": self.dark_activity,
            "spoofing": self.spoofing,
            "identity_changes": self.identity_changes,
            "watchlist_hits": self.watchlist_hits,
        }


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _who(mmsi: int, info: dict[int, dict[str, Any]]) -> dict[str, Any]:
    v = info.get(mmsi, {})
    return {
        "mmsi": mmsi,
        "name": v.get("name"),
        "flag": v.get("flag"),
        "ship_group": v.get("ship_group"),
        "role": v.get("role"),
        "role_source": v.get("role_source"),
        "imo": v.get("imo"),
    }


def _event_rows(
    events: pa.Table, info: dict[int, dict[str, Any]], detail_keys: Sequence[str] = ()
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for ev in events.sort_by([("start", "ascending")]).to_pylist():
        details = json.loads(ev["details"]) if ev["details"] else {}
        rows.append(
            {
                "event_id": ev["event_id"],
                "type": ev["type"],
                "start": _iso(ev["start"]),
                "end": _iso(ev["end"]),
                "duration_h": round(float(ev["duration_h"] or 0.0), 2),
                "region": ev["region"],
                "zone": ev["zone"],
                "lat": _round(ev["lat"], 5),
                "lon": _round(ev["lon"], 5),
                "confidence": _round(ev["confidence"], 3),
                "vessels": [_who(int(m), info) for m in ev["vessels"]],
                **{k: details.get(k) for k in detail_keys if k in details},
            }
        )
    return rows


def _with_evidence(
    rows: list[dict[str, Any]], info: dict[int, dict[str, Any]], entries: pa.Table
) -> list[dict[str, Any]]:
    """Naval presence rows with ``role_evidence``: why each vessel counts, in words."""
    index = role_index(entries)
    for row in rows:
        v = info.get(int(row["mmsi"]), {})
        row["role_evidence"] = role_evidence(
            int(row["mmsi"]),
            v.get("name"),
            v.get("ship_type"),
            imo=v.get("imo"),
            callsign=v.get("callsign"),
            entries=index,
        )
    return rows


def brief(
    store: BriefSource,
    *,
    regions: Sequence[str] | None = None,
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
    country: str = "VE",
    naval_roles: Sequence[str] = NAVAL_ROLES,
    presence_ranges_nm: tuple[float, ...] = (12.0, 24.0, 200.0),
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
) -> Brief:
    """The situation brief for ``regions`` (None: everywhere) over ``[since, until)``.

    Event counts by type, engagements, dark activity, spoofing and identity changes are
    filtered by region; watchlist hits are not (a sanctioned vessel matters wherever it was
    seen); naval presence is measured against ``country``'s coast for vessels whose role
    (:mod:`seawatch.ais.roles`) is one of ``naval_roles`` (navies, coast guards and other
    government vessels by default), each row with its ``role``, ``role_source`` and
    ``role_evidence`` (why it counts, in words). ``flags`` and ``groups`` keep events with a vessel of one of those
    flags and groups (as :func:`~seawatch.report.filter_events`); naval presence is
    filtered by them too.
    """
    all_events = store.events()
    vessels = store.vessels()
    info = {int(r["mmsi"]): r for r in vessels.to_pylist()}
    in_regions = filter_events(
        all_events,
        regions=regions,
        since=since,
        until=until,
        flags=flags,
        groups=groups,
        vessels=vessels,
    )
    everywhere = filter_events(
        all_events, since=since, until=until, flags=flags, groups=groups, vessels=vessels
    )

    def of_type(table: pa.Table, *types: str) -> pa.Table:
        return table.filter(pc.is_in(table.column("type"), pa.array(list(types))))

    engagements = of_type(in_regions, *ENGAGEMENT_TYPES)
    positions = store.positions(since=since, until=until)
    naval_mmsis = pc.cast(
        vessels.column("mmsi").filter(
            pc.fill_null(pc.is_in(vessels.column("role"), pa.array(list(naval_roles))), False)
        ),
        pa.int64(),
    )
    naval = presence(
        positions.filter(pc.is_in(pc.cast(positions.column("mmsi"), pa.int64()), naval_mmsis)),
        params=PresenceParams(country=country, ranges_nm=presence_ranges_nm),
        vessels=vessels,
    )
    if flags:
        wanted = pa.array([f.upper() for f in flags], pa.string())
        naval = naval.filter(pc.fill_null(pc.is_in(naval.column("flag"), wanted), False))
    out = Brief(
        regions=list(regions) if regions else None,
        since=_iso(since),
        until=_iso(until),
        country=country,
        flags=list(flags) if flags else None,
        groups=list(groups) if groups else None,
        by_type=as_records(summarize(in_regions, by="type")),
        engagements_by_region=as_records(
            summarize(engagements, by="region", types=list(ENGAGEMENT_TYPES))
        ),
        engagements_by_flag=as_records(
            summarize(engagements, by="flag", types=list(ENGAGEMENT_TYPES))
        ),
        engagements=_event_rows(
            engagements, info, ("interceptor", "target", "diversion", "closest_m", "min_dist_m")
        ),
        naval_presence=_with_evidence(as_records(naval), info, store.role_entries()),
        dark_activity=_event_rows(
            of_type(in_regions, "gap"),
            info,
            ("likely_disabled", "distance_nm", "start_shore_dist_nm"),
        ),
        spoofing=_event_rows(of_type(in_regions, "spoofing"), info, ("kind",)),
        identity_changes=_event_rows(
            of_type(in_regions, "identity_change"), info, ("field", "old", "new")
        ),
        watchlist_hits=_event_rows(
            of_type(everywhere, "watchlist_hit"),
            info,
            ("list", "list_date", "entry_name", "program", "matches"),
        ),
    )
    counts = {
        "engagements": engagements.num_rows,
        "encounters": of_type(engagements, "encounter").num_rows,
        "interceptions": of_type(engagements, "interception").num_rows,
        "naval_vessels_near": len(out.naval_presence),
        "dark_gaps": len(out.dark_activity),
        "spoofing": len(out.spoofing),
        "identity_changes": len(out.identity_changes),
        "watchlist_hits": len(out.watchlist_hits),
    }
    return Brief(**{**out.to_dict(), "counts": counts})
