"""``GET /api/brief`` (the situation brief of ``seawatch report``, as JSON) and
``GET /api/detections`` (satellite/radar detections, each with what the matcher made of it).

Routes of their own (an :class:`~fastapi.APIRouter` that :func:`seawatch.api.create_app`
includes); the brief is built by :func:`seawatch.claims.brief_with_claims`, the one home the
CLI prints too, and the detections are read here from the store's ``detections`` view and
joined to the matcher's events (:mod:`seawatch.detect.dark`) by ``details.detection_id``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from seawatch.api._app import BboxQ, FlagQ, GroupQ, RegionQ, SinceQ, UntilQ, _bbox, _check_span
from seawatch.api._app import _split as split_list
from seawatch.api._app import _utc as as_utc
from seawatch.api._data import iso
from seawatch.report.records import BRIEF_SCHEMA, DETECTIONS_SCHEMA

if TYPE_CHECKING:
    from seawatch.api._data import Data

__all__ = ["DETECTION_STATUSES", "brief_router", "detection_features"]

DETECTION_STATUSES = ("matched", "dark", "no_ais_coverage", "not_matched_yet")
"""What the matcher made of a detection: ``matched`` to an AIS vessel (a ``detected_by``
event), ``dark`` (a ``dark_detection`` with AIS vessels heard in the scene: none explains
it), ``no_ais_coverage`` (an ``unidentified_detection``: in a scene where no AIS vessel was
heard, so not called dark) or ``not_matched_yet`` (no matcher event: ``seawatch detect``
has not run since the detections were ingested)."""
_MATCHER_TYPES = ("detected_by", "dark_detection", "unidentified_detection", "ais_mismatch")


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _num(value: Any, digits: int) -> float | None:
    if value is None:
        return None
    x = float(value)
    return round(x, digits) if math.isfinite(x) else None


def _status(by_type: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The status of one detection from its matcher events (type -> details), and in words."""
    if "detected_by" in by_type:
        return "matched", "matched to an AIS vessel"
    if "unidentified_detection" in by_type:
        return "no_ais_coverage", "unidentified: no AIS vessel was heard in the scene"
    if "dark_detection" in by_type:
        return "dark", "no AIS vessel explains it although AIS vessels were heard in the scene"
    return "not_matched_yet", "not matched yet (run seawatch detect)"


def detection_features(
    db: Data,
    *,
    bbox: tuple[float, float, float, float] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> dict[str, Any]:
    """The detections in ``bbox`` (min_lon > max_lon crosses 180) and ``[since, until)``,
    in time order, at most ``limit``, as a GeoJSON FeatureCollection; each feature says what
    the matcher made of it (``status``, :data:`DETECTION_STATUSES`) and, when matched, the
    vessel (MMSI, name, flag, role) and the distance to its AIS position."""
    from seawatch.store import bbox_where, span_where

    span, args = span_where(since, until)
    clauses = ["lat IS NOT NULL", "lon IS NOT NULL", *span]
    if bbox is not None:
        more, more_args = bbox_where(bbox)
        clauses += more
        args += more_args
    where = " AND ".join(clauses)
    cols = "detection_id, source, scene_id, ts, lat, lon, length_m, width_m, heading_deg, score"
    with db._cursor() as cur:
        total = int(
            cur.execute(f"SELECT count(*) FROM detections WHERE {where}", args).fetchall()[0][0]
        )
        rows = cur.execute(
            f"SELECT {cols} FROM detections WHERE {where} ORDER BY ts, detection_id LIMIT ?",
            [*args, limit],
        ).fetchall()
        matcher: list[tuple[Any, ...]] = []
        if rows:
            lo = min(r[3] for r in rows)
            hi = max(r[3] for r in rows)
            matcher = cur.execute(
                "SELECT event_id, type, vessels, details FROM _events WHERE type IN "
                '(SELECT unnest(?::VARCHAR[])) AND "start" >= ? AND "start" <= ?',
                [list(_MATCHER_TYPES), lo, hi],
            ).fetchall()
        events: dict[str, dict[str, dict[str, Any]]] = {}
        for event_id, typ, vessels, details in matcher:
            try:
                d = json.loads(details or "{}")
            except json.JSONDecodeError:
                continue
            if not isinstance(d, dict) or not isinstance(d.get("detection_id"), str):
                continue
            d["_event_id"], d["_vessels"] = event_id, [int(v) for v in vessels or []]
            events.setdefault(d["detection_id"], {})[typ] = d
        mmsis = sorted(
            {
                v
                for by in events.values()
                for typ in ("detected_by", "ais_mismatch")
                for v in by.get(typ, {}).get("_vessels", [])
            }
        )
        info: dict[int, tuple[Any, ...]] = {}
        if mmsis:
            for r in cur.execute(
                "SELECT mmsi, name, flag, role FROM _vessels "
                "WHERE mmsi IN (SELECT unnest(?::UINTEGER[]))",
                [mmsis],
            ).fetchall():
                info[int(r[0])] = r

    def vessel(mmsi: int) -> dict[str, Any]:
        r = info.get(mmsi, (mmsi, None, None, None))
        return {"mmsi": mmsi, "name": r[1], "flag": r[2], "role": r[3]}

    features: list[dict[str, Any]] = []
    for det_id, source, scene, ts, lat, lon, length, width, heading, score in rows:
        by = events.get(det_id, {})
        status, text = _status(by)
        match = by.get("detected_by")
        mism = by.get("ais_mismatch")
        event = match or by.get("dark_detection") or by.get("unidentified_detection")
        features.append(
            {
                "type": "Feature",
                "id": det_id,
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "detection_id": det_id,
                    "time": iso(ts),
                    "source": source,
                    "scene_id": scene,
                    "lat": _num(lat, 6),
                    "lon": _num(lon, 6),
                    "length_m": _num(length, 1),
                    "width_m": _num(width, 1),
                    "heading_deg": _num(heading, 1),
                    "score": _num(score, 3),
                    "status": status,
                    "status_text": text,
                    "event_id": event["_event_id"] if event else None,
                    "vessel": vessel(match["_vessels"][0]) if match and match["_vessels"] else None,
                    "match_dist_m": _num(match.get("dist_m"), 1) if match else None,
                    "ais_mismatch": vessel(mism["_vessels"][0])
                    if mism and mism["_vessels"]
                    else None,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "schema": DETECTIONS_SCHEMA,
        "features": features,
        "numberMatched": total,
        "numberReturned": len(features),
        "limit": limit,
    }


def brief_router(db: Data) -> APIRouter:
    """The routes of this module over ``db``."""
    router = APIRouter()

    @router.get("/api/brief", response_model=None, tags=["report"])
    def get_brief(
        region: RegionQ = None,
        since: SinceQ = None,
        until: UntilQ = None,
        flag: FlagQ = None,
        group: GroupQ = None,
        country: Annotated[
            str,
            Query(
                max_length=100,
                description="ISO alpha-2 of the coast naval presence is measured against",
            ),
        ] = "VE",
    ) -> JSONResponse:
        """The situation brief ``seawatch report --format json`` prints, built by the same
        function (:func:`seawatch.claims.brief_with_claims`): the data it rests on, counts
        (engagements as incidents), engagements, naval presence near ``country``, dark
        activity, spoofing, identity changes, sanctions hits, dark vessels, the legend (what
        each count counts) and the claims about the same regions and period with their
        verdicts. Times are UTC. An unknown region, flag, group or country is a 422 that
        lists the valid values."""
        from seawatch.claims import brief_with_claims
        from seawatch.report import check_country

        lo, hi = as_utc(since), as_utc(until)
        _check_span(lo, hi)
        body = brief_with_claims(
            db.store,
            regions=split_list(region, "region"),
            since=lo,
            until=hi,
            country=check_country(country),
            flags=split_list(flag, "flag"),
            groups=split_list(group, "group"),
        )
        # as the CLI writes it (json.dump with default=str), and without NaN (not JSON)
        text = json.dumps(
            _finite({"schema": BRIEF_SCHEMA, **body}), ensure_ascii=False, default=str
        )
        return JSONResponse(json.loads(text))

    @router.get("/api/detections", response_model=None, tags=["detections"])
    def get_detections(
        bbox: BboxQ = None,
        since: SinceQ = None,
        until: UntilQ = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    ) -> JSONResponse:
        """Satellite/radar detections (``seawatch ingest --kind detections``) in time order, as a
        GeoJSON FeatureCollection: time (UTC), source, scene, length, and ``status``, what
        the matcher made of each: ``matched`` (with the AIS vessel), ``dark`` (no AIS vessel
        explains it although AIS was heard in the scene), ``no_ais_coverage`` (no AIS was
        heard in the scene: unidentified) or ``not_matched_yet`` (``seawatch detect`` has
        not run since)."""
        lo, hi = as_utc(since), as_utc(until)
        _check_span(lo, hi)
        return JSONResponse(
            detection_features(db, bbox=_bbox(bbox), since=lo, until=hi, limit=limit)
        )

    return router
