"""Live surveillance: feeds, the listener's micro-batch commits, versioned events, alerts.

See docs/LIVE.md (how to run it) and docs/ARCHITECTURE.md (``seawatch.live``).
"""

from __future__ import annotations

from seawatch.live._alerts import (
    PHASES,
    Alerter,
    AlertSink,
    JsonlSink,
    Rule,
    VesselInfo,
    WebhookSink,
    load_mutes,
    load_rules,
    mute,
    parse_duration,
)
from seawatch.live._feeds import (
    FEED_KINDS,
    FeedSpec,
    FeedStats,
    Limits,
    LineSplitter,
    json_message_row,
    parse_hostport,
    stamp_line,
)
from seawatch.live._listener import (
    HEALTH,
    Listener,
    ListenOptions,
    ListenResult,
    listener_running,
    read_health,
)
from seawatch.live._replay import ReplayResult, line_time_s, replay, timed_lines
from seawatch.live._versions import (
    CHANGE_KINDS,
    CHANGES,
    ChangeLog,
    change_records,
    current_status,
    last_seq,
    read_changes,
)

__all__ = [
    "CHANGES",
    "CHANGE_KINDS",
    "FEED_KINDS",
    "HEALTH",
    "PHASES",
    "AlertSink",
    "Alerter",
    "ChangeLog",
    "FeedSpec",
    "FeedStats",
    "JsonlSink",
    "Limits",
    "LineSplitter",
    "ListenOptions",
    "ListenResult",
    "Listener",
    "ReplayResult",
    "Rule",
    "VesselInfo",
    "WebhookSink",
    "change_records",
    "current_status",
    "json_message_row",
    "last_seq",
    "line_time_s",
    "listener_running",
    "load_mutes",
    "load_rules",
    "mute",
    "parse_duration",
    "parse_hostport",
    "read_changes",
    "read_health",
    "replay",
    "stamp_line",
    "timed_lines",
]
