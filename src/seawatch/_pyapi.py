"""The Python API's store handle and the data-frame conversions (issue #9 §1).

:func:`open_store` returns a :class:`Store`: the store of :mod:`seawatch.store` whose
:meth:`Store.events` takes the same validated filter as ``seawatch events`` and the API
(:class:`seawatch.report.EventFilter`: a typo in a type, region, zone, flag or group is a
:class:`~seawatch.FilterError` that lists the valid values). Results are Arrow tables;
:func:`to_pandas`, :func:`to_polars` and :func:`to_geopandas` turn one into a data frame in
one call each. pandas, Polars and GeoPandas are optional: a missing one raises an
:class:`ImportError` that names the extra to install (``pip install "seawatch[polars]"``).

This layer is thin on purpose: it builds the filter and calls the store and the report
layer; it filters nothing itself except ``min_confidence``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import pyarrow as pa
import pyarrow.compute as pc

from seawatch import store as _store_layer
from seawatch._exceptions import NotFoundError, ParameterError
from seawatch.report import By, EventFilter, engagement_summary, store_vocabulary, summarize

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import polars as pl

__all__ = ["Store", "open_store", "to_geopandas", "to_pandas", "to_polars"]

Values = str | Iterable[str] | None
"""One value, comma-separated values, or a list of them (as everywhere in seawatch)."""

MMSIs = int | str | Iterable[int | str] | None

MAX_MMSI = 4_294_967_295


class EventFilters(TypedDict, total=False):
    """The keyword filters of :meth:`Store.events`, which :meth:`Store.counts` and
    :meth:`Store.engagements` take too."""

    type: Values
    types: Values
    region: Values
    zone: Values
    vessel: MMSIs
    flag: Values
    group: Values
    since: datetime | date | str | None
    until: datetime | date | str | None
    bbox: tuple[float, float, float, float] | None
    min_confidence: float | None


EXTRAS: dict[str, tuple[str, str]] = {
    "pandas": ("pandas", "pandas"),
    "polars": ("polars", "polars"),
    "geopandas": ("geopandas", "geo"),
    "shapely": ("shapely", "geo"),
}
"""Optional module -> (its name, the seawatch extra that installs it)."""


def open_store(path: str | Path, *, create: bool = False) -> Store:
    """Open the store at ``path`` (a directory that ``seawatch ingest`` or ``seawatch demo``
    wrote); with ``create=True`` make an empty one if none exists.

    Raises:
        StoreError: there is no store at ``path`` (and ``create`` is false), or it is
            unreadable.
    """
    base = _store_layer.open_store(path, create=create)
    return Store(base.root)


class Store(_store_layer.Store):
    """A seawatch store, as :func:`seawatch.open_store` returns it.

    Everything of :class:`seawatch.store.Store` (``positions``, ``vessels``, ``statics``,
    ``query``, ``ingest`` ...), plus :meth:`events` with the validated filter of the CLI
    and the API, :meth:`vessel`, :meth:`counts` and :meth:`engagements`. Every reader
    returns a ``pyarrow.Table``; times are ``timestamp[us, UTC]``.
    """

    def events(
        self,
        *,
        type: Values = None,  # as the CLI option and the API parameter
        types: Values = None,
        region: Values = None,
        zone: Values = None,
        vessel: MMSIs = None,
        flag: Values = None,
        group: Values = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        min_confidence: float | None = None,
        regions: Values = None,
        zones: Values = None,
        vessels: MMSIs = None,
        flags: Values = None,
        groups: Values = None,
        incidents: Values = None,
        simulated: bool | None = None,
    ) -> pa.Table:
        """Events (schema ``EVENTS``, sorted by start then id) that match every filter given.

        Args:
            type: event types (``"encounter,interception"`` or a list); ``types`` is the
                same filter under :class:`seawatch.store.Store`'s name (give one of them).
            region, zone: named regions and zones (bundled, plus those the store's events
                carry).
            vessel: events involving one of these MMSIs.
            flag, group: events with a vessel of one of these flags (ISO alpha-2) *and*
                one of these roles (``military``, ``law_enforcement``, ``tanker`` ...).
            since, until: events that overlap ``[since, until)`` (ISO 8601 text, a date
                or a datetime; naive values are UTC).
            bbox: ``(min_lon, min_lat, max_lon, max_lat)`` around the event's position;
                ``min_lon > max_lon`` crosses the antimeridian.
            min_confidence: events whose ``confidence`` is at least this (0 to 1).
            regions, zones, vessels, flags, groups: the same filters under
                :class:`seawatch.store.Store`'s names (give one of each pair).
            incidents: events of these incident ids. simulated: True, events marked
                simulated; False, marked real.

        Raises:
            FilterError: an unknown type, region, zone, flag or group; the message lists
                the valid values.
            ParameterError: a malformed time, MMSI, bbox or confidence.
        """

        def one(name: str, singular: Any, plural: Any) -> Any:
            if singular is not None and plural is not None:
                raise ParameterError(f"give {name} or {name}s, not both (they are the same filter)")
            return singular if singular is not None else plural

        f = self.event_filter(
            type=one("type", type, types),
            region=one("region", region, regions),
            zone=one("zone", zone, zones),
            vessel=one("vessel", vessel, vessels),
            flag=one("flag", flag, flags),
            group=one("group", group, groups),
            since=since,
            until=until,
            bbox=bbox,
            min_confidence=min_confidence,
            incidents=incidents,
            simulated=simulated,
        )
        # the one compiled filter (seawatch.store.EventQuery), as the CLI and the API
        return self.select_events(f.to_query())

    def event_filter(
        self,
        *,
        type: Values = None,  # as the CLI option and the API parameter
        region: Values = None,
        zone: Values = None,
        vessel: MMSIs = None,
        flag: Values = None,
        group: Values = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        min_confidence: float | None = None,
        incidents: Values = None,
        simulated: bool | None = None,
    ) -> EventFilter:
        """The validated, canonical filter (:class:`seawatch.report.EventFilter`) that
        :meth:`events` applies; regions and zones are checked against this store's
        vocabulary (the bundled one plus what its events carry)."""
        return EventFilter.build(
            types=type,
            regions=region,
            zones=zone,
            vessels=vessel,
            flags=flag,
            groups=group,
            since=since,
            until=until,
            bbox=bbox,
            min_confidence=min_confidence,
            incidents=incidents,
            simulated=simulated,
            vocab=store_vocabulary(self),
        )

    def vessel(self, mmsi: int) -> pa.Table:
        """The store's ``vessels`` row of ``mmsi`` (latest identity, ship_group, role,
        role_source, flag, first/last seen, n_positions), as a one-row table.

        Raises:
            ParameterError: ``mmsi`` is not an MMSI (an integer from 0 to 4294967295).
            NotFoundError: the store has no positions or statics of ``mmsi``.
        """
        if isinstance(mmsi, bool) or not isinstance(mmsi, int) or not 0 <= mmsi <= MAX_MMSI:
            raise ParameterError(
                f"vessel {mmsi!r} is not an MMSI (an integer from 0 to {MAX_MMSI})"
            )
        with self.connect() as con:
            row: pa.Table = con.sql(
                "SELECT * FROM vessels WHERE mmsi = ?", params=[mmsi]
            ).to_arrow_table()
        if row.num_rows == 0:
            raise NotFoundError(f"vessel {mmsi} is not in the store")
        return row

    def counts(self, *, by: By = "type", **filters: Unpack[EventFilters]) -> pa.Table:
        """Event counts of the events that :meth:`events` returns for ``filters``, grouped
        ``by`` ``type``, ``flag`` (of each vessel's MMSI), ``day`` (UTC, of the start) or
        ``region``: columns the key (then ``type``), ``events`` (distinct events),
        ``vessels`` (distinct MMSIs), ``hours`` (summed event durations), ``incidents``
        (distinct incidents); see
        :func:`seawatch.report.summarize`."""
        return summarize(self.events(**filters), by=by)

    def engagements(self, **filters: Unpack[EventFilters]) -> dict[str, int]:
        """Vessel engagements among the events that :meth:`events` returns for ``filters``:
        ``engagements`` counts incidents (an encounter and an interception of the same
        vessels overlapping in time are one), beside it how many include each kind
        (``encounters``, ``interceptions``); see :func:`seawatch.report.engagement_summary`."""
        return engagement_summary(self.events(**filters))


# ------------------------------------------------------------------------------------------
# conversions


def _require(module: str) -> None:
    """Raise an ImportError naming the seawatch extra when ``module`` is not installed."""
    if importlib.util.find_spec(module) is None:
        name, extra = EXTRAS[module]
        raise ModuleNotFoundError(
            f'{name} is not installed; install it with: pip install "seawatch[{extra}]"',
            name=module,
        )


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table`` as a pandas DataFrame: times stay timezone-aware UTC
    (``datetime64[us, UTC]``), list columns (``vessels``) become arrays per row.

    Raises:
        ImportError: pandas is not installed (``pip install "seawatch[pandas]"``).
    """
    _require("pandas")
    return table.to_pandas()


def to_polars(table: pa.Table) -> pl.DataFrame:
    """``table`` as a Polars DataFrame (``Datetime("us", "UTC")`` times, list columns).

    Raises:
        ImportError: Polars is not installed (``pip install "seawatch[polars]"``).
    """
    _require("polars")
    import polars as pl

    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # a one-column table stays a frame
        frame = frame.to_frame()
    return frame


GEOMETRY_COLUMNS = ("geometry", "footprint")
"""WKB columns :func:`to_geopandas` takes as the geometry, in this order of preference
(``footprint``: the scenes of non-AIS detections)."""


def to_geopandas(table: pa.Table) -> gpd.GeoDataFrame:
    """``table`` as a GeoPandas GeoDataFrame in EPSG:4326 (longitude, latitude).

    The geometry is the table's WKB ``geometry`` (or ``footprint``) column when it has
    one, else a point at ``lon``, ``lat`` (events, positions, detections); a row without
    a position has no geometry (None). Times stay timezone-aware UTC.

    Raises:
        ImportError: GeoPandas is not installed (``pip install "seawatch[geo]"``).
        ParameterError: ``table`` has neither a geometry column nor ``lat`` and ``lon``.
    """
    _require("geopandas")
    import geopandas as gpd
    import numpy as np
    import shapely

    names = table.column_names
    wkb = next((c for c in GEOMETRY_COLUMNS if c in names), None)
    if wkb is not None:
        raw = table.column(wkb).to_numpy(zero_copy_only=False)
        geometry = shapely.from_wkb(np.asarray(raw, dtype=object))
        frame = to_pandas(table.drop_columns([wkb]))
    elif "lat" in names and "lon" in names:
        lon = pc.cast(table.column("lon"), pa.float64()).to_numpy(zero_copy_only=False)
        lat = pc.cast(table.column("lat"), pa.float64()).to_numpy(zero_copy_only=False)
        lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        geometry = shapely.points(lon, lat)
        geometry[np.isnan(lon) | np.isnan(lat)] = None
        frame = to_pandas(table)
    else:
        raise ParameterError(
            "to_geopandas needs a WKB geometry column ("
            + ", ".join(GEOMETRY_COLUMNS)
            + f") or lat and lon; the table has: {', '.join(names)}"
        )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
