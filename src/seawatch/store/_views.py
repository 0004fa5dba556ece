"""Read-only DuckDB over the store: one view per table, over exactly the manifest's files.

The connection is in-memory and has **no file access at all**: each table is a PyArrow
dataset over the Parquet files the manifest lists (never a glob, so orphans of a killed
ingest are invisible), opened read-only by Arrow and registered in DuckDB as a view. After
the views are created, external access is disabled (no ``allowed_paths``) and the
configuration is locked, so no statement can open, create or overwrite any file: ``COPY
... TO``, ``ATTACH``, ``INSTALL``, ``read_csv('/etc/...')`` all fail, whatever wraps them.

:func:`run_query` additionally parses the SQL with DuckDB's own parser and accepts exactly
one statement that only reads: ``SELECT`` (including ``WITH``, ``FROM``, ``VALUES``,
``DESCRIBE``, ``SHOW``, ``SUMMARIZE``) or ``EXPLAIN [ANALYZE]`` of such a statement. It runs
under a time limit (the query is interrupted) and a memory limit, and spills to a private
temporary directory, never to DuckDB's default ``./.tmp`` in the working directory.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from duckdb.func import FunctionNullHandling, PythonUDFType

from seawatch import schema
from seawatch._duck import connect
from seawatch._exceptions import ParameterError, QueryTimeoutError, StoreError
from seawatch.store._filter import EVENT_VESSELS_SQL

VIEW_NAMES: tuple[str, ...] = (
    "positions",
    "statics",
    "others",
    "rejects",
    "events",
    "vessels",
    "detections",
    "scenes",
    "event_vessels",
)

TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "positions": schema.POSITIONS,
    "statics": schema.STATICS,
    "others": schema.OTHERS,
    "rejects": schema.REJECTS,
    "events": schema.EVENTS,
    "detections": schema.DETECTIONS,
    "scenes": schema.SCENES,
}

DEFAULT_QUERY_TIMEOUT_S = 60.0
"""``seawatch query`` interrupts a query after this long (``--timeout``)."""

DEFAULT_MEMORY_FRACTION = 0.5
"""``seawatch query`` lets DuckDB use this fraction of physical memory (``--memory-limit``);
beyond it, DuckDB spills to a temporary directory or fails with an out-of-memory error."""

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
), v AS (
    SELECT coalesce(p.mmsi, s.mmsi) AS mmsi, s.name, s.callsign, s.imo, s.ship_type,
        _ship_group(s.ship_type) AS ship_group,
        _role(coalesce(p.mmsi, s.mmsi), s.name, s.ship_type, s.imo, s.callsign) AS r,
        _flag(coalesce(p.mmsi, s.mmsi)) AS flag,
        s.length_m, s.beam_m, s.draught_m, s.destination, s."class",
        least(p.first_seen, s.first_static) AS first_seen,
        greatest(p.last_seen, s.last_static) AS last_seen,
        coalesce(p.n_positions, 0) AS n_positions
    FROM p FULL OUTER JOIN s ON p.mmsi = s.mmsi
)
SELECT mmsi, name, callsign, imo, ship_type, ship_group, r.role AS role,
    r.source AS role_source, flag, length_m, beam_m, draught_m, destination, "class",
    first_seen, last_seen, n_positions
FROM v
"""
"""One row per MMSI: the latest non-null value of each identity field, flag (from the MID),
ship group (from the type code), role and role_source (:mod:`seawatch.ais.roles`: the
bundled and the store's role lists, name, MMSI, call sign, type), first/last seen over
positions and statics, and the number of positions."""


def _plain(t: pa.DataType) -> pa.DataType:
    """``t`` without dictionary encoding (views show strings as VARCHAR)."""
    if pa.types.is_dictionary(t):
        return _plain(t.value_type)
    if pa.types.is_list(t):
        return pa.list_(_plain(t.value_type))
    return t


def _plain_schema(sch: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _plain(f.type), f.nullable) for f in sch])


def _table_source(files: list[Path], sch: pa.Schema) -> Any:
    """What DuckDB scans for one table: a dataset over ``files`` (or an empty table)."""
    plain = _plain_schema(sch)
    if not files:
        return plain.empty_table()
    import pyarrow.dataset as ds

    return ds.dataset([str(f) for f in files], format="parquet", schema=plain)


def _register_udfs(con: duckdb.DuckDBPyConnection, role_entries: pa.Table | None) -> None:
    from seawatch.ais.codes import flags_of, ship_groups_of
    from seawatch.ais.roles import role_index, roles_of

    index = None if role_entries is None else role_index(role_entries)

    def role(mmsi: Any, name: Any, ship_type: Any, imo: Any, callsign: Any) -> Any:
        r, src = roles_of(mmsi, name, ship_type, imo=imo, callsign=callsign, entries=index)
        return pa.StructArray.from_arrays([r, src], names=["role", "source"])

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
        "_role",
        role,
        ["UINTEGER", "VARCHAR", "UTINYINT", "UINTEGER", "VARCHAR"],
        duckdb.struct_type({"role": "VARCHAR", "source": "VARCHAR"}),
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


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def physical_memory_bytes() -> int:
    """Physical memory of this machine (0 when the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def parse_memory_limit(text: str) -> int:
    """Bytes from a size such as ``4GB``, ``512MiB`` or ``25%`` (of physical memory).

    Raises:
        ParameterError: not a size, or below 16 MB.
    """
    m = _SIZE.match(text)
    if m is None:
        raise ParameterError(f"not a memory size: {text!r} (e.g. 4GB, 512MB or 25%)")
    value, unit = float(m.group(1)), m.group(2).upper()
    if unit == "%":
        if not 0 < value <= 100:
            raise ParameterError(f"a memory percentage must be in (0, 100]: {text!r}")
        total = physical_memory_bytes()
        if total <= 0:
            raise ParameterError("cannot tell the physical memory size: give the limit in bytes")
        n = int(total * value / 100)
    else:
        n = int(value * _UNITS[unit])
    if n < 16 * 10**6:
        raise ParameterError(f"memory limit {text!r} is too small (at least 16MB)")
    return n


def default_memory_limit() -> int:
    """:data:`DEFAULT_MEMORY_FRACTION` of physical memory (1 GB when unknown)."""
    total = physical_memory_bytes()
    return int(total * DEFAULT_MEMORY_FRACTION) if total > 0 else 10**9


def read_only_connection(
    tables: dict[str, list[Path]],
    *,
    spill_dir: Path | None = None,
    memory_limit_bytes: int | None = None,
    role_entries: pa.Table | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with read-only views over ``tables`` (name -> Parquet files).
    ``role_entries``: the role lists for the ``vessels`` view's ``role`` (``None``: the
    bundled list).

    DuckDB gets no file access: the files are read by Arrow. ``spill_dir`` is where DuckDB
    may write temporary files beyond ``memory_limit_bytes`` (None: it never spills; in
    particular never to ``./.tmp``). The caller owns (and removes) ``spill_dir``.
    """
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        spill = "" if spill_dir is None else str(spill_dir).replace("'", "''")
        con.execute(f"SET temp_directory = '{spill}'")
        if memory_limit_bytes is not None:
            con.execute(f"SET memory_limit = '{int(memory_limit_bytes)}B'")
        for name, sch in TABLE_SCHEMAS.items():
            con.from_arrow(_table_source(tables.get(name, []), sch)).create_view(name)
        _register_udfs(con, role_entries)
        con.execute(f"CREATE VIEW vessels AS {VESSELS_SQL}")
        con.execute(EVENT_VESSELS_SQL)
        con.execute("SET python_enable_replacements = false")  # no Python variables as tables
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET allow_community_extensions = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


# --- the statement allow-list -----------------------------------------------------------

_ALLOWED_STATEMENTS = frozenset({"SELECT"})
_ALLOWED_TEXT = "one SELECT (WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE) or EXPLAIN of one"
_TOKEN = re.compile(r"\s+|--[^\n]*(?:\n|$)|/\*.*?\*/", re.DOTALL)


def _skip_space(text: str, i: int) -> int:
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            return i
        i = m.end()
    return i


def _word(text: str, i: int) -> tuple[str, int]:
    m = re.compile(r"[A-Za-z_]+").match(text, i)
    return (m.group(0).upper(), m.end()) if m else ("", i)


def _explained(text: str) -> str:
    """The statement an ``EXPLAIN [ANALYZE] [(options)] ...`` explains."""
    i = _skip_space(text, 0)
    word, i = _word(text, i)
    if word != "EXPLAIN":
        raise StoreError(f"cannot read the EXPLAIN statement; allowed: {_ALLOWED_TEXT}")
    i = _skip_space(text, i)
    if text.startswith("(", i):
        close = text.find(")", i)
        if close < 0:
            raise StoreError("cannot parse the EXPLAIN options")
        i = _skip_space(text, close + 1)
    word, j = _word(text, i)
    if word in ("ANALYZE", "ANALYSE"):
        i = j
    return text[i:]


def _parse(sql: str) -> list[Any]:
    try:
        statements: list[Any] = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"cannot parse the query: {_one_line(exc)}") from exc
    return statements


def check_read_only(sql: str) -> None:
    """Raise :class:`StoreError` unless ``sql`` is exactly one statement that only reads:
    a ``SELECT`` (``WITH``, ``FROM``, ``VALUES``, ``DESCRIBE``, ``SHOW``, ``SUMMARIZE``), or
    ``EXPLAIN``/``EXPLAIN ANALYZE`` of one.

    Raises:
        StoreError: more than one statement, a statement that writes, attaches, loads, sets
            options or calls procedures, or SQL that cannot be parsed.
    """
    statements = _parse(sql)
    if not statements:
        raise StoreError("empty query")
    if len(statements) > 1:
        raise StoreError(
            f"the store is read-only here: one statement per query ({len(statements)} given)"
        )
    st = statements[0]
    kind = st.type.name
    if kind == "EXPLAIN":
        inner = _parse(_explained(st.query))
        if len(inner) != 1:
            raise StoreError(f"the store is read-only here: allowed: {_ALLOWED_TEXT}")
        kind = inner[0].type.name
        if kind not in _ALLOWED_STATEMENTS:
            raise StoreError(
                f"the store is read-only here: EXPLAIN of a {kind} statement is not allowed "
                f"(allowed: {_ALLOWED_TEXT})"
            )
        return
    if kind not in _ALLOWED_STATEMENTS:
        raise StoreError(
            f"the store is read-only here: {kind} statements are not allowed "
            f"(allowed: {_ALLOWED_TEXT})"
        )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:497] + "..."


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB reporting an interrupted query (an ``InterruptException``,
    or a ``RuntimeError('Query interrupted')`` when Ctrl-C arrives while results stream)."""
    return isinstance(exc, duckdb.InterruptException) or "interrupted" in str(exc).lower()


@contextmanager
def time_limit(
    con: duckdb.DuckDBPyConnection, timeout_s: float | None, what: str = "the query"
) -> Iterator[None]:
    """Interrupt what runs on ``con`` inside the block after ``timeout_s`` seconds and raise
    :class:`QueryTimeoutError` (None or 0: no limit). ``con`` must be used by one thread."""
    if not timeout_s or timeout_s <= 0:
        yield
        return
    fired = threading.Event()
    guard = threading.Lock()
    active = [True]

    def interrupt() -> None:
        with guard:
            if active[0]:
                fired.set()
                con.interrupt()

    timer = threading.Timer(timeout_s, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except (duckdb.InterruptException, RuntimeError) as exc:
        if fired.is_set() and _interrupted(exc):
            raise QueryTimeoutError(
                f"{what} took longer than {timeout_s:g} s and was stopped"
            ) from exc
        raise
    finally:
        with guard:
            active[0] = False
        timer.cancel()


def _interruptible(con: duckdb.DuckDBPyConnection, work: Callable[[], pa.Table]) -> pa.Table:
    """Run ``work`` so that Ctrl-C interrupts its query at once and cleanly: on the main
    thread, SIGINT is handled by interrupting ``con`` (with Python's default handler DuckDB
    takes many seconds to stop and reports a ``RuntimeError``); KeyboardInterrupt follows."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    hit: list[bool] = []

    def on_sigint(signum: int, frame: Any) -> None:
        hit.append(True)
        con.interrupt()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = work()
    except (duckdb.InterruptException, RuntimeError) as exc:
        if hit and _interrupted(exc):
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if hit:
        raise KeyboardInterrupt
    return result


def run_query(
    con: duckdb.DuckDBPyConnection, sql: str, *, timeout_s: float | None = None
) -> pa.Table:
    """Run a read-only query and return its result as an Arrow table.

    Raises:
        StoreError: the statement is not read-only, or DuckDB rejects it.
        QueryTimeoutError: it ran longer than ``timeout_s`` seconds (None: no limit).
        KeyboardInterrupt: it was interrupted (Ctrl-C).
    """
    check_read_only(sql)

    def execute() -> pa.Table:
        with time_limit(con, timeout_s):
            relation = con.sql(sql)
            if relation is None:
                raise StoreError("the query returned no result")
            table: pa.Table = relation.to_arrow_table()
            return table

    try:
        result = _interruptible(con, execute)
    except duckdb.InterruptException as exc:
        raise KeyboardInterrupt from exc
    except RuntimeError as exc:
        if _interrupted(exc):
            raise KeyboardInterrupt from exc
        raise StoreError(f"query failed: {_one_line(exc)}") from exc
    except duckdb.OutOfMemoryException as exc:
        raise StoreError(
            f"the query ran out of memory: {_one_line(exc)} (raise --memory-limit)"
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {_one_line(exc)}") from exc
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"query failed reading the store: {_one_line(exc)}") from exc
    table: pa.Table = result
    return table
