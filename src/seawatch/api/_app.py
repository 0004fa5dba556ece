"""The FastAPI application: routes (thin: parse, call ``_data``/``_shapes``, return JSON),
the map and report pages, and security headers.

Read-only by construction: every route is a GET over a read-only view of the store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from seawatch._csvsafe import csv_safe
from seawatch._exceptions import ParameterError
from seawatch._version import __version__
from seawatch.api import _models as m
from seawatch.api._data import Data, EventFilter, open_data
from seawatch.api._errors import ErrorResponse, install_error_handlers
from seawatch.api._guard import Guard
from seawatch.api._live import live_router
from seawatch.api._shapes import (
    TrackParams,
    land_geojson,
    presence,
    tolerance_for_zoom,
    track_json,
    zone_names,
    zones_geojson,
)
from seawatch.report import parse_bbox, records
from seawatch.web import STATIC_DIR

__all__ = ["create_app"]

MAX_MMSI = 4_294_967_295
MAX_LIST_VALUES = 32
"""Most distinct values a comma-separated list parameter may hold (more: 422)."""
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Host name not answered by this server"},
    401: {"model": ErrorResponse, "description": "Access token missing or wrong"},
    404: {"model": ErrorResponse, "description": "Not found"},
    414: {"model": ErrorResponse, "description": "URL too long"},
    422: {"model": ErrorResponse, "description": "Invalid parameters"},
    500: {"model": ErrorResponse, "description": "Server error"},
    503: {"model": ErrorResponse, "description": "Bundled geography not available"},
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError as exc:
        raise ParameterError(f"time out of range: {ts.isoformat()}") from exc


def _split(text: str | None, name: str = "list") -> tuple[str, ...] | None:
    """The distinct comma-separated values of a list parameter, in order (at most
    :data:`MAX_LIST_VALUES`; more are a 422)."""
    if text is None:
        return None
    parts = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if len(parts) > MAX_LIST_VALUES:
        raise ParameterError(
            f"{name}: {len(parts)} distinct values; at most {MAX_LIST_VALUES} are accepted"
        )
    return parts or None


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    return None if text is None else parse_bbox(text)


def _check_span(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until < since:
        raise ParameterError("until must not be before since")


TypeQ = Annotated[str | None, Query(description="event types, comma-separated")]
RegionQ = Annotated[str | None, Query(description="regions, comma-separated")]
ZoneQ = Annotated[
    str | None, Query(description="zones (VE-eez, VE-territorial ...), comma-separated")
]
SinceQ = Annotated[datetime | None, Query(description="ISO 8601 time (UTC if no offset)")]
UntilQ = Annotated[datetime | None, Query(description="ISO 8601 time (UTC if no offset)")]
FlagQ = Annotated[str | None, Query(description="ISO alpha-2 flags, comma-separated")]
GroupQ = Annotated[
    str | None,
    Query(
        description="vessel roles (military, law_enforcement, government, tanker, cargo ...; "
        "docs/ROLES.md), comma-separated"
    ),
]
IncidentQ = Annotated[str | None, Query(description="incident ids, comma-separated")]
MinConfidenceQ = Annotated[
    float | None, Query(ge=0.0, le=1.0, description="events with at least this confidence")
]
SimulatedQ = Annotated[
    bool | None,
    Query(description="true: events marked simulated; false: events marked real"),
]
VesselQ = Annotated[int | None, Query(ge=0, le=MAX_MMSI, description="MMSI involved")]
_NUM = r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*"
BboxQ = Annotated[
    str | None,
    Query(
        description="min_lon,min_lat,max_lon,max_lat (degrees; min_lon > max_lon crosses 180)",
        pattern=f"^{_NUM}(,{_NUM}){{3}}$",
    ),
]


def _filter_dependency(db: Data) -> Any:
    """The one validated filter (:class:`seawatch.report.EventFilter`) of ``/api/events``
    and ``/api/report``, as a FastAPI dependency over the filter's query parameters:
    unknown values are a 422 that lists the valid ones."""

    def event_filter(
        type: TypeQ = None,
        region: RegionQ = None,
        vessel: VesselQ = None,
        since: SinceQ = None,
        until: UntilQ = None,
        flag: FlagQ = None,
        group: GroupQ = None,
        bbox: BboxQ = None,
        zone: ZoneQ = None,
        incident: IncidentQ = None,
        min_confidence: MinConfidenceQ = None,
        simulated: SimulatedQ = None,
    ) -> EventFilter:
        since_u, until_u = _utc(since), _utc(until)
        _check_span(since_u, until_u)
        return EventFilter.build(
            types=_split(type, "type"),
            regions=_split(region, "region"),
            zones=_split(zone, "zone"),
            vessels=vessel,
            since=since_u,
            until=until_u,
            flags=_split(flag, "flag"),
            groups=_split(group, "group"),
            bbox=_bbox(bbox),
            incidents=_split(incident, "incident"),
            min_confidence=min_confidence,
            simulated=simulated,
            vocab=db.vocabulary(),
        )

    return Depends(event_filter)


Detail = Annotated[
    Literal["low", "medium", "high"],
    Query(description="level of detail: low 0.1, medium 0.02, high 0.005 degrees"),
]


def _json_text(text: str) -> Response:
    return Response(text, media_type="application/json")


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html")


def _warm_watchlists(root: Path) -> None:
    """Parse and index the watchlists now (once per version of their files; a malformed user
    list is logged and skipped), so that no vessel request pays for it."""
    from seawatch.watchlist import all_lists, vessel_status

    vessel_status(0, [], all_lists(root))


def create_app(
    store: Path | None = None,
    *,
    data: Data | None = None,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    token: str | None = None,
    zones: Path | None = None,
) -> FastAPI:
    """The API and map application over the store at ``store`` (or an open :class:`Data`).

    Requests must name this server in their Host header: ``localhost``, ``127.0.0.1``,
    ``[::1]``, ``host`` (the bound address), an IP literal or one of ``allowed_hosts``
    (``"*"``: any); with a ``token`` every request must carry it (see
    :mod:`seawatch.api._guard`). ``zones``: a GeoJSON file of user zones that ``/api/zones``
    serves beside the bundled ones (validated here: GeoError).
    """
    if zones is not None:
        from seawatch.geo import zones as load_zones

        load_zones(zones)  # validate now: a bad file is one error at start, not a 500 later
    if data is None:
        if store is None:
            raise ParameterError("create_app needs a store path or a Data object")
        data = open_data(store)
    db = data
    # a default, not an Annotated alias: the annotations are strings (PEP 563) that FastAPI
    # resolves in the module's globals, where a name local to create_app is not found
    with_filter = _filter_dependency(db)
    _warm_watchlists(Path(db.store.root))
    app = FastAPI(
        title="seawatch",
        version=__version__,
        description="Read-only API over a seawatch store: events, vessels, tracks, "
        "reports, presence and zones. Every error has the shape "
        '`{"error": {"status", "title", "detail"}}`.',
        responses=_ERRORS,
        # FastAPI's Swagger/ReDoc pages load their scripts from a CDN: left out (offline)
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=4096, compresslevel=1)

    app.add_middleware(
        Guard,
        allowed_hosts=(host, *allowed_hosts),
        token=token,
    )

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy", _CSP)
        return response

    # ---- pages ----------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return _page("index.html")

    @app.get("/report", include_in_schema=False)
    def report_page() -> FileResponse:
        return _page("report.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # ---- events ---------------------------------------------------------------------

    @app.get(
        "/api/events",
        response_model=None,
        tags=["events"],
        responses={200: {"model": m.EventCollection}},
    )
    def list_events(
        f: EventFilter = with_filter,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> JSONResponse:
        """Events matching the filters, as a GeoJSON FeatureCollection ordered by start time."""
        features, total = db.events(f, limit=limit, offset=offset)
        # an empty answer says what the store cannot match (an MMSI never heard, a period
        # outside its data), as `seawatch events` does on stderr
        notes = {"notes": db.empty_notes(f)} if total == 0 else {}
        return JSONResponse(
            records.events_geojson(
                features,
                numberMatched=total,
                numberReturned=len(features),
                limit=limit,
                offset=offset,
                **notes,
            )
        )

    @app.get(
        "/api/events/{event_id}",
        response_model=None,
        tags=["events"],
        responses={200: {"model": m.EventDetailFeature}},
    )
    def get_event(event_id: Annotated[str, PathParam(max_length=200)]) -> JSONResponse:
        """One event with the identity of each vessel involved."""
        return JSONResponse(db.event(event_id))

    @app.get(
        "/api/facets", response_model=None, tags=["events"], responses={200: {"model": m.Facets}}
    )
    def facets() -> JSONResponse:
        """Event types, regions, flags, vessel roles and the time span in the store."""
        return JSONResponse(db.facets())

    # ---- vessels --------------------------------------------------------------------

    @app.get(
        "/api/vessels",
        response_model=None,
        tags=["vessels"],
        responses={200: {"model": list[m.VesselSummary]}},
    )
    def search_vessels(
        q: Annotated[str, Query(min_length=1, max_length=100, description="name, MMSI or IMO")],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> JSONResponse:
        """Vessels whose MMSI or IMO starts with ``q`` or whose name contains it."""
        return JSONResponse(db.search_vessels(q, limit=limit))

    @app.get(
        "/api/vessels/{mmsi}",
        response_model=None,
        tags=["vessels"],
        responses={200: {"model": m.Vessel}},
    )
    def get_vessel(
        mmsi: Annotated[int, PathParam(ge=0, le=MAX_MMSI)],
        max_events: Annotated[int, Query(ge=0, le=10_000)] = 1000,
    ) -> JSONResponse:
        """Identity history, flag, group, watchlist status and events (in time order)."""
        return JSONResponse(db.vessel(mmsi, max_events=max_events))

    @app.get(
        "/api/vessels/{mmsi}/track",
        response_model=None,
        tags=["vessels"],
        responses={200: {"model": m.TrackFeature}},
    )
    def get_track(
        mmsi: Annotated[int, PathParam(ge=0, le=MAX_MMSI)],
        since: SinceQ = None,
        until: UntilQ = None,
        zoom: Annotated[float | None, Query(ge=0, le=24, description="web-map zoom")] = None,
        tolerance: Annotated[
            float | None, Query(ge=0, le=10, description="simplification tolerance, degrees")
        ] = None,
        max_gap_h: Annotated[float, Query(gt=0, le=10_000)] = 6.0,
    ) -> Response:
        """The track as a GeoJSON LineString (MultiLineString when cut at gaps >= max_gap_h),
        simplified (Douglas-Peucker) for ``zoom`` or to ``tolerance`` degrees."""
        since_u, until_u = _utc(since), _utc(until)
        _check_span(since_u, until_u)
        if tolerance is not None:
            tol = tolerance
        elif zoom is not None:
            tol = tolerance_for_zoom(zoom)
        else:
            tol = 0.0
        params = TrackParams(since=since_u, until=until_u, tolerance_deg=tol, max_gap_h=max_gap_h)
        return _json_text(track_json(db, mmsi, params))

    # ---- report and presence --------------------------------------------------------

    @app.get(
        "/api/report",
        response_model=None,
        tags=["report"],
        responses={
            200: {"model": m.ReportResult, "content": {"text/csv": {"schema": {"type": "string"}}}}
        },
    )
    def report(
        by: Annotated[
            str, Query(description="type, day, region, zone, flag, group; comma-separated")
        ] = "type",
        f: EventFilter = with_filter,
        format: Literal["json", "csv"] = "json",
    ) -> Response:
        """Event counts (events, distinct vessels, hours, distinct incidents) grouped by the
        ``by`` keys, and ``engagements``: the matching encounters and interceptions counted
        as incidents (one engagement can include both), with the breakdown by kind."""
        keys = list(_split(by, "by") or ())
        rows = db.report(f, by=keys)
        if format == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(
                buf,
                fieldnames=[*keys, "n_events", "n_vessels", "duration_h", "n_incidents"],
                lineterminator="\n",
            )
            writer.writeheader()
            # text cells a spreadsheet would run as formulas get a leading ' (one rule)
            writer.writerows(
                {k: csv_safe(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows
            )
            return Response(
                buf.getvalue(),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="seawatch-report.csv"'},
            )
        from seawatch.report.records import counts_document

        return JSONResponse(counts_document(rows, by=keys, engagements=db.engagements(f)))

    @app.get(
        "/api/presence",
        response_model=None,
        tags=["report"],
        responses={200: {"model": m.Presence}},
    )
    def get_presence(
        country: Annotated[
            str, Query(max_length=100, description="ISO alpha-2 of a coast with bundled zones")
        ],
        ranges_nm: Annotated[
            str,
            Query(
                pattern=r"^\s*\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*$",
                description="distances from the coast, nm, each in (0, 200], comma-separated",
            ),
        ] = "12,24,200",
        since: SinceQ = None,
        until: UntilQ = None,
        flag: FlagQ = None,
        group: GroupQ = None,
        max_gap_h: Annotated[float, Query(gt=0, le=48)] = 1.0,
        max_unheard_h: Annotated[float, Query(ge=0, le=48)] = 12.0,
        by: Literal["vessel", "day"] = "vessel",
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> JSONResponse:
        """Hours per vessel (or per day and vessel) within each range of a country's coast,
        and the closest approach (see ``seawatch.report.presence``)."""
        since_u, until_u = _utc(since), _utc(until)
        _check_span(since_u, until_u)
        ranges = tuple(float(r) for r in _split(ranges_nm, "ranges_nm") or ())
        f = EventFilter.build(
            flags=_split(flag, "flag"), groups=_split(group, "group"), vocab=db.vocabulary()
        )
        return JSONResponse(
            presence(
                db,
                country,
                ranges_nm=ranges,
                since=since_u,
                until=until_u,
                flags=f.flags,
                groups=f.groups,
                max_gap_h=max_gap_h,
                max_unheard_h=max_unheard_h,
                by=by,
                limit=limit,
            )
        )

    # ---- claims ---------------------------------------------------------------------

    @app.get(
        "/api/claims", response_model=None, tags=["claims"], responses={200: {"model": m.ClaimList}}
    )
    def get_claims(
        verdict: Annotated[
            str | None,
            Query(
                description="supported, partly_supported, contradicted, unobservable, "
                "unchecked; comma-separated"
            ),
        ] = None,
        region: RegionQ = None,
        since: SinceQ = None,
        until: UntilQ = None,
    ) -> dict[str, Any]:
        """The claims kept in the store (``seawatch claims add|extract --add``) with their
        latest check (``seawatch claims check``); with ``region``/``since``/``until``, those
        about these regions whose period overlaps (as beside ``seawatch report``)."""
        from seawatch.claims import VERDICTS, claims_for

        wanted = _split(verdict, "verdict")
        bad = sorted(set(wanted or ()) - {*VERDICTS, "unchecked"})
        if bad:
            raise ParameterError(f"verdict: unknown value(s) {', '.join(bad)}")
        lo, hi = _utc(since), _utc(until)
        _check_span(lo, hi)
        rows = [
            r
            for r in claims_for(db.store, regions=_split(region, "region"), since=lo, until=hi)
            if not wanted or (r["check"]["verdict"] if r["check"] else "unchecked") in wanted
        ]
        return {"claims": rows}

    # ---- geography ------------------------------------------------------------------

    @app.get(
        "/api/zones",
        response_model=None,
        tags=["geography"],
        responses={200: {"model": m.FeatureCollection}},
    )
    def get_zones(
        name: Annotated[str | None, Query(description="zone names, comma-separated")] = None,
        kind: Annotated[str | None, Query(description="zone kinds, comma-separated")] = None,
        country: Annotated[str | None, Query(description="ISO alpha-2, comma-separated")] = None,
        detail: Detail = "medium",
    ) -> Response:
        """The bundled zones (named regions, territorial seas, contiguous zones, EEZs) and
        the server's user zones (kind ``user``) as GeoJSON, simplified to the level of
        ``detail``. An unknown zone name or country is a 422 that lists the valid ones."""
        from seawatch.report import choose, vocabulary

        names, countries = _split(name, "name"), _split(country, "country")
        if names:
            names = choose("zone", names, tuple(zone_names(zones)))
        if countries:
            countries = choose("country", countries, vocabulary().countries)
        return _json_text(
            zones_geojson(
                names=names,
                kinds=_split(kind, "kind"),
                countries=countries,
                detail=detail,
                extra=zones,
            )
        )

    @app.get(
        "/api/land",
        response_model=None,
        tags=["geography"],
        responses={200: {"model": m.FeatureCollection}},
    )
    def get_land(detail: Detail = "medium") -> Response:
        """The bundled land polygons (the map's offline basemap) as GeoJSON."""
        return _json_text(land_geojson(detail=detail))

    from seawatch.api._brief import brief_router

    app.include_router(brief_router(db))  # /api/brief, /api/detections
    app.include_router(live_router(Path(db.store.root)))  # /api/feeds, history, SSE
    app.state.data = db
    return app
