"""The on-disk store: Parquet partitions by UTC day, a manifest, DuckDB views.

See docs/ARCHITECTURE.md, section ``seawatch.store``, and :mod:`seawatch.store._ingest`
(atomicity) and :mod:`seawatch.store._merge` (de-duplication rule).
"""

from __future__ import annotations

from seawatch.store._detections import DetectionFileResult, DetectionSummary
from seawatch.store._filter import (
    EVENT_ORDER,
    EVENT_VESSELS_SQL,
    EventQuery,
    EventTables,
    bbox_where,
    event_where,
    events_sql,
    filter_table,
    span_where,
)
from seawatch.store._ingest import FileResult, IngestOptions, IngestProgress, IngestSummary
from seawatch.store._io import write_json_atomic, write_parquet_atomic
from seawatch.store._manifest import MANIFEST
from seawatch.store._merge import DEDUP_KEYS
from seawatch.store._roles import RoleList, add_role_list, role_lists
from seawatch.store._store import Store, open_store, remove_empty_store
from seawatch.store._views import (
    VESSELS_SQL,
    VIEW_NAMES,
    check_read_only,
    parse_memory_limit,
    time_limit,
)

__all__ = [
    "DEDUP_KEYS",
    "EVENT_ORDER",
    "EVENT_VESSELS_SQL",
    "MANIFEST",
    "VESSELS_SQL",
    "VIEW_NAMES",
    "DetectionFileResult",
    "DetectionSummary",
    "EventQuery",
    "EventTables",
    "FileResult",
    "IngestOptions",
    "IngestProgress",
    "IngestSummary",
    "RoleList",
    "Store",
    "add_role_list",
    "bbox_where",
    "check_read_only",
    "event_where",
    "events_sql",
    "filter_table",
    "open_store",
    "parse_memory_limit",
    "remove_empty_store",
    "role_lists",
    "span_where",
    "time_limit",
    "write_json_atomic",
    "write_parquet_atomic",
]
