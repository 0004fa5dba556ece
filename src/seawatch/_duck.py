"""The one way seawatch opens DuckDB: in memory, and quiet.

DuckDB draws a progress bar on standard output for any query that runs longer than two
seconds, even when standard output is a pipe or a file. That would put carriage returns
and block characters into the middle of ``--format json`` documents, CSV exports and
tables, and into the API's logs. Every connection seawatch makes comes from here, with the
bar off."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["connect"]


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without the progress bar (``duckdb`` is imported
    here, on first use, so that importing a module that may need it stays cheap)."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con
