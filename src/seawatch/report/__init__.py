"""Reports: event counts by type, flag, day or region (:func:`summarize`, :func:`report`),
and hours of presence near a country's coast (:mod:`seawatch.report.presence`)."""

from __future__ import annotations

from seawatch.report._brief import ENGAGEMENT_TYPES, Brief, brief, legend
from seawatch.report._engagements import engagement_counts, engagement_summary, incidents
from seawatch.report._summary import BY, By, as_records, filter_events, report, split_csv, summarize

__all__ = [
    "BY",
    "ENGAGEMENT_TYPES",
    "Brief",
    "By",
    "as_records",
    "brief",
    "engagement_counts",
    "engagement_summary",
    "filter_events",
    "incidents",
    "legend",
    "report",
    "split_csv",
    "summarize",
]
