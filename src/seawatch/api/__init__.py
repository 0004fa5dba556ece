"""The read-only REST API (FastAPI) and the map page it serves.

``create_app(store_path)`` builds the application; ``seawatch serve`` runs it with uvicorn.
Every query lives in :mod:`seawatch.api._data`; every error has the shape of
:func:`seawatch.api.error_body`.
"""

from __future__ import annotations

from seawatch.api._app import create_app
from seawatch.api._data import Data, EventFilter, open_data
from seawatch.api._errors import error_body

__all__ = ["Data", "EventFilter", "create_app", "error_body", "open_data"]
