"""Reports: event counts by type, flag, day or region (:func:`summarize`, :func:`report`),
and hours of presence near a country's coast (:mod:`seawatch.report.presence`).

Importing this package is cheap: each name loads its module on first use (the filters of
``seawatch events`` need neither the detectors nor the brief)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seawatch._lazy import lazy_names

if TYPE_CHECKING:
    from seawatch.report import records
    from seawatch.report._brief import ENGAGEMENT_TYPES, Brief, brief, candidate_detections, legend
    from seawatch.report._counts import COUNT_KEYS, count_events
    from seawatch.report._engagements import engagement_counts, engagement_summary, incidents
    from seawatch.report._query import (
        ROLE_GROUPS,
        EventFilter,
        Vocabulary,
        check_country,
        choose,
        empty_notes,
        parse_bbox,
        store_vocabulary,
        vocabulary,
    )
    from seawatch.report._summary import (
        BY,
        By,
        as_records,
        filter_events,
        report,
        split_csv,
        summarize,
    )
    from seawatch.report._vessel import IDENTITY_FIELDS, vessel_profile

__all__ = [
    "BY",
    "COUNT_KEYS",
    "ENGAGEMENT_TYPES",
    "IDENTITY_FIELDS",
    "ROLE_GROUPS",
    "Brief",
    "By",
    "EventFilter",
    "Vocabulary",
    "as_records",
    "brief",
    "candidate_detections",
    "check_country",
    "choose",
    "count_events",
    "empty_notes",
    "engagement_counts",
    "engagement_summary",
    "filter_events",
    "incidents",
    "legend",
    "parse_bbox",
    "records",
    "report",
    "split_csv",
    "store_vocabulary",
    "summarize",
    "vessel_profile",
    "vocabulary",
]

_LAZY = {
    "records": "seawatch.report.records",
    "ENGAGEMENT_TYPES": "seawatch.report._brief",
    "Brief": "seawatch.report._brief",
    "brief": "seawatch.report._brief",
    "candidate_detections": "seawatch.report._brief",
    "legend": "seawatch.report._brief",
    "COUNT_KEYS": "seawatch.report._counts",
    "count_events": "seawatch.report._counts",
    "engagement_counts": "seawatch.report._engagements",
    "engagement_summary": "seawatch.report._engagements",
    "incidents": "seawatch.report._engagements",
    "ROLE_GROUPS": "seawatch.report._query",
    "EventFilter": "seawatch.report._query",
    "Vocabulary": "seawatch.report._query",
    "check_country": "seawatch.report._query",
    "choose": "seawatch.report._query",
    "empty_notes": "seawatch.report._query",
    "parse_bbox": "seawatch.report._query",
    "store_vocabulary": "seawatch.report._query",
    "vocabulary": "seawatch.report._query",
    "BY": "seawatch.report._summary",
    "By": "seawatch.report._summary",
    "as_records": "seawatch.report._summary",
    "filter_events": "seawatch.report._summary",
    "report": "seawatch.report._summary",
    "split_csv": "seawatch.report._summary",
    "summarize": "seawatch.report._summary",
    "IDENTITY_FIELDS": "seawatch.report._vessel",
    "vessel_profile": "seawatch.report._vessel",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
