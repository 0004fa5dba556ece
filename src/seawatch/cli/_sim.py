"""``seawatch simulate`` and ``seawatch evaluate``: scenarios with ground truth."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seawatch._exceptions import ParameterError
from seawatch.cli._common import StoreOption, store_path

if TYPE_CHECKING:
    from seawatch.sim import Evaluation

ORDER = 60

_SIMULATE_EPILOG = """ Examples:

  seawatch simulate --list

  seawatch simulate sts-offshore --out /tmp/sts

  seawatch simulate my-scenario.toml --out /tmp/mine

SCENARIO is the name of a shipped scenario (see --list) or a path to a TOML file (format: docs/EVALUATION.md). Writes <name>.nmea (NMEA 4.x tag blocks), <name>.csv (NOAA MarineCadastre columns) and truth.json into --out, and prints their paths on stdout. With satellite passes (the scenario's [[passes]], or --satellite-passes N) also detections.csv, footprints.geojson and detections_truth.json (which detection is which vessel): ingest them with seawatch ingest detections.csv --kind detections --scene-footprint footprints.geojson. The same scenario and seed always give the same bytes; --seed draws its noise again, --at moves it elsewhere (its geometry kept in metres; zones, ports and coasts do not move). The NMEA and CSV files open with the line "# seawatch-simulated scenario=NAME seed=N: ...": whoever ingests them, the store records them as simulated data, and reports keep them apart from real data. """

_EVALUATE_EPILOG = """ Examples:

  seawatch evaluate --store /tmp/sts/store --truth /tmp/sts/truth.json

  seawatch evaluate --suite --out docs/EVALUATION.md

  seawatch evaluate --suite --scenario sts-offshore --format json

  seawatch evaluate --degrade --out docs/EVALUATION.md

  seawatch evaluate --suite --seeds 1-5 --scored-only

  seawatch evaluate --suite --scenario gap-offshore --scenario sts-offshore --at 69,2

  seawatch evaluate --suite --relays 300-600 --seeds 1-2 --scored-only

  seawatch evaluate --suite --report-every 3600 --seeds 1-2 --scored-only

Matching rule: a detection matches a truth event of the same type, the same set of vessels (and the same zone, for zone events) when they overlap in time by at least half of the shorter of the two: |overlap| / min(duration1, duration2) >= 0.5 (an instant event, start == end, must lie within the other interval widened by 30 min). Matching is one-to-one, greedy by overlap. Unmatched truth events are misses (FN), unmatched detections false positives (FP); a detected "negative" (a case the scenario says must not be detected) is an FP. Only the types (and zones) the scenario scores count. precision = TP / (TP + FP), recall = TP / (TP + FN).

--suite runs every shipped scenario end to end: simulate, ingest into a temporary store, detect with --preset, evaluate. Exit code 0 whatever the scores; 1 on a seawatch error.

--seeds runs each scenario once per seed, its noise drawn again (which reports are lost, duplicated or corrupted, when statics go out), named NAME#SEED: a scenario that passes with its own seed only passes by luck. --at moves each scenario there first, its geometry kept in metres (seawatch.sim.relocate): the same situation at high latitudes, across the antimeridian, in another ocean; zones, ports and coasts do not move, so use it on offshore scenarios. --relays LO-HI has a second feed relay 40 % of each scenario's messages again LO to HI seconds late (seawatch.sim.relay_late; named NAME~LO-HIs; --relay-share 1 relays every message): copies of stale positions the store no longer de-duplicates, which must not become a second track, a second port visit or a rename. --report-every S has every vessel heard at most once per S seconds (seawatch.sim.sparse_reports; named NAME^Ss): satellite AIS hears a vessel on the high seas once an hour or less. None of these goes with --out.

--degrade measures robustness curves: every scenario with NMEA input runs undegraded and with 10, 30, 50 and 70 % of its messages removed, at random and in per-vessel bursts of 1 h slots (fixed seeds), with only the detectors it is scored on (9 runs per scenario; a few minutes for the suite). With --out it replaces only its own section of the page (below the hand-checked marker). """


_OUT_DIR_OPT = typer.Option(Path("."), "--out", "-o", help="Output directory.")
_TRUTH_OPT = typer.Option(
    None, "--truth", help="truth.json written by seawatch simulate.", show_default=False
)
_REPORT_OPT = typer.Option(
    None,
    "--out",
    help="With --suite: write the Markdown report (docs/EVALUATION.md) here.",
    show_default=False,
)
_SCENARIOS_OPT = typer.Option(
    None, "--scenario", help="With --suite: only these scenarios (repeatable)."
)


def _table(ev: Evaluation, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in (
        "type",
        "truth",
        "detected",
        "TP",
        "FP",
        "FN",
        "neg. detected",
        "precision",
        "recall",
    ):
        table.add_column(col, justify="left" if col == "type" else "right")
    for s in ev.scores:
        table.add_row(
            s.type,
            str(s.n_truth),
            str(s.n_detected),
            str(s.tp),
            str(s.fp),
            str(s.fn),
            f"{s.negatives_detected}/{s.negatives}",
            "–" if s.precision is None else f"{s.precision:.2f}",
            "–" if s.recall is None else f"{s.recall:.2f}",
        )
    Console(file=sys.stdout, width=120).print(table)


def _degrade(names: list[str] | None, *, preset: str, fmt: str, out: Path | None) -> None:
    """``evaluate --degrade``: run the curves, print or write them."""
    from seawatch import pipeline, sim

    result = pipeline.run_degraded(
        names, preset=preset, progress=lambda name: typer.echo(f"scenario {name}", err=True)
    )
    section = sim.render_degrade_markdown(result)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        previous = out.read_text(encoding="utf-8") if out.is_file() else ""
        page = sim.replace_degrade_section(previous, section, keep_below=sim.KEEP_BELOW)
        out.write_text(page, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        typer.echo(section)
    typer.echo(
        f"{result.n_runs} runs over {len(result.scenarios)} scenarios in {result.seconds:.0f} s",
        err=True,
    )


def _position(text: str | None) -> tuple[float, float] | None:
    """``--at LAT,LON`` (decimal degrees) as numbers."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"--at must be LAT,LON in decimal degrees, not {text!r}") from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ParameterError(f"--at must be LAT,LON in decimal degrees, not {text!r}")
    return lat, lon


def _int_range(text: str, error: str) -> tuple[int, int]:
    """``"3"`` or ``"1-5"`` as ``(lo, hi)``; ``error`` is the message when it is neither."""
    a, _, b = text.strip().partition("-")
    try:
        return int(a), int(b) if b else int(a)
    except ValueError:
        raise ParameterError(error) from None


def _seeds(text: str | None) -> list[int] | None:
    """``--seeds 1,2,3`` (or ``1-5``) as numbers."""
    if text is None:
        return None
    out: list[int] = []
    for part in text.split(","):
        lo, hi = _int_range(part, f"--seeds must be numbers like 1,2,3 or 1-5, not {text!r}")
        if hi - lo + 1 + len(out) > 1000:  # before building it: "1-99999999999"
            raise ParameterError("--seeds: between 1 and 1,000 seeds")
        out.extend(range(lo, hi + 1))
    if not out or any(x < 0 for x in out):
        raise ParameterError("--seeds: between 1 and 1,000 seeds, none negative")
    return out


def _delays(text: str | None) -> tuple[int, int] | None:
    """``--relays 300-600`` as seconds."""
    if text is None:
        return None
    lo, hi = _int_range(text, f"--relays must be seconds like 300-600, not {text!r}")
    if not 0 <= lo <= hi <= 86_400:
        raise ParameterError(f"--relays: 0 <= LO <= HI <= 86400 seconds, not {text!r}")
    return lo, hi


_AT_HELP = (
    "Move the scenario here first (LAT,LON; its geometry kept in metres): the same situation "
    "where nobody tuned the detectors. For offshore scenarios: zones, ports and coasts do not "
    "move."
)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``evaluate``."""

    @app.command(epilog=_SIMULATE_EPILOG)
    def simulate(
        scenario: str = typer.Argument(
            None, help="Shipped scenario name or path to a .toml file.", show_default=False
        ),
        out: Path = _OUT_DIR_OPT,
        list_: bool = typer.Option(False, "--list", help="List the shipped scenarios and exit."),
        satellite_passes: int = typer.Option(
            0,
            "--satellite-passes",
            help="Also write N satellite passes evenly over the scenario (detections.csv, "
            "footprints.geojson, detections_truth.json); 0: only the scenario's own [[passes]].",
        ),
        at: str | None = typer.Option(None, "--at", help=_AT_HELP, show_default=False),
        seed: int | None = typer.Option(
            None, "--seed", min=0, help="Another noise seed than the scenario's own."
        ),
    ) -> None:
        """Simulate a scenario: NMEA, NOAA-style CSV and truth.json with known events."""
        from seawatch import sim

        if list_:
            for name in sim.scenario_names():
                sc = sim.load_scenario(name)
                typer.echo(f"{name}\t{sc.description}")
            return
        if scenario is None:
            raise ParameterError("give a SCENARIO (name or .toml path), or --list")
        sc = sim.load_scenario(scenario)
        where = _position(at)
        if where is not None:
            sc = sim.relocate(sc, *where)
        if seed is not None:
            sc = dataclasses.replace(sc, seed=seed)
        res = sim.simulate(sc, out)
        typer.echo(
            f"{sc.name}: {len(sc.vessels)} vessels, {res.n_messages} messages, {res.n_lines} lines",
            err=True,
        )
        for key in ("nmea", "csv", "truth"):
            if key in res.paths:
                typer.echo(str(res.paths[key]))
        passes = sim.auto_passes(sc, satellite_passes) if satellite_passes else sc.passes
        if passes:
            pr = sim.satellite_passes(sc, out, passes=passes, positions=res.positions)
            typer.echo(f"{pr.n_scenes} scenes, {len(pr.truth)} detections", err=True)
            for key in ("detections", "footprints", "detections_truth"):
                typer.echo(str(pr.paths[key]))

    @app.command(epilog=_EVALUATE_EPILOG)
    def evaluate(
        store: Path | None = StoreOption,
        truth: Path | None = _TRUTH_OPT,
        suite: bool = typer.Option(
            False, "--suite", help="Run the shipped scenario suite end to end."
        ),
        scenario: list[str] | None = _SCENARIOS_OPT,
        preset: str = typer.Option("default", "--preset", help="Detector preset for --suite."),
        input_format: str = typer.Option(
            "nmea", "--input", help="With --suite: ingest the nmea or the csv output."
        ),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
        scored_only: bool = typer.Option(
            False,
            "--scored-only",
            help="With --suite: run only the detectors each scenario is scored on (faster).",
        ),
        degrade: bool = typer.Option(
            False,
            "--degrade",
            help="Robustness curves: the suite with 10-70 % of messages removed "
            "(random and bursts).",
        ),
        out: Path | None = _REPORT_OPT,
        seeds: str | None = typer.Option(
            None,
            "--seeds",
            help="With --suite: run each scenario once per seed (1,2,3 or 1-5), its noise drawn "
            "again, instead of with its own seed.",
            show_default=False,
        ),
        at: str | None = typer.Option(None, "--at", help="With --suite: " + _AT_HELP),
        relays: str | None = typer.Option(
            None,
            "--relays",
            help="With --suite: 40 % of each scenario's messages heard again this many "
            "seconds late through a second feed (LO-HI, say 300-600).",
            show_default=False,
        ),
        relay_share: float = typer.Option(
            0.4,
            "--relay-share",
            help="With --relays: the share of messages relayed (0-1; 1: every message, as a "
            "feed with a wrong clock or one stamping messages on arrival).",
        ),
        report_every: int | None = typer.Option(
            None,
            "--report-every",
            help="With --suite: every vessel heard at most once per this many seconds "
            "(3600: satellite AIS on the high seas).",
            show_default=False,
        ),
    ) -> None:
        """Precision and recall of detected events against a scenario's ground truth."""
        from seawatch import pipeline, sim

        if fmt not in ("table", "json"):
            raise ParameterError(f"--format must be table or json, not {fmt!r}")
        seed_list, where, late = _seeds(seeds), _position(at), _delays(relays)
        if not (0.0 <= relay_share <= 1.0):
            raise ParameterError(f"--relay-share must be within 0 .. 1, not {relay_share}")
        if relay_share != sim.RELAY_SHARE and late is None:
            raise ParameterError("--relay-share goes with --relays")
        if report_every is not None and not 1 <= report_every <= 86_400:
            raise ParameterError(f"--report-every: 1 .. 86400 seconds, not {report_every}")
        untuned = bool(seed_list or where or late or report_every)
        if untuned and not suite:
            raise ParameterError("--seeds, --at, --relays and --report-every go with --suite")
        if untuned and (out is not None or degrade):
            raise ParameterError(
                "--seeds, --at, --relays and --report-every do not go with --out or --degrade "
                "(the page is the shipped scenarios as they are)"
            )
        if degrade:
            _degrade(scenario or None, preset=preset, fmt=fmt, out=out)
            return
        if suite:
            if input_format not in ("nmea", "csv"):
                raise ParameterError("--input must be nmea or csv")
            result = pipeline.run_suite(
                scenario or None,
                preset=preset,
                all_detectors=not scored_only,
                input_format="nmea" if input_format == "nmea" else "csv",
                progress=lambda name: typer.echo(f"scenario {name}", err=True),
                seeds=seed_list,
                at=where,
                relays=late,
                relay_share=relay_share,
                report_every=report_every,
            )
            dark_names = [
                n
                for n in (scenario or sim.scenario_names())
                if sim.load_scenario(n).passes and not untuned
            ]
            dark = pipeline.run_dark_suite(dark_names) if dark_names else None
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
                previous = out.read_text(encoding="utf-8") if out.is_file() else None
                page = sim.merge_kept(sim.render_markdown(result, dark=dark), previous)
                out.write_text(page, encoding="utf-8")
                typer.echo(f"wrote {out}", err=True)
            if fmt == "json":
                data = result.to_dict()
                if dark is not None:
                    data["dark"] = dark.to_dict()
                typer.echo(json.dumps(data, indent=2))
            else:
                if dark is not None:
                    typer.echo("\n".join(sim.dark_section(dark)))
                for name, ev in result.per_scenario:
                    _table(ev, name)
                _table(result.total, f"suite total (preset {preset})")
                if result.skipped:
                    typer.echo(
                        f"skipped ({input_format} input does not carry what their truth "
                        f"needs): {', '.join(result.skipped)}"
                    )
            return
        if truth is None:
            raise ParameterError("give --truth truth.json (or --suite)")
        from seawatch.store import open_store

        t = sim.load_truth(truth)
        ev = sim.evaluate(open_store(store_path(store)).events(), t)
        if fmt == "json":
            typer.echo(json.dumps(ev.to_dict(), indent=2))
        else:
            _table(ev, t.scenario or str(truth))
