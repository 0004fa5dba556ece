"""The read-only REST API (FastAPI) and the map page it serves.

``create_app(store_path)`` builds the application; ``seawatch serve`` runs it with uvicorn.
Every query lives in :mod:`seawatch.api._data`; every error has the shape of
:func:`seawatch.api.error_body`.
"""

from __future__ import annotations

from seawatch.api._app import create_app
from seawatch.api._data import Data, EventFilter, open_data
from seawatch.api._errors import error_body
from seawatch.api._guard import check_token, is_loopback

__all__ = [
    "Data",
    "EventFilter",
    "check_token",
    "create_app",
    "error_body",
    "is_loopback",
    "open_data",
]
