"""One typed, validated filter on events, below the interfaces (DESIGN.md §12).

The CLI (``events``, ``report``, ``presence``) and the API build an :class:`EventFilter`
with :meth:`EventFilter.build`, which validates every value once: an unknown region, zone,
event type, flag, group or country is a :class:`~seawatch.FilterError` whose message lists
the valid values (the CLI exits 2, the API answers 422), never a silently empty result.

Matching is exact, else case-insensitive when that names one value (``VE-EEZ`` is
``VE-eez``, ``ve`` is ``VE``, ``Caribbean`` is ``caribbean``). Every multi-value option
takes comma-separated values, or a list of them, the same way everywhere.

Valid values (:class:`Vocabulary`):

* types: the event types of the detectors (:data:`seawatch.detect.EVENT_TYPES`);
* regions: the bundled named regions, plus the regions the store's events carry (a store
  detected with other geography);
* zones: the bundled zones (named regions, ``XX-territorial``, ``XX-contiguous``,
  ``XX-eez``), plus the zones the store's events carry (user zones);
* flags: the ISO alpha-2 codes of the MID table (:func:`seawatch.ais.codes.flag_codes`);
* groups: the vessel roles (:data:`seawatch.ais.roles.ROLES`: ``military``,
  ``law_enforcement``, ``government``, then the ship groups of the AIS type code);
* countries (a coast for presence): the countries with a bundled ``XX-eez`` zone.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import FilterError, GeoError, ParameterError
from seawatch.report.records import iso
from seawatch.store import EventQuery, filter_table

__all__ = [
    "ROLE_GROUPS",
    "EventFilter",
    "Vocabulary",
    "check_country",
    "choose",
    "empty_notes",
    "split_values",
    "store_vocabulary",
    "vocabulary",
]

ROLE_GROUPS: tuple[str, ...] = ("military", "law_enforcement", "government")
"""Vessel roles accepted as groups beside the type-code groups (DESIGN.md §11)."""

Values = str | Iterable[str] | None
MAX_MMSI = 4_294_967_295


def split_values(value: Values) -> tuple[str, ...] | None:
    """``"a,b"`` or ``["a", "b,c"]`` -> ``("a", "b", "c")``; None or nothing -> None."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out = tuple(s.strip() for item in items for s in str(item).split(",") if s.strip())
    return out or None


class Vocabulary:
    """The valid values of each filter.

    Each list is built the first time it is read: the event types import the detectors, the
    zones read the bundled geography's names, and a store's own regions and zones (``extra``:
    a table with ``region`` and ``zone`` columns, or a function returning one) take a query.
    A filter that names no type, region or zone pays for none of them.

    Raises (on reading ``regions``, ``zones`` or ``countries``):
        GeoError: the geography layer is missing (the API answers 503).
    """

    def __init__(self, extra: pa.Table | Callable[[], pa.Table] | None = None) -> None:
        self._extra = extra

    @functools.cached_property
    def _store_values(self) -> tuple[list[Any], list[Any]]:
        extra = self._extra() if callable(self._extra) else self._extra
        if extra is None or extra.num_rows == 0:
            return [], []
        cols = extra.column_names
        return (
            pc.unique(extra.column("region")).to_pylist() if "region" in cols else [],
            pc.unique(extra.column("zone")).to_pylist() if "zone" in cols else [],
        )

    @functools.cached_property
    def types(self) -> tuple[str, ...]:
        """The event types of the detectors (:data:`seawatch.detect.EVENT_TYPES`)."""
        return _types()

    @functools.cached_property
    def regions(self) -> tuple[str, ...]:
        """The bundled named regions, then the others the store's events carry."""
        return _merge(_geo().REGION_NAMES, self._store_values[0])

    @functools.cached_property
    def zones(self) -> tuple[str, ...]:
        """The bundled zones, then the others (user zones) the store's events carry."""
        return _merge(_zone_names(), self._store_values[1])

    @functools.cached_property
    def flags(self) -> tuple[str, ...]:
        """ISO alpha-2 codes of the MID table."""
        from seawatch.ais.codes import flag_codes

        return flag_codes()

    @functools.cached_property
    def groups(self) -> tuple[str, ...]:
        """Vessel roles, then the ship groups of the AIS type code."""
        from seawatch.ais.codes import SHIP_GROUPS
        from seawatch.ais.roles import ROLES

        return tuple(dict.fromkeys((*ROLES, *SHIP_GROUPS, *ROLE_GROUPS)))

    @functools.cached_property
    def countries(self) -> tuple[str, ...]:
        """Countries with a bundled ``XX-eez`` zone (a coast for presence)."""
        return tuple(sorted(z[: -len("-eez")] for z in _zone_names() if z.endswith("-eez")))


def _merge(base: tuple[str, ...], extra: Iterable[str | None]) -> tuple[str, ...]:
    seen = set(base)
    return base + tuple(sorted({str(x) for x in extra if x is not None} - seen))


@functools.cache
def _types() -> tuple[str, ...]:
    from seawatch.detect import EVENT_TYPES

    return tuple(sorted({t for ts in EVENT_TYPES.values() for t in ts}))


def _geo() -> Any:
    try:
        import seawatch.geo as geo
    except ImportError as exc:  # the geography layer is incomplete
        raise GeoError(f"the bundled geography is not available: {exc}") from exc
    return geo


@functools.cache
def _zone_names() -> tuple[str, ...]:
    try:
        return tuple(_geo().zone_names())
    except (ImportError, AttributeError) as exc:  # the geography layer is incomplete
        raise GeoError(f"the bundled geography is not available: {exc}") from exc


@functools.cache
def _bundled() -> Vocabulary:
    """The bundled vocabulary (one per process, each list built on first use)."""
    return Vocabulary()


def vocabulary(events: pa.Table | Callable[[], pa.Table] | None = None) -> Vocabulary:
    """The bundled vocabulary, plus the regions and zones of ``events`` (a store's events,
    or a table with ``region`` and ``zone`` columns of their distinct values, or a function
    returning one, called only when regions or zones are read)."""
    if events is None:
        return _bundled()
    return Vocabulary(events)


class _Queryable(Protocol):
    def query(self, sql: str) -> pa.Table: ...


def store_vocabulary(store: _Queryable) -> Vocabulary:
    """:func:`vocabulary` with the regions and zones of ``store``'s events (queried when a
    region or zone is checked)."""
    return vocabulary(lambda: store.query("SELECT DISTINCT region, zone FROM events"))


def choose(option: str, values: Values, valid: Sequence[str]) -> tuple[str, ...] | None:
    """``values`` (comma-separated or a list) as the canonical valid values: exact, else
    case-insensitive when that names exactly one.

    Raises:
        FilterError: a value matches none (or several, ignoring case); the message lists
            the valid values.
    """
    items = split_values(values)
    if items is None:
        return None
    exact = set(valid)
    folded: dict[str, list[str]] = {}
    for v in valid:
        folded.setdefault(v.casefold(), []).append(v)
    out: list[str] = []
    for item in items:
        if item in exact:
            out.append(item)
            continue
        same = folded.get(item.casefold(), [])
        if len(same) == 1:
            out.append(same[0])
            continue
        listing = ", ".join(valid)
        shown = item if len(item) <= 60 else item[:57] + "..."
        if same:
            msg = f"{option} {shown!r} is ambiguous: {', '.join(same)} (valid: {listing})"
        else:
            close = difflib.get_close_matches(item, list(valid), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"unknown {option} {shown!r}{hint} (valid: {listing})"
        raise FilterError(msg, option=option, value=item, valid=tuple(valid))
    return tuple(dict.fromkeys(out))


def check_country(value: str, vocab: Vocabulary | None = None) -> str:
    """The ISO alpha-2 code of a coastal state with bundled zones (case-insensitive).

    Raises:
        FilterError: no bundled ``XX-eez`` zone for ``value``; lists the valid codes.
    """
    v = vocab or _bundled()
    got = choose("country", value, v.countries)
    if got is None or len(got) != 1:
        raise FilterError(
            f"country: one ISO alpha-2 code, not {value!r} (valid: {', '.join(v.countries)})",
            option="country",
            value=value,
            valid=v.countries,
        )
    return got[0]


def _utc(value: datetime | date | str | None, name: str) -> datetime | None:
    from seawatch.report._summary import _utc as to_utc

    return to_utc(value, name)


def _mmsis(values: int | str | Iterable[int | str] | None) -> tuple[int, ...] | None:
    if values is None:
        return None
    items: list[Any] = [values] if isinstance(values, int | str) else list(values)
    out: list[int] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or int(part) > MAX_MMSI:
                raise FilterError(
                    f"vessel {part!r} is not an MMSI (a number from 0 to {MAX_MMSI})",
                    option="vessel",
                    value=part,
                )
            out.append(int(part))
    return tuple(dict.fromkeys(out)) or None


@dataclass(frozen=True, slots=True, kw_only=True)
class EventFilter:
    """Filters on events, validated (build it with :meth:`build`); ``None``: no filter.

    Time filters select events that *overlap* ``[since, until)``: ``end > since`` and
    ``start < until``. ``vessels``: events involving one of these MMSIs. ``flags`` and
    ``groups`` select events with a vessel that has one of the flags *and* one of the
    groups. ``bbox`` is ``(min_lon, min_lat, max_lon, max_lat)``; a ``min_lon`` greater
    than ``max_lon`` crosses the antimeridian.
    """

    types: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    zones: tuple[str, ...] | None = None
    vessels: tuple[int, ...] | None = None
    flags: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = field(default=None)
    incidents: tuple[str, ...] | None = None
    min_confidence: float | None = None
    simulated: bool | None = None

    @property
    def vessel(self) -> int | None:
        """The single MMSI filtered on (None unless exactly one)."""
        return self.vessels[0] if self.vessels and len(self.vessels) == 1 else None

    @classmethod
    def build(
        cls,
        *,
        types: Values = None,
        regions: Values = None,
        zones: Values = None,
        vessels: int | str | Iterable[int | str] | None = None,
        flags: Values = None,
        groups: Values = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        incidents: Values = None,
        min_confidence: float | None = None,
        simulated: bool | None = None,
        vocab: Vocabulary | None = None,
    ) -> EventFilter:
        """A filter with every value validated against ``vocab`` (default: the bundled
        :func:`vocabulary`) and made canonical.

        Raises:
            FilterError: an unknown value (the message lists the valid ones).
            ParameterError: a time that is not ISO 8601, ``until`` before ``since``, a
                malformed MMSI or bbox, a confidence that is not a number from 0 to 1.
        """
        v = vocab or _bundled()
        lo, hi = _utc(since, "since"), _utc(until, "until")
        if lo is not None and hi is not None and hi < lo:
            raise ParameterError("until must not be before since")
        if bbox is not None:
            bbox = parse_bbox(bbox)
        if min_confidence is not None and (
            isinstance(min_confidence, bool)
            or not isinstance(min_confidence, int | float)
            or not 0.0 <= min_confidence <= 1.0
        ):
            raise ParameterError(
                f"min_confidence must be a number from 0 to 1, not {min_confidence!r}"
            )

        def pick(option: str, values: Values, attr: str) -> tuple[str, ...] | None:
            # the valid values are read (and built) only for an option that was given
            if split_values(values) is None:
                return None
            return choose(option, values, getattr(v, attr))

        return cls(
            types=pick("type", types, "types"),
            regions=pick("region", regions, "regions"),
            zones=pick("zone", zones, "zones"),
            vessels=_mmsis(vessels),
            flags=pick("flag", flags, "flags"),
            groups=pick("group", groups, "groups"),
            since=lo,
            until=hi,
            bbox=bbox,
            incidents=split_values(incidents),
            min_confidence=None if min_confidence is None else float(min_confidence),
            simulated=simulated,
        )

    def to_query(self) -> EventQuery:
        """The plain query the store compiles to SQL (:class:`seawatch.store.EventQuery`)."""
        return EventQuery(
            types=self.types,
            regions=self.regions,
            zones=self.zones,
            vessels=self.vessels,
            flags=self.flags,
            groups=self.groups,
            since=self.since,
            until=self.until,
            bbox=self.bbox,
            incidents=self.incidents,
            min_confidence=self.min_confidence,
            simulated=self.simulated,
        )

    def apply(self, events: pa.Table, *, vessels: pa.Table | None = None) -> pa.Table:
        """The rows of ``events`` (an EVENTS table) that match, in their order: the same
        compiled SQL as the store's (:func:`seawatch.store.filter_table`). ``vessels`` (the store's ``vessels`` view: ``mmsi``,
        ``flag``, ``role``) is needed to filter by group; flags alone fall back to the
        MMSI's MID when it is not given."""
        if self.groups is not None and vessels is None:
            raise ParameterError("filtering by group (role) needs the vessels table")
        if self.flags is not None and vessels is None:
            vessels = _mid_flags(events)
        return filter_table(events, self.to_query(), vessels=vessels)


def _mid_flags(events: pa.Table) -> pa.Table:
    """``mmsi, flag, role`` of the events' vessels, the flag from the MMSI's MID."""
    from seawatch.ais.codes import flags_of

    mmsi = pc.unique(pc.cast(pc.list_flatten(events.column("vessels")), pa.int64()))
    return pa.table(
        {
            "mmsi": mmsi,
            "flag": flags_of(mmsi),
            "role": pa.nulls(len(mmsi), pa.string()),
        }
    )


def parse_bbox(bbox: Any) -> tuple[float, float, float, float]:
    """A bounding box, ``(min_lon, min_lat, max_lon, max_lat)`` or the text
    ``"min_lon,min_lat,max_lon,max_lat"`` (the CLI's and the API's ``bbox``), as four finite
    floats in range (``min_lon > max_lon`` crosses the antimeridian), or a
    :class:`ParameterError` that says what a bbox is: the one check for every view."""
    import math

    try:
        values = [float(v) for v in (bbox.split(",") if isinstance(bbox, str) else bbox)]
    except (TypeError, ValueError):
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ParameterError(
            f"bbox must be four numbers (min_lon, min_lat, max_lon, max_lat), not {bbox!r}"
        )
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ParameterError("bbox longitudes must lie in [-180, 180]")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise ParameterError("bbox latitudes must lie in [-90, 90] with min_lat <= max_lat")
    return (min_lon, min_lat, max_lon, max_lat)


class _Connectable(Protocol):
    def connect(self) -> Any: ...

    def days(self) -> list[date]: ...

    def manifest(self) -> dict[str, Any]: ...


def empty_notes(store: _Connectable, f: EventFilter) -> list[str]:
    """Why ``f`` may have matched no event in ``store``: each filter value the store cannot
    match at all, in words (an MMSI it never heard, a period outside its positions, an
    event type or flag it has none of, no events at all). Empty when nothing explains it:
    the zero is then a finding, not a typo. For the caller to show beside an empty result
    (``seawatch events`` on stderr, ``/api/events`` as ``notes``); values are bound, never
    part of the SQL."""
    notes: list[str] = []
    days = store.days()
    if not days:
        notes.append("the store has no positions")
    else:
        first, last = days[0], days[-1]
        begin = datetime(first.year, first.month, first.day, tzinfo=UTC)
        end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
        if (f.since is not None and f.since >= end) or (f.until is not None and f.until <= begin):
            notes.append(
                f"the period asked for ({iso(f.since) or 'the start'} to "
                f"{iso(f.until) or 'the end'}) lies outside the store's positions, "
                f"{first.isoformat()} to {last.isoformat()} (UTC days)"
            )
    ran = set(store.manifest()["events"].get("runs") or {})
    with store.connect() as con:
        types = {str(r[0]) for r in con.execute("SELECT DISTINCT type FROM events").fetchall()}
        if not types:
            notes.append(
                "the store has no events: detection ran on it and found none"
                if ran
                else "the store has no events: detection has not run on it (seawatch detect)"
            )
        for t in sorted(set(f.types or ()) - types):
            if t in ran:
                notes.append(f"the store has no {t} event at all (its detector ran on it)")
            elif types or ran:  # else the note above says it
                notes.append(
                    f"the store has no {t} event at all: its detector has not run on it "
                    f"(seawatch detect --only ...)"
                )
        seen = _present(con, "mmsi", "UBIGINT", f.vessels or ())
        for m in f.vessels or ():
            if m not in seen:
                hint = "" if 100_000_000 <= m <= 999_999_999 else "; an MMSI has 9 digits"
                notes.append(
                    f"no vessel with MMSI {m} in this store (no position or static report){hint}"
                )
        flags = _present(con, "flag", "VARCHAR", f.flags or ())
        notes.extend(
            f"no vessel flagged {fl} in this store" for fl in f.flags or () if fl not in flags
        )
    return notes


def _present(con: Any, column: str, sql_type: str, values: Sequence[Any]) -> set[Any]:
    """The ``values`` the store's ``vessels`` view has in ``column`` (bound, never SQL)."""
    if not values:
        return set()
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM vessels WHERE {column} IN (SELECT unnest(?::{sql_type}[]))",
        [list(values)],
    ).fetchall()
    return {r[0] for r in rows}
