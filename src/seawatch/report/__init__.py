"""Reports: event counts by type, flag, day or region (:func:`summarize`, :func:`report`),
and hours of presence near a country's coast (:mod:`seawatch.report.presence`)."""

from __future__ import annotations

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
    parse_bbox,
    store_vocabulary,
    vocabulary,
)
from seawatch.report._summary import BY, By, as_records, filter_events, report, split_csv, summarize
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
