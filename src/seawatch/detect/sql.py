"""A small runner for the portable SQL of the pair detectors (DESIGN.md §5).

The queries are plain text in the subset DuckDB and Spark SQL both run unchanged
(window functions, ``LAG``, ``SUM() OVER (ROWS ...)``, ``VALUES`` cross joins,
``floor/radians/asin``; no ``ASOF JOIN``, no ``range()``). A runner registers Arrow
tables under fixed view names and runs the query; :class:`DuckDBRunner` is the embedded
one. A Spark runner only has to implement :meth:`SqlRunner.query` (``createOrReplaceTempView``
then ``spark.sql``) to reuse the same text.

Numeric parameters are rendered into the text as literals by :func:`render` (both engines
see byte-identical SQL; there is no portable bind-parameter syntax).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import pyarrow as pa

from seawatch._duck import connect
from seawatch._exceptions import ParameterError

__all__ = ["FORBIDDEN", "DuckDBRunner", "SqlRunner", "check_portable", "render"]

FORBIDDEN = (r"\bASOF\b", r"\brange\s*\(", r"\bQUALIFY\b", r"\bPIVOT\b", r"::")
"""Constructs outside the DuckDB/Spark common subset (regular expressions, case-insensitive)."""


def check_portable(sql: str) -> None:
    """Raise :class:`ParameterError` when ``sql`` uses a construct outside the common subset."""
    for pattern in FORBIDDEN:
        if re.search(pattern, sql, flags=re.IGNORECASE):
            raise ParameterError(f"SQL is not portable: matches {pattern!r}")


def render(template: str, **literals: float | int) -> str:
    """``template`` with ``{name}`` replaced by numeric literals (finite numbers only):
    integers as integers, floats as DOUBLE literals in scientific notation."""
    text: dict[str, str] = {}
    for name, value in literals.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"SQL literal {name} must be a number, not {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"SQL literal {name} must be finite")
        # floats in scientific notation: both DuckDB and Spark read ``0.0045`` as a DECIMAL
        # (slow fixed-point arithmetic), ``4.5e-03`` as a DOUBLE
        text[name] = repr(int(value)) if isinstance(value, int) else format(float(value), ".17e")
    return template.format(**text)


@runtime_checkable
class SqlRunner(Protocol):
    """Runs one portable query over Arrow tables registered as views."""

    def query(self, sql: str, views: Mapping[str, pa.Table]) -> pa.Table:
        """The result of ``sql`` with each table of ``views`` visible under its name."""
        ...


class DuckDBRunner:
    """:class:`SqlRunner` on an in-memory DuckDB connection (embedded default).

    ``threads`` limits DuckDB's threads (None: DuckDB's default); ``memory_limit`` is a
    DuckDB size string (``"2GB"``), None for DuckDB's default.
    """

    __slots__ = ("_con",)

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        self._con = connect()
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
                raise ParameterError(f"bad memory limit {memory_limit!r}")
            self._con.execute(f"SET memory_limit = '{memory_limit}'")

    def query(self, sql: str, views: Mapping[str, pa.Table]) -> pa.Table:
        check_portable(sql)
        for name, table in views.items():
            self._con.register(name, table)
        try:
            result: pa.Table = self._con.sql(sql).to_arrow_table()
        finally:
            for name in views:
                self._con.unregister(name)
        return result

    def close(self) -> None:
        """Close the connection."""
        self._con.close()
