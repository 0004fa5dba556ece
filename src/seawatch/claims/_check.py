"""Claims -> verdicts: each claim is compiled to a query over the store's events (or, for
presence near a country, over its positions) plus a coverage query, and answered with
``supported``, ``partly_supported``, ``contradicted`` or ``unobservable``.

* ``unobservable`` comes first: kinds AIS cannot see (attacks, approaches), vessel types
  that carry no AIS (skiffs, go-fast boats), places the gazetteers could not place, a
  period with no data in the store, or no AIS position received in the claim's area and
  period (no reception). A seizure or boarding is never seen by AIS itself: at best the
  interception before it (``partly_supported``).
* Otherwise the number found is compared with the claim's count and qualifier; engagements
  are counted as incidents (an encounter and an interception of the same pair count once:
  the events' ``incident_id`` when the store has it, else each event).

Every check lists its evidence (event ids, incident ids, vessels), the coverage figures,
map links (``/#event=ID``, ``/#vessel=MMSI``) and a sentence a journalist can quote that
states the data's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._units import M_PER_NM
from seawatch.claims._model import Claim, Place

__all__ = ["EVENT_TYPES_OF_KIND", "VERDICTS", "check_claim", "check_claims"]

VERDICTS = ("supported", "partly_supported", "contradicted", "unobservable")
EVENT_TYPES_OF_KIND: dict[str, tuple[str, ...]] = {
    "engagement": ("encounter", "interception"),
    "interception": ("interception",),
    "seizure": ("interception",),
    "sts_transfer": ("encounter",),
    "entry": ("zone_entry",),
    "dark": ("gap",),
    "port_call": ("port_visit",),
}
_NO_AIS_KINDS = {
    "attack": "attacks, firing and approaches leave no trace in AIS",
}


@dataclass(frozen=True, slots=True)
class _Area:
    """Where the claim is about: a test on positions and a label."""

    label: str
    regions: tuple[str, ...] = ()
    zone: str = ""
    center: tuple[float, float, float] | None = None  # lat, lon, radius nm
    country: str = ""
    radius_nm: float | None = None

    def contains(
        self,
        lat: np.ndarray[Any, Any],
        lon: np.ndarray[Any, Any],
        region: np.ndarray[Any, Any] | None = None,
    ) -> np.ndarray[Any, Any]:
        from seawatch.geo import haversine_m, region_of, zones

        ok = np.ones(len(lat), np.bool_)
        if len(lat) == 0:
            return ok
        valid = ~(np.isnan(lat) | np.isnan(lon))
        ok &= valid
        lat_v, lon_v = np.where(valid, lat, 0.0), np.where(valid, lon, 0.0)
        if self.regions:
            regs = region if region is not None else np.asarray(region_of(lat_v, lon_v), object)
            ok &= np.isin(np.asarray(regs, object), np.asarray(self.regions, object))
        if self.zone:
            ok &= np.asarray(zones().contains(self.zone, lat_v, lon_v), np.bool_)
        if self.center is not None:
            clat, clon, rad = self.center
            d = haversine_m(lat_v, lon_v, np.full(len(lat_v), clat), np.full(len(lat_v), clon))
            ok &= np.asarray(d) <= rad * M_PER_NM
        return ok


def _area(places: Sequence[Place]) -> tuple[_Area | None, str]:
    """The claim's area, or (None, why) when a place cannot be placed."""
    from seawatch.geo import zones

    if not places:
        return _Area("anywhere"), ""
    p = places[0]
    if p.kind == "region":
        return _Area(p.ref, regions=(p.ref,)), ""
    if p.kind in ("position", "port") and p.lat is not None and p.lon is not None:
        r = p.radius_nm or 10.0
        return _Area(f"within {r:g} nm of {p.lat:.2f}, {p.lon:.2f}", center=(p.lat, p.lon, r)), ""
    if p.kind in ("waters", "country") and p.ref:
        radius = p.radius_nm or 200.0
        zone = (
            f"{p.ref}-territorial"
            if radius <= 12
            else (f"{p.ref}-contiguous" if radius <= 24 else f"{p.ref}-eez")
        )
        if zone not in zones():
            return None, f"the bundled zones do not cover {p.ref}'s waters"
        label = {
            "territorial": "territorial waters (12 nm)",
            "contiguous": "24 nm",
            "eez": f"{radius:g} nm",
        }[zone.rsplit("-", 1)[1]]
        return _Area(f"{p.ref} {label}", zone=zone, country=p.ref, radius_nm=radius), ""
    return None, f"the place {p.name!r} is not in the bundled gazetteers"


def _utc(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _vessel_filter(claim: Claim, vessels: pa.Table) -> tuple[list[set[int]], list[str], list[bool]]:
    """One MMSI set per vessel constraint of the claim (all must be met), labels, and
    whether each names a vessel (an MMSI or a name) rather than a kind of vessel."""
    from seawatch.watchlist import normalize_names

    names = normalize_names(vessels.column("name")) if ("name" in vessels.column_names) else []
    mmsis = [int(m) for m in vessels.column("mmsi").to_pylist()]
    flags = vessels.column("flag").to_pylist()
    groups = vessels.column("ship_group").to_pylist()
    out: list[set[int]] = []
    labels: list[str] = []
    named: list[bool] = []
    for v in claim.vessels:
        if v.mmsi is not None:
            out.append({v.mmsi})
            labels.append(v.name or str(v.mmsi))
            named.append(True)
            continue
        if v.name:
            out.append({m for m, n in zip(mmsis, names, strict=True) if n == v.name})
            labels.append(v.name)
            named.append(True)
            continue
        if v.type in ("", "other") and not v.flag:
            continue
        keep = {
            m
            for m, f, g in zip(mmsis, flags, groups, strict=True)
            if (not v.flag or f == v.flag) and (v.type in ("", "other") or g == v.type)
        }
        out.append(keep)
        labels.append(" ".join(x for x in (v.flag, v.type or "vessel") if x))
        named.append(False)
    return out, labels, named


def _coverage(store: Any, area: _Area, lo: datetime | None, hi: datetime | None) -> dict[str, Any]:
    from seawatch.report.coverage import data_summary

    days = store.days()
    first, last = (days[0], days[-1]) if days else (None, None)
    pos = (
        store.positions(since=lo, until=hi, columns=["mmsi", "ts", "lat", "lon"]) if days else None
    )
    if pos is None or pos.num_rows == 0:
        return {
            "store_first_day": _d(first),
            "store_last_day": _d(last),
            "positions": 0,
            "vessels": 0,
            "area": area.label,
        }
    lat = pos.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = pos.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
    inside = area.contains(lat, lon)
    all_mmsi = pos.column("mmsi").to_numpy(zero_copy_only=False)
    mmsi = all_mmsi[inside]
    # how dense the data is there: the brief's data section over the area's positions, its
    # hours counted against the hours the store's data spans in the period (all areas)
    d = data_summary(pos.filter(pa.array(inside)))
    ts_all = pos.column("ts")
    lo_all, hi_all = pc.min(ts_all).as_py(), pc.max(ts_all).as_py()
    span_h = (
        int(hi_all.timestamp() // 3600) - int(lo_all.timestamp() // 3600) + 1
        if lo_all is not None and hi_all is not None
        else 0
    )
    return {
        "store_first_day": _d(first),
        "store_last_day": _d(last),
        "positions": int(inside.sum()),
        "vessels": len(np.unique(mmsi)),
        "area": area.label,
        "hours_with_data": d["hours_with_data"],
        "hours_spanned": span_h,
        "median_reports_per_vessel_day": d["median_reports_per_vessel_day"],
        "median_track_h": d["median_track_h"],
        "_heard": {int(m) for m in np.unique(all_mmsi)},
    }


_PAIR_KINDS = ("engagement", "sts_transfer", "interception", "seizure")


def _too_thin(kind: str, coverage: dict[str, Any]) -> str | None:
    """Why the data in the claim's area is too thin for an absence to mean anything, by the
    brief's own thresholds (:class:`seawatch.report.coverage.DataParams`): positions there
    in under half the hours the store's data spans in the period, or, for a kind that
    needs them, too few reports per vessel per day (gaps) or tracks shorter than an
    encounter (pair events). None: dense enough."""
    from seawatch.report.coverage import DataParams

    p = DataParams()
    h, span = coverage.get("hours_with_data") or 0, coverage.get("hours_spanned") or 0
    if span and h < 0.5 * span:
        return (
            f"the store has positions in {coverage['area']} in only {h} of the {span} hours "
            "its data spans in that period: an absence there says nothing"
        )
    per_day = coverage.get("median_reports_per_vessel_day")
    if kind == "dark" and per_day is not None and per_day < p.gap_min_reports_per_vessel_day:
        return (
            f"a median of {per_day:g} positions per vessel per day in {coverage['area']} is "
            "too thin to measure AIS gaps"
        )
    track = coverage.get("median_track_h")
    if kind in _PAIR_KINDS and track is not None and track < p.pair_min_track_h:
        return (
            f"the median vessel track in {coverage['area']} lasts {track:g} h, shorter than an "
            f"encounter ({p.pair_min_track_h:g} h): meetings there cannot be seen"
        )
    return None


def _d(x: Any) -> str | None:
    return None if x is None else x.isoformat()


def _verdict(claim: Claim, found: int) -> tuple[str, str]:
    c, q = claim.count, claim.qualifier or "exactly"
    if claim.negated or c == 0:
        if found == 0:
            return "supported", "none found, as claimed"
        return "contradicted", f"the claim says none; {found} found"
    if c is None:
        return (
            ("supported", f"{found} found")
            if found
            else ("contradicted", "none found where the data could have shown it")
        )
    if q == "at_most":
        return (
            ("supported", f"{found} found, at most {c} claimed")
            if found <= c
            else ("contradicted", f"{found} found, more than the {c} claimed")
        )
    if q == "about":
        tol = max(1.0, 0.2 * c)
        if abs(found - c) <= tol:
            return "supported", f"{found} found, about {c} claimed"
        if found > c:
            return "contradicted", f"{found} found, well above the about {c} claimed"
    if (q == "exactly" and found == c) or (q == "at_least" and found >= c):
        return "supported", f"{found} found, {'at least ' if q == 'at_least' else ''}{c} claimed"
    if q == "exactly" and found > c:
        return "contradicted", f"{found} found, not {c}"
    if found == 0:
        return "contradicted", f"none found, {c} claimed"
    return "partly_supported", f"only {found} found of the {c} claimed"


def check_claim(
    claim: Claim, store: Any, *, events: pa.Table | None = None, vessels: pa.Table | None = None
) -> dict[str, Any]:
    """The check of one claim against ``store`` (a :class:`seawatch.store.Store`):
    ``claim_id, checked_at, verdict, found, evidence, coverage, explanation, quote, links``."""
    events = store.events() if events is None else events
    vessels = store.vessels() if vessels is None else vessels
    lo, hi = claim.period_start, claim.period_end
    out: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "checked_at": _utc(datetime.now(UTC)),
        "kind": claim.kind,
        "claimed": {"count": claim.count, "qualifier": claim.qualifier, "negated": claim.negated},
        "period": {"start": _utc(lo), "end": _utc(hi)},
        "found": None,
        "evidence": {"event_ids": [], "incident_ids": [], "vessels": []},
        "coverage": {},
        "links": [],
    }

    def unobservable(why: str) -> dict[str, Any]:
        out["verdict"] = "unobservable"
        out["found"] = None
        out["explanation"] = why
        out["quote"] = f"AIS data cannot confirm or refute this: {why}."
        return out

    if claim.kind in _NO_AIS_KINDS:
        return unobservable(_NO_AIS_KINDS[claim.kind])
    if any(v.type == "small_boat" for v in claim.vessels):
        return unobservable("small boats, skiffs and go-fast boats carry no AIS")
    area, why = _area(claim.places)
    if area is None:
        return unobservable(why)
    coverage = _coverage(store, area, lo, hi)
    out["coverage"] = coverage
    if coverage["store_first_day"] is None:
        return unobservable("the store holds no AIS positions")
    if coverage["positions"] == 0:
        span = f"{coverage['store_first_day']} to {coverage['store_last_day']}"
        if lo is not None and (
            lo.date().isoformat() > coverage["store_last_day"]
            or (hi is not None and hi.date().isoformat() <= coverage["store_first_day"])
        ):
            return unobservable(f"the period is outside the store's data ({span})")
        return unobservable(f"no AIS position was received in {area.label} in that period")
    heard: set[int] = coverage.pop("_heard", set())
    constraints, labels, named = _vessel_filter(claim, vessels)
    silences: list[dict[str, Any]] = []
    unmeasured: list[dict[str, Any]] = []
    if claim.kind == "dark":
        silences, unmeasured = _open_silences(store, area, constraints, lo, hi, at_ports=any(named))
    for c, label, is_named in zip(constraints, labels, named, strict=True):
        if is_named and not (c & heard) and not silences:
            return unobservable(
                f"{label} has no AIS position in the store in that period (no AIS, "
                "switched off, or out of reception: the data cannot show what it did)"
            )
    if claim.kind == "presence":
        found, ids, mmsis = _presence(store, claim, area, constraints, lo, hi)
        unit = "vessels"
    else:
        found, ids, incidents, mmsis = _events(events, claim, area, constraints, lo, hi)
        out["evidence"]["incident_ids"] = incidents
        unit = "incidents" if claim.kind == "engagement" else "events"
    out["found"] = found
    out["evidence"]["event_ids"] = ids
    out["evidence"]["vessels"] = mmsis
    span = f"&since={_utc(lo)}&until={_utc(hi)}" if lo is not None and hi is not None else ""
    out["links"] = [f"/#event={i}" for i in ids[:20]] + [f"/#vessel={m}{span}" for m in mmsis[:20]]
    verdict, why = _verdict(claim, found)
    if silences and found == 0:
        # silent until the data ends: no gap is measured (a gap needs the vessel heard
        # again), but nothing shows the vessel kept transmitting either
        k, last = len(silences), max(x["hours_silent"] for x in silences)
        who_s = ", ".join(str(x["mmsi"]) for x in silences[:5]) + (" ..." if k > 5 else "")
        verdict = "partly_supported"
        why = (
            f"no gap measured, but {k} matching vessel(s) ({who_s}) were last heard there in "
            f"the period and not again in the store's data (up to {last:.1f} h after): their "
            "AIS may have been switched off, or they left reception"
        )
        out["evidence"]["open_silences"] = silences
        mmsis = sorted({*mmsis, *(int(x["mmsi"]) for x in silences)})
        out["evidence"]["vessels"] = mmsis
    elif unmeasured and found == 0:
        k = len(unmeasured)
        who_s = ", ".join(str(x["mmsi"]) for x in unmeasured[:5]) + (" ..." if k > 5 else "")
        out["coverage"]["unmeasured_silences"] = unmeasured
        return unobservable(
            f"{k} matching vessel(s) ({who_s}) were last heard there in the period and not "
            "again, but the store's data after that is too short or has too little reception "
            "there to tell whether their AIS went off"
        )
    if found == 0 and verdict in ("contradicted", "supported") and not silences:
        # a verdict that rests on an absence needs data dense enough to show a presence
        thin = _too_thin(claim.kind, out["coverage"])
        if thin is not None:
            return unobservable(thin)
    if claim.kind == "seizure":
        if found == 0:
            return unobservable(
                "AIS does not show boardings or seizures, and no interception was found before one"
            )
        verdict, why = (
            "partly_supported",
            f"{found} interception(s) found; AIS does not show the boarding or seizure itself",
        )
    verb = " of" if claim.kind == "presence" else " involving"
    who = f"{verb} {', '.join(labels)}" if labels else ""
    where = "anywhere" if area.label == "anywhere" else f"in {area.label}"
    when = f" between {lo.date()} and {hi.date()}" if lo and hi else ""
    out["verdict"] = verdict
    out["explanation"] = f"{why} ({claim.kind}: {unit}{who} {where}{when})"
    out["quote"] = (
        f"seawatch found {found} {claim.kind.replace('_', ' ')} {unit}{who} {where}"
        f"{when} in AIS data ({coverage['positions']:,} positions from {coverage['vessels']} "
        "vessels received there). AIS shows only vessels that transmit it and areas with "
        "reception; vessels without AIS or with it switched off are not counted."
    )
    return out


def _events(
    events: pa.Table,
    claim: Claim,
    area: _Area,
    constraints: list[set[int]],
    lo: datetime | None,
    hi: datetime | None,
) -> tuple[int, list[str], list[str], list[int]]:
    from seawatch.report import EventFilter

    # type, period, zone and region through the one query layer (compiled SQL); what the
    # query cannot say (a position inside a zone's polygon, within a radius of a point) is
    # a test on the selected events' positions
    entry = claim.kind == "entry" and bool(area.country)
    by_region = bool(area.regions) and not area.zone and area.center is None
    ev = EventFilter(
        types=EVENT_TYPES_OF_KIND[claim.kind],
        since=lo,
        until=hi,
        zones=(f"{area.country}-territorial",) if entry else None,
        regions=area.regions if by_region and not entry else None,
    ).apply(events)
    if not entry and ev.num_rows:
        lat = ev.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
        lon = ev.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
        region = np.asarray(ev.column("region").to_pylist(), object)
        ev = ev.filter(pa.array(area.contains(lat, lon, region)))
    if constraints and ev.num_rows:
        vs = [set(x) for x in ev.column("vessels").to_pylist()]
        keep = [all(v & c for c in constraints) for v in vs]
        ev = ev.filter(pa.array(keep, pa.bool_()))
    ev = ev.sort_by([("start", "ascending"), ("event_id", "ascending")])
    ids = [str(x) for x in ev.column("event_id").to_pylist()]
    vessel_lists = ev.column("vessels").to_pylist()
    mmsis = sorted({int(m) for vs in vessel_lists for m in vs})
    if claim.kind != "engagement":
        return len(ids), ids, [], mmsis
    # engagements counted once: the store's incident ids, or, for events of a store
    # detected before incidents existed, the same linking rule applied now
    from seawatch.detect import link_incidents

    inc = ev.column("incident_id") if "incident_id" in ev.column_names else None
    if inc is None or inc.null_count:
        ev = link_incidents(ev)
    named = sorted({str(i) for i in ev.column("incident_id").to_pylist()})
    return len(named), ids, named, mmsis


def _open_silences(
    store: Any,
    area: _Area,
    constraints: list[set[int]],
    lo: datetime | None,
    hi: datetime | None,
    *,
    at_ports: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Vessels of the claim last heard inside its area in its period and never again in the
    store: ``(silences, unmeasured)``.

    A *silence* is one the gap detector would measure if the vessel were heard again: the
    store's data goes on for at least ``min_gap_h`` after the last fix, and the cells
    around it heard other traffic in at least ``min_coverage_fraction`` of those hours (the
    gap detector's coverage rule, with its parameters). The gap detector does not report
    such open silences (a gap is measured when the vessel is heard again). The others are
    *unmeasured*: the data ends too soon after, or the receivers heard too little there to
    tell a vessel gone dark from the sampling of the data. Only vessels last heard away from
    port (``min_port_dist_m``) count, as for the gap detector, unless ``at_ports`` (the
    claim names its vessels: theirs count wherever they were). Each: ``mmsi``,
    ``last_heard`` (UTC), ``lat``, ``lon``, ``hours_silent`` (to the end of the store's
    data), ``covered_fraction``."""
    from seawatch.detect import preset_params
    from seawatch.detect.coverage import as_grid, coverage_sql, reception_during

    params = preset_params("default")["gap"]
    rows = store.query(
        "SELECT mmsi, max(ts) AS last_ts, arg_max(lat, ts) AS lat, arg_max(lon, ts) AS lon "
        "FROM positions GROUP BY mmsi"
    )
    if rows.num_rows == 0:
        return [], []
    end = pc.max(rows.column("last_ts")).as_py()
    ts = rows.column("last_ts").to_pylist()
    lat = rows.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = rows.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
    mmsi = [int(m) for m in rows.column("mmsi").to_pylist()]
    hours = np.array([(end - t).total_seconds() / 3600.0 for t in ts])
    keep = (hours > 0) & area.contains(lat, lon)
    if lo is not None:
        keep &= np.array([t >= lo for t in ts])
    if hi is not None:
        keep &= np.array([t < hi for t in ts])
    for c in constraints:
        keep &= np.array([m in c for m in mmsi])
    if not at_ports and params.min_port_dist_m > 0 and keep.any():
        from seawatch.geo import nearest_port

        idx = np.flatnonzero(keep)
        dist, _ = nearest_port(lat[idx], lon[idx])
        keep[idx] &= np.asarray(dist) >= params.min_port_dist_m
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return [], []
    # the coverage grid by the portable SQL in the store's DuckDB (no positions loaded)
    grid = as_grid(store.query(coverage_sql(cell_deg=params.coverage_cell_deg)))
    last_us = np.array([int(ts[i].timestamp() * 1_000_000) for i in idx], np.int64)
    rec = reception_during(
        grid,
        start_us=last_us,
        end_us=np.full(len(idx), int(end.timestamp() * 1_000_000), np.int64),
        lat0=lat[idx],
        lon0=lon[idx],
        lat1=lat[idx],
        lon1=lon[idx],
        cell_deg=params.coverage_cell_deg,
        ring=params.coverage_ring_cells,
        min_positions_per_hour=params.coverage_min_positions_per_hour,
    )
    fraction = rec.fraction
    silences: list[dict[str, Any]] = []
    unmeasured: list[dict[str, Any]] = []
    for k, i in enumerate(idx.tolist()):
        row = {
            "mmsi": mmsi[i],
            "last_heard": _utc(ts[i]),
            "lat": round(float(lat[i]), 5),
            "lon": round(float(lon[i]), 5),
            "hours_silent": round(float(hours[i]), 1),
            "covered_fraction": round(float(fraction[k]), 2),
        }
        measurable = hours[i] >= params.min_gap_h and fraction[k] >= params.min_coverage_fraction
        (silences if measurable else unmeasured).append(row)
    return silences, unmeasured


def _presence(
    store: Any,
    claim: Claim,
    area: _Area,
    constraints: list[set[int]],
    lo: datetime | None,
    hi: datetime | None,
) -> tuple[int, list[str], list[int]]:
    pos = store.positions(since=lo, until=hi, columns=["mmsi", "lat", "lon"])
    lat = pos.column("lat").to_numpy(zero_copy_only=False).astype(np.float64)
    lon = pos.column("lon").to_numpy(zero_copy_only=False).astype(np.float64)
    if area.country and area.radius_nm is not None and area.radius_nm not in (12.0, 24.0, 200.0):
        from seawatch.geo import distance_to_shore_m, zones

        inside = np.asarray(zones().contains(f"{area.country}-eez", lat, lon), np.bool_)
        inside &= np.asarray(distance_to_shore_m(lat, lon)) <= area.radius_nm * M_PER_NM
    else:
        inside = area.contains(lat, lon)
    mmsi = set(int(m) for m in pos.column("mmsi").to_numpy(zero_copy_only=False)[inside])
    for c in constraints:
        mmsi &= c
    return len(mmsi), [], sorted(mmsi)


def check_claims(claims: Sequence[Claim], store: Any) -> list[dict[str, Any]]:
    """:func:`check_claim` for each claim (the store's events and vessels read once)."""
    events = store.events()
    vessels = store.vessels()
    return [check_claim(c, store, events=events, vessels=vessels) for c in claims]
