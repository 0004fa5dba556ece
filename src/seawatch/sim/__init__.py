"""Scenario simulator and evaluation (DESIGN.md §7, §10).

A *scenario* is a small TOML file: vessels with legs, reception noise, and the events the
scenario contains by construction (its ground truth). :func:`simulate` turns it into the
inputs seawatch reads (NMEA with NMEA 4.x tag blocks, a NOAA MarineCadastre-style CSV)
plus ``truth.json``; :func:`evaluate` scores detected events against that truth;
:mod:`seawatch.pipeline` (above the engine) runs the shipped scenarios end to end
(simulate, ingest into a temporary store, detect, evaluate); the simulator imports nothing
above the ground floor. Same scenario and seed, same bytes.

Python API::

    from seawatch.sim import load_scenario, simulate, evaluate
    sc = load_scenario("sts-offshore")          # a shipped name, or a path to a .toml
    res = simulate(sc, "out/")                  # res.paths["nmea"|"csv"|"truth"], res.truth
    ev = evaluate(store.events(), res.truth)    # ev.scores: precision/recall per type

Scenario format (times in hours from ``[scenario] start``; unknown keys are errors)::

    [scenario]
    name = "sts-offshore"                 # default: the file name
    description = "two tankers side by side for 3 h"
    start = 2024-03-04T06:00:00Z          # TOML datetime or ISO string, UTC
    duration_h = 12
    seed = 7
    stations = ["rcv-a", "rcv-b"]        # receivers (tag block s:); duplicates use another
    scored = { encounter = [] }           # types scored -> zone list ([] = any zone);
                                          # default: the types named in truth and negatives
    inputs = ["nmea", "csv"]              # outputs the suite may ingest (default both; the
                                          # CSV has no destination: list only nmea if needed)

    [noise]
    jitter_m = 5.0           # GPS error, s.d. per axis, metres
    duplicate_prob = 0.1     # also heard by another station ...
    duplicate_delay_s = [1, 5]  # ... this many seconds later (tag block c:)
    corrupt_prob = 0.001     # one payload character flipped: the checksum fails
    drop_prob = 0.02         # position reports never received

    [[vessels]]
    mmsi = 636012345
    name = "OCEAN STAR"
    callsign = "D5AB1"
    imo = 9123456
    ship_type = 80           # AIS ship type code
    class = "A"              # "A": types 1/3 + 5;  "B": type 18 + 24 A/B
    lat = 14.3               # start position
    lon = -70.6
    start_h = 0              # first report (default 0)
    interval_s = 60          # position report interval under way (default A 60, B 180)
    hold_interval_s = 180    # interval on hold legs (default max(180, interval_s))
    static_interval_s = 360  # static report interval
    length_m = 250
    beam_m = 44
    draught_m = 14.5
    destination = "JOSE"
    station = "rcv-a"        # primary receiver (default: drawn from stations)
    silent = [{ start_h = 10, end_h = 28 }]   # windows with no transmissions
    # what it broadcasts changes from at_h on (any of mmsi, name, callsign, imo,
    # ship_type, destination; in time order, inside the scenario); statics go out at once.
    # A new mmsi is a new flag (MID): positions and statics use it from at_h.
    identity = [{ at_h = 9, name = "OCEAN STAR I", callsign = "TJOS2", destination = "LOME" }]
    # GNSS spoofing: broadcast positions in the window are at lat/lon (plus jitter, speed 0)
    # while the true track goes on
    spoof = [{ start_h = 5, end_h = 8, lat = 11.85, lon = -70.05 }]
    # shares_mmsi = true   # a clone: this vessel sends the MMSI of one listed before it
    #                      # (otherwise MMSIs are unique; follow a shared MMSI: an error)
    # legs run back to back from the start; the track ends with the last leg.
    # goto: to lat/lon at speed_kn or arriving at arrive_h; every other kind lasts
    # duration_h or until_h (hours from the scenario start). Any leg: nav_status, interval_s.
    legs = [
      { kind = "goto", lat = 14.5, lon = -70.0, arrive_h = 4.0 },
      { kind = "hold", until_h = 7.0, swing_m = 20 },       # stay, swinging on a circle
      { kind = "drift", duration_h = 2, speed_kn = 0.5 },   # slow random walk
      { kind = "follow", target = 538009876, distance_m = 120, bearing_deg = 90, duration_h = 3 },
      { kind = "course", heading_deg = 300, speed_kn = 11, duration_h = 3 },
    ]

    [[truth]]                # an event the scenario contains
    type = "encounter"
    vessels = [636012345, 538009876]
    start_h = 4.0            # or start = / end = ISO times
    end_h = 7.0
    note = "..."
    # zone = "VE-eez"                       zone events only
    # details = { likely_disabled = true }  checked, reported as details_mismatch

    [[negatives]]            # must NOT be detected (same keys as [[truth]])

Outputs of :func:`simulate` in the output folder: ``<name>.nmea`` (lines
``\\s:station,c:unixtime*hh\\!AIVDM,...``; multi-sentence messages carry ``g:part-total-id``
on every fragment), ``<name>.csv`` (columns :data:`NOAA_COLUMNS`, received positions only,
no duplicates or corruption) and ``truth.json`` (:class:`Truth`).
"""

from __future__ import annotations

from seawatch.sim._dark_eval import DarkEvaluation, DarkScore, combine_dark, score_dark
from seawatch.sim._dark_suite import (
    DARK_PRESETS,
    DarkSuiteResult,
    dark_scenario_names,
    dark_section,
)
from seawatch.sim._degrade import (
    LEVELS,
    MODES,
    DegradeMode,
    DegradeResult,
    degrade_nmea,
    render_degrade_markdown,
    replace_degrade_section,
)
from seawatch.sim._encode import (
    Payloads,
    encode_type5,
    encode_type18,
    encode_type24a,
    encode_type24b,
    encode_types123,
    sentences,
)
from seawatch.sim._evaluate import (
    Detection,
    Evaluation,
    Match,
    MatchParams,
    TypeScore,
    combine,
    evaluate,
    overlap_ratio,
)
from seawatch.sim._passes import PassesResult, SensorParams, auto_passes, satellite_passes
from seawatch.sim._scenario import (
    IDENTITY_FIELDS,
    INPUT_FORMATS,
    RELAY_SHARE,
    RELAY_STATION,
    Identity,
    IdentityChange,
    Leg,
    Noise,
    SatellitePass,
    Scenario,
    Silence,
    Spoof,
    Truth,
    TruthEvent,
    Vessel,
    load_scenario,
    load_truth,
    parse_scenario,
    relay_late,
    relocate,
    scenario_names,
    sparse_reports,
)
from seawatch.sim._simulate import NOAA_COLUMNS, TRUE_POSITIONS, SimulationResult, simulate
from seawatch.sim._suite import KEEP_BELOW, SuiteResult, merge_kept, render_markdown
from seawatch.sim._track import State, Track, trajectories, vessel_tracks

__all__ = [
    "DARK_PRESETS",
    "IDENTITY_FIELDS",
    "INPUT_FORMATS",
    "KEEP_BELOW",
    "LEVELS",
    "MODES",
    "NOAA_COLUMNS",
    "RELAY_SHARE",
    "RELAY_STATION",
    "TRUE_POSITIONS",
    "DarkEvaluation",
    "DarkScore",
    "DarkSuiteResult",
    "DegradeMode",
    "DegradeResult",
    "Detection",
    "Evaluation",
    "Identity",
    "IdentityChange",
    "Leg",
    "Match",
    "MatchParams",
    "Noise",
    "PassesResult",
    "Payloads",
    "SatellitePass",
    "Scenario",
    "SensorParams",
    "Silence",
    "SimulationResult",
    "Spoof",
    "State",
    "SuiteResult",
    "Track",
    "Truth",
    "TruthEvent",
    "TypeScore",
    "Vessel",
    "auto_passes",
    "combine",
    "combine_dark",
    "dark_scenario_names",
    "dark_section",
    "degrade_nmea",
    "encode_type5",
    "encode_type18",
    "encode_type24a",
    "encode_type24b",
    "encode_types123",
    "evaluate",
    "load_scenario",
    "load_truth",
    "merge_kept",
    "overlap_ratio",
    "parse_scenario",
    "relay_late",
    "relocate",
    "render_degrade_markdown",
    "render_markdown",
    "replace_degrade_section",
    "satellite_passes",
    "scenario_names",
    "score_dark",
    "sentences",
    "simulate",
    "sparse_reports",
    "trajectories",
    "vessel_tracks",
]
