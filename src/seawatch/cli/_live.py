"""``seawatch listen``, ``replay``, ``feeds``, ``alerts`` (docs/LIVE.md)."""

from __future__ import annotations

import json
import signal
from datetime import UTC
from pathlib import Path
from typing import Any

import typer

from seawatch.cli._common import StoreOption, store_path

ORDER = 60

_LISTEN_EPILOG = """\
Examples:

  seawatch listen --store live --connect 153.44.253.27:5631 --name kystverket

  seawatch listen --store live --tcp 0.0.0.0:10110 --udp 10111 --rules rules.yaml

  cat day.nmea | seawatch listen --store live --stdin      (a streaming ingest)

Feeds are untrusted: lines longer than 1 MiB are line_length rejects, a TCP server client
silent for --idle-timeout seconds is disconnected, at most --max-clients at once. Every
--commit-every seconds what arrived is committed with the ingest's atomic, idempotent
commit, then the detectors run and the event changes (created, updated, retracted) are
logged: `seawatch events --history ID`. SIGINT/SIGTERM: commit, detect, exit 0.
"""

_FILES_ARG = typer.Argument(..., help="Recorded NMEA files (tag-block times).")
_TCP = typer.Option(None, "--tcp", help="Listen as a TCP server on HOST:PORT.")
_CONNECT = typer.Option(None, "--connect", help="Connect to HOST:PORT (reconnects with backoff).")
_UDP = typer.Option(None, "--udp", help="Receive UDP datagrams on [HOST:]PORT.")
_FOLLOW = typer.Option(None, "--follow", help="Follow a growing file.")
_NAME = typer.Option(
    None,
    "--name",
    help="Names of the feeds, in the order given (--tcp, --connect, --udp, "
    "--follow, --stdin, --websocket); the name is the station of its rows.",
)
_RULES = typer.Option(None, "--rules", help="Alert rules (YAML).")
_ALERTS = typer.Option(
    None,
    "--alerts",
    help="Alert sink: - (stdout JSON Lines), a file path, or an http(s) "
    "webhook URL. Default with --rules: stdout.",
)
alerts_app = typer.Typer(help="Alert muting.", no_args_is_help=True)


def _specs(
    tcp: list[str],
    connect: list[str],
    udp: list[str],
    follow: list[Path],
    stdin: bool,
    websocket: str | None,
    subscribe: str | None,
    names: list[str],
) -> list[Any]:
    from seawatch._exceptions import ParameterError
    from seawatch.live import FeedSpec, parse_hostport

    specs = []
    for t in tcp:
        parse_hostport(t)
        specs.append(FeedSpec("tcp", t))
    for t in connect:
        parse_hostport(t)
        specs.append(FeedSpec("connect", t))
    for t in udp:
        parse_hostport(t)
        specs.append(FeedSpec("udp", t))
    specs.extend(FeedSpec("follow", str(p)) for p in follow)
    if stdin:
        specs.append(FeedSpec("stdin", "", name="stdin"))
    if websocket is not None:
        if not websocket.startswith(("ws://", "wss://")):
            raise ParameterError(f"--websocket {websocket!r}: expected ws:// or wss://")
        if subscribe is not None:
            try:
                json.loads(subscribe)
            except ValueError as exc:
                raise ParameterError(f"--subscribe is not JSON: {exc}") from exc
        specs.append(FeedSpec("websocket", websocket, subscribe=subscribe))
    elif subscribe is not None:
        raise ParameterError("--subscribe needs --websocket")
    if not specs:
        raise ParameterError(
            "no feed: give --tcp, --connect, --udp, --follow, --stdin or --websocket"
        )
    if len(names) > len(specs):
        raise ParameterError("more --name than feeds")
    return [
        FeedSpec(s.kind, s.target, names[i], s.subscribe) if i < len(names) else s
        for i, s in enumerate(specs)
    ]


def listen_command(
    store: Path | None = StoreOption,
    tcp: list[str] | None = _TCP,
    connect: list[str] | None = _CONNECT,
    udp: list[str] | None = _UDP,
    follow: list[Path] | None = _FOLLOW,
    stdin: bool = typer.Option(False, "--stdin", help="Read standard input."),
    websocket: str | None = typer.Option(None, "--websocket", help="A ws:// or wss:// URL."),
    subscribe: str | None = typer.Option(
        None, "--subscribe", help="JSON message sent after the websocket opens."
    ),
    name: list[str] | None = _NAME,
    commit_every: float = typer.Option(5.0, "--commit-every", min=0.05, help="Seconds."),
    allowed_lateness: str = typer.Option(
        "6h", "--allowed-lateness", help="Late data within this revises events (e.g. 6h)."
    ),
    stale_after: float = typer.Option(
        60.0,
        "--stale-after",
        min=0.1,
        help="A client feed silent this long is stale and reconnected (seconds).",
    ),
    idle_timeout: float = typer.Option(300.0, "--idle-timeout", min=0.1),
    max_clients: int = typer.Option(64, "--max-clients", min=1),
    rules: Path | None = _RULES,
    alerts_out: list[str] | None = _ALERTS,
    preset: str = typer.Option("default", "--preset"),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Processes for the per-vessel detectors after each commit."
    ),
    detect_days: int | None = typer.Option(
        None,
        "--detect-days",
        min=1,
        help="Detect over the last N+1 days only after each "
        "commit (events starting earlier are kept; the final pass is whole). Default: the "
        "whole store (live equals batch exactly).",
        show_default=False,
    ),
    no_detect: bool = typer.Option(False, "--no-detect", help="Only commit, do not detect."),
) -> None:
    """Listen to live feeds, commit them in micro-batches, detect, version events, alert."""
    from seawatch.live import (
        Alerter,
        AlertSink,
        JsonlSink,
        Limits,
        Listener,
        ListenOptions,
        VesselInfo,
        WebhookSink,
        load_rules,
        parse_duration,
    )
    from seawatch.store import open_store

    specs = _specs(
        tcp or [], connect or [], udp or [], follow or [], stdin, websocket, subscribe, name or []
    )
    lateness = parse_duration(allowed_lateness, "--allowed-lateness")
    target = open_store(store_path(store), create=True)
    alerter = None
    if rules is not None:
        from seawatch.report import store_vocabulary

        rule_list = load_rules(rules, vocab=store_vocabulary(target))
        sinks: list[AlertSink] = []
        for out in alerts_out or ["-"]:
            if out.startswith(("http://", "https://")):
                sinks.append(WebhookSink(out, log_path=Path(target.root) / "live/deliveries.jsonl"))
            else:
                sinks.append(JsonlSink(out))

        def listed() -> list[int]:
            ev = target.events(types=["watchlist_hit"])
            return sorted({int(v) for vs in ev.column("vessels").to_pylist() for v in vs})

        alerter = Alerter(rule_list, Path(target.root), VesselInfo(target.vessels, listed), sinks)
    opts = ListenOptions(
        commit_every_s=commit_every,
        allowed_lateness_s=lateness,
        preset=preset,
        detect=not no_detect,
        workers=workers,
        detect_days=detect_days,
        limits=Limits(
            stale_after_s=stale_after, idle_timeout_s=idle_timeout, max_clients=max_clients
        ),
    )
    import asyncio

    listener = Listener(target, specs, opts, alerter=alerter)
    for spec in specs:
        where = f"{spec.kind} {spec.target}".strip()
        typer.echo(f"listening: {spec.name} ({where})", err=True)
    result = asyncio.run(listener.run())
    typer.echo(
        f"stopped: {result.commits} commits, {result.lines:,} lines, {result.positions:,} "
        f"positions added, {result.changes} event changes, {result.events_open} open and "
        f"{result.events_closed} closed events, {result.alerts} alerts",
        err=True,
    )


def replay_command(
    files: list[Path] = _FILES_ARG,
    to: str = typer.Option(..., "--to", help="tcp://HOST:PORT or udp://HOST:PORT"),
    speed: float = typer.Option(60.0, "--speed", min=0.0, help="N x real time (0: at once)."),
    loop: bool = typer.Option(False, "--loop", help="Start again at the end."),
) -> None:
    """Play recorded NMEA files in time order at N x speed into a listener."""
    import asyncio

    from seawatch.live import replay

    result = asyncio.run(replay(files, to, speed=speed, loop=loop))
    typer.echo(f"replayed {result.lines:,} lines in {result.seconds:.1f} s", err=True)


def feeds_command(
    store: Path | None = StoreOption,
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Health of the listener's feeds: messages/s, rejects, last message, stale."""
    from datetime import datetime

    from rich.console import Console

    from seawatch._exceptions import ParameterError
    from seawatch.cli._render import print_cells, styled, utc_text
    from seawatch.live import read_health

    root = store_path(store)
    try:
        doc = read_health(root)
    except (OSError, ValueError) as exc:
        raise ParameterError(f"cannot read the feed health of {root}: {exc}") from exc
    if doc is None:
        raise ParameterError(f"no listener has run on the store {root}")
    if fmt == "json":
        typer.echo(json.dumps(doc, indent=1, sort_keys=True))
        return
    if fmt != "table":
        raise ParameterError("--format: table or json")

    def when(iso: Any) -> str:
        try:
            return utc_text(datetime.fromisoformat(str(iso)))
        except ValueError:
            return str(iso or "")

    lst = doc.get("listener") or {}
    console = Console()
    state = "running" if lst.get("running") else "stopped"
    console.print(styled((f"feeds (as of {when(doc.get('updated'))}; listener {state})", "bold")))
    if lst.get("note"):
        console.print(styled(("note: ", "yellow"), str(lst["note"])))
    cols = ["feed", "kind", "target", "messages", "msg/s", "rejects", "last message", "stale"]
    cols += ["reconnects", "error"]
    rows = [
        [
            str(f.get("name") or ""),
            str(f.get("kind") or ""),
            str(f.get("target") or ""),
            f"{f.get('messages') or 0:,}",
            f"{f.get('messages_per_s') or 0:,}",
            f"{f.get('rejects') or 0:,}",
            when(f.get("last_message")) if f.get("last_message") else "",
            "yes" if f.get("stale") else "no",
            f"{f.get('reconnects') or 0:,}",
            str(f.get("error") or ""),
        ]
        for f in doc.get("feeds", [])
    ]
    whole = [False, True, False, True, True, True, True, True, True, False]
    print_cells(console, cols, rows, whole=whole)


@alerts_app.command("mute")
def mute_command(
    mmsi: int = typer.Argument(..., help="The vessel."),
    for_: str = typer.Option("2h", "--for", help="How long (e.g. 30m, 2h, 1d)."),
    store: Path | None = StoreOption,
) -> None:
    """Mute alerts that name MMSI for a while (the running listener reads it)."""
    from seawatch.live import mute, parse_duration
    from seawatch.store import open_store

    target = open_store(store_path(store))
    seconds = parse_duration(for_, "--for")
    with target.writing(wait_s=10.0):
        until = mute(Path(target.root), mmsi, seconds)
    typer.echo(f"muted {mmsi} until {until.astimezone(UTC).isoformat(timespec='seconds')}")


@alerts_app.command("mutes")
def mutes_command(store: Path | None = StoreOption) -> None:
    """List the vessels muted now, and until when (UTC)."""
    from seawatch.live import load_mutes

    for mmsi, until in sorted(load_mutes(store_path(store)).items()):
        typer.echo(f"{mmsi}\t{until.isoformat(timespec='seconds')}")


def history_rows(root: Path, event_id: str) -> list[dict[str, Any]]:
    """The revisions of one event (``seawatch events --history``)."""
    from seawatch.live import change_records, read_changes

    return change_records(read_changes(root, event_id=event_id))


def print_history(root: Path, event_id: str, fmt: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from seawatch._exceptions import ParameterError
    from seawatch.cli._render import cell

    rows = history_rows(root, event_id)
    if not rows:
        raise ParameterError(f"no change log for event {event_id!r} (a live store records it)")
    if fmt == "jsonl":
        for r in rows:
            typer.echo(json.dumps(r, sort_keys=True))
        return
    table = Table(title=f"history of event {event_id} (changes at UTC)")
    for col in ("rev", "change", "status", "at", "start", "end", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            cell(r["revision"]),
            cell(r["change"]),
            cell(r["status"]),
            cell(r["at"]),
            cell(r["start"]),
            cell(r["end"]),
            cell(r["reason"] or ""),
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the live commands."""
    app.command("listen", epilog=_LISTEN_EPILOG)(listen_command)
    app.command("replay")(replay_command)
    app.command("feeds")(feeds_command)
    # the name issue #10 and DESIGN §13 give the same view: one function, two names
    app.command("status", help="The listener's health: the same as `seawatch feeds`.")(
        feeds_command
    )
    app.add_typer(alerts_app, name="alerts")


def demo_live(
    store: Path, scenario: Path, *, host: str, port: int, token: str | None, speed: float | None
) -> None:
    """``seawatch demo --live``: the standoff scenario replayed into a listener on this
    machine (TCP, loopback) while the map is served over the same store; new and revised
    events appear on the map as the listener detects them. Ctrl-C stops both (the listener
    commits and writes its events first)."""
    import asyncio
    import tempfile
    import threading

    from seawatch.cli._serve import serve_store
    from seawatch.live import FeedSpec, Listener, ListenOptions, replay, timed_lines
    from seawatch.sim import load_scenario, simulate
    from seawatch.store import open_store

    target = open_store(store, create=True)
    with tempfile.TemporaryDirectory(prefix="seawatch-demo-live-") as tmp:
        simulate(load_scenario(scenario), Path(tmp), write_csv=False)
        nmea = next(Path(tmp).glob("*.nmea"))
        times = [t for t, _ in timed_lines([nmea])]
        span = max(times) - min(times) if times else 0.0
        pace = speed if speed is not None else max(60.0, span / 180.0)
        feed_port = _free_port()
        spec = FeedSpec("tcp", f"127.0.0.1:{feed_port}", name="standoff-replay")
        listener = Listener(target, [spec], ListenOptions(commit_every_s=2.0))
        loop = asyncio.new_event_loop()
        done = threading.Event()

        async def run_all() -> None:
            task = asyncio.create_task(listener.run(install_signals=False))
            while listener.stop_event is None or not listener.runners:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            typer.echo(
                f"demo: replaying the standoff ({span / 3600:.0f} h of traffic) at {pace:.0f}x "
                f"into the listener; watch the map",
                err=True,
            )
            feeding = asyncio.create_task(
                replay([nmea], f"tcp://127.0.0.1:{feed_port}", speed=pace)
            )
            assert listener.stop_event is not None
            stopping = asyncio.create_task(listener.stop_event.wait())
            await asyncio.wait({task, feeding, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not feeding.done():
                # asked to stop (Ctrl-C, SIGTERM): the replay ends first, so that its
                # connection to the listener closes and the listener can finish
                feeding.cancel()
            try:
                await feeding
                typer.echo("demo: replay finished (the map keeps serving)", err=True)
            except asyncio.CancelledError:
                pass
            except OSError as exc:
                typer.echo(f"demo: replay stopped: {exc}", err=True)
            stopping.cancel()
            await task

        def background() -> None:
            try:
                loop.run_until_complete(run_all())
            finally:
                done.set()

        thread = threading.Thread(target=background, name="seawatch-demo-live", daemon=True)
        thread.start()
        # uvicorn handles SIGTERM itself, then raises it again once it has shut down: with
        # the default action the process would die there, before the listener's last
        # commit; this handler makes it a clean exit through the ``finally`` below
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            serve_store(target.root, host=host, port=port, token=token)
        finally:
            signal.signal(signal.SIGTERM, previous)
            if listener.stop_event is not None:
                loop.call_soon_threadsafe(listener.stop_event.set)
            done.wait(timeout=120)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM as a clean exit (status 0, as ``seawatch listen`` gives)."""
    raise SystemExit(0)


def _free_port() -> int:
    """A free loopback TCP port (bound and released at once)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
