"""``seawatch demo``: build a store from the data bundled in the package and show what it holds.

Everything is offline and deterministic: the real AIS sample (NOAA MarineCadastre,
2022-01-03, Caribbean rows) is ingested as it is, so a newcomer sees seawatch on real
traffic with one command.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seawatch.cli._common import StoreOption, store_path

if TYPE_CHECKING:
    from rich.console import Console

    from seawatch.store import IngestSummary, Store

ORDER = 90

REAL_SAMPLE = "noaa_caribbean_20220103.csv.gz"
"""NOAA / BOEM Nationwide AIS 2022-01-03, rows in 8-24N 90-58W (public domain)."""

_EPILOG = """\
Examples:

  seawatch demo                       # store in ./seawatch-data (or $SEAWATCH_STORE)

  seawatch demo --store /tmp/demo     # somewhere else; run it twice: nothing is duplicated

  seawatch query --store /tmp/demo "SELECT count(*) FROM positions"
"""


def real_sample_path() -> Path:
    """The bundled real AIS sample (a file inside the installed package)."""
    ref = resources.files("seawatch") / "data" / "samples" / REAL_SAMPLE
    return Path(str(ref))


def print_ingest_summary(console: Console, title: str, summary: IngestSummary) -> None:
    """The counts of one ingest as a two-column table."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, int]] = [
        ("files ingested", summary.files_ingested),
        ("files already in the store", summary.files_skipped),
        ("messages", summary.messages),
        ("positions added", summary.positions),
        ("statics added", summary.statics),
        ("vessels", summary.vessels),
        ("duplicates dropped", summary.duplicates_dropped),
        ("rejects", summary.rejects),
    ]
    for what, n in rows:
        table.add_row(what, f"{n:,}")
    for reason, n in sorted(summary.rejects_by_reason.items()):
        table.add_row(f"  rejects: {reason}", f"{n:,}")
    console.print(table)


def vessels_table(store: Store, *, since: str, until: str, limit: int) -> list[dict[str, Any]]:
    """The vessels seen in ``[since, until)``, most positions first."""
    sql = f"""
        SELECT v.mmsi, v.name, v.flag, v.ship_group, count(*) AS positions,
               min(p.ts) AS first_seen, max(p.ts) AS last_seen
        FROM positions p JOIN vessels v USING (mmsi)
        WHERE p.ts >= TIMESTAMPTZ '{since}' AND p.ts < TIMESTAMPTZ '{until}'
        GROUP BY ALL ORDER BY positions DESC, v.mmsi LIMIT {int(limit)}
    """
    rows: list[dict[str, Any]] = store.query(sql).to_pylist()
    return rows


def print_vessels(console: Console, title: str, rows: list[dict[str, Any]], total: int) -> None:
    from rich.table import Table

    table = Table(title=f"{title} ({len(rows)} of {total} vessels)", title_justify="left")
    for col, justify in (
        ("mmsi", "right"),
        ("name", "left"),
        ("flag", "left"),
        ("group", "left"),
        ("positions", "right"),
        ("seen (UTC)", "left"),
    ):
        table.add_column(col, justify=justify, no_wrap=col != "name")  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            str(r["mmsi"]),
            r["name"] or "",
            r["flag"] or "",
            r["ship_group"] or "",
            f"{r['positions']:,}",
            f"{r['first_seen']:%m-%d %H:%M} to {r['last_seen']:%H:%M}"
            if r["first_seen"].date() == r["last_seen"].date()
            else f"{r['first_seen']:%m-%d %H:%M} to {r['last_seen']:%m-%d %H:%M}",
        )
    console.print(table)


def demo_command(
    store: Path | None = StoreOption,
    top: int = typer.Option(15, "--top", min=1, help="How many vessels to list."),
) -> None:
    """Ingest the AIS data bundled with seawatch into a store and show what it holds.

    Offline and deterministic; running it again adds nothing to the store.
    """
    from rich.console import Console

    from seawatch.store import open_store

    console = Console()
    err = Console(stderr=True)
    target = open_store(store_path(store), create=True)
    err.print(f"[dim]store: {target.root}[/dim]")

    sample = real_sample_path()
    summary = target.ingest([str(sample)])
    console.rule("[bold]Real AIS: NOAA MarineCadastre, 2022-01-03, Caribbean[/bold]")
    console.print("Data courtesy of MarineCadastre.gov (US Government, public domain).")
    print_ingest_summary(console, "ingest", summary)
    since, until = "2022-01-03T00:00:00Z", "2022-01-04T00:00:00Z"
    total = int(
        target.query(
            "SELECT count(DISTINCT mmsi) AS n FROM positions "
            f"WHERE ts >= TIMESTAMPTZ '{since}' AND ts < TIMESTAMPTZ '{until}'"
        )
        .column("n")[0]
        .as_py()
    )
    print_vessels(
        console, "vessels", vessels_table(target, since=since, until=until, limit=top), total
    )


def register(app: typer.Typer) -> None:
    """Add ``demo``."""
    app.command("demo", epilog=_EPILOG)(demo_command)
