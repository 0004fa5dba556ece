"""seawatch: turn raw AIS vessel traffic into evidence of what happened at sea.

The public Python API is re-exported here; everything else is private::

    import seawatch

    positions = seawatch.read_nmea("feed.nmea.gz")         # pyarrow.Table (POSITIONS)
    decoded = seawatch.read_nmea_all("feed.nmea.gz")       # positions, statics, rejects ...
    store = seawatch.open_store("./seawatch-data", create=True)
    store.ingest(["feed.nmea.gz"])
    events = seawatch.run_detectors(store)                 # pyarrow.Table (EVENTS)
    print(seawatch.brief(store, regions=["caribbean"]).to_dict()["counts"])

The functions are imported on first use, so ``import seawatch`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from seawatch._exceptions import (
    DecodeError,
    FilterError,
    GeoError,
    NotFoundError,
    ParameterError,
    QueryTimeoutError,
    SeawatchError,
    SourceError,
    StoreError,
)
from seawatch._version import __version__

if TYPE_CHECKING:
    from seawatch.ais import Decoded, read_nmea, read_nmea_all
    from seawatch.engine import run_detectors
    from seawatch.report import brief
    from seawatch.store import Store, open_store

_LAZY = {
    "Decoded": "seawatch.ais",
    "read_nmea": "seawatch.ais",
    "read_nmea_all": "seawatch.ais",
    "Store": "seawatch.store",
    "open_store": "seawatch.store",
    "run_detectors": "seawatch.engine",
    "brief": "seawatch.report",
}

__all__ = [
    "DecodeError",
    "Decoded",
    "FilterError",
    "GeoError",
    "NotFoundError",
    "ParameterError",
    "QueryTimeoutError",
    "SeawatchError",
    "SourceError",
    "Store",
    "StoreError",
    "__version__",
    "brief",
    "open_store",
    "read_nmea",
    "read_nmea_all",
    "run_detectors",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seawatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
