"""Neutralising spreadsheet formulas in CSV output (OWASP "CSV injection").

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so text from hostile input (an AIS name, a zone name, a watchlist
entry) could run ``=HYPERLINK(...)`` or ``+cmd|...`` on the analyst's machine. Every CSV
writer of seawatch passes text cells through :func:`csv_safe`; numbers (``-12.5``) are
left alone. Lives here, below ``cli`` and ``api``, so both use the one rule.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet evaluate a CSV cell."""

_NUMBER_RE = re.compile(r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|nan)$", re.IGNORECASE)


def csv_safe(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula.

    Numbers (``-12.5``, ``+3``, ``1e-3``, ``-inf``) are returned unchanged."""
    if value and value.startswith(FORMULA_PREFIXES) and not _NUMBER_RE.match(value):
        return "'" + value
    return value
