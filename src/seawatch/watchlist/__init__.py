"""Watchlists (the bundled OFAC SDN vessel list, user lists in the store) and screening.

``screen(table, lists)`` matches vessels (or statics) against lists by IMO and MMSI (exact)
and by normalised name + flag (weaker); every hit carries the list's date. The bundled
OFAC list is as of 2024-05-03 (US Treasury, public domain; see NOTICE); later designations
are missing, so always show the date and re-check the live list before acting.

Layering: imports only :mod:`seawatch.ais.codes` (flags from MMSIs); detectors, the CLI and
the API import it.
"""

from __future__ import annotations

from seawatch.watchlist._lists import (
    BUNDLED_NAME,
    ENTRIES,
    Watchlist,
    add_list,
    all_lists,
    bundled_lists,
    load_csv,
    store_lists,
    valid_imo,
)
from seawatch.watchlist._screen import (
    HITS,
    ScreenParams,
    normalize_name,
    normalize_names,
    screen,
    vessel_status,
)

__all__ = [
    "BUNDLED_NAME",
    "ENTRIES",
    "HITS",
    "ScreenParams",
    "Watchlist",
    "add_list",
    "all_lists",
    "bundled_lists",
    "load_csv",
    "normalize_name",
    "normalize_names",
    "screen",
    "store_lists",
    "valid_imo",
    "vessel_status",
]
