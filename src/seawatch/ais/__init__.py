"""AIS decoding: NMEA bytes -> Arrow tables (see docs/ARCHITECTURE.md, ``seawatch.ais``).

The decoder (numba kernels, loaded from numba's cache) is imported on first use of one of
its names, so that what needs only the code tables (roles, flags: every store reader) does
not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from seawatch.ais._decoder import (
        Decoded,
        NmeaDecoder,
        decode_bytes,
        read_nmea,
        read_nmea_all,
    )

_DECODER = frozenset({"Decoded", "NmeaDecoder", "decode_bytes", "read_nmea", "read_nmea_all"})


def __getattr__(name: str) -> Any:
    if name in _DECODER:
        from seawatch.ais import _decoder

        return getattr(_decoder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
