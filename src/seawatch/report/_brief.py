"""The situation brief: what an analyst writing the story behind the headlines needs first.

One call gathers, for some regions and a period: engagements (incidents of contact between
vessels: an encounter and an interception of the same pair at the same time are one
engagement) by region and by flag, each with the vessels' names, flags and groups,
naval presence near a country's coast, dark activity (AIS gaps), spoofing and identity
changes, and watchlist hits (with the list's date). It opens with the data it rests on
(:mod:`seawatch.report.coverage`: span, positions, vessels, reporting rates, coverage
holes, real and simulated data apart, warnings where the data is too thin). Every section is a plain list of
records, so the brief serialises to JSON as it is (``seawatch report --brief --format json``)
and prints as tables. ``legend`` says what each count counts, with the thresholds taken
from the detectors' parameters.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from seawatch.ais.roles import NAVAL_ROLES, role_evidence, role_index
from seawatch.report._engagements import (
    ENGAGEMENT_TYPES,
    engagement_counts,
    engagement_summary,
    incident_record,
    incidents,
)
from seawatch.report._engagements import (
    vessel_record as _who,
)
from seawatch.report._query import EventFilter, check_country, vocabulary
from seawatch.report._summary import filter_events, summarize
from seawatch.report.coverage import data_summary
from seawatch.report.presence import PresenceParams, presence
from seawatch.report.records import BRIEF_SCHEMA, count_records, presence_record

__all__ = ["ENGAGEMENT_TYPES", "Brief", "BriefSource", "brief", "legend"]


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
    dark_vessels: list[dict[str, Any]] = field(default_factory=list)
    """Satellite/radar detections that no AIS explains, and AIS positions the imagery
    contradicts (see :func:`dark_vessel_rows`)."""
    counts: dict[str, int] = field(default_factory=dict)
    legend: dict[str, str] = field(default_factory=dict)
    scope: str = ""
    ranges_nm: list[float] = field(default_factory=list)
    """The distances from ``country``'s coast that naval presence is measured in."""
    data: dict[str, Any] = field(default_factory=dict)
    """What the brief rests on (:func:`seawatch.report.coverage.data_summary`)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (times as ISO 8601 strings with ``Z``)."""
        return {
            "schema": BRIEF_SCHEMA,
            "data": self.data,
            "regions": self.regions,
            "since": self.since,
            "until": self.until,
            "country": self.country,
            "flags": self.flags,
            "groups": self.groups,
            "counts": self.counts,
            "legend": self.legend,
            "scope": self.scope,
            "ranges_nm": self.ranges_nm,
            "by_type": self.by_type,
            "engagements_by_region": self.engagements_by_region,
            "engagements_by_flag": self.engagements_by_flag,
            "engagements": self.engagements,
            "naval_presence": self.naval_presence,
            "dark_activity": self.dark_activity,
            "spoofing": self.spoofing,
            "identity_changes": self.identity_changes,
            "watchlist_hits": self.watchlist_hits,
            "dark_vessels": self.dark_vessels,
        }


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


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


def _params(events: pa.Table, type_: str, detector: str) -> dict[str, Any]:
    """The parameters the store's ``type_`` events were detected with (their
    ``details.params``), else (each one missing) the default preset's."""
    from seawatch.detect import PRESETS, params_dict

    default = params_dict(PRESETS["default"][detector])
    rows = events.filter(pc.equal(events.column("type"), type_)).slice(0, 1)
    if rows.num_rows:
        text = rows.column("details")[0].as_py()
        p = json.loads(text).get("params") if text else None
        if isinstance(p, dict) and p:
            # events of an older version may lack a parameter: the default fills it
            return {**default, **p}
    return default


def _g(value: Any) -> str:
    return f"{float(value):g}"


def legend(
    events: pa.Table, *, country: str, naval_roles: Sequence[str], max_range_nm: float
) -> dict[str, str]:
    """What each count of the brief counts (one sentence per ``counts`` key, then per
    table column: ``events``, ``vessels``, ``hours``, ``hours_within``, ``closest_nm``),
    with the thresholds of the parameters the events were detected with."""
    enc = _params(events, "encounter", "encounter")
    icp = _params(events, "interception", "interception")
    gap = _params(events, "gap", "gap")
    return {
        "engagements": "an incident of contact between vessels (an encounter or an "
        "interception); an encounter and an interception of the same vessels overlapping "
        "in time are one engagement",
        "encounters": "an engagement that includes an encounter: two vessels within "
        f"{_g(enc['max_dist_m'])} m of each other for at least {_g(enc['min_duration_h'])} h, "
        f"both at a median speed below {_g(enc['max_median_speed_kn'])} kn, at least "
        f"{_g(enc['min_port_dist_m'] / 1000)} km from any port"
        + (
            f"; up to {_g(enc['max_unseen_h'])} h with one of them unheard (no evidence they "
            "parted) does not split one"
            if float(enc.get("max_unseen_h", 0)) > 0
            else ""
        ),
        "interceptions": "an engagement that includes an interception: a vessel closes on "
        f"another, they stay within {_g(icp['close_dist_m'])} m for at least "
        f"{_g(icp['min_contact_min'])} min while the target slows below "
        f"{_g(icp['target_max_speed_kn'])} kn, and afterwards the target changes course or "
        "destination or goes dark",
        "naval_vessels_near": f"a vessel whose role is {' or '.join(naval_roles)} (by a "
        "curated list, a name prefix, its MMSI or call sign, or its AIS type: docs/ROLES.md) "
        "with a position within "
        f"{_g(max_range_nm)} nm of {country}'s coast",
        "dark_gaps": f"a vessel sent no position for at least {_g(gap['min_gap_h'])} h "
        "while away from port",
        "spoofing": "one MMSI at positions no single vessel could join, or a track across land",
        "identity_changes": "a change of a vessel's name, call sign, IMO, flag or type, or an "
        "IMO seen under several MMSIs",
        "watchlist_hits": "a vessel matching a sanctions or watch list entry (IMO, MMSI, or "
        "name and flag)",
        "detections_matched": "a satellite/radar detection matched one-to-one to an AIS "
        "vessel's position at the image time",
        "dark_detections": "a detection no AIS vessel explains although AIS vessels were "
        "heard in the scene",
        "detections_without_ais_coverage": "a detection in a scene where no AIS vessel was "
        "heard: unidentified, not called dark",
        "ais_mismatches": "an AIS position that the imagery contradicts: nothing seen where "
        "the vessel said it was, a vessel of its length seen elsewhere",
        # the columns of the tables
        "n_events": "detected events, each counted once (an interception and the encounter "
        "of the same pair are two events and one engagement)",
        "n_vessels": "distinct vessels (MMSIs) in the row's events or engagements",
        "duration_h": "total duration, hours: of each event, or of each engagement from its first start "
        "to its last end, counted once",
        "hours_within": f"hours a vessel had positions within each distance of {country}'s "
        "coast (intervals over the presence gap limit count for nothing)",
        "unheard_within": "hours of silences (longer than the presence gap limit, up to its "
        f"unheard limit) between two positions of the vessel within each distance of {country}'s "
        "coast: it was there at least hours_within, at most hours_within plus these",
        "closest_nm": f"the vessel's closest approach to {country}'s coast, in nautical miles",
    }


def _in_regions(positions: pa.Table, regions: Sequence[str]) -> pa.Table:
    """The positions that lie in one of ``regions`` (bundled geography)."""
    import numpy as np

    from seawatch.geo import region_of

    lat = np.asarray(pc.cast(positions.column("lat"), pa.float64()).to_numpy(False), np.float64)
    lon = np.asarray(pc.cast(positions.column("lon"), pa.float64()).to_numpy(False), np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    found = np.full(len(lat), None, dtype=object)
    if ok.any():
        found[ok] = region_of(lat[ok], lon[ok])
    wanted = set(regions)
    return positions.filter(pa.array([r in wanted for r in found], pa.bool_()))


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

    ``regions`` narrow every section: events by their position; naval presence to the
    positions inside the regions; watchlist hits to vessels with a position inside them in
    the period. Engagements are counted as incidents
    (:func:`~seawatch.report._engagements.engagement_summary`). Naval presence is measured
    against ``country``'s coast for vessels whose role (:mod:`seawatch.ais.roles`) is one of
    ``naval_roles`` (navies, coast guards and other government vessels by default), each row
    with its ``role``, ``role_source`` and ``role_evidence`` (why it counts, in words).
    ``flags`` and ``groups`` keep events with a vessel of one of those flags and roles (as
    :func:`~seawatch.report.filter_events`); naval presence is filtered by them too.
    """
    all_events = store.events()
    # validated once (unknown values raise FilterError listing the valid ones), canonical
    f = EventFilter.build(
        regions=regions,
        flags=flags,
        groups=groups,
        since=since,
        until=until,
        vocab=vocabulary(all_events),
    )
    regions, flags, groups = f.regions, f.flags, f.groups
    country = check_country(country)
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
    hits = of_type(everywhere, "watchlist_hit")
    if regions:
        positions = _in_regions(positions, regions)
        seen = pc.unique(pc.cast(positions.column("mmsi"), pa.int64()))
        from seawatch.report._summary import with_vessel_in

        hits = with_vessel_in(hits, seen)
    naval = presence(
        positions.filter(pc.is_in(pc.cast(positions.column("mmsi"), pa.int64()), naval_mmsis)),
        params=PresenceParams(country=country, ranges_nm=presence_ranges_nm),
        vessels=vessels,
    )
    if flags:
        wanted = pa.array([f.upper() for f in flags], pa.string())
        naval = naval.filter(pc.fill_null(pc.is_in(naval.column("flag"), wanted), False))
    detail_keys = ("interceptor", "target", "diversion", "closest_m", "min_dist_m")
    out = Brief(
        regions=list(regions) if regions else None,
        since=_iso(since),
        until=_iso(until),
        country=country,
        flags=list(flags) if flags else None,
        groups=list(groups) if groups else None,
        by_type=count_records(summarize(in_regions, by="type")),
        engagements_by_region=engagement_counts(engagements, by="region"),
        engagements_by_flag=engagement_counts(engagements, by="flag"),
        engagements=[incident_record(g, info, detail_keys) for g in incidents(engagements)],
        naval_presence=_with_evidence(
            [presence_record(r, presence_ranges_nm) for r in naval.to_pylist()],
            info,
            store.role_entries(),
        ),
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
            hits, info, ("list", "list_date", "entry_name", "program", "matches")
        ),
        legend=legend(
            all_events,
            country=country,
            naval_roles=naval_roles,
            max_range_nm=max(presence_ranges_nm),
        ),
        ranges_nm=sorted({float(r) for r in presence_ranges_nm}),
        scope=(
            "every section is narrowed to the regions: events by their position, naval "
            "presence to positions inside them, sanctions hits to vessels seen inside them"
            if regions
            else "everywhere in the store"
        ),
    )
    dark_rows = dark_vessel_rows(
        of_type(in_regions, "dark_detection", "unidentified_detection", "ais_mismatch"), info
    )
    counts = {
        **engagement_summary(engagements),
        "naval_vessels_near": len(out.naval_presence),
        "dark_gaps": len(out.dark_activity),
        "spoofing": len(out.spoofing),
        "identity_changes": len(out.identity_changes),
        "watchlist_hits": len(out.watchlist_hits),
        **dark_vessel_counts(of_type(in_regions, *DARK_TYPES), dark_rows),
    }
    data = data_summary(
        positions,
        events=in_regions,
        simulated_sources=_simulated_sources(store),
        regions=regions,
    )
    return dataclasses.replace(out, dark_vessels=dark_rows, counts=counts, data=data)


DARK_TYPES = ("detected_by", "dark_detection", "unidentified_detection", "ais_mismatch")
"""Event types of the dark-vessel matcher (:mod:`seawatch.detect.dark`)."""


def dark_vessel_rows(events: pa.Table, info: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The "dark vessels" section: one row per ``dark_detection``,
    ``unidentified_detection`` and ``ais_mismatch``.

    ``status`` says what the evidence supports: a detection in a scene that no AIS vessel
    covered (``unidentified_detection``) is *unidentified* ("no AIS covered the scene"), not
    a dark vessel: nothing shows that a vessel there should have been heard."""
    rows = _event_rows(events, info, ("source", "scene_id", "length_m", "dist_m"))
    raw = {e["event_id"]: json.loads(e["details"] or "{}") for e in events.to_pylist()}
    for row in rows:
        d = raw.get(row["event_id"], {})
        if row["type"] == "ais_mismatch":
            row["status"] = (
                f"imaged {d.get('dist_m', 0) / 1000:.1f} km from its AIS position, "
                "where nothing was seen"
            )
        elif row["type"] == "unidentified_detection":
            row["status"] = "unidentified: no AIS covered the scene"
        else:
            row["status"] = "no AIS match"
        row["nearest_ais"] = [
            {**_who(int(n["mmsi"]), info), "dist_m": n["dist_m"]} for n in d.get("nearest_ais", [])
        ]
        row["gap_candidates"] = [
            {
                **_who(int(g["mmsi"]), info),
                **{k: g[k] for k in ("hours_since_fix", "dist_m", "reach_m")},
            }
            for g in d.get("gap_candidates", [])
        ]
        row["near_port"] = d.get("near_port")
    return rows


def dark_vessel_counts(events: pa.Table, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of the dark-vessel section (matched detections included)."""
    types = events.column("type").to_pylist()
    return {
        "detections_matched": types.count("detected_by"),
        "dark_detections": types.count("dark_detection"),
        "detections_without_ais_coverage": types.count("unidentified_detection"),
        "ais_mismatches": types.count("ais_mismatch"),
    }


def candidate_detections(events: pa.Table, mmsi: int) -> list[dict[str, Any]]:
    """``dark_detection`` and ``unidentified_detection`` events that name ``mmsi`` as a gap
    candidate: satellite/radar detections made while its AIS was silent, within reach of its
    last fix (for ``seawatch vessel``). Each: event id, type, time, position, source,
    length, and the candidate's ``hours_since_fix``, ``dist_m``, ``reach_m``."""
    dark = events.filter(
        pc.is_in(events.column("type"), pa.array(["dark_detection", "unidentified_detection"]))
    )
    out: list[dict[str, Any]] = []
    for ev in dark.sort_by([("start", "ascending")]).to_pylist():
        d = json.loads(ev["details"] or "{}")
        for g in d.get("gap_candidates", []):
            if int(g["mmsi"]) == mmsi:
                out.append(
                    {
                        "event_id": ev["event_id"],
                        "type": ev["type"],
                        "time": _iso(ev["start"]),
                        "lat": _round(ev["lat"], 5),
                        "lon": _round(ev["lon"], 5),
                        "source": d.get("source"),
                        "length_m": d.get("length_m"),
                        **{k: g[k] for k in ("hours_since_fix", "dist_m", "reach_m")},
                    }
                )
    return out


def _simulated_sources(store: BriefSource) -> frozenset[str]:
    """The store's simulated inputs (none for a source that does not know them)."""
    get = getattr(store, "simulated_sources", None)
    return frozenset(get()) if get is not None else frozenset()
