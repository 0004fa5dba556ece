"""Response models: they document the API in its OpenAPI schema.

Routes return plain dicts (no per-request validation cost on large GeoJSON); these models
describe them, and the schemathesis test checks that every response conforms.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Geometry(BaseModel):
    """A GeoJSON geometry."""

    type: str
    coordinates: list[Any]


class EventProperties(BaseModel):
    """An event (columns of ``seawatch.schema.EVENTS``; times ISO 8601 UTC)."""

    event_id: str
    type: str
    start: str | None
    end: str | None
    vessels: list[int]
    lat: float | None
    lon: float | None
    duration_h: float | None
    region: str | None
    zone: str | None
    confidence: float | None
    details: Any = None
    incident_id: str
    """The incident the event describes (an interception and the encounter of the same pair
    at the same time share it); the event's own id when nothing links to it."""
    simulated: bool | None = Field(
        default=None,
        description="a vessel of the event was heard in simulated input (null: not recorded)",
    )


class VesselBrief(BaseModel):
    """Identity of a vessel."""

    mmsi: int
    name: str | None
    imo: int | None
    callsign: str | None
    flag: str | None
    ship_group: str | None = Field(description="ship group from the AIS type code")
    role: str | None = Field(
        default=None,
        description="military, law_enforcement, government or the ship group (docs/ROLES.md)",
    )
    role_source: str | None = Field(
        default=None, description="evidence for role: list, name, mmsi, callsign, ship_type"
    )


class EventDetailProperties(EventProperties):
    """An event with the identity of each vessel involved."""

    vessel_info: list[VesselBrief]


class EventFeature(BaseModel):
    """An event as a GeoJSON Feature (a Point; null when the event has no position)."""

    type: str = "Feature"
    id: str
    geometry: Geometry | None
    properties: EventProperties


class EventDetailFeature(BaseModel):
    """One event as a GeoJSON Feature with vessel identities."""

    type: str = "Feature"
    id: str
    geometry: Geometry | None
    properties: EventDetailProperties


class EventCollection(BaseModel):
    """A page of events (GeoJSON FeatureCollection) with paging counts."""

    schema_: str = Field(
        default="seawatch.events-geojson/1",
        alias="schema",
        description="the version of this shape (docs/schemas/events-geojson.schema.json)",
    )
    type: str = "FeatureCollection"
    features: list[EventFeature]
    numberMatched: int = Field(description="events matching the filters")
    numberReturned: int
    limit: int
    offset: int
    notes: list[str] | None = Field(
        default=None,
        description="only when nothing matched: what the store cannot match at all (an MMSI "
        "it never heard, a period outside its positions, an event type or flag it has none of)",
    )


class VesselSummary(VesselBrief):
    """A vessel found by a search."""

    first_seen: str | None
    last_seen: str | None


class IdentityRecord(BaseModel):
    """One value of one static field the vessel broadcast, with when and how often
    (``ship_group`` beside a ``ship_type`` value)."""

    value: str | int | float
    first_seen: str | None
    last_seen: str | None
    n_reports: int
    ship_group: str | None = None


class WatchlistHit(BaseModel):
    """A match of the vessel on a watchlist entry."""

    list: str
    list_date: str
    match: str
    confidence: float
    matched: str
    entry_id: str
    entry_name: str | None
    program: str | None


class WatchlistRef(BaseModel):
    """A watchlist the vessel was screened against, with the date it is valid for."""

    name: str
    date: str


class Watchlist(BaseModel):
    """Screening of every identity the vessel broadcast: ``hit`` or ``no_hit``."""

    status: str
    lists: list[WatchlistRef]
    hits: list[WatchlistHit]


class Vessel(BaseModel):
    """The vessel profile (``seawatch.vessel/1``, the record ``seawatch vessel --format
    json`` prints): latest identity, flag, role, track summary, the history of each static
    field, sanctions screening of every identity it broadcast, events (in time order) and
    the satellite/radar detections made while its AIS was silent that it may be."""

    schema_: str = Field(default="seawatch.vessel/1", alias="schema")
    mmsi: int
    name: str | None
    imo: int | None
    callsign: str | None
    ship_type: int | None
    flag: str | None
    country: str | None
    ship_group: str | None = Field(description="ship group from the AIS type code")
    role: str | None = Field(
        default=None,
        description="military, law_enforcement, government or the ship group (docs/ROLES.md)",
    )
    role_source: str | None = Field(
        default=None, description="evidence for role: list, name, mmsi, callsign, ship_type"
    )
    first_seen: str | None
    last_seen: str | None
    n_positions: int
    days_with_positions: int
    identity: dict[str, list[IdentityRecord]] = Field(
        description="per static field (name, callsign, imo, ship_type, dimensions, "
        "draught_m, destination, class): each value broadcast, first and last seen"
    )
    watchlist: Watchlist
    n_events: int
    events: list[EventProperties]
    dark_detections: list[dict[str, Any]]


class TrackProperties(BaseModel):
    """Counts and time span of a track."""

    schema_: str = Field(default="seawatch.track/1", alias="schema")
    mmsi: int
    n_positions: int
    n_points_out: int
    n_lines: int
    start: str | None
    end: str | None
    tolerance_deg: float


class TrackFeature(BaseModel):
    """A vessel track: LineString, or MultiLineString when cut at gaps; null when empty."""

    type: str = "Feature"
    id: str
    geometry: Geometry | None
    properties: TrackProperties


class AnyFeature(BaseModel):
    """A GeoJSON Feature."""

    type: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection."""

    type: str = "FeatureCollection"
    features: list[AnyFeature]


class Engagements(BaseModel):
    """Engagements counted as incidents (an interception and the encounter of the same
    pair at the same time are one engagement); ``encounters`` and ``interceptions``: how
    many engagements include one."""

    engagements: int
    encounters: int
    interceptions: int


class ReportResult(BaseModel):
    """Event counts grouped by the requested keys (rows: the keys, ``n_events``,
    ``n_vessels``, ``duration_h``, ``n_incidents``) and the engagements matching the
    filters."""

    by: list[str]
    rows: list[dict[str, Any]]
    engagements: Engagements


class PresenceRow(BaseModel):
    """Hours a vessel spent within each range (per day with ``by=day``)."""

    day: str | None = None
    mmsi: int
    name: str | None
    flag: str | None
    ship_group: str | None = Field(description="ship group from the AIS type code")
    role: str | None = Field(
        default=None,
        description="military, law_enforcement, government or the ship group (docs/ROLES.md)",
    )
    role_source: str | None = Field(
        default=None, description="evidence for role: list, name, mmsi, callsign, ship_type"
    )
    model_config = ConfigDict(extra="allow")
    """Beside these: ``hours_<r>nm``, the hours within each range (``hours_12nm`` ...), and
    ``unheard_hours_<r>nm``, the silences of up to ``max_unheard_h`` between two positions
    within it."""

    closest_nm: float | None
    first_seen: str | None
    last_seen: str | None
    n_positions: int


class Presence(BaseModel):
    """Hours per vessel within distances of a country's coast."""

    schema_: str = Field(default="seawatch.presence/1", alias="schema")
    country: str
    ranges_nm: list[float]
    max_gap_h: float
    max_unheard_h: float | None = None
    by: str
    since: str | None
    until: str | None
    n_rows: int
    rows: list[PresenceRow]


class Facets(BaseModel):
    """Values offered by the map's filters."""

    types: list[str]
    regions: list[str]
    flags: list[str]
    groups: list[str] = Field(description="roles present (the group filter's values)")
    start: str | None
    end: str | None
    n_events: int


class ClaimWithCheck(BaseModel):
    """A claim kept in the store (docs/claims.schema.json) with its latest check, if any:
    ``verdict`` (supported, partly_supported, contradicted, unobservable), ``found``,
    ``evidence`` (event ids, incident ids, vessels), ``coverage``, ``explanation``,
    ``quote``, map ``links``."""

    claim: dict[str, Any]
    check: dict[str, Any] | None


class ClaimList(BaseModel):
    """The store's claims, ordered by source date then id."""

    claims: list[ClaimWithCheck]
