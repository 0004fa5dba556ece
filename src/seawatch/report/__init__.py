"""Reports: event counts by type, flag, day or region (:func:`summarize`, :func:`report`),
and hours of presence near a country's coast (:mod:`seawatch.report.presence`)."""

from __future__ import annotations

from seawatch.report._summary import BY, By, as_records, filter_events, report, split_csv, summarize

__all__ = ["BY", "By", "as_records", "filter_events", "report", "split_csv", "summarize"]
