"""Read-only DuckDB over the store: one view per table, over exactly the manifest's files.

The connection is in-memory; each view reads the Parquet files the manifest lists (never a
glob, so orphans of a killed ingest are invisible). After the views are created, the
connection is locked down: file access is limited to those files (``allowed_paths``),
external access is disabled, and the configuration is locked, so ``COPY ... TO``,
``ATTACH``, ``INSTALL`` and reads of other files fail. :func:`run_query` additionally
accepts only ``SELECT`` (including ``WITH``, ``DESCRIBE``, ``SHOW``) and ``EXPLAIN``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from duckdb.func import FunctionNullHandling, PythonUDFType

from seawatch import schema
from seawatch._exceptions import StoreError

_DUCK_TYPES: dict[str, str] = {
    "uint8": "UTINYINT",
    "uint16": "USMALLINT",
    "uint32": "UINTEGER",
    "int8": "TINYINT",
    "int64": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
}

VIEW_NAMES: tuple[str, ...] = ("positions", "statics", "others", "rejects", "events", "vessels")

VESSELS_SQL = """
WITH p AS (
    SELECT mmsi, min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS n_positions
    FROM positions GROUP BY mmsi
), s AS (
    SELECT mmsi,
        arg_max(name, ts) FILTER (WHERE name IS NOT NULL) AS name,
        arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL) AS callsign,
        arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL) AS imo,
        arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type,
        arg_max(length_m, ts) FILTER (WHERE length_m IS NOT NULL) AS length_m,
        arg_max(beam_m, ts) FILTER (WHERE beam_m IS NOT NULL) AS beam_m,
        arg_max(draught_m, ts) FILTER (WHERE draught_m IS NOT NULL) AS draught_m,
        arg_max(destination, ts) FILTER (WHERE destination IS NOT NULL) AS destination,
        arg_max("class", ts) FILTER (WHERE "class" IS NOT NULL) AS "class",
        min(ts) AS first_static, max(ts) AS last_static
    FROM statics GROUP BY mmsi
)
SELECT coalesce(p.mmsi, s.mmsi) AS mmsi, s.name, s.callsign, s.imo, s.ship_type,
    _ship_group(s.ship_type) AS ship_group, _flag(coalesce(p.mmsi, s.mmsi)) AS flag,
    s.length_m, s.beam_m, s.draught_m, s.destination, s."class",
    least(p.first_seen, s.first_static) AS first_seen,
    greatest(p.last_seen, s.last_static) AS last_seen,
    coalesce(p.n_positions, 0) AS n_positions
FROM p FULL OUTER JOIN s ON p.mmsi = s.mmsi
"""
"""One row per MMSI: the latest non-null value of each identity field, flag (from the MID),
ship group, first/last seen over positions and statics, and the number of positions."""


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    if pa.types.is_list(t):
        return _duck_type(t.value_type) + "[]"
    return _DUCK_TYPES[str(t)]


def _empty_select(sch: pa.Schema) -> str:
    cols = ", ".join(f'NULL::{_duck_type(f.type)} AS "{f.name}"' for f in sch)
    return f"SELECT {cols} WHERE false"


def _files_select(files: list[Path], sch: pa.Schema) -> str:
    if not files:
        return _empty_select(sch)
    listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    # columns added to a schema later (events' ``simulated``) are null in older files
    present: set[str] = set()
    for f in files:
        present.update(pq.read_schema(f).names)
    cols = ", ".join(
        f'"{f.name}"' if f.name in present else f'NULL::{_duck_type(f.type)} AS "{f.name}"'
        for f in sch
    )
    return f"SELECT {cols} FROM read_parquet([{listing}], union_by_name = true)"


def _register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    from seawatch.ais.codes import flags_of, ship_groups_of

    def flag(mmsi: Any) -> Any:
        return pa.array(flags_of(mmsi), pa.string())

    def group(ship_type: Any) -> Any:
        return pa.array(ship_groups_of(ship_type), pa.string())

    con.create_function(
        "_flag",
        flag,
        ["UINTEGER"],
        "VARCHAR",
        type=PythonUDFType.ARROW,
        null_handling=FunctionNullHandling.SPECIAL,
    )
    con.create_function(
        "_ship_group",
        group,
        ["UTINYINT"],
        "VARCHAR",
        type=PythonUDFType.ARROW,
        null_handling=FunctionNullHandling.SPECIAL,
    )


def read_only_connection(tables: dict[str, list[Path]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with read-only views over ``tables`` (name -> Parquet files)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    schemas = {
        "positions": schema.POSITIONS,
        "statics": schema.STATICS,
        "others": schema.OTHERS,
        "rejects": schema.REJECTS,
        "events": schema.EVENTS,
    }
    allowed: list[str] = []
    for name, sch in schemas.items():
        files = tables.get(name, [])
        allowed.extend(str(f) for f in files)
        con.execute(f"CREATE VIEW {name} AS {_files_select(files, sch)}")
    _register_udfs(con)
    con.execute(f"CREATE VIEW vessels AS {VESSELS_SQL}")
    listing = ", ".join("'" + a.replace("'", "''") + "'" for a in allowed)
    con.execute(f"SET allowed_paths = [{listing}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")
    return con


_ALLOWED_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


def check_read_only(sql: str) -> None:
    """Raise :class:`StoreError` unless every statement in ``sql`` only reads.

    Raises:
        StoreError: a statement writes, attaches, sets options, or cannot be parsed.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"cannot parse the query: {exc}") from exc
    if not statements:
        raise StoreError("empty query")
    for st in statements:
        kind = st.type.name
        if kind not in _ALLOWED_STATEMENTS:
            raise StoreError(
                f"the store is read-only here: {kind} statements are not allowed "
                "(only SELECT, WITH ... SELECT, DESCRIBE, SHOW and EXPLAIN)"
            )


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run a read-only query and return its result as an Arrow table.

    Raises:
        StoreError: the statement is not read-only, or DuckDB rejects it.
    """
    check_read_only(sql)
    try:
        relation = con.sql(sql)
        if relation is None:
            raise StoreError("the query returned no result")
        result = relation.to_arrow_table()
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {exc}") from exc
    table: pa.Table = result
    return table
