"""``seawatch watchlist add|list|screen`` and ``seawatch presence``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from seawatch.cli._common import OutputOption, StoreOption, output, store_path
from seawatch.cli._render import CsvRawOption

ORDER = 45

_FORMATS = ("table", "csv", "json", "jsonl")

_ADD_EPILOG = """
The CSV needs at least one of the columns imo, mmsi, name; flag (ISO 3166 alpha-2),
program, vessel_type and aliases (former names separated by ;) are optional. IMO numbers
may be written IMO1234567. The list is checked whole before it is kept: a bad row (an IMO
or MMSI that is not a number, a flag that is not two letters, more fields than the header)
is refused with its line number and nothing is stored. The list is kept in the store as
watchlists/NAME.csv with its date (--date, default today) and replaces a list of the same
name. A list in the store that cannot be read is skipped with a warning.

Example:

  seawatch watchlist add navy.csv --name navy --date 2024-06-01
"""

_PRESENCE_EPILOG = """
Hours are summed from the time between consecutive positions (intervals longer than
--max-gap-h count for nothing); a silence of up to --max-unheard-h between two positions
within a range is counted apart, in unheard_hours_<r>nm: the vessel was there at least the
hours within and at most those plus the unheard ones. A position counts for a range when
it lies within that
distance of the country's coast. 12, 24 and 200 nm use the bundled zones XX-territorial,
XX-contiguous and XX-eez; other ranges (up to 200 nm) the distance to shore inside XX-eez.
The zones are approximations (median lines, no baselines), not legal limits.

Examples:

  seawatch presence --country VE --group military

  seawatch presence --country VE --flag US --range-nm 12,50,200 --by day --format csv
"""


def _check_format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(_FORMATS)}", param_hint="--format")
    return fmt


def _warn(problems: list[str]) -> None:
    for line in problems:
        typer.secho(f"warning: {line}", err=True, fg="yellow")


_FILE_ARG = typer.Argument(
    ..., help="CSV file with imo / mmsi / name (and flag).", exists=True, dir_okay=False
)

watchlist_app = typer.Typer(
    help="Watchlists: the bundled OFAC SDN vessel list and your own lists.",
    epilog=(
        "Examples:\n\n"
        "  seawatch watchlist list\n\n"
        "  seawatch watchlist add fleet.csv --name my_fleet\n\n"
        "  seawatch watchlist screen --store /tmp/demo"
    ),
    no_args_is_help=True,
)


@watchlist_app.command("add", epilog=_ADD_EPILOG)
def add_command(
    file: Path = _FILE_ARG,
    name: str = typer.Option(..., "--name", help="Name of the list (letters, digits, _ and -)."),
    list_date: str | None = typer.Option(
        None, "--date", help="Date the list is valid for (YYYY-MM-DD; default today)."
    ),
    store: Path | None = StoreOption,
) -> None:
    """Add (or replace) a watchlist in the store."""
    from seawatch.watchlist import add_list

    wl = add_list(store_path(store), file, name=name, date_=list_date)
    typer.echo(f"watchlist {wl.label}: {len(wl):,} entries", err=True)


@watchlist_app.command("list")
def list_command(
    store: Path | None = StoreOption,
    fmt: str = typer.Option(
        "table", "--format", help="table, csv, json (one array) or jsonl.", callback=_check_format
    ),
    csv_raw: bool = CsvRawOption,
) -> None:
    """Show the watchlists with their dates and sizes."""
    import pyarrow as pa

    from seawatch.cli._store import write_table
    from seawatch.watchlist import all_lists

    problems: list[str] = []
    lists = all_lists(store_path(store), problems=problems)
    _warn(problems)
    table = pa.table(
        {
            "name": [w.name for w in lists],
            "date": [w.date for w in lists],
            "entries": pa.array([len(w) for w in lists], pa.int64()),
            "with_imo": pa.array(
                [len(w) - w.entries.column("imo").null_count for w in lists], pa.int64()
            ),
            "with_mmsi": pa.array(
                [len(w) - w.entries.column("mmsi").null_count for w in lists], pa.int64()
            ),
            "bundled": pa.array([w.bundled for w in lists], pa.bool_()),
            "source": [w.source for w in lists],
        }
    )
    write_table(table, fmt, csv_raw=csv_raw)
    if any(w.bundled for w in lists):
        typer.echo(
            "note: the bundled OFAC list is as of its date; re-check the live list before acting.",
            err=True,
        )


@watchlist_app.command("screen")
def screen_command(
    store: Path | None = StoreOption,
    names: str | None = typer.Option(
        None, "--list", help="Comma-separated list names (default: all)."
    ),
    min_confidence: float = typer.Option(0.0, "--min-confidence", help="Hide weaker matches."),
    fmt: str = typer.Option(
        "table", "--format", help="table, csv, json (one array) or jsonl.", callback=_check_format
    ),
    csv_raw: bool = CsvRawOption,
) -> None:
    """Screen every vessel in the store against the watchlists (IMO, MMSI, name + flag)."""
    import pyarrow.compute as pc

    from seawatch.cli._store import write_table
    from seawatch.store import open_store
    from seawatch.watchlist import all_lists, screen

    path = store_path(store)
    problems: list[str] = []
    lists = all_lists(path, names=names.split(",") if names else None, problems=problems)
    _warn(problems)
    vessels = open_store(path).vessels()
    hits = screen(vessels, lists)
    hits = hits.filter(pc.greater_equal(hits.column("confidence"), min_confidence))
    write_table(hits.drop_columns(["row"]), fmt, csv_raw=csv_raw)
    dates = ", ".join(w.label for w in lists)
    typer.echo(f"screened {vessels.num_rows:,} vessels against {dates}", err=True)


def presence_command(
    country: str = typer.Option(
        ..., "--country", help="ISO 3166 alpha-2 code of the coastal state (VE)."
    ),
    group: str | None = typer.Option(
        None,
        "--group",
        help="Only vessels of these roles, comma-separated (military, law_enforcement, "
        "government, tanker ...; see docs/ROLES.md).",
    ),
    flag: str | None = typer.Option(
        None, "--flag", help="Only these flags, comma-separated (ISO alpha-2, from the MMSI)."
    ),
    range_nm: str = typer.Option(
        "12,24,200", "--range-nm", help="Comma-separated distances from the coast in nm (<= 200)."
    ),
    by: str = typer.Option("vessel", "--by", help="vessel or day."),
    max_gap_h: float = typer.Option(
        1.0, "--max-gap-h", help="Longer silences count for nothing in the hours within."
    ),
    max_unheard_h: float = typer.Option(
        12.0,
        "--max-unheard-h",
        min=0.0,
        help="Silences up to this long between two positions within a range are counted "
        "apart, as its unheard hours (0: none).",
    ),
    since: str | None = typer.Option(
        None, "--since", help="ISO 8601 start (UTC): positions from then.", show_default=False
    ),
    until: str | None = typer.Option(
        None, "--until", help="ISO 8601 end (UTC): positions before then.", show_default=False
    ),
    store: Path | None = StoreOption,
    fmt: str = typer.Option(
        "table",
        "--format",
        help="table, csv or json (one seawatch.presence/1 document).",
        callback=_check_format,
    ),
    out_path: Path | None = OutputOption,
    csv_raw: bool = CsvRawOption,
) -> None:
    """Hours each vessel spent within given distances of a country's coast, and how close it came."""
    import pyarrow as pa

    from seawatch._exceptions import ParameterError
    from seawatch.cli._store import write_table
    from seawatch.report import EventFilter, check_country
    from seawatch.report.presence import PresenceParams, presence_document
    from seawatch.store import open_store

    # one validated filter: unknown values are errors listing the valid ones (exit 2)
    f = EventFilter.build(flags=flag, groups=group)
    coast = check_country(country)

    try:
        ranges = tuple(float(r) for r in range_nm.split(",") if r.strip())
    except ValueError as exc:
        raise ParameterError(f"--range-nm {range_nm!r}: numbers separated by commas") from exc
    if by not in ("vessel", "day"):
        raise typer.BadParameter("choose vessel or day", param_hint="--by")
    params = PresenceParams(
        country=coast,
        ranges_nm=ranges,
        max_gap_h=max_gap_h,
        max_unheard_h=max_unheard_h,
        by="day" if by == "day" else "vessel",
        groups=f.groups,
        flags=f.flags,
    )
    from seawatch.cli._events import parse_time

    lo, hi = parse_time(since, "--since"), parse_time(until, "--until")
    if lo is not None and hi is not None and lo >= hi:
        raise typer.BadParameter("--since must be before --until", param_hint="--since")
    st = open_store(store_path(store))
    with st.connect() as con:
        doc = presence_document(con, params, since=lo, until=hi)
    rows = doc["rows"]
    with output(out_path) as out:
        if fmt == "json":
            out.write(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n")
        else:
            from seawatch.report.presence import range_column, unheard_column

            names = [
                *(["day"] if params.by == "day" else []),
                *("mmsi", "name", "flag", "ship_group", "role", "role_source"),
                *(range_column(r) for r in doc["ranges_nm"]),
                *(unheard_column(r) for r in doc["ranges_nm"]),
                *("closest_nm", "first_seen", "last_seen", "n_positions"),
            ]
            table = pa.Table.from_pylist(rows) if rows else pa.table({n: [] for n in names})
            write_table(table, fmt, csv_raw=csv_raw, out=out)
    typer.echo(
        f"presence within {', '.join(f'{r:g}' for r in sorted(set(ranges)))} nm of {params.country}'s "
        f"coast, positions {doc['since'] or 'from the first'} to {doc['until'] or 'the last'} "
        f"(UTC), {len(rows):,} rows (bundled zones: approximations, not legal limits)",
        err=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``watchlist`` (add, list, screen) and ``presence``."""
    app.add_typer(watchlist_app, name="watchlist")
    app.command("presence", epilog=_PRESENCE_EPILOG)(presence_command)
