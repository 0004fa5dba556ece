"""AIS decoding: NMEA bytes -> Arrow tables (see docs/ARCHITECTURE.md, ``seawatch.ais``)."""

from __future__ import annotations

from seawatch.ais._decoder import Decoded, NmeaDecoder, decode_bytes, read_nmea, read_nmea_all
from seawatch.ais.codes import (
    NAV_STATUS,
    SHIP_GROUPS,
    country_name,
    flag_of_mmsi,
    flags_of,
    mid_of_mmsi,
    nav_status_text,
    ship_group,
    ship_groups_of,
)

__all__ = [
    "NAV_STATUS",
    "SHIP_GROUPS",
    "Decoded",
    "NmeaDecoder",
    "country_name",
    "decode_bytes",
    "flag_of_mmsi",
    "flags_of",
    "mid_of_mmsi",
    "nav_status_text",
    "read_nmea",
    "read_nmea_all",
    "ship_group",
    "ship_groups_of",
]
