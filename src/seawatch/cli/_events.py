"""``seawatch detect``, ``events``, ``report`` and ``track``: computing and reading events."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from seawatch.cli._common import StoreOption, WaitOption, ZonesOption, store_path, zone_file
from seawatch.cli._render import CsvOut, CsvRawOption, cells, iso_utc, store_vessel_labels, utc_text

if TYPE_CHECKING:
    import pyarrow as pa

ORDER = 30

EVENT_FORMATS = ("table", "jsonl", "csv", "geojson")
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

jsonl: one JSON object per line with event_id, type, start, end (ISO 8601 UTC, Z), vessels
(list of MMSI integers), lat, lon, duration_h, region, zone, confidence, details (an object),
incident_id (shared by the events of one incident: an interception and the encounter of the
same pair at the same time), simulated (true when a vessel of the event was heard in
simulated input).
csv: a header line, vessels separated by ';', details as JSON text. geojson: a
FeatureCollection of Point features whose properties are the jsonl fields.
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
by_type (rows of type, events, vessels, hours), engagements_by_region and
engagements_by_flag (rows of region or flag, engagements, encounters, interceptions,
vessels, hours), engagements (one per incident: incident_id, type, kinds, event_ids, start,
end, duration_h, region, zone, lat, lon, confidence, vessels [mmsi, name, flag, ship_group,
role, role_source, imo], and the interception's and encounter's details), dark_activity,
spoofing, identity_changes, watchlist_hits (events: event_id, type, start, end, duration_h,
region, zone, lat, lon, confidence, vessels, and their type's details), dark_vessels
(dark_detection and ais_mismatch events with status, nearest_ais, gap_candidates), naval_presence
(mmsi, name, flag, ship_group, role, role_source, role_evidence, hours_<r>nm, closest_nm,
first_ts, last_ts, positions). Times are ISO 8601 UTC. See docs/REPORT.md.

With --by (and always with --format csv): counts only. Columns: the key (by flag, day or
region, then type), events (distinct events), vessels (distinct MMSIs), hours (total
duration). By flag, an event counts once under each flag among its vessels. CSV text
cells that start with = + - @ tab or CR get a leading ' (--csv-raw: as stored).
"""

_TRACK_EPILOG = """
Examples:

  seawatch track 538007000 > track.geojson

  seawatch track 538007000 --format csv --since 2024-01-01

geojson: a FeatureCollection with one LineString (a Point for a single position) whose
properties hold mmsi, start, end, n_positions and times (ISO 8601 UTC, one per vertex).
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
        vocab=store_vocabulary(target),
    )


def _num(value: float | None, digits: int | None = None) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def event_records(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Events as the JSON Lines objects of DESIGN.md §9 (details parsed into an object)."""
    for batch in table.to_batches(16_384):
        for row in batch.to_pylist():
            details = row.get("details")
            yield {
                "event_id": row["event_id"],
                "type": row["type"],
                "start": iso_utc(row["start"]),
                "end": iso_utc(row["end"]),
                "vessels": [int(v) for v in row["vessels"] or []],
                "lat": _num(row["lat"]),
                "lon": _num(row["lon"]),
                "duration_h": _num(row["duration_h"]),
                "region": row["region"],
                "zone": row["zone"],
                "confidence": _num(row["confidence"], 4),
                "details": json.loads(details) if details else {},
                "incident_id": row.get("incident_id") or row["event_id"],
                "simulated": row.get("simulated"),
            }


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def write_events(
    table: pa.Table, fmt: str, *, labels: dict[int, str] | None = None, csv_raw: bool = False
) -> None:
    """Events to stdout in ``fmt`` (table, jsonl, csv, geojson).

    The table shows times as ``2025-12-08 08:00Z`` and each MMSI as ``labels`` gives it
    (``MMSI NAME (FLAG)``, see :func:`seawatch.cli._render.store_vessel_labels`)."""
    out = sys.stdout
    if fmt == "jsonl":
        for rec in event_records(table):
            out.write(json.dumps(rec, ensure_ascii=False, allow_nan=False) + "\n")
    elif fmt == "csv":
        writer = CsvOut(out, raw=csv_raw)
        names = [
            "event_id", "type", "start", "end", "vessels", "lat", "lon", "duration_h",
            "region", "zone", "confidence", "details", "incident_id",
        ]  # fmt: skip
        writer.row(names)
        for rec in event_records(table):
            writer.row([_csv_cell(rec[n]) for n in names])
    elif fmt == "geojson":
        features = []
        for rec in event_records(table):
            lat, lon = rec["lat"], rec["lon"]
            geometry = (
                None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
            )
            props = {k: v for k, v in rec.items() if k not in ("lat", "lon")}
            features.append(
                {
                    "type": "Feature",
                    "id": rec["event_id"],
                    "geometry": geometry,
                    "properties": props,
                }
            )
        json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False)
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
        Console().print(view)
    if fmt == "table":
        from rich.console import Console

        from seawatch.cli._brief import plural

        Console(stderr=True).print(f"[dim]{plural(table.num_rows, 'event')}[/dim]")


def _records(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, date):
                r[k] = v.isoformat()
            elif isinstance(v, float):
                r[k] = round(v, 6)
    return rows


def write_report(table: pa.Table, fmt: str, *, csv_raw: bool = False) -> None:
    rows = _records(table)
    if fmt == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = CsvOut(sys.stdout, raw=csv_raw)
        writer.row(table.column_names)
        for r in rows:
            writer.row([r[c] for c in table.column_names])
    else:
        from rich.console import Console
        from rich.table import Table

        view = Table()
        for c in table.column_names:
            view.add_column(c, justify="right" if c in ("events", "vessels", "hours") else "left")
        for r in rows:
            view.add_row(
                *cells(
                    "-" if r[c] is None else (f"{r[c]:.1f}" if c == "hours" else r[c])
                    for c in table.column_names
                )
            )
        Console().print(view)


def write_track(table: pa.Table, mmsi: int, fmt: str) -> None:
    import pyarrow.compute as pc

    t = table.filter(pc.and_(pc.is_valid(table.column("lat")), pc.is_valid(table.column("lon"))))
    t = t.sort_by([("ts", "ascending")])
    if fmt == "csv":
        cols = [
            c
            for c in ("mmsi", "ts", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status")
            if c in t.column_names
        ]
        writer = CsvOut(sys.stdout)
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
    feature = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "mmsi": mmsi,
            "start": times[0],
            "end": times[-1],
            "n_positions": len(times),
            "times": times,
        },
    }
    json.dump({"type": "FeatureCollection", "features": [feature]}, sys.stdout)
    sys.stdout.write("\n")


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
        help="Worker processes (default: one per CPU).",
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
    master: str | None = typer.Option(
        None,
        "--master",
        help="With --engine spark: local[N] or spark://HOST:PORT (default: the master "
        "spark-submit was given, else local[*]).",
        show_default=False,
    ),
) -> None:
    """(Re)compute events from the stored positions and replace them in the store.

    With --zones, zone entries, exits and visits (and the zone of every event) include your
    own zones beside the bundled ones. The store's writer lock is taken before any work and
    held until the events are committed (readers are never blocked), so events always match
    the positions they were computed from; with --wait, detect waits for a running ingest
    instead of failing.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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
    err = Console(stderr=True)
    stats = EngineStats()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
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

        with target.writing(wait_s=wait):
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
    err.print(
        f"{stats.n_positions:,} positions in {stats.n_buckets} bucket(s), preset {preset}: {summary}"
    )


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
    fmt: str = typer.Option("table", "--format", help="table, jsonl, csv or geojson."),
    csv_raw: bool = CsvRawOption,
) -> None:
    """List events, filtered by type, region, zone, vessel, flag, role (--group) and time.

    An unknown type, region, zone, flag or group is an error that lists the valid values.
    """
    from seawatch.store import open_store

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
    )
    table = f.apply(
        target.events(vessel=vessel), vessels=target.vessels() if (f.flags or f.groups) else None
    )
    write_events(
        table,
        fmt,
        labels=(
            store_vessel_labels(
                target, (v for vs in table.column("vessels").to_pylist() for v in vs)
            )
            if fmt == "table"
            else None
        ),
        csv_raw=csv_raw,
    )


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
    csv_raw: bool = CsvRawOption,
) -> None:
    """The situation brief, or with --by only event counts by type, flag, day or region.

    The brief: engagements, naval presence, dark activity, spoofing, sanctions hits.
    """
    from seawatch.report import brief, check_country, report
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
        write_report(table, fmt, csv_raw=csv_raw)
        return
    if type_ is not None:
        raise typer.BadParameter("--type needs --by (the brief covers every type)")
    b = brief(
        target,
        regions=f.regions,
        since=f.since,
        until=f.until,
        country=check_country(country),
        flags=f.flags,
        groups=f.groups,
    ).to_dict()
    from seawatch.claims import claims_for

    b["claims"] = claims_for(target, regions=_split(region), since=lo, until=hi)
    if fmt == "json":
        json.dump(b, sys.stdout, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
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
    write_track(table, mmsi, fmt)


class _DetectCommand(TyperCommand):
    """Builds the parameter epilog when help is shown (not at import: keeps --help fast)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if not self.epilog:
            self.epilog = detect_epilog()
        super().format_help(ctx, formatter)


def register(app: typer.Typer) -> None:
    """Add ``detect``, ``events``, ``report`` and ``track``."""
    app.command("detect", cls=_DetectCommand)(detect_command)
    app.command("events", epilog=_EVENTS_EPILOG)(events_command)
    app.command("report", epilog=_REPORT_EPILOG)(report_command)
    app.command("track", epilog=_TRACK_EPILOG)(track_command)
