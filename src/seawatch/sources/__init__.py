"""Readers that turn files, stdin, CSV and Parquet into seawatch Arrow tables.

See docs/ARCHITECTURE.md, section ``seawatch.sources``.
"""

from __future__ import annotations

from seawatch.sources._batch import Batch, SourceBatch, file_reject
from seawatch.sources._csv import DEFAULT_CHUNK_BYTES, StaticsDeduper, read_csv
from seawatch.sources._detections import (
    DETECTION_FORMATS,
    DetectionRead,
    read_detections,
    scene_time,
)
from seawatch.sources._dialects import (
    CANONICAL_FIELDS,
    DMA_NAV_STATUS,
    DMA_SHIP_TYPE,
    parse_column_map,
)
from seawatch.sources._lines import truncate_raw_column
from seawatch.sources._open import open_binary, open_checked, open_counted, sniff_compression
from seawatch.sources._read import (
    FORMATS,
    Format,
    decode_stream,
    detect_format,
    expand_paths,
    read_source,
    sniff_format,
)

__all__ = [
    "CANONICAL_FIELDS",
    "DEFAULT_CHUNK_BYTES",
    "DETECTION_FORMATS",
    "DMA_NAV_STATUS",
    "DMA_SHIP_TYPE",
    "FORMATS",
    "Batch",
    "DetectionRead",
    "Format",
    "SourceBatch",
    "StaticsDeduper",
    "decode_stream",
    "detect_format",
    "expand_paths",
    "file_reject",
    "open_binary",
    "open_checked",
    "open_counted",
    "parse_column_map",
    "read_csv",
    "read_detections",
    "read_source",
    "scene_time",
    "sniff_compression",
    "sniff_format",
    "truncate_raw_column",
]
