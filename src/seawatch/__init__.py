"""seawatch: turn raw AIS vessel traffic into evidence of what happened at sea.

The public Python API is re-exported here; everything else is private::

    import seawatch

    positions = seawatch.read_nmea("feed.nmea.gz")         # pyarrow.Table (POSITIONS)
    decoded = seawatch.read_nmea_all("feed.nmea.gz")       # positions, statics, rejects ...
    store = seawatch.open_store("./seawatch-data", create=True)
    store.ingest(["feed.nmea.gz"])
    events = seawatch.run_detectors(store)                 # pyarrow.Table (EVENTS)
    print(seawatch.brief(store, regions=["caribbean"]).to_dict()["counts"])

    engagements = store.events(type="encounter,interception", region="caribbean")
    df = seawatch.to_pandas(engagements)                   # or to_polars, to_geopandas

``store.events(...)`` takes the validated filter of ``seawatch events`` (a typo in a type or
region is a :class:`FilterError` that lists the valid values). pandas, Polars and GeoPandas
are optional (``pip install "seawatch[pandas]"``, ``[polars]``, ``[geo]``).
The functions are imported on first use, so ``import seawatch`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seawatch._exceptions import (
    DecodeError,
    FilterError,
    GeoError,
    MissingDependencyError,
    NotFoundError,
    ParameterError,
    QueryTimeoutError,
    SeawatchError,
    SourceError,
    StoreError,
)
from seawatch._lazy import lazy_names
from seawatch._version import __version__

if TYPE_CHECKING:
    from seawatch._pyapi import Store, open_store, to_geopandas, to_pandas, to_polars
    from seawatch.ais import Decoded, read_nmea, read_nmea_all
    from seawatch.engine import run_detectors
    from seawatch.report import brief

_LAZY = {
    "Decoded": "seawatch.ais",
    "read_nmea": "seawatch.ais",
    "read_nmea_all": "seawatch.ais",
    "Store": "seawatch._pyapi",
    "open_store": "seawatch._pyapi",
    "to_geopandas": "seawatch._pyapi",
    "to_pandas": "seawatch._pyapi",
    "to_polars": "seawatch._pyapi",
    "run_detectors": "seawatch.engine",
    "brief": "seawatch.report",
}

__all__ = [
    "DecodeError",
    "Decoded",
    "FilterError",
    "GeoError",
    "MissingDependencyError",
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
    "to_geopandas",
    "to_pandas",
    "to_polars",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
