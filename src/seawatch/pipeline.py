"""The end-to-end pipeline over simulated scenarios: simulate -> ingest -> detect -> evaluate.

One home for running a scenario through the whole system, shared by ``seawatch evaluate``
(:func:`run_suite`, :func:`run_dark_suite`, :func:`run_degraded`) and ``seawatch demo``
(:func:`ingest_scenario`). It sits above the engine (it imports :mod:`seawatch.sim`,
:mod:`seawatch.store`, :mod:`seawatch.engine` and :mod:`seawatch.detect`), so that the
simulator stays on the ground floor and imports nothing above it: truth comes from the
scenario, never from the detectors.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from seawatch.detect import EVENT_TYPES, resolve_geo
from seawatch.detect.dark import PRESETS as DARK_PARAMS
from seawatch.engine import dark_step, run_detectors
from seawatch.sim import (
    DARK_PRESETS,
    LEVELS,
    MODES,
    RELAY_SHARE,
    DarkEvaluation,
    DarkSuiteResult,
    DegradeMode,
    DegradeResult,
    Evaluation,
    MatchParams,
    PassesResult,
    Scenario,
    SimulationResult,
    SuiteResult,
    Truth,
    combine,
    combine_dark,
    dark_scenario_names,
    degrade_nmea,
    evaluate,
    load_scenario,
    relay_late,
    relocate,
    satellite_passes,
    scenario_names,
    score_dark,
    simulate,
    sparse_reports,
)
from seawatch.store import IngestSummary, Store, open_store

__all__ = [
    "ScenarioInput",
    "detectors_for",
    "evaluate_window",
    "ingest_scenario",
    "run_dark_suite",
    "run_degraded",
    "run_suite",
]


@dataclass(frozen=True, slots=True)
class ScenarioInput:
    """A scenario simulated into ``folder`` and ingested into a store: the simulation, the
    satellite passes (None when not asked for or the scenario has none) and the ingest
    summary of the AIS input."""

    simulation: SimulationResult
    passes: PassesResult | None
    summary: IngestSummary


def ingest_scenario(
    scenario: Scenario,
    store: Store,
    folder: str | Path,
    *,
    input_format: Literal["nmea", "csv"] = "nmea",
    passes: bool = False,
) -> ScenarioInput:
    """Simulate ``scenario`` into ``folder`` and ingest its ``input_format`` file into
    ``store``; with ``passes``, also its satellite passes (detections with their
    footprints)."""
    folder = Path(folder)
    sim = simulate(scenario, folder, write_csv=input_format == "csv")
    summary = store.ingest([sim.paths[input_format]])
    made: PassesResult | None = None
    if passes and scenario.passes:
        made = satellite_passes(scenario, folder, positions=sim.positions)
        store.ingest_detections(
            [made.paths["detections"]], scene_footprint=made.paths["footprints"]
        )
    return ScenarioInput(sim, made, summary)


def evaluate_window(store: Store, truth: Truth, *, params: MatchParams | None = None) -> Evaluation:
    """The store's events that overlap the scenario's time span (``truth.start`` to
    ``truth.end``), scored against its truth: a store may hold other data too (the demo's
    real sample)."""
    events = store.events()
    ts_type = events.schema.field("start").type
    window = events.filter(
        pc.and_(
            pc.less(events.column("start"), pa.scalar(truth.end, type=ts_type)),
            pc.greater(events.column("end"), pa.scalar(truth.start, type=ts_type)),
        )
    )
    return evaluate(window, truth, params=params or MatchParams())


def detectors_for(scored: Mapping[str, Any]) -> list[str]:
    """The detectors that emit the scored event types."""
    return sorted(d for d, types in EVENT_TYPES.items() if any(t in types for t in scored))


def run_suite(
    names: Sequence[str] | None = None,
    *,
    preset: str = "default",
    input_format: Literal["nmea", "csv"] = "nmea",
    workdir: str | Path | None = None,
    params: MatchParams | None = None,
    workers: int | None = 1,
    all_detectors: bool = True,
    progress: Callable[[str], None] | None = None,
    seeds: Sequence[int] | None = None,
    at: tuple[float, float] | None = None,
    relays: tuple[int, int] | None = None,
    relay_share: float = RELAY_SHARE,
    report_every: int | None = None,
) -> SuiteResult:
    """Run ``names`` (default: every shipped scenario) end to end and evaluate each one
    against its truth, in a store of its own. ``workdir`` keeps the files (default: a
    temporary folder, removed afterwards). ``workers`` is passed to the engine (1: in
    process, fastest for these small stores; None: one process per CPU). With
    ``all_detectors=False`` only the detectors whose event types the scenario scores run
    (faster; the unscored types are ignored by the evaluation anyway). Scenarios whose
    ``inputs`` do not include ``input_format`` are skipped and listed in ``skipped``.

    ``seeds``: run each scenario once per seed instead of with its own (its noise drawn
    again: which reports are lost, duplicated, corrupted, when statics go out), named
    ``name#seed``: a scenario that passes with one seed only passes by luck. ``at``: each
    scenario moved there first (:func:`seawatch.sim.relocate`; for offshore scenarios).
    ``relays``: ``(lo, hi)`` seconds: ``relay_share`` (40 %) of each scenario's messages
    heard again that late through a second feed (:func:`seawatch.sim.relay_late`), named
    ``name~lo-his``. ``report_every``: seconds; every vessel heard at most that often
    (:func:`seawatch.sim.sparse_reports`, satellite AIS), named ``name^Ns``."""
    chosen = list(names) if names else scenario_names()
    t0 = time.perf_counter()
    results: list[tuple[str, Evaluation]] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="seawatch-suite-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        for name in chosen:
            scenario = load_scenario(name)
            if input_format not in scenario.inputs:
                skipped.append(scenario.name)
                continue
            if at is not None:
                scenario = relocate(scenario, *at)
            if relays is not None:
                scenario = relay_late(scenario, *relays, share=relay_share)
            if report_every is not None:
                scenario = sparse_reports(scenario, report_every)
            runs = [
                dataclasses.replace(scenario, seed=seed, name=f"{scenario.name}#{seed}")
                for seed in seeds or ()
            ] or [scenario]
            for run in runs:
                results.append(
                    _run_one(
                        run, base, input_format, preset, all_detectors, workers, params, progress
                    )
                )
    return SuiteResult(
        preset=preset,
        input_format=input_format,
        all_detectors=all_detectors,
        per_scenario=tuple(results),
        total=combine([ev for _, ev in results]),
        seconds=time.perf_counter() - t0,
        skipped=tuple(skipped),
    )


def _run_one(
    scenario: Scenario,
    base: Path,
    input_format: Literal["nmea", "csv"],
    preset: str,
    all_detectors: bool,
    workers: int | None,
    params: MatchParams | None,
    progress: Callable[[str], None] | None,
) -> tuple[str, Evaluation]:
    """One scenario of :func:`run_suite`, in a store of its own under ``base``."""
    if progress is not None:
        progress(scenario.name)
    folder = base / scenario.name.replace("/", "_")
    sim = simulate(scenario, folder / "input")
    store = open_store(folder / "store", create=True)
    store.ingest([sim.paths[input_format]])
    only = None if all_detectors else detectors_for(sim.truth.scored)
    # run_detectors replaces the preset's event types in the store (write=True)
    # only == []: the scenario scores no event type (a dark-pass scenario, scored
    # by run_dark_suite): no detector to run
    if only != []:
        run_detectors(store, preset=preset, only=only, workers=workers)
    return scenario.name, evaluate(store.events(), sim.truth, params=params or MatchParams())


def run_dark_suite(
    names: Sequence[str] | None = None,
    *,
    presets: Sequence[str] = DARK_PRESETS,
    workdir: str | Path | None = None,
) -> DarkSuiteResult:
    """Run ``names`` (default: every shipped scenario with passes) under ``presets`` of the
    matcher (the engine's scene step) and score each against the passes' truth."""
    geo = resolve_geo(None)
    chosen = [n for n in (names or dark_scenario_names()) if load_scenario(n).passes]
    t0 = time.perf_counter()
    rows: list[tuple[str, str, DarkEvaluation]] = []
    with tempfile.TemporaryDirectory(prefix="seawatch-dark-suite-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        for name in chosen:
            sc = load_scenario(name)
            folder = base / sc.name
            folder.mkdir(parents=True, exist_ok=True)
            store = open_store(folder / "store", create=True)
            made = ingest_scenario(sc, store, folder / "input", passes=True)
            assert made.passes is not None
            stored = store.detections().column("detection_id").to_pylist()
            for preset in presets:
                params = DARK_PARAMS[preset]
                events = dark_step(store, params, geo=geo)
                ev = score_dark(
                    events.to_pylist(),
                    made.passes.truth,
                    window_h=params.window_h,
                    stored_ids=stored,
                )
                rows.append((sc.name, preset, ev))
    totals = tuple((p, combine_dark([ev for _, q, ev in rows if q == p])) for p in presets)
    return DarkSuiteResult(
        per_scenario=tuple(rows), totals=totals, seconds=time.perf_counter() - t0
    )


def run_degraded(
    names: Sequence[str] | None = None,
    *,
    levels: Sequence[float] = LEVELS,
    modes: Sequence[DegradeMode] = MODES,
    preset: str = "default",
    burst_h: float = 1.0,
    seed: int = 8,
    params: MatchParams | None = None,
    workers: int | None = 1,
    progress: Callable[[str], None] | None = None,
) -> DegradeResult:
    """Run ``names`` (default: every shipped scenario with NMEA input) undegraded and at
    every mode and level (:func:`seawatch.sim.degrade_nmea`), with only the detectors each
    scenario is scored on."""
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (random, burst)")
    chosen = list(names) if names else scenario_names()
    t0 = time.perf_counter()
    per: dict[tuple[str, float], list[Evaluation]] = {}
    done: list[str] = []
    n_runs = 0
    mp = params or MatchParams()
    with tempfile.TemporaryDirectory(prefix="seawatch-degrade-") as tmp:
        base = Path(tmp)
        for name in chosen:
            scenario = load_scenario(name)
            if "nmea" not in scenario.inputs:
                continue
            if progress is not None:
                progress(name)
            sim = simulate(scenario, base / scenario.name / "input", write_csv=False)
            raw = sim.paths["nmea"].read_bytes()
            only = detectors_for(sim.truth.scored)
            cases: list[tuple[DegradeMode | None, float]] = [(None, 0.0)]
            cases += [(m, float(lv)) for m in modes for lv in levels if lv > 0]
            for case_mode, level in cases:
                key = case_mode or "none"
                tag = f"{key}-{round(level * 100)}"
                path = base / scenario.name / f"{tag}.nmea"
                data = (
                    raw
                    if case_mode is None
                    else degrade_nmea(
                        raw,
                        level=level,
                        mode=case_mode,
                        seed=seed * 1_000_003 + scenario.seed,
                        burst_h=burst_h,
                    )
                )
                path.write_bytes(data)
                store = open_store(base / scenario.name / f"store-{tag}", create=True)
                store.ingest([path])
                run_detectors(store, preset=preset, only=only, workers=workers)
                per.setdefault((key, level), []).append(
                    evaluate(store.events(), sim.truth, params=mp)
                )
                n_runs += 1
            done.append(scenario.name)
    runs = tuple(
        (m, float(lv), combine(per.get((m, float(lv)), [])))
        for m in modes
        for lv in levels
        if lv > 0
    )
    return DegradeResult(
        preset=preset,
        levels=tuple(float(x) for x in levels),
        modes=tuple(modes),
        scenarios=tuple(done),
        baseline=combine(per.get(("none", 0.0), [])),
        runs=runs,
        seconds=time.perf_counter() - t0,
        burst_h=burst_h,
        seed=seed,
        n_runs=n_runs,
    )
