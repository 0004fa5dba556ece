"""seawatch: turn raw AIS vessel traffic into evidence of what happened at sea.

The public Python API is re-exported here; everything else is private.
"""

from __future__ import annotations

from seawatch._exceptions import (
    DecodeError,
    GeoError,
    NotFoundError,
    ParameterError,
    SeawatchError,
    SourceError,
    StoreError,
)
from seawatch._version import __version__

__all__ = [
    "DecodeError",
    "GeoError",
    "NotFoundError",
    "ParameterError",
    "SeawatchError",
    "SourceError",
    "StoreError",
    "__version__",
]
