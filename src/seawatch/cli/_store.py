"""``seawatch ingest``, ``seawatch query`` and ``seawatch vessel``: the store commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from seawatch.cli._common import (
    MasterOption,
    OutputOption,
    StoreOption,
    WaitOption,
    output,
    store_path,
)
from seawatch.cli._render import (
    CsvOut,
    CsvRawOption,
    cells,
    print_cells,
    store_vessel_labels,
    styled,
    utc_text,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from seawatch.store import IngestOptions, IngestSummary, Store

ORDER = 20

QUERY_TIMEOUT_S = 60.0
"""``--timeout`` default (:data:`seawatch.store._views.DEFAULT_QUERY_TIMEOUT_S`; the
store is imported lazily, so the CLI repeats it and a test checks they agree)."""
QUERY_MEMORY = "50%"
"""``--memory-limit`` default (:data:`seawatch.store._views.DEFAULT_MEMORY_FRACTION`)."""

_INGEST_EPILOG = """
Examples:

  seawatch ingest data/*.nmea.gz --store ./store

  seawatch ingest ais-nmea-sample.log --time 2015-10-06T12:00:00Z   (untimed NMEA)

  cat feed.log | seawatch ingest -        (a feed: committed in batches, see below)

  seawatch ingest day2.nmea --wait 600     (wait up to 10 min for another writer)

  seawatch ingest ships.csv --columns mmsi=ship_id,ts=time,lat=y,lon=x

Formats (detected from content, or --format): nmea (plain, .gz, .bz2, .zst), noaa_csv
(MarineCadastre, old and 2025 headers), dma_csv (Danish Maritime Authority), csv (generic,
columns found by name or --columns), parquet. Re-ingesting a file adds nothing; with
other options (--time after an untimed attempt) it replaces that file's earlier rejects.
Standard input in NMEA is committed in batches (every 64 MiB or 60 s of input) and the
store's writer lock is held only while a batch is merged; other stdin input is spooled to
a temporary file first, then ingested.

Hostile input is counted, never fatal: times outside 1980-01-01 .. 2100-01-01 UTC are
bad_value rejects, lines over 1 MiB line_length rejects, a damaged .gz/.bz2/.zst keeps
its good part (damaged_input reject and a warning), FIFOs and devices are skipped.
"""

_VESSEL_EPILOG = """
Examples:

  seawatch vessel 775100201 --store /tmp/demo

  seawatch vessel 775100201 --format json | jq .sanctions

Sanctions status screens every name and IMO number the vessel broadcast, and its MMSI,
against the bundled OFAC SDN vessel list (dated; later designations are missing) and the
store's own lists (seawatch watchlist add).
"""

_QUERY_EPILOG = """
Views: positions, statics, vessels, rejects, others, events. The query can only read:
exactly one SELECT (WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE) or EXPLAIN [ANALYZE]
of one runs; COPY, INSERT, ATTACH, SET, PRAGMA, CALL ... are refused, and DuckDB cannot
open any file (the store is read through Arrow). A query is stopped after --timeout
seconds; beyond --memory-limit DuckDB spills to a temporary directory (under $TMPDIR,
removed afterwards). --format json writes one JSON array of row objects, jsonl one object
per line, csv a header line first; times are ISO 8601 UTC with a trailing Z (in the table:
2025-12-08 08:00:05Z). CSV text cells that start with = + - @ tab or CR get a leading '
so spreadsheets do not run them (--csv-raw: as stored). Table cells are shown literally,
never as markup.

Example:

  seawatch query "SELECT flag, count(*) FROM vessels GROUP BY flag ORDER BY 2 DESC LIMIT 5"
"""


_PATHS_ARG = typer.Argument(
    ..., help="Files, directories, glob patterns, or - for stdin.", show_default=False
)
_FOOTPRINT_OPT = typer.Option(
    None,
    "--scene-footprint",
    help="With --kind detections: GeoJSON polygons of the scenes imaged (scene_id, "
    "ts_start, ts_end properties), so that 'not detected' differs from 'not imaged'.",
)
_SQL_ARG = typer.Argument(..., help="A read-only SQL query (DuckDB dialect).")
_MMSI_ARG = typer.Argument(..., help="The vessel's MMSI.")


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--time") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _print_summary(summary: IngestSummary, *, timed: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    err = Console(stderr=True)
    for f in summary.files:
        if f.status == "skipped":
            err.print(styled(f"skipped, already ingested: {f.path}", style="dim"))
        elif f.simulated:
            err.print(styled(f"simulated data (marked by seawatch simulate): {f.path}"))
    table = Table(title="ingest summary", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, int]] = [
        ("files ingested", summary.files_ingested),
        ("files skipped", summary.files_skipped),
        ("files rejected (unknown format or unreadable)", summary.files_rejected),
        ("lines", summary.lines),
        ("messages", summary.messages),
        ("positions added", summary.positions),
        ("statics added", summary.statics),
        ("other messages added", summary.others),
        ("vessels", summary.vessels),
        ("duplicates dropped", summary.duplicates_dropped),
        ("rejects", summary.rejects),
    ]
    for what, n in rows:
        table.add_row(what, f"{n:,}")
    for reason, n in summary.rejects_by_reason.items():
        table.add_row(f"  rejects: {reason}", f"{n:,}")
    if summary.days:
        days = summary.days
        span = days[0].isoformat() if len(days) == 1 else f"{days[0]} .. {days[-1]}"
        table.add_row("UTC days touched", f"{len(days)} ({span})")
    err.print(table)
    for warning in summary.warnings:
        err.print(styled(f"warning: {warning}", style="yellow"))
    untimed = summary.rejects_by_reason.get("no_timestamp", 0)
    if untimed and not timed:
        err.print(
            f"[yellow]warning: {untimed:,} messages had no timestamp and were rejected "
            "(no_timestamp). This input carries no time: re-run with --time ISO "
            "(e.g. --time 2015-10-06T00:00:00Z) to give its messages a time.[/yellow]"
        )


def ingest_command(
    paths: list[str] = _PATHS_ARG,
    store: Path | None = StoreOption,
    fmt: str | None = typer.Option(
        None,
        "--format",
        help="nmea, noaa_csv, dma_csv, csv, parquet or geopackage (default: detect).",
    ),
    accept_bad_checksum: bool = typer.Option(
        False,
        "--accept-bad-checksum",
        help="Keep NMEA sentences whose checksum does not match (for sources known to mangle it).",
    ),
    time: str | None = typer.Option(
        None, "--time", help="ISO time for NMEA messages that carry none (untimed files)."
    ),
    columns: str | None = typer.Option(
        None, "--columns", help="CSV/Parquet column mapping, e.g. mmsi=ship_id,ts=time,lat=y,lon=x."
    ),
    dedup_window_s: float = typer.Option(
        10.0,
        "--dedup-window-s",
        help="Identical messages of one vessel at most this many seconds apart are stored once.",
    ),
    wait: float = WaitOption,
    kind: str = typer.Option(
        "ais",
        "--kind",
        help="ais (positions, statics) or detections (satellite/radar vessel detections: "
        "allenai_csv, viirs_json, csv, parquet or geojson with time, lat, lon).",
    ),
    scene_footprint: Path | None = _FOOTPRINT_OPT,
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local, or spark: decode the files on Apache Spark executors (one task per "
        "file; the store commit stays here). Both store the same rows.",
    ),
    master: str | None = MasterOption,
) -> None:
    """Ingest AIS files (or, with --kind detections, satellite/radar vessel detections)
    into the store (idempotent, atomic, de-duplicated)."""
    from seawatch.store import MANIFEST, IngestOptions, open_store, remove_empty_store

    if engine not in ("local", "spark"):
        raise typer.BadParameter("choose from local, spark", param_hint="--engine")
    if master is not None and engine != "spark":
        raise typer.BadParameter("--master needs --engine spark", param_hint="--master")
    if kind == "detections":
        if engine != "local":
            raise typer.BadParameter("--kind detections runs locally", param_hint="--engine")
        _ingest_detections(paths, store, fmt, scene_footprint, wait)
        return
    if kind != "ais":
        raise typer.BadParameter(f"--kind must be ais or detections, not {kind!r}")
    if scene_footprint is not None:
        raise typer.BadParameter("--scene-footprint needs --kind detections")
    default_time = _parse_time(time)
    options = IngestOptions(
        fmt=fmt,
        accept_bad_checksum=accept_bad_checksum,
        default_time=default_time,
        column_map=columns,
        dedup_window_s=dedup_window_s,
    )
    root = store_path(store)
    existed, dir_existed = (root / MANIFEST).exists(), root.exists()
    reader = None
    if engine == "spark":
        from seawatch.engine import spark_reader

        reader = spark_reader(paths, options, master=master)
    target = open_store(root, create=True)
    try:
        summary = _run_ingest(target, paths, options, wait, reader)
    except BaseException:
        if not existed:  # a failed first ingest leaves no empty store behind
            remove_empty_store(root, remove_dir=not dir_existed)
        raise
    _print_summary(summary, timed=default_time is not None)


def _run_ingest(
    target: Store,
    paths: list[str],
    options: IngestOptions,
    wait: float,
    reader: Callable[..., Iterable[Any]] | None = None,
) -> IngestSummary:
    """``target.ingest`` with a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from seawatch.store import IngestProgress

    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(event: IngestProgress) -> None:
            key = event.path if event.phase == "read" else "merge"
            if key not in tasks:
                label = f"reading {event.path}" if event.phase == "read" else "merging days"
                tasks[key] = bar.add_task(label[-60:], total=event.total)
            bar.update(tasks[key], completed=event.done, total=event.total)

        return target.ingest(
            paths, options=options, progress=on_progress, wait_s=wait, reader=reader
        )


def _ingest_detections(
    paths: list[str], store: Path | None, fmt: str | None, footprint: Path | None, wait: float
) -> None:
    from rich.console import Console

    from seawatch.store import MANIFEST, open_store, remove_empty_store

    root = store_path(store)
    existed, dir_existed = (root / MANIFEST).exists(), root.exists()
    target = open_store(root, create=True)
    try:
        summary = target.ingest_detections(paths, fmt=fmt, scene_footprint=footprint, wait_s=wait)
    except BaseException:
        if not existed:  # a failed first ingest leaves no empty store behind
            remove_empty_store(root, remove_dir=not dir_existed)
        raise
    console = Console(stderr=True)
    for f in summary.files:
        if f.status == "skipped":
            console.print(f"{f.path}: already in the store, skipped")
        else:
            console.print(
                f"{f.path} ({f.format}): {f.detections} detections, {f.scenes} scenes, "
                f"{f.rejects} rejects"
            )
    reasons = ", ".join(f"{k} {v}" for k, v in summary.rejects_by_reason.items())
    console.print(
        f"stored {summary.detections} new detections, {summary.scenes} new scenes"
        f" ({summary.duplicates_dropped} duplicates dropped); "
        f"{summary.rejects} rejects" + (f" ({reasons})" if reasons else "")
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        v = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, float):
        if value != value:
            return None
        import numpy as np

        as32 = float(np.float32(value))
        # a float32 column: print its shortest float32 form (3.3, not 3.2999999523)
        return float(str(np.float32(value))) if as32 == value else value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _cell(value: Any) -> str:
    """A value as CSV text (times ISO 8601 UTC with Z, lists and objects as JSON)."""
    if value is None:
        return ""
    v = _jsonable(value)
    return json.dumps(v) if isinstance(v, list | dict) else str(v)


def _table_cell(value: Any) -> str:
    """A value as table text (times ``2025-12-08 08:00:05Z``)."""
    if isinstance(value, datetime):
        return utc_text(value, seconds=True)
    return _cell(value)


def write_table(
    table: pa.Table, fmt: str, *, csv_raw: bool = False, out: TextIO | None = None
) -> None:
    """Write ``table`` to ``out`` (default stdout) as a rich table, CSV (with header), JSON
    (one document: an array of row objects) or JSON Lines (``jsonl``).

    Table cells are plain text (never markup); CSV cells that a spreadsheet would run as
    formulas get a leading ``'`` unless ``csv_raw`` (see :mod:`seawatch.cli._render`)."""
    out = sys.stdout if out is None else out
    if fmt == "jsonl":
        for batch in table.to_batches(65_536):
            for row in batch.to_pylist():
                out.write(json.dumps(_jsonable(row), ensure_ascii=False) + "\n")
        return
    if fmt == "json":  # one document: an array of row objects, streamed
        sep = "["
        for batch in table.to_batches(65_536):
            for row in batch.to_pylist():
                out.write(sep + json.dumps(_jsonable(row), ensure_ascii=False))
                sep = ",\n"
        out.write("[]\n" if sep == "[" else "]\n")
        return
    if fmt == "csv":
        writer = CsvOut(out, raw=csv_raw)
        writer.row(table.column_names)
        for batch in table.to_batches(65_536):
            for row in batch.to_pylist():
                writer.row([_cell(row[c]) for c in table.column_names])
        return
    from rich.console import Console

    rows = [[_table_cell(row[c]) for c in table.column_names] for row in table.to_pylist()]
    whole = [_atomic(f.type) for f in table.schema]
    print_cells(Console(file=out), table.column_names, rows, whole=whole)
    from seawatch.cli._brief import plural

    Console(stderr=True).print(f"[dim]{plural(table.num_rows, 'row')}[/dim]")


_FORMATS = ("table", "csv", "json", "jsonl")


def _atomic(t: pa.DataType) -> bool:
    """Numbers, times, booleans: values a table must show whole, on one line."""
    import pyarrow as pa

    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_temporal(t)
        or pa.types.is_boolean(t)
    )


def _check_format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(_FORMATS)}", param_hint="--format")
    return fmt


def query_command(
    sql: str = _SQL_ARG,
    store: Path | None = StoreOption,
    fmt: str = typer.Option(
        "table", "--format", help="table, csv, json (one array) or jsonl (one object per line)."
    ),
    csv_raw: bool = CsvRawOption,
    timeout: float = typer.Option(
        QUERY_TIMEOUT_S,
        "--timeout",
        min=0.0,
        metavar="SECONDS",
        help="Stop the query after this many seconds (0: no limit).",
    ),
    memory_limit: str = typer.Option(
        QUERY_MEMORY,
        "--memory-limit",
        help="DuckDB's memory limit: a size (4GB, 512MB) or a share of physical memory (25%).",
    ),
    out_path: Path | None = OutputOption,
) -> None:
    """Run one read-only SQL query over the store's views."""
    from seawatch._exceptions import ParameterError
    from seawatch.store import open_store, parse_memory_limit

    _check_format(fmt)
    try:
        limit = parse_memory_limit(memory_limit)
    except ParameterError as exc:
        raise typer.BadParameter(str(exc), param_hint="--memory-limit") from exc
    table = open_store(store_path(store)).query(
        sql, timeout_s=timeout or None, memory_limit_bytes=limit
    )
    with output(out_path) as out:
        write_table(table, fmt, csv_raw=csv_raw, out=out)


def vessel_report(target: Store, mmsi: int) -> dict[str, Any]:
    """The vessel profile (:func:`seawatch.report.vessel_profile`, as the API serves it).

    Raises:
        NotFoundError: the store has neither positions nor statics for ``mmsi``.
    """
    from seawatch.report import vessel_profile
    from seawatch.watchlist import all_lists

    lists = all_lists(target.root)
    with target.connect() as con:
        return vessel_profile(con, mmsi, lists=lists)


def _minute(iso_time: str | None) -> str:
    """``2025-12-08T08:00:00Z`` as the tables show it: ``2025-12-08 08:00Z``."""
    return "" if not iso_time else iso_time[:10] + " " + iso_time[11:16] + "Z"


def _print_vessel(report: dict[str, Any], labels: dict[int, str] | None = None) -> None:
    """The vessel report as text and tables; ``labels`` name the other vessels of its
    events (``MMSI NAME (FLAG)``)."""
    from rich.console import Console
    from rich.table import Table

    out = Console()
    flag = report["flag"] or "?"
    country = f" ({report['country']})" if report["country"] else ""
    out.print(styled((f"MMSI {report['mmsi']}", "bold"), f"  flag {flag}{country}"))
    first, last = _minute(report["first_seen"]), _minute(report["last_seen"])
    out.print(
        styled(
            f"role: {report['role'] or '?'} (source: {report['role_source'] or 'no evidence'}; "
            f"ship group from the type code: {report['ship_group'] or '?'})"
        )
    )
    out.print(
        styled(
            f"positions: {report['n_positions']:,}  first seen: {first}  "
            f"last seen: {last}  days: {report['days_with_positions']}"
        )
    )
    table = Table(title="identity history", title_justify="left")
    for col in ("field", "value", "first seen", "last seen", "reports"):
        table.add_column(col)
    for key, entries in report["identity"].items():
        for e in entries:
            value = _cell(e["value"])
            if "ship_group" in e:
                value += f" ({e['ship_group']})"
            table.add_row(
                *cells(
                    (key, value, _minute(e["first_seen"]), _minute(e["last_seen"]), e["n_reports"])
                )
            )
    out.print(table)
    sanctions = report["watchlist"]
    screened = ", ".join(f"{w['name']} ({w['date']})" for w in sanctions["lists"])
    if sanctions["hits"]:
        out.print(styled(("sanctions: ON A WATCHLIST", "bold red"), f" (screened: {screened})"))
        for h in sanctions["hits"]:
            out.print(
                styled(
                    f"  {h['list']} ({h['list_date']}): {h['entry_name']} [{h['program'] or '-'}], "
                    f"matched by {h['match']} {h['matched']}, confidence {h['confidence']:.2f}"
                )
            )
    else:
        out.print(styled(f"sanctions: no hit (screened: {screened})"))
    events = Table(title="events", title_justify="left")
    for col in ("type", "start", "end", "duration_h", "region", "zone", "other vessels"):
        events.add_column(col)
    for ev in report["events"]:
        others = [v for v in ev["vessels"] if v != report["mmsi"]]
        events.add_row(
            *cells(
                (
                    ev["type"],
                    _minute(ev["start"]),
                    _minute(ev["end"]),
                    "" if ev["duration_h"] is None else f"{ev['duration_h']:.1f}",
                    ev["region"],
                    ev["zone"],
                    "; ".join((labels or {}).get(int(v), str(v)) for v in others),
                )
            )
        )
    if report["events"]:
        out.print(events)
    else:
        out.print("events: none (run `seawatch detect` to compute them)")
    if report.get("dark_detections"):
        cand = Table(
            title="satellite/radar detections while its AIS was silent (candidate identity)",
            title_justify="left",
        )
        for col in (
            "time",
            "source",
            "lat",
            "lon",
            "length_m",
            "hours since fix",
            "km",
            "reach km",
            "AIS in scene",
        ):
            cand.add_column(col)
        for c in report["dark_detections"]:
            cand.add_row(
                c["time"],
                _cell(c["source"]),
                f"{c['lat']:.4f}",
                f"{c['lon']:.4f}",
                _cell(c["length_m"]),
                f"{c['hours_since_fix']:.1f}",
                f"{c['dist_m'] / 1000:.0f}",
                f"{c['reach_m'] / 1000:.0f}",
                "none (unidentified)" if c.get("type") == "unidentified_detection" else "heard",
            )
        out.print(cand)


def vessel_command(
    mmsi: int = _MMSI_ARG,
    store: Path | None = StoreOption,
    fmt: str = typer.Option("table", "--format", help="table or json (seawatch.vessel/1)."),
    out_path: Path | None = OutputOption,
) -> None:
    """Show a vessel: identity history, flag, sanctions status, track summary and events."""
    from seawatch.store import open_store

    if fmt not in ("table", "json"):
        raise typer.BadParameter("choose from table, json", param_hint="--format")
    target = open_store(store_path(store))
    report = vessel_report(target, mmsi)
    if fmt == "json":
        with output(out_path) as out:
            out.write(json.dumps(_jsonable(report), ensure_ascii=False, indent=1) + "\n")
    else:
        others = {int(v) for ev in report["events"] for v in ev["vessels"]} - {mmsi}
        _print_vessel(report, store_vessel_labels(target, others))


def register(app: typer.Typer) -> None:
    """Add ``ingest``, ``query`` and ``vessel``."""
    app.command("ingest", epilog=_INGEST_EPILOG)(ingest_command)
    app.command("query", epilog=_QUERY_EPILOG)(query_command)
    app.command("vessel", epilog=_VESSEL_EPILOG)(vessel_command)
