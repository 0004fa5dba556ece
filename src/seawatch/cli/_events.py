"""``seawatch detect``, ``events``, ``report`` and ``track``: computing and reading events."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer
from typer.core import TyperCommand

from seawatch._exceptions import ParameterError
from seawatch.cli._common import (
    MasterOption,
    OutputOption,
    StoreOption,
    WaitOption,
    ZonesOption,
    output,
    store_path,
    zone_file,
)
from seawatch.cli._render import (
    CsvOut,
    CsvRawOption,
    cells,
    iso_utc,
    store_vessel_labels,
    styled,
    utc_text,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from seawatch.report import EventFilter
    from seawatch.store import Store

ORDER = 30

EVENT_FORMATS = ("table", "json", "jsonl", "csv", "geojson")
TABLE_LIMIT = 100
"""Rows the ``events`` table view shows by default (the first by start): a terminal table
costs about 1 ms per row to lay out, so a store of 100,000 events would take minutes to
print. The machine formats (json, jsonl, csv, geojson) return every event unless
``--limit`` says otherwise; the API pages the same way (``/api/events?limit=``)."""
REPORT_FORMATS = ("table", "json", "csv")
TRACK_FORMATS = ("geojson", "csv")
REPORT_BY = ("type", "flag", "day", "region")
PRESET_NAMES = ("default", "gfw")


# --------------------------------------------------------------------------------------
# help text generated from the parameter dataclasses


def _fmt_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "()"
    return str(value)


def detect_epilog() -> str:
    """Every detector's parameters with their default (and differing gfw) values."""
    from seawatch.engine import DETECTORS, PRESETS

    lines = [
        "Examples:",
        "",
        "  seawatch detect --store ./store",
        "",
        "  seawatch detect --preset gfw --only encounter,loitering",
        "",
        "Detector parameters (default preset; (gfw: value) where the gfw preset differs).",
        "Each event records its parameters in details.params.",
        "",
    ]
    default, gfw = PRESETS["default"], PRESETS.get("gfw", {})
    for det in DETECTORS:
        params = default.get(det)
        if params is None or not dataclasses.is_dataclass(params):
            continue
        other = gfw.get(det)
        items = []
        for f in dataclasses.fields(params):
            v = getattr(params, f.name)
            text = f"{f.name}={_fmt_value(v)}"
            if other is not None and getattr(other, f.name) != v:
                text += f" (gfw: {_fmt_value(getattr(other, f.name))})"
            items.append(text)
        lines.append(f"  {det}: " + "; ".join(items))
        lines.append("")
    return "\n".join(lines)


_EVENTS_EPILOG = """
Examples:

  seawatch events --type encounter --region caribbean --since 2024-01-01 --format jsonl

  seawatch events --vessel 538007000 --format geojson > events.geojson

json: one document {"schema": "seawatch.events/1", "events": [...]} of the jsonl records
(docs/schemas/events.schema.json); -o FILE writes it atomically.
jsonl: one JSON object per line with event_id, type, start, end (ISO 8601 UTC, Z), vessels
(list of MMSI integers), lat, lon, duration_h, region, zone, confidence, details (an object),
incident_id (shared by the events of one incident: an interception and the encounter of the
same pair at the same time), simulated (true when a vessel of the event was heard in
simulated input).
csv: a header line, vessels separated by ';', details as JSON text. geojson: a
FeatureCollection (schema seawatch.events-geojson/1, as GET /api/events) of Point features
whose properties are the jsonl records.
--since/--until select events overlapping [since, until). The table shows times as
2025-12-08 08:00Z (UTC) and each MMSI with its name and flag. In CSV, a text cell that
starts with = + - @ tab or CR gets a leading ' so spreadsheets do not run it
(--csv-raw: as stored).
"""

_REPORT_EPILOG = """
Examples:

  seawatch report --region caribbean,eastern-pacific --since 2025-12-01 --until 2026-01-01

  seawatch report --region caribbean --flag VE,PA --group tanker --format json

  seawatch report --by flag --type encounter --format csv

Without --by: the situation brief. Engagements (incidents of contact between vessels: an
encounter and an interception of the same vessels overlapping in time are one engagement)
with how many include an encounter and an interception, by region, by flag, and one by one
with their vessels; naval presence (roles military, law_enforcement and government: navies,
coast guards, naval auxiliaries such as USNS; see docs/ROLES.md) near --country's coast in
hours within 12, 24 and 200 nm and the closest approach; dark activity (AIS gaps);
spoofing; identity changes; watchlist hits with the list and its date; dark vessels
(satellite/radar detections no AIS explains, AIS positions the imagery contradicts; a
detection in a scene no AIS covered is "unidentified", not dark). A legend says what
each count counts. --region narrows every section (naval presence and sanctions hits to the
vessels' positions inside the regions). --flag and --group keep events with a vessel of
those flags and roles. An unknown region, flag, group or country is an error (exit 2) that
lists the valid values.

--format json: one object with keys regions, since, until, country, flags, groups, counts
(engagements, encounters, interceptions, naval_vessels_near, dark_gaps, spoofing,
identity_changes, watchlist_hits, detections_matched, dark_detections,
detections_without_ais_coverage, ais_mismatches), legend (what each count counts), scope, ranges_nm,
by_type (rows of type, n_events, n_vessels, duration_h), engagements_by_region and
engagements_by_flag (rows of region or flag, engagements, encounters, interceptions,
n_vessels, duration_h), engagements (one per incident: incident_id, type, kinds, event_ids, start,
end, duration_h, region, zone, lat, lon, confidence, vessels [mmsi, name, flag, ship_group,
role, role_source, imo], and the interception's and encounter's details), dark_activity,
spoofing, identity_changes, watchlist_hits (events: event_id, type, start, end, duration_h,
region, zone, lat, lon, confidence, vessels, and their type's details), dark_vessels
(dark_detection, unidentified_detection and ais_mismatch events with status, nearest_ais,
gap_candidates), naval_presence
(mmsi, name, flag, ship_group, role, role_source, hours_<r>nm, closest_nm, first_seen,
last_seen, n_positions, role_evidence). Times are ISO 8601 UTC. See docs/REPORT.md.

With --by (and always with --format csv): counts only. Columns: the key (by flag, day or
region, then type), n_events (distinct events), n_vessels (distinct MMSIs), duration_h
(total duration, hours); --format json: one seawatch.counts/1 document. By flag, an event counts once under each flag among its vessels. CSV text
cells that start with = + - @ tab or CR get a leading ' (--csv-raw: as stored).
"""

_TRACK_EPILOG = """
Examples:

  seawatch track 538007000 > track.geojson

  seawatch track 538007000 --format csv --since 2024-01-01

geojson: one Feature (schema seawatch.track/1, as GET /api/vessels/MMSI/track): a LineString
(a Point for a single position) whose properties hold schema, mmsi, start, end, n_positions
and times (ISO 8601 UTC, one per vertex).
"""


# --------------------------------------------------------------------------------------
# options shared by events, report and track

TypeOption = typer.Option(
    None, "--type", help="Event type(s), comma-separated.", show_default=False
)

RegionOption = typer.Option(
    None,
    "--region",
    help="Region(s), comma-separated (caribbean, eastern-pacific, gulf-of-mexico).",
    show_default=False,
)

ZoneOption = typer.Option(
    None,
    "--zone",
    help="Zone(s), comma-separated (VE-eez, VE-territorial, VE-contiguous ...).",
    show_default=False,
)

SinceOption = typer.Option(None, "--since", help="ISO 8601 start (UTC).", show_default=False)

UntilOption = typer.Option(None, "--until", help="ISO 8601 end (UTC).", show_default=False)

FlagOption = typer.Option(
    None,
    "--flag",
    help="Only events with a vessel of these flag(s) (ISO alpha-2, comma-separated).",
    show_default=False,
)

GroupOption = typer.Option(
    None,
    "--group",
    help="Only events with a vessel of these role(s): military, law_enforcement, government, "
    "or a ship group (tanker, cargo ...), comma-separated; see docs/ROLES.md.",
    show_default=False,
)


# --------------------------------------------------------------------------------------
# formatting


def _event_filter(
    target: Any,
    *,
    type_: str | None = None,
    region: str | None = None,
    zone: str | None = None,
    vessel: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    flag: str | None = None,
    group: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    incident: str | None = None,
    min_confidence: float | None = None,
    simulated: bool | None = None,
) -> Any:
    """The validated filter (:class:`seawatch.report.EventFilter`) over ``target``'s
    vocabulary: an unknown value is a FilterError listing the valid ones (exit 2)."""
    from seawatch.report import EventFilter, store_vocabulary

    return EventFilter.build(
        types=type_,
        regions=region,
        zones=zone,
        vessels=vessel,
        since=since,
        until=until,
        flags=flag,
        groups=group,
        bbox=bbox,
        incidents=incident,
        min_confidence=min_confidence,
        simulated=simulated,
        vocab=store_vocabulary(target),
    )


def event_records(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Events as their records (:func:`seawatch.report.records.event_records`)."""
    from seawatch.report.records import event_records as records

    return records(table)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def write_events(
    table: pa.Table,
    fmt: str,
    *,
    labels: dict[int, str] | None = None,
    csv_raw: bool = False,
    out: TextIO | None = None,
    total: int | None = None,
) -> None:
    """Events to ``out`` (default stdout) in ``fmt``: table, json (one document,
    ``seawatch.events/1``), jsonl (one record per line), csv, geojson (a FeatureCollection,
    ``seawatch.events-geojson/1``).

    The table shows times as ``2025-12-08 08:00Z`` and each MMSI as ``labels`` gives it
    (``MMSI NAME (FLAG)``, see :func:`seawatch.cli._render.store_vessel_labels`), then on
    stderr how many events it shows, of ``total`` when ``table`` is the first of more."""
    from seawatch.report.records import EVENT_FIELDS, event_feature, events_document, events_geojson

    out = sys.stdout if out is None else out
    if fmt == "jsonl":
        for rec in event_records(table):
            out.write(json.dumps(rec, ensure_ascii=False, allow_nan=False) + "\n")
    elif fmt == "json":
        json.dump(events_document(event_records(table)), out, ensure_ascii=False, allow_nan=False)
        out.write("\n")
    elif fmt == "csv":
        writer = CsvOut(out, raw=csv_raw)
        writer.row(EVENT_FIELDS)
        for rec in event_records(table):
            writer.row([_csv_cell(rec[n]) for n in EVENT_FIELDS])
    elif fmt == "geojson":
        doc = events_geojson(event_feature(rec) for rec in event_records(table))
        json.dump(doc, out, ensure_ascii=False, allow_nan=False)
        out.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table

        labels = labels or {}
        view = Table(show_lines=False)
        cols = ("event_id", "type", "start", "end", "vessels", "duration_h", "region", "zone")
        for c in cols:
            view.add_column(c, overflow="fold")
        for row in table.to_pylist():
            dur = row["duration_h"]
            view.add_row(
                *cells(
                    (
                        row["event_id"],
                        row["type"],
                        utc_text(row["start"]),
                        utc_text(row["end"]),
                        "; ".join(labels.get(int(v), str(v)) for v in row["vessels"] or []),
                        "" if dur is None or not math.isfinite(dur) else f"{dur:.2f}",
                        row["region"],
                        row["zone"],
                    )
                )
            )
        Console(file=out).print(view)
    if fmt == "table":
        from rich.console import Console

        from seawatch.cli._brief import plural

        if total is not None and total > table.num_rows:
            note = (
                f"{table.num_rows:,} of {plural(total, 'event')} shown (the first by start, "
                "UTC); --limit 0 shows all, --format csv or jsonl gives all"
            )
        else:
            note = plural(table.num_rows, "event")
        Console(stderr=True).print(f"[dim]{note}[/dim]")


def _counts_caption(store: Store, f: EventFilter, by: str) -> str:
    """The line above a counts table: what it counts, the period (UTC), the filters, and
    how many positions and vessels the store holds in that period."""
    lo = f"'{iso_utc(f.since)}'" if f.since is not None else None
    hi = f"'{iso_utc(f.until)}'" if f.until is not None else None
    where = " AND ".join(
        x
        for x in (f"ts >= {lo}::TIMESTAMPTZ" if lo else "", f"ts < {hi}::TIMESTAMPTZ" if hi else "")
        if x
    )
    row = store.query(
        "SELECT count(*) AS n, count(DISTINCT mmsi) AS v, min(ts) AS a, max(ts) AS b "
        f"FROM positions{' WHERE ' + where if where else ''}"
    ).to_pylist()[0]
    span = (
        f"{iso_utc(f.since) if f.since else 'the first position'} to "
        f"{iso_utc(f.until) if f.until else 'the last position'}"
    )
    filters = [
        f"{name} {', '.join(vals)}"
        for name, vals in (
            ("type", f.types),
            ("region", f.regions),
            ("flag", f.flags),
            ("group", f.groups),
        )
        if vals
    ]
    data = (
        f"{row['n']:,} positions of {row['v']:,} vessels, "
        f"{iso_utc(row['a'])} to {iso_utc(row['b'])}"
        if row["n"]
        else "no positions"
    )
    return (
        f"events by {by}, {span} (UTC)"
        + (f"; {'; '.join(filters)}" if filters else "")
        + f"; the store's data in that period: {data}. n_events: events, each once; "
        "n_vessels: distinct MMSIs; duration_h: total hours; n_incidents: incidents (an "
        "encounter and an interception of the same vessels overlapping in time are one)"
    )


def write_report(
    table: pa.Table,
    fmt: str,
    *,
    by: str = "type",
    engagements: dict[str, int] | None = None,
    csv_raw: bool = False,
    out: TextIO | None = None,
) -> None:
    """Counts (:func:`seawatch.report.summarize`) as their records (``n_events``,
    ``n_vessels``, ``duration_h``, ``n_incidents``): json is one ``seawatch.counts/1``
    document (with ``engagements``, as ``/api/report`` serves it)."""
    from seawatch.report.records import count_records, counts_document

    out = sys.stdout if out is None else out
    rows = count_records(table)
    names = (
        list(rows[0])
        if rows
        else [*table.column_names[:-4], "n_events", "n_vessels", "duration_h", "n_incidents"]
    )
    if fmt == "json":
        keys = ["type"] if by == "type" else [by, "type"]
        doc = counts_document(rows, by=keys, engagements=engagements or {})
        json.dump(doc, out, ensure_ascii=False)
        out.write("\n")
    elif fmt == "csv":
        writer = CsvOut(out, raw=csv_raw)
        writer.row(names)
        for r in rows:
            writer.row(["" if r[c] is None else r[c] for c in names])
    else:
        from rich.console import Console

        from seawatch.cli._render import print_cells, value_text

        table = [[value_text(r[c], c, none="-") for c in names] for r in rows]
        whole = [c.startswith(("n_", "duration")) for c in names]
        print_cells(Console(file=out), list(names), table, whole=whole)


def write_track(table: pa.Table, mmsi: int, fmt: str, *, out: TextIO | None = None) -> None:
    """A track as one GeoJSON Feature (``seawatch.track/1``, the API's shape: a LineString,
    a Point for a single position) or CSV rows."""
    out = sys.stdout if out is None else out
    import pyarrow.compute as pc

    t = table.filter(pc.and_(pc.is_valid(table.column("lat")), pc.is_valid(table.column("lon"))))
    t = t.sort_by([("ts", "ascending")])
    if fmt == "csv":
        cols = [
            c
            for c in ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
            if c in t.column_names
        ]
        writer = CsvOut(out)
        writer.row(cols)
        for row in t.select(cols).to_pylist():
            writer.row(
                [
                    "" if row[c] is None else (iso_utc(row[c]) if c == "ts" else _short(row[c]))
                    for c in cols
                ]
            )
        return
    lat = t.column("lat").to_pylist()
    lon = t.column("lon").to_pylist()
    times = [iso_utc(v) for v in t.column("ts").to_pylist()]
    coords = [[x, y] for x, y in zip(lon, lat, strict=True)]
    geometry: dict[str, Any] = (
        {"type": "Point", "coordinates": coords[0]}
        if len(coords) == 1
        else {"type": "LineString", "coordinates": coords}
    )
    from seawatch.report.records import TRACK_SCHEMA

    feature = {
        "type": "Feature",
        "id": str(mmsi),
        "geometry": geometry,
        "properties": {
            "schema": TRACK_SCHEMA,
            "mmsi": mmsi,
            "start": times[0],
            "end": times[-1],
            "n_positions": len(times),
            "times": times,
        },
    }
    json.dump(feature, out)
    out.write("\n")


def _short(value: Any) -> Any:
    if isinstance(value, float):
        import numpy as np

        return float(str(np.float32(value))) if float(np.float32(value)) == value else value
    return value


# --------------------------------------------------------------------------------------
# options


def _choice(value: str, choices: Iterable[str], hint: str) -> str:
    allowed = tuple(choices)
    if value not in allowed:
        raise typer.BadParameter(f"choose from {', '.join(allowed)}", param_hint=hint)
    return value


def parse_time(value: str | None, hint: str) -> datetime | None:
    """An ISO 8601 date or time (UTC when no offset is given)."""
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"not an ISO 8601 date or time: {value!r}", param_hint=hint
        ) from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``--bbox`` checked by :func:`seawatch.report.parse_bbox`; malformed is a usage error."""
    from seawatch.report import parse_bbox

    if value is None:
        return None
    try:
        return parse_bbox(value)
    except ParameterError as exc:
        raise typer.BadParameter(str(exc), param_hint="--bbox") from exc


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [s.strip() for s in value.split(",") if s.strip()]
    return items or None


# --------------------------------------------------------------------------------------
# commands


def detect_command(
    store: Path | None = StoreOption,
    preset: str = typer.Option("default", "--preset", help="Parameter preset: default or gfw."),
    only: str | None = typer.Option(
        None,
        "--only",
        help="Run only these detectors or event types (comma-separated, e.g. encounter,gap).",
        show_default=False,
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Worker processes (default: in-process below 1M positions, else one per CPU).",
        show_default=False,
    ),
    zones: Path | None = ZonesOption,
    wait: float = WaitOption,
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (processes on this machine) or spark (Apache Spark; pip install "
        "'seawatch[spark]' and a JDK 17+). Both give the same events.",
    ),
    master: str | None = MasterOption,
) -> None:
    """(Re)compute events from the stored positions and replace them in the store.

    With --zones, zone entries, exits and visits (and the zone of every event) include your
    own zones beside the bundled ones. The store's writer lock is taken before any work and
    held until the events are committed (readers are never blocked), so events always match
    the positions they were computed from; with --wait, detect waits for a running ingest
    instead of failing.
    """
    from seawatch.detect import BundledGeo
    from seawatch.engine import EngineStats, resolve_only, run_detectors
    from seawatch.store import open_store

    _choice(preset, PRESET_NAMES, "--preset")
    _choice(engine, ("local", "spark"), "--engine")
    if master is not None and engine != "spark":
        raise typer.BadParameter("--master needs --engine spark", param_hint="--master")
    selected = resolve_only(_split(only))
    extra = zone_file(zones)
    geo = BundledGeo(extra_zones=extra) if extra is not None else None
    target = open_store(store_path(store))
    stats = EngineStats()
    with _stage_bar() as progress, target.writing(wait_s=wait):
        events = run_detectors(
            target,
            preset=preset,
            only=selected,
            workers=workers,
            geo=geo,
            progress=progress,
            stats=stats,
            engine=engine,
            master=master,
        )
    counts: dict[str, int] = {}
    for t in events.column("type").to_pylist():
        counts[t] = counts.get(t, 0) + 1
    summary = ", ".join(f"{t}: {n:,}" for t, n in sorted(counts.items())) or "no events"
    typer.echo(
        f"{stats.n_positions:,} positions in {stats.n_buckets} bucket(s), preset {preset}: {summary}",
        err=True,
    )


@contextlib.contextmanager
def _stage_bar() -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar of the engine's stages on stderr, or None where stderr is not a
    terminal (nobody sees a bar there, and rich's import is 0.03 s of a small detect)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=None if stage == "partition" else total)
            if stage == "partition":
                bar.advance(tasks[stage], done)
            else:
                bar.update(tasks[stage], completed=done, total=total)

        yield progress


def events_command(
    store: Path | None = StoreOption,
    type_: str | None = TypeOption,
    region: str | None = RegionOption,
    vessel: int | None = typer.Option(
        None, "--vessel", help="Only events of this MMSI.", show_default=False
    ),
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    flag: str | None = FlagOption,
    group: str | None = GroupOption,
    zone: str | None = ZoneOption,
    bbox: str | None = typer.Option(
        None,
        "--bbox",
        help="Only events inside min_lon,min_lat,max_lon,max_lat (degrees; min_lon > max_lon "
        "crosses 180).",
        show_default=False,
    ),
    incident: str | None = typer.Option(
        None, "--incident", help="Only events of these incident id(s).", show_default=False
    ),
    min_confidence: float | None = typer.Option(
        None,
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Only events with at least this confidence (0 to 1).",
        show_default=False,
    ),
    simulated: bool | None = typer.Option(
        None,
        "--simulated/--real",
        help="Only events marked simulated (--simulated) or real (--real).",
        show_default=False,
    ),
    fmt: str = typer.Option(
        "table", "--format", help="table, json (one document), jsonl, csv or geojson."
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=0,
        help=f"At most this many events, the first by start time (0: all). Default: "
        f"{TABLE_LIMIT} in the table view, all in the other formats.",
        show_default=False,
    ),
    out_path: Path | None = OutputOption,
    csv_raw: bool = CsvRawOption,
    history: str | None = typer.Option(
        None,
        "--history",
        help="Show the revisions of this event id (a live store's change "
        "log: created, updated, retracted, with reasons).",
        show_default=False,
    ),
) -> None:
    """List events, filtered by type, region, zone, vessel, flag, role (--group) and time.

    An unknown type, region, zone, flag or group is an error that lists the valid values.
    """
    from seawatch.store import open_store

    if history is not None:
        from seawatch.cli._live import print_history

        print_history(open_store(store_path(store)).root, history, fmt)
        return
    _choice(fmt, EVENT_FORMATS, "--format")
    lo, hi = parse_time(since, "--since"), parse_time(until, "--until")
    target = open_store(store_path(store))
    f = _event_filter(
        target,
        type_=type_,
        region=region,
        zone=zone,
        vessel=vessel,
        since=lo,
        until=hi,
        flag=flag,
        group=group,
        bbox=_parse_bbox(bbox),
        incident=incident,
        min_confidence=min_confidence,
        simulated=simulated,
    )
    table = target.select_events(f.to_query())
    total = table.num_rows
    if total == 0:
        _explain_empty(target, f)
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    if limit:
        table = table.slice(0, limit)
    with output(out_path) as out:
        write_events(
            table,
            fmt,
            out=out,
            total=total,
            labels=(
                store_vessel_labels(
                    target, (v for vs in table.column("vessels").to_pylist() for v in vs)
                )
                if fmt == "table"
                else None
            ),
            csv_raw=csv_raw,
        )


def _explain_empty(store: Any, f: Any) -> None:
    """On stderr, why a filter may have matched nothing (:func:`seawatch.report.empty_notes`):
    an MMSI the store never heard, a period outside its data, a type it has none of."""
    from rich.console import Console

    from seawatch.report import empty_notes

    err = Console(stderr=True)
    for note in empty_notes(store, f):
        err.print(styled(("note", "yellow"), f": {note}"))  # data as plain text, never markup


def report_command(
    store: Path | None = StoreOption,
    region: str | None = RegionOption,
    type_: str | None = TypeOption,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    flag: str | None = FlagOption,
    group: str | None = GroupOption,
    by: str | None = typer.Option(
        None,
        "--by",
        help="Only count events by type, flag, day or region (default: the situation brief).",
        show_default=False,
    ),
    country: str = typer.Option(
        "VE", "--country", help="Coast that naval presence is measured against (ISO alpha-2)."
    ),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    out_path: Path | None = OutputOption,
    csv_raw: bool = CsvRawOption,
) -> None:
    """The situation brief, or with --by only event counts by type, flag, day or region.

    The brief: engagements, naval presence, dark activity, spoofing, sanctions hits.
    """
    from seawatch.report import check_country, report
    from seawatch.store import open_store

    if by is not None:
        _choice(by, REPORT_BY, "--by")
    _choice(fmt, REPORT_FORMATS, "--format")
    lo, hi = parse_time(since, "--since"), parse_time(until, "--until")
    target = open_store(store_path(store))
    f = _event_filter(
        target, type_=type_, region=region, since=lo, until=hi, flag=flag, group=group
    )
    if by is not None or fmt == "csv":
        table = report(
            target,
            by=by or "type",  # type: ignore[arg-type]
            regions=f.regions,
            types=f.types,
            since=f.since,
            until=f.until,
            flags=f.flags,
            groups=f.groups,
        )
        from seawatch.report import engagement_summary

        engagements = engagement_summary(target.select_events(f.to_query()))
        with output(out_path) as out:
            if fmt == "table":  # what the numbers count, when, and the data they rest on
                from rich.console import Console

                Console(file=out or sys.stdout).print(
                    _counts_caption(target, f, by or "type"), markup=False, highlight=False
                )
            write_report(
                table, fmt, by=by or "type", engagements=engagements, csv_raw=csv_raw, out=out
            )
        return
    if type_ is not None:
        raise typer.BadParameter("--type needs --by (the brief covers every type)")
    from seawatch.claims import brief_with_claims

    b = brief_with_claims(
        target,
        regions=f.regions,
        since=f.since,
        until=f.until,
        country=check_country(country),
        flags=f.flags,
        groups=f.groups,
    )
    if fmt == "json":
        with output(out_path) as out:
            json.dump(b, out, ensure_ascii=False, default=str)
            out.write("\n")
    else:
        from rich.console import Console

        from seawatch.cli._brief import print_brief

        console = Console()
        print_brief(console, b)
        if b["claims"]:
            from seawatch.claims import claim_from_dict
            from seawatch.cli._claims import print_checks

            console.print("[bold]claims about this region and period[/bold]")
            claims = {r["claim"]["claim_id"]: claim_from_dict(r["claim"]) for r in b["claims"]}
            checked = [r["check"] for r in b["claims"] if r["check"] is not None]
            print_checks(console, checked, claims)
            unchecked = len(b["claims"]) - len(checked)
            if unchecked:
                console.print(f"{unchecked} claim(s) not checked yet (seawatch claims check)")


def track_command(
    mmsi: int = typer.Argument(..., help="The vessel's MMSI."),
    store: Path | None = StoreOption,
    since: str | None = SinceOption,
    until: str | None = UntilOption,
    fmt: str = typer.Option("geojson", "--format", help="geojson or csv."),
    out_path: Path | None = OutputOption,
) -> None:
    """A vessel's track (its stored positions) as GeoJSON or CSV."""
    from seawatch._exceptions import NotFoundError
    from seawatch.store import open_store

    _choice(fmt, TRACK_FORMATS, "--format")
    lo, hi = parse_time(since, "--since"), parse_time(until, "--until")
    target = open_store(store_path(store))
    table = target.positions(mmsi=mmsi, since=lo, until=hi)
    import pyarrow.compute as pc

    if table.num_rows == 0 or pc.sum(pc.is_valid(table.column("lat"))).as_py() == 0:
        raise NotFoundError(f"no positions of vessel {mmsi} in the store for that time")
    with output(out_path) as out:
        write_track(table, mmsi, fmt, out=out)


class _DetectCommand(TyperCommand):
    """Builds the parameter epilog when help is shown (not at import: keeps --help fast)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if not self.epilog:
            self.epilog = detect_epilog()
        super().format_help(ctx, formatter)


def valid_values_epilog() -> str:
    """The valid event types, regions and groups (roles), as ``--help`` lists them."""
    from seawatch.report import vocabulary

    v = vocabulary()
    return "\n\n".join(
        [
            "Valid values (an unknown one is an error listing them):",
            "  --type: " + ", ".join(v.types),
            "  --region: " + ", ".join(v.regions) + " (and those of the store's events)",
            "  --zone: the named regions, XX-territorial, XX-contiguous, XX-eez "
            "(ISO alpha-2 XX of a coast with bundled zones)",
            "  --group: " + ", ".join(v.groups),
            "  --flag: ISO 3166 alpha-2 codes of the MID table",
        ]
    )


class FilterHelpCommand(TyperCommand):
    """Appends the valid filter values to the epilog when help is shown (not at import)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if self.epilog and "Valid values" not in self.epilog:
            self.epilog = self.epilog.rstrip() + "\n\n" + valid_values_epilog()
        super().format_help(ctx, formatter)


def register(app: typer.Typer) -> None:
    """Add ``detect``, ``events``, ``report`` and ``track``."""
    app.command("detect", cls=_DetectCommand)(detect_command)
    app.command("events", epilog=_EVENTS_EPILOG, cls=FilterHelpCommand)(events_command)
    app.command("report", epilog=_REPORT_EPILOG, cls=FilterHelpCommand)(report_command)
    app.command("track", epilog=_TRACK_EPILOG)(track_command)
