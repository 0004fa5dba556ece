"""``seawatch demo``: build a store from the data bundled in the package and show what it holds.

Everything is offline and deterministic. Two parts:

1. Real AIS: the NOAA MarineCadastre sample (2022-01-03, Caribbean rows) ingested as it is.
2. The Caribbean standoff: a scenario shipped in the package (``data/demo/standoff.toml``)
   is simulated into raw NMEA with tag blocks and receiver noise, ingested, run through every
   detector, and summarised as a situation brief (engagements counted as incidents, by
   region and flag, naval presence near Venezuela, dark activity, spoofing, sanctions
   hits, and the satellite passes' detections matched to AIS: dark vessels); the
   detections are then scored against the scenario's own ground truth, and the claims of a
   short news text about the standoff (``data/demo/standoff_news.txt``) are checked
   against them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seawatch._warm import start as start_warm
from seawatch._warm import stop as stop_warm
from seawatch.cli._brief import print_brief, print_table
from seawatch.cli._common import StoreOption, store_path
from seawatch.cli._render import cells, styled

if TYPE_CHECKING:
    from rich.console import Console

    from seawatch.store import IngestSummary, Store

ORDER = 90

STANDOFF = "standoff.toml"
"""The demo scenario, in ``seawatch/data/demo/``."""

REAL_SAMPLE = "noaa_caribbean_20220103.csv.gz"
"""NOAA / BOEM Nationwide AIS 2022-01-03, rows in 8-24N 90-58W (public domain)."""

_EPILOG = """\
Examples:

  seawatch demo                       # store in ./seawatch-data (or $SEAWATCH_STORE)

  seawatch demo --store /tmp/demo     # somewhere else; run it twice: nothing is duplicated

  seawatch demo --serve               # then the map at http://127.0.0.1:8000/

  seawatch query --store /tmp/demo "SELECT count(*) FROM positions"
"""


def real_sample_path() -> Path:
    """The bundled real AIS sample (a file inside the installed package)."""
    ref = resources.files("seawatch") / "data" / "samples" / REAL_SAMPLE
    return Path(str(ref))


def standoff_path() -> Path:
    """The bundled standoff scenario (TOML)."""
    return Path(str(resources.files("seawatch") / "data" / "demo" / STANDOFF))


def print_ingest_summary(console: Console, title: str, summary: IngestSummary) -> None:
    """The counts of one ingest as a two-column table."""
    from rich.table import Table

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, int]] = [
        ("files ingested", summary.files_ingested),
        ("files already in the store", summary.files_skipped),
        ("files marked simulated", summary.files_simulated),
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
        SELECT v.mmsi, v.name, v.flag, v.role, count(*) AS positions,
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
        ("role", "left"),
        ("positions", "right"),
        ("seen (UTC)", "left"),
    ):
        table.add_column(col, justify=justify, no_wrap=col != "name")  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            *cells(
                (
                    r["mmsi"],
                    r["name"],
                    r["flag"],
                    r["role"],
                    f"{r['positions']:,}",
                    f"{r['first_seen']:%m-%d %H:%M} to {r['last_seen']:%H:%MZ}"
                    if r["first_seen"].date() == r["last_seen"].date()
                    else f"{r['first_seen']:%m-%d %H:%M} to {r['last_seen']:%m-%d %H:%MZ}",
                )
            )
        )
    console.print(table)


def run_standoff(target: Store, console: Console) -> tuple[dict[str, Any], Any]:
    """Simulate, ingest, detect and brief the standoff scenario; returns the brief (dict) and
    the evaluation against the scenario's truth."""
    import tempfile

    from seawatch.engine import run_detectors
    from seawatch.pipeline import evaluate_window, ingest_scenario
    from seawatch.report import brief
    from seawatch.sim import load_scenario

    scenario = load_scenario(standoff_path())
    with tempfile.TemporaryDirectory(prefix="seawatch-demo-") as tmp:
        made = ingest_scenario(scenario, target, tmp, passes=True)
    print_ingest_summary(
        console, "ingest (simulated raw NMEA feed, with receiver noise)", made.summary
    )
    run_detectors(target)
    truth = made.simulation.truth
    b = brief(
        target, regions=["caribbean", "eastern-pacific"], since=truth.start, until=truth.end
    ).to_dict()
    print_brief(console, b)
    return b, evaluate_window(target, truth)


def demo_command(
    store: Path | None = StoreOption,
    top: int = typer.Option(
        15, "--top", min=1, help="How many vessels of the real sample to list."
    ),
    real_only: bool = typer.Option(
        False, "--real-only", help="Only ingest the real AIS sample; skip the standoff scenario."
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Then serve the map and API over the store (Ctrl-C to stop)."
    ),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port for --serve."),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Interface to bind for --serve (default: this machine only; any other needs "
        "$SEAWATCH_TOKEN, see seawatch serve --help).",
    ),
    live: bool = typer.Option(
        False,
        "--live",
        help="Replay the standoff into a live listener and serve the map "
        "updating as events are detected (store default: ./seawatch-live). See docs/LIVE.md.",
    ),
    speed: float | None = typer.Option(
        None, "--speed", min=1.0, help="--live: replay speed (default: about 3 minutes)."
    ),
) -> None:
    """Build a store from the data bundled with seawatch and show what it holds.

    Part 1 ingests a real AIS sample (NOAA, 2022-01-03, Caribbean). Part 2 simulates the
    Caribbean standoff scenario into raw NMEA, ingests it, runs every detector and prints the
    situation brief, then scores the detections against the scenario's ground truth and
    checks the claims of a short (fictional) news text against the data.
    Offline and deterministic; running it again adds nothing to the store.
    """
    from rich.console import Console

    from seawatch._exceptions import ParameterError
    from seawatch.cli._serve import resolve_token, usage_exit
    from seawatch.store import open_store

    token = None
    if serve or live:  # before the work, not after it
        try:
            token = resolve_token(host, None)
        except ParameterError as exc:
            raise usage_exit(exc) from exc
    if live:
        from seawatch.cli._live import demo_live

        where = store if store is not None else Path("./seawatch-live")
        demo_live(where, standoff_path(), host=host, port=port, token=token, speed=speed)
        return
    console = Console()
    err = Console(stderr=True)
    target = open_store(store_path(store), create=True)
    err.print(styled(f"store: {target.root}", style="dim"))
    # detection's kernels and indexes prepared on the other core while this one decodes
    warm = None if real_only else start_warm(real_sample_path(), standoff_path())
    try:
        _demo_parts(target, console, top=top, real_only=real_only)
    finally:
        stop_warm(warm)
    if serve:
        from seawatch.cli._serve import serve_store

        serve_store(target.root, host=host, port=port, token=token)
        return
    err.print(
        styled(
            f"explore: seawatch report --store {target.root} --region caribbean,eastern-pacific"
            f"\n         seawatch events --store {target.root} --type interception --format jsonl"
            f"\n         seawatch demo --store {target.root} --serve   (the map, "
            f"http://127.0.0.1:{port}/)",
            style="dim",
        )
    )


def _demo_parts(target: Store, console: Console, *, top: int, real_only: bool) -> None:
    """Part 1 (the real sample) and, unless ``real_only``, part 2 (the standoff)."""

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
    if not real_only:
        console.rule("[bold]The Caribbean standoff (simulated scenario, December 2025)[/bold]")
        _, evaluation = run_standoff(target, console)
        from seawatch.cli._claims import check_news

        check_news(
            target,
            console,
            resources.files("seawatch") / "data" / "demo" / "standoff_news.txt",
            published="2025-12-11",
        )

        def rate(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.2f}"

        scores = [
            {
                "type": s.type,
                "truth": s.n_truth,
                "detected": s.n_detected,
                "precision": rate(s.precision),
                "recall": rate(s.recall),
            }
            for s in evaluation.scores
        ]
        print_table(
            console,
            "detections against the scenario's ground truth",
            scores,
            ["type", "truth", "detected", "precision", "recall"],
        )


def register(app: typer.Typer) -> None:
    """Add ``demo``."""
    app.command("demo", epilog=_EPILOG)(demo_command)
