"""Reports: event counts by type, flag, day or region (:func:`summarize`, :func:`report`),
and hours of presence near a country's coast (:mod:`seawatch.report.presence`)."""

from __future__ import annotations

from seawatch.report._brief import ENGAGEMENT_TYPES, Brief, brief, candidate_detections
from seawatch.report._summary import BY, By, as_records, filter_events, report, split_csv, summarize

__all__ = [
    "BY",
    "ENGAGEMENT_TYPES",
    "Brief",
    "By",
    "as_records",
    "brief",
    "candidate_detections",
    "filter_events",
    "report",
    "split_csv",
    "summarize",
]
