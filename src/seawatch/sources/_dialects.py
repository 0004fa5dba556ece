"""CSV dialects: which column of a file feeds which seawatch field, and the code tables they need.

A dialect maps *canonical* field names (the column names of ``schema.POSITIONS`` and
``schema.STATICS``) to the column names of one CSV layout:

* ``noaa_csv``: NOAA MarineCadastre daily files, both the pre-2025 CamelCase header
  (``MMSI,BaseDateTime,LAT,LON,...``) and the 2025+ snake_case header
  (``mmsi,base_date_time,longitude,latitude,...``).
* ``dma_csv``: Danish Maritime Authority daily files (``# Timestamp,Type of mobile,MMSI,...``,
  times ``dd/mm/yyyy HH:MM:SS``, ship types and navigational status as English text).
* ``csv``: any other CSV whose columns are recognised by common aliases, or mapped with
  ``--columns mmsi=ship_id,ts=time,lat=y,lon=x``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from seawatch._exceptions import SourceError
from seawatch.sources._lines import printable

TimeFormat = Literal["iso", "dma"]

POSITION_FIELDS: tuple[str, ...] = (
    "mmsi",
    "ts",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "nav_status",
)
STATIC_FIELDS: tuple[str, ...] = (
    "imo",
    "name",
    "callsign",
    "ship_type",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
    "eta",
    "class",
)
CANONICAL_FIELDS: tuple[str, ...] = POSITION_FIELDS + STATIC_FIELDS
REQUIRED_FIELDS: tuple[str, ...] = ("mmsi", "ts", "lat", "lon")


def normalise_header(name: str) -> str:
    """``"# Timestamp "`` -> ``"timestamp"``; ``"Ship type"`` -> ``"ship type"``."""
    return name.strip().lstrip("#").strip().lower()


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one CSV layout maps onto seawatch fields."""

    name: str
    columns: Mapping[str, str]
    """canonical field -> normalised header name in the file."""
    time_format: TimeFormat = "iso"
    text_codes: bool = False
    """Ship type, navigational status and class are English text (DMA), not numbers."""
    extra: Mapping[str, str] = field(default_factory=dict)


NOAA_OLD = Dialect(
    name="noaa_csv",
    columns={
        "mmsi": "mmsi",
        "ts": "basedatetime",
        "lat": "lat",
        "lon": "lon",
        "sog_kn": "sog",
        "cog_deg": "cog",
        "heading_deg": "heading",
        "nav_status": "status",
        "imo": "imo",
        "name": "vesselname",
        "callsign": "callsign",
        "ship_type": "vesseltype",
        "length_m": "length",
        "beam_m": "width",
        "draught_m": "draft",
        "class": "transceiverclass",
    },
)

NOAA_2025 = Dialect(
    name="noaa_csv",
    columns={
        "mmsi": "mmsi",
        "ts": "base_date_time",
        "lat": "latitude",
        "lon": "longitude",
        "sog_kn": "sog",
        "cog_deg": "cog",
        "heading_deg": "heading",
        "nav_status": "status",
        "imo": "imo",
        "name": "vessel_name",
        "callsign": "call_sign",
        "ship_type": "vessel_type",
        "length_m": "length",
        "beam_m": "width",
        "draught_m": "draft",
        "class": "transceiver",
    },
)

DMA = Dialect(
    name="dma_csv",
    columns={
        "mmsi": "mmsi",
        "ts": "timestamp",
        "lat": "latitude",
        "lon": "longitude",
        "sog_kn": "sog",
        "cog_deg": "cog",
        "heading_deg": "heading",
        "nav_status": "navigational status",
        "imo": "imo",
        "name": "name",
        "callsign": "callsign",
        "ship_type": "ship type",
        "length_m": "length",
        "beam_m": "width",
        "draught_m": "draught",
        "destination": "destination",
        "eta": "eta",
        "class": "type of mobile",
    },
    time_format="dma",
    text_codes=True,
)

GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "ship_id", "userid", "user_id"),
    "ts": (
        "ts",
        "timestamp",
        "time",
        "datetime",
        "date_time",
        "basedatetime",
        "base_date_time",
        "t",
    ),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "sog_kn": ("sog_kn", "sog", "speed", "speed_kn"),
    "cog_deg": ("cog_deg", "cog", "course"),
    "heading_deg": ("heading_deg", "heading", "true_heading"),
    "nav_status": ("nav_status", "status", "navstat", "navigational_status"),
    "imo": ("imo",),
    "name": ("name", "shipname", "vessel_name", "vesselname"),
    "callsign": ("callsign", "call_sign"),
    "ship_type": ("ship_type", "shiptype", "vessel_type", "vesseltype"),
    "length_m": ("length_m", "length"),
    "beam_m": ("beam_m", "beam", "width"),
    "draught_m": ("draught_m", "draught", "draft"),
    "destination": ("destination",),
    "eta": ("eta",),
    "class": ("class", "transceiver", "transceiverclass"),
}


def _matches(dialect: Dialect, headers: set[str]) -> bool:
    return all(dialect.columns[f] in headers for f in REQUIRED_FIELDS)


def sniff_dialect(header: list[str]) -> Dialect | None:
    """The NOAA or DMA dialect that ``header`` (raw column names) matches, else ``None``."""
    names = {normalise_header(h) for h in header}
    if _matches(DMA, names) and "type of mobile" in names:
        return DMA
    if _matches(NOAA_OLD, names) and "basedatetime" in names:
        return NOAA_OLD
    if _matches(NOAA_2025, names) and "base_date_time" in names:
        return NOAA_2025
    return None


def parse_column_map(spec: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"mmsi=ship_id,ts=time"`` (or a mapping) -> ``{"mmsi": "ship_id", "ts": "time"}``.

    Raises:
        SourceError: an entry is malformed or names an unknown seawatch field.
    """
    if spec is None:
        return {}
    items: list[tuple[str, str]]
    if isinstance(spec, str):
        items = []
        for part in spec.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise SourceError(f"bad column mapping {part!r}: expected FIELD=COLUMN")
            items.append((key.strip(), value.strip()))
    else:
        items = list(spec.items())
    out: dict[str, str] = {}
    for key, value in items:
        canonical = _ALIAS_TO_CANONICAL.get(key.lower(), key.lower())
        if canonical not in CANONICAL_FIELDS:
            known = ", ".join(CANONICAL_FIELDS)
            raise SourceError(f"unknown field {key!r} in column mapping (known: {known})")
        out[canonical] = value
    return out


_ALIAS_TO_CANONICAL: dict[str, str] = {
    "sog": "sog_kn",
    "cog": "cog_deg",
    "heading": "heading_deg",
    "length": "length_m",
    "beam": "beam_m",
    "width": "beam_m",
    "draught": "draught_m",
    "draft": "draught_m",
    "time": "ts",
    "timestamp": "ts",
    "latitude": "lat",
    "longitude": "lon",
}


def generic_dialect(header: list[str], column_map: Mapping[str, str]) -> Dialect:
    """A dialect for ``header`` from common aliases, overridden by ``column_map``.

    ``column_map`` values are header names as written in the file (matched
    case-insensitively).

    Raises:
        SourceError: a mapped column is absent, or mmsi/ts/lat/lon cannot be found.
    """
    names = [normalise_header(h) for h in header]
    present = set(names)
    base = sniff_dialect(header)
    columns: dict[str, str] = dict(base.columns) if base is not None else {}
    if base is None:
        for canonical, aliases in GENERIC_ALIASES.items():
            for alias in aliases:
                if alias in present:
                    columns[canonical] = alias
                    break
    for canonical, column in column_map.items():
        norm = normalise_header(column)
        if norm not in present:
            raise SourceError(
                f"column {printable(column)!r} (mapped to {canonical}) is not in the header: "
                + printable(", ".join(header))
            )
        columns[canonical] = norm
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise SourceError(
            "cannot find column(s) for "
            + ", ".join(missing)
            + " in the header; map them with --columns, e.g. --columns mmsi=ship_id,ts=time,lat=y,lon=x"
        )
    if base is not None:
        return Dialect(
            name=base.name,
            columns=columns,
            time_format=base.time_format,
            text_codes=base.text_codes,
        )
    return Dialect(name="csv", columns=columns)


# --- DMA text codes -------------------------------------------------------------------

DMA_NAV_STATUS: dict[str, int] = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "restricted manoeuverability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13,
    "ais-sart": 14,
    "unknown value": 15,
    "undefined": 15,
}
"""DMA navigational status texts -> ITU-R M.1371 codes."""

DMA_SHIP_TYPE: dict[str, int] = {
    "wig": 20,
    "fishing": 30,
    "towing": 31,
    "towing long/wide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "reserved": 38,
    "hsc": 40,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti-pollution": 54,
    "law enforcement": 55,
    "spare 1": 56,
    "spare 2": 57,
    "medical": 58,
    "not party to conflict": 59,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
}
"""DMA ship type texts -> the ITU-R M.1371 code of that category ("Undefined" -> null)."""

DMA_CLASS: dict[str, str] = {"class a": "A", "class b": "B"}
"""DMA "Type of mobile" -> transceiver class; base stations, AtoN, SAR aircraft -> null."""
