"""Arrow schemas shared by every layer (DESIGN.md §3).

Times are ``timestamp[us, UTC]`` everywhere; units are in column names.
Invalid AIS values (lat 91, lon 181, sog 102.3, heading 511, cog 360) are null,
never a position at 0,0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

TS = pa.timestamp("us", tz="UTC")
DICT_STR = pa.dictionary(pa.int32(), pa.string())

POSITIONS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("sog_kn", pa.float32()),
        pa.field("cog_deg", pa.float32()),
        pa.field("heading_deg", pa.uint16()),
        pa.field("nav_status", pa.uint8()),
        pa.field("msg_type", pa.uint8()),
        pa.field("source", DICT_STR),
        pa.field("station", DICT_STR),
    ]
)
"""One row per position report (types 1, 2, 3, 4, 9, 18, 19, 21, 27 or a CSV row)."""

STATICS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS),
        pa.field("imo", pa.uint32()),
        pa.field("name", pa.string()),
        pa.field("callsign", pa.string()),
        pa.field("ship_type", pa.uint8()),
        pa.field("length_m", pa.float32()),
        pa.field("beam_m", pa.float32()),
        pa.field("draught_m", pa.float32()),
        pa.field("destination", pa.string()),
        pa.field("eta", pa.string()),
        pa.field("class", pa.string()),
        pa.field("msg_type", pa.uint8()),
        pa.field("source", DICT_STR),
        pa.field("station", DICT_STR),
    ]
)
"""One row per static/voyage report (types 5, 19, 21, 24 A+B joined, CSV static columns).

``eta`` is ``MM-DDTHH:MM`` as broadcast (AIS carries no year); empty strings are null.
"""

OTHERS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS),
        pa.field("msg_type", pa.uint8(), nullable=False),
        pa.field("payload", pa.string(), nullable=False),
        pa.field("fill_bits", pa.uint8()),
        pa.field("source", DICT_STR),
        pa.field("station", DICT_STR),
    ]
)
"""Messages that carry neither a position nor static data (types 6, 7, 8, 10-17, 20, 22, 23, 25, 26):
kept as typed raw records (armoured payload), counted, never an error."""

REJECTS = pa.schema(
    [
        pa.field("source", pa.string()),
        pa.field("line_no", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ]
)
"""Every input line that was not accepted, with a reason from :class:`RejectReason`."""

EVENTS = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("start", TS, nullable=False),
        pa.field("end", TS, nullable=False),
        pa.field("vessels", pa.list_(pa.uint32()), nullable=False),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("duration_h", pa.float64()),
        pa.field("region", pa.string()),
        pa.field("zone", pa.string()),
        pa.field("confidence", pa.float32()),
        pa.field("details", pa.string()),
        pa.field("incident_id", pa.string()),
        pa.field("simulated", pa.bool_()),
    ]
)
"""One row per detected event. ``details`` is a JSON object (string) that includes the
detector's parameters; ``event_id`` is a stable hash of type, vessels and start.
``incident_id`` names the incident the event describes (DESIGN.md §11): events of one
incident kind with the same vessels overlapping in time share it (an interception and the
encounter of the same pair); it is the smallest ``event_id`` of the group, and an event's
own ``event_id`` when nothing links to it (:mod:`seawatch.detect.incidents`). Null in
stores written before it existed: readers treat null as the event's own id.
``simulated`` is true when a vessel of the event was heard in simulated input (a source the
manifest marks ``simulated``, see :mod:`seawatch._simulated`); null in older stores."""


class RejectReason(StrEnum):
    """The closed set of reasons an input line is rejected."""

    EMPTY = "empty"
    """A blank line, or a line with only a comment."""
    NOT_AIS = "not_ais"
    """A well-formed NMEA sentence of another kind ($GPRMC, $GPGGA ...) or a line that is not NMEA."""
    FRAMING = "framing"
    """Wrong number of fields, bad fragment counts, or a sentence cut short."""
    CHECKSUM = "checksum"
    """The NMEA checksum is missing or does not match."""
    TAG_BLOCK = "tag_block"
    """A malformed NMEA 4.x tag block (bad checksum, bad group, bad time)."""
    ORPHAN_FRAGMENT = "orphan_fragment"
    """A fragment of a multi-sentence message whose other fragments never arrived."""
    PAYLOAD_CHAR = "payload_char"
    """A payload character outside the AIS 6-bit armouring alphabet."""
    PAYLOAD_LENGTH = "payload_length"
    """The payload has too few bits for its message type."""
    UNSUPPORTED_TYPE = "unsupported_type"
    """Message type 0 or above 27."""
    BAD_VALUE = "bad_value"
    """A decoded field is out of range (MMSI 0, a position far outside the globe ...)."""
    NO_TIMESTAMP = "no_timestamp"
    """The message has no time (no tag block, no receiver time) and no --time was given."""
    CSV_ROW = "csv_row"
    """A CSV row that could not be parsed (missing or malformed required columns)."""
    UNKNOWN_COLUMN = "unknown_column"
    """A detections file has a column seawatch does not know (one reject per column; its
    values are kept in each detection's ``raw`` JSON, so nothing is lost)."""
    DUPLICATE_SCENE = "duplicate_scene"
    """A scene id given twice (in one footprint file, or already stored with another time
    or footprint): the first one is kept."""
    OUTSIDE_FOOTPRINT = "outside_footprint"
    """A detection outside the footprint of its own scene (a geolocation error or a row of
    another scene): it cannot have been imaged there."""
    LINE_LENGTH = "line_length"
    """A line longer than :data:`MAX_LINE_BYTES`; ``raw`` holds its start, length and sha256."""
    SKIPPED_LAYER = "skipped_layer"
    """A GeoPackage layer that holds no positions (lines, polygons, a table without
    geometry, another CRS): not read; ``raw`` names the layer and why."""
    DAMAGED_INPUT = "damaged_input"
    """A compressed input that is truncated, corrupt or followed by junk: the part before the
    damage is kept, ``raw`` names the file and the damage."""
    UNKNOWN_FORMAT = "unknown_format"
    """A whole input whose content is not NMEA, a known CSV header or Parquet (a stray file
    in an ingested directory): one reject naming the file; the other inputs are ingested."""
    UNREADABLE_INPUT = "unreadable_input"
    """A whole input that cannot be read (permissions, an I/O error): one reject naming the
    file and the error; the other inputs are ingested."""


REJECT_REASONS: frozenset[str] = frozenset(r.value for r in RejectReason)

DETECTIONS = pa.schema(
    [
        pa.field("detection_id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("scene_id", pa.string()),
        pa.field("ts", TS),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("length_m", pa.float32()),
        pa.field("width_m", pa.float32()),
        pa.field("heading_deg", pa.float32()),
        pa.field("speed_kn", pa.float32()),
        pa.field("score", pa.float32()),
        pa.field("raw", pa.string()),
    ]
)
"""One row per vessel detection of a non-AIS sensor (DESIGN.md §14): Sentinel-1 SAR,
Sentinel-2 optical, VIIRS night lights, radar. No identity; ``raw`` is the input row as a
JSON object. ``detection_id`` is a stable hash of source, scene, time and position."""

SCENES = pa.schema(
    [
        pa.field("scene_id", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("ts_start", TS),
        pa.field("ts_end", TS),
        pa.field("footprint", pa.binary()),
    ]
)
"""One row per image (scene): its time span and, where known, its footprint (WKB polygon,
lon/lat): what was imaged, so "not detected" can be told from "not imaged"."""
TIME_MIN = datetime(1980, 1, 1, tzinfo=UTC)
"""The earliest time believed on any input (GPS time starts in 1980; AIS in the 2000s)."""
TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
"""Times at or after this are not believed (the NMEA tag-block limit, applied everywhere)."""

MAX_LINE_BYTES = 1 << 20
"""The longest input line (NMEA or CSV) read; longer lines are ``line_length`` rejects."""
MAX_RAW_CHARS = 2_000
"""``raw`` of a reject is cut to this many characters, followed by the full length and the
sha256 of the whole text."""


def outside_time_window(ts: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """True where ``ts`` (``TS``) is set but outside ``[TIME_MIN, TIME_MAX)`` (null stays
    false: a missing time is its own reject reason)."""
    lo = pa.scalar(TIME_MIN, TS)
    hi = pa.scalar(TIME_MAX, TS)
    bad = pc.or_(pc.less(ts, lo), pc.greater_equal(ts, hi))
    return pc.fill_null(bad, False)


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``."""
    return schema.empty_table()
